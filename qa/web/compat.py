"""The one place that reads Answer fields and Assistant.ask arguments still being added on main
(`status`, `query`, `related`, `context=`). Once they are on main, this module shrinks to nothing."""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

from ..types import Answer


@dataclass(frozen=True)
class AnswerState:
    status: str  # "figure" | "passage" | "not_found"
    query: Any  # the frozen Query the answer used, or None
    related: tuple[str, ...]


def answer_state(answer: Answer) -> AnswerState:
    status = getattr(answer, "status", None)
    if status not in ("figure", "passage", "not_found"):
        status = ("figure" if answer.figures else "passage") if answer.found else "not_found"
    related = tuple(str(q) for q in (getattr(answer, "related", ()) or ()) if q)
    return AnswerState(status, getattr(answer, "query", None), related)


def ask(assistant: Any, question: str, top_k: int, mode: str, doc: str | None, context: Any = None) -> Answer:
    """`assistant.ask`, with the previous question's context where the Assistant takes one."""
    try:
        takes_context = "context" in inspect.signature(assistant.ask).parameters
    except (TypeError, ValueError):
        takes_context = False
    if takes_context or context is not None and _takes_kwargs(assistant.ask):
        return assistant.ask(question, top_k=top_k, mode=mode, doc=doc, context=context)
    return assistant.ask(question, top_k=top_k, mode=mode, doc=doc)


def _takes_kwargs(fn: Any) -> bool:
    try:
        return any(p.kind is p.VAR_KEYWORD for p in inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return False
