"""agencies: acting for someone (AG-1)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08

``agencies``: a person (the principal) authorizes a relative (the agent) for chosen actions and a period, with the
consent kept as N-7's is (agreement version, time, channel) and, at a counter, the documents checked.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gongji.db.base

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('agencies',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('principal_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('agent_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('relationship', sa.String(length=30), nullable=False),
    sa.Column('actions', sa.String(length=200), nullable=False),
    sa.Column('start_on', sa.Date(), nullable=False),
    sa.Column('end_on', sa.Date(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('agreement_version', sa.String(length=40), nullable=False),
    sa.Column('agreement_accepted_at', gongji.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('operator_kind', sa.String(length=12), nullable=False),
    sa.Column('operator_id', sa.String(length=40), nullable=False),
    sa.Column('documents', sa.JSON(), nullable=False),
    sa.Column('created_at', gongji.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', gongji.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('ended_by_kind', sa.String(length=12), nullable=True),
    sa.Column('ended_by_id', sa.String(length=40), nullable=True),
    sa.CheckConstraint('principal_id <> agent_id', name=op.f('ck_agencies_not_self')),
    sa.CheckConstraint('end_on > start_on', name=op.f('ck_agencies_period')),
    sa.ForeignKeyConstraint(['agent_id'], ['people.id'], name=op.f('fk_agencies_agent_id_people')),
    sa.ForeignKeyConstraint(['principal_id'], ['people.id'], name=op.f('fk_agencies_principal_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agencies'))
    )
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.create_index('ix_agencies_principal', ['principal_id', 'ended_on'], unique=False)
        batch_op.create_index('ix_agencies_agent', ['agent_id', 'ended_on'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.drop_index('ix_agencies_agent')
        batch_op.drop_index('ix_agencies_principal')
    op.drop_table('agencies')
