"""Security headers on every response of the page's server.

A raw ASGI middleware rather than Starlette's BaseHTTPMiddleware: it only adds headers to
`http.response.start`, so Gradio's event streams (SSE) pass through unbuffered.

The Content-Security-Policy is as tight as Gradio's own page allows: Gradio writes its config and
start-up code as inline scripts, Svelte sets inline styles, and Gradio 6's gr.HTML renders its
template through `Function(...)`, so 'unsafe-inline' and 'unsafe-eval' stay for those (the page's
own defence against injected markup is escaping, tested in tests/test_web_render.py). What the
policy does enforce: every script, style, image, font and connection from this origin only (an
injected script could not load code or send data elsewhere), nothing may frame the page, and no
plugin, form target or base URL can point elsewhere.
"""
from __future__ import annotations

from typing import Any, Awaitable, Callable

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "media-src 'self' blob:",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'self'",
])

HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"SAMEORIGIN"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
)

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]


class SecurityHeaders:
    """ASGI middleware: adds HEADERS to each HTTP response that does not already set them."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: dict) -> None:
            if message.get("type") == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers.extend((k, v) for k, v in HEADERS if k not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
