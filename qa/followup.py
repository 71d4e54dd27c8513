"""A follow-up question, read with the one before it: it takes from the previous `Query` what it does
not say itself, field by field (indicator, aspect, period, area, thing counted).

Why a module of its own: a conversation is how residents ask (2023年光谷GDP是多少？ then 那增速呢？), and
the question alone names nothing to measure. The question reader (`qa.query.analyse`) reads each question
on its own; this module decides, from those two frozen records, what the follow-up keeps:

* 那增速呢 names no subject: it keeps GDP and the period, and asks the growth;
* 今年的目标呢 keeps GDP and asks this year's target; 去年实际是多少 keeps the indicator, last year's result;
* 在全国高新区排第几 asks that indicator's rank (全国高新区 is the field of the rank, not a subject);
* 高企呢 names a subject of its own: it keeps how (aspect, kind of number) and when the last one was asked.

Which words lean on the question before, or only say how or when something is asked, is data
(qa/data/followup.tsv). A follow-up that kept the previous indicator never answers with a figure of another
indicator (`keep_indicator`): 增速呢 after a GDP question is not answered by 中小企业首贷率增长30%.
"""
from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from .asking import is_form_word, wanted_kinds
from .indicators import aspect_of, indicator_named
from .periods import Asked
from .places import Scope
from .query import Query, tokenize
from .types import Figure, Period
from .verify import Verdict

FOLLOWUP_PATH = Path(__file__).resolve().parent / "data" / "followup.tsv"
ROLES = ("lean", "ask", "yardstick", "all")
MAX_CHARS = 24  # a follow-up is short: a longer question says what it asks
MAX_CHARS_EN = 64  # … in English words too (What about the target for this year?)
DEFAULT_ASPECT = ("总量", None)  # what 是多少 asks when it names no aspect
TOTALS = (*DEFAULT_ASPECT, "累计")  # a total (What about the total?): its target may be a growth
AMOUNTS = (*TOTALS, "数量", "新增")  # how much, of whatever kind of number the report gives
_NUMBER = re.compile(r"[\d.%]+")
_HEADLESS = re.compile(r"[\u4e00-\u9fff\w]的呢?[?？。!！]?$")  # 百亿元以上的呢: the noun after 的 is the last one's
_LEANS = re.compile(r"^(?:那么?|还有|另外|然后|再问|and\b|what about|how about|also\b)|呢[?？。!！]?$", re.I)


def parse_roles(text: str, path: str = "followup.tsv") -> dict[str, str]:
    """word -> role from the lines of followup.tsv; a malformed line or an unknown role is an error."""
    out: dict[str, str] = {}
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = raw.split("\t")
        if len(parts) != 2 or parts[1].strip() not in ROLES or not parts[0].strip():
            raise ValueError(f"{path} line {n}: expected 'word<TAB>{'|'.join(ROLES)}', got {raw!r}")
        out[parts[0].strip().lower()] = parts[1].strip()
    return out


@lru_cache(maxsize=1)
def roles() -> dict[str, str]:
    return parse_roles(FOLLOWUP_PATH.read_text(encoding="utf-8"))


def role(word: str) -> str | None:
    """lean | ask | yardstick for a word of qa/data/followup.tsv, else None (the word names something)."""
    return roles().get(word.lower())


def leans(query: Query) -> bool:
    """The question leans on the one before: 那…, …呢, 还有…, what about …"""
    return bool(_LEANS.search(query.text.strip())) or any(role(t) == "lean" for t in query.tokens)


def subject_words(query: Query) -> list[str]:
    """The question's own words that name what is asked about: not the follow-up words, not numbers, and,
    in a rank or share question, not the field it is measured against (全国, 高新区)."""
    ranked = query.aspect in ("排名", "占比")
    out = []
    for t in query.tokens:
        r = role(t)
        if r in ("lean", "ask", "all") or (r == "yardstick" and ranked) or _NUMBER.fullmatch(t):
            continue
        out.append(t)
    return out


def names_subject(query: Query) -> bool:
    return bool(query.indicators) or bool(subject_words(query))


