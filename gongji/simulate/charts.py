"""Charts of a simulation: a small SVG of our own for the page, PNG files by matplotlib for the command line.

Each chart compares the two sides, current and proposed, as bars side by side, in yuan.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

CURRENT_COLOUR, PROPOSED_COLOUR = "#8c96a3", "#c0392b"

#: (file stem, section, figure, title zh, title en)
CHARTS = (
    ("totals", "totals", "", "共济支付与个人现金（元）", "Mutual aid and patients' cash (yuan)"),
    ("by_month", "by_month", "mutual_aid_fen", "每月共济支付（元）", "Mutual aid by month (yuan)"),
    ("by_patient_age", "by_patient_age", "cash_fen", "按就诊人年龄的个人现金（元）", "Patients' cash by patient's age (yuan)"),
    ("by_payer_age", "by_payer_age", "mutual_aid_fen", "按共济人年龄的共济支付（元）", "Mutual aid by payer's age (yuan)"),
    ("by_use", "by_use", "mutual_aid_fen", "按费用类别的共济支付（元）", "Mutual aid by use (yuan)"),
)

USE_LABELS = {"outpatient": ("门诊", "outpatient"), "inpatient": ("住院", "inpatient"),
              "pharmacy": ("药店", "pharmacy"), "vaccination": ("接种", "vaccination"),
              "supplementary": ("补充", "supplementary"), "resident_contribution": ("居民缴费", "contribution")}


def series(result: dict[str, Any], section: str, figure: str, language: str) -> tuple[list[str], list[int], list[int]]:
    """Categories and the current and proposed values (fen) of one chart."""
    zh = language == "zh"
    if section == "totals":
        sides = result["sides"]
        labels = ["共济支付", "个人现金"] if zh else ["mutual aid", "cash"]
        return (labels, [sides["current"]["mutual_aid_fen"], sides["current"]["cash_fen"]],
                [sides["proposed"]["mutual_aid_fen"], sides["proposed"]["cash_fen"]])
    rows = result[section]
    labels = [USE_LABELS.get(r["key"], (r["key"], r["key"]))[0 if zh else 1] if section == "by_use" else r["key"]
              for r in rows]
    return labels, [r[f"current_{figure}"] for r in rows], [r[f"proposed_{figure}"] for r in rows]


def _yuan(fen: int) -> str:
    yuan = fen / 100
    if abs(yuan) >= 10_000:
        return f"{yuan / 10_000:.1f}万" if abs(yuan) < 100_000_000 else f"{yuan / 100_000_000:.2f}亿"
    return f"{yuan:,.0f}"


def title(chart: str, language: str = "zh") -> str:
    _, _, _, zh, en = next(c for c in CHARTS if c[0] == chart)
    return zh if language == "zh" else en


def svg(result: dict[str, Any], chart: str, language: str = "zh") -> str:
    """One chart as an inline SVG, bars only (its title and legend are the page's text): drawn at about the width
    it is shown at on a phone, so that its labels read at the page's size."""
    stem, section, figure, title_zh, title_en = next(c for c in CHARTS if c[0] == chart)
    labels, current, proposed = series(result, section, figure, language)
    width, height, left, bottom, top = 360, 200, 6, 28, 22
    plot_h = height - bottom - top
    top_value = max([*current, *proposed, 1])
    n = max(len(labels), 1)
    slot = (width - 2 * left) / n
    bar = min(40.0, slot * 0.4)
    name = title_zh if language == "zh" else title_en
    out = [f'<svg class="sim-chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(name)}" '
           f'xmlns="http://www.w3.org/2000/svg">',
           f'<line x1="{left}" y1="{height - bottom}" x2="{width - left}" y2="{height - bottom}" stroke="#555"/>']
    for i, label in enumerate(labels):
        centre = left + slot * (i + 0.5)
        for offset, value, colour in ((-bar, current[i], CURRENT_COLOUR), (0, proposed[i], PROPOSED_COLOUR)):
            h = plot_h * value / top_value
            x, y = centre + offset, height - bottom - h
            out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{colour}">'
                       f'<title>{escape(label)} {_yuan(value)}</title></rect>')
            if n <= 5:
                out.append(f'<text x="{x + bar / 2:.1f}" y="{y - 5:.1f}" font-size="13" text-anchor="middle">'
                           f'{_yuan(value)}</text>')
        if n <= 6 or i % max(1, n // 6) == 0:
            shown = label[-2:] if n > 6 and section == "by_month" else label
            out.append(f'<text x="{centre:.1f}" y="{height - bottom + 18}" font-size="13" text-anchor="middle">'
                       f'{escape(shown)}</text>')
    out.append("</svg>")
    return "".join(out)


def _font() -> str | None:
    """A font with Chinese glyphs, if the machine has one (Noto Sans CJK and the like)."""
    from matplotlib import font_manager

    for font in font_manager.fontManager.ttflist:
        if any(word in font.name for word in ("Noto Sans CJK", "Noto Serif CJK", "WenQuanYi", "Source Han")):
            return font.name
    return None


def write_pngs(result: dict[str, Any], folder: Path, language: str = "zh") -> list[Path]:
    """Every chart as ``folder/<chart>.png``; English labels when no font with Chinese glyphs is there."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    font = _font()
    if language == "zh" and font is None:
        language = "en"
    if font:
        matplotlib.rcParams["font.sans-serif"] = [font, "DejaVu Sans"]
    paths = []
    for stem, section, figure, title_zh, title_en in CHARTS:
        labels, current, proposed = series(result, section, figure, language)
        fig, ax = pyplot.subplots(figsize=(8, 4), dpi=110)
        xs = range(len(labels))
        names = ("现行", "调整后") if language == "zh" else ("current", "proposed")
        ax.bar([x - 0.2 for x in xs], [v / 100 for v in current], 0.4, label=names[0], color=CURRENT_COLOUR)
        ax.bar([x + 0.2 for x in xs], [v / 100 for v in proposed], 0.4, label=names[1], color=PROPOSED_COLOUR)
        ax.set_xticks(list(xs), labels, rotation=45 if len(labels) > 6 else 0, ha="right" if len(labels) > 6 else "center")
        ax.set_title(title_zh if language == "zh" else title_en)
        ax.legend()
        ax.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
        path = folder / f"{stem}.png"
        fig.savefig(path)
        pyplot.close(fig)
        paths.append(path)
    return paths
