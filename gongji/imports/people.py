"""``gongji import people``: an insurer's population (people, enrollments, account balances by fund, families and
existing bindings), in bulk, checked as the services would check them.

Each chunk (:mod:`gongji.imports.runner`) goes in four steps:

1. every row is read into plain values (:func:`~gongji.imports.people_rows.parse_person`: ID check digit, region
   code, known scheme, status and relationships, amounts of whole fen and not negative, N-1);
2. what the chunk refers to is looked up at once: ID and card numbers already registered, and the payers and
   householders loaded by earlier chunks;
3. rows are decided in the file's order: a family member needs his householder, a binding its payer, both listed
   earlier in the file (or loaded before); each binding is checked under its payer's region policy
   (:func:`gongji.authorizations.rules.check_existing_binding`: relationships allowed, scope, caps, status, HN-1's
   family). A row that fails loads nothing of itself, and a later row that needs it is refused too;
4. the rows that passed are written in bulk (:mod:`gongji.imports.bulk`), with their opening balances as one
   balanced ledger entry per region from the region's credits account, so ``gongji check`` holds after every chunk.

One event per chunk records what it loaded (not one per person: a province has millions).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from gongji.actors import Actor
from gongji.authorizations import rules
from gongji.authorizations.models import Binding, Family, FamilyMember
from gongji.authorizations.service import open_on
from gongji.env import Env
from gongji.errors import GongjiError
from gongji.events.service import record as record_event
from gongji.imports.bulk import insert_rows, one_of, reserve_ids
from gongji.imports.models import ImportRun
from gongji.imports.people_rows import FIELDS, PersonRecord, parse_person
from gongji.imports.reading import SourceRow
from gongji.imports.report import Rejection, about
from gongji.imports.runner import ChunkOutcome
from gongji.ledger import service as ledger
from gongji.ledger.models import Account
from gongji.people.ids import mask
from gongji.people.models import Enrollment, Person
from gongji.policy import RegionPolicy
from gongji.terms import Fund, Scheme, Status

PERSON_COLUMNS = ("id", "id_number", "name", "name_sort_key", "birth_date", "sex", "phone", "created_at")
ENROLLMENT_COLUMNS = ("person_id", "scheme", "region_code", "status", "status_since", "enrolled_on", "card_no",
                      "retired", "contribution_base_fen", "recorded_status", "status_cause", "card_sn")
ACCOUNT_COLUMNS = ("id", "person_id", "fund", "system_key", "region_code", "balance_fen", "created_at")
FAMILY_COLUMNS = ("id", "householder_id", "name", "region_code", "created_at")
MEMBER_COLUMNS = ("id", "family_id", "person_id", "relationship", "joined_at")
BINDING_COLUMNS = ("id", "payer_id", "beneficiary_id", "relationship", "start_on", "end_on", "priority", "family_id",
                   "region_code", "channel", "agreement_version", "agreement_accepted_at", "operator_kind",
                   "operator_id", "created_at")
ENTRY_COLUMNS = ("id", "kind", "at", "on", "ref_type", "ref_id", "memo")
POSTING_COLUMNS = ("id", "entry_id", "account_id", "amount_fen", "balance_after_fen")


@dataclass
class Known:
    """A person the chunk's rows refer to: loaded before, or accepted earlier in this chunk."""

    person_id: int
    name: str
    birth_date: date
    scheme: Scheme
    region_code: str
    status: Status
    balance_fen: int
    led_family_id: int | None = None  # the family he leads
    member_of: int | None = None  # the family he is a member of (a householder: his own)
    payer_open: int = 0  # open bindings where he pays
    beneficiary_open: int = 0  # open bindings where he is paid for
    payees: set[int] = field(default_factory=set)  # people he pays for (open bindings)
    _party: rules.Party | None = field(default=None, repr=False, compare=False)

    def party(self) -> rules.Party:
        """What the binding rules read of him (made once: none of it changes while a chunk is decided)."""
        if self._party is None:
            self._party = rules.Party(self.person_id, self.name, self.birth_date, self.scheme, self.region_code,
                                      self.status)
        return self._party


