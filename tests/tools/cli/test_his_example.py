"""The example HIS client (``examples/his_visit.py``) run against a real ``gongji serve`` of the demo database.

It sends an outpatient visit (9001, 1101, 2201, 2203, 2204, 2206, 2207, 5203, 2208, 9002) and a pharmacy
purchase (9001, 1101, 2101, 2102, 2103, 9002) in the standard's envelope (NI-1..NI-5) and prints who paid
what. SQLite only.

The figures follow from the demo's story and the Heilongjiang settings: 李秀兰's own account is empty after
her bill of 3 March, her husband 王建国 is bound to her and holds 160.00 yuan (his March credit), and the
employee outpatient rule is a 200.00 yuan deductible and 50 % above it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

from gongji.auth.service import institution_secret
from tests.cli.test_serve import KEY, ROOT, served  # noqa: F401  (the served demo database)

EXAMPLE = ROOT / "examples" / "his_visit.py"
PATIENT = "230100197403080026"  # 李秀兰 of the demo, as the README says

CODES = ("9001", "1101", "2201", "2203", "2204", "2206", "2207", "5203", "2208", "2101", "2102", "2103", "9002")


def run_example(base: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(EXAMPLE), "--url", base, *args], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "PYTHONIOENCODING": "utf-8", **env})


def summary(output: str) -> dict[str, dict[str, str]]:
    """The summary table: {field: {infno: value}}."""
    table = output[output.index("Summary: who paid what"):]
    rows = {line.split()[0]: line.split()[1:5] for line in table.splitlines()[1:9]}
    columns = rows.pop("infno")
    return {field: dict(zip(columns, values, strict=True)) for field, values in rows.items()}


def test_the_example_runs_a_visit_and_a_purchase_paid_partly_by_a_bound_relative(served):  # noqa: F811
    """NI-1..NI-5: every step is done, the bound husband's account pays part (NI-4), cancellations negate (NI-5)."""
    base, log = served
    hospital = institution_secret(KEY.encode(), "H23010100001", 1)
    pharmacy = institution_secret(KEY.encode(), "P23010100001", 1)
    run = run_example(base, "--hospital-secret", hospital, GONGJI_PHARMACY_SECRET=pharmacy)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr
    out = run.stdout
    for code in CODES:
        assert f"] {code} " in out, code
    assert "李秀兰" in out and PATIENT in out
    figures = summary(out)
    # 500.00 yuan outpatient: the fund pays 50 % above the 200.00 deductible; his 160.00, then cash.
    assert figures["medfee_sumamt"] == {"2207": "500.00", "2208": "-500.00", "2102": "206.60", "2103": "-206.60"}
    assert figures["hifp_pay"] == {"2207": "150.00", "2208": "-150.00", "2102": "0.00", "2103": "0.00"}
    assert figures["acct_pay"] == {"2207": "160.00", "2208": "-160.00", "2102": "160.00", "2103": "-160.00"}
    assert figures["acct_mulaid_pay"] == figures["acct_pay"]
    assert figures["psn_cash_pay"] == {"2207": "190.00", "2208": "-190.00", "2102": "46.60", "2103": "-46.60"}
    assert figures["balc"] == {"2207": "0.00", "2208": "0.00", "2102": "0.00", "2103": "0.00"}
    assert len(set(figures["setl_id"].values())) == 4  # a cancellation has its own setl_id
    assert "every step done, the figures add up" in out
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert PATIENT in readme[readme.index("## National interface (HIS)"):]  # the README names the default patient

    # The cancellations gave the money back: a second run finds the same balances and pays the same.
    again = run_example(base, GONGJI_HOSPITAL_SECRET=hospital, GONGJI_PHARMACY_SECRET=pharmacy)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr
    second = summary(again.stdout)
    assert {k: v for k, v in second.items() if k != "setl_id"} == {k: v for k, v in figures.items() if k != "setl_id"}

    # The server's log of all this holds no full ID number.
    text = log.read_text(encoding="utf-8")
    assert PATIENT not in text
    assert not re.search(r"(?<!\d)\d{17}[\dX](?!\d)", text)


def test_a_refused_step_ends_the_example_with_a_failure(served):  # noqa: F811
    """NI-1: a wrong secret is refused with infcode -1 and the code in 【】; the script exits 1."""
    base, _ = served
    run = run_example(base, "--hospital-secret", "not-the-secret", "--pharmacy-secret", "not-the-secret")
    assert run.returncode == 1
    assert '"infcode": -1' in run.stdout
    assert "【SIGNATURE_INVALID】" in run.stderr
    assert "Summary" not in run.stdout
