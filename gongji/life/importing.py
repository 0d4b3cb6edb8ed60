"""``gongji import life-events``: deaths, moves and changes of scheme from the insurer's files (LC-5).

A month's file has thousands of rows, not millions: each row goes through :func:`gongji.life.service.record`
(all its checks, the bindings it ends, the notifications) inside a savepoint, so that a row refused halfway loads
nothing of itself and the chunk goes on. The same event (person, kind, day) in a later file changes nothing.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from gongji.actors import Actor
from gongji.env import Env
from gongji.errors import GongjiError
from gongji.imports.models import ImportRun
from gongji.imports.reading import Field, SourceRow, fold
from gongji.imports.report import Rejection
from gongji.imports.runner import ChunkOutcome
from gongji.life import service as life

FIELDS = (
    Field("id_number", ("身份证号码", "身份证号", "公民身份号码", "证件号码", "certno", "psn_cert_no"), required=True,
          zh="身份证号码"),
    Field("kind", ("事件", "事件类型", "变更类型"), required=True, zh="事件类型"),
    Field("occurred_on", ("发生日期", "变更日期", "死亡日期", "迁移日期"), required=True, zh="发生日期"),
    Field("to_region_code", ("迁入地", "迁入地统筹区", "迁入地统筹区代码"), zh="迁入地统筹区代码"),
    Field("to_scheme", ("新险种", "变更后险种"), zh="新险种"),
    Field("note", ("备注", "说明"), zh="备注"),
)
_KINDS = {"death": "death", "死亡": "death", "move": "move", "迁移": "move", "迁出": "move", "转移接续": "move",
          "schemechange": "scheme_change", "变更险种": "scheme_change", "险种变更": "scheme_change"}
_SCHEMES = {"employee": "employee", "职工": "employee", "职工医保": "employee", "310": "employee",
            "resident": "resident", "居民": "resident", "居民医保": "resident", "城乡居民医保": "resident",
            "390": "resident"}


class LifeEventLoader:
    kind = "life_events"
    fields = FIELDS

    def load(self, session: Session, env: Env, rows: list[SourceRow], run: ImportRun) -> ChunkOutcome:
        outcome = ChunkOutcome()
        actor = Actor.system("import")
        for row in rows:
            v = row.values
            try:
                with session.begin_nested():
                    kind = _KINDS.get(fold(str(v.get("kind") or "")), v.get("kind"))
                    scheme = v.get("to_scheme")
                    done = life.record(
                        session, env, id_number=v.get("id_number"), kind=kind or "",
                        occurred_on=str(v.get("occurred_on") or "").replace("/", "-"),
                        to_region_code=v.get("to_region_code"),
                        to_scheme=_SCHEMES.get(fold(str(scheme)), scheme) if scheme is not None else None,
                        note=v.get("note"), actor=actor, import_run_id=run.id)
            except GongjiError as error:
                outcome.rejections.append(Rejection.of(row.number, error))
                continue
            outcome.loaded += 1 if done.created else 0
        return outcome


