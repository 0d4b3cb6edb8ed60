"""Loading a month of contributions from the collecting authority's file (LC-1): ``gongji import contributions``,
on the import framework (:mod:`gongji.imports`: CSV or JSON lines, chunks with a checkpoint, the rejected rows'
report, a file loaded once).

Columns (CSV header or JSON keys; Chinese names work too): ``id_number``, ``month`` (YYYY-MM), ``payer_kind``
(``employer`` or ``individual``; empty: employer), ``employer_fen``, ``individual_fen``, ``base_fen`` (whole fen),
``paid_on`` (YYYY-MM-DD). docs/contributions.md shows an example.

Each chunk's rows are checked one by one; those that pass are stored (:func:`gongji.contributions.service.record`,
once per person and month, so loading a file again changes nothing) and the status of the people they concern is
brought up to date, with an event per change. A row that fails loads nothing of itself and is reported with its row
number, the field and the reason; the rest of the file loads. :func:`load_chunk` is shared with the API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from gongji.actors import Actor
from gongji.contributions import service
from gongji.env import Env
from gongji.errors import GongjiError
from gongji.imports.models import ImportRun
from gongji.imports.reading import Field, SourceRow
from gongji.imports.report import Rejection as ReportRejection
from gongji.imports.runner import ChunkOutcome

FIELDS: tuple[Field, ...] = (
    Field("id_number", ("身份证号码", "身份证号", "公民身份号码", "证件号码", "certno", "psn_cert_no"), required=True,
          zh="身份证号码"),
    Field("month", ("费款所属期", "所属期", "缴费月份", "所属月份"), required=True, zh="费款所属期"),
    Field("payer_kind", ("缴费类型", "缴费方式", "缴费主体"), zh="缴费类型"),
    Field("employer_fen", ("单位缴费", "单位缴费金额分", "单位部分"), zh="单位缴费（分）"),
    Field("individual_fen", ("个人缴费", "个人缴费金额分", "个人部分"), zh="个人缴费（分）"),
    Field("base_fen", ("缴费基数", "缴费基数分"), zh="缴费基数（分）"),
    Field("paid_on", ("缴费日期", "到账日期", "实缴日期"), required=True, zh="缴费日期"),
)


@dataclass(frozen=True)
class Rejection:
    row: int
    field: str | None
    code: str
    zh: str
    en: str
    error: GongjiError | None = field(default=None, compare=False, repr=False)

    @classmethod
    def of(cls, row: int, error: GongjiError) -> Rejection:
        named = error.params.get("field") or ("id_number" if error.code in ("INVALID_ID_NUMBER", "PERSON_NOT_FOUND")
                                              else None)
        return cls(row, named, error.code, error.message_zh, error.message_en, error)


@dataclass
class Summary:
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    status_changes: int = 0
    rejections: list[Rejection] = field(default_factory=list)

    @property
    def rows_loaded(self) -> int:
        return self.inserted + self.updated + self.unchanged


def load_chunk(session: Session, env: Env, rows: list[tuple[int, Any]], *, source: str, actor: Actor,
               summary: Summary) -> None:
    """Check, store and apply one chunk of (row number, fields) in the caller's transaction."""
    checked: list[tuple[int, service.Row]] = []
    for number, data in rows:
        try:
            checked.append((number, service.check_row(data, today=env.today())))
        except GongjiError as error:
            summary.rejections.append(Rejection.of(number, error))
    known = service.people_by_id_number(session, [r.id_number for _, r in checked])
    good = []
    for number, row in checked:
        if row.id_number not in known:
            summary.rejections.append(Rejection.of(number, service.unknown_person(row)))
        elif known[row.id_number][1] != "employee":
            summary.rejections.append(Rejection.of(number, GongjiError(
                "INVALID_FIELD", field="id_number", reason_zh="该参保人参加城乡居民医保，职工医保缴费记录不适用",
                reason_en="this person is in resident insurance; employee contributions do not apply")))
        else:
            good.append(row)
    result = service.record(session, env, rows=good, people=known, source=source)
    summary.status_changes += service.refresh(session, env, person_ids=result.person_ids, actor=actor)
    summary.inserted += result.inserted
    summary.updated += result.updated
    summary.unchanged += result.unchanged


class ContributionsLoader:
    """The ``contributions`` kind of :func:`gongji.imports.runner.run_import`."""

    kind = "contributions"
    fields = FIELDS

    def load(self, session: Session, env: Env, rows: list[SourceRow], run: ImportRun) -> ChunkOutcome:
        summary = Summary()
        data = [(row.number, {k: v for k, v in row.values.items() if v is not None}) for row in rows]
        load_chunk(session, env, data, source=f"import:{run.id}", actor=Actor.system("import"), summary=summary)
        outcome = ChunkOutcome(loaded=summary.rows_loaded)
        outcome.rejections.extend(ReportRejection.of(r.row, r.error, r.field) if r.error is not None else
                                  ReportRejection(r.row, r.field, r.code, r.zh, r.en)
                                  for r in sorted(summary.rejections, key=lambda r: r.row))
        return outcome
