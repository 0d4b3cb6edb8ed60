"""wallet

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24

The medical insurance wallet (医保钱包, WAL-1..WAL-4): ``wallets`` (one per holder, its money a ledger account of
fund ``wallet`` with a kept balance) and ``wallet_transfers`` (sent from the payer's personal account to the pending
system account, then accepted into the wallet or returned to the payer).
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gongji.db.base

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('wallets',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('opened_at', gongji.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', gongji.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.CheckConstraint("(status = 'closed') = (closed_at IS NOT NULL)", name=op.f('ck_wallets_closed_iff_closed_at')),
    sa.CheckConstraint("status IN ('open', 'closed')", name=op.f('ck_wallets_status_known')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_wallets_account_id_accounts')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_wallets_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wallets')),
    sa.UniqueConstraint('account_id', name=op.f('uq_wallets_account_id')),
    sa.UniqueConstraint('person_id', name=op.f('uq_wallets_person_id'))
    )
    op.create_table('wallet_transfers',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('transfer_no', sa.String(length=60), nullable=False),
    sa.Column('payer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('beneficiary_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('wallet_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('relationship', sa.String(length=30), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('current_year_fen', sa.BigInteger(), nullable=False),
    sa.Column('prior_years_fen', sa.BigInteger(), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('sent_at', gongji.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_on', sa.Date(), nullable=False),
    sa.Column('return_due_at', gongji.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', gongji.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('returned_at', gongji.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('send_entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('accept_entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('return_entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('operator_kind', sa.String(length=12), nullable=False),
    sa.Column('operator_id', sa.String(length=40), nullable=False),
    sa.CheckConstraint("(state = 'accepted') = (accepted_at IS NOT NULL)", name=op.f('ck_wallet_transfers_accepted_iff_accepted_at')),
    sa.CheckConstraint("(state IN ('returned', 'refused')) = (returned_at IS NOT NULL)", name=op.f('ck_wallet_transfers_returned_iff_returned_at')),
    sa.CheckConstraint("state IN ('sent', 'accepted', 'returned', 'refused')", name=op.f('ck_wallet_transfers_state_known')),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_wallet_transfers_amount_positive')),
    sa.CheckConstraint('current_year_fen >= 0 AND prior_years_fen >= 0 AND current_year_fen + prior_years_fen = amount_fen', name=op.f('ck_wallet_transfers_funds_add_up')),
    sa.ForeignKeyConstraint(['accept_entry_id'], ['ledger_entries.id'], name=op.f('fk_wallet_transfers_accept_entry_id_ledger_entries')),
    sa.ForeignKeyConstraint(['beneficiary_id'], ['people.id'], name=op.f('fk_wallet_transfers_beneficiary_id_people')),
    sa.ForeignKeyConstraint(['payer_id'], ['people.id'], name=op.f('fk_wallet_transfers_payer_id_people')),
    sa.ForeignKeyConstraint(['return_entry_id'], ['ledger_entries.id'], name=op.f('fk_wallet_transfers_return_entry_id_ledger_entries')),
    sa.ForeignKeyConstraint(['send_entry_id'], ['ledger_entries.id'], name=op.f('fk_wallet_transfers_send_entry_id_ledger_entries')),
    sa.ForeignKeyConstraint(['wallet_id'], ['wallets.id'], name=op.f('fk_wallet_transfers_wallet_id_wallets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wallet_transfers')),
    sa.UniqueConstraint('transfer_no', name=op.f('uq_wallet_transfers_transfer_no'))
    )
    with op.batch_alter_table('wallet_transfers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wallet_transfers_beneficiary_id'), ['beneficiary_id'], unique=False)
        batch_op.create_index('ix_wallet_transfers_payer_id_sent_on', ['payer_id', 'sent_on'], unique=False)
        batch_op.create_index('ix_wallet_transfers_state_return_due_at', ['state', 'return_due_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('wallet_transfers', schema=None) as batch_op:
        batch_op.drop_index('ix_wallet_transfers_state_return_due_at')
        batch_op.drop_index('ix_wallet_transfers_payer_id_sent_on')
        batch_op.drop_index(batch_op.f('ix_wallet_transfers_beneficiary_id'))

    op.drop_table('wallet_transfers')
    op.drop_table('wallets')
