"""A synthetic, deterministic population for the demo: families of several generations in the seed regions.

Everything comes from one seeded :class:`random.Random`, so the same seed gives the same people,
ID numbers, balances and bindings. People are registered through the services (so every record
obeys the rules) in a few large transactions, not one per person.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from sqlalchemy.orm import Session

from gongji.actors import Actor
from gongji.authorizations import service as authorizations
from gongji.db import Database
from gongji.env import Env
from gongji.errors import GongjiError
from gongji.events.service import record as record_event
from gongji.institutions import service as institutions
from gongji.ledger import service as ledger
from gongji.money import require_fen
from gongji.people import service as people
from gongji.people.ids import compose_id_number, issuing_region
from gongji.policy import AidModel, PayerOrder, ProofPolicy
from gongji.terms import Fund, Relationship, Scheme, Status
from gongji.transfers import service as transfers

#: The staff member who registers the synthetic population.
LOADER = Actor.staff("DEMO-LOADER")
#: How many synthetic people the demo loads unless told otherwise (some 7 to 12 ms each through the services).
DEFAULT_PEOPLE = 1000

#: The seed regions' cities (rules.md): code, name, and how often a household lives there.
CITIES: dict[str, tuple[str, int]] = {
    "230100": ("哈尔滨市", 22),  # Heilongjiang
    "230200": ("齐齐哈尔市", 8),  # Heilongjiang
    "410100": ("郑州市", 25),  # Henan
    "440300": ("深圳市", 18),  # Shenzhen
    "330100": ("杭州市", 17),  # Hangzhou
    "150900": ("乌兰察布市", 10),  # Ulanqab
}

#: Common surnames, most frequent first, with rough weights.
SURNAMES = (
    ("王", 72), ("李", 70), ("张", 68), ("刘", 55), ("陈", 46), ("杨", 32), ("黄", 24), ("赵", 22), ("吴", 20),
    ("周", 20), ("徐", 16), ("孙", 15), ("马", 14), ("朱", 13), ("胡", 12), ("郭", 12), ("何", 11), ("高", 11),
    ("林", 11), ("罗", 10), ("郑", 9), ("梁", 9), ("谢", 8), ("宋", 7), ("唐", 7), ("许", 6), ("韩", 6), ("冯", 6),
    ("邓", 6), ("曹", 5),
)

#: Given names by the decade people were born in (fashions change) and sex.
GIVEN_NAMES: dict[str, dict[str, tuple[str, ...]]] = {
    "elder": {  # born before 1960
        "M": ("建国", "国庆", "德福", "振华", "福贵", "志明", "洪涛", "树林", "长海", "金山", "永胜", "宝山", "德明"),
        "F": ("秀英", "桂兰", "淑珍", "玉兰", "凤英", "秀兰", "桂英", "淑英", "玉珍", "翠花", "兰英", "素芬", "桂芳"),
    },
    "middle": {  # 1960 to 1989
        "M": ("伟", "强", "磊", "军", "勇", "杰", "涛", "斌", "超", "明", "刚", "辉", "鹏", "志强", "建华", "海涛",
              "晓东", "志刚"),
        "F": ("丽", "娜", "静", "敏", "艳", "芳", "燕", "霞", "红", "丽娟", "美华", "秀梅", "晓燕", "慧", "婷"),
    },
    "young": {  # 1990 to 2009
        "M": ("浩", "宇", "鑫", "博", "帅", "晨", "昊", "凯", "子豪", "俊杰", "嘉豪", "天宇", "文博"),
        "F": ("婷婷", "雪", "琳", "倩", "欣", "佳怡", "思琪", "雨欣", "梦瑶", "诗涵", "晓雯"),
    },
    "child": {  # 2010 and later
        "M": ("子轩", "浩然", "宇轩", "梓睿", "一鸣", "沐阳", "俊熙", "皓轩", "睿泽"),
        "F": ("梓涵", "一诺", "欣怡", "雨萱", "可馨", "梓萱", "语桐", "思彤", "若汐"),
    },
}

MOBILE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155",
                   "158", "159", "180", "182", "186", "187", "188", "189")

#: A few designated institutions per city: (kind, name). Codes are made from the city code (H23010100001).
INSTITUTIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "230100": (("hospital", "哈尔滨市第一医院"), ("hospital", "哈尔滨市中医医院"),
               ("pharmacy", "康民大药房（中央大街店）"), ("pharmacy", "北药堂药店（南岗店）")),
    "230200": (("hospital", "齐齐哈尔市第一医院"), ("pharmacy", "鹤城大药房（龙沙店）")),
    "410100": (("hospital", "郑州市中心医院"), ("hospital", "郑州市第七人民医院"),
               ("pharmacy", "张仲景大药房（二七店）"), ("pharmacy", "百信药房（金水店）")),
    "440300": (("hospital", "深圳市第二人民医院"), ("hospital", "深圳市福田区社区健康服务中心"),
               ("pharmacy", "海王星辰药店（福田店）"), ("pharmacy", "中联大药房（南山店）")),
    "330100": (("hospital", "杭州市第一人民医院"), ("hospital", "杭州市西溪医院"),
               ("pharmacy", "九洲大药房（武林店）"), ("pharmacy", "华东大药房（西湖店）")),
    "150900": (("hospital", "乌兰察布市中心医院"), ("pharmacy", "草原大药房（集宁店）")),
}


@dataclass(frozen=True)
class PersonSpec:
    """Who to register: everything :func:`gongji.people.service.register` and the opening credits need."""

    name: str
    sex: str  # 'M' or 'F'
    birth_date: date
    region_code: str
    scheme: str  # 'employee' or 'resident'
    role: str = ""  # the person's place in the household: 'grandfather', 'father', 'daughter', ...
    status: str = Status.NORMAL.value
    retired: bool = False
    current_fen: int = 0  # opening current-year balance (employees only)
    prior_fen: int = 0  # opening prior-years balance (employees only)
    contribution_base_fen: int | None = None
    # Filled in by Registry.identify before registering.
    id_number: str = ""
    card_no: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Member:
    """A registered person, as the story and the summary see him."""

    id: int
    id_number: str
    name: str
    sex: str
    birth_date: date
    region_code: str
    scheme: str
    role: str
    card_no: str
    phone: str
    status: str
    retired: bool

    @property
    def actor(self) -> Actor:
        return Actor.person(self.id)

    @property
    def is_employee(self) -> bool:
        return self.scheme == Scheme.EMPLOYEE.value


@dataclass(frozen=True)
class InstitutionRef:
    code: str
    name: str
    kind: str
    region_code: str


@dataclass
class Household:
    region_code: str
    specs: list[PersonSpec]
    members: list[Member] = field(default_factory=list)


class Registry:
    """Hands out unique ID numbers, card numbers and phone numbers for synthetic people."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._sequences: Counter[tuple[str, date, str]] = Counter()
        self._cards = 0
        self._phones: set[str] = set()

    def id_number(self, region_code: str, birth_date: date, sex: str) -> str:
        """A valid, unused ID number: a division code in use in the birth year, a fresh sequence, the check digit."""
        code = issuing_region(region_code, birth_date)
        self._sequences[(code, birth_date, sex)] += 1
        sequence = 2 * self._sequences[(code, birth_date, sex)] + (1 if sex == "M" else 0)
        if sequence >= 1000:
            raise ValueError(f"more than 500 synthetic people born on {birth_date} in {code}")
        return compose_id_number(code, birth_date, sequence, sex)

    def card_no(self, region_code: str) -> str:
        """A social security card number: the province's two digits and a serial."""
        self._cards += 1
        return f"{region_code[:2]}{self._cards:07d}"

    def phone(self) -> str:
        while True:
            number = self._rng.choice(MOBILE_PREFIXES) + f"{self._rng.randrange(10**8):08d}"
            if number not in self._phones:
                self._phones.add(number)
                return number

    def identify(self, spec: PersonSpec) -> PersonSpec:
        """The spec with a fresh ID number, card number and phone (done outside transactions, which may rerun)."""
        return replace(spec, id_number=self.id_number(spec.region_code, spec.birth_date, spec.sex),
                       card_no=self.card_no(spec.region_code), phone=self.phone())


