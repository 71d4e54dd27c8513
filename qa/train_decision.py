"""`qa train-decision`: learn when the verifier's figure is shown, from the tune documents' gold.

Rows: every tune-split gold question (the development reports' tune documents, each alone in its
own corpus, and the 东湖 report's tune sets) on which the assistant, with the decision off, shows a
figure; the label is whether that figure is the gold one (`evaluate.figure_correct`; a figure shown
for a question the report does not answer with one is wrong). Held-out documents and blind sets are
never read.

Folds are grouped by document, so no fold is scored on a document it was fitted on. The threshold
is the one at which the leave-documents-out probabilities give the most value, a right figure
counting 1 and a wrong one `evaluate.WRONG_FIGURE_COST` (a confident wrong number costs three
refusals); the threshold at which precision would reach `PRECISION` (0.98) is reported beside it. The rows are kept in `qa/data/decision_rows.tsv`, so the shipped
`qa/data/decision.json` can be checked to be what `fit` makes of them (tests/test_decide.py).
"""
from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path
from typing import Any, Sequence

from .config import Settings
from .decide import DECISION, NAMES, Decision

ROWS = DECISION.with_name("decision_rows.tsv")
PRECISION = 0.98
FOLDS = 5


def collect(settings: Settings, work: Path, progress: bool = True) -> list[dict[str, Any]]:
    """One row per tune question on which a figure is shown: id, doc, label, features."""
    from .answer import Assistant, _load_model
    from .eval_each import alone, document_splits
    from .evaluate import figure_correct, load_gold

    settings = settings.with_(decision=False)
    model = _load_model(settings)
    corpora: list[tuple[str, Path, list]] = []
    reports = settings.corpus_dir / "reports"
    splits = document_splits(reports)
    by_doc: dict[str, list] = {}
    for item in load_gold(sorted((reports / "gold").glob("*.jsonl"))):
        if splits.get(item.doc, "tune") == "tune":
            by_doc.setdefault(item.doc, []).append(item)
    for stem, items in sorted(by_doc.items()):
        corpora.append((stem, alone(reports / f"{stem}.txt", work), items))
    home = [i for i in load_gold(sorted((settings.corpus_dir / "gold").glob("*.jsonl"))) if i.split == "tune"]
    corpora.append(("corpus", settings.corpus_dir, home))
    rows = []
    for n, (name, folder, items) in enumerate(corpora, 1):
        assistant = Assistant.load(corpus_dir=folder, index_dir=work / "index" / name, model=model, settings=settings)
        for item in items:
            try:
                a = assistant.ask(item.question, top_k=10)
            except ValueError:
                continue
            if a.status != "figure" or not a.features:
                continue
            right = figure_correct(item, (a.figures[0].value, a.figures[0].unit))
            rows.append({"id": f"{item.set}:{item.id}", "doc": item.doc, "label": int(right),
                         **dict(zip(NAMES, a.features))})
        if progress:
            print(f"[{n}/{len(corpora)}] {name}: {len(rows)} rows", flush=True)
    return rows


def write_rows(rows: Sequence[dict[str, Any]], path: Path = ROWS) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter="\t", lineterminator="\n")
        w.writerow(("id", "doc", "label", *NAMES))
        for r in rows:
            w.writerow((r["id"], r["doc"], r["label"], *(f"{r[n]:.6g}" for n in NAMES)))


def read_rows(path: Path = ROWS) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        return [{"id": r["id"], "doc": r["doc"], "label": int(r["label"]), **{n: float(r[n]) for n in NAMES}}
                for r in csv.DictReader(f, delimiter="\t")]


def _model(x, y):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=1.0, max_iter=2000).fit(x, y)


def out_of_fold(rows: Sequence[dict[str, Any]]):
    """Leave-documents-out probabilities: each row scored by a model fitted without its document."""
    import numpy as np
    from sklearn.model_selection import GroupKFold

    x = np.array([[r[n] for n in NAMES] for r in rows])
    y = np.array([r["label"] for r in rows])
    groups = np.array([r["doc"] for r in rows])
    p = np.zeros(len(rows))
    for train, test in GroupKFold(n_splits=FOLDS).split(x, y, groups):
        mean, scale = x[train].mean(0), x[train].std(0) + 1e-9
        model = _model((x[train] - mean) / scale, y[train])
        p[test] = model.predict_proba((x[test] - mean) / scale)[:, 1]
    return p, y, groups


def operating_point(p, y, precision: float = PRECISION) -> float:
    """The lowest probability from which the shown figures are right at least `precision` of the time."""
    import numpy as np

    order = np.argsort(-p, kind="stable")
    right = np.cumsum(y[order])
    shown = np.arange(1, len(order) + 1)
    ok = np.nonzero(right / shown >= precision)[0]
    return float(p[order][ok[-1]]) if len(ok) else 1.0


