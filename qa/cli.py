"""The `qa` command: build, ask, chunks, figures, eval, bench, serve. No logic of its own: every
subcommand calls the same Assistant API (or the stage it names) and prints the result."""
from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import Sequence

from .config import Settings
from .errors import QAError, QuestionError


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(
        corpus_dir=getattr(args, "corpus", None),
        index_dir=getattr(args, "index", None),
        model=getattr(args, "model", None),
        encoder=getattr(args, "encoder", None),
        encoder_threads=getattr(args, "encoder_threads", None),
        encoder_lanes=getattr(args, "encoder_lanes", None),
    )


def _assistant(args: argparse.Namespace, progress: bool = True):
    from .answer import Assistant

    return Assistant.load(settings=_settings(args), rebuild=not getattr(args, "no_rebuild", False),
                          force=getattr(args, "force", False), progress=progress)


def cmd_build(args: argparse.Namespace) -> int:
    import time

    if getattr(args, "cluster", None):
        return cmd_build_cluster(args)
    t0 = time.perf_counter()
    a = _assistant(args)
    m = a.index.manifest
    print(f"索引就绪 index ready: {len(a.documents)} documents ({loaded(a.documents)}), {m.n_chunks} chunks, "
          f"faiss={m.faiss_kind}, model={m.model_name} ({time.perf_counter() - t0:.1f}s) -> {a.settings.index_dir}")
    for p in a.problems:
        print(f"warning: {p}", file=sys.stderr)
    # the index was built but could not be written (read-only folder, disk full): `qa build` failed
    return 1 if any("could not save the index" in p for p in a.problems) else 0


def loaded(documents) -> str:
    """How many years and areas the documents cover: 3 years 2019-2021, 1 area (中国)."""
    from .profile import profile_of

    profiles = [profile_of(d) for d in documents]
    years = sorted({p.year for p in profiles if p.year is not None})
    areas = list(dict.fromkeys(p.area for p in profiles if p.area))
    span = (f"{years[0]}" if len(years) == 1 else f"{years[0]}-{years[-1]}") if years else "-"
    shown = "、".join(areas[:3]) + ("…" if len(areas) > 3 else "")
    plural = lambda n, word: f"{n} {word}{'' if n == 1 else 's'}"  # noqa: E731
    return f"{plural(len(years), 'year')} {span}, {plural(len(areas), 'area')}: {shown}"


def cmd_build_cluster(args: argparse.Namespace) -> int:
    import time

    from .cluster.build import build_on_cluster

    s = _settings(args).with_(cluster_cpus=getattr(args, "cpus", None))
    t0 = time.perf_counter()
    r = build_on_cluster(s, args.cluster, force=args.force, actors=args.actors, progress=True)
    m = r.index.manifest
    what = "built on the cluster" if r.built else "already fresh"
    print(f"索引就绪 index ready ({what}): {len(r.index.documents)} documents, {m.n_chunks} chunks, "
          f"faiss={m.faiss_kind}, model={m.model_name}, {r.actors} embedding actors "
          f"({time.perf_counter() - t0:.1f}s: " + ", ".join(f"{k} {v:.1f}s" for k, v in r.seconds.items())
          + f") -> {s.index_dir}")
    for p in r.problems:
        print(f"warning: {p}", file=sys.stderr)
    return 0


STATUS_LABELS = {"figure": "数据 figure", "passage": "原文 passage", "not_found": "未找到 not found",
                 "table": "表格 table"}


def format_answer(answer) -> str:
    lines = [f"[{STATUS_LABELS.get(answer.status, answer.status)}]"]
    if answer.found:
        lines.append(f"答 {answer.text}")
    else:
        lines.append("报告中没有找到这个问题的答案 / the report does not answer this. 可能相关 / possibly related:")
    for note in answer.notes:
        lines.append(f"  ({note})")
    if answer.rows:
        lines.extend(table_lines(answer.rows))
    for i, p in enumerate(answer.passages, 1):
        period = f" [{p.period.label}]" if p.period else ""
        lines.append(f"[{i}] {p.section or p.doc}{period} : {p.text}")
    if answer.related:
        lines.append("相关问题 related: " + " | ".join(answer.related))
    lines.append(f"({answer.elapsed_ms:.0f} ms, {answer.mode})")
    return "\n".join(lines)


TABLE_COLUMNS = ("area", "year", "target", "result", "met", "target_doc", "target_start", "result_doc", "result_start",
                 "note")


