"""What each part of everyday-wording retrieval adds: the full system, then one part taken away at a time.

    python bench/ablation.py [--out artifacts/ablation]

Parts (issue 13): the Cilin thesaurus (thesaurus_weight=0), the 政务 glossary (glossary_weight=0), the
character-bigram BM25 field (ngram_share=0), and the fusion that trusts meaning when the words miss
(dense_adapt=0). Each variant runs the hybrid system on every gold set; the table gives hit@1, hit@5,
answered (not refused) and figure@1 per set. Only totals are printed: the blind sets' failures never are.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.answer import Assistant  # noqa: E402
from qa.config import Settings  # noqa: E402
from qa.evaluate import assistant_system, load_gold, run_systems, summarize  # noqa: E402

VARIANTS: dict[str, dict[str, float]] = {
    "full": {},
    "- thesaurus": {"thesaurus_weight": 0.0},
    "- glossary": {"glossary_weight": 0.0},
    "- character bigrams": {"ngram_share": 0.0},
    "- adaptive fusion": {"dense_adapt": 0.0},
    "- sentence support (issue 12)": {"support_min": 0.0},
    "- all four": {"thesaurus_weight": 0.0, "glossary_weight": 0.0, "ngram_share": 0.0, "dense_adapt": 0.0},
}
SETS = {"main (tune)": ("main", "tune"), "main (heldout)": ("main", "heldout"),
        "colloquialdev (tuned on)": ("colloquialdev", None), "colloquial (blind)": ("colloquial", None),
        "colloquial2 (blind)": ("colloquial2", None)}
METRICS = ("hit@1", "hit@5", "answered", "figure@1")


def measure(assistant: Assistant, items: list, base: Settings, changes: dict[str, float]) -> dict[str, dict]:
    assistant.settings = base.with_(**changes)
    out = {}
    for label, (name, split) in SETS.items():
        members = [i for i in items if i.set == name and (split is None or i.split == split)]
        ev = run_systems(assistant, members, {"hybrid": assistant_system(assistant, "hybrid")}, progress=False)
        s = summarize(members, ev.systems["hybrid"], ev.per_q["hybrid"])
        s["answered"] = 1 - s["wrongly_refused"] if s["wrongly_refused"] is not None else None
        out[label] = {m: s.get(m) for m in METRICS}
    assistant.settings = base
    return out


def table(results: dict[str, dict[str, dict]]) -> str:
    head = "| variant | " + " | ".join(f"{s} {m}" for s in SETS for m in METRICS) + " |"
    rows = [head, "|---" * (len(SETS) * len(METRICS) + 1) + "|"]
    for variant, by_set in results.items():
        cells = [by_set[s][m] for s in SETS for m in METRICS]
        rows.append(f"| {variant} | " + " | ".join("-" if c is None else f"{c:.3f}" for c in cells) + " |")
    return "\n".join(rows)


def plot(results: dict[str, dict[str, dict]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, axes = plt.subplots(1, len(SETS), figsize=(4.2 * len(SETS), 4), sharey=True)
    width = 0.8 / len(results)
    for ax, label in zip(axes, SETS):
        for i, (variant, by_set) in enumerate(results.items()):
            vals = [by_set[label][m] or 0 for m in METRICS]
            ax.bar(np.arange(len(METRICS)) + i * width, vals, width, label=variant)
        ax.set_xticks(np.arange(len(METRICS)) + 0.4 - width / 2, METRICS)
        ax.set_title(label)
        ax.set_ylim(0, 1.05)
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "artifacts" / "ablation")
    args = ap.parse_args()
    assistant = Assistant.load(progress=True)
    items = load_gold(sorted((assistant.settings.corpus_dir / "gold").glob("*.jsonl")))
    base = assistant.settings
    results = {}
    for variant, changes in VARIANTS.items():
        print(f"running {variant} ...", file=sys.stderr, flush=True)
        results[variant] = measure(assistant, items, base, changes)
    text = table(results)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "ablation.md").write_text(text + "\n", encoding="utf-8")
    (args.out / "ablation.json").write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    plot(results, args.out / "ablation.png")
    print(f"table and chart: {args.out}/ablation.md, ablation.png", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
