"""Choose and verify: show a figure only when it answers the question.

A figure answers when what it measures (indicator, else its subject), the aspect (总量, 增速,
新增 …), the area (scope) and the period all match what the `Query` asks. When none does, the
answer says so plainly instead of showing the nearest number: the report speaks of it but gives
no figure (status "passage"), gives only the other period's figure ("passage"), or does not
cover it at all ("not_found"). A confident wrong number is the worst answer a 政务 service gives.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Sequence

from .asking import ASPECTS, UNIT_WORDS, is_form_word
from .coverage import measure_unsaid, never_said, speaks_of
from .indicators import indicator_named
from .periods import FLOW_ASPECTS, ends_in, same_years
from .query import GENERIC, Query, grams
from .types import Figure

STATUSES = ("figure", "passage", "not_found")
_PERCENT_KINDS = ("growth", "decline", "share", "rate")
_PARTS = ("前三季度", "一季度", "上半年", "全年")
_UNIT_FAMILY = {"元": "money", "美元": "money", "%": "percent", "个百分点": "percent", "倍": "multiple",
                "米": "measure", "平方米": "measure", "P": "measure", "吨": "measure", "方": "measure"}
FIT_MIN = 0.5  # Settings.figure_min_fit: a figure fitting less than this does not answer
SUBJECT_MIN = 0.25  # Settings.subject_min: without an indicator, the subject must share this much (Dice)


@dataclass(frozen=True)
class Verdict:
    status: str  # figure | passage | not_found
    figures: tuple[Figure, ...]  # the figures that answer, best first (empty unless status is figure)
    other: Figure | None = None  # the other period's figure, when only that one exists
    reason: str | None = None  # why not found
    scores: tuple[float, ...] = ()  # the verifier's scores of `figures`, best first (qa/decide.py reads them)


def _family(f: Figure) -> str:
    unit = f.base_unit or f.unit
    if f.kind in _PERCENT_KINDS or unit in ("%", "个百分点"):
        return "percent"
    return _UNIT_FAMILY.get(unit, "count" if f.kind == "count" else f.kind)


def subject_overlap(query: Query, figure: Figure, clause: str = "", own: str = "") -> float:
    """Dice coefficient of the figure's subject and the question's subject bigrams (aspect words
    such as 总量 or 新增 left out of both: they say how, not what), or of the report's words for the
    question's (租房 -> 租赁住房), a little less. A subject that names nothing but an aspect (总数达12家)
    is read from its clause."""
    subject = subject_grams(figure.subject) or subject_grams(clause)
    best = max(dice(subject, query.grams), 0.9 * dice(subject, query.alt_grams))
    if own:  # 8个项目实质性开工: what the counted things did is part of what is counted
        best = max(best, 0.8 * dice(subject_grams(own), query.grams))
    return best


@lru_cache(maxsize=65536)
def subject_grams(text: str) -> frozenset[str]:
    """The bigrams of what a text names, aspect words left out (cached: figures repeat across questions)."""
    return grams(GENERIC.sub(" ", text))


def dice(a: frozenset[str], b: frozenset[str]) -> float:
    return 2 * len(a & b) / (len(a) + len(b)) if a and b else 0.0


def what_fits(query: Query, figure: Figure, own: str = "") -> float:
    """How well what the figure measures matches what is asked, 0..1."""
    if query.indicators:
        if figure.indicator in query.indicators:
            return 1.0
        if figure.indicator is not None:
            return 0.0
        return 0.8 * subject_overlap(query, figure, own=own)
    if not query.grams:  # 上半年增长多少 names nothing: neither for nor against
        return 0.5
    return min(1.0, 1.6 * subject_overlap(query, figure, own=own))


def kind_fits(query: Query, figure: Figure) -> float:
    wanted = query.kinds
    if not wanted:
        return 0.5
    if figure.kind == wanted[0]:
        return 1.0
    if figure.kind in wanted or (figure.kind == "multiple" and wanted[0] == "growth"):  # 增长两倍
        return 0.7
    return 0.4 if figure.kind in _PERCENT_KINDS and wanted[0] in _PERCENT_KINDS else 0.0


def aspect_fits(query: Query, figure: Figure) -> float:
    if not query.aspect or not figure.aspect:
        # 有多少名特级教师 asks the stock (37名), not the year's newcomers (新引进9人)
        return 0.4 if figure.aspect == "新增" and query.aspect is None else 0.7
    accepted = ASPECTS.get(query.aspect, (query.aspect,))
    if figure.aspect not in accepted:
        return 0.9 if _rate_level(query, figure) else 0.0
    return 1.0 - 0.1 * accepted.index(figure.aspect)


def _rate_level(query: Query, figure: Figure) -> bool:
    """空气质量优良天数比例: the level of a rate (优良率 89.7%) is the share asked."""
    if query.aspect != "占比" or figure.aspect != "总量" or figure.indicator is None:
        return False
    ind = indicator_named(figure.indicator)
    return ind is not None and ind.unit == "percent"


def figure_fit(query: Query, figure: Figure, own: str = "") -> float:
    """How well a figure answers the question, 0..1: what it measures, then aspect, kind and unit.
    A figure of another area (scope) never fits."""
    if figure.scope != query.scope.level:
        return 0.0
    unit = 0.5 if not query.units or figure.kind == "rank" else 1.0 if _family(figure) in query.units else 0.0
    return 0.5 * what_fits(query, figure, own) + 0.2 * aspect_fits(query, figure) + 0.2 * kind_fits(query, figure) + 0.1 * unit


def answers(query: Query, figure: Figure, part: str | None, subject_min: float = SUBJECT_MIN,
            clause: str = "", own: str = "") -> bool:
    """The checks a shown figure must pass, beyond ranking well."""
    if figure.scope != query.scope.level:
        return False
    if query.indicators:
        if figure.indicator not in query.indicators and not (
                figure.indicator is None and subject_overlap(query, figure, clause, own) >= subject_min):
            return False
    elif (query.grams or query.alt_grams) and subject_overlap(query, figure, clause, own) < subject_min:  # (上半年增长多少 names nothing)
        return False
    if query.kinds and kind_fits(query, figure) < 0.4:
        return False
    if query.aspect and figure.aspect and aspect_fits(query, figure) == 0.0:
        return False
    if figure.aspect == "增速" and asks_level(query, figure):
        return False
    if query.asked.part:  # 一季度增长多少: only the first quarter's figure
        if part != query.asked.part:
            return False
    elif part in ("一季度", "上半年", "前三季度"):  # a part of the year does not answer for the year
        return False
    return True


def asks_level(query: Query, figure: Figure) -> bool:
    """江苏2025年地区生产总值是多少 asks the level of an amount, not its growth (增长5.3%); a target
    (GDP目标是多少) is mostly set as a growth, and a price index is reported as one."""
    if query.aspect is not None or not query.kinds or query.kinds[0] not in ("amount", "count"):
        return False
    if query.asked.period is None or query.asked.period.kind != "results" or figure.indicator is None:
        return False
    ind = indicator_named(figure.indicator)
    return figure.indicator in query.indicators and ind is not None and ind.unit in ("amount", "count")


def lead_of(text: str, figure: Figure) -> str:
    """The figure's sentence up to the figure, with its subject (推动新开工…项目,新增总投资4315亿元)."""
    start = max((text.rfind(c, 0, figure.start) for c in "。；;！？!?\n"), default=-1) + 1
    return f"{text[start: figure.start]} {figure.subject}"


