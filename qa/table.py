"""Tables of one indicator across years or areas: each cell a report's own figure, cited.

Why: a journalist asks 历年GDP增长目标完成了吗 or 各省今年GDP增长目标分别是多少, which no single figure
answers. With several reports loaded, every figure already carries its period (2019年目标, 2019年实绩) and
its document a profile (area, year). A report of year Y sets Y's targets and reviews Y-1, so the row of
(area, Y) takes its target from that area's report of Y (a figure of period Y年目标) and its result from
its report of Y+1 (a figure of period Y年实绩), never the one for the other, nor one year's for another's.
Which figure of a report is the indicator's is the key indicators table's choice (`resolve.key_indicators`:
the whole year's, not a quarter's), so the 数据 tab and a table agree.

`met` says whether a target was reached only where the target's own words decide it: 以上/不低于 (at
least), 以内/控制在 (at most), a range (6%－6.5%: within it), an exact value (reached when equal). 左右 and
the like decide nothing, and neither does a result above a range: the page shows both and the reader judges.

Pure functions over figures and document profiles. Whether and which table a question asks for is read by
`qa/table_query.py` (the words in `qa/data/table.tsv`, the regional groups in `qa/data/regions.tsv`).
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from .indicators import ASPECTS, find_indicators, indicator_named
from .periods import FLOW_ASPECTS
from .profile import DocumentProfile, profile_of
from .resolve import key_indicators
from .table_query import TableRequest, load_cues
from .types import Answer, Document, Figure, Passage, Period, Quote, TableRow

_BEFORE = 8  # characters before a figure read for a multiyear cue (地区生产总值年均增长5%左右)

# --- what the table reads of a corpus --------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """What a table reads of a corpus, computed once: each report's profile and its indicator figures."""

    documents: Mapping[str, Document]
    profiles: Mapping[str, DocumentProfile]
    cells: Mapping[tuple[str, str, str, Period], Figure]  # (doc, indicator, aspect, period) -> figure


def source_of(figures: Iterable[Figure], documents: Mapping[str, Document]) -> Source:
    """One figure per report, indicator, aspect and single year (the key indicators table's own
    choice per report: the whole year's, the first stated), for the report's own area; a rate over
    several years (a multiyear cue of table.tsv just before it) is no year's own."""
    by_doc: dict[str, list[Figure]] = {}
    multiyear = load_cues().multiyear
    for f in figures:
        doc = documents.get(f.doc)
        if doc is not None and any(c in doc.text[max(0, f.start - _BEFORE): f.start] for c in multiyear):
            continue  # 年均增长5%左右: a rate over several years, not one year's
        by_doc.setdefault(f.doc, []).append(f)
    cells: dict[tuple[str, str, str, Period], Figure] = {}
    ends: dict[tuple[str, str, str, Period], Figure] = {}
    for doc_id, figs in by_doc.items():
        for r in key_indicators(figs, documents):
            if r.period is not None and r.period.first is None:
                cells[(doc_id, r.indicator, r.aspect, r.period)] = r.figure
            elif r.period is not None and r.aspect not in FLOW_ASPECTS and r.figure.kind != "amount":
                # 粮食产量838.6亿斤 in the 十四五 review: the level at the span's end is its last year's
                ends[(doc_id, r.indicator, r.aspect, Period(r.period.year, r.period.kind))] = r.figure
    for key, f in ends.items():
        cells.setdefault(key, f)
    profiles = {d: profile_of(doc) for d, doc in documents.items()}
    return Source(documents, profiles, cells)


def reports_by_area(source: Source, doc: str | None = None) -> dict[str, dict[int, str]]:
    """area -> {year: document}, areas in document order (the first document of a year kept)."""
    out: dict[str, dict[int, str]] = {}
    for d in sorted(source.profiles):
        p = source.profiles[d]
        if p.area is None or p.year is None or (doc is not None and d != doc):
            continue
        out.setdefault(p.area, {}).setdefault(p.year, d)
    return out


# --- the rows --------------------------------------------------------------------------------------


