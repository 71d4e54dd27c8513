"""A lean JSON endpoint beside the page: POST /api/ask {"question", "top_k", "mode", "context"} -> the answer.

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
from typing import Any

from .errors import QuestionError

MODES = ("hybrid", "dense", "bm25")
BUSY = {"error": "系统繁忙,请稍后再试 / the service is busy, please try again", "error_zh": "系统繁忙,请稍后再试",
        "error_en": "the service is busy, please try again"}


def _error(zh: str, en: str) -> dict[str, str]:
    return {"error": f"{zh} / {en}", "error_zh": zh, "error_en": en}


def parse_request(body: bytes, max_top_k: int = 50) -> tuple[str, int, str, str | list[str] | None]:
    """(question, top_k, mode, context) from a JSON body, or QuestionError with a bilingual message.
    `context` is what a follow-up leans on, as for the page's /ask: the previous question, or the
    conversation's earlier questions, oldest first (a third question after 那增速呢 still knows GDP)."""
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
    return data["question"], top_k, mode, context


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

    def answer(question: str, top_k: int, mode: str, context: str | list[str] | None) -> bytes:
        # the JSON is made in the worker too: the event loop only moves bytes (an answer is ~20 kB)
        return body(assistant.ask(question, top_k=top_k, mode=mode, context=context).to_dict())

    async def ask(request: Request) -> Response:
        try:
            question, top_k, mode, context = parse_request(await request.body())
        except QuestionError as e:
            return reply(_error(e.zh, e.en), 400)
        with lock:
            if max_queue is not None and waiting[0] >= max_queue + concurrency:
                return reply(BUSY, 503)
            waiting[0] += 1
        try:
            if not limiter:
                limiter.append(anyio.CapacityLimiter(max(1, concurrency)))
            data = await anyio.to_thread.run_sync(answer, question, top_k, mode, context, limiter=limiter[0])
        except QuestionError as e:
            return reply(_error(e.zh, e.en), 400)
        finally:
            with lock:
                waiting[0] -= 1
        return reply(data)

    return [Route("/api/ask", ask, methods=["POST"])]