def names_indicator(figure: Figure, lead: str, names: Sequence[str]) -> bool:
    """Whether a figure without an indicator names one of those asked in the words before it (瞪羚企业:
    瞪羚), not only by a word many indicators share (企业 in 11家企业被认定为总部企业)."""
    said = grams(lead)
    marks = [g for n in names for g in _distinctive_grams(n)]
    return not marks or any(g in said for g in marks)


@lru_cache(maxsize=1024)
def _distinctive_grams(name: str) -> frozenset[str]:
    return frozenset(g for g in _indicator_grams(name) if _indicator_gram_count().get(g, 0) <= 3)


@lru_cache(maxsize=1)
def _indicator_gram_count() -> dict[str, int]:
    from collections import Counter

    from .indicators import load_indicators

    return dict(Counter(g for i in load_indicators() for g in _indicator_grams(i.name)))


@lru_cache(maxsize=1024)
def _indicator_grams(name: str) -> frozenset[str]:
    """The bigrams of an indicator's name and every alias."""
    from .indicators import aliases_of

    return grams(" ".join((name, *aliases_of(name))))


def clause_of(text: str, figure: Figure) -> str:
    """The figure's clause: the words before it back to the previous comma or stop, the words after
    it up to the next break (其中6个进入临床三期), and its subject."""
    before = re.split(r"[,，;；。:：]", text[max(0, figure.start - 30): figure.start])[-1]
    if "、" in before:  # 推动新开工7个百亿元以上项目、176个…: the list's lead words, not the items before it
        before = re.split(r"\d", before, maxsplit=1)[0] + before.split("、")[-1]
    after = re.split(r"[,，;；。:：、]", text[figure.end: figure.end + 30])[0]
    return f"{before} {after} {figure.subject}"


