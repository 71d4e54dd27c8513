"""Whether a question asks for a table of one indicator across years or areas, and which (qa/table.py
builds it): 历年/每年/完成情况 (over years), 各省/对比/哪个省 (over areas), a span of years (2019到2021年),
a regional group (长三角, 东北三省), and whether targets, results or both are asked (目标, 实际, 完成了吗).

The words live in `qa/data/table.tsv` and the groups in `qa/data/regions.tsv`; this module only loads
and reads them. A question is a table only when it names an indicator.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

from .indicators import indicator_named
from .periods import RELATIVE_YEARS, read_years
from .places import find_places
from .types import Period

DATA = Path(__file__).resolve().parent / "data"
CUES_PATH = DATA / "table.tsv"
REGIONS_PATH = DATA / "regions.tsv"
ROLES = {"over": ("years", "areas"), "kind": ("targets", "results", "both"), "order": ("desc", "asc"),
         "span": ("-",), "since": ("-",), "unset": ("-",), "multiyear": ("-",)}
KINDS = ("targets", "results")


# --- the data files --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cues:
    """The words of table.tsv by role: cue -> value (lower-cased)."""

    over: tuple[tuple[str, str], ...]
    kind: tuple[tuple[str, str], ...]
    order: tuple[tuple[str, str], ...]
    span: tuple[str, ...]
    since: tuple[str, ...]
    unset: tuple[str, ...]
    multiyear: tuple[str, ...] = ()


def _lines(text: str):
    for n, raw in enumerate(text.splitlines(), 1):
        if raw.strip() and not raw.startswith("#"):
            yield n, raw


def parse_cues(text: str, path: str = "table.tsv") -> Cues:
    """The cue words of table.tsv; a malformed line is an error naming it."""
    by_role: dict[str, list[tuple[str, str]]] = {r: [] for r in ROLES}
    for n, raw in _lines(text):
        parts = raw.split("\t")
        if len(parts) != 3 or not parts[0].strip():
            raise ValueError(f"{path} line {n}: expected cue, role, value (tab-separated), got {raw!r}")
        cue, role, value = (p.strip() for p in parts)
        if role not in ROLES or value not in ROLES[role]:
            raise ValueError(f"{path} line {n}: unknown role or value {role!r} {value!r}")
        by_role[role].append((cue.lower(), value))
    longest = {r: tuple(sorted(v, key=lambda cv: -len(cv[0]))) for r, v in by_role.items()}
    return Cues(longest["over"], longest["kind"], longest["order"], tuple(c for c, _ in longest["span"]),
                tuple(c for c, _ in longest["since"]), tuple(c for c, _ in longest["unset"]),
                tuple(c for c, _ in longest["multiyear"]))


def parse_regions(text: str, path: str = "regions.tsv") -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(name, members) of regions.tsv, longest name first; a malformed line is an error naming it."""
    out = []
    for n, raw in _lines(text):
        parts = raw.split("\t")
        members = tuple(m.strip() for m in parts[1].split(",") if m.strip()) if len(parts) == 2 else ()
        if not members or not parts[0].strip():
            raise ValueError(f"{path} line {n}: expected name, members (tab-separated), got {raw!r}")
        out.append((parts[0].strip(), members))
    return tuple(sorted(out, key=lambda r: -len(r[0])))


@lru_cache(maxsize=1)
def load_cues() -> Cues:
    return parse_cues(CUES_PATH.read_text(encoding="utf-8"), CUES_PATH.name)


@lru_cache(maxsize=1)
def load_regions() -> tuple[tuple[str, tuple[str, ...]], ...]:
    return parse_regions(REGIONS_PATH.read_text(encoding="utf-8"), REGIONS_PATH.name)


# --- what a table is asked for ---------------------------------------------------------------------


@dataclass(frozen=True)
class TableRequest:
    """One indicator (and aspect) over years, areas or both; None: every one the corpus has."""

    indicator: str
    aspect: str | None = None
    areas: tuple[str, ...] | None = None  # the profiles' area names: 中国, 广东省
    years: tuple[int, ...] | None = None  # absolute years
    shifts: tuple[int, ...] = ()  # relative years (今年 0, 去年 -1), against each area's newest report
    kinds: tuple[str, ...] = KINDS
    order: str | None = None  # desc | asc: by the value asked
    over: tuple[str, ...] = ("years",)
    doc: str | None = None  # only this document's figures
    absent: tuple[str, ...] = field(default=())  # areas the question names that no loaded report is about
    every_area: bool = False  # a number question naming no area, asked of each government: rows that answer only


def _found(cues: Iterable[tuple[str, str]], text: str) -> list[str]:
    return [value for cue, value in cues if cue in text]


