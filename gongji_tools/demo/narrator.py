"""How the demo's story is printed: chapters, dated steps, refusals, who paid what, and the population table."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from gongji.clock import FixedClock, today
from gongji.errors import GongjiError
from gongji.money import fen_to_yuan
from gongji.settlement import service as settlement
from gongji_tools.demo.population import CITIES, Population


def yuan(fen: int) -> str:
    return f"{fen_to_yuan(fen)} 元"


def _rule_tags(rules: Sequence[str]) -> Text:
    if not rules:
        return Text()
    return Text.assemble(("  [", "dim"), (", ".join(rules), "bold cyan"), ("]", "dim"))


class Narrator:
    """Prints the story: chapters, dated steps, refusals, settlements. Chinese first, English below.

    Each entry is a two-column grid (the date, then the text), so wrapped lines keep their indent.
    """

    def __init__(self, console: Console, clock: FixedClock) -> None:
        self.console = console
        self.clock = clock

    def _entry(self, left: str, *lines: RenderableType) -> None:
        grid = Table.grid(padding=(0, 2))
        grid.add_column(width=10, no_wrap=True, style="dim")
        grid.add_column(overflow="fold")
        grid.add_row(left, Group(*lines))
        self.console.print(grid)

    def chapter(self, number: int, title_zh: str, title_en: str) -> None:
        self.console.print()
        self.console.rule(Text(f"第{number}章 {title_zh} · Chapter {number}: {title_en}", style="bold"))

    def step(self, zh: str, en: str, rules: Sequence[str] = ()) -> None:
        self._entry(str(today(self.clock)), Text.assemble(zh, _rule_tags(rules)), Text(en, style="italic dim"))

    def ok(self, zh: str, en: str) -> None:
        self._entry("", Text.assemble(("✓ ", "green"), zh), Text(f"  {en}", style="dim"))

    def note(self, zh: str, en: str) -> None:
        self._entry("", Text.assemble(("· ", "dim"), zh), Text(f"  {en}", style="dim"))

    def refused(self, error: GongjiError) -> None:
        self._entry("", Text.assemble(("✗ 拒绝 refused: ", "bold red"), (error.code, "red")),
                    Text(f"  {error.message_zh}"), Text(f"  {error.message_en}", style="dim"))

    def payments(self, result: settlement.SettlementResult) -> None:
        """Who paid what: the own account, the payers in the order they paid, cash; and who did not pay, and why."""
        table = Table(box=None, show_header=False, padding=(0, 1), pad_edge=False)
        table.add_column()
        table.add_column()
        table.add_column(justify="right")
        for line in result.lines:
            who = f"{line.payer_name} 本人账户 own account" if line.is_own else f"{line.payer_name} 共济 mutual aid"
            table.add_row(who, f"{line.fund.zh} {line.fund.en}", fen_to_yuan(line.amount_fen))
        if result.cash_fen:
            table.add_row("现金 cash", "", fen_to_yuan(result.cash_fen))
        lines: list[RenderableType] = [table]
        for skipped in result.skipped:
            lines.append(Text.assemble(("未付 not paid: ", "yellow"), f"{skipped.payer_name}，{skipped.reason_zh}"))
            lines.append(Text(f"  {skipped.reason_en}", style="dim"))
        self._entry("", *lines)

    def rows(self, rows: Sequence[Sequence[str]]) -> None:
        """A small table without borders; the last column (an amount) aligned right."""
        table = Table(box=None, show_header=False, padding=(0, 1), pad_edge=False)
        for index in range(len(rows[0]) if rows else 0):
            table.add_column(justify="right" if index == len(rows[0]) - 1 else "left")
        for row in rows:
            table.add_row(*row)
        self._entry("", table)

    def refund(self, result: settlement.RefundResult) -> None:
        lines = []
        for line in result.lines:
            where = "本人账户 own account" if line.is_own else "共济人账户 payer's account"
            lines.append(Text.assemble(("↩ ", "green"), f"{fen_to_yuan(line.amount_fen)} → {line.payer_name} {where} ",
                                       (line.fund.zh, "dim")))
        if result.cash_fen:
            lines.append(Text(f"↩ {fen_to_yuan(result.cash_fen)} → 现金 cash"))
        self._entry("", *lines)


def print_population(console: Console, population: Population) -> None:
    """A table of who lives where: the synthetic population the story takes place in."""
    table = Table(title="合成人口 Synthetic population", title_justify="left", pad_edge=False)
    table.add_column("统筹区\nRegion", no_wrap=True)
    for header in ("参保人\nPeople", "职工\nEmployees", "退休\nRetired", "居民\nResidents", "定点机构\nInstitutions"):
        table.add_column(header, justify="right")
    everyone = population.people
    for code, (name, _weight) in CITIES.items():
        members = [m for m in everyone if m.region_code == code]
        employees = [m for m in members if m.is_employee]
        table.add_row(f"{code} {name}", str(len(members)), str(len(employees)),
                      str(sum(m.retired for m in employees)), str(len(members) - len(employees)),
                      str(len(population.institutions.get(code, []))))
    console.print(table)
    console.print(Text(
        f"{len(population.households)} 户家庭，{population.bindings} 条共济绑定，{population.families} 个共济家庭，"
        f"{population.transfers} 笔历年资金划转。\n"
        f"{len(population.households)} households, {population.bindings} bindings, {population.families} families, "
        f"{population.transfers} transfers of prior-years funds.", style="dim",
    ))


