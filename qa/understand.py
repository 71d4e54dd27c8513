"""Questions that cannot be understood: markup, keyboard mashing, no word the corpus or the dictionaries know.

Why: retrieval always returns *some* passage, and the closest passage to `asdkjfh qwpoeiru zxmcnv` or
`<script>alert(1)</script>` is an unrelated paragraph that the page would show as the answer. Such a
question is answered `not_found` with the reason `UNCLEAR` (没能理解这个问题，请换个说法) and example questions
instead, before any search. A question is understood when one of its words is known: to the corpus (the
index's vocabulary), to the dictionaries (an indicator or a place it names, a glossary or thesaurus word
the reader added for it, a follow-up word of qa/data/followup.tsv, a word of jieba's dictionary or of the
thesaurus: 面积 is understood though no report gives it), or when it asks a period or an aspect (那去年呢,
增速呢: a follow-up's whole question). An English question is understood by its function words (how, is,
the: the question reader's stop words), which keyboard mashing (qwerty, asdkjfh) does not have.
"""
from __future__ import annotations

import re
from typing import Callable, Iterable

from .followup import role
from .lexicon import synonyms
from .places import Scope
from .query import Query, everyday_count
from .tokens import STOPWORDS, tokenize

UNCLEAR = "没能理解这个问题，请换个说法 / the question could not be understood, please rephrase it"
# an HTML or XML tag, a comment or an entity: residents do not type markup (what is left of a question
# around it is read on its own)
_MARKUP = re.compile(r"<\s*/?\s*[A-Za-z!?][^<>]*>|&(?:[A-Za-z]+|#\d+|#x[0-9a-f]+);", re.I)
_NUMBER = re.compile(r"[\d.%]+")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_ENGLISH_FUNCTION = frozenset(w for w in STOPWORDS if w.isascii() and len(w) > 1)


def is_markup(text: str) -> bool:
    return bool(_MARKUP.search(text))


def known_words(query: Query, known: Callable[[str], bool]) -> list[str]:
    """The question's own words that the corpus or a dictionary knows (numbers do not count)."""
    return _knows_any(query.tokens, query.text, known)


def _knows_any(tokens: Iterable[str], text: str, known: Callable[[str], bool]) -> list[str]:
    def knows(t: str) -> bool:
        if known(t) or role(t) is not None:
            return True
        return bool(_CJK.search(t)) and (everyday_count(t) > 0 or bool(synonyms(t)))

    words = [t for t in tokens if not _NUMBER.fullmatch(t) and knows(t)]
    return words + [w for w in re.findall(r"[a-z]+", text.lower()) if w in _ENGLISH_FUNCTION]


def unclear(query: Query, known: Callable[[str], bool]) -> str | None:
    """`UNCLEAR` when the question cannot be understood, else None. `known` is the index's vocabulary
    (Vocabulary.known)."""
    text = query.original or query.text
    if is_markup(text):  # what is left without the markup must be a question of its own
        rest = _MARKUP.sub(" ", re.sub(r"(?is)<(script|style)\b.*?</\1\s*>", " ", text))
        return None if _knows_any(tokenize(rest), rest, known) else UNCLEAR
    if query.indicators or query.expansions or query.scope != Scope():
        return None
    if query.asked.explicit or query.aspect or query.follows:
        return None
    return None if known_words(query, known) else UNCLEAR
