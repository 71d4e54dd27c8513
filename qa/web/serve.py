"""`python ui.py` / `qa serve`: load the Assistant, build the page, serve it. The one launch call."""
from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from ..answer import Assistant
from ..config import Settings
from ..errors import QAError
from ..http_api import api_routes
from .app import DEFAULT_CONCURRENCY, DEFAULT_MAX_QUEUE, QABlocks, build_app


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ui.py", description="光谷智能问答 web page / the web page of the report Q&A")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    p.add_argument("--corpus", type=Path, help="folder of documents (default corpus/, env QA_CORPUS_DIR)")
    p.add_argument("--index", type=Path, help="index folder (default index/, env QA_INDEX_DIR)")
    p.add_argument("--model", help="sentence-transformers model name or path (default: packaged e5-small)")
    p.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY, help="answers computed at once")
    p.add_argument("--max-queue", type=int, default=DEFAULT_MAX_QUEUE,
                   help="requests allowed to wait; past that users are told to try again")
    return p


def launch(app: QABlocks, host: str, port: int, routes: list | None = None) -> None:
    """Serve `app` until Ctrl+C (the page's one launch: theme, files and headers come from QABlocks);
    `routes` are served beside it (POST /api/ask, qa/http_api.py)."""
    app.launch(server_name=host, server_port=port, inbrowser=False, share=False, quiet=True,
               app_kwargs={"routes": routes or []})


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logging.getLogger("qa").setLevel(logging.INFO)
    settings = Settings.from_env(corpus_dir=args.corpus, index_dir=args.index, model=args.model)
    print(f"正在准备索引 / preparing the index: {settings.corpus_dir} -> {settings.index_dir}", flush=True)
    t0 = time.perf_counter()
    try:
        assistant = Assistant.load(settings=settings, progress=True)
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
