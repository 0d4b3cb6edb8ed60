"""The command line: the demo tells its story end to end; `gongji regions`, `check`, `close-expired`, `db upgrade`.

The demo's story runs the real services, so these tests check the outcomes it prints: N-4, N-10, HLJ-1,
HLJ-2, HLJ-3, HN-2, HN-4, HN-5, SZ-1, HZ-1, HZ-2, WL-1, WL-5, D-3. SQLite only.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import typer
from rich.cells import cell_len
from typer.testing import CliRunner, Result

from gongji.cli.common import reported_errors
from gongji.cli.main import app
from gongji.errors import GongjiError
from gongji.policy.book import BUILT_IN

#: Wide enough that no line of the story wraps; no policy folder but the built-in one.
ENV = {"COLUMNS": "250", "GONGJI_POLICY_DIR": None, "GONGJI_DATABASE_URL": None,
       "GONGJI_SECRET_KEY": "demo-test-key"}

runner = CliRunner()


def invoke(*args: str, **env: str | None) -> Result:
    return runner.invoke(app, list(args), env={**ENV, **env}, catch_exceptions=False)


def chapter(output: str, number: int) -> str:
    """The text of one chapter of the story."""
    start = output.index(f"第{number}章")
    end = output.find(f"第{number + 1}章", start)
    return output[start:end if end != -1 else None]


def paid(text: str, who: str, amount: str) -> list[int]:
    """Where in ``text`` a payment line of ``who`` for ``amount`` yuan stands (own account, mutual aid or cash)."""
    return [m.start() for m in re.finditer(rf"{re.escape(who)}[^\n]*?\s{re.escape(amount)}\s*$", text, re.M)]


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    result = invoke("demo", "--database", str(path), "--people", "120", "--seed", "7", "--no-serve")
    assert result.exit_code == 0, result.output
    return path, result.stdout


def test_demo_ends_with_the_ledger_check_ok(demo):
    """N-3: after the whole story every posting balances and no personal account is below zero."""
    _, output = demo
    assert "账本检查通过" in output and "ledger check ok" in output
    assert "合成人口 Synthetic population" in output


def test_demo_harbin_n_10_own_account_then_payer_then_cash(demo):
    """N-10, D-1: 320.50 from her own account, 1800.00 + 1000.00 from her husband's funds, 379.50 in cash."""
    text = chapter(demo[1], 1)
    own, current, prior, cash = (paid(text, "李秀兰 本人账户", "320.50"), paid(text, "王建国 共济", "1800.00"),
                                 paid(text, "王建国 共济", "1000.00"), paid(text, "现金 cash", "379.50"))
    assert own and current and prior and cash
    assert own[0] < current[0] < prior[0] < cash[0]


def test_demo_harbin_hlj_1_hlj_2_hlj_3_refusals(demo):
    """HLJ-1: an 11th binding is refused; HLJ-3: a second payer is refused; HLJ-2, D-4: unbound on 2025-03-10,
    the re-bind is refused with the date it becomes possible (2025-04-09), and on that day it goes through."""
    text = chapter(demo[1], 1)
    assert "TOO_MANY_BENEFICIARIES" in text and "TOO_MANY_PAYERS" in text
    assert "REBIND_TOO_SOON" in text
    assert "该亲属已于 2025-03-10 解除绑定，30 天内不能再次绑定，2025-04-09 起可再次绑定" in text
    assert "binding again is possible from 2025-04-09" in text
    rebound = text.index("2025-04-09  满 30 天")
    assert "生效" in text[rebound:]


def test_demo_harbin_d_3_expired_binding_closed(demo):
    """D-3: the binding that ended on 31 March is closed by the nightly job."""
    assert "系统日终处理：1 条绑定到期自动结束" in chapter(demo[1], 1)


def test_demo_henan_hn_4_hn_2_hn_5(demo):
    """HN-4: equal balances, 陈 (chen) pays before 刘 (liu); then the larger balance pays first.
    HN-2: the suspended payer is skipped. HN-5: a refund after unbinding goes back to the payer."""
    text = chapter(demo[1], 2)
    assert paid(text, "陈志强 共济", "600.00")[0] < paid(text, "刘美华 共济", "300.00")[0]
    assert "未付 not paid: 刘美华，前序账户已付清" in text
    assert "未付 not paid: 陈志强，共济人暂停参保" in text
    assert paid(text, "现金 cash", "100.00")
    assert "↩ 300.00 → 陈志强 共济人账户" in text


