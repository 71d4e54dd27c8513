"""Read a question once, into a frozen `Query` that every later stage reads and none re-parses.

What a report QA knows that a generic search does not:
* what is measured: 经济总量 / GDP / 地区生产总值 name one indicator (qa/data/indicators.json), and
  增速 / 占比 / 新增 say which aspect of it is asked;
* when: 去年 / 今年 / 2023年 / 一季度, resolved against the newest report in the corpus (or an
  as-of year), never per document, so a second report does not answer 去年 with its own 去年;
* where: 武汉市 / 北京 / 中关村 are not the report's own area (qa/places.py);
* the words: a resident's words reach the report's through a glossary and a thesaurus
  (qa/lexicon.py), weighted below the user's own words;
* what form of answer is wanted: a number, a list, yes/no, a name.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

from .asking import (LEVEL_ASK, MEASURE_WORDS, QUESTION_WORD, TARGET_ASK, Measure, answer_form, aspect_asked,
                     measure_asked, measure_word, unit_families, wanted_kinds, without_measure_words)
from .errors import QuestionError
from .periods import Asked, read_period
from .tokens import _WORDISH, tokenize
from .places import _SCOPE_WORDS, Scope, contains, find_places, place, read_scope, short_name


# "the economy" as the subject of a number question (光谷的经济才往上走了几个点, 经济盘子多大) asks for
# 地区生产总值; a modified 经济 (数字经济, 夜间经济, 经济开发区) is another thing
ECONOMY_INDICATOR = "地区生产总值"
_ECONOMY = re.compile(r"(?<!数字)(?<!夜间)(?<!夜)(?<!民营)(?<!海洋)(?<!共享)(?<!平台)(?<!低空)(?<!银发)(?<!实体)(?<!县域)"
                      r"(?<!开放)(?<!循环)(?<!绿色)(?<!区域)(?<!首店)(?<!流量)(?<!服务)(?<!楼宇)(?<!总部)(?<!枢纽)"
                      r"(?<!临空)(?<!外向)(?<!会展)(?<!假日)(?<!体育)(?<!文旅)(?<!集体)(?<!村级)(?<!社区)(?<!网络)"
                      r"经济(?!开发|技术|社会|带|圈|区|产业|实体|主体|体|组织|合作|发展|工作|政策|普查|运行|形势|结构|体制|改革)"
                      r"|\b(?:the |our |local )?economy\b", re.I)
_WHOLE = {"city": "全市", "province": "全省", "country": "全国"}
INDICATOR_WEIGHT = 0.7  # an indicator's other names: as trusted as the glossary, nearly the user's own word
_YEAR_WORD = re.compile(r"(?:19|20)\d{2}\s*年(?:度)?")  # 2020年老旧小区: the year, not 年老
# control and format characters, and lone surrogates (not text: the tokenizer and UTF-8 reject them)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ud800-\udfff]")
# 市场主体里面企业有多少家: what is counted is inside the container named first (企业, not 市场主体)
_CONTAINER = re.compile(r"^(?P<whole>.{2,16}?)(?:里面|里边|里头|当中|之中)(?:的)?(?=.{2,})")
# 多少学位, 几家光谷书房, how many schools: the noun right after the question word is what is counted
_COUNTED = re.compile(rf"(?:多少|几)(?:{MEASURE_WORDS}|万|亿)*([\u4e00-\u9fff]{{2,4}})")
_SHARE_OF = re.compile(r"占(?:全[市省国区])?$")
# 花在民生上的钱: money spent on something is its spending (民生支出), as a report names it
_SPENDING = re.compile(r"(?:花|用|投|砸)在([\u4e00-\u9fff]{1,8}?)(?:上面|上|方面)(?:的)?(?:钱|资金|经费)")
# spoken words for "in all" that jieba cuts across the next word (一共建了 -> 一 / 共建 / 了): out before tokenizing
# (the aspect is read from the text with them)
_FILLERS = re.compile(r"一共|总共|加起来|合起来|加在一起|总计|合计"
                      r"|(?<![\d.])\d{2}年(?!代)")  # 23年 is the period (read from the text), not a word
# words that ask, not name what is asked: left out of the subject's character bigrams
_Q_NOISE = re.compile(r"多少|几|是|了|的|吗|呢|请问|今年|去年|前年|明年|全年|预期|目标|计划|力争|争取|打算|准备|预计|达到|有|为"
                      r"|什么|哪些|怎样|如何"
                      r"|(?<![需重主只想必不])要(?![求素点闻害紧])"
                      r"|怎么样|情况|\d{2,4}年|[？?，,。！!\s]")
# words that say which aspect is asked, not what is measured: out of both sides' subject bigrams
GENERIC = re.compile(r"总量|总数|总额|总计|累计|规模|数量|增速|增幅|增长率?|新增|占比|比重|比例|份额|排名|第几|达到|突破|超过"
                     r"|实现|同比|较上年|全年|一季度|上半年|前三季度"
                     # what kind of number, not whose: 北斗产业营收 is not answered by 海微科技营收
                     r"|营业收入|营收|产值|销售额|交易额|成交额")


@dataclass(frozen=True)
class Query:
    original: str  # as typed
    text: str  # normalised: NFKC, simplified, no control characters
    core: str  # the text without the report area's own names (光谷): they match every passage
    tokens: tuple[str, ...]  # the user's own lexical tokens (report names removed)
    expansions: tuple[tuple[str, float], ...]  # (report word, weight < 1) from indicators, glossary, thesaurus
    terms: tuple[tuple[str, ...], ...]  # each idea of the question: its word, then the words that say it too
    indicators: tuple[str, ...]  # canonical indicators named: 地区生产总值
    aspect: str | None  # 总量 增速 占比 排名 数量 新增 累计
    kinds: tuple[str, ...]  # figure kinds wanted, best first; () when no number is asked
    units: frozenset[str]  # unit families the question names (多少亿元 -> money)
    grams: frozenset[str]  # character bigrams of what is asked about, question words removed
    counted: frozenset[str]  # bigrams of the noun after 多少/几 (多少学位: what is counted)
    classifier: str  # the measure word after 多少/几 (多少根 -> 根), "" when none
    alt_grams: frozenset[str]  # bigrams of the report's words for the question's (indicator forms, glossary, thesaurus)
    form: str  # number | list | yesno | name | text | keywords (a search with no question word)
    asked: Asked
    scope: Scope
    is_english: bool
    as_of: int | None = None  # the year 今年 means
    notes: tuple[str, ...] = ()
    follows: str | None = None  # the earlier question this one continues
    names: frozenset[str] = frozenset()  # English names the question writes (FiberHome), lower-cased
    attribute: str = ""  # the word for what is measured, beside the question word: 员工 (多少员工), 票价 (票价多少)
    counted_noun: str = ""  # the noun after 多少/几, up to four characters (多少企业难题 -> 企业难题)
    measure: Measure | None = None  # what is asked of a thing (员工, 长度: qa/data/measures.tsv), how a report says it
    area: str | None = None  # the corpus area it is about (qa/route.py), None: every area
    docs: tuple[str, ...] = ()  # that area's reports, the only ones searched; (): all

    @property
    def wants_number(self) -> bool:
        return bool(self.kinds)

    @property
    def search_text(self) -> str:
        """What the dense model reads: a follow-up is read with the question it continues, and the
        report's words for the question's (glossary and indicator names, not the noisy thesaurus) follow
        it, so a weak multilingual model meets the report's language too."""
        text = f"{self.follows} {self.text}" if self.follows else self.text
        words = [t for t, w in self.expansions if w >= 0.5 and t not in text]  # glossary 0.6, indicators 0.7; Cilin 0.4
        return f"{text} {' '.join(words)}" if words else text


