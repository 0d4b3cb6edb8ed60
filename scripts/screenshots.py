"""Screenshots of the main pages, phone-sized and desktop-sized, for the README (docs/screenshots/).

    .venv/bin/python scripts/screenshots.py            # needs /usr/bin/chromium (apt-get install chromium)

Builds the demo database (`gongji demo --no-serve`, a small population), serves it in this process, logs in
as the demo's 王建国 and as the demo counter clerk, and saves one PNG per page and size.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import uvicorn  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from gongji.api.app import create_app  # noqa: E402
from gongji.api.settings import ApiSettings  # noqa: E402
from gongji.db import Database  # noqa: E402
from gongji_tools.demo import access  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
KEY = "screenshots-server-key"
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 860}}
WANG = "230100197205180034"  # 王建国 of the demo story
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]

PORTAL = [("portal-home", "/portal"), ("portal-bind", "/portal/bind"), ("portal-records", "/portal/records"),
          ("portal-payments", "/portal/payments?month=2025-03"), ("portal-notifications", "/portal/notifications")]
COUNTER = [("counter-find", "/counter"), ("counter-settlement", "/counter/settlements/1"),
           ("counter-report", "/counter/report?day=2025-03-03")]


def build_demo(folder: Path) -> str:
    database = folder / "demo.sqlite3"
    env = {**os.environ, "GONGJI_SECRET_KEY": KEY}
    subprocess.run([sys.executable, "-m", "gongji.cli.main", "demo", "--database", str(database), "--people", "200",
                    "--no-serve"], check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    return f"sqlite:///{database}"


def serve(url: str) -> tuple[uvicorn.Server, str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = create_app(Database(url), settings=ApiSettings(server_key=KEY.encode(), notify_sender=None))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{port}"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        server, base = serve(build_demo(Path(folder)))
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=ARGS)
            for size, viewport in SIZES.items():
                context = browser.new_context(viewport=viewport, locale="zh-CN", base_url=base)
                page = context.new_page()
                page.goto("/portal/login")
                page.screenshot(path=OUT / f"portal-login-{size}.png", full_page=True)
                page.get_by_label("身份证号码").fill(WANG)
                page.get_by_label("密码").fill(access.PERSON_PASSWORD)
                page.get_by_role("button", name="登录").click()
                page.wait_for_url("**/portal")
                for name, path in PORTAL:
                    page.goto(path)
                    page.screenshot(path=OUT / f"{name}-{size}.png", full_page=True)
                page.goto("/counter/login")
                page.get_by_label("工号").fill(access.STAFF_ID)
                page.get_by_label("密码").fill(access.STAFF_PASSWORD)
                page.get_by_role("button", name="登录").click()
                page.wait_for_url("**/counter")
                for name, path in COUNTER:
                    page.goto(path)
                    page.screenshot(path=OUT / f"{name}-{size}.png", full_page=True)
                page.goto("/counter")
                page.fill("#f-id_number", WANG)
                page.locator("form[aria-labelledby=way-id] button").click()
                page.locator("main table a").first.click()
                page.wait_for_url("**/counter/people/*")
                page.screenshot(path=OUT / f"counter-person-{size}.png", full_page=True)
                context.close()
            browser.close()
        server.should_exit = True
    print(f"screenshots in {OUT}")


if __name__ == "__main__":
    main()