def sibling(indicator: str, words: Sequence[str]) -> str | None:
    """The one indicator whose name is `indicator`'s with a part of it said otherwise by the one word
    asked (农村 for 城镇: 农村居民人均可支配收入; 第二 for 第一: 第二产业增加值), None when there is none or
    several."""
    if len(words) != 1 or len(words[0]) < 2:
        return None
    word, n = words[0], len(words[0])
    names = _indicator_names()
    found = {indicator[:i] + word + indicator[i + n:] for i in range(len(indicator) - n + 1)} & names
    found.discard(indicator)
    return found.pop() if len(found) == 1 else None


@lru_cache(maxsize=1)
def _indicator_names() -> frozenset[str]:
    from .indicators import load_indicators

    return frozenset(i.name for i in load_indicators())


def is_follow_up(query: Query, previous: Query | None) -> bool:
    """Short, and either names nothing to measure (去年实际是多少) or leans on the question before (高企呢)."""
    if previous is None or len(query.text) > (MAX_CHARS_EN if query.is_english else MAX_CHARS):
        return False
    return not names_subject(query) or leans(query) or refines(query)


def refines(query: Query) -> bool:
    """A count or an amount asked of no noun (今年计划竣工多少个？, 那今年计划入库多少家？): what is counted is
    the previous question's thing, done another way; the question's own words narrow it. So does a
    modifier whose noun is left out (那百亿元以上的呢: 百亿元以上的[项目])."""
    if query.indicators:
        return False
    return (bool(query.classifier) and not query.counted_noun) or bool(_HEADLESS.search(query.text))


def names_own_area(query: Query) -> bool:
    """The question named the report's own area (那光谷呢？): the reader took its names out of `core`."""
    return len(re.sub(r"\s", "", query.core)) < len(re.sub(r"\s", "", query.text))