def own_words(text: str, figure: Figure) -> str:
    """The words of the figure's own list item (其中6个进入临床三期), without what it shares with the
    items before it."""
    before = re.split(r"[,，;；。:：、]", text[max(0, figure.start - 30): figure.start])[-1]
    return f"{before} {words_after(text, figure)}"


def words_after(text: str, figure: Figure) -> str:
    """What the figure's list item says after it, up to the next break (60个亿元以上项目竣工 -> 亿元以上项目竣工)."""
    return re.split(r"[,，;；。:：、]", text[figure.end: figure.end + 30])[0]


def sentence_of(text: str, figure: Figure) -> str:
    """The sentence (or ;-clause) that holds the figure."""
    start = max((text.rfind(c, 0, figure.start) for c in "。；;！？!?\n"), default=-1) + 1
    ends = [i for i in (text.find(c, figure.end) for c in "。；;！？!?\n") if i >= 0]
    return text[start: min(ends, default=len(text))]


def topic_of(text: str, figure: Figure, longest: int = 20) -> str:
    """The run-in heading of the figure's paragraph part: the last short sentence before it
    (实施精准招商攻坚行动。… 签约总金额2550亿元), which says what the figures after it are about."""
    para = text.rfind("\n", 0, figure.start) + 1
    sentences = re.split(r"(?<=。)", text[para: figure.start])[:-1]
    return next((t for t in reversed(sentences) if len(t) <= longest), "")


def sentence_support(query: Query, weights: Sequence[float], sentence: str, unseen: float = 0.0,
                     name: float = 0.0) -> float:
    """IDF-weighted share of the question's ideas that the figure's own sentence says (a synonym
    counts): 长飞光纤光缆营收 is not answered by a sentence about 海微科技营收. An idea no document
    says (weight 0) weighs `unseen`: a name the report does not know, or an everyday word nothing
    translated; an English question is held only to the words the lexicon put into Chinese, and to
    the names it writes (FiberHome's revenue is not 海微科技's), which weigh `name`."""
    if not weights:
        return 1.0
    low = sentence.lower()
    pairs = [(t, w or (name if t[0] in query.names else unseen)) for t, w in zip(query.terms, weights)
             if (len(t) > 1 or not query.is_english or t[0] in query.names) and not is_form_word(t[0])]
    # one Chinese character alone is mostly a light verb or a function word (做, 给, 修, 算): its IDF says
    # how rarely the tokenizer cuts it out alone, not how much it means; it weighs as a word no document says
    pairs = [(t, min(w, unseen) if len(t[0]) == 1 and "\u4e00" <= t[0] <= "\u9fff" and unseen > 0 else w)
             for t, w in pairs]
    pairs = [(t, w) for t, w in pairs if w > 0]
    total = sum(w for _, w in pairs)
    if total <= 0:
        return 1.0
    return sum(w for t, w in pairs if any(x in low for x in t)) / total


def part_of_year(text: str, figure: Figure) -> str | None:
    """一季度 / 上半年 / 前三季度 / 全年 when the figure's clause says so (一季度增长2.5%)."""
    start = figure.start
    clause = re.split(r"[,，;；。:：]", text[max(0, start - 12): start])[-1]
    clause = re.split(r"[到至]", clause)[-1]  # 失业率从上半年5.5%降到5.3%: 上半年 is the level it left
    return next((p for p in _PARTS if p in clause), None)


