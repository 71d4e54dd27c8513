"""What a warm answer costs against the bare sentence-transformers query embedding of the same model.

The measure the issue "Any report" sets: the whole answer (analyse, retrieve, re-rank, verify, the
learned decision, the related questions) as `Assistant.ask` gives it, on the encoder the API uses,
against `SentenceTransformer.encode(question)` on torch, the call a sentence-transformers user
makes, in one process. The two alternate in blocks of distinct questions: a call right after the
other model's runs finds its weights out of the caches (measured 20-30% slower for both), which
says more about the interleaving than about either; alternating blocks keeps load drift shared.

The learned decision's own cost (`decide_shown`: its features and the logistic model) is timed
inside the same answers.

    python -m bench.answer_cost [--questions 120] [--rounds 5] [--encoder onnx-query-int8]
"""
from __future__ import annotations

import argparse
import sys
import time
from typing import Any, Sequence

import numpy as np

from .common import stats

TARGET_RATIO = 0.5  # warm answer p50 / bare query embedding p50
TARGET_DECISION_MS = 1.0


def answer_cost(assistant: Any, st: Any, questions: Sequence[str], rounds: int = 5, block: int = 20,
                progress: bool = True) -> dict[str, Any]:
    """p50/p95 of the warm answer and of the bare embedding over the same questions, their ratio,
    and the decision's cost per answer. `st`: a sentence-transformers SentenceTransformer."""
    import qa.answer as answer_module

    spent: list[float] = []
    decide = answer_module.decide_shown

    def timed_decide(*args: Any, **kwargs: Any) -> Any:
        t = time.perf_counter()
        try:
            return decide(*args, **kwargs)
        finally:
            spent.append((time.perf_counter() - t) * 1000)

    prompt = (getattr(st, "prompts", None) or {}).get("query")
    encode = lambda q: st.encode([q], prompt=prompt, show_progress_bar=False)  # noqa: E731
    questions = list(dict.fromkeys(questions))
    for q in questions[:5]:  # warm up both: lazy imports, first passes, jieba
        assistant.ask(q)
        encode(q)
    ours: list[float] = []
    bare: list[float] = []
    decisions: list[float] = []
    blocks = [questions[i:i + block] for i in range(0, len(questions), block)]
    pc = time.perf_counter
    answer_module.decide_shown = timed_decide
    try:
        for r in range(rounds):
            for b, qs in enumerate(blocks):
                first_ours = (r + b) % 2 == 0  # each side goes first in half the blocks
                for side in ((0, 1) if first_ours else (1, 0)):
                    for q in qs:
                        if side == 0:
                            assistant._query_cache.clear()  # a new question: the model runs
                            spent.clear()
                            t = pc()
                            assistant.ask(q)
                            ours.append((pc() - t) * 1000)
                            decisions.append(sum(spent))
                        else:
                            t = pc()
                            encode(q)
                            bare.append((pc() - t) * 1000)
            if progress:
                print(f"  round {r + 1}/{rounds}: answer p50 {np.median(ours):.1f} ms, "
                      f"bare embedding p50 {np.median(bare):.1f} ms", flush=True)
    finally:
        answer_module.decide_shown = decide
    out = {"questions": len(questions), "rounds": rounds, "block": block,
           "encoder": assistant.settings.encoder, "answer": stats(ours), "bare_embedding": stats(bare),
           "decision": {**stats(decisions), "max": float(np.max(decisions)) if decisions else None}}
    out["ratio"] = out["answer"]["p50"] / out["bare_embedding"]["p50"]
    return out


def cost_table(r: dict[str, Any]) -> str:
    a, e, d = r["answer"], r["bare_embedding"], r["decision"]
    rows = [
        "| measure | p50 | p95 | target |",
        "|---|---|---|---|",
        f"| warm answer, `Assistant.ask` ({r['encoder']}) | {a['p50']:.1f} ms | {a['p95']:.1f} ms | |",
        f"| bare `SentenceTransformer.encode(question)` (torch) | {e['p50']:.1f} ms | {e['p95']:.1f} ms | |",
        f"| answer / bare embedding | **{r['ratio']:.2f}** | | <= {TARGET_RATIO} "
        f"({'met' if r['ratio'] <= TARGET_RATIO else 'missed'}) |",
        f"| the learned decision, per answer (max {d['max']:.2f} ms) | {d['p50']:.3f} ms | {d['p95']:.3f} ms | "
        f"<= {TARGET_DECISION_MS:.0f} ms ({'met' if d['p95'] <= TARGET_DECISION_MS else 'missed'}) |",
    ]
    return "\n".join(rows) + f"\n\n{r['questions']} questions x {r['rounds']} rounds, alternating blocks of {r['block']}."


def main(argv: Sequence[str] | None = None) -> int:
    from qa import Assistant
    from qa.config import Settings
    from qa.embedding import load_model

    from .common import load_gold_items

    p = argparse.ArgumentParser(prog="python -m bench.answer_cost", description=__doc__.split("\n\n")[0])
    p.add_argument("--questions", type=int, default=120)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--encoder", default=None, help="the answer's encoder (default: the setting, QA_ENCODER)")
    args = p.parse_args(argv)
    settings = Settings.from_env()
    if args.encoder:
        settings = settings.with_(encoder=args.encoder)
    assistant = Assistant.load(settings=settings)
    st = load_model(settings.model, settings.model_cache_dir).st
    questions = [it.question for it in load_gold_items(settings)][: args.questions]
    r = answer_cost(assistant, st, questions, rounds=args.rounds)
    print(cost_table(r))
    return 0 if r["ratio"] <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
