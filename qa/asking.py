"""What a question asks for, from its words alone: a number (and of which kinds and units), a list,
yes/no or a name; the measure word after 多少 (多少根 -> 根); the aspect of an indicator (增速, 占比).

Also the words that say how rather than what (is_form_word), and the aspects that answer an aspect (ASPECTS).
Pure patterns and functions, read by qa.query.analyse once per question; nothing here knows the corpus.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

MEASURES_PATH = Path(__file__).resolve().parent / "data" / "measures.tsv"

# --- answer form ---------------------------------------------------------------------------------
_YESNO = re.compile(r"是否|有没有|是不是|能不能|能否|会不会|可不可以|了吗|吗[?？]?$|^(?:is|are|was|were|does|did|do|has|have"
                    r"|will|can)\b", re.I)
_LIST = re.compile(r"哪些|有什么|都有|包括|列举|\bwhich\b.*\b(?:are|were)\b|\blist\b|what (?:are|were) the", re.I)
_NAME = re.compile(r"哪个|哪家|哪所|哪里|哪儿|在哪|谁|叫什么|名字|名称|什么时候|\bwho\b|\bwhere\b|\bwhich\b|\bwhen\b", re.I)
QUESTION_WORD = re.compile(r"[?？吗呢]|什么|哪|谁|如何|怎么|怎样|为何|为什么|是否|有没有|\b(what|which|who|how|why|when|where)\b",
                            re.I)

# --- figures wanted ------------------------------------------------------------------------------
_ASKS = re.compile(
    r"多少|(?<!哪)几(?!乎)|第几|排名|名次|位次|占比|比重|比例|份额|增速|增幅|增长率|涨幅|降幅|总量|规模(?!化)|总额|金额"
    r"|数量|总数|多大|多长|多快|多远|多久|翻了|倍数|(?:增长|下降|排名|占比)(?:情况|如何|怎样|怎么样|幅度)"
    r"|好多(?=[个家人项所条座套张件台辆户次场种位元钱块]|[?？]|$)"  # Wuhan 有好多个: how many
    r"|how (?:much|many|fast|large|big|long)|what (?:percentage|percent|share|proportion|rank|place)"
    r"|growth rate|\brank(?:ed|ing)?\b|what (?:was|is|were|are|will) the (?:[\w']+ )*?(?:total|value|amount|number|size"
    r"|scale|rate|share|growth|output|gdp|investment|subsid\w*|budget|funding|revenue|income|sales|turnover|power"
    r"|capacity|length|area|population|volume|proportion|percentage|ratio|target|count)\b|what size|\bgdp\b"
    r"|what (?:[\w-]+ ){1,3}(?:figure|number|amount|target|level)\b",
    re.I)
UNIT_WORDS = ("万亿元", "亿美元", "亿元", "万元", "元", "美元", "平方公里", "公里", "万个", "万家", "万人", "万户", "万套",
               "个百分点", "个点", "个", "家", "所", "名", "人次", "人", "项", "条", "座", "套", "场", "张", "件", "台", "辆",
               "户", "次", "批", "支", "部", "处", "栋", "间", "种", "款", "笔", "位", "根", "年", "倍", "P", "吨", "公顷")
_Q_UNIT = re.compile("(?:多少|几)(?P<unit>" + "|".join(map(re.escape, sorted(UNIT_WORDS, key=len, reverse=True)))
                     .replace("个点", "个点(?![位子儿])") + ")")  # 几个点 is per cent, 几个点位 are places
_Q_RULES: tuple[tuple[re.Pattern, tuple[str, ...]], ...] = tuple((re.compile(p, re.I), k) for p, k in (
    # English words start at a word boundary: enterp-rise-s asks no growth
    (r"第几|排名|排第|排在|名次|位次|位居|位列|排几|前几|\brank|(?:what|which|first|second|third|top|\d(?:st|nd|rd|th)) place\b"
     r"|\bposition", ("rank",)),  # put in place is no rank
    (r"几番|几倍|多少倍|翻番|翻了|倍增|\btimes\b|fold\b|\bdoubl", ("multiple",)),
    # 提高到多少, 降低至: the level reached, not the change
    (r"下降(?![到至])|减少(?![到至])|降低(?![到至])|降幅|回落|跌|\bdeclin|\bdecreas|\bdrop|\bfall|\bfell\b|\breduc",
     ("decline", "growth")),
    (r"增速|增幅|增长(?![到至])|涨|提高(?![到至])|提升(?![到至])|\bgrowth|\bgrow|\bincreas|\brises?\b|\brising\b|\brose\b",
     ("growth", "decline")),
    (r"占比|比重|比例|份额|市占率|占.{0,8}(?:多少|几|百分之)|百分之几|\bshare|\bproportion|\bpercentage",
     ("share", "rate")),
    (r"率|\brate\b", ("rate", "share")),
    (r"多少年|几年|连续.{0,4}年|how many years|how long(?! (?:is|are|was|were) (?:the|a|an|it|its)\b)", ("duration",)),
    (r"how long (?:is|are|was|were) (?:the|a|an|it|its)\b", ("measure", "amount")),  # how long is the road: a length
    # how many hectares: an area, a measure of its own, not a count
    (r"how many (?:hectares|square|kilomet|km|metres|meters|tonnes|tons|mu)\b", ("measure", "amount")),
    (r"数量|总数|人数|户数|家数|个数|人次|how many|number of", ("count",)),  # 旅居人数有多少: a count, not its growth
    (r"多少钱|金额|总额|[销售成交易营业出进口]额|产值|营收|收入|投资|资金|多少税|税收|补贴|how much|\bamount|\bvalue|\brevenue|\bsales"
     r"|\bturnover|\binvestment|\bgdp\b",
     ("amount", "measure")),
    (r"总量|规模", ("amount", "measure", "count")),  # a total of money, of things, of people
    (r"里程|面积|长度|容量|算力|how large|what size|\barea\b|\blength|\bcapacity|\bkilomet|\bkm\b|computing power",
     ("measure", "amount")),
))
# 跨境电商增长目标？ what is this year's target for FDI? the target of a named indicator is a number
# What was Anhui's grain output in 2025?: an English question for an indicator's level, with no "how much"
LEVEL_ASK = re.compile(r"^\s*what(?:'s| is| was| were| are| will be)\b", re.I)
TARGET_ASK = re.compile(r"目标(?:值|数)?(?:是|为|定为?)?(?:多少|什么|几)?[?？。.]?$|\b(?:target|goal)s?\b", re.I)
_UNIT_FAMILY = {"元": "money", "美元": "money", "公里": "measure", "平方公里": "measure", "个百分点": "percent",
                "个点": "percent",  # 涨了几个点: everyday speech for per cent (or points) of growth
                "年": "duration", "倍": "multiple", "P": "measure", "吨": "measure", "公顷": "measure"}


def wanted_kinds(question: str) -> tuple[str, ...]:
    """Kinds of figure the question asks for, best first; () when it asks for no quantity.

    A unit after 多少/几 decides first (多少家 -> count); then the question's words, most specific first.
    Words alone (如何推动经济增长) do not make a quantity question: something must ask (多少, 增速, how many).
    """
    if not _ASKS.search(question):
        return ()
    kinds: list[str] = []
    if (m := _Q_UNIT.search(question)) is not None:
        family = _UNIT_FAMILY.get(m["unit"].lstrip("万亿"), "count")
        if m["unit"] in ("元", "美元") or m["unit"].endswith("元"):
            family = "money"
        if family == "percent":
            kinds += ["growth"] if re.search(r"增|涨|提高|提升|往上|上升|升", question) else ["share"]
        else:
            kinds.append({"money": "amount", "count": "count", "measure": "measure", "duration": "duration",
                          "multiple": "multiple"}[family])
    if re.search(r"百分之几|百分比|%|百分点|percent", question, re.I):
        kinds += ["growth", "share"] if re.search(r"增|涨|提高|提升|grow|increas", question, re.I) else ["share"]
    for pattern, found in _Q_RULES:
        if pattern.search(question):
            kinds += found
    if not kinds:
        kinds = ["amount", "count", "measure", "growth", "share"]
    return tuple(dict.fromkeys(kinds))


def unit_families(question: str) -> frozenset[str]:
    found = set()
    for m in _Q_UNIT.finditer(question):
        unit = m["unit"]
        found.add("money" if unit.endswith("元") else _UNIT_FAMILY.get(unit.lstrip("万亿"), "count"))
    for unit, family in (("亿元", "money"), ("万元", "money"), ("美元", "money"), ("公里", "measure"),
                         ("个百分点", "percent")):
        if re.search(re.escape(unit) + r"(?!以上|以下|级)", question):  # 亿元以上项目 names a class, not the unit asked
            found.add(family)
    if re.search(r"百分之|百分比|%|percent", question, re.I):
        found.add("percent")
    return frozenset(found)


def answer_form(question: str, kinds: tuple[str, ...]) -> str:
    if kinds:
        return "number"
    if _YESNO.search(question):
        return "yesno"
    if _LIST.search(question):
        return "list"
    if _NAME.search(question):
        return "name"
    return "text"


# the measure words that follow 多少/几 before a noun (多少根充电桩, 几所学校): one list for every pattern here
MEASURE_WORDS = "个|家|所|名|项|座|条|套|张|件|台|辆|户|次|批|支|部|处|栋|间|种|款|笔|位|根"
_CLASSIFIER = re.compile(rf"(?:多少|几)({MEASURE_WORDS}|场|人次|人|公里|平方公里|亿元|万元|亿美元|公顷|吨)")


def without_measure_words(text: str) -> str:
    """多少家瞪羚企业 -> 瞪羚企业: the measure word is not part of the noun after it (for tokenizing)."""
    return _CLASSIFIER.sub(" ", text)


def measure_word(text: str) -> str:
    m = _CLASSIFIER.search(text)
    return m.group(1) if m else ""


_ASPECT_CUES = (("排名", ("rank",)), ("占比", ("share",)), ("增速", ("growth", "decline")))


def aspect_asked(text: str, kinds: tuple[str, ...]) -> str | None:
    """The aspect of an indicator a question asks, from its words, else from the kind of number."""
    from .indicators import aspect_of

    found = aspect_of(text)
    if found == "数量" and kinds and kinds[0] in ("growth", "decline", "share", "rate"):
        found = None  # 涨了几个点: 几个 counts per cent here, not things
    if found:
        return found
    if not kinds:
        return None
    for aspect, ks in _ASPECT_CUES:
        if kinds[0] in ks:
            return aspect
    return None


# --- aspects and form words ------------------------------------------------------------------------

# the figure aspects that answer a question's aspect, best first
ASPECTS: dict[str, tuple[str, ...]] = {
    "总量": ("总量", "累计", "数量"),
    "累计": ("累计", "总量", "数量"),
    "数量": ("累计", "总量", "数量", "新增"),
    "新增": ("新增",),
    "增速": ("增速",),
    "占比": ("占比",),
    "排名": ("排名",),
}


# --- words that say how, not what -------------------------------------------------------------------
_MONEY_WORDS = ("钱", "金额", "多少钱", "money")  # how much, in money: the unit, not the subject
_RANK_WORDS = ("排", "排在", "居", "位列", "位居", "名列", "名次")  # 排全国第几: how, not what
_SPOKEN = ("点", "涨", "想涨", "涨了", "跌", "跌了", "往上走", "往下走", "比", "较", "相比", "同比", "多了", "少了")  # 涨了几个点: everyday words for growth in per cent
_REACH = ("达到", "达", "突破", "超过", "实现", "完成", "做到", "到达")  # 要达到多少: a level reached, not what is measured
_SPEAKER = ("政府", "管委会", "区政府", "区里", "官方")  # who acts in a work report is its own government
_WHEN = ("一年", "每年", "年度", "现在", "目前", "如今", "当前", "眼下")  # 一年营收, 现在有多少: when, not what
_HOW = frozenset((*_MONEY_WORDS, *_RANK_WORDS, *_SPOKEN, *_REACH, *_SPEAKER, *_WHEN))


def is_form_word(word: str) -> bool:
    """计划, 新建, 金额, 亿元: a word that says which period, aspect or unit is wanted, not what is
    measured; the figure's sentence need not repeat it (the other checks read it)."""
    from .indicators import aspect_cues
    from .periods import RESULTS_CUES, TARGETS_CUES, YEAR_PARTS

    if (word in TARGETS_CUES or word in RESULTS_CUES or word in UNIT_WORDS or word in _HOW
            or any(word in cue for cue, _ in YEAR_PARTS)):
        return True
    cues = aspect_cues(word)
    return bool(cues) and cues[0][1] == 0 and cues[0][2] == len(word)


