"""Who issues a report, for which area and level, and its year: read once from the report itself.

Every work report opens the same way: a title, a dateline naming the people's congress it is
delivered to (在广东省第十四届人民代表大会第五次会议上, 在第十三届全国人民代表大会…), the speaker
(省长, 自治区主席, 国务院总理) and 我代表X人民政府. The area is the one that congress and that
government belong to; a development zone's report names its zone in the title (东湖高新区2024年工作报告).
Nothing here knows a particular area: the names come from the gazetteer (qa/places.py) and the words
by which a report names its own area (全省, 我国, 全区) from `qa/data/areas.json`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .places import LEVELS, Place, area_of, find_places, forms_of, home_country, issuers, self_references
from .types import Document, Period

_HEAD_CHARS = 400  # the title, dateline and speaker stand in the first lines
_CONGRESS = re.compile(r"在(.{0,16}?)(?:第?[一二三四五六七八九十]+届)?人民代表大会")
_GOVERNMENT = re.compile(r"代表(.{0,12}?)(?:人民政府|政府|管委会|管理委员会)")
_NATIONAL = re.compile(r"全国人民代表大会|国务院")


@dataclass(frozen=True)
class DocumentProfile:
    """What a report is: whose, where, when, and the period of each part."""

    doc: str
    issuer: str  # 国务院, 广东省人民政府, 东湖高新区管委会
    area: str | None  # the gazetteer's name of the report's area: 中国, 广东省, 东湖高新区
    level: str  # country | province | municipality | autonomous region | city | district | zone
    year: int | None  # the report's year: 今年 in a question about it
    forms: tuple[str, ...]  # every name by which a question names this area: 广东, 广东省, 全省, 我省
    parts: tuple[tuple[str, Period | None], ...]  # each part's heading and period


def _head(doc: Document) -> str:
    return "\n".join([doc.title, doc.text[:_HEAD_CHARS]])


def area_from_head(head: str, title: str) -> Place | None:
    """The congress or government the report is delivered to or by, else the area its title names."""
    for m in _CONGRESS.finditer(head):
        if "全国" in m.group(1):  # 第十三届全国人民代表大会
            return home_country()
        if named := _smallest(m.group(1)):
            return named
    if _NATIONAL.search(head):
        return home_country()
    for m in _GOVERNMENT.finditer(head):  # 我代表海南省人民政府
        if named := _smallest(m.group(1)):
            return named
    return area_of(title) or next((m.place for m in find_places(head)), None)


def _smallest(text: str) -> Place | None:
    named = find_places(text)
    return min(named, key=lambda x: LEVELS.index(x.place.level)).place if named else None


def level_of(p: Place | None) -> str:
    if p is None:
        return "unknown"
    if p.level == "province":
        if p.name.endswith("自治区"):
            return "autonomous region"
        if p.name.endswith("市"):
            return "municipality"
    return p.level


def issuer_of(p: Place | None, head: str) -> str:
    """国务院, 广东省人民政府, 东湖高新区管委会 (`issuers` in areas.json, by level)."""
    if p is None:
        return ""
    level = "zone" if "管委会" in head else p.level
    return issuers().get(level, issuers().get("default", "{area}")).format(area=p.name)


def profile_of(doc: Document) -> DocumentProfile:
    """Pure: the profile of one report (memoised by content, as a report is read once)."""
    key = (doc.id, doc.sha256)
    cached = _CACHE.get(key)
    if cached is None:
        head = _head(doc)
        area = area_from_head(head, doc.title)
        forms = tuple(dict.fromkeys((*forms_of(area), *self_references(area)))) if area else ()
        parts = tuple((s.heading, s.period) for s in doc.sections if s.level == 1)
        cached = DocumentProfile(doc.id, issuer_of(area, head), area.name if area else None, level_of(area),
                                 doc.year, forms, parts)
        _CACHE[key] = cached
    return cached


_CACHE: dict[tuple[str, str], DocumentProfile] = {}
