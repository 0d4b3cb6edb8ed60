"""A statement as CSV (UTF-8 with a byte-order mark, so that spreadsheet programs read the Chinese) and as PDF
(reportlab, with the CID font STSong-Light, which needs no font file), in Chinese or English. Amounts in yuan."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from gongji.money import fen_to_yuan
from gongji.statements.service import Statement
from gongji.terms import Fund, Use

#: The kinds of account change (ledger entries), in words.
CHANGES = {"credit": ("账户划入", "credited"), "settlement": ("结算支付", "paid a bill"),
           "refund": ("退费退回", "refund"), "transfer": ("历年资金划转", "transfer of prior-years funds"),
           "resident_contribution": ("代缴居民医保", "resident contribution paid"),
           "year_end": ("年度结转", "year-end roll-over"), "wallet": ("医保钱包", "wallet")}


def _t(language: str, zh: str, en: str) -> str:
    return zh if language == "zh" else en


def _word(enum, value: str | None, language: str) -> str:
    if value is None:
        return ""
    try:
        member = enum(value)
    except ValueError:
        return str(value)
    return _t(language, member.zh, member.en)


def _change(kind: str, language: str) -> str:
    words = CHANGES.get(kind) or next((w for k, w in CHANGES.items() if kind.startswith(k)), (kind, kind))
    return _t(language, *words)


def sections(st: Statement, language: str = "zh") -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, header, rows) of each part of the statement, as both renderings show them."""
    t = lambda zh, en: _t(language, zh, en)  # noqa: E731
    return [
        (t("账户变动", "Account changes"),
         [t("日期", "Date"), t("类型", "Kind"), t("账户", "Fund"), t("金额（元）", "Amount (yuan)"),
          t("变动后余额（元）", "Balance after (yuan)")],
         [[c.on.isoformat(), _change(c.kind, language), _word(Fund, c.fund, language), fen_to_yuan(c.amount_fen),
           fen_to_yuan(c.balance_after_fen)] for c in st.account_changes]),
        (t("本人消费记录", "My bills"),
         [t("日期", "Date"), t("机构", "Institution"), t("类别", "Use"), t("总额", "Amount"), t("本人账户", "Own account"),
          t("亲属共济", "Relatives"), t("现金", "Cash"), t("已退", "Refunded")],
         [[c.on.isoformat(), c.institution_name, _word(Use, c.use, language), fen_to_yuan(c.amount_fen),
           fen_to_yuan(c.own_fen), fen_to_yuan(c.mutual_aid_fen), fen_to_yuan(c.cash_fen),
           fen_to_yuan(c.refunded_fen)] for c in st.consumption]),
        (t("我的账户为亲属支付", "Paid from my account for relatives"),
         [t("日期", "Date"), t("亲属", "Relative"), t("机构", "Institution"), t("类别", "Use"),
          t("金额（元）", "Amount (yuan)"), t("已退（元）", "Refunded (yuan)")],
         [[p.on.isoformat(), f"{p.other_name} {p.other_id_number}", p.institution_name or "",
           _word(Use, p.use, language), fen_to_yuan(p.amount_fen), fen_to_yuan(p.refunded_fen)]
          for p in st.paid_by_me]),
        (t("亲属为我支付", "Paid for me by relatives"),
         [t("日期", "Date"), t("共济人", "Payer"), t("机构", "Institution"), t("类别", "Use"),
          t("金额（元）", "Amount (yuan)"), t("已退（元）", "Refunded (yuan)")],
         [[p.on.isoformat(), f"{p.other_name} {p.other_id_number}", p.institution_name or "",
           _word(Use, p.use, language), fen_to_yuan(p.amount_fen), fen_to_yuan(p.refunded_fen)]
          for p in st.paid_for_me]),
    ]


def title(st: Statement, language: str = "zh") -> str:
    return _t(language, f"家庭共济对账单 {st.period.label}", f"Mutual-aid statement {st.period.label}")


def _lines(st: Statement, language: str) -> Iterable[list[str]]:
    t = lambda zh, en: _t(language, zh, en)  # noqa: E731
    yield [title(st, language)]
    yield [t("姓名", "Name"), st.name, t("身份证号码", "ID number"), st.id_number]
    yield [t("期间", "Period"), st.period.first_day.isoformat(), st.period.last_day.isoformat()]
    for name, header, rows in sections(st, language):
        yield []
        yield [name]
        yield header
        yield from rows or [[t("（无）", "(none)")]]


def to_csv(st: Statement, language: str = "zh") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for line in _lines(st, language):
        writer.writerow(line)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


_FONT = "STSong-Light"


def to_pdf(st: Statement, language: str = "zh") -> bytes:
    """An A4 page (or more) with the four parts as tables, in the CID font STSong-Light (Chinese and Latin)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    if _FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(_FONT))
    t = lambda zh, en: _t(language, zh, en)  # noqa: E731
    heading = ParagraphStyle("h", fontName=_FONT, fontSize=15, leading=20, spaceAfter=4)
    sub = ParagraphStyle("s", fontName=_FONT, fontSize=11, leading=15, spaceBefore=8, spaceAfter=3)
    body = ParagraphStyle("b", fontName=_FONT, fontSize=9, leading=12)
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=14 * mm, rightMargin=14 * mm, topMargin=14 * mm,
                            bottomMargin=14 * mm, title=title(st, language), author="Gongji")
    story = [Paragraph(title(st, language), heading),
             Paragraph(f"{t('姓名：', 'Name: ')}{st.name}　{t('身份证号码：', 'ID number: ')}{st.id_number}", body),
             Paragraph(f"{t('期间：', 'Period: ')}{st.period.first_day.isoformat()} — {st.period.last_day.isoformat()}",
                       body)]
    for name, header, rows in sections(st, language):
        story.append(Paragraph(name, sub))
        if not rows:
            story.append(Paragraph(t("（无）", "(none)"), body))
            continue
        cells = [[Paragraph(str(c), body) for c in row] for row in [header, *rows]]
        table = Table(cells, repeatRows=1, hAlign="LEFT", colWidths=[doc.width / len(header)] * len(header))
        table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                                   ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                                   ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        story.append(table)
    story.append(Spacer(1, 6 * mm))
    story.append(Paragraph(t("本对账单只列本人账户和本人相关的共济记录，不含他人账户余额。",
                             "This statement lists the holder's own account and the mutual aid that concerns him; "
                             "it shows no one else's balance."), body))
    doc.build(story)
    return out.getvalue()
