"""Indicators: what a report's figures measure, and the names people use for them.

Why a vocabulary: a report writes 地区生产总值 as 经济总量 or 经济增速, a resident asks for GDP, a
journalist for economic output. Matching figures to questions on the words as written fails
both ways; naming each figure and question by one canonical indicator (国家统计局's name) with an
aspect (总量, 增速, 占比, 排名, 数量, 新增, 累计) and a scope (the report's own area, the city, the
province, the country, the world) lets both sides meet. The knowledge lives in
`qa/data/indicators.json` (see its "about"); this module only loads and matches it.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "indicators.json"
ASPECTS = ("总量", "增速", "占比", "排名", "数量", "新增", "累计")
SCOPES = ("local", "city", "province", "country", "world")
_HALFWIDTH = {i: i - 0xFEE0 for i in range(0xFF01, 0xFF5F)}  # ＧＤＰ -> GDP, same length


@dataclass(frozen=True)
class Indicator:
    """One thing a report measures: 地区生产总值, 高新技术企业, 城镇调查失业率 …"""

    name: str  # canonical, as 国家统计局 names it
    aliases: tuple[str, ...]  # Chinese (and mixed) surface forms: GDP, 经济总量, 经济增速
    en: tuple[str, ...]  # English forms, matched on word boundaries
    aspects: tuple[str, ...]  # the aspects it takes, among ASPECTS
    unit: str  # unit family it is reported in: amount | count | percent | measure | index
    group: str  # its chapter in a 统计公报: 综合, 工业, 教育科技 …
    aspect_forms: tuple[tuple[str, str], ...] = ()  # (form, aspect) for forms that imply one: 经济增速 -> 增速
    # 城乡 -> (城镇…, 农村…): 城乡居民人均可支配收入分别达6.9万元、3.4万元 gives each part's figure in turn
    parts: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # a review of five years states its total over the years (一般公共预算支出3.4万亿元, 74%以上用于民生);
    # one not summed states its last year's level there (生产总值6.66万亿元)
    summed: bool = False

    @property
    def forms(self) -> tuple[str, ...]:
        return (self.name, *self.aliases, *self.en)

    def aspect_of_form(self, form: str) -> str | None:
        key = form.lower()
        return next((a for f, a in self.aspect_forms if f.lower() == key), None)


@dataclass(frozen=True)
class Mention:
    """An indicator named in a text: `text[start:end] == form`."""

    indicator: Indicator
    form: str
    start: int
    end: int
    aspect: str | None  # the aspect the form itself implies (经济增速 -> 增速), else None


@dataclass(frozen=True)
class ScopeCue:
    """A word that places a figure: 全市 (city), 全国 (country), 光谷 (local) …"""

    scope: str
    form: str
    start: int
    end: int


def _is_word(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


@dataclass(frozen=True)
class _Forms:
    """Longest-leftmost matching of many fixed forms: for each first character, the lengths of the
    forms starting with it, longest first (faster to build than a regex of 2000 alternatives)."""

    forms: frozenset[str]  # lower-cased
    lengths: dict[str, tuple[int, ...]]

    @classmethod
    def of(cls, forms) -> _Forms:
        lowered = {f.lower() for f in forms}
        lengths: dict[str, set[int]] = {}
        for f in lowered:
            lengths.setdefault(f[0], set()).add(len(f))
        return cls(frozenset(lowered), {c: tuple(sorted(n, reverse=True)) for c, n in lengths.items()})

    def finditer(self, text: str):
        """(start, end) of each match in `text` (already lower-cased and half-width)."""
        i, n = 0, len(text)
        while i < n:
            for length in self.lengths.get(text[i], ()):
                j = i + length
                if j <= n and text[i:j] in self.forms and self._stands_alone(text, i, j):
                    yield i, j
                    i = j
                    break
            else:
                i += 1

    @staticmethod
    def _stands_alone(text: str, i: int, j: int) -> bool:
        """A Latin word must stand alone (gdp, not gdpr; pm2.5, not pm2.50); Chinese forms match anywhere."""
        if _is_word(text[i]) and i > 0 and _is_word(text[i - 1]):
            return False
        if _is_word(text[j - 1]) and j < len(text) and (_is_word(text[j]) or (text[j] == "." and text[j - 1].isdigit())):
            return False
        return True


@dataclass(frozen=True)
class _Vocabulary:
    indicators: tuple[Indicator, ...]
    by_form: dict[str, Indicator]  # lower-cased form -> indicator
    by_name: dict[str, Indicator]
    forms: _Forms
    aspect_cues: tuple[tuple[str, re.Pattern], ...]  # in priority order
    scope_cues: _Forms
    scope_by_form: dict[str, str]


def parse_vocabulary(data: dict) -> _Vocabulary:
    """Check and compile the data file; a bad entry is a clear error naming it."""
    indicators: list[Indicator] = []
    by_form: dict[str, Indicator] = {}
    for entry in data["indicators"]:
        ind = Indicator(
            name=entry["name"], aliases=tuple(entry.get("aliases", ())), en=tuple(entry.get("en", ())),
            aspects=tuple(entry["aspects"]), unit=entry["unit"], group=entry["group"],
            aspect_forms=tuple(entry.get("aspect_forms", {}).items()),
            parts=tuple((word, tuple(names)) for word, names in entry.get("parts", {}).items()),
            summed=bool(entry.get("summed", False)))
        bad = [a for a in (*ind.aspects, *(a for _, a in ind.aspect_forms)) if a not in ASPECTS]
        if bad:
            raise ValueError(f"indicator {ind.name}: unknown aspect(s) {bad}")
        for form in ind.forms:
            other = by_form.get(form.lower())
            if other is not None and other is not ind:
                raise ValueError(f"form {form!r} names both {other.name} and {ind.name}")
            by_form[form.lower()] = ind
        indicators.append(ind)
    names = {i.name for i in indicators}
    for ind in indicators:
        unknown = [n for _, parts in ind.parts for n in parts if n not in names]
        if unknown:
            raise ValueError(f"indicator {ind.name}: unknown part(s) {unknown}")
    priority = data.get("aspect_priority", ASPECTS)
    cues = tuple((a, re.compile("|".join(f"(?:{c})" for c in data["aspect_cues"][a]), re.I))
                 for a in priority if a in data["aspect_cues"])
    scope_by_form: dict[str, str] = {}
    scope_forms: list[str] = []
    for scope, words in data["scope_cues"].items():
        if scope not in SCOPES:
            raise ValueError(f"unknown scope {scope!r}")
        for w in words:
            plain = w.replace("\\b", "")
            scope_by_form[plain.lower()] = scope
            scope_forms.append(plain)
    return _Vocabulary(tuple(indicators), by_form, {i.name: i for i in indicators}, _Forms.of(by_form),
                       cues, _Forms.of(scope_forms), scope_by_form)


@lru_cache(maxsize=1)
def _vocabulary() -> _Vocabulary:
    return parse_vocabulary(json.loads(DATA.read_text(encoding="utf-8")))


def load_indicators() -> tuple[Indicator, ...]:
    """Every indicator of the vocabulary, in the data file's order (grouped by chapter)."""
    return _vocabulary().indicators