# measure words that count the same kind of thing; any other two differ (件 of patents is not 条 of records)
_MEASURE_GROUPS = ({"人", "名", "位", "人次"}, {"家", "户"})


def measure_words_differ(query: Query, f: Figure) -> bool:
    """多少件专利 is not answered by 5200万条: both name a specific measure word, and not the same kind."""
    asked = query.classifier
    have = _bare(f.unit)
    noun = query.counted_noun
    if (f.kind == "count" and asked == "个" and have and have != "个" and have in UNIT_WORDS and noun
            and f.indicator not in query.indicators):
        # 多少个问题 is not 13.6万家企业: 个 counts anything, but not companies when it names 问题
        if have in _MEASURE_GROUPS[0] and noun.startswith("人"):
            return False  # 几个人: people, whatever the word after
        counted = grams(noun)
        forms = counted | {g for t in query.terms if grams(t[0]) & counted for w in t[1:] for g in grams(w)}
        return not (forms & grams(f.subject))
    if f.kind != "count" or not asked or asked == "个" or not have or have == "个" or asked == have:
        return False
    if asked not in UNIT_WORDS or have not in UNIT_WORDS:
        return False
    return not any(asked in g and have in g for g in _MEASURE_GROUPS)


def in_measure_units(query: Query, f: Figure) -> bool:
    """多少学生 is not answered by 55所, nor 花了多少钱 by 7个: a count or amount must be in a unit of the
    measure asked (a growth or share of it may still answer: 营收涨多少 -> 增长30%)."""
    m = query.measure
    if m is None or not m.units or f.kind not in ("count", "amount", "measure"):
        return True
    unit = f.unit.lstrip("万亿千百多余")  # (千瓦 is a unit of its own: 万千瓦 ends in it, not in 瓦)
    return any(x == u or x.endswith(u) for u in m.units for x in (unit, f.unit))


def in_measure_word_asked(query: Query, scored: list[tuple[float, int, Figure]]) -> list[tuple[float, int, Figure]]:
    """多少家: when some answering count is in 家, a count in the all-purpose 个 (标识注册量185亿个) is not the
    one asked (接入企业2.1万家)."""
    asked = query.classifier
    if not asked or asked == "个":
        return scored
    exact = [x for x in scored if x[2].kind == "count" and _bare(x[2].unit).endswith(asked)]
    if not exact:
        return scored
    return [x for x in scored if x[2].kind != "count" or x in exact or not _bare(x[2].unit).startswith("个")]


def in_points_asked(query: Query, scored: list[tuple[float, int, Figure]]) -> list[tuple[float, int, Figure]]:
    """高出全国多少个百分点: when some answering figure is in 个百分点, a per cent (民间投资增长2.7%) is not the
    difference asked (高出全国平均水平9.1个百分点)."""
    if "百分点" not in query.text or not any(x[2].unit == "个百分点" for x in scored):
        return scored
    return [x for x in scored if x[2].unit.strip() not in ("%", "％")]


def _bare(unit: str) -> str:
    """A unit without its order of magnitude: 万家 -> 家, 亿个 -> 个."""
    return unit.lstrip("万亿千百")


_ASKS_REACHED = re.compile(r"(?:到|至)了?(?:多少|几)|\b(?:raised|increased|lifted|risen|grown|rose|grew) to\b", re.I)
_FROM_BEFORE = re.compile(r"(?:从|由)(?:不到|[^，,；;。到至]){0,12}$")
_TO_AFTER = re.compile(r"^[^，,；;。]{0,12}?(?:到|至)")


def from_level(text: str, f: Figure) -> bool:
    """起征点从月销售额10万元提高到15万元: 10万元 is the level it left, 15万元 the one it reached."""
    return bool(_FROM_BEFORE.search(text[max(0, f.start - 14): f.start]) and _TO_AFTER.match(text[f.end: f.end + 16]))


