"""光谷智能问答 — the web page.

    python ui.py [--host 127.0.0.1] [--port 7860] [--corpus DIR] [--index DIR] [--model NAME]

A thin entry point: the page lives in the package `qa.web` (layout and events in qa/web/app.py,
rendering in qa/web/render.py, static/page.css and page.js). `build_app(assistant)` returns the
Gradio Blocks for any Assistant (a Ray replica builds its own).
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from qa.web.serve import build_parser, main  # noqa: E402

__all__ = ["build_app", "build_parser", "main"]


def __getattr__(name: str):
    if name == "build_app":  # imports Gradio: `python ui.py` imports it beside loading the index (qa/web/serve.py)
        from qa.web.app import build_app

        return build_app
    raise AttributeError(name)

if __name__ == "__main__":
    sys.exit(main())
