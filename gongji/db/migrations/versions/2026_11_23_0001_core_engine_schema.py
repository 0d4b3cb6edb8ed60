"""core engine schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23

The first schema: people and enrollments, the double-entry ledger, institutions, bindings and
families, settlements and refunds, transfers and contributions, events and idempotency records.
Beyond what the models declare, the database itself keeps the ledger honest: postings are
append-only (both databases), and on PostgreSQL every entry's postings must sum to zero at commit.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gongji.db.base

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('at', gongji.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('actor_kind', sa.String(length=12), nullable=False),
    sa.Column('actor_id', sa.String(length=40), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('subject_type', sa.String(length=30), nullable=False),
    sa.Column('subject_id', sa.BigInteger(), nullable=False),
    sa.Column('concerns', sa.JSON(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_subject', ['subject_type', 'subject_id'], unique=False)

    op.create_table('idempotency_records',
    sa.Column('scope', sa.String(length=80), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('result_type', sa.String(length=30), nullable=False),
    sa.Column('result_id', sa.BigInteger(), nullable=False),
    sa.Column('created_at', gongji.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('scope', 'key', name=op.f('pk_idempotency_records'))
    )
    op.create_table('institutions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('code', sa.String(length=30), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', gongji.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('hospital', 'pharmacy')", name=op.f('ck_institutions_kind')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_institutions')),
    sa.UniqueConstraint('code', name=op.f('uq_institutions_code'))
    )
    op.create_table('ledger_entries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('at', gongji.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('on', sa.Date(), nullable=False),
    sa.Column('ref_type', sa.String(length=30), nullable=True),
    sa.Column('ref_id', sa.BigInteger(), nullable=True),
    sa.Column('memo', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_entries'))
    )
    op.create_table('people',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('id_number', sa.String(length=18), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('name_sort_key', sa.String(length=400), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('sex', sa.String(length=1), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('created_at', gongji.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("sex IN ('M', 'F')", name=op.f('ck_people_sex')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_people')),
    sa.UniqueConstraint('id_number', name=op.f('uq_people_id_number'))
    )
    op.create_table('accounts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('fund', sa.String(length=20), nullable=False),
    sa.Column('system_key', sa.String(length=80), nullable=True),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('balance_fen', sa.BigInteger(), nullable=True),
    sa.Column('created_at', gongji.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(person_id IS NULL) <> (system_key IS NULL)', name=op.f('ck_accounts_owner_xor_system')),
    sa.CheckConstraint('(system_key IS NULL) = (balance_fen IS NOT NULL)', name=op.f('ck_accounts_kept_balance_iff_personal')),
    sa.CheckConstraint('balance_fen IS NULL OR balance_fen >= 0', name=op.f('ck_accounts_not_negative')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_accounts_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accounts')),
    sa.UniqueConstraint('person_id', 'fund', name=op.f('uq_accounts_person_id_fund')),
    sa.UniqueConstraint('system_key', name=op.f('uq_accounts_system_key'))
    )
    op.create_table('enrollments',
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('scheme', sa.String(length=10), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('status_since', sa.Date(), nullable=False),
    sa.Column('enrolled_on', sa.Date(), nullable=False),
    sa.Column('card_no', sa.String(length=20), nullable=True),
    sa.Column('retired', sa.Boolean(), nullable=False),
    sa.Column('contribution_base_fen', sa.BigInteger(), nullable=True),
    sa.CheckConstraint("scheme IN ('employee', 'resident')", name=op.f('ck_enrollments_scheme')),
    sa.CheckConstraint("status IN ('normal', 'suspended', 'terminated')", name=op.f('ck_enrollments_status')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_enrollments_person_id_people')),
    sa.PrimaryKeyConstraint('person_id', name=op.f('pk_enrollments')),
    sa.UniqueConstraint('card_no', name=op.f('uq_enrollments_card_no'))
    )
    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enrollments_region_code'), ['region_code'], unique=False)

    op.create_table('families',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('householder_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('created_at', gongji.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('dissolved_at', gongji.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['householder_id'], ['people.id'], name=op.f('fk_families_householder_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_families'))
    )
    with op.batch_alter_table('families', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_families_householder_id'), ['householder_id'], unique=False)

    op.create_table('settlements',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('institution_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('patient_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('use', sa.String(length=30), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('own_fen', sa.BigInteger(), nullable=False),
    sa.Column('mutual_aid_fen', sa.BigInteger(), nullable=False),
    sa.Column('cash_fen', sa.BigInteger(), nullable=False),
    sa.Column('refunded_fen', sa.BigInteger(), nullable=False),
    sa.Column('cash_refunded_fen', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('settled_at', gongji.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('settled_on', sa.Date(), nullable=False),
    sa.Column('cert_type', sa.String(length=20), nullable=True),
    sa.Column('cert_no', sa.String(length=50), nullable=True),
    sa.Column('agent_name', sa.String(length=50), nullable=True),
    sa.Column('agent_id_number', sa.String(length=18), nullable=True),
    sa.Column('attested_payer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('attestation_relationship', sa.String(length=30), nullable=True),
    sa.Column('attestation_phone', sa.String(length=20), nullable=True),
    sa.Column('idempotency_key', sa.String(length=100), nullable=False),
    sa.Column('entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.CheckConstraint("status IN ('settled', 'partially_refunded', 'refunded')", name=op.f('ck_settlements_status')),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_settlements_amount_positive')),
    sa.CheckConstraint('cash_refunded_fen >= 0 AND cash_refunded_fen <= cash_fen', name=op.f('ck_settlements_cash_refund_within_cash')),
    sa.CheckConstraint('own_fen + mutual_aid_fen + cash_fen = amount_fen', name=op.f('ck_settlements_parts_add_up')),
    sa.CheckConstraint('own_fen >= 0 AND mutual_aid_fen >= 0 AND cash_fen >= 0', name=op.f('ck_settlements_parts_not_negative')),
    sa.CheckConstraint('refunded_fen >= 0 AND refunded_fen <= amount_fen', name=op.f('ck_settlements_refund_within_paid')),
    sa.ForeignKeyConstraint(['entry_id'], ['ledger_entries.id'], name=op.f('fk_settlements_entry_id_ledger_entries')),
    sa.ForeignKeyConstraint(['attested_payer_id'], ['people.id'], name=op.f('fk_settlements_attested_payer_id_people')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_settlements_institution_id_institutions')),
    sa.ForeignKeyConstraint(['patient_id'], ['people.id'], name=op.f('fk_settlements_patient_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_settlements'))
    )
    with op.batch_alter_table('settlements', schema=None) as batch_op:
        batch_op.create_index('ix_settlements_institution_day', ['institution_id', 'settled_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_settlements_patient_id'), ['patient_id'], unique=False)

    op.create_table('transfers',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('payer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('beneficiary_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('relationship', sa.String(length=30), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('agreement_version', sa.String(length=40), nullable=False),
    sa.Column('agreement_accepted_at', gongji.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('operator_kind', sa.String(length=12), nullable=False),
    sa.Column('operator_id', sa.String(length=40), nullable=False),
    sa.Column('at', gongji.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('on', sa.Date(), nullable=False),
    sa.Column('entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_transfers_amount_positive')),
    sa.ForeignKeyConstraint(['beneficiary_id'], ['people.id'], name=op.f('fk_transfers_beneficiary_id_people')),
    sa.ForeignKeyConstraint(['entry_id'], ['ledger_entries.id'], name=op.f('fk_transfers_entry_id_ledger_entries')),
    sa.ForeignKeyConstraint(['payer_id'], ['people.id'], name=op.f('fk_transfers_payer_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfers'))
    )
    with op.batch_alter_table('transfers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transfers_beneficiary_id'), ['beneficiary_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transfers_payer_id'), ['payer_id'], unique=False)

    op.create_table('bindings',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('payer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('beneficiary_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('relationship', sa.String(length=30), nullable=False),
    sa.Column('start_on', sa.Date(), nullable=False),
    sa.Column('end_on', sa.Date(), nullable=True),
    sa.Column('priority', sa.Integer(), nullable=True),
    sa.Column('family_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('agreement_version', sa.String(length=40), nullable=False),
    sa.Column('agreement_accepted_at', gongji.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('operator_kind', sa.String(length=12), nullable=False),
    sa.Column('operator_id', sa.String(length=40), nullable=False),
    sa.Column('created_at', gongji.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', gongji.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('end_reason', sa.String(length=20), nullable=True),
    sa.Column('end_note', sa.String(length=200), nullable=True),
    sa.Column('ended_by_kind', sa.String(length=12), nullable=True),
    sa.Column('ended_by_id', sa.String(length=40), nullable=True),
    sa.CheckConstraint('end_on IS NULL OR end_on > start_on', name=op.f('ck_bindings_period')),
    sa.CheckConstraint('payer_id <> beneficiary_id', name=op.f('ck_bindings_not_self')),
    sa.CheckConstraint('priority IS NULL OR priority >= 1', name=op.f('ck_bindings_priority')),
    sa.ForeignKeyConstraint(['beneficiary_id'], ['people.id'], name=op.f('fk_bindings_beneficiary_id_people')),
    sa.ForeignKeyConstraint(['family_id'], ['families.id'], name=op.f('fk_bindings_family_id_families')),
    sa.ForeignKeyConstraint(['payer_id'], ['people.id'], name=op.f('fk_bindings_payer_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bindings'))
    )
    with op.batch_alter_table('bindings', schema=None) as batch_op:
        batch_op.create_index('ix_bindings_beneficiary_open', ['beneficiary_id', 'ended_on'], unique=False)
        batch_op.create_index('ix_bindings_payer_open', ['payer_id', 'ended_on'], unique=False)

    op.create_table('family_members',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('family_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('relationship', sa.String(length=30), nullable=False),
    sa.Column('joined_at', gongji.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('left_at', gongji.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('left_reason', sa.String(length=20), nullable=True),
    sa.ForeignKeyConstraint(['family_id'], ['families.id'], name=op.f('fk_family_members_family_id_families')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_family_members_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_family_members'))
    )
    with op.batch_alter_table('family_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_family_members_family_id'), ['family_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_family_members_person_id'), ['person_id'], unique=False)

    op.create_table('postings',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('balance_after_fen', sa.BigInteger(), nullable=True),
    sa.CheckConstraint('amount_fen <> 0', name=op.f('ck_postings_not_zero')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_postings_account_id_accounts')),
    sa.ForeignKeyConstraint(['entry_id'], ['ledger_entries.id'], name=op.f('fk_postings_entry_id_ledger_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_postings'))
    )
    with op.batch_alter_table('postings', schema=None) as batch_op:
        batch_op.create_index('ix_postings_account_entry', ['account_id', 'entry_id'], unique=False)
        batch_op.create_index('ix_postings_entry', ['entry_id'], unique=False)

    op.create_table('refunds',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('settlement_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('cash_fen', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('at', gongji.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('on', sa.Date(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=100), nullable=False),
    sa.Column('entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.CheckConstraint('amount_fen > 0 AND cash_fen >= 0 AND cash_fen <= amount_fen', name=op.f('ck_refunds_amounts')),
    sa.ForeignKeyConstraint(['entry_id'], ['ledger_entries.id'], name=op.f('fk_refunds_entry_id_ledger_entries')),
    sa.ForeignKeyConstraint(['settlement_id'], ['settlements.id'], name=op.f('fk_refunds_settlement_id_settlements')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refunds'))
    )
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refunds_settlement_id'), ['settlement_id'], unique=False)

    op.create_table('binding_documents',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('binding_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('file_ref', sa.String(length=500), nullable=True),
    sa.Column('checked_by', sa.String(length=40), nullable=True),
    sa.Column('added_at', gongji.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['binding_id'], ['bindings.id'], name=op.f('fk_binding_documents_binding_id_bindings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_binding_documents'))
    )
    with op.batch_alter_table('binding_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_binding_documents_binding_id'), ['binding_id'], unique=False)

    op.create_table('contribution_payments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('payer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('beneficiary_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('binding_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('at', gongji.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('on', sa.Date(), nullable=False),
    sa.Column('entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_contribution_payments_amount_positive')),
    sa.ForeignKeyConstraint(['beneficiary_id'], ['people.id'], name=op.f('fk_contribution_payments_beneficiary_id_people')),
    sa.ForeignKeyConstraint(['binding_id'], ['bindings.id'], name=op.f('fk_contribution_payments_binding_id_bindings')),
    sa.ForeignKeyConstraint(['entry_id'], ['ledger_entries.id'], name=op.f('fk_contribution_payments_entry_id_ledger_entries')),
    sa.ForeignKeyConstraint(['payer_id'], ['people.id'], name=op.f('fk_contribution_payments_payer_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contribution_payments')),
    sa.UniqueConstraint('beneficiary_id', 'year', name=op.f('uq_contribution_payments_beneficiary_id_year'))
    )
    with op.batch_alter_table('contribution_payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contribution_payments_beneficiary_id'), ['beneficiary_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contribution_payments_payer_id'), ['payer_id'], unique=False)

    op.create_table('settlement_parts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('settlement_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('payer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('fund', sa.String(length=20), nullable=False),
    sa.Column('binding_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('refunded_fen', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_settlement_parts_amount_positive')),
    sa.CheckConstraint('refunded_fen >= 0 AND refunded_fen <= amount_fen', name=op.f('ck_settlement_parts_refund_within_paid')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_settlement_parts_account_id_accounts')),
    sa.ForeignKeyConstraint(['binding_id'], ['bindings.id'], name=op.f('fk_settlement_parts_binding_id_bindings')),
    sa.ForeignKeyConstraint(['payer_id'], ['people.id'], name=op.f('fk_settlement_parts_payer_id_people')),
    sa.ForeignKeyConstraint(['settlement_id'], ['settlements.id'], name=op.f('fk_settlement_parts_settlement_id_settlements')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_settlement_parts'))
    )
    with op.batch_alter_table('settlement_parts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_settlement_parts_payer_id'), ['payer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_settlement_parts_settlement_id'), ['settlement_id'], unique=False)

    op.create_table('refund_parts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('refund_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('settlement_part_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_refund_parts_amount_positive')),
    sa.ForeignKeyConstraint(['refund_id'], ['refunds.id'], name=op.f('fk_refund_parts_refund_id_refunds')),
    sa.ForeignKeyConstraint(['settlement_part_id'], ['settlement_parts.id'], name=op.f('fk_refund_parts_settlement_part_id_settlement_parts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refund_parts'))
    )
    with op.batch_alter_table('refund_parts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refund_parts_refund_id'), ['refund_id'], unique=False)


    _ledger_guards()


APPEND_ONLY = ("postings", "ledger_entries")


def _ledger_guards() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION gongji_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = '42501';
            END $$;
            """
        )
        op.execute(
            """
            CREATE FUNCTION gongji_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF (SELECT COALESCE(SUM(amount_fen), 0) FROM postings WHERE entry_id = NEW.entry_id) <> 0 THEN
                    RAISE EXCEPTION 'ledger entry % does not balance', NEW.entry_id USING ERRCODE = '23514';
                END IF;
                RETURN NULL;
            END $$;
            """
        )
        op.execute(
            "CREATE CONSTRAINT TRIGGER postings_balanced AFTER INSERT ON postings "
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION gongji_entry_balanced()"
        )
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION gongji_append_only()"
            )
    else:
        for table in APPEND_ONLY:
            for action in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
                )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS postings_balanced ON postings")
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute("DROP FUNCTION IF EXISTS gongji_entry_balanced()")
        op.execute("DROP FUNCTION IF EXISTS gongji_append_only()")
    with op.batch_alter_table('refund_parts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refund_parts_refund_id'))

    op.drop_table('refund_parts')
    with op.batch_alter_table('settlement_parts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_settlement_parts_settlement_id'))
        batch_op.drop_index(batch_op.f('ix_settlement_parts_payer_id'))

    op.drop_table('settlement_parts')
    with op.batch_alter_table('contribution_payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contribution_payments_payer_id'))
        batch_op.drop_index(batch_op.f('ix_contribution_payments_beneficiary_id'))

    op.drop_table('contribution_payments')
    with op.batch_alter_table('binding_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_binding_documents_binding_id'))

    op.drop_table('binding_documents')
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refunds_settlement_id'))

    op.drop_table('refunds')
    with op.batch_alter_table('postings', schema=None) as batch_op:
        batch_op.drop_index('ix_postings_entry')
        batch_op.drop_index('ix_postings_account_entry')

    op.drop_table('postings')
    with op.batch_alter_table('family_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_family_members_person_id'))
        batch_op.drop_index(batch_op.f('ix_family_members_family_id'))

    op.drop_table('family_members')
    with op.batch_alter_table('bindings', schema=None) as batch_op:
        batch_op.drop_index('ix_bindings_payer_open')
        batch_op.drop_index('ix_bindings_beneficiary_open')

    op.drop_table('bindings')
    with op.batch_alter_table('transfers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transfers_payer_id'))
        batch_op.drop_index(batch_op.f('ix_transfers_beneficiary_id'))

    op.drop_table('transfers')
    with op.batch_alter_table('settlements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_settlements_patient_id'))
        batch_op.drop_index('ix_settlements_institution_day')

    op.drop_table('settlements')
    with op.batch_alter_table('families', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_families_householder_id'))

    op.drop_table('families')
    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enrollments_region_code'))

    op.drop_table('enrollments')
    op.drop_table('accounts')
    op.drop_table('people')
    op.drop_table('ledger_entries')
    op.drop_table('institutions')
    op.drop_table('idempotency_records')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_subject')

    op.drop_table('events')
