"""Character bigrams: the index's second lexical field.

jieba cuts 停车位 and 新能源汽车 as whole words, so a question that says 车位 or 汽车 misses them in
the word field. Bigrams of the characters match a word inside a compound whatever the cut.
ASCII words and numbers stay whole (a bigram of 'ai' or '5g' says nothing the word does not).
"""
from __future__ import annotations

import re
import unicodedata

_RUN = re.compile(r"[\u4e00-\u9fff]+|[a-z0-9]+(?:\.[0-9]+)?")


def char_ngrams(text: str) -> list[str]:
    """Bigrams of every run of Chinese characters (a lone character stands for itself), plus
    the ASCII words and numbers, lower-cased after NFKC. Runs end at punctuation and spaces,
    so no bigram straddles two clauses."""
    grams: list[str] = []
    for run in _RUN.findall(unicodedata.normalize("NFKC", text).lower()):
        if run.isascii() or len(run) == 1:
            grams.append(run)
        else:
            grams.extend(run[i : i + 2] for i in range(len(run) - 1))
    return grams