# --- text --------------------------------------------------------------------------------------------


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


def everyday_count(word: str) -> int:
    """How often general Chinese uses a word (its count in jieba's dictionary, 0 when it is no dictionary
    word): a report's names (金控, 长飞, REITs) are rare there, the asker's own words (起来, 骑车) are not."""
    import jieba

    tokenize(word)  # jieba's dictionary is ready once it has cut a text
    return int(jieba.dt.FREQ.get(word) or 0)


_GLUE_AFTER = "要了得也都就还又才"  # a modal or particle jieba's guesser glues to the word before it (营收要)
_GLUE_BEFORE = "要会能想"  # … or to the verb after it (要招)


def unglue(tokens: list[str], says: Callable[[str], bool]) -> list[str]:
    """A question's words without the particle jieba's unknown-word guesser glued on (营收要涨 -> 营收,
    要招 -> 招): the glued word is no word of the report, the word without it is."""
    out = []
    for t in tokens:
        if len(t) >= 3 and t[-1] in _GLUE_AFTER and not says(t) and says(t[:-1]):
            t = t[:-1]
        elif len(t) >= 2 and t[0] in _GLUE_BEFORE and not says(t) and says(t[1:]) and len(t) > 2:
            t = t[1:]
        out.append(t)
    return out


def phrase_tokens(phrase: str) -> list[str]:
    """The longest tokens of a phrase (经济总量, not also 经济 and 总量): an added phrase must not
    bring in the generic words inside it."""
    tokens = tokenize(phrase)
    return [t for t in dict.fromkeys(tokens) if not any(o != t and t in o for o in tokens)]


