"""federation

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24

Provinces as instances (HN-9): ``federation_outbox`` and ``federation_inbox`` (messages between instances, stored
before they are sent and on arrival); wallet transfers across provinces: ``wallet_transfers.direction`` (``local``,
``out`` in the payer's instance, ``in`` in the relative's), the other side's province, both sides' ID numbers (the
other side's person is not a row here), the arrival entry and the reason of a refusal.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gongji.db.base

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
NEW_CHECKS = {
    'direction_known': "direction IN ('local', 'out', 'in')",
    'counterpart_iff_across': "(direction = 'local') = (counterpart_province IS NULL)",
    'payer_here_unless_in': "direction = 'in' OR payer_id IS NOT NULL",
    'payer_elsewhere_if_in': "direction <> 'in' OR payer_id IS NULL",
    'beneficiary_here_unless_out': ("direction = 'out' OR state = 'refused' "
                                    "OR (beneficiary_id IS NOT NULL AND wallet_id IS NOT NULL)"),
    'beneficiary_elsewhere_if_out': "direction <> 'out' OR (beneficiary_id IS NULL AND wallet_id IS NULL)",
    'refused_iff_refusal_code': "(state = 'refused') = (refusal_code IS NOT NULL)",
    'local_never_refused': "direction <> 'local' OR state <> 'refused'",
}
FUNDS_OLD = 'current_year_fen >= 0 AND prior_years_fen >= 0 AND current_year_fen + prior_years_fen = amount_fen'
FUNDS_NEW = ("current_year_fen >= 0 AND prior_years_fen >= 0 "
             "AND (direction = 'in' OR current_year_fen + prior_years_fen = amount_fen)")


def upgrade() -> None:
    op.create_table('federation_outbox',
    sa.Column('id', BigId, nullable=False),
    sa.Column('message_id', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('destination', sa.String(length=8), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('created_at', gongji.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', gongji.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('acked_at', gongji.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_federation_outbox_attempts_not_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_federation_outbox')),
    sa.UniqueConstraint('message_id', name=op.f('uq_federation_outbox_message_id'))
    )
    op.create_index('ix_federation_outbox_waiting', 'federation_outbox', ['acked_at', 'next_attempt_at'])
    op.create_table('federation_inbox',
    sa.Column('message_id', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('destination', sa.String(length=8), nullable=False),
    sa.Column('sender', sa.String(length=8), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('received_at', gongji.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('outcome', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('message_id', name=op.f('pk_federation_inbox'))
    )

    with op.batch_alter_table('wallet_transfers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('direction', sa.String(length=5), server_default='local', nullable=False))
        batch_op.add_column(sa.Column('counterpart_province', sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column('payer_id_number', sa.String(length=18), nullable=True))
        batch_op.add_column(sa.Column('payer_name', sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column('beneficiary_id_number', sa.String(length=18), nullable=True))
        batch_op.add_column(sa.Column('beneficiary_region_code', sa.String(length=6), nullable=True))
        batch_op.add_column(sa.Column('arrive_entry_id', BigId, nullable=True))
        batch_op.add_column(sa.Column('refusal_code', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('refusal_zh', sa.String(length=400), nullable=True))
        batch_op.add_column(sa.Column('refusal_en', sa.String(length=400), nullable=True))
    # The transfers made before: both sides are people of this instance.
    op.execute("UPDATE wallet_transfers SET "
               "payer_id_number = (SELECT p.id_number FROM people p WHERE p.id = wallet_transfers.payer_id), "
               "payer_name = (SELECT p.name FROM people p WHERE p.id = wallet_transfers.payer_id), "
               "beneficiary_id_number = (SELECT p.id_number FROM people p WHERE p.id = wallet_transfers.beneficiary_id), "
               "beneficiary_region_code = (SELECT w.region_code FROM wallets w WHERE w.id = wallet_transfers.wallet_id)")
    with op.batch_alter_table('wallet_transfers', schema=None) as batch_op:
        batch_op.alter_column('payer_id_number', existing_type=sa.String(length=18), nullable=False)
        batch_op.alter_column('payer_name', existing_type=sa.String(length=50), nullable=False)
        batch_op.alter_column('beneficiary_id_number', existing_type=sa.String(length=18), nullable=False)
        batch_op.alter_column('payer_id', existing_type=BigId, nullable=True)
        batch_op.alter_column('beneficiary_id', existing_type=BigId, nullable=True)
        batch_op.alter_column('wallet_id', existing_type=BigId, nullable=True)
        batch_op.create_foreign_key(batch_op.f('fk_wallet_transfers_arrive_entry_id_ledger_entries'),
                                    'ledger_entries', ['arrive_entry_id'], ['id'])
        batch_op.drop_constraint(op.f('ck_wallet_transfers_funds_add_up'), type_='check')
        batch_op.create_check_constraint(op.f('ck_wallet_transfers_funds_add_up'), FUNDS_NEW)
        for name, condition in NEW_CHECKS.items():
            batch_op.create_check_constraint(op.f(f'ck_wallet_transfers_{name}'), condition)


def downgrade() -> None:
    op.execute("DELETE FROM wallet_transfers WHERE direction <> 'local'")
    with op.batch_alter_table('wallet_transfers', schema=None) as batch_op:
        for name in NEW_CHECKS:
            batch_op.drop_constraint(op.f(f'ck_wallet_transfers_{name}'), type_='check')
        batch_op.drop_constraint(op.f('ck_wallet_transfers_funds_add_up'), type_='check')
        batch_op.create_check_constraint(op.f('ck_wallet_transfers_funds_add_up'), FUNDS_OLD)
        batch_op.drop_constraint(batch_op.f('fk_wallet_transfers_arrive_entry_id_ledger_entries'), type_='foreignkey')
        batch_op.alter_column('wallet_id', existing_type=BigId, nullable=False)
        batch_op.alter_column('beneficiary_id', existing_type=BigId, nullable=False)
        batch_op.alter_column('payer_id', existing_type=BigId, nullable=False)
        for column in ('refusal_en', 'refusal_zh', 'refusal_code', 'arrive_entry_id', 'beneficiary_region_code',
                       'beneficiary_id_number', 'payer_name', 'payer_id_number', 'counterpart_province', 'direction'):
            batch_op.drop_column(column)
    op.drop_table('federation_inbox')
    op.drop_index('ix_federation_outbox_waiting', table_name='federation_outbox')
    op.drop_table('federation_outbox')
