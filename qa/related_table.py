"""相关问题 after a table: the next tables a demanding reader asks for, each one asked before it is offered.

Why: after 历年国内生产总值增长目标 a journalist asks for the results beside the targets, the same across the
provinces, or the next key indicator over the same years; after 各省今年GDP增长目标, the provinces' jobs or
prices targets over the same provinces, or last year's results. The figure questions of qa/related.py would
offer single cells of the table just shown. So a table is followed by tables, and one is offered only when
(1) the loaded reports state it: the key indicators' cells (`table.Source`, `resolve.key_indicators`) of
those areas and kinds; (2) it is worded as a reader asks a table (the `table` lines of qa/data/related.tsv,
read back by qa/table_query.py with the cues of qa/data/table.tsv), naming its indicator, areas and period,
so it reads the same after any question; and (3) asked first, it is answered by that table (the same
indicator, aspect, kinds, and rows of those areas only) or, a table of one row, by that indicator's figure;
never by the table just shown.

Pure functions; qa/related.py's Suggester words, asks (cached) and offers what they propose.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Iterable, Mapping, Sequence

from .indicators import ASPECTS
from .periods import RELATIVE_YEARS
from .table import Source, reports_by_area
from .table_query import KINDS, TableRequest
from .types import Answer, TableRow

OVERS = ("years", "areas")
_JOIN = {"zh": ("、", "、"), "en": (", ", " and ")}  # areas' names: 广东省、江苏省; Shanghai, Jiangsu and Anhui
_OTHERS = 4  # other indicators tried per table, those the most areas and years state first


# --- the wordings ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TableWordings:
    """The `table` lines of related.tsv: how a table is asked, and how its areas are named."""

    questions: Mapping[tuple[str, str, str, str], str]  # (over, aspect or *, kind or both, lang) -> wording
    where: Mapping[tuple[str, str, str], str]  # (over, every | named, lang) -> words ("" for none)


def parse_table_wordings(text: str, path: str = "related.tsv") -> TableWordings:
    """The `table` lines of related.tsv (the others are qa/related.py's); a malformed one is an error naming it."""
    questions: dict[tuple[str, str, str, str], str] = {}
    where: dict[tuple[str, str, str], str] = {}
    for n, raw in enumerate(text.splitlines(), 1):
        parts = raw.split("\t")
        if parts[0] != "table":
            continue
        if len(parts) != 6 or parts[4] not in ("zh", "en"):
            raise ValueError(f"{path} line {n}: expected table, over, aspect, kind, zh|en, wording; got {raw!r}")
        _, over, a, b, lang, words = parts
        if over == "where" and a in OVERS and b in ("every", "named") and (b == "every" or "{areas}" in words):
            where[(a, b, lang)] = "" if words == "-" else words
        elif (over in OVERS and (a == "*" or a in ASPECTS) and b in (*KINDS, "both") and "{name}" in words
              and "{where}" in words and (over == "years" or "{when}" in words)):
            questions[(over, a, b, lang)] = words
        else:
            raise ValueError(f"{path} line {n}: expected over (years | areas | where), an aspect or *, a kind "
                             f"(targets | results | both), a wording with {{name}}, {{where}} (and {{when}} over "
                             f"areas), or a where line with {{areas}}; got {raw!r}")
    return TableWordings(questions, where)


def area_name(area: str, forms: Sequence[str], lang: str) -> str:
    """An area as a question names it: its gazetteer name (广东省), or its first English form (Guangdong)."""
    if lang != "en":
        return area
    english = next((f for f in forms if f.isascii()), None)
    return english.title() if english else area


def joined(names: Sequence[str], lang: str) -> str:
    sep, last = _JOIN.get(lang, _JOIN["zh"])
    return sep.join(names[:-1]) + last + names[-1] if len(names) > 1 else "".join(names)


def _when(request: TableRequest, lang: str) -> str | None:
    """今年 / 去年 / 2025年 (this year / last year / in 2025) of a table over areas; "" for none, None when
    the table spans several (no one wording says it)."""
    if len(request.shifts) + len(request.years or ()) > 1:
        return None
    if request.years:
        return f"in {request.years[0]}" if lang == "en" else f"{request.years[0]}年"
    if request.shifts:  # the first cue of periods.RELATIVE_YEARS in the language: 今年, this year
        return next((cue for cue, s in RELATIVE_YEARS if s == request.shifts[0] and cue.isascii() == (lang == "en")),
                    None)
    return ""


def phrase(request: TableRequest, lang: str, name: str | None, areas: Mapping[str, str],
           wordings: TableWordings) -> str | None:
    """The question a reader asks for the table `request` describes (its indicator, aspect, kinds, areas and,
    over areas, period), in `lang`: `name` is its indicator's name in that language, `areas` area -> how a
    question names it. None when no wording fits."""
    over = "areas" if request.over == ("areas",) else "years"
    kind = request.kinds[0] if len(request.kinds) == 1 else "both"
    aspect = request.aspect or ""
    template = wordings.questions.get((over, aspect, kind, lang)) or wordings.questions.get((over, "*", kind, lang))
    scope = "every" if request.areas is None else "named"
    where = wordings.where.get((over, scope, lang))
    when = _when(request, lang) if over == "areas" else ""
    if template is None or where is None or when is None or not name:
        return None
    if request.areas is not None:
        where = where.format(areas=joined([areas.get(a, a) for a in request.areas], lang))
    text = re.sub(r"\s+", " ", template.format(name=name, where=where, when=when)).strip()
    return re.sub(r"\s+([?？,，.。])", r"\1", text)


# --- what the table just shown is, and which tables follow it ----------------------------------------


def kinds_of(rows: Iterable[TableRow]) -> tuple[str, ...]:
    """The kinds a table's rows were asked for (targets, results or both)."""
    rows = list(rows)
    asked = {"targets": any(r.target_missing != "not_asked" for r in rows),
             "results": any(r.result_missing != "not_asked" for r in rows)}
    return tuple(k for k in KINDS if asked[k])


@dataclass(frozen=True)
class Outcome:
    """What a question was answered by, as far as offering it goes."""

    status: str
    indicator: str | None = None
    aspect: str | None = None
    kinds: tuple[str, ...] = ()
    cells: tuple[tuple[str, int], ...] = ()  # a table's (area, year) rows
    figure: tuple[str, int] | None = None  # a figure's (doc, offset)


def outcome_of(answer: Answer) -> Outcome:
    if answer.status == "table" and answer.rows:
        r = answer.rows[0]
        cells = tuple((x.area, x.year) for x in answer.rows)
        return Outcome("table", r.indicator, r.aspect, kinds_of(answer.rows), cells)
    if answer.status == "figure" and answer.figures:
        f = answer.figures[0]
        return Outcome("figure", f.indicator, f.aspect, figure=(f.doc, f.start))
    return Outcome(answer.status)


def answers(request: TableRequest, got: Outcome, shown: Outcome, shown_figures: set[tuple[str, int]]) -> bool:
    """Whether `got` answers the table `request` asked for, and is not what was just shown: that table (its
    indicator, aspect, kinds, and rows of its areas only), or that indicator's one figure not in the table."""
    if got.status == "figure":
        return got.indicator == request.indicator and got.figure not in shown_figures
    if got.status != "table" or (got.indicator, got.aspect, got.kinds) != (request.indicator, request.aspect,
                                                                           request.kinds):
        return False
    if request.areas is not None and not {a for a, _ in got.cells} <= set(request.areas):
        return False
    return got != shown


def _stated(source: Source, docs: set[str], kinds: tuple[str, ...]) -> dict[tuple[str, str], int]:
    """(indicator, aspect) -> how many cells of these reports state it, for these kinds."""
    count: dict[tuple[str, str], int] = {}
    for d, indicator, aspect, period in source.cells:
        if d in docs and period.kind in kinds:
            count[(indicator, aspect)] = count.get((indicator, aspect), 0) + 1
    return count


def _others(request: TableRequest, source: Source, docs: set[str], order: Sequence[str]) -> list[TableRequest]:
    """The same table of other key indicators, those the reports state most often first (then the key
    indicators' order): each in its aspect with the most cells, and stated at least twice."""
    rank = {name: i for i, name in enumerate(order)}
    best: dict[str, tuple[int, str]] = {}
    for (indicator, aspect), n in _stated(source, docs, request.kinds).items():
        if indicator != request.indicator and n >= 2 and n > best.get(indicator, (0, ""))[0]:
            best[indicator] = (n, aspect)
    chosen = sorted(best, key=lambda i: (-best[i][0], rank.get(i, len(rank)), i))[:_OTHERS]
    return [replace(request, indicator=i, aspect=best[i][1]) for i in chosen]


def following(request: TableRequest, aspect: str, source: Source, order: Sequence[str]) -> list[TableRequest]:
    """The tables worth asking after the table `request` (shown in `aspect`), best first. Over years: the
    other kind (the results of the targets shown), the same over every area when several are loaded, another
    key indicator over the same years. Over areas: another key indicator over the same areas and period, the
    other kind (last year's results of this year's targets), the same over years where an area has reports
    of two years or more, then more key indicators. `order`: the key indicators (`Assistant.indicator_table`),
    for ties."""
    reports = reports_by_area(source)
    areas = [a for a in (request.areas if request.areas is not None else reports) if a in reports]
    docs = {d for a in areas for d in reports[a].values()}
    over_areas = request.over == ("areas",)
    base = TableRequest(request.indicator, aspect, request.areas, request.years if over_areas else None,
                        request.shifts if over_areas else (), request.kinds,
                        over=("areas",) if over_areas else ("years",))
    other_kind = [_other_kind(base)] if len(base.kinds) == 1 else []
    other_kind = [r for r in other_kind if _stated(source, docs, r.kinds).get((r.indicator, aspect), 0) > 0]
    others = _others(base, source, docs, order)
    if over_areas:
        over_years = [replace(base, years=None, shifts=(), over=("years",))] if any(
            len(reports[a]) > 1 for a in areas) else []
        return others[:1] + other_kind + over_years + others[1:]  # one of each first: the chips differ
    kind = "targets" if "targets" in base.kinds else "results"  # the newest plans, else the newest reviews
    stating = {source.profiles[d].area for (d, i, x, _) in source.cells if (i, x) == (base.indicator, aspect)}
    across = [TableRequest(base.indicator, aspect, None, None, (0 if kind == "targets" else -1,), (kind,),
                           over=("areas",))] if len(reports) > 1 and len(stating - {None}) > 1 else []
    return other_kind + across + others


def _other_kind(request: TableRequest) -> TableRequest:
    """The other kind of the same reports: a report of year Y sets Y's targets and reviews Y-1."""
    step = -1 if request.kinds == ("targets",) else 1
    other = ("results",) if request.kinds == ("targets",) else ("targets",)
    return replace(request, kinds=other, shifts=tuple(s + step for s in request.shifts),
                   years=tuple(y + step for y in request.years) if request.years else request.years)