# --- the measure asked of a thing ------------------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    """What a question asks of a thing (员工, 长度, 投资) and how a report would say it, if it did."""
    name: str
    cue: str  # the question's words that ask it (员工, 多长, 花了多少): not part of the thing
    words: tuple[str, ...]  # a sentence holding one of these speaks of the measure
    units: tuple[str, ...] = ()  # a number in one of these units gives it


@dataclass(frozen=True)
class _MeasureEntry:
    name: str
    cues: tuple[str, ...]
    words: tuple[str, ...]
    units: tuple[str, ...]


def parse_measures(text: str) -> tuple[_MeasureEntry, ...]:
    """Rows of qa/data/measures.tsv: measure, question cues, report words, units (| between items)."""
    out = []
    for n, raw in enumerate(text.splitlines(), 1):
        if not raw.strip() or raw.startswith("#"):
            continue
        cols = raw.split("\t") + [""]  # the units column may be left empty
        if len(cols) not in (4, 5) or not all(c.strip() for c in cols[:3]) or any(c.strip() for c in cols[4:]):
            raise ValueError(f"measures.tsv line {n}: expected 3 or 4 tab-separated columns, got {raw!r}")
        name, cues, words, units = (c.strip() for c in cols[:4])
        out.append(_MeasureEntry(name, tuple(cues.split("|")), tuple(words.split("|")),
                                 tuple(u for u in units.split("|") if u)))
    return tuple(out)