@dataclass
class Population:
    """What was loaded: households, institutions per city, and the means to register more people."""

    households: list[Household]
    institutions: dict[str, list[InstitutionRef]]
    registry: Registry
    bindings: int = 0
    transfers: int = 0
    families: int = 0

    @property
    def people(self) -> list[Member]:
        return [m for h in self.households for m in h.members]

    def hospital(self, region_code: str) -> InstitutionRef:
        return next(i for i in self.institutions[region_code] if i.kind == "hospital")

    def pharmacy(self, region_code: str) -> InstitutionRef:
        return next(i for i in self.institutions[region_code] if i.kind == "pharmacy")


# -- making up households -------------------------------------------------------------------------


def _generation(birth_date: date) -> str:
    if birth_date.year < 1960:
        return "elder"
    if birth_date.year < 1990:
        return "middle"
    return "young" if birth_date.year < 2010 else "child"


def _given_name(rng: random.Random, birth_date: date, sex: str) -> str:
    return rng.choice(GIVEN_NAMES[_generation(birth_date)][sex])


def _surname(rng: random.Random) -> str:
    names, weights = zip(*SURNAMES, strict=True)
    return rng.choices(names, weights=weights)[0]


def _birth(rng: random.Random, first: int, last: int, today: date) -> date:
    """A birth date between 1 January of ``first`` and 31 December of ``last``, not after today."""
    start, end = date(first, 1, 1), min(date(last, 12, 31), today - timedelta(days=30))
    return start + timedelta(days=rng.randrange((end - start).days + 1))