def build_table(request: TableRequest, source: Source) -> tuple[TableRow, ...]:
    """The rows of the table asked for: per area, per year, the target of that year's report and the
    result of the next year's review; an empty cell says why (`TableRow.target_missing`)."""
    reports = reports_by_area(source, request.doc)
    areas = [a for a in (request.areas if request.areas is not None else reports) if a in reports]
    aspect = request.aspect or best_aspect(request, source, [d for a in areas for d in reports[a].values()])
    if aspect is None:
        return ()
    rows = []
    for area in areas:
        for year in years_of(request, reports[area]):
            rows.append(row_of(request, source, area, year, reports[area], aspect))
    if request.order is not None:
        rows = ordered(rows, request)
    return tuple(rows)


def years_of(request: TableRequest, reports: Mapping[int, str]) -> list[int]:
    """The years of an area's rows: those asked, else those its reports set targets for or review."""
    if request.years is not None:
        return sorted(request.years)
    newest = max(reports)
    if request.shifts:
        return sorted({newest + s for s in request.shifts})
    years: set[int] = set()
    if "targets" in request.kinds:
        years |= set(reports)
    if "results" in request.kinds:
        years |= {y - 1 for y in reports}
    return sorted(years)


def best_aspect(request: TableRequest, source: Source, docs: list[str]) -> str | None:
    """The indicator's aspect with the most figures of the kinds asked in these reports (GDP targets
    are growth rates): used when the question names no aspect."""
    count: dict[str, int] = {}
    wanted = set(docs)
    for (d, ind, aspect, period) in source.cells:
        if d in wanted and ind == request.indicator and period.kind in request.kinds:
            count[aspect] = count.get(aspect, 0) + 1
    if not count:
        return None
    return max(count, key=lambda a: (count[a], -ASPECTS.index(a) if a in ASPECTS else -len(ASPECTS)))


def row_of(request: TableRequest, source: Source, area: str, year: int, reports: Mapping[int, str],
           aspect: str) -> TableRow:
    ind = request.indicator
    slots: dict[str, tuple[Figure | None, str]] = {}
    for kind, report_year in (("targets", year), ("results", year + 1)):
        doc = reports.get(report_year)
        if kind not in request.kinds:
            slots[kind] = (None, "not_asked")
        elif doc is None:
            slots[kind] = (None, "no_report")
        else:
            figure = source.cells.get((doc, ind, aspect, Period(year, kind)))  # type: ignore[arg-type]
            slots[kind] = (figure, "" if figure is not None else "not_stated")
    target, t_missing = slots["targets"]
    result, r_missing = slots["results"]
    t_text, r_text = (written(f, source.documents[f.doc].text) if f else "" for f in (target, result))
    note = None
    if t_missing == "not_stated":
        note = unset_note(source.documents[reports[year]], ind, aspect, year)
    return TableRow(area, year, ind, aspect, target, result, met_of(target, t_text, result, r_text, source),
                    t_text, r_text, quote_of(source, target), quote_of(source, result), note, t_missing, r_missing)


def ordered(rows: list[TableRow], request: TableRequest) -> list[TableRow]:
    """By the value asked (the result, else the target), largest first for desc; empty cells last."""
    def value(r: TableRow) -> float | None:
        f = r.result if "results" in request.kinds and r.result is not None else r.target
        return f.value if f is not None else None
    known = sorted((r for r in rows if value(r) is not None), key=value, reverse=request.order == "desc")
    return known + [r for r in rows if value(r) is None]


# --- a cell's words and citation -------------------------------------------------------------------

_RANGE_TAIL = re.compile(r"\s*[-－—–~～至到]\s*\d+(?:\.\d+)?")
_RANGE_IN = re.compile(r"(\d+(?:\.\d+)?)\s*(?:%|％)?\s*[-－—–~～至到]\s*(\d+(?:\.\d+)?)")
_QUALIFIER_TAIL = re.compile(r"左右|以上|以内|以下")


def written(figure: Figure, text: str) -> str:
    """The figure as the report writes it, a range whole: 6% of 国内生产总值增长6%－6.5% is 6%－6.5%."""
    end = figure.end
    m = _RANGE_TAIL.match(text, end)
    if m:
        end = m.end()
        if figure.unit and text.startswith(figure.unit, end):
            end += len(figure.unit)
        elif text[end: end + 1] in ("%", "％"):
            end += 1
        q = _QUALIFIER_TAIL.match(text, end)
        end = q.end() if q else end
    return text[figure.start: end]