def follow_up(query: Query, previous: Query | None) -> Query:
    """`query` with what it does not say taken from `previous` (unchanged when it is no follow-up).

    A follow-up that names no subject keeps the previous one whole (its indicators, words, bigrams, the
    thing counted) and sets `follows`, so the search reads both questions; one that names its own subject
    (高企呢) keeps only how and when the previous question asked."""
    if previous is not None and query.asked.part and query.asked.year is None and previous.asked.period:
        # 全年为企业新增减负多少 after 今年…: a part of a year with no year is of the year talked about
        query = replace(query, asked=replace(previous.asked, part=query.asked.part, explicit=True))
    if previous is None or not is_follow_up(query, previous):
        return query
    said_aspect = query.aspect is not None  # from its words (增速, 排第几, 建成率), never a default
    said_number = bool(query.kinds) and (said_aspect or bool(query.units) or bool(query.classifier))
    new_subject = names_subject(query) and not refines(query)
    # 农村呢 after 城镇居民人均可支配收入: the indicator the word makes of the last one, asked the same way
    kin = sibling(previous.indicators[0], subject_words(query)) if new_subject and previous.indicators \
        and not query.indicators else None
    new_subject = new_subject and kin is None
    asked = query.asked if query.asked.explicit else _inherited(previous.asked)
    aspect, kinds = query.aspect, query.kinds
    if not said_aspect:
        aspect, kinds = previous.aspect, previous.kinds or query.kinds
        # 今年的目标呢 after a result: the target of a count of things done is a count (新开工3000个), with
        # no aspect of its own; the target of a total is often a growth (增长8%); not the other way round
        # (a share is no result of a total's target)
        to_target = (asked.period is not None and previous.asked.period is not None
                     and asked.period.kind == "targets" != previous.asked.period.kind)
        # 公园呢 after 绿道多少公里: counted in 座, not 公里 (the kinds a unit asked belong to its thing)
        if (new_subject and (previous.units or previous.classifier)) or (to_target and previous.aspect in TOTALS):
            aspect = None if to_target else previous.aspect
            kinds = query.kinds or (wanted_kinds(query.text + " 多少") if previous.wants_number else ())
        if to_target and not new_subject and aspect == "新增":
            # 今年计划呢 after 新开工改造老旧小区4402个: the year's target is a count of what is planned
            # (实施3000个老旧小区改造), said with or without 新 (数量 takes both)
            aspect = "数量"
        if new_subject and aspect in AMOUNTS:
            # 加装电梯呢 after 新开工改造老旧小区多少个: how much of another thing is asked as the report gives
            # it (6000部, not 新增); a growth, a share or a rank stays (农村呢 after 城镇收入增速); an indicator
            # of its own is asked in its own kind of number (失业率呢 after 新增就业)
            aspect = None
            if query.indicators:
                kinds = query.kinds or wanted_kinds(query.text + " 多少")
        if new_subject and aspect and query.indicators and not _takes(query.indicators[0], aspect):
            # 失业率呢 after 新增就业: a rate has no 新增; the new indicator is asked as it is given
            aspect, kinds = None, query.kinds or wanted_kinds(query.text + " 多少")
    elif not query.kinds and previous.wants_number:  # 引进亿元以上项目呢: asked the way the last one was
        kinds = wanted_kinds(query.text + " 多少")
    if not kinds and not new_subject and previous.indicators and (query.asked.explicit or said_aspect):
        # And the target for 2021? after What was consumer price inflation in 2020?: a period or an aspect
        # of an indicator is its figure
        kinds = wanted_kinds(query.text + " 多少")
    merged = replace(
        query,
        aspect=aspect,
        kinds=query.kinds if said_number else kinds,
        units=query.units or (frozenset() if new_subject else previous.units),
        classifier=query.classifier or ("" if new_subject else previous.classifier),
        form="number" if (kinds and not said_number and not previous.wants_number) else
        query.form if (query.form == "number" or not previous.wants_number) else previous.form,
        asked=asked,
        scope=query.scope if query.scope != Scope() or names_own_area(query) else previous.scope,
    )
    if new_subject:
        return merged
    # the previous question's subject, without the words that said how or when it was asked (目标, 实际),
    # and the follow-up's words that say what is asked of it now (增速, 全国高新区)
    # a rank or share of what was asked before keeps its aspect's words: 在全国排第几 after 增速呢 asks the
    # growth's rank (增速居全国第5位), not the total's
    of_aspect = query.aspect in ("排名", "占比") and previous.aspect not in DEFAULT_ASPECT
    old_tokens, old_terms, old_dropped = _asked_part(previous, keep_aspect=not said_aspect or of_aspect)
    new_tokens, new_terms, new_dropped = _asked_part(query, keep_aspect=True)  # with a refinement's own words
    dropped = old_dropped | new_dropped
    tokens = tuple(dict.fromkeys((*old_tokens, *new_tokens)))
    return replace(
        merged,
        core=f"{previous.core} {query.core}",
        tokens=tokens,
        expansions=_merged_expansions(previous.expansions, query.expansions, tokens, dropped),
        terms=tuple(dict.fromkeys((*_one_idea(old_terms, previous.indicators), *new_terms))),
        indicators=(kin,) if kin else previous.indicators,
        grams=previous.grams | (query.grams if refines(query) else frozenset()),
        alt_grams=previous.alt_grams,
        counted=query.counted or previous.counted,
        counted_noun=query.counted_noun if query.counted_noun and role(query.counted_noun) is None
        else previous.counted_noun,
        measure=query.measure or previous.measure,
        attribute=next((a for a in (query.attribute, previous.attribute) if a and role(a) is None), ""),
        names=previous.names | query.names,
        follows=_context_text(previous),
    )


def _one_idea(terms: Sequence[tuple[str, ...]], indicators: Sequence[str]) -> tuple[tuple[str, ...], ...]:
    """The previous question's ideas, as the follow-up holds a figure's sentence to them: the indicator's
    words and the words that say how it is asked each stay an idea; the rest, the words the question
    before described its thing with, become one idea that the sentence must say at least one word of.
    The report names a thing again in other words for another period or aspect (人工智能计算中心算力扩容至
    400P, then 新增高性能算力1700P; 开放智能网联车路协同测试道路163公里, then 新开放智能网联道路100公里以上);
    the indicator and the subject's bigrams are still checked."""
    forms = {f.lower() for name in indicators if (ind := indicator_named(name)) for f in (ind.name, *ind.aliases)}
    kept = [t for t in terms if forms & set(t) or role(t[0]) is not None or is_form_word(t[0])]
    rest = [t for t in terms if t not in kept]
    if len(rest) < 2:
        return tuple(terms)
    return (*kept, tuple(dict.fromkeys(w for t in rest for w in t)))