def table_cells(r) -> list[str]:
    """One table row as printed: the figures as written, an empty cell's reason, each cell's document and offset."""
    from .table import MISSING_ZH

    met = {True: "达到 met", False: "未达到 missed", None: ""}[r.met]
    target = r.target_text or (f"“{r.note.text}”" if r.note else MISSING_ZH.get(r.target_missing, ""))
    result = r.result_text or MISSING_ZH.get(r.result_missing, "")
    where = [(f.doc, str(f.start)) if f else (r.note.doc, str(r.note.start)) if (f is r.target and r.note) else ("", "")
             for f in (r.target, r.result)]
    note = r.note.text if r.note else ""
    return [r.area, str(r.year), target, result, met, *where[0], *where[1], note]


def table_lines(rows) -> list[str]:
    return ["\t".join(TABLE_COLUMNS[:5])] + ["\t".join(table_cells(r)[:5]) for r in rows]


def _question_text(args: argparse.Namespace) -> str:
    """The question from the arguments or stdin as valid text: bytes that are not UTF-8 (which
    argv carries as lone surrogates, and a strict stdin cannot decode) become U+FFFD."""
    if args.question:
        text = " ".join(args.question)
        try:
            return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        except UnicodeEncodeError:  # a surrogate that no byte made (an in-process caller's)
            return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    stdin = getattr(sys.stdin, "buffer", None)
    return stdin.read().decode("utf-8", "replace") if stdin is not None else sys.stdin.read()