def test_demo_shenzhen_sz_1_reserve_line(demo):
    """SZ-1: only the balance above 4200.00 yuan pays; the account stops there and the rest is cash."""
    text = chapter(demo[1], 3)
    assert paid(text, "现金 cash", "700.00")
    assert "余额 4200.00 元" in text


def test_demo_hangzhou_hz_1_hz_2_transfers(demo):
    """HZ-1: no bindings, transfers; HZ-2: not more than the prior-years balance; the daughter pays herself."""
    text = chapter(demo[1], 4)
    assert "BINDING_NOT_OFFERED" in text and "INSUFFICIENT_PRIOR_YEARS" in text
    assert "周晓燕历年账户 6000.00 元" in text
    assert paid(text, "周晓燕 本人账户", "3850.00") and "共济 mutual aid" not in text


def test_demo_ulanqab_wl_1_wl_5_n_4(demo):
    """WL-1: the first in the fixed order pays first, though poorer; WL-5: though suspended.
    N-4: another person's card is refused; the patient's own card with the agent recorded is accepted."""
    text = chapter(demo[1], 5)
    son, daughter = paid(text, "马志刚 共济", "400.00"), paid(text, "马丽娟 共济", "400.00")
    assert son and daughter and son[0] < daughter[0]
    assert "CARD_NOT_PATIENTS" in text
    assert paid(text, "马丽娟 共济", "86.50")


def test_check_and_close_expired_on_the_demo_database(demo):
    """D-3: `gongji close-expired` runs against the demo database; `gongji check` finds the ledger balanced."""
    url = f"sqlite:///{demo[0]}"
    closed = invoke("close-expired", GONGJI_DATABASE_URL=url)
    assert closed.exit_code == 0, closed.output
    assert re.search(r"\d+ 条绑定到期结束", closed.stdout)
    checked = invoke("--database-url", url, "check")
    assert checked.exit_code == 0, checked.output
    assert "ledger check ok" in checked.stdout


def test_the_demo_history_can_be_simulated(demo, tmp_path):
    """The demo's year of history (2024) replays exactly under the current settings in every seed region (N-10,
    HN-4, HN-5, SZ-1, D-1); a lower Shenzhen reserve line pays more mutual aid (SZ-1), never from the pooled fund."""
    url = f"sqlite:///{demo[0]}"
    _, output = demo
    assert "2024 年历史 history" in output
    for region, change in (("23", "max_beneficiaries_per_payer=5"), ("41", "payer_order=priority"),
                           ("4403", "reserve_line_fen=0"), ("15", "reserve_line_fen=100000")):
        result = invoke("--database-url", url, "simulate", "--region", region, "--from", "2024-01-01", "--to",
                        "2024-12-31", "--set", change, "--out", str(tmp_path / region), "--json")
        assert result.exit_code == 0, result.output
        answer = json.loads(result.stdout)
        assert answer["checks"]["baseline_reproduced"] and answer["checks"]["pooled_fund_untouched"]
        assert answer["checks"]["baseline_settlements"] > 0
        if region == "4403":
            assert answer["sides"]["difference"]["mutual_aid_fen"] > 0