def _lookup(session: Session, id_numbers: set[str], today: date) -> dict[str, Known]:
    """The people with these ID numbers already in the database, with what the rules need to know of them."""
    if not id_numbers:
        return {}
    rows = session.execute(
        select(Person.id, Person.id_number, Person.name, Person.birth_date, Enrollment.scheme,
               Enrollment.region_code, Enrollment.status)
        .join(Enrollment, Enrollment.person_id == Person.id).where(one_of(session, Person.id_number, id_numbers))).all()
    known = {r.id_number: Known(r.id, r.name, r.birth_date, Scheme(r.scheme), r.region_code, Status(r.status), 0)
             for r in rows}
    by_id = {k.person_id: k for k in known.values()}
    if not by_id:
        return known
    ids = sorted(by_id)
    for person_id, balance in session.execute(
            select(Account.person_id, func.sum(Account.balance_fen)).where(
                one_of(session, Account.person_id, ids), Account.fund.in_([Fund.CURRENT_YEAR.value, Fund.PRIOR_YEARS.value]))
            .group_by(Account.person_id)):
        by_id[person_id].balance_fen = int(balance or 0)
    for family_id, householder_id in session.execute(
            select(Family.id, Family.householder_id).where(one_of(session, Family.householder_id, ids),
                                                            Family.dissolved_at.is_(None))):
        by_id[householder_id].led_family_id = family_id
        by_id[householder_id].member_of = family_id
    for family_id, person_id in session.execute(
            select(FamilyMember.family_id, FamilyMember.person_id).where(one_of(session, FamilyMember.person_id, ids),
                                                                          FamilyMember.left_at.is_(None))):
        by_id[person_id].member_of = family_id
    still_open = open_on(today)
    for payer_id, beneficiary_id in session.execute(
            select(Binding.payer_id, Binding.beneficiary_id).where(
                still_open, or_(one_of(session, Binding.payer_id, ids), one_of(session, Binding.beneficiary_id, ids)))):
        if payer_id in by_id:
            by_id[payer_id].payer_open += 1
            by_id[payer_id].payees.add(beneficiary_id)
        if beneficiary_id in by_id:
            by_id[beneficiary_id].beneficiary_open += 1
    return known


def _existing(session: Session, id_numbers: list[str], card_nos: list[str]) -> tuple[set[str], set[str]]:
    if not id_numbers:
        return set(), set()
    taken_ids = set(session.execute(select(Person.id_number).where(one_of(session, Person.id_number, id_numbers)))
                    .scalars())
    taken_cards = set(session.execute(select(Enrollment.card_no).where(one_of(session, Enrollment.card_no, card_nos)))
                      .scalars()) if card_nos else set()
    return taken_ids, taken_cards