def _inherited(asked: Asked) -> Asked:
    """The previous question's period for a follow-up that says none; 全年 said of the year before is the
    year, not a part of it that the figure's clause must repeat (其中减免社保费呢 after 全年为市场主体减负)."""
    return replace(asked, part=None) if asked.part == "全年" else asked


def _takes(indicator: str, aspect: str) -> bool:
    ind = indicator_named(indicator)
    return ind is None or not ind.aspects or aspect in ind.aspects


def _asked_part(query: Query, keep_aspect: bool) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...], frozenset[str]]:
    """A question's words (tokens, terms) without those that lean on another question or say how or when
    it asks (目标, 实际); aspect words (增速) and a rank's field (全国高新区) stay when `keep_aspect`.
    Also the words left out, with the words the reader added for them, so their expansions go too."""
    def keeps(word: str) -> bool:
        r = role(word)
        if r is None:
            return True
        return keep_aspect and (r == "yardstick" or (r == "ask" and aspect_of(word) is not None))

    tokens = tuple(t for t in query.tokens if keeps(t))
    terms = tuple(term for term in query.terms if keeps(term[0]))
    dropped = {w for term in query.terms if not keeps(term[0]) for w in term}
    dropped |= {p for w in list(dropped) for p in tokenize(w)}
    return tokens, terms, frozenset(dropped - set(tokens))


def _merged_expansions(first: Iterable[tuple[str, float]], second: Iterable[tuple[str, float]],
                       own: Sequence[str], dropped: frozenset[str]) -> tuple[tuple[str, float], ...]:
    """Both questions' added words, each once at its highest weight: none the user's words already say,
    none that stood for a word left out."""
    out: dict[str, float] = {}
    mine = set(own)
    for word, weight in (*first, *second):
        if word not in mine and word not in dropped:
            out[word] = max(out.get(word, 0.0), weight)
    return tuple(out.items())


def _context_text(previous: Query) -> str:
    """What the search reads before the follow-up: the previous question, with the one it continued."""
    return f"{previous.follows} {previous.text}" if previous.follows else previous.text


def chain(read: Callable[[str, Query | None], Query], questions: Sequence[str]) -> Query | None:
    """The context of the next question from a conversation's earlier questions, oldest first: each is
    read with the ones before it (so a third question after 那增速呢 still knows GDP). A question that
    cannot be read (`ValueError`: empty, only symbols) is passed over."""
    context: Query | None = None
    for q in questions:
        try:
            context = read(q, context)
        except ValueError:
            continue
    return context


def keep_indicator(query: Query, verdict: Verdict, texts: Mapping[str, str] | None = None,
                   passages: Sequence[Any] = ()) -> Verdict:
    """A follow-up is answered by a figure of what it asks only. When it kept the previous question's
    indicator, a figure resolved to another indicator is dropped, unless its own sentence names the one
    asked before it (产业项目到位资金646亿元、外商直接投资6.8亿美元,均为全市第一); a figure with no indicator was
    checked against the question's words by the verifier. A rank or share follow-up that names its field
    (在全国排第几) is not answered by a rank in another field (全省第一). With none left, the report gives no
    number for it."""
    if not query.follows:
        return verdict
    texts = texts or {}
    if verdict.status != "figure":
        rank = rank_of_kept(query, passages, texts)
        return verdict if rank is None else Verdict("figure", (rank,))
    fields = [w for w in _words_of(query.text) if role(w) == "yardstick"] if query.aspect in ("排名", "占比") else []
    wanted = set(query.indicators)
    forms = [f for name in wanted if (ind := indicator_named(name)) for f in (ind.name, *ind.aliases)]

    def fits(f: Figure) -> bool:
        before = _sentence_before(texts.get(f.doc, ""), f)
        if fields and not any(w in before for w in fields):
            return False
        return not wanted or f.indicator is None or f.indicator in wanted or any(x in before for x in forms)

    figures = tuple(f for f in verdict.figures if fits(f))
    if figures == verdict.figures:
        return verdict
    if figures:  # the verifier's scores of the figures kept (qa/decide.py reads the first two)
        scores = tuple(x for f, x in zip(verdict.figures, verdict.scores) if f in figures)
        return replace(verdict, figures=figures, scores=scores)
    return Verdict("passage", (), other=verdict.other, reason=verdict.reason)


