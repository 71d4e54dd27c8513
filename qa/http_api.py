"""A lean JSON endpoint beside the page: POST /api/ask {"question", "top_k", "mode", "context", "doc"} -> the
answer, and GET /api/documents -> the loaded reports (what the page's documents panel lists).

Why: under 20 clients, ~85% of the server's time per request through Gradio's queue (/gradio_api/call/ask)
went to Gradio itself, not to answering: a session state built from the config of every block of
the page for each new caller (~20%), a walk over the whole answer looking for files to rewrite
(~24%), signature inspection per call, SSE plumbing (profile: README, Benchmarks). This route runs
the same `Assistant.ask` with none of that: the body is parsed, the answer computed in a worker
thread (at most `concurrency` at once, at most `max_queue` waiting, past that 503 busy, as the
page's queue promises) and returned as JSON. The Gradio endpoint stays for gradio_client users.

Mounted through the FastAPI app Gradio creates: `blocks.launch(app_kwargs={"routes": api_routes(a)})`.
"""
from __future__ import annotations

import json
import threading
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from .errors import QuestionError
from .profile import profile_of
from .types import Document

MODES = ("hybrid", "dense", "bm25")
BUSY = {"error": "系统繁忙,请稍后再试 / the service is busy, please try again", "error_zh": "系统繁忙,请稍后再试",
        "error_en": "the service is busy, please try again"}
_SHOWN_ID = 80  # characters of an unknown document id echoed in the error


def _error(zh: str, en: str) -> dict[str, str]:
    return {"error": f"{zh} / {en}", "error_zh": zh, "error_en": en}


@dataclass(frozen=True)
class AskRequest:
    """What POST /api/ask asks: the arguments of `Assistant.ask`, checked."""

    question: str
    top_k: int = 5
    mode: str = "hybrid"
    context: str | list[str] | None = None  # the previous question, or the earlier ones oldest first
    doc: str | None = None  # one loaded document's id: the question is asked of that report only


def parse_request(body: bytes, max_top_k: int = 50, documents: Collection[str] | None = None) -> AskRequest:
    """The request in a JSON body, or QuestionError with a bilingual message.
    `context` is what a follow-up leans on, as for the page's /ask: the previous question, or the
    conversation's earlier questions, oldest first (a third question after 那增速呢 still knows GDP).
    `doc` limits the question to one report, as the page's 文档范围 does; it must be one of `documents`
    (the loaded ids), because `Assistant.ask` quietly answers from every report for an id it does not
    know, and a caller who asked about one report must not get another's figure as if it were that one's."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise QuestionError("请求不是有效的 JSON", f"the request body is not valid JSON: {e}") from e
    if not isinstance(data, dict) or not isinstance(data.get("question"), str):
        raise QuestionError('请求须为 {"question": "..."}', 'the body must be {"question": "..."}')
    top_k = data.get("top_k", 5)
    if not isinstance(top_k, int) or isinstance(top_k, bool) or not 1 <= top_k <= max_top_k:
        raise QuestionError(f"top_k 须为 1 到 {max_top_k} 的整数", f"top_k must be an integer from 1 to {max_top_k}")
    mode = data.get("mode", "hybrid")
    if mode not in MODES:
        raise QuestionError(f"mode 须为 {'/'.join(MODES)} 之一", f"mode must be one of {', '.join(MODES)}")
    context = data.get("context")
    if isinstance(context, list) and all(isinstance(c, str) for c in context) and len(context) <= 20:
        context = context or None
    elif context is not None and not isinstance(context, str):
        raise QuestionError("context 须为上一个问题（文字）或此前问题的列表",
                            "context must be the previous question (text) or a list of the earlier questions")
    return AskRequest(data["question"], top_k, mode, context, _doc_of(data.get("doc"), documents))


def _doc_of(doc: object, documents: Collection[str] | None) -> str | None:
    if doc is None:
        return None
    if not isinstance(doc, str):
        raise QuestionError("doc 须为已载入报告的 id（文字）", "doc must be the id (text) of a loaded document")
    if documents is not None and doc not in documents:
        shown = doc if len(doc) <= _SHOWN_ID else doc[:_SHOWN_ID] + "…"
        raise QuestionError(f"没有载入这份报告：{shown}（GET /api/documents 列出已载入的报告）",
                            f"no loaded document {shown!r} (GET /api/documents lists them)")
    return doc


def document_entry(doc: Document) -> dict[str, Any]:
    """One loaded report as JSON: its id, title and date, and its profile (`profile_of`, which the page's
    documents panel reads too: area, year, issuer), with the names a question may call its area by and its
    parts' periods. Made here, at the edge: qa/profile.py is part of the index's fingerprint, and a change
    there would rebuild every index."""
    p = profile_of(doc)
    return {"id": doc.id, "title": doc.title, "date": doc.date, "issuer": p.issuer, "area": p.area, "level": p.level,
            "year": p.year, "forms": list(p.forms),
            "parts": [{"heading": h, "period": period.to_json() if period else None} for h, period in p.parts]}


def documents_of(documents: Iterable[Document]) -> dict[str, Any]:
    """The loaded reports as GET /api/documents returns them, in the page's order (`document_entry`), then
    the years and areas they cover (what the panel's count line counts)."""
    entries = [document_entry(d) for d in documents]
    return {"count": len(entries), "years": sorted({e["year"] for e in entries if e["year"] is not None}),
            "areas": list(dict.fromkeys(e["area"] for e in entries if e["area"])), "documents": entries}


def api_routes(assistant: Any, concurrency: int = 4, max_queue: int | None = 32) -> list[Any]:
    """The routes to hand to FastAPI (Gradio's `launch(app_kwargs={"routes": ...})`)."""
    import anyio
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    limiter: list[Any] = []  # created on the server's event loop, at the first request
    waiting = [0]
    lock = threading.Lock()

    def body(data: dict[str, Any]) -> bytes:
        return json.dumps(data, ensure_ascii=False).encode("utf-8")

    def reply(data: dict[str, Any] | bytes, status: int = 200) -> Response:
        return Response(data if isinstance(data, bytes) else body(data), status_code=status,
                        media_type="application/json; charset=utf-8")

    def answer(asked: AskRequest) -> bytes:
        # the JSON is made in the worker too: the event loop only moves bytes (an answer is ~20 kB)
        return body(assistant.ask(asked.question, top_k=asked.top_k, mode=asked.mode, doc=asked.doc,
                                  context=asked.context).to_dict())

    listed: list[bytes] = []  # the documents do not change while the server runs: made once

    async def documents(request: Request) -> Response:
        if not listed:
            listed.append(body(documents_of(assistant.documents)))
        return reply(listed[0])

    async def ask(request: Request) -> Response:
        try:
            asked = parse_request(await request.body(), documents=assistant.index.documents)
        except QuestionError as e:
            return reply(_error(e.zh, e.en), 400)
        with lock:
            if max_queue is not None and waiting[0] >= max_queue + concurrency:
                return reply(BUSY, 503)
            waiting[0] += 1
        try:
            if not limiter:
                limiter.append(anyio.CapacityLimiter(max(1, concurrency)))
            data = await anyio.to_thread.run_sync(answer, asked, limiter=limiter[0])
        except QuestionError as e:
            return reply(_error(e.zh, e.en), 400)
        finally:
            with lock:
                waiting[0] -= 1
        return reply(data)

    return [Route("/api/ask", ask, methods=["POST"]), Route("/api/documents", documents, methods=["GET"])]
