"""Find the chunks that answer a query: dense and BM25 candidates, fused, then re-ranked by what
a report question says about itself (the period it asks about, the kind of figure it wants).

Scores here are pure functions of the index and the query; nothing is read from disk.
"""
from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from .index import Index
from .ngrams import char_ngrams
from .periods import ends_in, same_years
from .query import Query
from .types import Chunk
from .verify import figure_fit

MODES = ("hybrid", "dense", "bm25")
FUSIONS = ("rrf", "weighted")


@dataclass(frozen=True)
class Hit:
    row: int  # position in index.chunks
    score: float  # final score, higher is better
    fused: float  # fused retrieval score in [0, 1] before re-ranking
    cosine: float | None  # dense similarity of query and chunk
    bm25: float | None
    period_match: float  # +1 the period asked, -1 another, 0 unknown (halved when only a default)
    figure_fit: float  # best fit of the chunk's figures to the question, 0..1


@dataclass(frozen=True)
class Ranking:
    hits: tuple[Hit, ...]
    confidence: float  # how likely the top hit answers the question, 0..1
    coverage: float  # share of the question's (IDF-weighted) words found in the top hits
    refusal: str | None  # a reason the corpus cannot answer, found by rule (unknown year, place)
    weights: tuple[float, ...] = ()  # per idea of the question (Query.terms): its IDF, 0 when no document says it
    rarest: float = 0.0  # the IDF of a word one chunk holds: what an idea no document says may weigh
    period_note: str | None = None  # the best passage speaks of another period than the one asked


def dense_candidates(index: Index, qvec: np.ndarray, k: int) -> list[tuple[int, float]]:
    k = min(k, index.size)
    if k == 0:
        return []
    scores, rows = index.dense.search(np.ascontiguousarray(qvec.reshape(1, -1), dtype=np.float32), k)
    return [(int(r), float(s)) for r, s in zip(rows[0], scores[0]) if r >= 0]


def bm25_candidates(index: Index, tokens: tuple[str, ...], k: int) -> list[tuple[int, float]]:
    """The k best rows of the word field for `tokens` (see top_k)."""
    return top_k(index.bm25, [t for t in tokens if t in index.vocab], index.size, k)


def top_k(bm: Any, known: list[str], size: int, k: int) -> list[tuple[int, float]]:
    """The k best BM25 rows of one field (bm25s) for terms in its vocabulary, best first (ties by
    row), exactly as scoring every chunk would rank them.

    Only the query terms' posting lists are read: their scores are summed per chunk with one
    bincount (bm25s's own scorer uses np.add.at, ~20x slower) and the top k picked with
    argpartition, not a full sort. At 1M chunks this is ~5x faster than bm25s.retrieve.
    """
    if not known or size == 0:
        return []
    s = bm.scores
    indptr, indices, data = s["indptr"], s["indices"], s["data"]
    ids = [bm.vocab_dict[t] for t in known]  # repeated terms count again, as in bm25s.get_scores
    rows = np.concatenate([indices[indptr[i]:indptr[i + 1]] for i in ids])
    if rows.size == 0:
        return []
    weights = np.concatenate([data[indptr[i]:indptr[i + 1]] for i in ids]).astype(np.float64)
    if rows.size * 8 < size:  # few postings: sum per distinct row, never touching all chunks
        rows, inverse = np.unique(rows, return_inverse=True)
        scores = np.bincount(inverse, weights=weights)
    else:
        scores = np.bincount(rows, weights=weights, minlength=size)
        rows = None
    keep = min(k, int(np.count_nonzero(scores)))  # scores are >= 0
    if keep == 0:
        return []
    threshold = kth_largest(scores, keep)
    cand = np.flatnonzero(scores >= threshold)  # every chunk tied at the boundary too, so ties go by row
    found = cand if rows is None else rows[cand]
    order = np.lexsort((found, -scores[cand]))[:keep]
    return [(int(found[i]), float(scores[cand[i]])) for i in order]


def kth_largest(values: np.ndarray, k: int, stride: int = 16) -> float:
    """The k-th largest of non-negative `values`, exactly, without partitioning all of them: the
    k-th largest of every `stride`-th value is a lower bound (a subset's k-th largest is never
    above the whole's), so only the values at or above it (~stride * k of 1M) are partitioned.
    At 1M chunks this is ~1.5 ms where a partition of every score took ~8 ms."""
    if len(values) > 4 * stride * k:
        sample = values[::stride]
        if np.count_nonzero(sample) >= k:
            bound = np.partition(sample, len(sample) - k)[len(sample) - k]
            values = values[values >= bound]
    return float(np.partition(values, len(values) - k)[len(values) - k])