def rank_of_kept(query: Query, passages: Sequence[Any], texts: Mapping[str, str]) -> Figure | None:
    """The rank of the indicator a rank follow-up kept (在全国排第几 after 总量呢), read from its sentence.

    A report ranks what its sentence just said without naming it again (地区生产总值增长3.9%、总量连续37年
    居全国首位; 实现地区生产总值67665亿元，增长5.5%，总量和增速均居全国第5位), so the verifier, which
    matches a figure's own subject, finds none. A rank answers when, in the passages found, its sentence
    names the indicator before it, in the period and the field asked (全国, 全市), and nothing between
    the indicator and the rank names another indicator (a rank held over a review span that ends in the
    period asked is that period's), unless the rank is said of every item before it
    (均为全市第一: followup.tsv, role `all`); an aspect said right before the rank (总量, 增速) is the one asked
    (the previous question's, kept in the follow-up's words). The figure shown is given the indicator asked."""
    from .indicators import find_indicators

    if query.aspect != "排名" or not query.indicators:
        return None
    wanted = set(query.indicators)
    forms = sorted({f for name in wanted if (ind := indicator_named(name)) for f in (ind.name, *ind.aliases)},
                   key=len, reverse=True)
    fields = [w for w in _words_of(query.text) if role(w) == "yardstick"]
    aspects = {a for t in query.tokens if role(t) == "ask" and (a := aspect_of(t)) in ("总量", "增速")}
    asked = query.asked.period
    for p in passages[:5]:
        text = texts.get(p.doc, "")
        for f in p.figures:
            if f.kind != "rank" or f.scope != query.scope.level or not _in_period(f.period, asked):
                continue
            before = _sentence_before(text, f)
            at = max((before.rfind(x) + len(x) for x in forms if x in before), default=-1)
            if at < 0 or (fields and not any(w in before[at:] for w in fields)):
                continue
            between = before[at: len(before) - len(f.text)]
            said_of_all = any(role(w) == "all" for w in _words_of(between[-6:]))
            others = {m.indicator.name for m in find_indicators(between)} - wanted
            if others and not said_of_all:
                continue
            clause = re.split(r"[,，、;；]", between)[-1]
            said = {a for w in ("总量", "增速", "规模", "增长") if w in clause and (a := aspect_of(w)) in ("总量", "增速")}
            if said and aspects and not said & aspects:
                continue
            return replace(f, indicator=query.indicators[0], period=asked or f.period)
    return None


def _in_period(period: Period | None, asked: Period | None) -> bool:
    """The figure's period is the one asked, or a span that ends in it: a rank held over a five-year
    review (进出口规模稳居全国第二, 2021-2025) is the rank at its end."""
    if period is None or asked is None or period == asked:
        return True
    return period.first is not None and (period.year, period.kind) == (asked.year, asked.kind)


def _words_of(text: str) -> list[str]:
    """The follow-up words written in `text` (a yardstick is read from the follow-up itself)."""
    low = text.lower()
    return [w for w in roles() if w in low]


def _sentence_before(text: str, f: Figure) -> str:
    """The figure's sentence up to and with the figure (where its field and its indicator are said)."""
    if not text:
        return ""
    start = max(text.rfind(c, 0, f.start) for c in "。；;!！?？\n") + 1
    return text[start:f.end]