@lru_cache(maxsize=65536)
def grams(text: str) -> frozenset[str]:
    """Character bigrams of each CJK run (unigrams for one-character runs) and lower-cased ASCII words.
    Cached: the subjects and clauses of the same figures are read for every question."""
    out: set[str] = set()
    for run in re.findall(r"[\u4e00-\u9fff]+", text):
        out.update(run[i: i + 2] for i in range(len(run) - 1)) if len(run) > 1 else out.add(run)
    out.update(w.lower() for w in re.findall(r"[A-Za-z]{2,}", text))
    return frozenset(out)


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


_NOT_NAME = set("的是有在去今前明和与及共总全一地区这那从到为的了吗呢多几哪什怎")


# --- the question, read once ------------------------------------------------------------------------


@dataclass(frozen=True)
class Vocabulary:
    """What the corpus says, as the question reader needs it (built once per index)."""

    as_of: int | None = None  # the year 今年 means: the newest report's, or a setting
    own: str | None = None  # the newest report's area: 东湖高新区
    own_forms: tuple[str, ...] = ()  # every name of the report areas: 光谷, 东湖高新区 …
    known: Callable[[str], bool] = field(default=lambda w: True)  # is this word in the index?
    says: Callable[[str], bool] = field(default=lambda s: False)  # does a document contain this text?
    glossary_weight: float = 0.6  # Settings.glossary_weight; 0 turns the glossary off
    thesaurus_weight: float = 0.4  # Settings.thesaurus_weight; 0 turns the thesaurus off


def strip_own(text: str, forms: tuple[str, ...], says: Callable[[str], bool] = lambda s: False) -> str:
    """Remove the report area's names: they match every passage, so they carry no signal. Not where
    the name begins a name the report uses (光谷书房, 光谷步行街)."""
    for form in sorted(forms, key=len, reverse=True):
        def cut(m: re.Match) -> str:
            after = text[m.end(): m.end() + 2]
            if (re.match(r"[\u4e00-\u9fff]", after) and after[0] not in _NOT_NAME and not m.group(0).startswith(("我", "本"))
                and says(m.group(0) + after)):  # (我国, 本省: a pronoun, never the start of a name)
                return m.group(0)
            return " "
        text = re.sub(re.escape(form), cut, text, flags=re.IGNORECASE)
    return text


def without_indicators(text: str) -> str:
    """The question with indicator names blanked: the 实际 of 实际使用外资 is part of a name, not a
    word that asks for results."""
    from .indicators import find_indicators

    for m in find_indicators(text):
        text = text[: m.start] + " " * (m.end - m.start) + text[m.end:]
    return text


def without_indicator_places(text: str) -> str:
    """The question with the indicator names that hold a place word blanked (国内生产总值 is GDP, not a
    figure of 国内), so that the scope reader sees only the places the asker named."""
    from .indicators import find_indicators

    for m in find_indicators(text):
        if find_places(m.form) or any(w in m.form for w, _ in _SCOPE_WORDS):
            text = text[: m.start] + "·" * (m.end - m.start) + text[m.end:]
    return text