def _age(birth_date: date, today: date) -> int:
    return today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))


def _is_retired(sex: str, birth_date: date, today: date) -> bool:
    return _age(birth_date, today) >= (60 if sex == "M" else 55)


def _employee_balances(rng: random.Random, birth_date: date, today: date, retired: bool) -> tuple[int, int, int | None]:
    """(current-year fen, prior-years fen, contribution base fen): a plausible account for the person's age."""
    base = None if retired else rng.randrange(4_000, 20_000) * 100  # monthly wage 4,000 to 20,000 yuan
    monthly = (base * 2 // 100) if base else rng.randrange(80, 260) * 100  # 2 % of the wage; retirees a lump
    current = monthly * max(1, today.month - 1)
    working_years = max(0, min(_age(birth_date, today), 60) - 22)
    prior = rng.randrange(0, 600) * 100 * working_years // 4 + rng.randrange(100)
    return current, prior, base


def _person(rng: random.Random, *, surname: str, sex: str, birth_date: date, region_code: str, role: str,
            employee_chance: float, today: date) -> PersonSpec:
    adult = _age(birth_date, today) >= 22
    employee = adult and rng.random() < employee_chance
    retired = employee and _is_retired(sex, birth_date, today)
    status = Status.SUSPENDED.value if employee and not retired and rng.random() < 0.03 else Status.NORMAL.value
    current = prior = 0
    base = None
    if employee:
        current, prior, base = _employee_balances(rng, birth_date, today, retired)
    return PersonSpec(
        name=surname + _given_name(rng, birth_date, sex), sex=sex, birth_date=birth_date, region_code=region_code,
        scheme=Scheme.EMPLOYEE.value if employee else Scheme.RESIDENT.value, role=role, status=status,
        retired=retired, current_fen=current, prior_fen=prior, contribution_base_fen=base,
    )


def make_household(rng: random.Random, region_code: str, today: date) -> Household:
    """Grandparents (the husband's parents), a couple, their children, and sometimes a grandchild."""
    family_name = _surname(rng)
    husband_born = _birth(rng, 1958, 1994, today)
    wife_born = min(husband_born + timedelta(days=rng.randrange(-1500, 1100)), today - timedelta(days=9000))
    specs: list[PersonSpec] = []

    def add(**kwargs) -> PersonSpec:
        spec = _person(rng, region_code=region_code, today=today, **kwargs)
        specs.append(spec)
        return spec

    if rng.random() < 0.8:
        add(surname=family_name, sex="M", role="grandfather", employee_chance=0.6,
            birth_date=_birth(rng, husband_born.year - 34, husband_born.year - 22, today))
    if rng.random() < 0.85:
        add(surname=_surname(rng), sex="F", role="grandmother", employee_chance=0.45,
            birth_date=_birth(rng, husband_born.year - 32, husband_born.year - 20, today))
    add(surname=family_name, sex="M", role="father", employee_chance=0.85, birth_date=husband_born)
    add(surname=_surname(rng), sex="F", role="mother", employee_chance=0.75, birth_date=wife_born)
    for _ in range(rng.choices((0, 1, 2, 3), weights=(10, 55, 30, 5))[0]):
        first = max(wife_born.year + 21, 1975)
        if first > today.year - 1:
            break
        born = _birth(rng, first, min(wife_born.year + 38, today.year), today)
        sex = rng.choice("MF")
        add(surname=family_name, sex=sex, role="son" if sex == "M" else "daughter", employee_chance=0.7,
            birth_date=born)
        if sex == "M" and _age(born, today) >= 26 and rng.random() < 0.4:
            grandchild_sex = rng.choice("MF")
            add(surname=family_name, sex=grandchild_sex, role="grandson" if grandchild_sex == "M" else "granddaughter",
                employee_chance=0.0, birth_date=_birth(rng, born.year + 24, today.year, today))
    return Household(region_code=region_code, specs=specs)


# -- registering ----------------------------------------------------------------------------------


def register_people(session: Session, env: Env, specs: Sequence[PersonSpec]) -> list[Member]:
    """Register identified people (:meth:`Registry.identify`) and credit their opening balances.

    The opening balances are posted as one balanced ledger entry per region and call (from the region's
    credits account) rather than one credit per person, which keeps loading fast.
    """
    members = []
    opening: dict[str, list[ledger.Leg]] = {}
    for spec in specs:
        if not spec.id_number:
            raise ValueError(f"{spec.name} has no ID number yet; pass the spec through Registry.identify")
        person = people.register(
            session, env, id_number=spec.id_number, name=spec.name, scheme=spec.scheme, region_code=spec.region_code,
            actor=LOADER, phone=spec.phone, card_no=spec.card_no, status=spec.status,
            enrolled_on=max(spec.birth_date, date(2001, 1, 1)), retired=spec.retired,
            contribution_base_fen=spec.contribution_base_fen,
        )
        if spec.current_fen or spec.prior_fen:
            accounts = ledger.personal_accounts(session, person.id)
            legs = opening.setdefault(spec.region_code, [])
            for fund, amount in ((Fund.CURRENT_YEAR, spec.current_fen), (Fund.PRIOR_YEARS, spec.prior_fen)):
                if amount:
                    legs.append(ledger.Leg(accounts[fund].id, require_fen(amount, field="opening balance")))
        members.append(Member(
            id=person.id, id_number=spec.id_number, name=spec.name, sex=spec.sex, birth_date=spec.birth_date,
            region_code=spec.region_code, scheme=spec.scheme, role=spec.role, card_no=spec.card_no,
            phone=spec.phone, status=spec.status, retired=spec.retired,
        ))
    for region_code, legs in opening.items():
        source = ledger.system_account(session, kind=ledger.CREDITS, key=region_code, region_code=region_code,
                                       at=env.now())
        total = sum(leg.amount_fen for leg in legs)
        entry_id = ledger.post(session, kind="credit", at=env.now(), on=env.today(), memo="opening balances",
                               legs=[*legs, ledger.Leg(source, -total)])
        record_event(session, env, kind="account.opening_balances", actor=LOADER, subject_type="region",
                     subject_id=int(region_code), concerns=[],
                     data={"entry_id": entry_id, "amount_fen": total, "accounts": len(legs)})
    return members


#: What each household member is to the father, who pays for the family when he can.
_TO_FATHER = {
    "grandfather": Relationship.PARENT, "grandmother": Relationship.PARENT, "mother": Relationship.SPOUSE,
    "son": Relationship.CHILD, "daughter": Relationship.CHILD, "grandson": Relationship.GRANDCHILD,
    "granddaughter": Relationship.GRANDCHILD,
}


def _attempt(session: Session, action: Callable[[], object]) -> bool:
    """Run one optional action in a savepoint; a refusal leaves the population without it."""
    try:
        with session.begin_nested():
            action()
        return True
    except GongjiError:
        return False


def share_accounts(session: Session, env: Env, members: Sequence[Member], counts: Counter[str]) -> None:
    """The father shares his account with the relatives who have none, the way his region does it."""
    father = next((m for m in members if m.role == "father"), None)
    if father is None or not father.is_employee or father.status != Status.NORMAL.value:
        return
    policy = env.policy(father.region_code)
    relatives = [
        (m, _TO_FATHER[m.role]) for m in members
        if m.role in _TO_FATHER and not m.is_employee and m.status == Status.NORMAL.value
        and policy.allows_relationship(_TO_FATHER[m.role])
    ]
    if not relatives:
        return
    if policy.aid_model is AidModel.TRANSFER:  # HZ-1: a fifth of the prior-years funds to one relative
        balance = people.balances(session, father.id)
        if balance and balance.prior_years_fen >= 100_000:
            relative, relationship = relatives[0]
            if _attempt(session, lambda: transfers.transfer(
                    session, env, payer_id_number=father.id_number, beneficiary_id_number=relative.id_number,
                    relationship=relationship.value, amount_fen=balance.prior_years_fen // 5 // 100 * 100,
                    agreement_version=policy.agreement_version, idempotency_key=f"demo-transfer-{father.id}",
                    actor=father.actor)):
                counts["transfers"] += 1
        return
    family_id = None
    if policy.family_required:  # HN-1: a family first, then its members
        family = authorizations.create_family(session, env, householder_id_number=father.id_number,
                                              name=f"{father.name[0]}家", actor=father.actor)
        family_id = family.id
        counts["families"] += 1
    documents = [authorizations.Document("household_register")] if policy.proof_documents is ProofPolicy.REQUIRED else []
    priority = 1 if policy.payer_order is PayerOrder.PRIORITY else None

    def share(relative: Member, relationship: Relationship) -> None:
        if family_id is not None:
            authorizations.add_member(session, env, family_id=family_id, member_id_number=relative.id_number,
                                      relationship=relationship.value, actor=father.actor)
        authorizations.bind(session, env, payer_id_number=father.id_number, beneficiary_id_number=relative.id_number,
                            relationship=relationship.value, actor=father.actor,
                            agreement_version=policy.agreement_version, documents=documents, priority=priority)

    for relative, relationship in relatives:
        if _attempt(session, lambda r=relative, rel=relationship: share(r, rel)):
            counts["bindings"] += 1


def register_institutions(session: Session, env: Env) -> dict[str, list[InstitutionRef]]:
    found: dict[str, list[InstitutionRef]] = {}
    for region_code, entries in INSTITUTIONS.items():
        serial = Counter[str]()
        for kind, name in entries:
            serial[kind] += 1
            code = f"{'H' if kind == 'hospital' else 'P'}{region_code[:4]}01{serial[kind]:05d}"
            institutions.register(session, env, code=code, name=name, kind=kind, region_code=region_code,
                                  actor=LOADER)
            found.setdefault(region_code, []).append(InstitutionRef(code, name, kind, region_code))
    return found


def _chunks(items: list[Household], size: int) -> Iterator[list[Household]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def load_population(db: Database, env: Env, *, seed: int = 2025, people_count: int = DEFAULT_PEOPLE,
                    chunk_size: int = 100) -> Population:
    """Make up about ``people_count`` people in households and register them, ``chunk_size`` households a transaction."""
    rng = random.Random(seed)
    today = env.today()
    codes = list(CITIES)
    weights = [CITIES[c][1] for c in codes]
    households: list[Household] = []
    total = 0
    while total < people_count:
        household = make_household(rng, rng.choices(codes, weights=weights)[0], today)
        households.append(household)
        total += len(household.specs)
    registry = Registry(rng)
    for household in households:
        household.specs = [registry.identify(spec) for spec in household.specs]
    found = db.run(lambda s: register_institutions(s, env))
    counts: Counter[str] = Counter()

    def load(session: Session, chunk: list[Household]) -> tuple[list[list[Member]], Counter[str]]:
        chunk_counts: Counter[str] = Counter()
        loaded = []
        for household in chunk:
            members = register_people(session, env, household.specs)
            share_accounts(session, env, members, chunk_counts)
            loaded.append(members)
        return loaded, chunk_counts

    for chunk in _chunks(households, chunk_size):
        loaded, chunk_counts = db.run(lambda s, c=chunk: load(s, c))
        for household, members in zip(chunk, loaded, strict=True):
            household.members = members
        counts.update(chunk_counts)
    return Population(households=households, institutions=found, registry=registry, bindings=counts["bindings"],
                      transfers=counts["transfers"], families=counts["families"])
