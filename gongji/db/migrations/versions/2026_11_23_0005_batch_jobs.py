"""batch jobs

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23

What the batch jobs remember (gongji/batch): a run of a job for a period with the id range and chunk size it was
cut into, and every chunk that is done, written in the chunk's own transaction. A chunk's primary key (job,
period, chunk) lets it be done once per period.

On PostgreSQL the personal accounts' rows leave room in their pages (fillfactor 60): a balance changes with every
settlement, and a monthly credit or the year-end roll-over changes a million of them at once. With room in the
page PostgreSQL updates a row in place (a HOT update: no new index entries), which is most of the cost of such an
update otherwise. New pages get the room; existing ones as they are rewritten.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gongji.db.base

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Percent of each page of ``accounts`` that new rows fill (PostgreSQL); the rest is room for updated rows.
ACCOUNTS_FILLFACTOR = 60


def upgrade() -> None:
    op.create_table('batch_runs',
    sa.Column('job', sa.String(length=30), nullable=False),
    sa.Column('period', sa.String(length=10), nullable=False),
    sa.Column('chunk_size', sa.Integer(), nullable=False),
    sa.Column('first_id', sa.BigInteger(), nullable=False),
    sa.Column('last_id', sa.BigInteger(), nullable=False),
    sa.Column('started_at', gongji.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', gongji.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('chunk_size >= 1', name=op.f('ck_batch_runs_chunk_size')),
    sa.PrimaryKeyConstraint('job', 'period', name=op.f('pk_batch_runs'))
    )
    op.create_table('batch_chunks',
    sa.Column('job', sa.String(length=30), nullable=False),
    sa.Column('period', sa.String(length=10), nullable=False),
    sa.Column('chunk', sa.Integer(), nullable=False),
    sa.Column('first_id', sa.BigInteger(), nullable=False),
    sa.Column('last_id', sa.BigInteger(), nullable=False),
    sa.Column('rows', sa.BigInteger(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('entry_ids', sa.JSON(), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('done_at', gongji.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('first_id <= last_id', name=op.f('ck_batch_chunks_id_range')),
    sa.ForeignKeyConstraint(['job', 'period'], ['batch_runs.job', 'batch_runs.period'],
                            name=op.f('fk_batch_chunks_job_batch_runs')),
    sa.PrimaryKeyConstraint('job', 'period', 'chunk', name=op.f('pk_batch_chunks'))
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE accounts SET (fillfactor = {ACCOUNTS_FILLFACTOR})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE accounts RESET (fillfactor)")
    op.drop_table('batch_chunks')
    op.drop_table('batch_runs')
