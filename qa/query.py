"""Understand a question before searching: clean it, tokenise it, and read what it asks for.

Three things a report QA knows that a generic search does not: the report's own name (光谷,
东湖高新区) says nothing about which passage answers; users say GDP where the report says
地区生产总值; and 去年 / 今年 pick between the review of last year and the plan for this one.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from .errors import QuestionError
from .types import Period

# Names of the whole report's area: they match every passage, so they carry no signal.
REGION_ALIASES = ("中国光谷", "光谷", "东湖新技术开发区", "东湖高新技术开发区", "东湖高新区", "东湖高新", "东湖开发区",
                  "高新区管委会", "optics valley", "donghu", "east lake high-tech zone", "east lake")

# Everyday or English words for the report's vocabulary. Each maps to words the text uses.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "gdp": ("地区生产总值", "经济总量", "经济增速"),
    # reviews often write GDP as 经济总量 / 经济增速 rather than its formal name
    "地区生产总值": ("经济总量", "经济增速", "总量"),
    "生产总值": ("经济总量", "经济增速"),
    "经济总量": ("地区生产总值", "总量"),
    "经济增速": ("地区生产总值", "增长"),
    "经济增长": ("地区生产总值", "增长"),
    "增速": ("增长",),
    "增幅": ("增长",),
    "高企": ("高新技术企业", "高企"),
    "高新技术企业": ("高企",),
    "外资": ("外商直接投资",),
    "fdi": ("外商直接投资",),
    "上市公司": ("上市企业",),
    "ipo": ("上市",),
    "学位": ("学位",),
    "上学": ("学校", "学位"),
    "看病": ("医院", "医疗"),
    "床位": ("床位",),
    "养老": ("养老",),
    "就业": ("就业",),
    "工作岗位": ("就业",),
    "新能源车": ("新能源汽车",),
    "电动车": ("新能源汽车",),
    "充电桩": ("充电桩",),
    "地铁": ("地铁", "轨道"),
    "公园": ("公园",),
    "减税": ("减税降费",),
    "税费": ("减税降费",),
    "专利": ("专利",),
    "人才": ("人才",),
    "院士": ("院士",),
    "算力": ("算力",),
    "招商": ("招商",),
    "固投": ("固定资产投资",),
    "投资额": ("投资",),
    "外贸": ("进出口", "外贸"),
    "出口": ("进出口",),
    "消费": ("消费",),
    "房子": ("住房",),
    "租房": ("租赁住房",),
    "污水": ("污水处理",),
    "垃圾": ("垃圾",),
    "小巨人": ("专精特新", "小巨人"),
    "瞪羚": ("瞪羚企业",),
    "独角兽": ("独角兽",),
    # English words for the report's vocabulary: English questions then reach BM25 as well
    "charging pile": ("充电桩",), "charging station": ("充换电站",), "new energy vehicle": ("新能源汽车",),
    "electric vehicle": ("新能源汽车",), "investment": ("投资",), "fixed asset": ("固定资产投资",),
    "foreign direct": ("外商直接投资",), "export": ("进出口",), "import": ("进出口",), "trade": ("外贸", "进出口"),
    "cross-border": ("跨境电商",), "e-commerce": ("电商",), "listed compan": ("上市企业",), "ipo": ("上市",),
    "high-tech enterprise": ("高新技术企业",), "sme": ("中小企业",), "small and medium": ("中小企业",),
    "enterprise": ("企业",), "company": ("企业",), "companies": ("企业",), "patent": ("专利",),
    "talent": ("人才",), "academician": ("院士",), "laborator": ("实验室",), "science facilit": ("大科学装置",),
    "computing power": ("算力",), "artificial intelligence": ("人工智能",), "chip": ("芯片",),
    "beidou": ("北斗",), "optoelectronic": ("光电子",), "biomedic": ("生物",), "life health": ("生命健康",),
    "new drug": ("新药",), "school": ("学校", "学位"), "kindergarten": ("幼儿园",), "hospital": ("医院",),
    "bed": ("床位",), "elderly": ("养老",), "employment": ("就业",), "job": ("就业",), "housing": ("住房",),
    "rental": ("租赁住房",), "park": ("公园",), "greenway": ("绿道",), "road": ("道路",), "metro": ("地铁",),
    "subway": ("地铁",), "tram": ("有轨电车",), "sewage": ("污水处理",), "wastewater": ("污水处理",),
    "garbage": ("垃圾",), "pipe gallery": ("综合管廊",), "sponge city": ("海绵城市",), "tax": ("减税降费", "税"),
    "subsid": ("补贴",), "consumption": ("消费",), "retail": ("零售",), "airport": ("机场",), "customs": ("海关",),
    "fund": ("基金",), "insurance": ("保险",), "loan": ("贷款",), "project": ("项目",), "growth": ("增长",),
    "target": ("目标",), "share": ("占",), "rank": ("位居", "第"),
}

RESULTS_CUES = ("去年", "上一年", "上年", "过去一年", "前一年", "完成了", "实现了", "达到了", "取得了", "已经", "已建", "回顾",
                "成绩", "last year", "in the past year", "achieved", "was", "were", "did")
TARGETS_CUES = ("今年", "本年", "计划", "目标", "预期", "力争", "打算", "将要", "准备", "要新增", "要建", "争取", "预计",
                "this year", "plan", "target", "expected", "will", "goal", "aim")

STOPWORDS = set(
    "的 了 是 在 和 与 及 等 有 吗 呢 啊 吧 么 呀 多少 什么 哪些 哪个 哪里 怎么 怎样 如何 几 个 请问 请 问 一下 一共 共 "
    "总共 情况 方面 关于 对于 我 我们 你 你们 他们 其 这 那 啥 咋 是否 能 会 要 都 也 还 就 把 被 对 从 到 为 以 "
    "上 中 下 年 今年 去年 上一年 年度 目前 现在 现状 具体 数据 数字 数量 多 大 几个 几家 几所 几名 几座 几条 几项 几次 几款 几种 "
    "第几 排第几 多大 大概 大约 左右 哪家 哪所 哪个 哪两个 哪几个 可以 还要 已经 怎么样 一共 分别 进展 安排 有没有 "
    "the a an of in on for to what how many "
    "much is was are were did does do which and or by with at as its it this that these those there be been "
    "has have had will would can could should year years last next new zone optics valley donghu east lake "
    "high tech high-tech get got give given make made build built number total".split()
)

_NUM_UNIT = re.compile(r"\d+(?:\.\d+)?(?:%|亿元|亿美元|万元|亿|万|个百分点|个|家|所|名|人|项|座|公里|平方公里|套|张|条|场|倍)?")
_YEAR = re.compile(r"(?:19|20)\d{2}")  # years are read by detect_period, not matched as words
# control and format characters, and lone surrogates (not text: the tokenizer and UTF-8 reject them)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ud800-\udfff]")
_WORDISH = re.compile(r"[\w\u4e00-\u9fff]")


@dataclass(frozen=True)
class PeriodIntent:
    """What period a question asks about. `relative` periods (去年, 今年) are resolved per document."""

    kind: str | None  # results | targets | None
    year: int | None = None  # an explicit year named in the question

    def resolve(self, report_year: int | None) -> Period | None:
        """The period this intent names in a report of `report_year` (None when undecided)."""
        if self.year is not None:
            if self.kind:
                return Period(self.year, self.kind)  # type: ignore[arg-type]
            if report_year is not None:
                return Period(self.year, "targets" if self.year >= report_year else "results")
            return None
        if self.kind is None or report_year is None:
            return None
        return Period(report_year - 1, "results") if self.kind == "results" else Period(report_year, "targets")


@dataclass(frozen=True)
class Query:
    original: str
    text: str  # normalised: NFKC, simplified, no control characters
    tokens: tuple[str, ...]  # lexical tokens, report names removed, synonyms added
    period: PeriodIntent
    is_english: bool
    notes: tuple[str, ...] = ()
    terms: tuple[tuple[str, ...], ...] = ()  # the question's own words, each with its synonyms


@lru_cache(maxsize=1)
def _opencc():
    try:
        from opencc import OpenCC
    except ImportError:  # optional: traditional questions then match less well
        return None
    return OpenCC("t2s")


def normalize(text: str) -> str:
    """NFKC (２０２３ → 2023, ＧＤＰ → GDP), traditional → simplified, control characters removed."""
    text = _CONTROL.sub(" ", unicodedata.normalize("NFKC", text))
    cc = _opencc()
    if cc is not None and re.search(r"[\u4e00-\u9fff]", text):
        text = cc.convert(text)
    return re.sub(r"\s+", " ", text).strip()


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(60)
    jieba.initialize()
    return jieba


def tokenize(text: str) -> list[str]:
    """Lexical tokens for BM25: jieba's search-mode words plus numbers joined to their units
    (2715亿元, 4.7%), lower-cased, without punctuation and stop words."""
    text = unicodedata.normalize("NFKC", text).lower()
    tokens = [m.group(0) for m in _NUM_UNIT.finditer(text) if not m.group(0).isdigit() or len(m.group(0)) != 4]
    for w in _jieba().lcut_for_search(text):
        w = w.strip()
        if w and _WORDISH.search(w) and w not in STOPWORDS and not _YEAR.fullmatch(w):
            tokens.append(w)
    return tokens


def detect_period(text: str) -> PeriodIntent:
    years = [int(y) for y in re.findall(r"(?<!\d)((?:19|20)\d{2})(?!\d)", text)]
    lowered = text.lower()
    results = any(c in lowered for c in RESULTS_CUES)
    targets = any(c in lowered for c in TARGETS_CUES)
    kind = "results" if results and not targets else "targets" if targets and not results else None
    if years:
        return PeriodIntent(kind, years[-1])
    return PeriodIntent(kind)


def strip_region(text: str) -> str:
    out = text
    for alias in REGION_ALIASES:
        out = re.sub(re.escape(alias), " ", out, flags=re.IGNORECASE)
    return out


def expand(tokens: list[str], text: str) -> list[str]:
    lowered = text.lower()
    extra = [w for key, words in SYNONYMS.items() if key in lowered for w in words]
    return tokens + [t for w in extra for t in tokenize(w)]


def question_terms(tokens: list[str], text: str = "") -> tuple[tuple[str, ...], ...]:
    """The question's finest words (a compound whose parts are also tokens is left out), each
    with the report's words for it, so coverage asks 'is this said?' once per idea. A phrase of
    the synonym table (charging pile) counts as one idea, in place of its words."""
    lowered = text.lower()
    phrases = [(key, *words) for key, words in SYNONYMS.items() if " " in key and key in lowered]
    inside = {w + end for p in phrases for w in p[0].split() for end in ("", "s", "es")}
    finest = [t for t in dict.fromkeys(tokens) if not any(o != t and o in t for o in tokens) and t not in inside]
    out = list(phrases)
    for t in finest:
        alts = [w for key, words in SYNONYMS.items() if key == t or (len(key) >= 2 and key in t) for w in words]
        out.append((t, *alts))
    return tuple(out)


def validate(question: object, max_chars: int) -> tuple[str, tuple[str, ...]]:
    """The question as text, or a QuestionError saying why it cannot be asked."""
    if not isinstance(question, str):
        raise QuestionError("问题必须是文字", "the question must be text")
    # cut before normalising: NFKC and t2s conversion of a megabyte-long "question" take minutes
    raw_limit = max(4 * max_chars, 2048)
    cut = len(question) > raw_limit
    text = normalize(question[:raw_limit])
    if not text:
        raise QuestionError("问题为空,请输入问题", "the question is empty; please type a question")
    notes: tuple[str, ...] = ()
    if len(text) > max_chars or cut:
        text = text[:max_chars]
        notes = (f"问题过长,只使用了前{max_chars}个字 / question truncated to its first {max_chars} characters",)
    if not _WORDISH.search(text):
        raise QuestionError("问题中没有文字或数字,请换个问法", "the question has no words or digits; please rephrase it")
    return text, notes


def analyse(question: object, max_chars: int = 500) -> Query:
    """Pure: from what the user typed to a Query the retrievers can use."""
    text, notes = validate(question, max_chars)
    cjk = len(re.findall(r"[\u4e00-\u9fff]", text))
    latin = len(re.findall(r"[A-Za-z]", text))
    core = strip_region(text)
    own = tokenize(core)
    tokens = expand(own, core)
    return Query(question if isinstance(question, str) else "", text, tuple(tokens), detect_period(text),
                 latin > 2 * cjk, notes, question_terms(own, core))
