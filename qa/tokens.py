"""The words of a text, for BM25 over the reports and for reading questions: jieba's search-mode words
plus numbers joined to their units, without stop words. Apart from the question reader (qa/query.py)
because the index is built from these words: a change here makes every index stale, a change to how
questions are read does not."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

STOPWORDS = set(
    "的 了 是 在 和 与 及 等 有 吗 呢 啊 吧 么 呀 多少 什么 哪些 哪个 哪里 怎么 怎样 如何 几 个 请问 请 问 一下 一共 共 "
    "总共 情况 方面 关于 对于 我 我们 你 你们 他们 其 这 那 啥 咋 是否 能 会 要 都 也 还 就 把 被 对 从 到 为 以 "
    "上 中 下 年 今年 去年 前年 上一年 年度 目前 现在 现状 具体 数据 数字 数量 多 大 几个 几家 几所 几名 几座 几条 几项 几次 "
    "几款 几种 第几 排第几 多大 大概 大约 左右 哪家 哪所 哪个 哪两个 哪几个 可以 还要 已经 怎么样 一共 分别 进展 安排 有没有 "
    "那么 呢 是不是 能不能 才 又 再 刚 刚刚 曾 曾经 却 很 太 挺 真 真的 到底 究竟 听说 据说 呗 嘛 哦 "
    "多长 多高 多远 多久 多重 好多 几多 咱们 咱 俺 得 着 "
    "the a an of in on for to what how many "
    "much is was are were did does do which and or by with at as its it this that these those there be been "
    "has have had will would can could should year years last next new zone optics valley donghu east lake "
    "high tech high-tech get got give given make made build built number total s".split()
)

_NUM_UNIT = re.compile(r"\d+(?:\.\d+)?(?:%|亿元|亿美元|万元|亿|万|个百分点|个|家|所|名|人|项|座|公里|平方公里|套|张|条|场|倍)?")
_YEAR = re.compile(r"(?:19|20)\d{2}")  # years are read as the period, not matched as words
_WORDISH = re.compile(r"[\w\u4e00-\u9fff]")


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(60)
    jieba.initialize()
    return jieba


@lru_cache(maxsize=4096)
def words(text: str) -> tuple[str, ...]:
    """jieba's plain cut of a short text (the items of a list: 能源领域投资额 -> 能源 领域 投资额)."""
    return tuple(_jieba().lcut(text))


def tokenize(text: str) -> list[str]:
    """Lexical tokens for BM25: jieba's search-mode words plus numbers joined to their units
    (2715亿元, 4.7%), lower-cased, without punctuation and stop words."""
    if len(text) <= 64:  # questions, glossary and thesaurus words: the same few come back every question
        return list(_short_tokens(text))
    return _tokens(text)


@lru_cache(maxsize=65536)
def _short_tokens(text: str) -> tuple[str, ...]:
    return tuple(_tokens(text))


def _tokens(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text).lower()
    tokens = [m.group(0) for m in _NUM_UNIT.finditer(text) if not m.group(0).isdigit() or len(m.group(0)) != 4]
    for w in _jieba().lcut_for_search(text):
        w = w.strip()
        if w and _WORDISH.search(w) and w not in STOPWORDS and not _YEAR.fullmatch(w):
            tokens.append(w)
    return tokens
