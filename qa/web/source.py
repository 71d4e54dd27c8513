"""The 原文 tab (every document, each chunk a link target) and the 数据 tab's rows: pure functions.

The 数据 search reads words the way residents type them: an indicator's everyday name finds the
report's formal one (GDP finds 地区生产总值), and a number finds the figure that *is* that number
before the figures that merely stand near it (2715 lists 2715亿元 before 4.7%).
"""
from __future__ import annotations

import re
from collections import defaultdict
from typing import Any, Callable, Iterable, Sequence

from ..indicators import aliases_of
from ..related import report_name
from ..types import Document, Figure, Period
from .labels import KINDS, t
from .render import anchor, badge, esc, period_label, section_anchor

Aliases = Callable[[str], Sequence[str]]


def render_source(documents: Sequence[Document], chunks: Iterable[Any], lang: str = "zh") -> str:
    """Every document with its sections; each chunk of text is a <span> whose id a citation links to."""
    by_para: dict[tuple[str, int], list[Any]] = defaultdict(list)
    for c in chunks:
        by_para[(c.doc, c.paragraph)].append(c)
    out = ['<div class="qa-source">']
    for d in documents:
        out.append(f'<article class="qa-doc" lang="zh-CN"><h2 class="qa-doc-title">{esc(d.title)}</h2>')
        meta = []
        if d.date:
            meta.append(f'{esc(t(lang, "published"))}：{esc(d.date)}')
        if d.source:
            meta.append(f'{esc(t(lang, "source"))}：{esc(d.source)}')
        if meta:
            out.append(f'<div class="qa-doc-meta">{" · ".join(meta)}</div>')
        if d.sections:
            out.append(f'<nav class="qa-toc" aria-label="{esc(t(lang, "toc"))}"><div class="qa-toc-title">'
                       f'{esc(t(lang, "toc"))}</div><ul>')
            for s in d.sections:
                target = section_anchor(d.id, s.start)
                heading = s.heading if len(s.heading) <= 48 else s.heading[:47] + "…"
                out.append(f'<li class="qa-toc-l{int(s.level)}"><a href="#{target}" data-qa-target="{target}">'
                           f'{esc(heading)}</a></li>')
            out.append("</ul></nav>")
        heads = {s.start: s for s in d.sections if s.level == 1}
        subs = {s.start: s for s in d.sections if s.level != 1}
        items: list[tuple[int, int, Any]] = [(s.start, 0, s) for s in heads.values()]
        items += [(p.start, 1, p) for p in d.paragraphs]
        for _, kind, item in sorted(items, key=lambda x: (x[0], x[1])):
            if kind == 0:
                out.append(f'<h3 class="qa-part" id="{section_anchor(d.id, item.start)}">{esc(item.heading)} '
                           f'{badge(item.period, lang)}</h3>')
                continue
            p = item
            pid = f' id="{section_anchor(d.id, p.start)}"' if p.start in subs else ""
            out.append(f'<p class="qa-p"{pid}>')
            cursor = p.start
            for c in sorted(by_para.get((d.id, p.index), []), key=lambda c: c.start):
                s = max(c.start, cursor)
                e = min(c.end, p.end)
                if e <= s:
                    continue
                if s > cursor:
                    out.append(esc(d.text[cursor:s]))
                out.append(f'<span class="qa-chunk" id="{anchor(c.id)}" tabindex="-1">{esc(d.text[s:e])}</span>')
                cursor = e
            if cursor < p.end:
                out.append(esc(d.text[cursor:p.end]))
            out.append("</p>")
        out.append("</article>")
    out.append("</div>")
    return "".join(out)


def figure_context(doc: Document | None, f: Figure, width: int = 24) -> str:
    if doc is None:
        return f.text
    a = max(0, f.start - width)
    b = min(len(doc.text), f.end + width)
    text = doc.text[a:b].replace("\n", " ")
    return ("…" if a > 0 else "") + text + ("…" if b < len(doc.text) else "")


_NUM = re.compile(r"\d+(?:\.\d+)?")


def _same_number(word: str, f: Figure) -> bool:
    """`word` is the figure's own number: 2715 for 2715亿元, 4.7 for 增长4.7%, 4.70 too."""
    try:
        wanted = float(word)
    except ValueError:
        return False
    return any(float(m) == wanted for m in _NUM.findall(f.text))


_PART = re.compile(r"^(一季度|二季度|三季度|四季度|前三季度|上半年|下半年|全年)")
_PART_EN = {"一季度": "Q1", "二季度": "Q2", "三季度": "Q3", "四季度": "Q4", "前三季度": "first three quarters",
            "上半年": "first half", "下半年": "second half", "全年": "full year"}


