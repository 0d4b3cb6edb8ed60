"""audit chain

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23

The audit trail (gongji/events/audit.py): ``audit_chain`` links every event, in the order it was sealed, to the
SHA-256 of the link before it and the event's every column. The database refuses to change or delete an event or
a link, as it already refuses it for postings and ledger entries (migration 0001): on PostgreSQL with the same
row trigger function, ``gongji_append_only()``; on SQLite with a trigger per table and action. Nothing in Gongji
updates or deletes either table. ``TRUNCATE`` (PostgreSQL) fires no row trigger: the tests empty their tables with
it, and an operator who keeps the chain's head elsewhere still detects it (docs/audit.md).
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gongji.db.base

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Tables the database keeps append-only from this revision on (postings and ledger_entries are since 0001).
APPEND_ONLY = ("events", "audit_chain")


def upgrade() -> None:
    op.create_table('audit_chain',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('event_id', sa.BigInteger(), nullable=False),
    sa.Column('hash', sa.CHAR(length=64), nullable=False),
    sa.Column('sealed_at', gongji.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('seq >= 1', name=op.f('ck_audit_chain_seq_positive')),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_audit_chain_event_id_events')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_chain')),
    sa.UniqueConstraint('event_id', name=op.f('uq_audit_chain_event_id'))
    )
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY:  # gongji_append_only() is from migration 0001
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION gongji_append_only()")
    else:
        for table in APPEND_ONLY:
            for action in ("UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                           f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END")


def downgrade() -> None:
    for table in APPEND_ONLY:
        if op.get_bind().dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        else:
            for action in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action}")
    op.drop_table('audit_chain')
