"""`gongji serve` for real: the demo database served by uvicorn in its own process, and the README's curl
session run against it (N-2, N-7, N-3, N-9). SQLite only; needs curl and openssl, as the README says.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from gongji.auth.service import institution_secret

ROOT = Path(__file__).resolve().parents[2]
GONGJI = [sys.executable, "-m", "gongji.cli.main"]
KEY = "serve-test-key"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def readme_session() -> dict[str, str]:
    """The values the README's session uses (PAYER=... RELATIVE=... on the line that runs the script)."""
    line = next(line for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
                if "docs/examples/session.sh" in line and "PAYER=" in line)
    return dict(re.findall(r"(\w+)=(\S+)", line))


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serve")
    database = folder / "demo.sqlite3"
    env = {**os.environ, "GONGJI_SECRET_KEY": KEY, "GONGJI_POLICY_DIR": "", "COLUMNS": "200"}
    env.pop("GONGJI_DATABASE_URL", None)
    subprocess.run([*GONGJI, "demo", "--database", str(database), "--no-serve"], env=env, check=True,
                   capture_output=True, cwd=folder, timeout=600)
    port = free_port()
    log = (folder / "serve.log").open("w")
    server = subprocess.Popen([*GONGJI, "--database-url", f"sqlite:///{database}", "serve", "--port", str(port)],
                              env=env, stdout=log, stderr=subprocess.STDOUT, cwd=folder)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    else:
        server.kill()
        pytest.fail((folder / "serve.log").read_text())
    yield base, folder / "serve.log"
    server.terminate()
    server.wait(timeout=20)


def test_the_service_answers_with_its_description_and_health(served):
    base, _ = served
    assert httpx.get(f"{base}/healthz").json()["status"] == "ok"
    description = httpx.get(f"{base}/openapi.json").json()
    assert "/v1/settlements" in description["paths"] and "/v1/bindings" in description["paths"]
    assert httpx.get(f"{base}/docs").status_code == 200
    assert "gongji_http_requests_total" in httpx.get(f"{base}/metrics").text


@pytest.mark.skipif(not (shutil.which("curl") and shutil.which("openssl")), reason="needs curl and openssl")
def test_the_readme_session_binds_a_relative_and_settles_a_bill_partly_from_the_payer(served):
    """The README's curl session, verbatim: bind (N-7), settle with the payer's account (N-3), see it (N-9)."""
    base, log = served
    values = readme_session()
    values["SECRET"] = institution_secret(KEY.encode(), values["CODE"], 1)
    run = subprocess.run(["bash", str(ROOT / "docs/examples/session.sh")], env={**os.environ, **values,
                         "GONGJI": base}, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    binding, settlement, payments = (json.loads(line) for line in run.stdout.strip().splitlines())
    assert binding["state"] == "active" and binding["payer"]["id_number"] == values["PAYER"]
    assert settlement["amount_fen"] == 80_000 and settlement["mutual_aid_fen"] > 0 and settlement["cash_fen"] > 0
    assert settlement["mutual_aid_fen"] + settlement["own_fen"] + settlement["cash_fen"] == 80_000
    assert payments["items"][0]["settlement_id"] == settlement["settlement_id"]
    assert payments["items"][0]["amount_fen"] == settlement["mutual_aid_fen"]
    # The logs of the whole session hold no full ID number (only masked ones).
    text = log.read_text(encoding="utf-8")
    assert values["PAYER"] not in text and values["RELATIVE"] not in text
    assert not re.search(r"(?<!\d)\d{17}[\dX](?!\d)", text)