class PeopleLoader:
    """The ``people`` kind of :mod:`gongji.imports.runner`."""

    kind = "people"
    fields = FIELDS

    def prepare(self, env: Env, rows: list[SourceRow]) -> tuple[list[PersonRecord], list[Rejection]]:
        """Step 1, without the database (the runner does it for the next chunk while this one is written)."""
        today = env.today()
        records, rejections = [], []
        for row in rows:
            try:
                records.append(parse_person(row, today))
            except GongjiError as error:
                rejections.append(Rejection.of(row.number, error))
        return records, rejections

    def load(self, session: Session, env: Env, prepared: tuple[list[PersonRecord], list[Rejection]],
             run: ImportRun) -> ChunkOutcome:
        today = env.today()
        policies: dict[str, RegionPolicy] = {}  # by region code, for this chunk: a few regions, thousands of rows
        self._policy = lambda region_code: policies.get(region_code) or policies.setdefault(
            region_code, env.policy(region_code))
        records, rejections = prepared
        outcome = ChunkOutcome(rejections=list(rejections))
        taken_ids, taken_cards = _existing(session, [r.id_number for r in records],
                                           [r.card_no for r in records if r.card_no])
        referred = {b.payer_id_number for r in records for b in r.bindings}
        referred |= {r.householder_id_number for r in records if r.householder_id_number}
        known = _lookup(session, referred, today)
        accepted = self._decide(env, records, known, taken_ids, taken_cards, outcome, today)
        if accepted:
            self._write(session, env, accepted, run)
        outcome.loaded = len(accepted)
        return outcome

    # -- step 3: deciding, row by row in the file's order ---------------------------------------------------

    def _decide(self, env: Env, records: list[PersonRecord], known: dict[str, Known], taken_ids: set[str],
                taken_cards: set[str], outcome: ChunkOutcome, today: date) -> list[_Accepted]:
        ids = iter(range(-1, -10 ** 9, -1))  # placeholders for people of this chunk, replaced on writing
        first_row: dict[str, int] = {}
        cards: set[str] = set()
        accepted: list[_Accepted] = []
        for record in records:
            try:
                if record.id_number in taken_ids:
                    raise GongjiError("PERSON_EXISTS", id_number=mask(record.id_number))
                if record.id_number in first_row:
                    raise about("id_number", GongjiError("IMPORT_DUPLICATE_ROW", id_number=mask(record.id_number),
                                                        first_row=first_row[record.id_number]))
                if record.card_no and (record.card_no in taken_cards or record.card_no in cards):
                    raise GongjiError("INVALID_FIELD", field="card_no",
                                      reason_zh=f"社会保障卡号 {record.card_no} 已属于另一位参保人，请核对卡号",
                                      reason_en=f"the card number {record.card_no} belongs to another insured person; "
                                                "check the number")
                me = Known(next(ids), record.name, record.birth_date, record.scheme, record.region_code,
                           record.status, record.balance_fen)
                member = self._family(record, me, known)
                bindings = [self._binding(env, record, me, spec, known) for spec in record.bindings]
            except GongjiError as error:
                outcome.rejections.append(Rejection.of(record.row, error))
                continue
            first_row[record.id_number] = record.row
            if record.card_no:
                cards.add(record.card_no)
            for payer, _spec, _family in bindings:
                payer.payer_open += 1
                payer.payees.add(me.person_id)
                me.beneficiary_open += 1
            known[record.id_number] = me
            accepted.append(_Accepted(record, me, member, bindings))
        return accepted

    @staticmethod
    def _family(record: PersonRecord, me: Known, known: dict[str, Known]) -> Known | None:
        """Who leads the family the person joins (None: no family, or he leads a new one himself)."""
        if record.householder_id_number is None:
            return None
        if record.leads_family:
            me.led_family_id = me.member_of = me.person_id  # a new family, known by its householder here
            return None
        head = known.get(record.householder_id_number)
        if head is None or head.led_family_id is None:
            raise about("family_householder", GongjiError("IMPORT_HOUSEHOLDER_UNKNOWN",
                                                          id_number=mask(record.householder_id_number)))
        me.member_of = head.led_family_id
        return head

    def _binding(self, env: Env, record: PersonRecord, me: Known, spec, known: dict[str, Known]):
        payer = known.get(spec.payer_id_number)
        if payer is None:
            raise about("payer_id_number", GongjiError("IMPORT_PAYER_UNKNOWN", id_number=mask(spec.payer_id_number)))
        policy = self._policy(payer.region_code)
        in_family = payer.member_of is not None and payer.member_of == me.member_of
        situation = rules.BindingSituation(
            payer_balance_fen=payer.balance_fen, payer_open_bindings=payer.payer_open,
            beneficiary_open_bindings=me.beneficiary_open, payer_is_beneficiary=payer.beneficiary_open > 0,
            beneficiary_is_payer=me.payer_open > 0,
            existing_binding_id=None, last_unbound_on=None, beneficiary_in_payers_family=in_family)
        request = rules.BindingRequest(spec.relationship, spec.start_on, spec.end_on, spec.priority,
                                       policy.agreement_version)
        try:
            rules.check_existing_binding(payer=payer.party(), beneficiary=me.party(), request=request,
                                         situation=situation, policy=policy)
        except GongjiError as error:
            raise error if "field" in error.params else about("payer_id_number", error) from None
        return payer, spec, me.member_of if in_family else None

    # -- step 4: writing ------------------------------------------------------------------------------------

    def _write(self, session: Session, env: Env, accepted: list[_Accepted], run: ImportRun) -> None:
        now, today = env.now(), env.today()
        person_ids = reserve_ids(session, "people", len(accepted))
        real: dict[int, int] = {}
        for item, person_id in zip(accepted, person_ids, strict=True):
            real[item.me.person_id] = person_id
        heads = [item for item in accepted if item.record.leads_family]
        family_ids = dict(zip((item.me.person_id for item in heads), reserve_ids(session, "families", len(heads)),
                              strict=True))

        def family(family_key: int | None) -> int | None:
            if family_key is None:
                return None
            return family_ids[family_key] if family_key < 0 else family_key

        employees = [item for item in accepted if item.record.scheme is Scheme.EMPLOYEE]
        account_ids = iter(reserve_ids(session, "accounts", 2 * len(employees)))
        members = [item for item in accepted if item.head is not None]
        member_ids = iter(reserve_ids(session, "family_members", len(members)))
        binding_count = sum(len(item.bindings) for item in accepted)
        binding_ids = iter(reserve_ids(session, "bindings", binding_count))
        people, enrollments, accounts, families, family_members, bindings = [], [], [], [], [], []
        postings_by_region: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for item in accepted:
            r, pid = item.record, real[item.me.person_id]
            people.append((pid, r.id_number, r.name, r.sort_key, r.birth_date, r.sex, r.phone, now))
            enrollments.append((pid, r.scheme.value, r.region_code, r.status.value, r.status_since, r.enrolled_on,
                                r.card_no, r.retired, r.contribution_base_fen, r.status.value, "registered",
                                r.card_sn))
            if r.scheme is Scheme.EMPLOYEE:
                for fund, balance in ((Fund.CURRENT_YEAR, r.current_year_fen), (Fund.PRIOR_YEARS, r.prior_years_fen)):
                    account_id = next(account_ids)
                    accounts.append((account_id, pid, fund.value, None, r.region_code, balance, now))
                    if balance:
                        postings_by_region[r.region_code].append((account_id, balance))
            if r.leads_family:
                families.append((family_ids[item.me.person_id], pid, r.family_name or f"{r.name[:1]}家",
                                 r.region_code, now))
            elif item.head is not None:
                family_members.append((next(member_ids), family(item.me.member_of), pid,
                                       r.family_relationship.value, now))
            for payer, spec, family_key in item.bindings:
                payer_id = real.get(payer.person_id, payer.person_id)
                policy = self._policy(payer.region_code)
                bindings.append((next(binding_ids), payer_id, pid, spec.relationship.value, spec.start_on,
                                 spec.end_on, spec.priority, family(family_key), payer.region_code, "system",
                                 policy.agreement_version, now, "system", f"import:{run.id}", now))
        for table, columns, rows in (("people", PERSON_COLUMNS, people), ("enrollments", ENROLLMENT_COLUMNS, enrollments),
                                     ("accounts", ACCOUNT_COLUMNS, accounts), ("families", FAMILY_COLUMNS, families),
                                     ("family_members", MEMBER_COLUMNS, family_members),
                                     ("bindings", BINDING_COLUMNS, bindings)):
            insert_rows(session, table, columns, rows)
        self._opening_balances(session, env, postings_by_region, run)
        loaded = len(accepted)
        record_event(session, env, kind="import.people", actor=Actor.system("import"), subject_type="import_run",
                     subject_id=run.id, concerns=[],
                     data={"people": loaded, "employees": len(employees), "families": len(families),
                           "bindings": len(bindings), "first_row": accepted[0].record.row,
                           "last_row": accepted[-1].record.row, "on": today.isoformat()})

    @staticmethod
    def _opening_balances(session: Session, env: Env, by_region: dict[str, list[tuple[int, int]]],
                          run: ImportRun) -> None:
        """One balanced entry per region: each account's opening balance, from the region's credits account."""
        if not by_region:
            return
        now, today = env.now(), env.today()
        regions = sorted(by_region)
        entry_ids = reserve_ids(session, "ledger_entries", len(regions))
        count = sum(len(v) for v in by_region.values()) + len(regions)
        posting_ids = iter(reserve_ids(session, "postings", count))
        entries, postings = [], []
        for region, entry_id in zip(regions, entry_ids, strict=True):
            credits = ledger.system_account(session, kind=ledger.CREDITS, key=region, region_code=region, at=now)
            entries.append((entry_id, "credit", now, today, "import_run", run.id,
                            f"opening balances (import run {run.id})"))
            total = 0
            for account_id, balance in by_region[region]:
                postings.append((next(posting_ids), entry_id, account_id, balance, balance))
                total += balance
            postings.append((next(posting_ids), entry_id, credits, -total, None))
        insert_rows(session, "ledger_entries", ENTRY_COLUMNS, entries)
        insert_rows(session, "postings", POSTING_COLUMNS, postings)


@dataclass
class _Accepted:
    record: PersonRecord
    me: Known
    head: Known | None  # the householder of the family he joins
    bindings: list  # (payer: Known, spec, family id or placeholder)