def sentence_at(doc: Document, pos: int) -> tuple[int, int, str] | None:
    """(start, end, section) of the sentence of `doc` holding offset `pos`."""
    for para in doc.paragraphs:
        if para.start <= pos < para.end:
            span = next(((a, b) for a, b in para.sentences if a <= pos < b), (para.start, para.end))
            return span[0], span[1], para.section
    return None


def quote_of(source: Source, figure: Figure | None) -> Quote | None:
    if figure is None or figure.doc not in source.documents:
        return None
    doc = source.documents[figure.doc]
    at = sentence_at(doc, figure.start)
    if at is None:
        return None
    a, b, section = at
    return Quote(doc.id, doc.text[a:b], a, b, section)


def unset_note(doc: Document, indicator: str, aspect: str, year: int) -> Quote | None:
    """What a report says where it sets no target for the indicator (我们没有提出全年经济增速具体目标):
    the clause of its plan for `year` that names the indicator (in this aspect, or none) and an
    `unset` cue of table.tsv."""
    cues = load_cues().unset
    plan = Period(year, "targets")
    for para in doc.paragraphs:
        if para.period != plan:
            continue
        for a, b in para.sentences:
            sentence = doc.text[a:b]
            if not any(c in sentence for c in cues):
                continue
            for m in find_indicators(sentence):
                if m.indicator.name == indicator and (m.aspect in (None, aspect)):
                    return _clause(doc, a, b, m.start, cues)
    return None


def _clause(doc: Document, a: int, b: int, at: int, cues: tuple[str, ...]) -> Quote:
    """The clause of the sentence [a, b) holding offset a + at, from the cue word's clause on."""
    sentence = doc.text[a:b]
    starts = [0] + [m.end() for m in re.finditer(r"[，,；;：:]", sentence)]
    first = max((s for s in starts if s <= at), default=0)
    cue_at = min((sentence.find(c) for c in cues if c in sentence), default=first)
    first = max((s for s in starts if s <= min(cue_at, at)), default=0)
    stop = re.compile(r"[，,；;。]").search(sentence, max(at, cue_at))
    end = stop.start() if stop else len(sentence)
    para = next((p for p in doc.paragraphs if p.start <= a < p.end), None)
    return Quote(doc.id, sentence[first:end], a + first, a + end, para.section if para else "")


# --- whether a target was met ----------------------------------------------------------------------

_FALL = re.compile(r"(?:下降|降低|减少|回落|下调|收窄|降)\D{0,2}$")


@dataclass(frozen=True)
class Bounds:
    low: float | None  # None: open
    high: float | None


def bounds_of(figure: Figure, text: str) -> Bounds | None:
    """What a figure as written allows: a range, at least, at most, or exactly its value; None where
    its words decide nothing (左右, 接近, 约)."""
    if "左右" in text or figure.qualifier in ("about", "nearly", "target"):
        return None
    m = _RANGE_IN.search(text)
    if m:
        low, high = float(m.group(1)), float(m.group(2))
        return Bounds(min(low, high), max(low, high))
    if figure.qualifier in ("at_least", "over", "more_than"):
        return Bounds(figure.value, None)
    if figure.qualifier == "at_most":
        return Bounds(None, figure.value)
    if figure.qualifier is None:
        return Bounds(figure.value, figure.value)
    return None


def _unit(f: Figure) -> str:
    return f.unit.replace("％", "%")


def met_of(target: Figure | None, t_text: str, result: Figure | None, r_text: str, source: Source) -> bool | None:
    """True/False only where the target's words decide it; None for 左右, a result above a range, an
    exact target missed (more is not always better), other units or directions (下降 against 增长)."""
    if target is None or result is None or _unit(target) != _unit(result):
        return None
    falls = [bool(_FALL.search(source.documents[f.doc].text[max(0, f.start - 6): f.start])) for f in (target, result)]
    if falls[0] != falls[1]:
        return None
    t, r = bounds_of(target, t_text), bounds_of(result, r_text)
    if t is None or r is None:
        return None
    if t.low is not None and t.low == t.high:  # an exact target
        return True if (r.low == r.high == t.low) else None
    if t.low is not None and r.high is not None and r.high < t.low:
        return False
    if t.high is not None and t.low is None and r.low is not None and r.low > t.high:
        return False  # above a ceiling (以内): missed
    within = (t.low is None or (r.low is not None and r.low >= t.low)) and \
             (t.high is None or (r.high is not None and r.high <= t.high))
    return True if within else None