def figure_period(f: Figure, lang: str = "zh") -> str:
    """The period of a figure, with the part of the year its own words give (2023年实绩 · 一季度): the
    quarterly figures of a year are not four answers for the same year."""
    label = period_label(f.period, lang)
    m = _PART.match(f.subject or "")
    if not m or m.group(1) == "全年":
        return label
    part = _PART_EN[m.group(1)] if lang == "en" else m.group(1)
    return f"{label} · {part}" if label else part


def figure_rows(
    figures: Sequence[Figure],
    documents: dict[str, Document],
    query: str = "",
    period: str = "",
    section: str = "",
    lang: str = "zh",
    aliases: Aliases = aliases_of,
) -> list[list[str]]:
    """Rows of the 数据 table, filtered by free text (figure, subject, section, context; each word
    or one of its `aliases`), period label and section; figures whose own number is a searched
    number first, then those whose text or subject holds a word, then the rest in document order.
    Plain strings: the table shows them as text, never as HTML."""
    words = [w.lower() for w in (query or "").split() if w]
    # an alias counts where it names what the figure measures; the word as typed counts anywhere
    forms = [{w, *(a.lower() for a in aliases(w) if a)} for w in words]
    ranked: list[tuple[int, int, list[str]]] = []
    for n, f in enumerate(figures):
        plabel = f.period.label if f.period else ""
        if period and period != plabel:
            continue
        if section and not (f.section == section or f.section.startswith(section + " > ")):
            continue
        ctx = figure_context(documents.get(f.doc), f)
        kind = KINDS[lang].get(f.kind, f.kind)
        measures = (" · ".join(x for x in (report_name(f.indicator, ctx), f.aspect) if x) if f.indicator
                    else f.subject)
        hay = " ".join((f.text, f.subject, f.section, ctx, kind, plabel, f.kind)).lower()
        own = f"{f.text} {f.subject} {f.indicator or ''}".lower()
        if any(w not in hay and not any(x in own for x in fs) for w, fs in zip(words, forms)):
            continue
        if any(_same_number(w, f) for w in words):
            rank = 0
        elif forms and all(any(x in own for x in fs) for fs in forms):
            rank = 1
        else:
            rank = 2
        row = [f.text, measures, kind, figure_period(f, lang), f.section.replace(" > ", " › "), ctx]
        ranked.append((rank, n, row))
    ranked.sort(key=lambda r: (r[0], r[1]))
    return [row for _, _, row in ranked]


def render_figure_table(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> str:
    """The 数据 table as safe HTML: a table on wide screens, a card per figure on phones (page.css);
    each cell carries its column's name for the card. Values and periods never wrap."""
    head = "".join(f'<th class="qa-col{i}" scope="col">{esc(h)}</th>' for i, h in enumerate(headers, 1))
    body = []
    for row in rows:
        cells = "".join(f'<td class="qa-col{i}"><span class="qa-td-label">{esc(h)}</span>{esc(v)}</td>'
                        for i, (h, v) in enumerate(zip(headers, row), 1))
        body.append(f"<tr>{cells}</tr>")
    return (f'<div class="qa-figtable-wrap"><table class="qa-figures"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')


def render_indicator_table(rows: Sequence[Any], lang: str = "zh") -> str:
    """The key indicators (qa.resolve.IndicatorRow: indicator, aspect, period, figure, sentence) as
    a matrix: one line per indicator and aspect, one column per period; each value with its
    sentence on hover. Safe HTML: every text escaped."""
    periods: list[Period | None] = sorted({r.period for r in rows}, key=lambda p: (  # first may be None: by key
        (1, 0, "", 0) if p is None else (0, p.year, p.kind, p.first if p.first is not None else p.year)))
    lines: dict[tuple[str, str], dict[Period | None, Any]] = {}
    for r in rows:
        lines.setdefault((r.indicator, r.aspect), {})[r.period] = r
    head = "".join(f'<th scope="col">{esc(period_label(p, lang) or "—")}</th>' for p in periods)
    body = []
    for (indicator, aspect), cells in lines.items():
        tds = "".join(
            f'<td class="qa-kv" title="{esc(cells[p].sentence)}">{esc(cells[p].figure.text)}</td>' if p in cells
            else '<td class="qa-kv qa-none">—</td>' for p in periods)
        name = report_name(indicator, " ".join(c.sentence for c in cells.values()))  # as the report writes it
        body.append(f'<tr><th scope="row">{esc(name)}<span class="qa-aspect">{esc(aspect)}</span></th>{tds}</tr>')
    return (f'<div class="qa-keytable-wrap"><table class="qa-keytable"><thead><tr>'
            f'<th scope="col">{esc(t(lang, "key_indicator"))}</th>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')
