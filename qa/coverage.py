"""Does the report cover what is asked? The rules that answer "not_found" when no figure answers.

A question about something the report never speaks of in the way asked is not covered, even when its
passages look close: a measure no document says (员工), a rank or share never given, a measure never
given for a thing the report names (烽火通信有多少员工: it names 烽火通信 only for an award). Pure
functions of the `Query`, its term weights and the corpus texts; `verify.choose` calls them.
"""
from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache
from typing import Any, Sequence

from .asking import ASPECTS, is_form_word
from .indicators import aspect_cues, find_indicators
from .query import Query, everyday_count

NAME_COUNT = 100  # a word jieba's dictionary counts fewer times than this is a name (金控 0, 华星 18), not everyday speech


def never_said(query: Query, weights: Sequence[float]) -> bool:
    """Whether no document says the word for what is measured (烽火通信有多少员工: 员工), nor any word
    for it: the report cannot give that number, whatever it says of the rest."""
    if not query.attribute:
        return False
    parts = [w for t, w in zip(query.terms, weights) if t[0] == query.attribute or t[0] in query.attribute]
    if not parts or min(parts) > 0.0:
        return False
    # only when every other word of the question is the report's own: everyday speech (多少个院子改好了)
    # has several words no document says, and the glossary not yet all of them
    unseen = [t for t, w in zip(query.terms, weights) if w == 0.0 and not is_form_word(t[0])
              and (len(t[0]) > 1 or query.is_english)]
    return len(unseen) == len(parts)


def speaks_of(query: Query, passages: Sequence[Any]) -> bool:
    """Whether a sentence of the passages names the question's indicator with the aspect asked, in
    words if not in figures (居民收入稳步增长 speaks of income growth; nothing speaks of GDP's rank)."""
    wanted = set(ASPECTS.get(query.aspect or "", (query.aspect,)))
    for p in passages:
        for sentence in re.split(r"[。；;！？!?\n]", p.text):
            named = [m for m in find_indicators(sentence) if m.indicator.name in query.indicators]
            if named and (wanted & {a for a, _, _ in aspect_cues(sentence)} or wanted & {m.aspect for m in named}):
                return True
    return False


def measure_unsaid(query: Query, weights: Sequence[float], texts: dict[str, str], most: int = 3) -> str:
    """The thing the question names, when the report names it in a few sentences and none of them
    says the measure asked (烽火通信有多少员工, 19号线有多长), else "". A broad topic (企业, 道路) is left
    to the other checks: the report speaks of it in many words."""
    m = query.measure
    if m is None or query.scope.foreign or not weights:
        return ""
    asked = query.text.lower()
    thing = [(t, w) for t, w in zip(query.terms, weights)
             if w > 0 and len(t[0]) > 1 and not is_form_word(t[0]) and t[0] != m.name and not _overlaps(asked, t[0], m.cue)]
    before, after = _beside(asked, m.cue, query.tokens)
    m = replace(m, words=(*m.words, *after))  # 工资收入: the words after the cue say the measure too
    thing = [(t, w) for t, w in thing if t[0] not in after]
    if not any(w in text for text in texts.values() for w in (*m.words, *before)):
        # 光谷员工平均工资: no document speaks of wages at all, whatever it says of the rest
        return "".join(t[0] for t, _ in thing) or (query.scope.place or "本区")
    if not thing:
        return ""
    naming = _naming(texts, [t for t, _ in thing])
    if not naming:  # 光谷金控管理的资产规模: the thing by its name (金控), the other words may be the asker's;
        # a name is a word general Chinese rarely uses (起来, 骑车, 手机 are the asker's words, not names)
        names = [(t, w) for t, w in thing if everyday_count(t[0]) < NAME_COUNT]
        if not names:
            return ""
        thing = [max(names, key=lambda x: x[1])]
        naming = _naming(texts, [thing[0][0]])
    if not 1 <= len(naming) <= most:
        return ""
    thing_terms = [t for t, _ in thing]
    # the clause that names it (建成光谷人民医院,…新增床位总数1250张: the beds are not the hospital's),
    # or its whole sentence when the thing's words are spread over several clauses
    clauses = [c for x in naming for c in re.split(r"[,，、:：]", x) if all(any(w in c for w in t) for t in thing_terms)]
    if any(says_measure(x, m) for x in clauses or naming):
        return ""
    return "".join(t[0] for t in thing_terms)


def _naming(texts: dict[str, str], thing: list[tuple[str, ...]]) -> list[str]:
    """The sentences of the corpus that say every word of the thing (each in one of its forms)."""
    return [x for text in texts.values() for x in _sentences(text) if all(any(w in x for w in t) for t in thing)]


def _beside(text: str, cue: str, tokens: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The question's words right before the cue (平均 in 平均工资, or the thing: 项目 in 项目总投资) and
    right after it (收入 in 工资收入: the same measure, named on)."""
    at = text.find(cue)
    if at < 0:
        return (), ()
    end = at + len(cue)
    words = [t for t in tokens if len(t) > 1]  # 多少片: a measure word is no measure
    return tuple(t for t in words if text.endswith(t, 0, at)), tuple(t for t in words if text.startswith(t, end))


def _overlaps(text: str, word: str, cue: str) -> bool:
    """Whether the word shares characters with the cue where the question says them (客流量 -> 客流, 流量:
    the measure too; 平均工资 -> 平均 is not)."""
    at = text.find(cue)
    spans = [(i, i + len(word)) for i in range(len(text)) if text.startswith(word, i)]
    return at >= 0 and any(a < at + len(cue) and at < b for a, b in spans)


def says_measure(sentence: str, m: Any) -> bool:
    """Whether a sentence speaks of the measure: one of its words, or a number in one of its units."""
    if any(w in sentence for w in m.words):
        return True
    return bool(m.units) and re.search(r"\d(?:\.\d+)?(?:多|余)?[万亿千百]?(?:" + "|".join(map(re.escape, m.units)) + ")",
                                       sentence) is not None


@lru_cache(maxsize=64)
def _sentences(text: str) -> tuple[str, ...]:
    return tuple(x.lower() for x in re.split(r"[。；;！？!?\n]", text) if x.strip())