def indicator_named(name: str) -> Indicator | None:
    """The indicator with this canonical name or any of its surface forms."""
    v = _vocabulary()
    return v.by_name.get(name) or v.by_form.get(name.lower())


def _normal(text: str) -> str:
    """Half-width, lower-cased, and always the same length, so offsets carry over (İ lowers to two chars)."""
    s = text.translate(_HALFWIDTH)
    low = s.lower()
    return low if len(low) == len(s) else "".join(c.lower() if len(c.lower()) == 1 else c for c in s)


@lru_cache(maxsize=4096)
def find_indicators(text: str) -> tuple[Mention, ...]:
    """Indicators named in `text`: longest, leftmost, non-overlapping; offsets into `text`."""
    v = _vocabulary()
    out = []
    normal = _normal(text)
    for a, b in v.forms.finditer(normal):
        ind = v.by_form[normal[a:b]]
        out.append(Mention(ind, text[a:b], a, b, ind.aspect_of_form(normal[a:b])))
    return tuple(out)


def aliases_of(text: str) -> tuple[str, ...]:
    """Every surface form of every indicator `text` names (GDP -> 地区生产总值, 经济总量, …), so a
    search for one name finds the others."""
    forms: dict[str, None] = {}
    for mention in find_indicators(text):
        forms.update(dict.fromkeys(mention.indicator.forms))
    return tuple(forms)


def aspect_cues(text: str) -> tuple[tuple[str, int, int], ...]:
    """(aspect, start, end) of every aspect cue word in `text`, indicator names left out
    (第三产业 holds no rank, 新增就业 is a name before it is a cue)."""
    masked = list(_normal(text))
    for m in find_indicators(text):
        masked[m.start: m.end] = " " * (m.end - m.start)
    s = "".join(masked)
    out = [(aspect, m.start(), m.end()) for aspect, pattern in _vocabulary().aspect_cues for m in pattern.finditer(s)]
    return tuple(sorted(out, key=lambda t: t[1]))


def aspect_of(text: str) -> str | None:
    """The aspect a text speaks of: its strongest cue word (排名 > 占比 > 增速 > 新增 > 累计 > 数量 >
    总量), else the aspect its indicator's form implies (经济增速), else None."""
    found = {a for a, _, _ in aspect_cues(text)}
    for aspect, _ in _vocabulary().aspect_cues:
        if aspect in found:
            return aspect
    return next((m.aspect for m in find_indicators(text) if m.aspect), None)


def scope_cues(text: str) -> tuple[ScopeCue, ...]:
    """Every place word of `text`, longest and leftmost first (武汉新城 is local, not 武汉)."""
    v = _vocabulary()
    normal = _normal(text)
    return tuple(ScopeCue(v.scope_by_form[normal[a:b]], text[a:b], a, b) for a, b in v.scope_cues.finditer(normal))


_FIELD_BEFORE = re.compile(r"(?:占|居|列|为|在|于|入选|进入|跻身|位居|位列|名列|稳居|排名|排)$")
_FIELD_AFTER = re.compile(r"^[^,，;；。、]{0,8}?(?:第[一二三四五六七八九十\d]|前[一二三四五六七八九十\d]|首位|首个|首家|唯一"
                          r"|[一二三四五六七八九十\d]+强|比重)")


def is_field(text: str, cue: ScopeCue) -> bool:
    """True when the place is the field a figure is measured against, not whose figure it is:
    占全市41%, 居全国高新区第三, 全国首个 (the figure is still the report area's own)."""
    return bool(_FIELD_BEFORE.search(text[max(0, cue.start - 3): cue.start])
                or _FIELD_AFTER.search(text[cue.end: cue.end + 12]))


def scope_of(text: str) -> str:
    """Whose figure the text speaks of: the first place word that is not a field of comparison
    (占全市…, 全国第…), else "local" (the report's own area)."""
    for cue in scope_cues(text):
        if not is_field(text, cue):
            return cue.scope
    return "local"