def test_demo_never_overwrites_a_file_that_is_not_sqlite(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database", encoding="utf-8")
    result = invoke("demo", "--database", str(notes), "--no-serve")
    assert result.exit_code == 2
    assert "not a SQLite database" in result.stderr
    assert notes.read_text(encoding="utf-8") == "not a database"


def test_check_needs_a_migrated_database_and_db_upgrade_migrates_it(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    before = invoke("--database-url", url, "check")
    assert before.exit_code == 1
    assert "gongji db upgrade" in before.stderr
    assert invoke("--database-url", url, "db", "upgrade").exit_code == 0
    after = invoke("--database-url", url, "check")
    assert after.exit_code == 0, after.output
    assert "ledger check ok" in after.stdout


def table_cell(output: str, row: str, column: str) -> str:
    """The text of a table cell: in the line starting with ``row``, below the header ``column``."""
    lines = output.splitlines()
    header = next(line for line in lines if column in line)
    start = cell_len(header[:header.index(column)])
    line = next(line for line in lines if line.startswith(row))
    position = 0
    for index, char in enumerate(line):
        if position >= start:
            return line[index:].split("  ")[0].strip()
        position += cell_len(char)
    return ""


def test_regions_lists_the_six_policies_with_their_settings():
    """HLJ-1, HLJ-2, HLJ-3 (caps 10 / 1, 30-day wait), SZ-1 (reserve 4200.00), HZ-1 (transfer), WL-1 (priority)."""
    result = invoke("regions")
    assert result.exit_code == 0, result.output
    for name in ("全国默认", "黑龙江省", "河南省", "深圳市", "杭州市", "乌兰察布市"):
        assert name in result.stdout
    out = result.stdout
    assert table_cell(out, "上限 Caps", "黑龙江省") == "10 / 1"
    assert table_cell(out, "等待 Wait", "黑龙江省") == "30 d"
    assert table_cell(out, "上限 Caps", "河南省") == "– / –"
    assert table_cell(out, "保留 Reserve", "深圳市") == "4200.00"
    assert table_cell(out, "模式 Model", "杭州市") == "transfer"
    assert table_cell(out, "顺序 Order", "乌兰察布市") == "priority"
    assert table_cell(out, "前缀 Prefixes", "全国默认") == "*"
    assert re.search(r"深圳市 Shenzhen\s+outpatient, inpatient, supplementary, vaccination", out)


@pytest.mark.parametrize(
    ("line", "key"),
    [('payer_order = "seniority"', "payer_order"), ("reserve_line = 420000", "reserve_line")],
)
def test_regions_with_an_invalid_policy_file_exits_non_zero_naming_file_and_key(tmp_path, line, key):
    """Policy is data, validated at start-up: a bad value or an unknown key stops with the file and the key."""
    shutil.copy(BUILT_IN / "national.toml", tmp_path / "national.toml")
    (tmp_path / "broken.toml").write_text(
        'name = "测试"\nname_en = "Broken"\napplies_to = ["99"]\nallowed_relationships = ["spouse"]\n'
        f'uses_for_relatives = ["outpatient"]\nfunds_for_relatives = ["current_year"]\n{line}\n',
        encoding="utf-8",
    )
    result = invoke("regions", GONGJI_POLICY_DIR=str(tmp_path))
    assert result.exit_code == 2
    assert "broken.toml" in result.stderr and f"key '{key}'" in result.stderr
    assert "Traceback" not in result.output


def test_refusals_print_code_and_both_messages_and_exit_2(capsys):
    """Errors speak to people: `CODE: message` in Chinese and English, exit status 2, no traceback."""
    with pytest.raises(typer.Exit) as info, reported_errors():
        raise GongjiError("SELF_BINDING")
    assert info.value.exit_code == 2
    err = capsys.readouterr().err
    assert "SELF_BINDING: 不能为自己办理共济绑定" in err
    assert "SELF_BINDING: You cannot bind yourself" in err


def test_demo_a_life_lc_1_lc_2_lc_4_lc_5_a_lapse_a_waiting_period_a_move(demo):
    """LC-1, LC-2: contributions through February suspend her from 1 March, and she is told; her own account still
    pays. LC-4: paying again after four months' break restores her with a waiting period to 31 December 2025.
    LC-5: her move to Zhengzhou ends her binding for her mother in Ulanqab, and her mother is told why."""
    text = chapter(demo[1], 6)
    assert "自 2025-03-01 起暂停" in text and "医保待遇暂停：自 2025年3月1日 起" in text
    assert paid(text, "马丽娟 本人账户", "120.00")
    assert "待遇等待期至 2025-12-31" in text and "待遇等待期至 2025年12月31日" in text
    assert "自动解除（不在同一省份）" in text and "家庭共济绑定已解除：马丽娟 的医保个人账户今后不再为您支付" in text
    assert "第7章 账本核对" in demo[1]
