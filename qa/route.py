"""Which reports a question is about, in a corpus of several governments' reports.

A work report speaks for one area (its profile, qa/profile.py). In a corpus of several areas a
question that names one (安徽今年GDP增长目标) is answered from that area's reports only, read as that
area's own (安徽 is then the report's own area, 今年 its newest report's year); one that names none
is read against the whole corpus, or against a home area when a setting names one. A corpus of one
area routes nothing. Pure functions over document profiles.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from .places import LEVELS, find_places, place
from .profile import DocumentProfile


@dataclass(frozen=True)
class Area:
    """One government of the corpus and its reports."""

    name: str  # the gazetteer's name: 安徽省, 中国, 东湖高新区
    level: str  # the gazetteer's level of the area: province, country, zone …
    docs: tuple[str, ...]  # its reports, oldest first
    newest: int | None  # its newest report's year: 今年 in a question about it
    forms: tuple[str, ...]  # every name a question may use for it (安徽, 全省, 我省)


def corpus_areas(profiles: Iterable[DocumentProfile]) -> tuple[Area, ...]:
    """The corpus's areas, each with its reports, in the order of their newest report."""
    by_area: dict[str, list[DocumentProfile]] = {}
    for p in sorted(profiles, key=lambda p: (p.year or 0, p.doc)):
        if p.area is not None:
            by_area.setdefault(p.area, []).append(p)
    areas = []
    for name, ps in by_area.items():
        known = place(name)
        areas.append(Area(name, known.level if known else "unknown", tuple(p.doc for p in ps),
                          max((p.year for p in ps if p.year), default=None),
                          tuple(dict.fromkeys(f for p in ps for f in p.forms))))
    return tuple(sorted(areas, key=lambda a: (a.newest or 0, a.name)))


def area_named(text: str, areas: tuple[Area, ...]) -> Area | None:
    """The corpus area a question names; of several, the smallest (光谷 in 武汉光谷, 光谷在武汉排第几).
    None when it names none of them (or the corpus has one area: nothing to choose)."""
    if len(areas) < 2:
        return None
    by_name = {a.name: a for a in areas}
    named = [by_name[m.place.name] for m in find_places(text) if m.place.name in by_name]
    if not named:
        lowered = text.lower()
        named = [a for w, a in own_words(areas) if w in lowered]
    if not named:
        return None
    return min(named, key=lambda a: LEVELS.index(a.level) if a.level in LEVELS else len(LEVELS))


@lru_cache(maxsize=16)
def own_words(areas: tuple[Area, ...]) -> tuple[tuple[str, Area], ...]:
    """(word, area) for the words by which an area's reports name it without naming it (全国, 我国;
    全省) that no other area of the corpus uses: among provinces and the State Council's reports 全国
    can only be the country, while 全省 could be any province. Read once per corpus."""
    users: dict[str, list[Area]] = {}
    for a in areas:
        for f in dict.fromkeys(f.lower() for f in a.forms if place(f) is None):
            users.setdefault(f, []).append(a)
    return tuple((w, found[0]) for w, found in users.items() if len(found) == 1)


def home_area(areas: tuple[Area, ...], name: str | None) -> Area | None:
    """The area a setting names (its full name or any form: 安徽, 光谷), None when unset or not loaded."""
    if not name:
        return None
    known = place(name)
    wanted = known.name if known else name
    return next((a for a in areas if a.name == wanted), None)


def area_asked(text: str, areas: tuple[Area, ...], context: str | None = None, home: str | None = None) -> Area | None:
    """The area a question is about: the one it names, else its conversation's (`context`, an area's
    name), else the `home` setting's; None in a corpus of one area, or when nothing says which. `text` is
    the question with indicator names blanked (国内生产总值 names no place)."""
    if len(areas) < 2:
        return None
    named = area_named(text, areas)
    if named is None and context is not None:
        named = next((a for a in areas if a.name == context), None)
    return named or home_area(areas, home)