def cmd_ask(args: argparse.Namespace) -> int:
    from .query import validate

    question = _question_text(args)
    try:  # a question that cannot be asked is refused before the model loads or the index is touched
        validate(question, _settings(args).max_question_chars)
    except QuestionError as e:
        print(str(e), file=sys.stderr)
        return 2
    a = _assistant(args, progress=False)
    try:
        answer = a.ask(question, top_k=args.top_k, mode=args.mode, doc=args.doc)
    except QuestionError as e:
        print(str(e), file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(format_answer(answer))
    return 0


def cmd_chunks(args: argparse.Namespace) -> int:
    from .chunking import chunk_document
    from .ingest import load_corpus

    s = _settings(args)
    docs, errors = load_corpus(s.corpus_dir)
    for e in errors:
        print(f"warning: {e}", file=sys.stderr)
    for d in docs:
        if args.doc and d.id != args.doc:
            continue
        for c in chunk_document(d, s.chunk_min, s.chunk_max):
            if args.json:
                from .index import chunk_to_json

                print(json.dumps(chunk_to_json(c), ensure_ascii=False))
            else:
                period = c.period.label if c.period else "-"
                print(f"{c.id}\t{c.start}-{c.end}\t{period}\t{c.section or '-'}\t{c.text}")
    return 0


FIGURE_COLUMNS = ("doc", "period", "section", "subject", "indicator", "aspect", "scope", "text", "value", "unit", "kind",
                  "qualifier", "base_value", "base_unit", "start", "end")
INDICATOR_COLUMNS = ("indicator", "aspect", "period", "value", "doc", "start", "sentence")


def cmd_figures(args: argparse.Namespace) -> int:
    from .chunking import chunk_document
    from .ingest import load_corpus
    from .types import Period

    s = _settings(args)
    docs, _ = load_corpus(s.corpus_dir)
    period = Period.parse(args.period) if args.period else None
    figures = [f for d in docs if not args.doc or d.id == args.doc
               for c in chunk_document(d, s.chunk_min, s.chunk_max) for f in c.figures
               if period is None or f.period == period]
    if args.table:
        return _print_table(args, figures, {d.id: d for d in docs})
    if args.indicators:
        return _print_indicators(args, figures, {d.id: d for d in docs})
    return _emit(args, figures, FIGURE_COLUMNS, _figure_cells)


def _figure_cells(f) -> list:
    row = f.to_dict()
    row["period"] = f.period.label if f.period else ""
    return [row[k] if row[k] is not None else "" for k in FIGURE_COLUMNS]


def _emit(args: argparse.Namespace, items, columns, cells) -> int:
    """Rows as JSON (--json: each item's to_dict), else CSV (--csv) or TSV under a header."""
    if args.json:
        print(json.dumps([x.to_dict() for x in items], ensure_ascii=False, indent=1))
        return 0
    writer = csv.writer(sys.stdout, delimiter="," if args.csv else "\t")
    writer.writerow(columns)
    for x in items:
        writer.writerow(cells(x))
    return 0


def _print_indicators(args: argparse.Namespace, figures, documents) -> int:
    """The key indicators table: one row per indicator, aspect and period (2023年实绩 / 2024年目标)."""
    from .resolve import key_indicators

    return _emit(args, key_indicators(figures, documents), INDICATOR_COLUMNS, lambda r: [
        r.indicator, r.aspect, r.period.label if r.period else "", r.figure.text, r.figure.doc, r.figure.start,
        r.sentence])


def _print_table(args: argparse.Namespace, figures, documents) -> int:
    """An indicator across years and areas (qa/table.py): a row per area and year, target and result."""
    from . import table as tables
    from .table_query import TableRequest

    named = tables.indicator_and_aspect(args.table)
    if named is None:
        print(f"错误 error: 未知指标 / unknown indicator {args.table!r}", file=sys.stderr)
        return 2
    source = tables.source_of(figures, documents)
    request = TableRequest(named[0], named[1], tables.areas_named(args.area, source) if args.area else None,
                                  tuple(args.year) if args.year else None, over=("years", "areas"))
    return _emit(args, tables.build_table(request, source), TABLE_COLUMNS, table_cells)


def cmd_eval(args: argparse.Namespace) -> int:
    if args.each:
        return cmd_eval_each(args)
    from .evaluate import main as eval_main

    return eval_main(args, _settings(args))


def cmd_eval_each(args: argparse.Namespace) -> int:
    """Each gold document alone in its own corpus; per document, level and document split."""
    from .eval_each import evaluate_each, write_report

    s = _settings(args)
    results = evaluate_each(s.corpus_dir, args.out / "work", s, args.docs, tuple(args.doc or ()))
    text = write_report(args.out, results)
    print(text.split("## By document\n")[0])
    print(f"report: {args.out / 'report.md'}, chart: {args.out / 'report.png'}")
    return 0


def cmd_train_decision(args: argparse.Namespace) -> int:
    from .train_decision import main as train_main

    return train_main(args, _settings(args))


def cmd_bench(args: argparse.Namespace) -> int:
    from .bench import main as bench_main

    return bench_main(args, _settings(args))


def cmd_serve(args: argparse.Namespace) -> int:
    if args.cluster:
        return cmd_serve_cluster(args)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import ui

    return ui.main(["--host", args.host, "--port", str(args.port)]
                   + (["--corpus", str(args.corpus)] if args.corpus else [])
                   + (["--index", str(args.index)] if args.index else [])
                   + (["--model", str(args.model)] if args.model else [])
                   + [f"--{flag.replace('_', '-')}={getattr(args, flag)}"
                      for flag in ("encoder", "encoder_threads", "encoder_lanes") if getattr(args, flag, None) is not None])


def cmd_feedback(args: argparse.Namespace) -> int:
    from .feedback import FeedbackStore

    path = args.path or _settings(args).feedback_path
    store = FeedbackStore(path)
    if args.export == "csv":
        store.export_csv(sys.stdout)
        return 0
    rows = store.rows()
    ups = sum(r.rating == "up" for r in rows)
    print(f"{len(rows)} 条反馈 ratings in {path}: 👍 {ups}, 👎 {len(rows) - ups}, "
          f"{sum(bool(r.comment) for r in rows)} 条意见 with a comment")
    return 0


def cmd_serve_cluster(args: argparse.Namespace) -> int:
    import time

    from .cluster.serve import serve_on_cluster, stop

    s = _settings(args).with_(cluster_cpus=args.cpus, replicas=args.replicas)
    url = serve_on_cluster(s, args.cluster, s.replicas, args.host, args.port)
    print(f"Ray Serve: {s.replicas} Assistant replicas; open {url}  (Ctrl+C 退出 / to stop)", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        stop()
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="qa", description="光谷智能问答: cited answers from government work reports")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--corpus", type=Path, help="folder of documents (default corpus/, env QA_CORPUS_DIR)")
    common.add_argument("--index", type=Path, help="index folder (default index/, env QA_INDEX_DIR)")
    common.add_argument("--model", help="sentence-transformers model name or path (default: packaged e5-small)")
    common.add_argument("--encoder", choices=("torch", "onnx", "onnx-int8", "onnx-query-int8"),
                        help="what runs the model (default onnx-query-int8, env QA_ENCODER); the index is rebuilt for "
                             "another (onnx-query-int8 and onnx read the same index)")
    common.add_argument("--encoder-threads", type=int, help="threads of one ONNX pass (0: one per core; env QA_ENCODER_THREADS)")
    common.add_argument("--encoder-lanes", type=int, help="ONNX passes at once (0: one per core; env QA_ENCODER_LANES)")
    sub = p.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", parents=[common], help="build or refresh the index")
    b.add_argument("--force", action="store_true", help="rebuild even if the index is fresh")
    b.add_argument("--cluster", metavar="local|auto|ADDRESS",
                   help="build on Ray: chunk per document as tasks, embed on an actor pool (needs .[cluster])")
    b.add_argument("--actors", type=int, help="with --cluster: embedding actors (default: the cluster's CPUs)")
    b.add_argument("--cpus", type=float, help="with --cluster: CPUs per embedding actor (default 1)")
    b.set_defaults(func=cmd_build)

    a = sub.add_parser("ask", parents=[common], help="ask a question")
    a.add_argument("question", nargs="*", help="the question (read from stdin when absent)")
    a.add_argument("--top-k", type=int, default=None)
    a.add_argument("--mode", choices=("hybrid", "dense", "bm25"), default=None)
    a.add_argument("--doc", help="only this document")
    a.add_argument("--json", action="store_true", help="print answer.to_dict() as JSON")
    a.add_argument("--no-rebuild", action="store_true", help="fail with a message if the index is stale")
    a.set_defaults(func=cmd_ask)

    c = sub.add_parser("chunks", parents=[common], help="print the chunks of the corpus")
    c.add_argument("--doc")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_chunks)

    f = sub.add_parser("figures", parents=[common], help="export the table of figures")
    f.add_argument("--doc")
    f.add_argument("--period", help="e.g. 2023年实绩 or 2024年目标")
    f.add_argument("--indicators", action="store_true", help="the key indicators table: indicator x period")
    f.add_argument("--table", metavar="INDICATOR",
                   help="one indicator across years and areas, e.g. 国内生产总值增速: target and result per area and year")
    f.add_argument("--area", action="append", help="with --table: only this area (repeatable), e.g. 广东")
    f.add_argument("--year", action="append", type=int, help="with --table: only this year (repeatable)")
    fmt = f.add_mutually_exclusive_group()
    fmt.add_argument("--csv", action="store_true")
    fmt.add_argument("--json", action="store_true")
    f.set_defaults(func=cmd_figures)

    e = sub.add_parser("eval", parents=[common], help="evaluate against the gold Q&A")
    e.add_argument("--gold", type=Path, help="gold JSONL (default: corpus/gold/*.jsonl)")
    e.add_argument("--mode", default="all", help="hybrid|dense|bm25|all")
    e.add_argument("--top-k", type=int, default=10)
    e.add_argument("--split", default="all", help="tune|heldout|all")
    e.add_argument("--limit", type=int, default=None, help="only the first N questions")
    e.add_argument("--out", type=Path, default=Path("artifacts/eval"))
    e.add_argument("--tune", nargs="?", const="fusion", choices=("fusion", "abstention", "verify"),
                   help="grid-search one group of settings on the tune split first (default: fusion)")
    e.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a setting, e.g. --set fusion=weighted")
    e.add_argument("--each", action="store_true",
                   help="each gold document alone in its own corpus (e.g. --corpus corpus/reports); per document and level")
    e.add_argument("--docs", default="tune", choices=("tune", "heldout", "all"),
                   help="with --each: which documents of the corpus's split.tsv (default tune; held out only at the end)")
    e.add_argument("--doc", action="append", help="with --each: only this document (repeatable)")
    e.set_defaults(func=cmd_eval)

    from .train_decision import ROWS
    from .decide import DECISION

    td = sub.add_parser("train-decision", parents=[common],
                        help="learn when a figure is shown, from the tune documents' gold (qa/data/decision.json)")
    td.add_argument("--out", type=Path, default=DECISION)
    td.add_argument("--rows", type=Path, default=ROWS, help="the training rows (written, then fitted)")
    td.add_argument("--work", type=Path, default=Path("artifacts/train-decision"), help="indexes and the PR curve")
    td.add_argument("--refit", action="store_true", help="fit the rows already collected, without running the gold")
    td.set_defaults(func=cmd_train_decision)

    be = sub.add_parser("bench", parents=[common], help="speed, memory and scale benchmarks")
    be.add_argument("--out", type=Path, default=Path("artifacts/bench"))
    be.add_argument("--quick", action="store_true", help="small sizes only")
    be.add_argument("--no-peer", action="store_true", help="skip the LangChain peer")
    be.add_argument("--scale", default="10000,100000,1000000", help="synthetic corpus sizes")
    be.add_argument("--profile", action="store_true", help="pyinstrument profiles of hybrid queries into --out")
    be.add_argument("--ann", default="flat,hnsw,ivf", help="FAISS index types measured at each scale size")
    be.set_defaults(func=cmd_bench)

    s = sub.add_parser("serve", parents=[common], help="start the web page")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=7860)
    s.add_argument("--cluster", metavar="local|auto|ADDRESS", help="serve with Ray Serve (needs .[cluster])")
    s.add_argument("--replicas", type=int, help="with --cluster: Assistant replicas (default 1)")
    s.add_argument("--cpus", type=float, help="with --cluster: CPUs per replica (default 1)")
    s.set_defaults(func=cmd_serve)

    fb = sub.add_parser("feedback", help="residents' ratings of answers (the page's 👍/👎)")
    fb.add_argument("--export", choices=("csv",), help="print every rating as CSV")
    fb.add_argument("--path", type=Path, help="the SQLite file (default feedback/feedback.sqlite3, env QA_FEEDBACK_PATH)")
    fb.set_defaults(func=cmd_feedback)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except QAError as e:
        print(f"错误 error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