def verified_fit(query: Query, f: Figure, text: str, clause: str, own: str, fit_min: float, subject_min: float,
                 weights: Sequence[float], support_min: float, unseen: float, name: float = 0.0) -> float | None:
    """The figure's fit when it passes every check a shown figure must pass, else None."""
    if query.form == "number" and len(f.text) > 1 and f.text in query.text:
        return None  # 十大标志性项目有几个开工: a number the question states is not its answer
    if _ASKS_REACHED.search(query.text) and from_level(text, f):
        return None  # 提高到多少 asks the level reached, not the one it left
    if not answers(query, f, part_of_year(text, f), subject_min, clause, own) or measure_words_differ(query, f):
        return None
    if not in_measure_units(query, f):
        return None
    if query.indicators and f.indicator is None and not names_indicator(f, f"{lead_of(text, f)} {words_after(text, f)}", query.indicators):
        return None
    fit = figure_fit(query, f, own)
    if fit < fit_min:
        return None
    if support_min > 0 and sentence_support(query, weights, topic_of(text, f) + sentence_of(text, f),
                                            unseen, name) < support_min:
        return None
    return fit


def tie_break(query: Query, f: Figure, text: str, clause: str, own: str, before: str | None) -> float:
    """What ranks figures of equal fit: their clause's words, what they count, the measure word, and
    a part after its whole (`before`: the clause of the figure before it in its passage)."""
    # the figure's own clause: 中小学…新增学位1.7万个 beside 幼儿园…新增学位1260个
    # (an English question is matched by the report's words for its words)
    s = 0.15 * dice(grams(clause), query.alt_grams if query.is_english else query.grams)
    named = f.indicator is not None and f.indicator in query.indicators
    # the indicator asked, in the report's words for it (上市公司 -> 7家上市企业): its subject is the
    # question's, whatever words each uses (not 收购1家上市公司, which only shares the words) …
    if named and query.counted & _indicator_grams(f.indicator):
        s += 0.2
    else:  # … unless the question counts something else (幼儿园新增多少学位: 学位, not 5所幼儿园)
        s += 0.2 * max(dice(grams(f.subject), query.counted), dice(grams(own), query.counted))  # 多少学位
    # its own subject: 新开工亿元以上项目 is 176个亿元以上项目 more than 7个百亿元以上项目
    s += 0.1 if named else 0.1 * dice(subject_grams(f.subject), query.grams)
    # what its item says after it: 60个亿元以上项目竣工 beside 388个亿元以上项目续建 (the words before
    # the first item of a list belong to every item: 推动新开工7个…、176个…)
    s += 0.05 * len((grams(words_after(text, f)) - subject_grams(f.subject)) & query.grams)
    if _verb_of(text, f) in query.text:  # 达到多少: 突破2万亿元、达到23562亿元 -> the one 达到
        s += 0.05
    if query.classifier and f.unit.endswith(query.classifier):
        # 多少根: a figure in 根 (充电桩7685根), not in 座 (充换电站18座); the all-purpose 个 says less
        s += 0.05 if query.classifier == "个" else 0.1
    if _THEN_LEVEL.match(text[f.end: f.end + 6]):  # 突破3万亿元、达3.6万亿元: the level reached says more
        s -= 0.05
    if "其中" in own:  # 70个…、其中6个进入临床三期; 其中重症监护床位200张:
        # a part ranks after its whole, unless the question names what only the part says (三期)
        only_part = grams(own) - grams(before) if before is not None else frozenset()
        # (in the report's words for the question's, it takes more than one shared bigram: 企业 alone is generic)
        s += 0.1 if only_part & query.grams or len(only_part & query.alt_grams) >= 2 else -0.05
    return s


# what the five years added, not where they ended (periods.FLOW_ASPECTS), in the figure's clause: a sum of money
# reviewed (支出3.4万亿元 is five years' spending; a plan's 达到600亿元 is its last year's target), 再提高1.5岁
_FLOW_WORDS = re.compile(r"年均|累计|五年|共计|合计|(?:提高|增加|增长|提升|下降|降低|减少)(?:[\d.]|$)")
_LEVEL_VERBS = ("达到", "突破", "超过", "接近", "迈上", "跨上", "增至", "升至", "跃升")  # a level reached, each its own way


_THEN_LEVEL = re.compile(r"^[、，,]\s*(?:达到|达|为)\s*\d")


def _verb_of(text: str, f: Figure) -> str:
    """The two characters that introduce a figure: its qualifier word (突破, 超过), else the word before it."""
    lead = f.text[:2] if not f.text[:1].isdigit() else text[max(0, f.start - 2): f.start]
    return lead if lead in _LEVEL_VERBS else "\0"