@lru_cache(maxsize=1)
def _measures() -> tuple[tuple[_MeasureEntry, re.Pattern[str]], ...]:
    entries = parse_measures(MEASURES_PATH.read_text(encoding="utf-8"))
    return tuple((e, re.compile("|".join(_cue_pattern(c) for c in sorted(e.cues, key=len, reverse=True)), re.I))
                 for e in entries)


def _cue_pattern(cue: str) -> str:
    if not cue.isascii():
        return re.escape(cue)
    stem = re.escape(cue.rstrip("*"))
    return rf"\b{stem}\w*" if cue.endswith("*") else rf"\b{stem}(?:e?s)?\b"


def measure_asked(text: str) -> Measure | None:
    """The measure a number question asks of its thing, by a cue of measures.tsv (the last one in a
    Chinese question, the first in an English one; the longest at a place): 烽火通信有多少员工 -> 员工."""
    found = []
    for entry, pattern in _measures():
        for m in pattern.finditer(text):
            found.append((m.start(), -len(m.group()), entry, m.group()))
    if not found:
        return None
    # Chinese puts the head noun last (员工平均工资: the wage), English first (revenue of FiberHome's staff)
    english = all(c.isascii() for c in text)
    _, _, entry, cue = min(found, key=lambda x: (x[0] if english else -x[0], x[1]))
    return Measure(entry.name, cue.lower(), entry.words, entry.units)