def lexical_candidates(index: Index, query: Query, k: int) -> list[tuple[int, float]]:
    """BM25 over the user's own words, plus the report's words for them (indicator forms, glossary,
    thesaurus) at their lower weights: an expansion can help a passage, never outweigh the user."""
    own = bm25_candidates(index, query.tokens, k)
    by_weight: dict[float, list[str]] = {}
    for token, weight in query.expansions:
        by_weight.setdefault(weight, []).append(token)
    if not by_weight:
        return own
    total = dict(own)
    for weight, tokens in by_weight.items():
        for row, score in bm25_candidates(index, tuple(tokens), k):
            total[row] = total.get(row, 0.0) + weight * score
    return sorted(total.items(), key=lambda x: (-x[1], x[0]))[:k]


def ngram_candidates(index: Index, text: str, k: int) -> list[tuple[int, float]]:
    """BM25 over character bigrams of `text` (the question): finds 车位 inside 停车位, which the
    word field cannot. `text` is the question without the report's own name (Query.core), which
    matches every passage; each bigram counts once, so a repeated phrase does not outweigh the rest of the question."""
    if index.ngrams is None or index.size == 0:
        return []
    grams = [g for g in dict.fromkeys(char_ngrams(text)) if g in index.ngram_vocab]
    return top_k(index.ngrams, grams, index.size, k)


def rrf(lists: list[list[tuple[int, float]]], weights: list[float], k: int = 60) -> dict[int, float]:
    """Reciprocal rank fusion, scaled so that first place in every list scores 1."""
    fused: dict[int, float] = {}
    for ranked, w in zip(lists, weights):
        for rank, (row, _) in enumerate(ranked):
            fused[row] = fused.get(row, 0.0) + w / (k + rank + 1)
    top = sum(w / (k + 1) for ranked, w in zip(lists, weights) if ranked) or 1.0
    return {row: s / top for row, s in fused.items()}


def weighted_sum(lists: list[list[tuple[int, float]]], weights: list[float]) -> dict[int, float]:
    """Min-max normalised scores, weighted and summed (a chunk missing from a list scores 0 there)."""
    fused: dict[int, float] = {}
    total = sum(w for ranked, w in zip(lists, weights) if ranked) or 1.0
    for ranked, w in zip(lists, weights):
        if not ranked:
            continue
        values = [s for _, s in ranked]
        lo, hi = min(values), max(values)
        span = (hi - lo) or 1.0
        for row, s in ranked:
            fused[row] = fused.get(row, 0.0) + w * ((s - lo) / span if hi > lo else 1.0) / total
    return fused


def filtered_pool(index: Index, docs: set[str], candidates: int) -> int:
    """How many candidates to draw when only `docs` count: enough that about `candidates` of them are
    theirs (one report of 28 needs ~28 times as many), at least four times as many."""
    sizes = {d: len(doc.text) for d, doc in index.documents.items()}
    share = sum(sizes.get(d, 0) for d in docs) / max(sum(sizes.values()), 1)
    return min(index.size, max(candidates * 4, math.ceil(candidates / max(share, 1e-6))))


def period_match(chunk: Chunk, query: Query) -> float:
    """+1 for the period asked, -1 for another; half that when the period is only the default
    (光谷GDP是多少 prefers the latest result, but a target-only subject still answers)."""
    target = query.asked.period
    if target is None or chunk.period is None:
        return 0.0
    if chunk.period != target and ((not query.asked.kind_said and same_years(chunk.period, target))
                                   or ends_in(chunk.period, target)):
        return 0.0  # 2020年中央预算内投资: that year's plan, when the question says neither; a span ending then
    match = 1.0 if chunk.period == target else -1.0
    return match if query.asked.explicit else match / 2


def best_figure_fit(chunk: Chunk, query: Query) -> float:
    return max((figure_fit(query, f) for f in chunk.figures), default=0.0)


def lexical_cover(index: Index, query: Query) -> float:
    """Share of the question's ideas that the index has a word for (its own, or one that says it
    too): 1 when the words will find the passage, 0 when only meaning can."""
    if not query.terms:
        return 0.0
    return sum(any(w in index.vocab for w in term) for term in query.terms) / len(query.terms)


def fusion_weights(index: Index, query: Query, dense_weight: float, dense_adapt: float,
                   ngram_share: float) -> tuple[float, float, float]:
    """(dense, words, character bigrams): dense weighs more as the words cover less of the question."""
    dense = min(0.9, dense_weight + dense_adapt * (1.0 - lexical_cover(index, query)))
    lexical = 1.0 - dense
    return dense, lexical * (1.0 - ngram_share), lexical * ngram_share


