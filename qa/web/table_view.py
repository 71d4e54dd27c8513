"""A table of an indicator across years or areas (qa/table.py) as the page shows it, and the loaded
documents: pure functions, no Gradio (but `plot_of`, which wraps a chart for `gr.Plot`).

The table is HTML: per row the area and year, the target and the result as the reports write them, each
with its citation link, and whether the target was met only where its words decide it (else 请对照原文:
both are shown, the reader judges). An empty cell says why, or quotes what the report says instead (我们
没有提出全年经济增速具体目标). The chart is a Vega-Lite spec drawn by Gradio's own plot component: results
as a line, targets as markers (a range as a bar between its bounds). Every text that is not ours (areas,
figures, quotes, titles) is escaped here; the chart's texts are data values, never markup.
"""
from __future__ import annotations

import json
from typing import Any, Callable, Iterable, Mapping, Sequence

from ..table import Bounds, bounds_of
from ..types import Document, Quote, TableRow
from .labels import t
from .render import anchor, esc

# (doc, offset) -> (link label, chunk id) of the passage that cites it, or None
Cite = Callable[[str, int], "tuple[str, str] | None"]


def _link(cite: Cite | None, doc: str, pos: int, lang: str) -> str:
    got = cite(doc, pos) if cite is not None else None
    if got is None:
        return ""
    label, chunk_id = got
    target = anchor(chunk_id)
    return (f' <a class="qa-cite-link" href="#{target}" data-qa-target="{target}" '
            f'title="{esc(t(lang, "view_source"))}">{esc(label)}</a>')


def _cell(text: str, quote: Quote | None, pos: int | None, doc: str, missing: str, note: Quote | None,
          lang: str, cite: Cite | None) -> str:
    if text:
        title = f' title="{esc(quote.text)}"' if quote is not None else ""
        return f'<span class="qa-tv"{title}>{esc(text)}</span>{_link(cite, doc, pos or 0, lang)}'
    if note is not None:
        return (f'<span class="qa-tnote">“{esc(note.text)}”</span>'
                f'{_link(cite, note.doc, note.start, lang)}')
    return f'<span class="qa-tmiss">{esc(t(lang, "miss_" + missing) if missing else "—")}</span>'


def met_label(r: TableRow, lang: str) -> str:
    if r.met is True:
        return t(lang, "met_yes")
    if r.met is False:
        return t(lang, "met_no")
    return t(lang, "met_judge") if r.target is not None and r.result is not None else t(lang, "met_none")


def render_table(rows: Sequence[TableRow], lang: str = "zh", cite: Cite | None = None) -> str:
    """The rows as a safe HTML table; the columns not asked for (目标 of a results table) are left out."""
    show_t = any(r.target_missing != "not_asked" for r in rows)
    show_r = any(r.result_missing != "not_asked" for r in rows)
    cols = ["tcol_area", "tcol_year"] + (["tcol_target"] if show_t else []) + (["tcol_result"] if show_r else [])
    cols += ["tcol_met"] if show_t and show_r else []
    head = "".join(f'<th scope="col">{esc(t(lang, c))}</th>' for c in cols)
    body = []
    for r in rows:
        cells = [f'<th scope="row">{esc(r.area)}</th>', f'<td class="qa-tyear">{int(r.year)}</td>']
        if show_t:
            cells.append('<td class="qa-tcell">' + _cell(r.target_text, r.target_quote, r.target and r.target.start,
                                                          r.target.doc if r.target else "", r.target_missing, r.note,
                                                          lang, cite) + "</td>")
        if show_r:
            cells.append('<td class="qa-tcell">' + _cell(r.result_text, r.result_quote, r.result and r.result.start,
                                                          r.result.doc if r.result else "", r.result_missing, None,
                                                          lang, cite) + "</td>")
        if show_t and show_r:
            kind = {True: "yes", False: "no"}.get(r.met, "judge")
            cells.append(f'<td class="qa-met qa-met-{kind}">{esc(met_label(r, lang))}</td>')
        body.append(f'<tr>{"".join(cells)}</tr>')
    return (f'<div class="qa-rowtable-wrap"><table class="qa-rowtable"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')


def table_lines(rows: Sequence[TableRow], lang: str = "zh") -> list[str]:
    """The table as plain text lines (the copy button's): 中国 2019: 目标 6%－6.5%; 实际 6.1% (✓ 达到目标)."""
    out = []
    for r in rows:
        parts = []
        if r.target_missing != "not_asked":
            said = r.target_text or (f"“{r.note.text}”" if r.note else t(lang, "miss_" + r.target_missing))
            parts.append(f"{t(lang, 'tcol_target')} {said}")
        if r.result_missing != "not_asked":
            parts.append(f"{t(lang, 'tcol_result')} {r.result_text or t(lang, 'miss_' + r.result_missing)}")
        met = f" ({t(lang, 'met_yes') if r.met else t(lang, 'met_no')})" if r.met is not None else ""
        out.append(f"{r.area} {r.year}: {'; '.join(parts)}{met}")
    return out


# --- the chart -------------------------------------------------------------------------------------


def _unit(text: str) -> str:
    return text.replace("％", "%")