# --- for the Assistant and the edges ---------------------------------------------------------------

MISSING_ZH = {"no_report": "未收录该年报告", "not_stated": "报告未给出", "not_asked": ""}
MISSING_EN = {"no_report": "no report of that year loaded", "not_stated": "not given in the report", "not_asked": ""}


def indicator_and_aspect(text: str) -> tuple[str, str | None] | None:
    """The indicator and aspect a name says: 国内生产总值增速 -> (地区生产总值, 增速), GDP -> (地区生产总值, None)."""
    from .indicators import aspect_of

    named = indicator_named(text)
    if named is not None:
        return named.name, aspect_of(text)
    mentions = find_indicators(text)
    if not mentions:
        return None
    aspect = aspect_of(text)
    ind = mentions[0].indicator
    return ind.name, aspect if aspect in ind.aspects else None


def areas_named(names: Iterable[str], source: Source) -> tuple[str, ...]:
    """The loaded reports' areas that `names` name, by any of their forms (广东, 广东省, 全国 …)."""
    out = []
    for name in names:
        for p in source.profiles.values():
            if p.area is not None and (name == p.area or name in p.forms) and p.area not in out:
                out.append(p.area)
    return tuple(out)


def has_figures(rows: Iterable[TableRow]) -> bool:
    return any(r.target is not None or r.result is not None for r in rows)


def row_figures(rows: Iterable[TableRow]) -> tuple[Figure, ...]:
    """Every figure of the table, once, in reading order (a row's target, then its result)."""
    return tuple(dict.fromkeys(f for r in rows for f in (r.target, r.result) if f is not None))


def row_quotes(rows: Iterable[TableRow]) -> tuple[Quote, ...]:
    """Every citation of the table, once, in reading order."""
    return tuple(dict.fromkeys(q for r in rows for q in (r.target_quote, r.note, r.result_quote) if q is not None))


def summary(rows: Iterable[TableRow], areas: bool) -> str:
    """The table in one line of the reports' own figures: 2019年：目标 6%－6.5%，实际 6.1%；…"""
    parts = []
    for r in rows:
        cells = []
        if r.target_missing != "not_asked":
            said = r.target_text or (f"“{r.note.text}”" if r.note else MISSING_ZH.get(r.target_missing, ""))
            cells.append(f"目标 {said}")
        if r.result_missing != "not_asked":
            cells.append(f"实际 {r.result_text or MISSING_ZH.get(r.result_missing, '')}")
        head = f"{r.area} {r.year}年" if areas else f"{r.year}年"
        parts.append(f"{head}：{'，'.join(cells)}")
    return "；".join(parts)


def answer_of(question: str, rows: tuple[TableRow, ...], absent: Iterable[str], query: Any, mode: str,
              passage_at: Callable[[str, int], Passage | None], t0: float) -> Answer:
    """The answer of status "table": the rows, their figures, the passages that cite each cell (in reading
    order), a one-line summary; not_found when no row holds a figure. `absent`: areas asked that no loaded
    report is about (a note)."""
    notes = tuple(f"语料中没有{a}的报告 / no report of {a} is loaded" for a in absent)
    if not has_figures(rows):
        return Answer(question, False, (), text="报告中没有找到这个问题的答案。", mode=mode, notes=notes,
                      status="not_found", query=query, elapsed_ms=(time.perf_counter() - t0) * 1000)
    passages = tuple(dict.fromkeys(p for q in row_quotes(rows) if (p := passage_at(q.doc, q.start))))
    return Answer(question, True, passages, row_figures(rows), summary(rows, len({r.area for r in rows}) > 1), mode,
                  (time.perf_counter() - t0) * 1000, 1.0, notes, "table", query, rows=rows)
