"""Grade the assistant document by document: each report alone in a fresh corpus, as a new user
with one report would meet it.

A rule fitted to one report shows up here as a good figure on that report and worse ones on the
others, so results are reported per document, per level (national, provincial …) and per document
split. The held-out documents (`split.tsv` beside the reports) are graded apart and their failures
are never written out: nothing may be tuned on them.
"""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from .config import Settings
from .evaluate import COLUMNS, GoldItem, _fmt, assistant_system, failures, load_gold, run_systems, summarize

HEADLINE = ("n", "hit@5", "figure@1", "figure_precision", "figure_shown_unanswerable", "none_refused",
            "wrongly_refused", "status_accuracy", "p50_ms")


@dataclass(frozen=True)
class DocResult:
    doc: str
    split: str  # the document's split: tune | heldout
    level: str  # the document's level from its profile: country | province | zone …
    items: tuple[GoldItem, ...]
    summary: dict[str, Any]
    fails: tuple[dict[str, Any], ...]
    results: dict[str, Any]  # question id -> evaluate.Result
    per_q: dict[str, dict[str, float]]  # question id -> rank metrics


def document_splits(corpus_dir: Path) -> dict[str, str]:
    """The document split fixed before tuning (`split.tsv`: stem, split); unlisted documents are tune."""
    path = corpus_dir / "split.tsv"
    if not path.exists():
        return {}
    rows = [ln.split("\t") for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")]
    return {r[0].strip(): r[1].strip() for r in rows if len(r) >= 2}


def alone(source: Path, work: Path) -> Path:
    """A corpus folder holding only `source` (under `work/corpora`), made once."""
    folder = work / "corpora" / source.stem
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / source.name).exists():
        shutil.copyfile(source, folder / source.name)
    return folder


def figure_precision(items: Sequence[GoldItem], results: dict[str, Any]) -> float | None:
    """Of the figures shown for figure questions, the share that is the right one (a stated figure is right)."""
    from .evaluate import figure_correct

    shown = [i for i in items if i.value is not None and results[i.id].figure is not None]
    return sum(figure_correct(i, results[i.id].figure, results[i.id].figure_doc) for i in shown) / len(shown) if shown else None


def evaluate_each(corpus_dir: Path, work: Path, settings: Settings, which: str = "tune",
                  docs: Sequence[str] = (), progress: bool = True) -> list[DocResult]:
    """Each gold document of `corpus_dir` alone in its own corpus and index (kept under `work`, so a
    second run only re-reads the indexes). `which`: tune | heldout | all documents."""
    from .answer import Assistant
    from .answer import _load_model
    from .ingest import load_document
    from .profile import profile_of

    splits = document_splits(corpus_dir)
    by_doc: dict[str, list[GoldItem]] = {}
    for item in load_gold(sorted((corpus_dir / "gold").glob("*.jsonl"))):
        by_doc.setdefault(item.doc, []).append(item)
    stems = [d for d in sorted(by_doc) if (not docs or d in docs)
             and (which == "all" or splits.get(d, "tune") == which)]
    model = _load_model(settings)
    out = []
    for n, stem in enumerate(stems, 1):
        source = corpus_dir / f"{stem}.txt"
        assistant = Assistant.load(corpus_dir=alone(source, work), index_dir=work / "index" / stem, model=model, settings=settings)
        items = by_doc[stem]
        ev = run_systems(assistant, items, {"hybrid": assistant_system(assistant, "hybrid")}, progress=False)
        summary = summarize(items, ev.systems["hybrid"], ev.per_q["hybrid"])
        summary["figure_precision"] = figure_precision(items, ev.systems["hybrid"])
        split = splits.get(stem, "tune")
        fails = tuple(failures(items, ev, "hybrid", assistant.index)) if split == "tune" else ()
        level = profile_of(load_document(source)).level
        out.append(DocResult(stem, split, level, tuple(items), summary, fails, ev.systems["hybrid"], ev.per_q["hybrid"]))
        if progress:
            print(f"[{n}/{len(stems)}] {stem}: figure@1 {_fmt(summary['figure@1'])}, "
                  f"shown-unanswerable {_fmt(summary['figure_shown_unanswerable'])}", flush=True)
    return out


def pooled(results: Sequence[DocResult]) -> dict[str, Any]:
    """Every question of these documents graded together (each was answered in its own corpus)."""
    items, res, per_q = [], {}, {}
    for r in results:
        items += r.items
        res.update(r.results)
        per_q.update(r.per_q)
    out = summarize(items, res, per_q)
    out["figure_precision"] = figure_precision(items, res)
    out["documents"] = len(results)
    return out


def table(rows: dict[str, dict[str, Any]], columns: Sequence[str] = HEADLINE) -> str:
    lines = ["| documents | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    lines += [f"| {name} | " + " | ".join(_fmt(s.get(c)) for c in columns) + " |" for name, s in rows.items()]
    return "\n".join(lines)


def write_report(out: Path, results: Sequence[DocResult]) -> str:
    """report.md (tables by split, level and document), report.json, failures.jsonl (tune documents
    only) and report.png (figure@1 and shown-unanswerable per document)."""
    out.mkdir(parents=True, exist_ok=True)
    groups: dict[str, list[DocResult]] = {}
    for r in results:
        groups.setdefault(f"split={r.split}", []).append(r)
        groups.setdefault(f"level={r.level}", []).append(r)
    summary = {name: pooled(members) for name, members in sorted(groups.items())}
    per_doc = {r.doc: r.summary for r in results}
    md = ["# Evaluation, each document alone", "",
          "Each report in a fresh corpus and index; questions of the held-out documents are graded apart.", "",
          "## By document split and level", "", table(summary), "", "## By document", "",
          table({f"{r.doc} ({r.split})": per_doc[r.doc] for r in results}), ""]
    fails = [f | {"doc": r.doc} for r in results for f in r.fails]
    md += [f"## Failures on tune documents ({len(fails)})", ""]
    md += [f"- **{f['id']}** ({','.join(f['why'])}) {f['question']} — expected {f['expected']!r} ({f['status']}); "
           f"got {f['got_figure']} ({f['got_status']}); top: {(f['got_first_passage'] or '')[:60]}" for f in fails]
    text = "\n".join(md) + "\n"
    (out / "report.md").write_text(text, encoding="utf-8")
    (out / "report.json").write_text(json.dumps({"groups": {k: {c: v.get(c) for c in (*COLUMNS, "figure_precision", "documents")}
                                                            for k, v in summary.items()}, "documents": per_doc},
                                                ensure_ascii=False, indent=1), encoding="utf-8")
    (out / "failures.jsonl").write_text("".join(json.dumps(f, ensure_ascii=False) + "\n" for f in fails), encoding="utf-8")
    plot(results, out / "report.png")
    return text


def plot(results: Sequence[DocResult], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    names = [r.doc.replace("-work-report", "") + ("*" if r.split == "heldout" else "") for r in results]
    fig, ax = plt.subplots(figsize=(max(8, len(results) * 0.45), 4.5))
    x = np.arange(len(results))
    for shift, metric in ((-0.2, "figure@1"), (0.0, "figure_precision"), (0.2, "figure_shown_unanswerable")):
        ax.bar(x + shift, [r.summary.get(metric) or 0 for r in results], 0.2, label=metric)
    ax.axhline(0.9, color="grey", lw=0.8, ls="--")
    ax.set_xticks(x, names, rotation=70, fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_title("each document alone (* held out)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
