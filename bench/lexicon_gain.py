"""What the lexicon adds to lexical retrieval, measured (not tuned) on the gold set's TUNE split.

    PYTHONPATH=. python bench/lexicon_gain.py [--out artifacts/lexicon]

Builds an index of corpus/ with a null embedding model (only the BM25 fields are used), then ranks
every tune-split question several ways and prints hit@1 / hit@5 of the paraphrase questions and of
all answerable ones, as a table (and lexicon_gain.png with --out). Questions are never printed.

`own` = the question's own tokens (Query.tokens); `glossary` / `thesaurus` = qa.lexicon.expansions of
them; `naive` appends the expansions' words to BM25 at full weight, `weighted` adds them at the
Settings weights (glossary 0.6, thesaurus 0.4) as qa.retrieval.lexical_candidates does;
`query` = everything qa.query.analyse adds (indicator forms too). "raw" rows are BM25 order; "search"
rows go through qa.retrieval.search(mode="bm25") with its period and figure re-ranking; "+bigrams"
fuses the character-bigram field at Settings.ngram_share.
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

from qa.answer import vocabulary_of  # noqa: E402
from qa.config import Settings  # noqa: E402
from qa.evaluate import ANSWERABLE, load_gold, relevant_chunks  # noqa: E402
from qa.index import build_index  # noqa: E402
from qa.ingest import load_corpus  # noqa: E402
from qa.lexicon import expansions, thesaurus  # noqa: E402
from qa.query import analyse, phrase_tokens  # noqa: E402
from qa.retrieval import lexical_candidates, ngram_candidates, search  # noqa: E402


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
    vocab = vocabulary_of(index, s)
    # the gold files proper: <doc>.jsonl, never the blind sets (<doc>.trust.jsonl, <doc>.colloquial.jsonl)
    gold = [p for p in sorted((ROOT / "corpus" / "gold").glob("*.jsonl")) if p.name.count(".") == 1]
    items = [i for i in load_gold(gold) if i.split == "tune" and i.type in ANSWERABLE]
    raw = ["own", "own+glossary naive", "own+thesaurus naive", "own+both naive", "own+both weighted", "query",
           "bigrams"]
    searched = ["own", "own+bigrams", "own+glossary weighted", "own+thesaurus weighted", "own+both naive", "own+both weighted",
                "query", "query+bigrams"]
    names = [f"{n} raw" for n in raw] + [f"{n} search" for n in searched]
    ranks: dict[str, dict[str, list[int]]] = {n: {} for n in names}
    rel: dict[str, set[int]] = {}
    n_exp = {"glossary": 0, "thesaurus": 0}
    spent = 0.0
    ids = {c.id: r for r, c in enumerate(index.chunks)}
    kw = dict(mode="bm25", fusion=s.fusion, k=10, candidates=s.candidates, rrf_k=s.rrf_k,
              period_boost=s.period_boost, figure_boost=s.figure_boost)
    for n, item in enumerate(items, 1):
        if n % 20 == 0 or n == len(items):
            print(f"questions {n}/{len(items)}", flush=True)
        doc = index.documents[item.doc]
        rel[item.id] = {ids[c] for c in relevant_chunks(index.chunks, doc.text, item)}
        q = analyse(item.question, s.max_question_chars, vocab)
        own = list(q.tokens)
        t = time.perf_counter()
        ex = expansions(own, q.core, vocab.known)
        spent += time.perf_counter() - t
        words = {o: [(w, e.weight) for e in ex if e.origin == o for w in phrase_tokens(e.target) if w not in own]
                 for o in ("glossary", "thesaurus")}
        for o in n_exp:
            n_exp[o] += sum(1 for e in ex if e.origin == o)
        plain = {o: [w for w, _ in words[o]] for o in words}
        variants = {
            "own": replace(q, expansions=()),
            "own+glossary naive": replace(q, tokens=tuple(own + plain["glossary"]), expansions=()),
            "own+thesaurus naive": replace(q, tokens=tuple(own + plain["thesaurus"]), expansions=()),
            "own+both naive": replace(q, tokens=tuple(own + plain["glossary"] + plain["thesaurus"]), expansions=()),
            "own+glossary weighted": replace(q, expansions=_dedup(words["glossary"])),
            "own+thesaurus weighted": replace(q, expansions=_dedup(words["thesaurus"])),
            "own+both weighted": replace(q, expansions=_dedup(words["glossary"] + words["thesaurus"])),
            "query": q,
        }
        r = ranks
        for name in raw:
            if name in variants:
                r[f"{name} raw"][item.id] = [row for row, _ in lexical_candidates(index, variants[name], 10)]
        grams = ngram_candidates(index, q.core, 50)
        r["bigrams raw"][item.id] = [row for row, _ in grams[:10]]
        for name in searched:
            if name == "own+bigrams":  # words and bigrams at equal weight
                ranking = search(index, variants["own"], None, **kw, ngram_share=0.5)
            elif name == "query+bigrams":
                ranking = search(index, q, None, **kw, ngram_share=s.ngram_share)
            else:
                ranking = search(index, variants[name], None, **kw)
            r[f"{name} search"][item.id] = [h.row for h in ranking.hits]
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


def _dedup(pairs: list[tuple[str, float]]) -> tuple[tuple[str, float], ...]:
    out: dict[str, float] = {}
    for w, weight in pairs:
        out[w] = max(out.get(w, 0.0), weight)
    return tuple(out.items())


if __name__ == "__main__":
    raise SystemExit(main())