def choose(query: Query, passages: Sequence[Any], texts: dict[str, str], fit_min: float = FIT_MIN,
           subject_min: float = SUBJECT_MIN, weights: Sequence[float] = (), support_min: float = 0.0,
           unseen: float = 0.0, name: float = 0.0) -> Verdict:
    """Pick the figure that answers from the top passages, or say why none does.

    `passages` are ranked (each with .doc, .score, .figures); `texts` maps a document id to its text;
    `weights` are the question's term weights (Ranking.weights): a figure whose sentence says less
    than `support_min` of the question is not shown.
    """
    if not query.wants_number:
        return Verdict("passage", ())
    if weights and never_said(query, weights):  # 烽火通信有多少员工: no document says 员工
        return Verdict("not_found", (), reason=f"报告没有提到{query.attribute} / the report never speaks of it")
    top = max((p.score for p in passages[:5]), default=0.0)
    scored: list[tuple[float, int, Figure]] = []
    other: list[tuple[float, int, Figure]] = []
    same_year: list[tuple[float, int, Figure]] = []  # the year asked, of the kind not asked
    asked = query.asked.period
    for p in passages[:5]:
        weight = max(p.score, 0.0) / top if top > 0 else 1.0
        clauses = [clause_of(texts.get(f.doc, ""), f) for f in p.figures]
        for i, f in enumerate(p.figures):
            text = texts.get(f.doc, "")
            own = own_words(text, f)
            fit = verified_fit(query, f, text, clauses[i], own, fit_min, subject_min, weights, support_min, unseen,
                               name)
            if fit is None:
                continue
            s = fit * (0.5 + 0.5 * weight) + tie_break(query, f, text, clauses[i], own, clauses[i - 1] if i else None)
            if asked is not None and f.period is not None and f.period != asked:
                # 有多少 with no year asks what is, the latest result: a target is the other period's figure;
                # 2020年中央预算内投资 says no kind: that year's plan answers when no result is given
                near = (not query.asked.kind_said and same_years(f.period, asked)) or (
                    ends_in(f.period, asked) and f.aspect not in FLOW_ASPECTS
                    and (f.kind != "amount" or asked.kind == "targets") and not _FLOW_WORDS.search(clauses[i])) or (
                    # 百亿县区累计达到多少个, no year said: the running total to date, where the five years' review
                    # ends (新增百亿县区26个，累计达到46个)
                    query.aspect == "累计" == f.aspect and not query.asked.explicit and f.kind == "count"
                    and ends_in(f.period, asked))
                (same_year if near else other).append((s, f.start, f))
                continue
            scored.append((s, f.start, f))
    scored = in_points_asked(query, in_measure_word_asked(query, scored or same_year))
    scored.sort(key=lambda x: (-x[0], x[1]))
    best: dict[Figure, float] = {}
    for s, _, f in scored:
        best.setdefault(f, s)
    figures = tuple(best)[:10]
    if figures:
        return Verdict("figure", figures, scores=tuple(best[f] for f in figures))
    if query.scope.foreign:  # 武汉市GDP: the report gives only its own area's
        where = query.scope.place or query.scope.level
        return Verdict("not_found", (), reason=f"报告没有给出{where}的数据 / the report gives no figure for {where}")
    if thing := measure_unsaid(query, weights, texts):
        # 烽火通信有多少员工: the report names 烽火通信 only for an award; that number is not in it
        what = query.measure.name if query.measure else ""
        return Verdict("not_found", (), reason=f"报告提到{thing}，但没有给出其{what} / the report names it but never gives that")
    other.sort(key=lambda x: (-x[0], x[1]))
    if not other and query.indicators and query.aspect in ("排名", "占比") and not speaks_of(query, passages[:5]):
        # GDP在全国高新区排第几: the report gives GDP, never its rank (a rank or share is a statistic of
        # its own; a total it does not give is still spoken of: 新增7家上市企业 for 上市企业总数)
        what = f"{query.indicators[0]}的{query.aspect}"
        return Verdict("not_found", (), reason=f"报告没有给出{what} / the report does not give it")
    return Verdict("passage", (), other[0][2] if other else None)