def analyse(question: object, max_chars: int = 500, vocab: Vocabulary | None = None) -> Query:
    """Pure: from what the user typed to a Query. A follow-up is read on its own here; what it takes from
    the question before it is qa/followup.py's (`follow_up`)."""
    from .indicators import find_indicators
    from .lexicon import expansions as lexical_expansions, glossary

    vocab = vocab or Vocabulary()
    text, notes = validate(question, max_chars)
    cjk = len(re.findall(r"[\u4e00-\u9fff]", text))
    latin = len(re.findall(r"[A-Za-z]", text))
    core = _SPENDING.sub(r"\1支出", strip_own(text, vocab.own_forms, vocab.says))
    mentions = find_indicators(core)
    if len(mentions) > 1:  # 数字经济占GDP比重: the indicator after 占 is the base of the share, not what is asked
        mentions = tuple(m for m in mentions if not (_SHARE_OF.search(core[:m.start]) and m.start > 0)) or mentions
    container = _CONTAINER.match(core)
    if container is not None and len(re.findall(r"\w", GENERIC.sub("", _Q_NOISE.sub("", core[container.end():])))) < 2:
        container = None  # 市场主体里面有多少: nothing named inside, the container is what is asked
    if container is not None:  # the container is where, not what
        mentions = tuple(m for m in mentions if m.start >= container.end())
    own = unglue(tokenize(without_measure_words(_FILLERS.sub(" ", _YEAR_WORD.sub(" ", core)))), vocab.says)
    kinds = wanted_kinds(text)
    keywords = not kinds and not QUESTION_WORD.search(text)
    if keywords:  # a keyword search (光谷 GDP 2023, 新增总投资目标) shows a figure that fits, if one does
        kinds = wanted_kinds(text + " 多少")
    if not kinds and mentions and (TARGET_ASK.search(text) or LEVEL_ASK.search(text)):
        kinds = wanted_kinds(text + " 多少")
    aspect = aspect_asked(core, kinds)
    mentions_names = tuple(dict.fromkeys(m.indicator.name for m in mentions))
    economy = not mentions and bool(kinds) and bool(_ECONOMY.search(core))
    if economy:  # 光谷的经济涨了几个点: the economy's measure is GDP
        mentions_names = (ECONOMY_INDICATOR,)
    wants_number = bool(kinds)
    asked = read_period(without_indicators(text), vocab.as_of, wants_number)
    if (mentions_names and kinds and aspect is None and "growth" not in kinds and asked.period is not None
            and asked.period.kind == "targets" and not unit_families(text)):
        kinds = (*kinds, "growth")  # 海南 GDP 目标: an indicator's target is mostly set as a growth (增长6%左右)
    scope = read_scope(without_indicator_places(text), vocab.own, vocab.says)

    extra: list[tuple[str, float]] = []
    alts: dict[str, list[str]] = {}
    if economy:
        from .indicators import aliases_of

        alts.setdefault("经济", []).extend((ECONOMY_INDICATOR, *aliases_of(ECONOMY_INDICATOR)))
    home = place(vocab.own) if vocab.own else None
    if latin > 2 * cjk:  # Huanggang is 黄冈: a place's Chinese name is the same word, not a guess
        for m in find_places(text):
            if m.form.isascii() and m.place.name != vocab.own:
                names = tuple(dict.fromkeys(n for n in (m.place.name, short_name(m.place.name)) if vocab.says(n)))
                extra += [(t, 1.0) for n in names for t in tokenize(n)]
                # the report names the city or province around its own area 全市 / 全省 (share of Wuhan's = 占全市)
                whole = _WHOLE.get(m.place.level) if home is not None and contains(m.place, home) else None
                alts.setdefault(m.form.lower(), []).extend(names + ((whole,) if whole else ()))
    trusted: list[str] = []  # the report's words for the question's, from curated sources only
    for m in mentions:
        forms_of = [f for f in (m.indicator.name, *m.indicator.aliases) if f != m.form]
        trusted += forms_of
        for f in forms_of:
            for t in phrase_tokens(f):
                extra.append((t, INDICATOR_WEIGHT))
        for t in tokenize(m.form):
            alts.setdefault(t, []).extend(forms_of)
    # how many school places: the report's words for what is counted (学位)
    counted_en = _COUNTED_EN.search(core) if latin > 2 * cjk and vocab.glossary_weight > 0 else None
    counted_alt = [t for m in glossary().find(counted_en.group(1)) for t in m.entry.targets] if counted_en else []
    for e in lexical_expansions(own, core, vocab.known, vocab.glossary_weight, vocab.thesaurus_weight):
        if e.weight <= 0:
            continue
        if e.origin == "glossary":
            trusted.append(e.target)
        for t in phrase_tokens(e.target):
            extra.append((t, e.weight))
        for t in tokenize(e.source) or [e.source]:
            alts.setdefault(t, []).append(e.target)
    own_set = set(own)
    weighted: dict[str, float] = {}
    for t, w in extra:
        if t not in own_set:
            weighted[t] = max(weighted.get(t, 0.0), w)
    subject = GENERIC.sub(" ", _Q_NOISE.sub(" ", core[container.end():] if container else core))
    subject_grams = grams(subject)
    counted_noun = _counted_noun(core)
    return Query(
        original=question if isinstance(question, str) else "",
        text=text,
        core=core,
        tokens=tuple(own),
        expansions=tuple(weighted.items()),
        terms=_terms(own, alts),
        indicators=mentions_names,
        aspect=aspect,
        kinds=kinds,
        units=unit_families(text),
        grams=subject_grams,
        counted=grams(counted_noun) | grams(" ".join(counted_alt)),
        classifier=measure_word(core),
        alt_grams=grams(" ".join(trusted)),
        form="keywords" if keywords else answer_form(text, kinds),
        asked=asked,
        scope=scope,
        is_english=latin > 2 * cjk,
        as_of=vocab.as_of,
        notes=notes,
        names=_english_names(core) if latin > 2 * cjk else frozenset(),
        attribute=_attribute(core, own) if kinds else "",
        measure=measure_asked(text) if kinds else None,
        counted_noun=counted_noun,
    )