def chart_spec(rows: Sequence[TableRow], lang: str = "zh") -> dict[str, Any] | None:
    """A Vega-Lite spec: results as a line, targets as markers, a target range as a bar between its
    bounds. Over years (one area or several, one colour each), or over areas for one year. None when
    fewer than two values can be drawn."""
    figures = [f for r in rows for f in (r.target, r.result) if f is not None]
    if not figures:
        return None
    units = [_unit(f.unit) for f in figures]
    unit = max(set(units), key=units.count)
    areas = list(dict.fromkeys(r.area for r in rows))
    years = sorted({r.year for r in rows})
    by_area = len(years) == 1 and len(areas) > 1
    labels = {"target": t(lang, "chart_target"), "result": t(lang, "chart_result")}
    values = []
    for r in rows:
        for kind, f, text in (("target", r.target, r.target_text), ("result", r.result, r.result_text)):
            if f is None or _unit(f.unit) != unit:
                continue
            b = bounds_of(f, text) if kind == "target" else None
            high = b.high if isinstance(b, Bounds) and b.low is not None and b.high not in (None, b.low) else None
            values.append({"x": r.area if by_area else str(r.year), "area": r.area, "kind": kind,
                           "kind_label": labels[kind], "value": f.value, "high": high, "text": text})
    if len(values) < 2:
        return None
    x_title = t(lang, "tcol_area") if by_area else t(lang, "tcol_year")
    color = ({"field": "area", "type": "nominal", "title": t(lang, "tcol_area")} if not by_area and len(areas) > 1
             else {"field": "kind_label", "type": "nominal", "title": "",
                   "scale": {"domain": [labels["result"], labels["target"]], "range": ["#c8161d", "#0b4ea2"]}})
    shape = {"field": "kind_label", "type": "nominal", "title": "",
             "scale": {"domain": [labels["result"], labels["target"]], "range": ["circle", "diamond"]}}
    y = {"field": "value", "type": "quantitative", "title": unit, "scale": {"zero": False}}
    tooltip = [{"field": "area", "title": t(lang, "tcol_area")}, {"field": "x", "title": x_title},
               {"field": "kind_label", "title": " "}, {"field": "text", "title": unit}]
    order = areas if by_area else [str(y_) for y_ in years]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "data": {"values": values},
        "height": 260, "padding": {"top": 30, "left": 4, "right": 4, "bottom": 4},  # width: the block's (plot_of)
        "encoding": {"x": {"field": "x", "type": "ordinal", "title": x_title, "sort": order,
                           "axis": {"labelAngle": -40 if by_area else 0}}},
        "layer": [
            {"transform": [{"filter": "datum.kind == 'result'"}],
             "mark": {"type": "line", "point": {"filled": True, "size": 70, "strokeWidth": 0}},
             "encoding": {"y": y, "color": color, "shape": shape, "tooltip": tooltip}},
            {"transform": [{"filter": "datum.kind == 'target' && datum.high != null"}],
             "mark": {"type": "rule", "strokeWidth": 4, "opacity": 0.45},
             "encoding": {"y": y, "y2": {"field": "high"}, "color": color}},
            {"transform": [{"filter": "datum.kind == 'target'"}],
             "mark": {"type": "point", "filled": True, "size": 140, "strokeWidth": 0},
             "encoding": {"y": y, "color": color, "shape": shape, "tooltip": tooltip}},
        ],
    }


def plot_of(spec: dict[str, Any] | str | None) -> Any:
    """A chart spec as `gr.Plot`'s value (Gradio draws Vega-Lite specs with its own Vega), None for none."""
    if not spec:
        return None
    from gradio.components.plot import AltairPlotData

    # chart="scatter": Gradio then fits the width to its block (and follows resizes) and gives the chart the
    # page's fonts; it recolours only a top-level colour encoding, which this spec has not (each layer has its own)
    return AltairPlotData(plot=spec if isinstance(spec, str) else json.dumps(spec, ensure_ascii=False), chart="scatter")


# --- the loaded documents ----------------------------------------------------------------------------


def loaded_line(profiles: Iterable[Any], lang: str = "zh") -> str:
    """已载入 31 份报告，4 个年份（2019–2026），29 个地区 (our words, the numbers counted)."""
    ps = list(profiles)
    years = sorted({p.year for p in ps if p.year is not None})
    areas = {p.area for p in ps if p.area}
    span = "–".join(dict.fromkeys((str(years[0]), str(years[-1])))) if years else "—"
    return t(lang, "docs_count", n=len(ps), y=len(years), span=span, a=len(areas))


def render_documents(documents: Sequence[Document], profiles: Mapping[str, Any], lang: str = "zh") -> str:
    """The loaded documents as a safe HTML list, how many first: per report its area and year, issuer, title."""
    items = []
    for d in documents:
        p = profiles.get(d.id)
        head = " ".join(str(x) for x in ((p.area if p else ""), (p.year if p and p.year else "")) if x)
        issuer = p.issuer if p else ""
        items.append(f'<li data-doc="{esc(d.id)}"><strong class="qa-doc-where">{esc(head or d.id)}</strong>'
                     f'<span class="qa-doc-issuer">{esc(issuer)}</span><span class="qa-doc-name">{esc(d.title)}</span></li>')
    count = loaded_line([profiles[d.id] for d in documents if d.id in profiles], lang)
    return (f'<div class="qa-docs"><p class="qa-docs-count" role="status">{esc(count)}</p>'
            f'<ul class="qa-doclist" aria-label="{esc(t(lang, "docs_title"))}">{"".join(items)}</ul></div>')


def table_choices(cells: Iterable[tuple[str, str, str, Any]]) -> list[tuple[str, str]]:
    """(label, value) of every indicator and aspect with figures of two years or areas: 地区生产总值 · 增速."""
    seen: dict[tuple[str, str], set] = {}
    for doc, indicator, aspect, period in cells:
        seen.setdefault((indicator, aspect), set()).add((doc, period))
    return [(f"{i} · {a}", f"{i}|{a}") for (i, a), got in seen.items() if len(got) >= 2]
