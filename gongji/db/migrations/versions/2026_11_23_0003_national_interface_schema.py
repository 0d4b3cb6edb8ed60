"""national interface schema

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

What the national platform interface keeps: answered messages (by msgid), sign-ins, visits, fee details,
settlements as the standard reports them, and each person's yearly use of the pooled fund.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gongji.db.base

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('ni_sign_ins',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('sign_no', sa.String(length=30), nullable=False),
    sa.Column('institution_code', sa.String(length=30), nullable=False),
    sa.Column('opter_no', sa.String(length=20), nullable=False),
    sa.Column('ip', sa.String(length=20), nullable=True),
    sa.Column('mac', sa.String(length=20), nullable=True),
    sa.Column('signed_in_at', gongji.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('signed_out_at', gongji.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ni_sign_ins')),
    sa.UniqueConstraint('sign_no', name=op.f('uq_ni_sign_ins_sign_no'))
    )
    op.create_table('ni_fund_years',
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('deductible_used_fen', sa.BigInteger(), nullable=False),
    sa.Column('fund_paid_fen', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('deductible_used_fen >= 0 AND fund_paid_fen >= 0', name=op.f('ck_ni_fund_years_not_negative')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_ni_fund_years_person_id_people')),
    sa.PrimaryKeyConstraint('person_id', 'year', name=op.f('pk_ni_fund_years'))
    )
    op.create_table('ni_messages',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('institution_code', sa.String(length=30), nullable=False),
    sa.Column('msgid', sa.String(length=30), nullable=False),
    sa.Column('infno', sa.String(length=6), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=True),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('inf_refmsgid', sa.String(length=30), nullable=True),
    sa.Column('refmsg_time', sa.String(length=17), nullable=True),
    sa.Column('respond_time', sa.String(length=17), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('received_at', gongji.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reversed_at', gongji.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reversed_by', sa.String(length=30), nullable=True),
    sa.Column('visit_id', sa.BigInteger(), nullable=True),
    sa.Column('settlement_id', sa.BigInteger(), nullable=True),
    sa.CheckConstraint("status IN ('answered', 'reversed')", name=op.f('ck_ni_messages_status')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_ni_messages_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ni_messages')),
    sa.UniqueConstraint('institution_code', 'msgid', name=op.f('uq_ni_messages_institution_code_msgid'))
    )
    op.create_table('ni_visits',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('institution_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('ipt_otp_no', sa.String(length=30), nullable=True),
    sa.Column('insutype', sa.String(length=6), nullable=False),
    sa.Column('med_type', sa.String(length=6), nullable=True),
    sa.Column('mdtrt_cert_type', sa.String(length=3), nullable=False),
    sa.Column('mdtrt_cert_no', sa.String(length=50), nullable=False),
    sa.Column('begntime', gongji.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('dise_codg', sa.String(length=30), nullable=True),
    sa.Column('dise_name', sa.String(length=500), nullable=True),
    sa.Column('dept_code', sa.String(length=30), nullable=True),
    sa.Column('dept_name', sa.String(length=100), nullable=True),
    sa.Column('atddr_no', sa.String(length=30), nullable=True),
    sa.Column('dr_name', sa.String(length=50), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('msgid', sa.String(length=30), nullable=False),
    sa.Column('created_at', gongji.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('outpatient', 'pharmacy')", name=op.f('ck_ni_visits_kind')),
    sa.CheckConstraint("status IN ('open', 'cancelled')", name=op.f('ck_ni_visits_status')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_ni_visits_institution_id_institutions')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_ni_visits_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ni_visits'))
    )
    with op.batch_alter_table('ni_visits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ni_visits_person_id'), ['person_id'], unique=False)
        batch_op.create_index('ux_ni_visits_open_number', ['institution_id', 'ipt_otp_no'], unique=True, sqlite_where=sa.text("status = 'open' AND ipt_otp_no IS NOT NULL"), postgresql_where=sa.text("status = 'open' AND ipt_otp_no IS NOT NULL"))

    op.create_table('ni_settlements',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('institution_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('visit_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('cancels_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('cancelled_by_id', sa.BigInteger(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('msgid', sa.String(length=30), nullable=False),
    sa.Column('insutype', sa.String(length=6), nullable=False),
    sa.Column('med_type', sa.String(length=6), nullable=False),
    sa.Column('clr_type', sa.String(length=6), nullable=False),
    sa.Column('clr_optins', sa.String(length=6), nullable=False),
    sa.Column('psn_setlway', sa.String(length=6), nullable=True),
    sa.Column('acct_used_flag', sa.String(length=1), nullable=False),
    sa.Column('mdtrt_cert_type', sa.String(length=3), nullable=False),
    sa.Column('chrg_bchno', sa.String(length=30), nullable=True),
    sa.Column('invono', sa.String(length=20), nullable=True),
    sa.Column('medfee_fen', sa.BigInteger(), nullable=False),
    sa.Column('fulamt_ownpay_fen', sa.BigInteger(), nullable=False),
    sa.Column('overlmt_selfpay_fen', sa.BigInteger(), nullable=False),
    sa.Column('preselfpay_fen', sa.BigInteger(), nullable=False),
    sa.Column('inscp_scp_fen', sa.BigInteger(), nullable=False),
    sa.Column('act_pay_dedc_fen', sa.BigInteger(), nullable=False),
    sa.Column('hifp_pay_fen', sa.BigInteger(), nullable=False),
    sa.Column('pool_ratio_permille', sa.Integer(), nullable=False),
    sa.Column('fund_cap_left_fen', sa.BigInteger(), nullable=False),
    sa.Column('fund_pay_fen', sa.BigInteger(), nullable=False),
    sa.Column('psn_part_fen', sa.BigInteger(), nullable=False),
    sa.Column('acct_pay_fen', sa.BigInteger(), nullable=False),
    sa.Column('acct_mulaid_fen', sa.BigInteger(), nullable=False),
    sa.Column('psn_cash_fen', sa.BigInteger(), nullable=False),
    sa.Column('hosp_part_fen', sa.BigInteger(), nullable=False),
    sa.Column('balc_fen', sa.BigInteger(), nullable=False),
    sa.Column('core_settlement_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('core_refund_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('fund_entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('setl_time', gongji.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('setl_on', sa.Date(), nullable=False),
    sa.CheckConstraint("(kind = 'settlement' AND medfee_fen >= 0 AND fund_pay_fen >= 0 AND acct_pay_fen >= 0  AND psn_cash_fen >= 0 AND acct_mulaid_fen >= 0 AND acct_mulaid_fen <= acct_pay_fen) OR (kind = 'cancellation' AND medfee_fen <= 0 AND fund_pay_fen <= 0 AND acct_pay_fen <= 0 AND psn_cash_fen <= 0 AND acct_mulaid_fen <= 0 AND acct_mulaid_fen >= acct_pay_fen)", name=op.f('ck_ni_settlements_signs')),
    sa.CheckConstraint("kind IN ('settlement', 'cancellation')", name=op.f('ck_ni_settlements_kind')),
    sa.CheckConstraint("status IN ('settled', 'cancelled')", name=op.f('ck_ni_settlements_status')),
    sa.CheckConstraint('medfee_fen = fulamt_ownpay_fen + overlmt_selfpay_fen + preselfpay_fen + inscp_scp_fen', name=op.f('ck_ni_settlements_scope_adds_up')),
    sa.CheckConstraint('medfee_fen = fund_pay_fen + psn_part_fen + hosp_part_fen', name=op.f('ck_ni_settlements_medfee_adds_up')),
    sa.CheckConstraint('psn_part_fen = acct_pay_fen + psn_cash_fen', name=op.f('ck_ni_settlements_person_part_adds_up')),
    sa.ForeignKeyConstraint(['cancels_id'], ['ni_settlements.id'], name=op.f('fk_ni_settlements_cancels_id_ni_settlements')),
    sa.ForeignKeyConstraint(['core_refund_id'], ['refunds.id'], name=op.f('fk_ni_settlements_core_refund_id_refunds')),
    sa.ForeignKeyConstraint(['core_settlement_id'], ['settlements.id'], name=op.f('fk_ni_settlements_core_settlement_id_settlements')),
    sa.ForeignKeyConstraint(['fund_entry_id'], ['ledger_entries.id'], name=op.f('fk_ni_settlements_fund_entry_id_ledger_entries')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_ni_settlements_institution_id_institutions')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_ni_settlements_person_id_people')),
    sa.ForeignKeyConstraint(['visit_id'], ['ni_visits.id'], name=op.f('fk_ni_settlements_visit_id_ni_visits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ni_settlements'))
    )
    with op.batch_alter_table('ni_settlements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ni_settlements_person_id'), ['person_id'], unique=False)
        batch_op.create_index('ix_ni_settlements_reconciliation', ['institution_id', 'setl_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_ni_settlements_visit_id'), ['visit_id'], unique=False)

    op.create_table('ni_fee_details',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('visit_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('feedetl_sn', sa.String(length=30), nullable=False),
    sa.Column('chrg_bchno', sa.String(length=30), nullable=True),
    sa.Column('rxno', sa.String(length=30), nullable=True),
    sa.Column('fee_ocur_time', gongji.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('med_list_codg', sa.String(length=50), nullable=False),
    sa.Column('medins_list_codg', sa.String(length=150), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('cnt', sa.Numeric(precision=16, scale=4), nullable=False),
    sa.Column('pric', sa.Numeric(precision=16, scale=6), nullable=False),
    sa.Column('settlement_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('msgid', sa.String(length=30), nullable=False),
    sa.CheckConstraint('amount_fen >= 0', name=op.f('ck_ni_fee_details_amount_not_negative')),
    sa.ForeignKeyConstraint(['settlement_id'], ['ni_settlements.id'], name=op.f('fk_ni_fee_details_settlement_id_ni_settlements')),
    sa.ForeignKeyConstraint(['visit_id'], ['ni_visits.id'], name=op.f('fk_ni_fee_details_visit_id_ni_visits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ni_fee_details')),
    sa.UniqueConstraint('visit_id', 'feedetl_sn', name=op.f('uq_ni_fee_details_visit_id_feedetl_sn'))
    )
    with op.batch_alter_table('ni_fee_details', schema=None) as batch_op:
        batch_op.create_index('ix_ni_fee_details_batch', ['visit_id', 'chrg_bchno'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('ni_fee_details', schema=None) as batch_op:
        batch_op.drop_index('ix_ni_fee_details_batch')

    op.drop_table('ni_fee_details')
    with op.batch_alter_table('ni_settlements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ni_settlements_visit_id'))
        batch_op.drop_index('ix_ni_settlements_reconciliation')
        batch_op.drop_index(batch_op.f('ix_ni_settlements_person_id'))

    op.drop_table('ni_settlements')
    with op.batch_alter_table('ni_visits', schema=None) as batch_op:
        batch_op.drop_index('ux_ni_visits_open_number', sqlite_where=sa.text("status = 'open' AND ipt_otp_no IS NOT NULL"), postgresql_where=sa.text("status = 'open' AND ipt_otp_no IS NOT NULL"))
        batch_op.drop_index(batch_op.f('ix_ni_visits_person_id'))

    op.drop_table('ni_visits')
    op.drop_table('ni_messages')
    op.drop_table('ni_fund_years')
    op.drop_table('ni_sign_ins')
