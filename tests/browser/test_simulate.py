"""The policy simulator in a real browser at phone size: an administrator asks "what if Shenzhen's reserve line
were 3,000 yuan?" through the form, and the answer comes first, in Chinese, in English and in large text, with
nothing wider than the screen. ``GONGJI_SCREENSHOTS=<folder>`` keeps a screenshot of each.

Rules: SZ-1, N-3.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path


def test_an_administrator_asks_on_a_phone(live, phone):
    w = live.world
    w.institution("H44030100001", city="shenzhen")
    payer = w.person("陈伟", city="shenzhen", born=date(1975, 1, 1), current_fen=500_000)
    patient = w.person("陈小明", city="shenzhen", born=date(2000, 1, 1), scheme="resident")
    w.bind(payer, patient, "child")
    w.settle(patient, 100_000, institution="H44030100001")
    password = live.staff("A0001", region_prefix="", role="admin")
    phone.goto("/counter/login?next=/admin/simulate")
    phone.fill("[name=staff_id]", "A0001")
    phone.fill("[name=password]", password)
    phone.locator("main button[type=submit]").click()
    phone.goto("/admin/simulate")
    phone.fill("[name=region]", "4403")
    phone.fill("[name=changes]", "reserve_line_fen=300000")
    phone.fill("[name=from]", "2025-06-01")
    phone.fill("[name=to]", "2025-06-30")
    phone.locator("details button[type=submit]").click()
    phone.wait_for_selector("[data-testid=metric-mutual-aid]")
    assert "+200.00" in phone.locator("[data-testid=metric-mutual-aid]").inner_text()
    assert phone.locator("details").get_attribute("open") is None  # the form folded under the answer
    folder = os.environ.get("GONGJI_SCREENSHOTS")
    for suffix, name in (("&lang=zh&size=normal", "zh"), ("&lang=en", "en"), ("&lang=zh&size=large", "zh-large"),
                         ("&lang=en&size=large", "en-large")):
        phone.goto(phone.url.split("&lang=")[0] + suffix)
        phone.wait_for_selector("[data-testid=metric-cash]")
        wide = phone.evaluate("document.documentElement.scrollWidth")
        assert wide <= 390, f"{name}: the page is {wide}px wide on a 390px screen"
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            phone.screenshot(path=f"{folder}/simulate-{name}.png", full_page=True)
