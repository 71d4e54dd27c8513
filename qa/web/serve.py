"""`python ui.py` / `qa serve`: load the Assistant, build the page, serve it. The one launch call.

Importing Gradio takes ~2 s (its components, FastAPI, pandas) and loading the Assistant ~1.2 s, so
they run side by side: the Assistant in a thread while the main thread imports Gradio (the model's
session, file reads and numpy release the GIL). This module imports Gradio only inside `main`.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from ..answer import Assistant
from ..config import SERVER_DEFAULTS, Settings
from ..errors import QAError
from ..http_api import api_routes
from . import DEFAULT_CONCURRENCY, DEFAULT_MAX_QUEUE

if TYPE_CHECKING:
    from .app import QABlocks


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ui.py", description="光谷智能问答 web page / the web page of the report Q&A")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    p.add_argument("--corpus", type=Path, help="folder of documents (default corpus/, env QA_CORPUS_DIR)")
    p.add_argument("--index", type=Path, help="index folder (default index/, env QA_INDEX_DIR)")
    p.add_argument("--model", help="sentence-transformers model name or path (default: packaged e5-small)")
    p.add_argument("--encoder", choices=("torch", "onnx", "onnx-int8", "onnx-query-int8"),
                   help=f"what runs the model (default {Settings.encoder}, env QA_ENCODER)")
    p.add_argument("--encoder-threads", type=int,
                   help=f"threads of one ONNX pass (default {SERVER_DEFAULTS['encoder_threads']}, 0: one per core)")
    p.add_argument("--encoder-lanes", type=int, help="ONNX passes at once (default 0: one per core)")
    p.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY, help="answers computed at once")
    p.add_argument("--max-queue", type=int, default=DEFAULT_MAX_QUEUE,
                   help="requests allowed to wait; past that users are told to try again")
    return p


def server_settings(args: argparse.Namespace) -> Settings:
    """The settings a server runs with: SERVER_DEFAULTS (the threads that serve most answers per
    core), then QA_* variables, then flags."""
    return Settings.from_env(SERVER_DEFAULTS, corpus_dir=args.corpus, index_dir=args.index, model=args.model,
                             encoder=args.encoder, encoder_threads=args.encoder_threads,
                             encoder_lanes=args.encoder_lanes)


def launch(app: QABlocks, host: str, port: int, routes: list | None = None) -> None:
    """Serve `app` until Ctrl+C (the page's one launch: theme, files and headers come from QABlocks);
    `routes` are served beside it (POST /api/ask, qa/http_api.py)."""
    app.launch(server_name=host, server_port=port, inbrowser=False, share=False, quiet=True,
               app_kwargs={"routes": routes or []})


def _load(settings: Settings) -> Assistant:
    assistant = Assistant.load(settings=settings, progress=True)
    try:
        import matplotlib  # noqa: F401 - what the first question would otherwise import (see main)
    except ImportError:
        pass
    return assistant


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # the handler prints INFO and up: bm25s sets its own logger to DEBUG when imported, so a handler with
    # no level would print "Building index from tokens" for each BM25 index. onnxruntime's quantiser
    # logs a hint to pre-process the graph on the root logger when the question encoder is made
    # (qa/query_int8.py quantises the graph as exported, on purpose)
    shown = logging.StreamHandler()
    shown.setLevel(logging.INFO)
    logging.basicConfig(level=logging.WARNING, format="%(message)s", handlers=[shown])
    logging.getLogger("qa").setLevel(logging.INFO)
    logging.getLogger().addFilter(lambda r: not r.getMessage().startswith("Please consider to run pre-processing"))
    settings = server_settings(args)
    print(f"正在准备索引 / preparing the index: {settings.corpus_dir} -> {settings.index_dir}", flush=True)
    t0 = time.perf_counter()
    # Gradio wraps every call in "switch matplotlib to agg, then back": with the backend left to
    # matplotlib, the first question imports pyplot to resolve it (~1 s); named here, it is a no-op
    os.environ.setdefault("MPLBACKEND", "agg")
    # the first start converts and exports the model (qa/embedding.py, qa/onnx_encoder.py), each step
    # logged with its time; transformers' own "Loading weights" / "Writing model shards" bars are noise
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    pool = ThreadPoolExecutor(1, thread_name_prefix="qa-load")
    pending = pool.submit(_load, settings)
    pool.shutdown(wait=False)
    from .app import build_app  # Gradio, imported while the index and the model load

    try:
        assistant = pending.result()
    except QAError as e:
        print(f"错误 / error: {e}", file=sys.stderr)
        return 1
    print(f"索引就绪 / index ready: {len(assistant.documents)} 份文档 documents, "
          f"{len(getattr(assistant.index, 'chunks', ()))} 段 chunks ({time.perf_counter() - t0:.1f}s)", flush=True)
    for problem in assistant.problems:
        print(f"警告 / warning: {problem}", file=sys.stderr)
    app = build_app(assistant, concurrency=args.concurrency, max_queue=args.max_queue)
    host = "127.0.0.1" if args.host in ("0.0.0.0", "::", "") else args.host
    print(f"请在浏览器中打开 / open in a browser: http://{host}:{args.port}  (Ctrl+C 退出 / to stop)", flush=True)
    try:
        # POST /api/ask: the same answers as JSON without Gradio's per-request cost (qa/http_api.py)
        launch(app, args.host, args.port, api_routes(assistant, args.concurrency, args.max_queue))
    except OSError as e:
        print(f"无法启动服务 / cannot start the server on {args.host}:{args.port}: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0
