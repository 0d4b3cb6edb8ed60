"""The demo's story: a few families in the seed regions, walked through the main rules on a moving clock.

Every step calls the real services in its own transaction and prints who paid what, and why, with
the rule IDs of ``rules.md``. Refusals the story expects are shown with their code and message; a
refusal it does not expect (or a step that should be refused and is not) stops the story with
:class:`StoryError`, so the demo doubles as an end-to-end check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from rich.console import Console
from rich.text import Text
from sqlalchemy.orm import Session

from gongji.actors import Actor
from gongji.authorizations import service as authorizations
from gongji.authorizations.service import Document
from gongji.clock import FixedClock, today
from gongji.db import Database
from gongji.env import Env
from gongji.errors import GongjiError
from gongji.ledger import service as ledger
from gongji.money import fen_to_yuan
from gongji.people import service as people
from gongji.people.ids import mask
from gongji.records import service as records
from gongji.settlement import service as settlement
from gongji.terms import Channel, Fund, Relationship, Use
from gongji.transfers import service as transfers
from gongji_tools.demo import life
from gongji_tools.demo.narrator import Narrator, print_population, yuan
from gongji_tools.demo.population import Member, PersonSpec, Population, register_people

T = TypeVar("T")

#: The day the story begins (a Monday). The population is loaded on this day too.
START = date(2025, 3, 3)
COUNTER = Actor.staff("DEMO-COUNTER")


class StoryError(RuntimeError):
    """The story did not go as written: a rule behaved differently from what the story shows."""


# -- the cast -----------------------------------------------------------------------------------


def _spec(name: str, sex: str, born: str, region: str, scheme: str, *, current: int = 0, prior: int = 0,
          retired: bool = False, base: int | None = None) -> PersonSpec:
    """A cast member; balances are in fen."""
    return PersonSpec(name=name, sex=sex, birth_date=date.fromisoformat(born), region_code=region, scheme=scheme,
                      current_fen=current, prior_fen=prior, retired=retired, contribution_base_fen=base)


#: The two schemes, short for the table below.
E, R = "employee", "resident"

CAST: dict[str, PersonSpec] = {
    # Heilongjiang: 王建国 of Harbin and his relatives in Harbin and Qiqihar.
    "wang": _spec("王建国", "M", "1972-05-18", "230100", E, current=180_000, prior=100_000, base=800_000),
    "wang_father": _spec("王德福", "M", "1946-02-11", "230100", E, current=200_000, prior=600_000, retired=True),
    "wang_mother": _spec("刘秀英", "F", "1949-09-23", "230200", R),
    "wang_wife": _spec("李秀兰", "F", "1974-03-08", "230100", E, current=32_050, base=500_000),
    "wang_son": _spec("王磊", "M", "1998-07-01", "230100", E, current=60_000, base=700_000),
    "wang_daughter": _spec("王静", "F", "2001-11-15", "230100", R),
    "wang_brother": _spec("王建军", "M", "1969-10-01", "230100", E, current=50_000, prior=300_000, base=600_000),
    "wang_sister": _spec("王建红", "F", "1978-04-12", "230200", R),
    "wang_younger_brother": _spec("王建民", "M", "1981-08-20", "230100", R),
    "wang_grandson": _spec("王子轩", "M", "2023-01-09", "230100", R),
    "wang_daughters_child": _spec("陈思雨", "F", "2024-06-30", "230100", R),
    "wang_grandmother": _spec("张桂兰", "F", "1930-12-05", "230200", R),
    # Henan: 陈志强's family in Zhengzhou; he and his wife have the same balance.
    "chen": _spec("陈志强", "M", "1968-06-06", "410100", E, current=100_000, prior=100_000, base=650_000),
    "chen_wife": _spec("刘美华", "F", "1970-02-02", "410100", E, current=50_000, prior=150_000, base=550_000),
    "chen_father": _spec("陈德明", "M", "1941-01-20", "410100", R),
    "chen_daughter": _spec("陈思琪", "F", "2006-09-01", "410100", R),
    # Shenzhen: 张伟 and his daughter.
    "zhang": _spec("张伟", "M", "1985-02-14", "440300", E, current=100_000, prior=500_000, base=1_500_000),
    "zhang_child": _spec("张小雨", "F", "2015-04-22", "440300", R),
    # Hangzhou: 周建平 and 吴玉珍 and their daughter.
    "zhou": _spec("周建平", "M", "1962-10-10", "330100", E, current=30_000, prior=800_000, retired=True),
    "wu": _spec("吴玉珍", "F", "1964-03-03", "330100", E, current=20_000, prior=250_000, retired=True),
    "zhou_daughter": _spec("周晓燕", "F", "1990-12-12", "330100", E, current=15_000, base=900_000),
    # Ulanqab: 高桂英 and her two children.
    "gao": _spec("高桂英", "F", "1950-08-15", "150900", R),
    "ma_son": _spec("马志刚", "M", "1974-05-05", "150900", E, current=20_000, prior=40_000, base=450_000),
    "ma_daughter": _spec("马丽娟", "F", "1977-09-09", "150900", E, current=100_000, prior=200_000, base=550_000),
}


@dataclass(frozen=True)
class StoryResult:
    settlements: int
    ledger: ledger.LedgerCheck
    #: The cast by their key in :data:`CAST`, as registered.
    cast: dict[str, Member]


class Story:
    """The story's steps. ``tell()`` runs them in order on the clock it was given."""

    def __init__(self, db: Database, env: Env, clock: FixedClock, population: Population, console: Console) -> None:
        self.db = db
        self.env = env
        self.clock = clock
        self.population = population
        self.say = Narrator(console, clock)
        self.cast: dict[str, Member] = {}
        self.settlements = 0

    # -- helpers --------------------------------------------------------------------------------

    def run(self, fn: Callable[[Session, Env], T]) -> T:
        """One step, one transaction."""
        return self.db.run(lambda session: fn(session, self.env))

    def go_to(self, day: date) -> None:
        if day < today(self.clock):
            raise StoryError(f"the story's clock cannot go back to {day}")
        self.clock.set(FixedClock.on(day).now())

    def error(self, message: str) -> StoryError:
        """The story went differently from what it shows (raise it)."""
        return StoryError(message)

    def refusal(self, code: str, fn: Callable[[Session, Env], Any]) -> GongjiError:
        """Run a step that the rules must refuse with ``code``, and show the refusal."""
        try:
            self.run(fn)
        except GongjiError as error:
            if error.code != code:
                raise StoryError(f"expected the refusal {code}, got {error.code}: {error.message_en}") from error
            self.say.refused(error)
            return error
        raise StoryError(f"expected the refusal {code}, but the step went through")

    def total(self, key: str) -> int:
        balances = self.db.read(lambda s: people.balances(s, self.cast[key].id))
        return balances.total_fen if balances else 0

    def bind(self, payer: str, beneficiary: str, relationship: Relationship, *, actor: Actor | None = None,
             agreement: bool = True, **options: Any) -> Callable[[Session, Env], Any]:
        """A binding request of ``payer`` for ``beneficiary``, ready for :meth:`run` or :meth:`refusal`."""
        p, b = self.cast[payer], self.cast[beneficiary]
        version = self.env.policy(p.region_code).agreement_version if agreement else None
        return lambda s, env: authorizations.bind(
            s, env, payer_id_number=p.id_number, beneficiary_id_number=b.id_number, relationship=relationship.value,
            actor=actor or p.actor, agreement_version=version, **options)

    def settle(self, patient: str, amount_fen: int, use: Use, institution_code: str,
               **options: Any) -> settlement.SettlementResult:
        """Settle a bill of a cast member and print who paid what."""
        self.settlements += 1
        key = f"story-{self.settlements}"
        result = self.run(lambda s, env: settlement.settle(
            s, env, institution_code=institution_code, patient_id_number=self.cast[patient].id_number,
            amount_fen=amount_fen, use=use.value, idempotency_key=key, **options))
        self.say.payments(result)
        return result

    # -- the story ------------------------------------------------------------------------------

    def tell(self) -> StoryResult:
        """Register the cast, run the chapters, and end with the ledger check."""
        registry = self.population.registry
        specs = {key: registry.identify(spec) for key, spec in CAST.items()}
        members = self.run(lambda s, env: register_people(s, env, list(specs.values())))
        self.cast = dict(zip(specs, members, strict=True))
        self.harbin()
        self.zhengzhou()
        self.shenzhen()
        self.hangzhou()
        self.ulanqab()
        life.chapter(self, 6)
        return self.check_ledger()

    def harbin(self) -> None:
        c, say = self.cast, self.say
        wang, mother = c["wang"], c["wang_mother"]
        hospital = self.population.hospital("230100")
        say.chapter(1, "黑龙江 · 哈尔滨", "Heilongjiang · Harbin")
        say.step(f"{wang.name}（哈尔滨职工，余额 {yuan(self.total('wang'))}）在线为\n齐齐哈尔的母亲{mother.name}"
                 "办理共济绑定，未勾选同意授权协议。",
                 f"{wang.name} (Harbin employee) binds his mother in Qiqihar online, without accepting the agreement.",
                 ["HLJ-7", "N-7"])
        self.refusal("CONSENT_REQUIRED", self.bind("wang", "wang_mother", Relationship.PARENT, agreement=False))
        say.step("阅读并同意协议后重新提交：\n开始日期今天，终止日期不填（长期有效）。",
                 "He accepts the agreement and submits again: starting today, no end date.", ["HLJ-6", "N-7", "N-6"])
        mother_binding = self.run(self.bind("wang", "wang_mother", Relationship.PARENT)).id
        version = self.env.policy(wang.region_code).agreement_version
        say.ok(f"绑定 #{mother_binding} 生效，协议版本 {version} 与同意时间已留存；\n母亲在齐齐哈尔参保，同省即可",
               f"binding #{mother_binding} active; agreement {version} kept; same province suffices")

        sister = c["wang_sister"]
        say.step(f"为妹妹{sister.name}绑定时，终止日期误填为开始当天。",
                 "Binding his sister, he enters an end date equal to the start date.", ["HLJ-6"])
        self.refusal("INVALID_PERIOD", self.bind("wang", "wang_sister", Relationship.SIBLING, start_on=START,
                                                 end_on=START))
        self.run(self.bind("wang", "wang_sister", Relationship.SIBLING, end_on=date(2025, 3, 31)))
        say.ok("改为 2025-03-31 到期后绑定成功", "bound with the end date 2025-03-31")

        others = [("wang_father", Relationship.PARENT), ("wang_wife", Relationship.SPOUSE),
                  ("wang_son", Relationship.CHILD), ("wang_daughter", Relationship.CHILD),
                  ("wang_brother", Relationship.SIBLING), ("wang_younger_brother", Relationship.SIBLING),
                  ("wang_grandson", Relationship.GRANDCHILD), ("wang_daughters_child", Relationship.DAUGHTERS_CHILD)]
        for key, relationship in others:
            self.run(self.bind("wang", key, relationship))
        listed = [f"{c[key].name}（{relationship.zh}）" for key, relationship in others]
        say.step(f"再逐一添加：{'、'.join(listed[:3])}、\n{'、'.join(listed[3:6])}、\n{'、'.join(listed[6:])}。共绑定 10 人。",
                 "He adds eight more close relatives one by one: 10 bound in all.", ["HLJ-6", "N-2", "HLJ-5"])
        grandmother = c["wang_grandmother"]
        say.step(f"第 11 人：外祖母{grandmother.name}。", "An 11th: his maternal grandmother.", ["HLJ-1"])
        self.refusal("TOO_MANY_BENEFICIARIES",
                     self.bind("wang", "wang_grandmother", Relationship.MATERNAL_GRANDPARENT))
        father = c["wang_father"]
        say.step(f"父亲{father.name}也想为妻子{mother.name}绑定自己的账户。",
                 f"His father wants to pay for his wife {mother.name} too.", ["HLJ-3"])
        self.refusal("TOO_MANY_PAYERS", self.bind("wang_father", "wang_mother", Relationship.SPOUSE))

        wife = c["wang_wife"]
        say.step(f"妻子{wife.name}在{hospital.name}门诊结算，个人负担 3500.00 元；\n她本人账户只有 "
                 f"{yuan(self.total('wang_wife'))}。",
                 f"His wife settles an outpatient bill of 3500.00 yuan at {hospital.code}; her own account "
                 "holds little.", ["N-10", "D-1"])
        self.settle("wang_wife", 350_000, Use.OUTPATIENT, hospital.code)
        say.note("本人账户先付；共济人付剩余部分（当年账户先于历年账户）；\n仍不足的现金支付",
                 "own account first, then the payer (current-year before prior-years funds), then cash")

        self.go_to(date(2025, 3, 10))
        self.run(lambda s, env: people.credit(s, env, id_number=wang.id_number, amount_fen=16_000, actor=COUNTER,
                                                idempotency_key="monthly:2025-03"))
        say.step(f"{wang.name}的 3 月个人账户划入 160.00 元。\n随后他在授权记录页解除了与母亲的绑定。",
                 "His monthly credit of 160.00 yuan arrives. He then unbinds his mother on the records page.",
                 ["HLJ-8"])
        self.run(lambda s, env: authorizations.unbind(s, env, binding_id=mother_binding, actor=wang.actor))
        say.ok(f"绑定 #{mother_binding} 已解除", f"binding #{mother_binding} ended")

        self.go_to(date(2025, 3, 20))
        say.step("十天后，他想重新绑定母亲。", "Ten days later he wants to bind his mother again.", ["HLJ-2", "D-4"])
        self.refusal("REBIND_TOO_SOON", self.bind("wang", "wang_mother", Relationship.PARENT))

        self.go_to(date(2025, 4, 9))
        expired = self.run(authorizations.close_expired)
        say.step(f"系统日终处理：{expired} 条绑定到期自动结束\n（妹妹的绑定止于 3 月 31 日）。",
                 f"Nightly job: {expired} binding(s) past their end date ended by themselves (his sister's, "
                 "to 31 March).", ["D-3"])
        say.step("满 30 天，再次绑定母亲。", "Thirty days on, he binds his mother again.", ["HLJ-2"])
        again = self.run(self.bind("wang", "wang_mother", Relationship.PARENT)).id
        say.ok(f"绑定 #{again} 生效", f"binding #{again} active")
        payments = self.db.read(lambda s: records.payments_as_payer(s, person_id=wang.id))
        say.step(f"{wang.name}查询共济支付记录（对方身份证号已脱敏）：", "He looks up what his account paid for relatives:",
                 ["N-9"])
        say.rows([(str(item.on), item.other_name, item.other_id_number, Use(item.use).zh,
                   Fund(item.fund).zh if item.fund else "", fen_to_yuan(item.amount_fen)) for item in payments.items])

    def zhengzhou(self) -> None:
        c, say = self.cast, self.say
        chen, wife, father, daughter = c["chen"], c["chen_wife"], c["chen_father"], c["chen_daughter"]
        hospital, pharmacy = self.population.hospital("410100"), self.population.pharmacy("410100")
        self.go_to(date(2025, 4, 10))
        say.chapter(2, "河南 · 郑州", "Henan · Zhengzhou")
        say.step(f"{chen.name}在“河南医保”小程序建立共济家庭“陈家”，\n添加妻子{wife.name}、父亲{father.name}、"
                 f"女儿{daughter.name}为成员。",
                 f"{chen.name} creates the family '陈家' in the Henan mini-program and adds his wife, father and "
                 "daughter.", ["HN-1"])
        online = Actor.person(chen.id, Channel.WECHAT)

        def make_family(s: Session, env: Env) -> int:
            family = authorizations.create_family(s, env, householder_id_number=chen.id_number, name="陈家",
                                                  actor=online)
            for member, relationship in ((wife, Relationship.SPOUSE), (father, Relationship.PARENT),
                                         (daughter, Relationship.CHILD)):
                authorizations.add_member(s, env, family_id=family.id, member_id_number=member.id_number,
                                          relationship=relationship.value, actor=online)
            return family.id

        family_id = self.run(make_family)
        say.ok(f"共济家庭 #{family_id}，户主 {chen.name}，成员 3 人", f"family #{family_id}: the householder and 3 members")
        say.step("绑定女儿时没有上传证明材料。", "He binds his daughter without uploading proof.", ["HN-3"])
        self.refusal("PROOF_REQUIRED", self.bind("chen", "chen_daughter", Relationship.CHILD, actor=online))
        proof = [authorizations.Document("household_register", "upload/hukou-chen.jpg")]
        self.run(self.bind("chen", "chen_daughter", Relationship.CHILD, actor=online, documents=proof))
        self.run(self.bind("chen", "chen_father", Relationship.PARENT, actor=online, documents=proof))
        self.run(self.bind("chen_wife", "chen_daughter", Relationship.CHILD, documents=proof,
                           actor=Actor.person(wife.id, Channel.ALIPAY)))
        say.step(f"上传户口簿后，{chen.name}绑定女儿和父亲；{wife.name}也绑定女儿。\n女儿有两名共济人，两人余额都是 "
                 f"{yuan(self.total('chen'))}。",
                 "With the household register uploaded, he binds his daughter and father, and his wife binds "
                 "their daughter too: two payers with equal balances.", ["HN-1", "HN-3"])

        self.go_to(date(2025, 4, 11))
        say.step(f"女儿在{hospital.name}门诊自付 600.00 元\n（城乡居民医保，无个人账户）。",
                 "The daughter (resident insurance, no account) pays 600.00 yuan for outpatient care.", ["HN-4"])
        self.settle("chen_daughter", 60_000, Use.OUTPATIENT, hospital.code)
        say.note("余额相同，按姓名拼音排序：陈 (chen) 先于 刘 (liu)；\n若按 Unicode 码位，“刘” U+5218 反而在前",
                 "equal balances: name order by pinyin, Chen before Liu (by code point 刘 would come first)")
        say.step(f"父亲{father.name}门诊自付 300.00 元，只有{chen.name}为他共济。",
                 "The father pays 300.00 yuan; only his son pays for him.", ["N-10"])
        bill = self.settle("chen_father", 30_000, Use.OUTPATIENT, hospital.code)
        self.go_to(date(2025, 4, 12))
        say.step(f"女儿在{pharmacy.name}购药 300.00 元：\n现在{wife.name}余额较多，由她先付。",
                 "The daughter buys drugs for 300.00 yuan: now her mother has the larger balance and pays.",
                 ["HN-4", "HN-8"])
        self.settle("chen_daughter", 30_000, Use.PHARMACY, pharmacy.code)

        self.go_to(date(2025, 4, 15))
        self.run(lambda s, env: people.change_status(s, env, id_number=chen.id_number, status="suspended",
                                                     actor=COUNTER))
        say.step(f"{chen.name}换工作，单位暂停缴费（参保状态：暂停）。\n女儿门诊自付 1800.00 元。",
                 "He changes jobs and his contributions pause (suspended). The daughter's next bill: 1800.00 yuan.",
                 ["HN-2", "N-10"])
        self.settle("chen_daughter", 180_000, Use.OUTPATIENT, hospital.code)

        self.go_to(date(2025, 4, 21))
        self.run(lambda s, env: people.change_status(s, env, id_number=chen.id_number, status="normal",
                                                     actor=COUNTER))
        ended = self.run(lambda s, env: authorizations.remove_member(
            s, env, family_id=family_id, member_id_number=father.id_number, actor=online))
        say.step(f"缴费恢复正常。父亲回老家由弟弟照顾，\n{chen.name}将其移出家庭，{ended} 条绑定随之解除。",
                 f"Contributions are back to normal. His father moves to his brother's; {chen.name} removes him from "
                 f"the family, and {ended} binding ends with it.", ["HN-7"])
        before = self.total("chen")
        say.step("医院撤销父亲 4 月 11 日的结算（检查未做），\n退费 300.00 元。",
                 "The hospital cancels the father's settlement of 11 April and refunds 300.00 yuan.", ["HN-5", "NI-5"])
        refund = self.run(lambda s, env: settlement.cancel(
            s, env, institution_code=hospital.code, settlement_id=bill.settlement_id, idempotency_key="story-refund-1",
            reason="检查未做"))
        say.refund(refund)
        say.note(f"绑定已解除，钱仍退回原共济人：\n{chen.name}余额 {yuan(before)} → {yuan(self.total('chen'))}",
                 "the binding has ended, yet the money goes back to the payer who paid")

    def shenzhen(self) -> None:
        c, say = self.cast, self.say
        zhang, child = c["zhang"], c["zhang_child"]
        hospital = self.population.hospital("440300")
        reserve = self.env.policy(zhang.region_code).reserve_line_fen
        self.go_to(date(2025, 4, 22))
        say.chapter(3, "深圳", "Shenzhen")
        say.step(f"{zhang.name}（余额 {yuan(self.total('zhang'))}）在医院医保办刷卡，\n输入女儿{child.name}的卡号，"
                 "办理关联。",
                 "He swipes his card at the hospital insurance office and enters his daughter's card number; "
                 "staff check his social security card and ID card.",
                 ["SZ-2", "SZ-4", "N-8"])
        checked = [Document(kind.value) for kind in self.env.policy(zhang.region_code).counter_documents]
        self.run(self.bind("zhang", "zhang_child", Relationship.CHILD,
                           actor=Actor.staff("SZ-HOSP-01", Channel.HOSPITAL_OFFICE), documents=checked))
        say.step(f"{child.name}接种疫苗，自付 500.00 元。\n只有高于保留额度 {yuan(reserve)}的部分可以共济："
                 f"可用 {yuan(self.total('zhang') - reserve)}。",
                 f"Vaccination, 500.00 yuan. Only the balance above {fen_to_yuan(reserve)} yuan pays for relatives.",
                 ["SZ-1", "SZ-3"])
        self.settle("zhang_child", 50_000, Use.VACCINATION, hospital.code)
        self.go_to(date(2025, 4, 29))
        say.step(f"一周后门诊 2000.00 元，可用只剩 {yuan(self.total('zhang') - reserve)}。",
                 "A week later, 2000.00 yuan for outpatient care; less is available now.", ["SZ-1", "N-10"])
        self.settle("zhang_child", 200_000, Use.OUTPATIENT, hospital.code)
        say.note(f"{zhang.name}的账户停在保留额度：余额 {yuan(self.total('zhang'))}，其余现金支付",
                 "his account stops at the reserve line; the rest is cash")

    def hangzhou(self) -> None:
        c, say = self.cast, self.say
        zhou, wu, daughter = c["zhou"], c["wu"], c["zhou_daughter"]
        hospital = self.population.hospital("330100")
        self.go_to(date(2025, 4, 30))
        say.chapter(4, "杭州", "Hangzhou")
        say.step(f"退休职工{zhou.name}想为女儿{daughter.name}办理共济绑定。",
                 "A retired employee wants to bind his daughter.", ["HZ-1"])
        self.refusal("BINDING_NOT_OFFERED", self.bind("zhou", "zhou_daughter", Relationship.CHILD))
        version = self.env.policy(zhou.region_code).agreement_version

        def transfer(payer: Member, amount_fen: int, key: str) -> Callable[[Session, Env], Any]:
            return lambda s, env: transfers.transfer(
                s, env, payer_id_number=payer.id_number, beneficiary_id_number=daughter.id_number,
                relationship=Relationship.CHILD.value, amount_fen=amount_fen, agreement_version=version,
                idempotency_key=key, actor=Actor.person(payer.id, Channel.ALIPAY))

        prior = self.db.read(lambda s: people.balances(s, zhou.id)).prior_years_fen
        say.step(f"改用历年资金划转：阅读须知、同意承诺，系统读出历年余额 {yuan(prior)}；\n他输入 10000.00 元。",
                 "He uses a transfer instead: accepts the commitment, sees his prior-years balance, enters 10000.00.",
                 ["HZ-4", "HZ-2"])
        self.refusal("INSUFFICIENT_PRIOR_YEARS", transfer(zhou, 1_000_000, "story-hz-0"))
        self.run(transfer(zhou, 500_000, "story-hz-1"))
        self.run(transfer(wu, 100_000, "story-hz-2"))
        say.step(f"{zhou.name}划转 5000.00 元，{wu.name}也划转 1000.00 元给女儿。",
                 "He transfers 5000.00 yuan, and her mother 1000.00 yuan.", ["HZ-1", "HZ-3"])
        balances = self.db.read(lambda s: people.balances(s, daughter.id))
        say.ok(f"{daughter.name}历年账户 {yuan(balances.prior_years_fen)}，短信通知划转成功",
               f"her prior-years funds now {fen_to_yuan(balances.prior_years_fen)} yuan; an SMS confirms")
        self.go_to(date(2025, 5, 6))
        say.step(f"{daughter.name}住院自付 4000.00 元，刷自己的医保卡：\n钱已归她所有。",
                 "She pays a 4000.00 yuan inpatient bill with her own card: the money is hers now.",
                 ["HZ-1", "N-4", "D-1"])
        self.settle("zhou_daughter", 400_000, Use.INPATIENT, hospital.code,
                    cert=settlement.Certificate("insurance_card", daughter.card_no))

    def ulanqab(self) -> None:
        c, say = self.cast, self.say
        gao, son, daughter = c["gao"], c["ma_son"], c["ma_daughter"]
        hospital, pharmacy = self.population.hospital("150900"), self.population.pharmacy("150900")
        self.go_to(date(2025, 5, 12))
        say.chapter(5, "内蒙古 · 乌兰察布", "Inner Mongolia · Ulanqab")
        say.step(f"{son.name}（余额 {yuan(self.total('ma_son'))}）和{daughter.name}（余额 "
                 f"{yuan(self.total('ma_daughter'))}）\n为母亲{gao.name}绑定，约定扣款顺位：儿子第一、女儿第二。",
                 "Son and daughter bind their mother and fix the order: the son first, the daughter second.",
                 ["WL-1", "D-2"])
        self.run(self.bind("ma_son", "gao", Relationship.PARENT, priority=1))
        self.run(self.bind("ma_daughter", "gao", Relationship.PARENT, priority=2))
        self.run(lambda s, env: people.change_status(s, env, id_number=son.id_number, status="suspended",
                                                     actor=COUNTER))
        say.step(f"{son.name}的单位停缴，参保状态为暂停。\n乌兰察布规定账户余额仍可使用（河南则不可，见第2章）。",
                 "The son's contributions lapse (suspended). Here his balance may still pay (not so in Henan).",
                 ["WL-5", "HN-2"])
        self.go_to(date(2025, 5, 13))
        say.step(f"母亲在{hospital.name}住院自付 1000.00 元。", "Their mother pays 1000.00 yuan for a hospital stay.",
                 ["WL-1", "WL-5", "N-10"])
        self.settle("gao", 100_000, Use.INPATIENT, hospital.code)
        say.note("顺位第一的儿子先付完，再由女儿支付——尽管女儿余额更多",
                 "the first in the fixed order pays first, though the daughter has more")
        self.go_to(date(2025, 5, 20))
        say.step(f"{daughter.name}到{pharmacy.name}代母亲买药 86.50 元，\n先递上自己的医保卡。",
                 "The daughter buys drugs for her mother (86.50 yuan) and hands over her own card.", ["N-4", "WL-3"])
        agent = settlement.Agent(daughter.name, daughter.id_number)
        self.refusal("CARD_NOT_PATIENTS", lambda s, env: settlement.settle(
            s, env, institution_code=pharmacy.code, patient_id_number=gao.id_number, amount_fen=8_650,
            use=Use.PHARMACY.value, idempotency_key="story-proxy-0",
            cert=settlement.Certificate("insurance_card", daughter.card_no), agent=agent))
        say.step("改用母亲本人的医保卡，并登记代办人身份。", "She uses her mother's card and is recorded as the agent.",
                 ["N-4", "WL-3"])
        self.settle("gao", 8_650, Use.PHARMACY, pharmacy.code,
                    cert=settlement.Certificate("insurance_card", gao.card_no), agent=agent)
        say.note(f"结算记录：患者卡 {gao.card_no}，代办人 {daughter.name} {mask(daughter.id_number)}",
                 "the settlement keeps the patient's card and the agent's identity")

    def check_ledger(self) -> StoryResult:
        say = self.say
        say.chapter(7, "账本核对", "Ledger check")
        result = self.db.read(ledger.check)
        say.step("全部分录借贷相加为零，个人账户无负余额，\n每个余额等于其分录之和？",
                 "Do all postings sum to zero, no personal balance below zero, every balance equal to its postings?",
                 ["N-3"])
        if result.ok:
            say.ok("账本检查通过", "ledger check ok")
        else:
            say.console.print(Text(f"            ✗ 账本检查未通过 ledger check FAILED: {result}", style="bold red"))
        return StoryResult(settlements=self.settlements, ledger=result, cast=self.cast)


def tell(db: Database, env: Env, clock: FixedClock, population: Population, console: Console) -> StoryResult:
    """Print the population and tell the story on ``clock``; return what the ledger check found."""
    print_population(console, population)
    return Story(db, env, clock, population, console).tell()
