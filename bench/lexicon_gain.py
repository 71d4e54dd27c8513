"""What the lexicon adds to lexical retrieval, measured (not tuned) on the gold set's TUNE split.

    PYTHONPATH=. python bench/lexicon_gain.py [--out artifacts/lexicon]

Builds an index of corpus/ with a null embedding model (only the BM25 fields are used), then ranks
every tune-split question several ways and prints hit@1 / hit@5 of the paraphrase questions and of
all answerable ones, as a table (and report.png when matplotlib is there). Questions are never printed.

Variants (`own` = the question's jieba tokens without any synonym table):
- as-is: today's analyse() tokens (own + the SYNONYMS table of qa/query.py)
- own, own+glossary, own+thesaurus, own+both: expansion targets' tokens naively appended to BM25
- own+both weighted: BM25(own) + 0.6 BM25(glossary words) + 0.4 BM25(thesaurus words) (Settings weights)
- bigrams: the character-bigram field alone; own+bigrams: RRF(k=60) of the word and bigram rankings
"raw" rankings are BM25 order; "search" rows go through qa.retrieval.search(mode="bm25") with its
period and figure re-ranking.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.config import Settings  # noqa: E402
from qa.evaluate import ANSWERABLE, load_gold, relevant_chunks  # noqa: E402
from qa.index import build_index  # noqa: E402
from qa.ingest import load_corpus  # noqa: E402
from qa.lexicon import expansions, thesaurus, vocabulary_predicate  # noqa: E402
from qa.query import analyse, strip_region, tokenize  # noqa: E402
from qa.retrieval import bm25_candidates, ngram_candidates, rrf, search  # noqa: E402


@dataclass(frozen=True)
class NullInfo:
    name: str = "null"
    fingerprint: str = "null"
    dim: int = 4


class NullEmbedder:
    info = NullInfo()

    def encode_documents(self, texts, batch_size=32, show_progress=False):
        return np.zeros((len(texts), 4), np.float32)

    def encode_queries(self, texts):
        return np.zeros((len(texts), 4), np.float32)


def weighted_scores(index, groups: list[tuple[list[str], float]]) -> np.ndarray:
    total = np.zeros(index.size)
    for tokens, w in groups:
        known = list(dict.fromkeys(t for t in tokens if t in index.vocab))
        if known and w:
            total += w * index.bm25.get_scores(known)
    return total


def top(scores: np.ndarray, k: int = 10) -> list[int]:
    return [int(r) for r in np.argsort(-scores)[:k] if scores[r] > 0]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    s = Settings.from_env()
    docs, _ = load_corpus(ROOT / "corpus")
    t = time.perf_counter()
    index = build_index(docs, NullEmbedder(), s.chunk_min, s.chunk_max)
    print(f"index: {index.size} chunks in {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    thesaurus()
    print(f"thesaurus loaded in {time.perf_counter() - t:.2f} s")
    known = vocabulary_predicate(index.vocab, tokenize)
    # the gold files proper: <doc>.jsonl, never the blind sets (<doc>.trust.jsonl, <doc>.colloquial.jsonl)
    gold = [p for p in sorted((ROOT / "corpus" / "gold").glob("*.jsonl")) if p.name.count(".") == 1]
    items = [i for i in load_gold(gold) if i.split == "tune" and i.type in ANSWERABLE]
    names = ["as-is raw", "own raw", "own+glossary raw", "own+thesaurus raw", "own+both raw", "own+both weighted raw",
             "bigrams raw", "own+bigrams rrf", "own+both+bigrams rrf", "as-is search", "own search", "own+glossary search",
             "own+thesaurus search", "own+both search"]
    ranks: dict[str, dict[str, list[int]]] = {n: {} for n in names}
    rel: dict[str, set[int]] = {}
    n_exp = {"glossary": 0, "thesaurus": 0}
    spent = 0.0
    ids = {c.id: r for r, c in enumerate(index.chunks)}
    for n, item in enumerate(items, 1):
        if n % 20 == 0 or n == len(items):
            print(f"questions {n}/{len(items)}", flush=True)
        doc = index.documents[item.doc]
        rel[item.id] = {ids[c] for c in relevant_chunks(index.chunks, doc.text, item)}
        q = analyse(item.question)
        core = strip_region(q.text)
        own = tokenize(core)
        t = time.perf_counter()
        ex = expansions(own, core, known=known)
        spent += time.perf_counter() - t
        by = {o: [w for e in ex if e.origin == o for w in tokenize(e.target)] for o in ("glossary", "thesaurus")}
        for o in n_exp:
            n_exp[o] += sum(1 for e in ex if e.origin == o)
        r = ranks
        r["as-is raw"][item.id] = top(weighted_scores(index, [(list(q.tokens), 1.0)]))
        r["own raw"][item.id] = top(weighted_scores(index, [(own, 1.0)]))
        r["own+glossary raw"][item.id] = top(weighted_scores(index, [(own + by["glossary"], 1.0)]))
        r["own+thesaurus raw"][item.id] = top(weighted_scores(index, [(own + by["thesaurus"], 1.0)]))
        both = own + by["glossary"] + by["thesaurus"]
        r["own+both raw"][item.id] = top(weighted_scores(index, [(both, 1.0)]))
        r["own+both weighted raw"][item.id] = top(weighted_scores(
            index, [(own, 1.0), (by["glossary"], s.glossary_weight), (by["thesaurus"], s.thesaurus_weight)]))
        grams = ngram_candidates(index, core, 50)
        r["bigrams raw"][item.id] = [row for row, _ in grams[:10]]
        words = bm25_candidates(index, tuple(own), 50)
        r["own+bigrams rrf"][item.id] = _fused([words, grams])
        r["own+both+bigrams rrf"][item.id] = _fused([bm25_candidates(index, tuple(both), 50), grams])
        kw = dict(mode="bm25", fusion=s.fusion, k=10, candidates=s.candidates, rrf_k=s.rrf_k,
                  period_boost=s.period_boost, figure_boost=s.figure_boost)
        r["as-is search"][item.id] = [h.row for h in search(index, q, None, **kw).hits]
        for name, tokens in (("own", own), ("own+glossary", own + by["glossary"]),
                             ("own+thesaurus", own + by["thesaurus"]), ("own+both", both)):
            ranked = search(index, replace(q, tokens=tuple(tokens)), None, **kw)
            r[f"{name} search"][item.id] = [h.row for h in ranked.hits]
    para = [i.id for i in items if i.type == "paraphrase"]
    every = [i.id for i in items]

    def hit(name: str, qs: list[str], k: int) -> float:
        return sum(1 for q in qs if set(ranks[name][q][:k]) & rel[q]) / max(len(qs), 1)

    rows = [(n, hit(n, para, 1), hit(n, para, 5), hit(n, every, 1), hit(n, every, 5)) for n in names]
    print(f"\ntune split: {len(para)} paraphrase questions, {len(every)} answerable in all; "
          f"expansions per question: glossary {n_exp['glossary'] / len(items):.1f}, "
          f"thesaurus {n_exp['thesaurus'] / len(items):.1f}; expansions() {1000 * spent / len(items):.2f} ms/question")
    print("| variant | paraphrase hit@1 | paraphrase hit@5 | answerable hit@1 | answerable hit@5 |")
    print("|---|---|---|---|---|")
    for n, a, b, c, d in rows:
        print(f"| {n} | {a:.3f} | {b:.3f} | {c:.3f} | {d:.3f} |")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "lexicon_gain.json").write_text(json.dumps(
            [dict(zip(("variant", "para_hit1", "para_hit5", "all_hit1", "all_hit5"), r)) for r in rows], indent=1))
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            return 0
        fig, ax = plt.subplots(figsize=(10, 4.5))
        x = np.arange(len(rows))
        for j, (label, col) in enumerate((("paraphrase hit@5", 2), ("answerable hit@5", 4), ("answerable hit@1", 3))):
            ax.bar(x + (j - 1) * 0.27, [r[col] for r in rows], 0.27, label=label)
        ax.set_xticks(x, [r[0] for r in rows], rotation=35, ha="right", fontsize=8)
        ax.set_ylim(0, 1.05)
        ax.set_title("lexical retrieval on the tune split: lexicon expansions and character bigrams")
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(args.out / "lexicon_gain.png", dpi=120)
        print(f"wrote {args.out / 'lexicon_gain.json'} and lexicon_gain.png")
    return 0


def _fused(lists: list[list[tuple[int, float]]]) -> list[int]:
    fused = rrf(lists, [1.0] * len(lists), 60)
    return sorted(fused, key=lambda r: (-fused[r], r))[:10]


if __name__ == "__main__":
    raise SystemExit(main())