# 有多少员工 / 全长多少公里 / 票价是多少钱: the noun right after the question word, else right before it
_AFTER_ASK = re.compile(rf"(?:多少|几)(?:{MEASURE_WORDS}|场|人次)?([\u4e00-\u9fff]+)")
_BEFORE_ASK = re.compile(r"([\u4e00-\u9fff]{2,6})(?:是|有|为)?多少")
# 能涨, 要降, 会增加: a modal or a verb of change before 多少 says how, not what is measured
_VERBISH = re.compile(r"^[能要会可想该得]|[涨降增减升跌提]")
_LIGHT_NOUNS = frozenset({"地方", "东西", "事情", "事儿", "情况", "方面", "部分", "样子", "时候", "这块", "那种", "那些", "这些"})


def _attribute(core: str, tokens: list[str]) -> str:
    """The token that names what is measured, when the question puts it beside 多少/几: a word the
    report never says there means the report does not give it (员工, 票价). After the question word,
    the head of 街坊看病的社区医院 is what follows the last 的."""
    if (m := _AFTER_ASK.search(core)) is not None:
        head = m.group(1).split("的")[-1]
        words = [t for t in tokenize(head) if len(t) >= 2 and t in tokens and t not in _LIGHT_NOUNS]
        if words:
            return words[0]
    if (m := _BEFORE_ASK.search(core)) is not None and not m.group(1).endswith(("了", "过", "着")):
        words = [t for t in tokenize(m.group(1)) if len(t) >= 2 and t in tokens and t not in _LIGHT_NOUNS
                 and not _VERBISH.search(t)]
        if words:
            return words[-1]
    return ""


# a capitalised word inside an English sentence is a name: FiberHome, Huawei (not the first word, not I)
_ENGLISH_NAME = re.compile(r"(?<=[A-Za-z,;:'\"] )([A-Z][A-Za-z]*[a-z][A-Za-z]*|[A-Z]{2,})\b")


def _english_names(core: str) -> frozenset[str]:
    return frozenset(w.lower() for w in _ENGLISH_NAME.findall(core))


# how many (new) school places: the English noun counted, up to the verb
_COUNTED_EN = re.compile(r"\bhow many (?:new |more |additional )?((?:[a-z-]+ ){0,2}?[a-z-]+?)(?: (?:are|is|were|was|will|did|do|does"
                         r"|has|have|had|can|in|of|at|to|for|by|on)\b|[?.!,]|$)", re.I)


def _counted_noun(text: str) -> str:
    """The noun after 多少/几 (多少个难题 -> 难题, 多少企业难题 -> 企业难题), "" when none."""
    m = _COUNTED.search(text)
    if m is None:
        return ""
    noun = re.split(r"[了的是呢吗啊在要能有]", m.group(1))[0]
    return noun if len(noun) >= 2 else ""


def _terms(tokens: list[str], alts: dict[str, list[str]]) -> tuple[tuple[str, ...], ...]:
    """The question's finest words (a compound whose parts are also tokens is left out), each with
    the words that say it too, so coverage asks 'is this said?' once per idea."""
    finest = [t for t in dict.fromkeys(tokens) if not any(o != t and o in t for o in tokens)]
    out: list[tuple[str, ...]] = []
    for t in finest:
        same = [w for key, words in alts.items() if key == t or (len(key) >= 2 and t in key) for w in words]
        words = tuple(dict.fromkeys(w.lower() for w in same if w.lower() != t))
        if out and words and out[-1][-len(words):] == words:  # 营业+收入 -> 营收, 孩子+上学 -> 子女入学: one idea
            out[-1] = (*out[-1][: -len(words)], t, *words)
            continue
        out.append((t, *words))
    return tuple(out)
