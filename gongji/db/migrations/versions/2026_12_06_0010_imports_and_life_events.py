"""imports and life events

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06

Loading files (``gongji import``): ``import_runs`` (one per file and kind, with the checkpoint a crashed run resumes
from) and ``import_rejections`` (the rows that loaded nothing, with field and reason). ``life_events``: death, a move
to another pooling area, a change of scheme, each recorded once per person, kind and day (LC-5, LC-7).
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gongji.db.base

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('import_runs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('file_name', sa.String(length=200), nullable=False),
    sa.Column('file_sha256', sa.String(length=64), nullable=False),
    sa.Column('file_bytes', sa.BigInteger(), nullable=False),
    sa.Column('rows_read', sa.BigInteger(), nullable=False),
    sa.Column('rows_loaded', sa.BigInteger(), nullable=False),
    sa.Column('rows_rejected', sa.BigInteger(), nullable=False),
    sa.Column('chunks', sa.Integer(), nullable=False),
    sa.Column('operator_kind', sa.String(length=12), nullable=False),
    sa.Column('operator_id', sa.String(length=40), nullable=False),
    sa.Column('started_at', gongji.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', gongji.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', gongji.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('rows_loaded + rows_rejected <= rows_read', name=op.f('ck_import_runs_counts_add_up')),
    sa.CheckConstraint('rows_read >= 0 AND rows_loaded >= 0 AND rows_rejected >= 0', name=op.f('ck_import_runs_counts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_runs'))
    )
    with op.batch_alter_table('import_runs', schema=None) as batch_op:
        batch_op.create_index('ix_import_runs_file', ['kind', 'file_sha256'], unique=False)

    op.create_table('import_rejections',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('row_number', sa.BigInteger(), nullable=False),
    sa.Column('field', sa.String(length=60), nullable=True),
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('message_zh', sa.String(length=500), nullable=False),
    sa.Column('message_en', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['import_runs.id'], name=op.f('fk_import_rejections_run_id_import_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_rejections'))
    )
    with op.batch_alter_table('import_rejections', schema=None) as batch_op:
        batch_op.create_index('ix_import_rejections_run_row', ['run_id', 'row_number'], unique=False)

    op.create_table('life_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('to_region_code', sa.String(length=6), nullable=True),
    sa.Column('to_scheme', sa.String(length=10), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('recorded_at', gongji.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_kind', sa.String(length=12), nullable=False),
    sa.Column('actor_id', sa.String(length=40), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('import_run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.CheckConstraint("(kind = 'move') = (to_region_code IS NOT NULL)", name=op.f('ck_life_events_move_has_region')),
    sa.CheckConstraint("(kind = 'scheme_change') = (to_scheme IS NOT NULL)", name=op.f('ck_life_events_change_has_scheme')),
    sa.CheckConstraint("kind IN ('death', 'move', 'scheme_change')", name=op.f('ck_life_events_kind')),
    sa.ForeignKeyConstraint(['import_run_id'], ['import_runs.id'], name=op.f('fk_life_events_import_run_id_import_runs')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_life_events_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_life_events')),
    sa.UniqueConstraint('person_id', 'kind', 'occurred_on', name=op.f('uq_life_events_person_id_kind_occurred_on'))
    )
    with op.batch_alter_table('life_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_life_events_person_id'), ['person_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('life_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_life_events_person_id'))

    op.drop_table('life_events')
    with op.batch_alter_table('import_rejections', schema=None) as batch_op:
        batch_op.drop_index('ix_import_rejections_run_row')

    op.drop_table('import_rejections')
    with op.batch_alter_table('import_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_import_runs_file')

    op.drop_table('import_runs')
