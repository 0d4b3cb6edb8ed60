"""The demo's story: a few families in the seed regions, walked through the main rules on a moving clock.

Every step calls the real services in its own transaction and prints who paid what, and why, with
the rule IDs of ``rules.md``. Refusals the story expects are shown with their code and message; a
refusal it does not expect (or a step that should be refused and is not) stops the story with
:class:`StoryError`, so the demo doubles as an end-to-end check.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import TypeVar

from rich.console import Console
from rich.table import Table
from rich.text import Text

from gongji.actors import Actor
from gongji.clock import FixedClock
from gongji.demo.population import PersonSpec
from gongji.errors import GongjiError
from gongji.money import fen_to_yuan
from gongji.settlement import service as settlement

T = TypeVar("T")

#: The day the story begins (a Monday). The population is loaded on this day too.
START = date(2025, 3, 3)
COUNTER = Actor.staff("DEMO-COUNTER")


class StoryError(RuntimeError):
    """The story did not go as written: a rule behaved differently from what the story shows."""


# -- the cast -----------------------------------------------------------------------------------


def _spec(name: str, sex: str, born: str, region: str, scheme: str, *, current: int = 0, prior: int = 0,
          retired: bool = False, base: int | None = None) -> PersonSpec:
    """A cast member; balances are in fen."""
    return PersonSpec(name=name, sex=sex, birth_date=date.fromisoformat(born), region_code=region, scheme=scheme,
                      current_fen=current, prior_fen=prior, retired=retired, contribution_base_fen=base)


E, R = "employee", "resident"

CAST: dict[str, PersonSpec] = {
    # Heilongjiang: 王建国 of Harbin and his relatives in Harbin and Qiqihar.
    "wang": _spec("王建国", "M", "1972-05-18", "230100", E, current=180_000, prior=100_000, base=800_000),
    "wang_father": _spec("王德福", "M", "1946-02-11", "230100", E, current=200_000, prior=600_000, retired=True),
    "wang_mother": _spec("刘秀英", "F", "1949-09-23", "230200", R),
    "wang_wife": _spec("李秀兰", "F", "1974-03-08", "230100", E, current=32_050, base=500_000),
    "wang_son": _spec("王磊", "M", "1998-07-01", "230100", E, current=60_000, base=700_000),
    "wang_daughter": _spec("王静", "F", "2001-11-15", "230100", R),
    "wang_brother": _spec("王建军", "M", "1969-10-01", "230100", E, current=50_000, prior=300_000, base=600_000),
    "wang_sister": _spec("王建红", "F", "1978-04-12", "230200", R),
    "wang_younger_brother": _spec("王建民", "M", "1981-08-20", "230100", R),
    "wang_grandson": _spec("王子轩", "M", "2023-01-09", "230100", R),
    "wang_daughters_child": _spec("陈思雨", "F", "2024-06-30", "230100", R),
    "wang_grandmother": _spec("张桂兰", "F", "1930-12-05", "230200", R),
    # Henan: 陈志强's family in Zhengzhou.
    "chen": _spec("陈志强", "M", "1968-06-06", "410100", E, current=90_000, prior=170_000, base=650_000),
    "chen_father": _spec("陈德明", "M", "1941-01-20", "410100", R),
    "chen_daughter": _spec("陈思琪", "F", "2006-09-01", "410100", R),
    # Shenzhen: 张伟 and 李娜 and their daughter.
    "zhang": _spec("张伟", "M", "1985-02-14", "440300", E, current=100_000, prior=500_000, base=1_500_000),
    "li": _spec("李娜", "F", "1987-07-07", "440300", E, current=100_000, prior=500_000, base=1_300_000),
    "zhang_child": _spec("张小雨", "F", "2015-04-22", "440300", R),
    # Hangzhou: 周建平 and 吴玉珍 and their daughter.
    "zhou": _spec("周建平", "M", "1962-10-10", "330100", E, current=30_000, prior=800_000, retired=True),
    "wu": _spec("吴玉珍", "F", "1964-03-03", "330100", E, current=20_000, prior=250_000, retired=True),
    "zhou_daughter": _spec("周晓燕", "F", "1990-12-12", "330100", E, current=15_000, base=900_000),
    # Ulanqab: 高桂英 and her two children.
    "gao": _spec("高桂英", "F", "1950-08-15", "150900", R),
    "ma_son": _spec("马志刚", "M", "1974-05-05", "150900", E, current=20_000, prior=40_000, base=450_000),
    "ma_daughter": _spec("马丽娟", "F", "1977-09-09", "150900", E, current=100_000, prior=200_000, base=550_000),
}


# -- printing -----------------------------------------------------------------------------------


def yuan(fen: int) -> str:
    return f"{fen_to_yuan(fen)} 元"


def _rule_tags(rules: Iterable[str]) -> Text:
    text = Text()
    for rule in rules:
        text.append(" [", style="dim")
        text.append(rule, style="bold cyan")
        text.append("]", style="dim")
    return text


class Narrator:
    """Prints the story: chapters, dated steps, refusals, settlements. Chinese first, English below."""

    def __init__(self, console: Console, clock: FixedClock) -> None:
        self.console = console
        self.clock = clock

    def chapter(self, number: int, title_zh: str, title_en: str) -> None:
        self.console.print()
        self.console.rule(Text(f"第{number}章 {title_zh} · Chapter {number}: {title_en}", style="bold"))

    def step(self, zh: str, en: str, rules: Sequence[str] = ()) -> None:
        line = Text(f"{self.clock.now().astimezone().date() if False else _today(self.clock)}  ", style="dim")
        line.append(zh)
        line.append_text(_rule_tags(rules))
        self.console.print(line)
        self.console.print(Text(f"            {en}", style="italic dim"))

    def ok(self, zh: str, en: str) -> None:
        self.console.print(Text.assemble(("            ✓ ", "green"), zh, (f"  / {en}", "dim")))

    def note(self, zh: str, en: str) -> None:
        self.console.print(Text.assemble("            ", ("· ", "dim"), zh, (f"  / {en}", "dim")))

    def refused(self, error: GongjiError) -> None:
        self.console.print(Text.assemble(("            ✗ 拒绝 refused ", "bold red"), (error.code, "red")))
        self.console.print(Text(f"              {error.message_zh}"))
        self.console.print(Text(f"              {error.message_en}", style="dim"))

    def payments(self, result: settlement.SettlementResult) -> None:
        table = Table(box=None, show_header=False, padding=(0, 1), pad_edge=False)
        table.add_column(width=12)  # indent
        table.add_column()
        table.add_column()
        table.add_column(justify="right")
        for line in result.lines:
            who = f"{line.payer_name} 本人账户 own account" if line.is_own else f"{line.payer_name} 共济 mutual aid"
            table.add_row("", who, f"{line.fund.zh} {line.fund.en}", fen_to_yuan(line.amount_fen))
        if result.cash_fen:
            table.add_row("", "现金 cash", "", fen_to_yuan(result.cash_fen))
        self.console.print(table)
        for skipped in result.skipped:
            self.console.print(Text.assemble(
                "              ", ("未付 not paid by ", "yellow"), f"{skipped.payer_name}：{skipped.reason_zh}",
                (f" / {skipped.reason_en}", "dim"),
            ))

    def refund(self, result: settlement.RefundResult) -> None:
        for line in result.lines:
            where = "本人账户 own account" if line.is_own else "共济人账户 payer's account"
            self.console.print(Text.assemble(
                ("            ↩ ", "green"), f"{fen_to_yuan(line.amount_fen)} → {line.payer_name} {where} ",
                (f"{line.fund.zh} {line.fund.en}", "dim"),
            ))
        if result.cash_fen:
            self.console.print(Text(f"            ↩ {fen_to_yuan(result.cash_fen)} → 现金 cash"))


def _today(clock: FixedClock) -> date:
    from gongji.clock import today

    return today(clock)
