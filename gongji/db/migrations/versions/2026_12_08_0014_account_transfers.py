"""account transfers between provinces

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08

``account_transfers``: 转移接续 (LC-7), a personal-account balance carried to the instance of the province a person
moved to, one row on each side under the same ``transfer_no``, sent through the federation outbox.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gongji.db.base

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('account_transfers',
    sa.Column('id', _ID, nullable=False),
    sa.Column('transfer_no', sa.String(length=60), nullable=False),
    sa.Column('direction', sa.String(length=5), nullable=False),
    sa.Column('counterpart_province', sa.String(length=2), nullable=False),
    sa.Column('life_event_id', _ID, nullable=True),
    sa.Column('person_id', _ID, nullable=True),
    sa.Column('id_number', sa.String(length=18), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('from_region_code', sa.String(length=6), nullable=False),
    sa.Column('to_region_code', sa.String(length=6), nullable=False),
    sa.Column('current_year_fen', sa.BigInteger(), nullable=False),
    sa.Column('prior_years_fen', sa.BigInteger(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('moved_on', sa.Date(), nullable=False),
    sa.Column('sent_at', gongji.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('settled_at', gongji.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('out_entry_id', _ID, nullable=True),
    sa.Column('arrive_entry_id', _ID, nullable=True),
    sa.Column('return_entry_id', _ID, nullable=True),
    sa.Column('refusal_code', sa.String(length=40), nullable=True),
    sa.Column('refusal_zh', sa.String(length=400), nullable=True),
    sa.Column('refusal_en', sa.String(length=400), nullable=True),
    sa.CheckConstraint("direction IN ('out', 'in')", name=op.f('ck_account_transfers_direction_known')),
    sa.CheckConstraint("state IN ('sent', 'arrived', 'refused')", name=op.f('ck_account_transfers_state_known')),
    sa.CheckConstraint('amount_fen > 0 AND current_year_fen >= 0 AND prior_years_fen >= 0 '
                       'AND amount_fen = current_year_fen + prior_years_fen',
                       name=op.f('ck_account_transfers_amount_is_both_funds')),
    sa.ForeignKeyConstraint(['life_event_id'], ['life_events.id'],
                            name=op.f('fk_account_transfers_life_event_id_life_events')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_account_transfers_person_id_people')),
    sa.ForeignKeyConstraint(['out_entry_id'], ['ledger_entries.id'],
                            name=op.f('fk_account_transfers_out_entry_id_ledger_entries')),
    sa.ForeignKeyConstraint(['arrive_entry_id'], ['ledger_entries.id'],
                            name=op.f('fk_account_transfers_arrive_entry_id_ledger_entries')),
    sa.ForeignKeyConstraint(['return_entry_id'], ['ledger_entries.id'],
                            name=op.f('fk_account_transfers_return_entry_id_ledger_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_transfers')),
    sa.UniqueConstraint('transfer_no', name=op.f('uq_account_transfers_transfer_no')),
    sa.UniqueConstraint('life_event_id', name=op.f('uq_account_transfers_life_event_id')),
    )
    with op.batch_alter_table('account_transfers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_transfers_person_id'), ['person_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('account_transfers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_transfers_person_id'))
    op.drop_table('account_transfers')