def best_value_point(p, y, cost: float) -> float:
    """The threshold that shows the figures worth most: +1 a right one, -cost a wrong one."""
    import numpy as np

    order = np.argsort(-p, kind="stable")
    value = np.cumsum(np.where(y[order] == 1, 1.0, -cost))
    best = int(np.argmax(value))
    return float(p[order][best]) if value[best] > 0 else 1.0


def fit(rows: Sequence[dict[str, Any]], precision: float = PRECISION) -> tuple[Decision, dict[str, Any]]:
    """The decision fitted on every row, with its threshold from the out-of-fold probabilities."""
    import numpy as np

    from .evaluate import WRONG_FIGURE_COST

    p, y, groups = out_of_fold(rows)
    threshold = best_value_point(p, y, WRONG_FIGURE_COST)
    at_precision = operating_point(p, y, precision)
    x = np.array([[r[n] for n in NAMES] for r in rows])
    mean, scale = x.mean(0), x.std(0) + 1e-9
    model = _model((x - mean) / scale, y)
    shown = p >= threshold
    report = {
        "rows": len(rows), "documents": len(set(groups)), "right": int(y.sum()),
        "precision_before": round(float(y.mean()), 4),
        "precision_at_threshold": round(float(y[shown].mean()), 4) if shown.any() else None,
        "kept_right": round(float((shown & (y == 1)).sum() / max(y.sum(), 1)), 4),
        "brier_out_of_fold": round(float(np.mean((p - y) ** 2)), 4),
        "threshold_rule": f"most value, a wrong figure costing {WRONG_FIGURE_COST:g} right ones",
        "threshold_at_precision": round(at_precision, 4),
        "kept_right_at_precision": round(float(((p >= at_precision) & (y == 1)).sum() / max(y.sum(), 1)), 4),
        "per_document": {d: {"rows": int((groups == d).sum()),
                             "precision": round(float(y[(groups == d) & shown].mean()), 3) if ((groups == d) & shown).any() else None,
                             "kept_right": round(float(((groups == d) & shown & (y == 1)).sum() / max(((groups == d) & (y == 1)).sum(), 1)), 3)}
                         for d in sorted(set(groups))},
    }
    trained = {"command": "qa train-decision", "precision_target": precision, "folds": f"GroupKFold({FOLDS}) by document",
               **{k: v for k, v in report.items() if k != "per_document"}}
    decision = Decision(NAMES, tuple(round(float(v), 8) for v in mean), tuple(round(float(v), 8) for v in scale),
                        tuple(round(float(v), 8) for v in model.coef_[0]), round(float(model.intercept_[0]), 8),
                        round(threshold, 8), trained)
    return decision, report


def curve(rows: Sequence[dict[str, Any]], path: Path) -> None:
    """Precision against the share of right figures kept, per document and pooled (out of fold)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    p, y, groups = out_of_fold(rows)
    fig, ax = plt.subplots(figsize=(7, 5))
    for d in [*sorted(set(groups)), None]:
        mask = np.ones(len(p), bool) if d is None else groups == d
        order = np.argsort(-p[mask], kind="stable")
        yy = y[mask][order]
        if yy.sum() == 0:
            continue
        prec = np.cumsum(yy) / np.arange(1, len(yy) + 1)
        rec = np.cumsum(yy) / yy.sum()
        ax.plot(rec, prec, lw=2.5 if d is None else 0.6, color="black" if d is None else None, alpha=1 if d is None else 0.5)
    ax.axhline(PRECISION, color="grey", ls="--", lw=0.8)
    ax.set_xlabel("right figures kept (recall)")
    ax.set_ylabel("shown figures right (precision)")
    ax.set_title("leave-documents-out precision/recall, per document (thin) and pooled (black)")
    ax.set_ylim(0.5, 1.01)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(args: argparse.Namespace, settings: Settings) -> int:
    if not args.refit:
        rows = collect(settings, args.work)
        write_rows(rows, args.rows)
    rows = read_rows(args.rows)
    decision, report = fit(rows)
    args.out.write_text(json.dumps(decision.to_json(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{report['rows']} rows from {report['documents']} documents; shown figures right before: "
          f"{report['precision_before']}, at threshold {decision.threshold:.3f} ({report['threshold_rule']}): "
          f"{report['precision_at_threshold']} (right figures kept {report['kept_right']}); precision {PRECISION} "
          f"would need threshold {report['threshold_at_precision']} and keep {report['kept_right_at_precision']} "
          f"of the right figures; Brier (out of fold) {report['brier_out_of_fold']}")
    print("| document | rows | precision | right kept |\n|---|---|---|---|")
    for d, r in report["per_document"].items():
        print(f"| {d} | {r['rows']} | {r['precision']} | {r['kept_right']} |")
    args.work.mkdir(parents=True, exist_ok=True)
    curve(rows, args.work / "decision_pr.png")
    print(f"wrote {args.out} and {args.rows}; curve: {args.work / 'decision_pr.png'}")
    return 0
