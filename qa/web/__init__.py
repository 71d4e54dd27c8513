"""The web page (Gradio) over `qa.Assistant`.

    labels.py   every word the page writes, zh and en
    render.py   an answer as HTML and as plain text (pure)
    source.py   the 原文 tab and the 数据 tab's rows (pure)
    handlers.py what happens when a resident asks, rates, clears, reloads
    app.py      layout and events; static/page.css and static/page.js
    security.py security headers
    serve.py    `python ui.py` / `qa serve`

Importing this package does not import Gradio; `build_app` and `main` do, when first used.
"""
from __future__ import annotations

from typing import Any

__all__ = ["build_app", "build_parser", "main", "DEFAULT_CONCURRENCY", "DEFAULT_MAX_QUEUE"]

DEFAULT_CONCURRENCY = 4  # answers at once (the machine has 2 cores; an answer takes milliseconds)
DEFAULT_MAX_QUEUE = 32  # waiting past this, a user is told the service is busy instead of waiting forever


def __getattr__(name: str) -> Any:
    if name == "build_app":
        from .app import build_app

        return build_app
    if name in ("main", "build_parser"):
        from . import serve

        return getattr(serve, name)
    raise AttributeError(name)