def search(index: Index, query: Query, qvec: np.ndarray | None, mode: str = "hybrid", fusion: str = "rrf",
           k: int = 10, candidates: int = 50, rrf_k: int = 60, dense_weight: float = 0.5,
           period_boost: float = 0.3, figure_boost: float = 0.15, doc_filter: str | Collection[str] | None = None,
           dense_adapt: float = 0.0, ngram_share: float = 0.0, unseen_weight: float = 1.0,
           agreement_bonus: float = 0.0, coverage_depth: int = 3) -> Ranking:
    """The top `k` chunks for `query` (qvec: its embedding, needed unless mode is bm25)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    if fusion not in FUSIONS:
        raise ValueError(f"fusion must be one of {FUSIONS}, not {fusion!r}")
    use_dense = mode in ("hybrid", "dense") and qvec is not None
    use_bm25 = mode in ("hybrid", "bm25") or qvec is None
    wanted = None if not doc_filter else {doc_filter} if isinstance(doc_filter, str) else set(doc_filter)
    pool = candidates if wanted is None else filtered_pool(index, wanted, candidates)
    dense = dense_candidates(index, qvec, pool) if use_dense else []
    lexical = lexical_candidates(index, query, pool) if use_bm25 else []
    grams = ngram_candidates(index, query.core, pool) if use_bm25 and ngram_share > 0 else []
    if wanted is not None:
        dense = [(r, s) for r, s in dense if index.chunks[r].doc in wanted]
        lexical = [(r, s) for r, s in lexical if index.chunks[r].doc in wanted]
        grams = [(r, s) for r, s in grams if index.chunks[r].doc in wanted]
    w_dense, w_words, w_grams = fusion_weights(index, query, dense_weight, dense_adapt, ngram_share)
    if not use_bm25:
        w_dense = 1.0
    elif not use_dense:
        w_words, w_grams = 1.0 - ngram_share, ngram_share
    lists, weights = [], []
    for ranked, weight, used in ((dense, w_dense, use_dense), (lexical, w_words, use_bm25),
                                 (grams, w_grams, use_bm25 and ngram_share > 0)):
        if used:
            lists.append(ranked)
            weights.append(weight)
    fused = rrf(lists, weights, rrf_k) if fusion == "rrf" else weighted_sum(lists, weights)

    cos = dict(dense)
    lex = dict(lexical)
    hits = []
    for row, base in fused.items():
        chunk = index.chunks[row]
        pm = period_match(chunk, query)
        fit = best_figure_fit(chunk, query) if query.wants_number else 0.0
        cosine = cos.get(row)
        if cosine is None and qvec is not None:
            cosine = float(index.embeddings[row] @ qvec.reshape(-1))
        score = base + period_boost * pm + figure_boost * fit
        hits.append(Hit(row, score, base, cosine, lex.get(row), pm, fit))
    hits.sort(key=lambda h: (-h.score, h.row))
    top = tuple(hits[:k])
    coverage = token_coverage(index, query.terms, [index.chunks[h.row] for h in top[:coverage_depth]], unseen_weight,
                              query.is_english)
    agree = bool(top) and top[0].row in {r for r, _ in dense[:5]} and top[0].row in {
        r for r, _ in lexical[:5] + grams[:5]}
    confidence = confidence_of(top, coverage, agree, agreement_bonus)
    return Ranking(top, confidence, coverage, refusal_reason(index, query), term_weights(index, query.terms),
                   rarest_idf(index), period_conflict(top, index, query))


def term_weights(index: Index, terms: tuple[tuple[str, ...], ...]) -> tuple[float, ...]:
    """How much each idea of the question says, by the IDF of the words the corpus has for it; 0
    when no document says any of them (the report cannot be held to a word it never uses)."""
    rarest = rarest_idf(index)
    out = []
    for term in terms:
        known = [_idf(index, w) for w in term if w in index.vocab]
        out.append(max(known) if known else rarest if any(index.says(w) for w in term) else 0.0)
    return tuple(out)


def rarest_idf(index: Index) -> float:
    """The IDF of a word no chunk holds: the most a word can say."""
    return math.log(1 + index.size + 0.5)


def _idf(index: Index, token: str) -> float:
    n = index.size
    df = _doc_freq(index, token)
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


def _doc_freq(index: Index, token: str) -> int:
    bm = index.bm25
    tid = bm.vocab_dict.get(token) if hasattr(bm, "vocab_dict") else None
    if tid is None:
        return 0
    indptr = bm.scores["indptr"]
    return int(indptr[tid + 1] - indptr[tid])


def token_coverage(index: Index, terms: tuple[tuple[str, ...], ...], chunks: list[Chunk],
                   unseen_weight: float = 1.0, english: bool = False) -> float:
    """IDF-weighted share of the question's words said in the best passages (a word counts when
    it or one of its synonyms occurs). A question about something the report never mentions
    leaves its rarest words uncovered; words the corpus never uses weigh as the rarest word times
    `unseen_weight` (below 1: an everyday word the report does not use is weak evidence that the
    report does not answer, once the glossary and thesaurus had their say). In an English question
    only the words the lexicon can put into Chinese are checked: the report cannot say the others;
    when it can put none, the words give no evidence either way (0.5)."""
    if english and chunks:
        terms = tuple(t for t in terms if len(t) > 1)
        if not terms:
            return 0.5
    if not terms or not chunks:
        return 0.0
    text = "".join(c.text + " ".join(c.path) for c in chunks).lower()
    unseen = unseen_weight * rarest_idf(index)
    weights = [_idf(index, t[0]) if t[0] in index.vocab else unseen for t in terms]
    covered = [any(w in text for w in t) for t in terms]
    total = sum(weights) or 1.0
    return sum(w for w, c in zip(weights, covered) if c) / total


def confidence_of(hits: tuple[Hit, ...], coverage: float, agree: bool = False, agreement_bonus: float = 0.0) -> float:
    """One number for 'the top passages answer this': how much of the question (IDF-weighted,
    synonyms and English glossary words counted) the best passages say, raised when meaning and
    words independently put the same passage near the top."""
    if not hits:
        return 0.0
    return min(1.0, coverage + (agreement_bonus if agree else 0.0))


def period_conflict(hits: tuple[Hit, ...], index: Index, query: Query) -> str | None:
    """The best passage belongs to another period than the one asked (the report gives the
    2024 target where 2023's result was asked, or the reverse): the asked figure is not there."""
    asked = query.asked.period
    if not hits or hits[0].period_match >= 0 or asked is None or not query.asked.explicit:
        return None
    chunk = index.chunks[hits[0].row]
    if chunk.period is None:
        return None
    return (f"报告中相关内容属于{chunk.period.label},没有{asked.label}的数据 / the report speaks of this for "
            f"{chunk.period.label_en}, not {asked.label_en}")


def refusal_reason(index: Index, query: Query) -> str | None:
    """Rules that say the corpus cannot answer, whatever the scores: a year no document covers,
    an area that is not the report's own, an indicator no document names."""
    year = query.asked.year
    span = query.asked.period.first if query.asked.period is not None else None
    # “十五五”时期: a plan's years are covered by a report of its first year, which names the plan, not 2030
    if (year is not None and year not in index.known_years and not index.says(str(year))
            and (span is None or span not in index.known_years)):
        return f"报告未涉及{year}年 / the report does not cover {year}"
    if (newest := _newest_year(index, query.docs)) is not None and not_yet_reported(query, newest):
        year = query.asked.period.year
        return (f"最新的报告是{newest}年的，还没有报告给出{year}年的实绩 / the newest report is of {newest}: "
                f"no report gives {year} results yet")
    place = query.scope.place
    if place and not any(index.says(f) for f in _forms(place)):
        return f"报告未提及“{place}” / the report does not mention {place}"
    for name in query.indicators:
        if not any(index.says(f) for f in _indicator_forms(name)) and name not in index.indicators_given:
            return f"报告未涉及“{name}” / the report does not report {name}"
    return None


def not_yet_reported(query: Query, newest: int) -> bool:
    """A year's results are reviewed in the next year's report: 2021年GDP实际增长 cannot be answered
    by reports of 2021 and before (a part of the year, 今年一季度, may be)."""
    p = query.asked.period
    return (p is not None and p.kind == "results" and p.first is None and query.asked.kind_said
            and query.asked.part in (None, "全年") and p.year >= newest)


def _newest_year(index: Index, docs: tuple[str, ...] = ()) -> int | None:
    """The newest report's year, of the reports the question is about (all when none is named)."""
    return max((d.year for k, d in index.documents.items() if d.year and (not docs or k in docs)), default=None)


def _forms(place: str) -> tuple[str, ...]:
    from .places import forms_of, place as lookup

    p = lookup(place)
    return (forms_of(p) if p else ()) or (place,)


@lru_cache(maxsize=1024)
def _indicator_forms(name: str) -> tuple[str, ...]:
    """How a report may say an indicator: its forms, and as a part of a whole named with its parts
    (农村居民人均可支配收入 in 城乡居民人均可支配收入分别…)."""
    from .indicators import load_indicators

    everything = load_indicators()
    ind = next((i for i in everything if i.name == name), None)
    forms = [name, *ind.aliases] if ind else [name]
    for whole in everything:
        for word, parts in whole.parts:
            if name in parts:
                forms += [f"{word}{f}" for f in (whole.name, *whole.aliases)]
    return tuple(forms)


def lexical_terms(query: Query) -> tuple[str, ...]:
    """Words to highlight in a passage: the question's tokens, longest first."""
    return tuple(sorted({t for t in query.tokens if len(t) >= 2}, key=len, reverse=True))


__all__ = ["Hit", "Ranking", "search", "rrf", "weighted_sum", "token_coverage", "ngram_candidates", "MODES"]