def _year_span(text: str, cues: Cues, newest: int | None) -> tuple[int, ...] | None:
    """2019到2021年, 2019—2021, 2018年以来: the years of a span the question writes, else None."""
    year = r"((?:19|20)\d{2}|[二〇零一三四五六七八九]{4})\s*年?"
    if cues.span:
        joiner = "|".join(re.escape(c) for c in cues.span)
        m = re.search(rf"{year}\s*(?:{joiner})\s*{year}", text)
        if m:
            a, b = (read_years(g + "年")[0] for g in m.groups())
            return tuple(range(min(a, b), max(a, b) + 1)) if abs(a - b) <= 50 else None
    if cues.since and newest is not None:
        joiner = "|".join(re.escape(c) for c in cues.since)
        m = re.search(rf"{year}\s*(?:{joiner})", text)
        if m and (a := read_years(m.group(1) + "年")[0]) <= newest:
            return tuple(range(a, newest + 1))
    return None


def request_of(text: str, indicators: tuple[str, ...], aspect: str | None, corpus_areas: Iterable[str],
               newest: int | None = None, asked: Period | None = None, every_area: bool = False) -> TableRequest | None:
    """The table a question asks for, or None when it asks for one figure. `text` is the question as
    read (`Query.text`), `indicators`/`aspect` what it measures (`Query.indicators`, `Query.aspect`),
    `corpus_areas` the areas of the loaded reports, `newest` the newest report's year, `asked` the
    period the question (or the one it follows) names, for a table over areas that names no year.
    `every_area`: the question names no area in a corpus of several governments (今年GDP增长目标是多少
    over the provinces' reports): it is asked of each of them."""
    if not indicators or not text:
        return None
    cues = load_cues()
    lowered = text.lower()
    over = set(_found(cues.over, lowered))
    corpus = list(dict.fromkeys(corpus_areas))
    region = next(((name, members) for name, members in load_regions() if name in text), None)
    named = [m.place.name for m in find_places(text) if m.place.level != "region"]
    named = [a for a in dict.fromkeys(named) if region is None or a not in region[1]]
    wanted = list(dict.fromkeys([*(region[1] if region else ()), *named]))
    # a group (长三角), or two loaded reports' areas named (广东和江苏): over areas; a place that is only a
    # yardstick or a partner (光谷占武汉全市的比重) names no second report
    if region is not None or sum(a in corpus for a in wanted) >= 2 or (every_area and not wanted):
        over.add("areas")
    span = _year_span(text, cues, newest)
    if span:
        over.add("years")
    if not over:
        return None
    shifts = tuple(dict.fromkeys(s for cue, s in RELATIVE_YEARS if cue in lowered))
    years = span or (tuple(sorted(set(read_years(text)))) or None)
    kinds = set(_found(cues.kind, lowered))
    if "both" in kinds:  # 完成了吗: the target against its result; 实际完成情况: the results
        kinds = {"results"} if kinds == {"both", "results"} else set(KINDS)
    if asked is not None and not kinds and not shifts and not years and over == {"areas"}:
        years, kinds = (asked.year,), {asked.kind}  # 那各省呢 after 广东今年GDP增长目标: that period
    if len(shifts) > 1 or (not kinds and shifts and not years):
        # 今年 asks for targets, 去年 for results (a report's own two years); 去年…和今年…: both
        kinds = {"targets" if s >= 0 else "results" for s in shifts}
    kinds_t = tuple(k for k in KINDS if k in kinds) if len(kinds) == 1 else KINDS
    ind = indicator_named(indicators[0])
    if ind is None:
        return None
    return TableRequest(
        ind.name, aspect if aspect in ind.aspects else None,
        tuple(a for a in wanted if a in corpus) or (None if not wanted else ()),
        years, () if years else shifts, kinds_t, next(iter(_found(cues.order, lowered)), None),
        tuple(o for o in ("years", "areas") if o in over), None, tuple(a for a in wanted if a not in corpus),
        every_area)


def asked_of(query: Any, profiles: Iterable[Any], several_areas: bool, doc: str | None = None) -> TableRequest | None:
    """The table a read question (`qa.query.Query`) asks of the loaded reports (their `DocumentProfile`s),
    or None: what it says (request_of), else, a number question that names no area among several
    governments (`several_areas`) and is not limited to one report (`doc`), the table of each of them.
    Read here once for the Assistant's answer and for the questions offered after it (qa/related.py)."""
    profiles = list(profiles)
    years = [p.year for p in profiles if p.year is not None]
    areas, newest = [p.area for p in profiles if p.area], max(years, default=None)
    request = request_of(query.text, query.indicators, query.aspect, areas, newest,
                         query.asked.period if query.asked.explicit else None)
    if request is None and query.area is None and several_areas and query.wants_number and doc is None:
        request = request_of(query.text, query.indicators, query.aspect, areas, newest, query.asked.period,
                             every_area=True)
    if request is not None and request.areas is None and "areas" not in request.over and query.area is not None:
        # 历年全国…, or over years in the home area: the area the question was routed to (qa/route.py)
        request = replace(request, areas=(query.area,))
    return request
