"""What the page does when a resident acts: ask, rate, comment, clear, reload, search the figures.

The handlers hold no Gradio layout; each takes plain values and returns plain values (or
`gr.update`s), so the wiring in `app.py` stays a list of events. A session's conversation is a list
of `Turn`s, kept per browser session in `gr.State` and mirrored into the browser's localStorage
(`gr.BrowserState`) so it survives a reload; the previous answer's `Query` is kept beside it as the
context of a follow-up question (那去年呢？).
"""
from __future__ import annotations

import json
import logging
import sqlite3
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from ..errors import QuestionError
from ..feedback import FeedbackStore
from ..types import Figure
from .labels import MODES, lang_of, t
from .render import esc, render_answer, render_error, render_question
from .source import figure_rows, render_figure_table
from .table_view import chart_spec, plot_of, render_table, table_choices

log = logging.getLogger("qa.ui")

MAX_TURNS = 20  # questions and answers kept on the page and in the browser (40 chat messages)


@dataclass(frozen=True)
class Turn:
    question: str
    html: str  # the answer as rendered when it was given
    status: str  # figure | passage | not_found | error
    top: str = ""  # chunk id of the first cited passage
    feedback: int | None = None  # id of this answer's rating in the feedback store
    chart: str = ""  # a table answer's chart (Vega-Lite JSON, qa/web/table_view.py), drawn under the chat


def turns_of(data: Any) -> list[Turn]:
    """Turns from session or browser storage; anything malformed (an old format, edits by hand) is dropped."""
    names = {f.name for f in fields(Turn)}
    out = []
    for item in data if isinstance(data, list) else []:
        if isinstance(item, dict) and isinstance(item.get("question"), str) and isinstance(item.get("html"), str):
            try:
                out.append(Turn(**{k: v for k, v in item.items() if k in names}))
            except TypeError:
                continue
    return out[-MAX_TURNS:]


def messages_of(turns: list[Turn]) -> list[dict[str, str]]:
    out = []
    for turn in turns:
        out.append({"role": "user", "content": render_question(turn.question)})
        out.append({"role": "assistant", "content": turn.html})
    return out


def dump(turns: list[Turn]) -> list[dict[str, Any]]:
    return [asdict(x) for x in turns]


class Handlers:
    def __init__(self, assistant: Any, feedback: FeedbackStore | None = None, aliases: Any = None) -> None:
        self.assistant = assistant
        self.settings = assistant.settings
        self.docs = {d.id: d for d in assistant.documents}
        self.figures: list[Figure] = assistant.figures()
        self.feedback = feedback
        self.aliases = aliases

    # --- asking ---

    def pending(self, question: Any, turns: Any, english: Any):
        """The chat with the question shown at once and the page's own pending state under it, while the
        answer is computed (the box's Enter and 发送 run this first, without the queue). An empty box
        changes nothing: page.js shows its hint inline."""
        history = turns_of(turns)
        messages = messages_of(history)
        if isinstance(question, str) and question.strip():
            lang = lang_of(english)
            messages += [{"role": "user", "content": render_question(question)},
                         {"role": "assistant", "content": f'<div class="qa-pending" role="status">'
                                                          f'<span class="qa-dots" aria-hidden="true"></span>'
                                                          f'{esc(t(lang, "pending"))}</div>'}]
        return messages

    def respond(self, question: Any, turns: Any, context: Any, top_k: Any, mode: Any, doc: Any, english: Any):
        """One question from the page: (question box, chat, turns, context, browser copy of turns)."""
        lang = lang_of(english)
        history = turns_of(turns)
        question = question if isinstance(question, str) else ""
        if not question.strip():  # Enter on an empty box: nothing to do
            return "", messages_of(history), dump(history), context, dump(history)
        status, top, new_context, chart = "error", "", context, ""
        try:
            answer = self.assistant.ask(question, top_k=int(top_k or 5), mode=mode if mode in MODES else "hybrid",
                                        doc=doc or None, context=context)
            if lang == "en" and answer.query is not None and not answer.query.is_english:
                answer = replace(answer, related=self._related_en(answer))  # chips in the page's language
            html = render_answer(answer, lang, self.docs, self.settings.contact_line)
            status, top = answer.status, (answer.passages[0].chunk_id if answer.passages else "")
            new_context = answer.query if answer.query is not None else question
            chart = json.dumps(spec, ensure_ascii=False) if (spec := chart_spec(answer.rows, lang)) else ""
        except QuestionError as e:
            html = render_error(e.en if lang == "en" else e.zh, lang)
        except Exception:  # noqa: BLE001 - the page must answer something
            log.exception("answering %s failed", repr(question[:200]) if self.settings.log_questions
                          else f"a question of {len(question)} characters")  # questions are not logged by default
            html = render_error(t(lang, "internal"), lang)
        history = (history + [Turn(question, html, status, top, chart=chart)])[-MAX_TURNS:]
        return "", messages_of(history), dump(history), new_context, dump(history)

    def _related_en(self, answer: Any) -> tuple[str, ...]:
        from ..related import starters, suggest
        from ..understand import UNCLEAR

        if UNCLEAR in answer.notes:
            return starters(self.assistant, lang="en")
        return suggest(self.assistant, answer, "en")

    def api(self, question: str, top_k: int = 5, mode: str = "hybrid", context: str | None = None) -> dict:
        """Answer a question from the report. Returns the answer as JSON: found, status, text (the
        direct answer), figures, passages (each with section, period, paragraph), related, notes,
        elapsed_ms; or, for a question that cannot be asked, {"error": "<中文> / <English>",
        "error_zh", "error_en"}. `context`: the previous question, for follow-ups like 那去年呢？"""
        try:
            if mode not in MODES:
                raise QuestionError(f"检索方式无效:{mode}(可选 hybrid、dense、bm25)",
                                    f"invalid mode {mode!r} (use hybrid, dense or bm25)")
            try:
                k = int(top_k)
            except (TypeError, ValueError):
                raise QuestionError(f"top_k 必须是整数:{top_k}", f"top_k must be an integer: {top_k!r}") from None
            ctx = context if isinstance(context, str) and context.strip() else None
            return self.assistant.ask(question, top_k=k, mode=mode, context=ctx).to_dict()
        except QuestionError as e:
            return {"question": question if isinstance(question, str) else None, "found": False,
                    "error": str(e), "error_zh": e.zh, "error_en": e.en}
        except Exception:  # noqa: BLE001
            log.exception("API answer failed")
            return {"question": question if isinstance(question, str) else None, "found": False,
                    "error": "系统暂时无法回答,请稍后再试 / the service cannot answer right now, please try again later",
                    "error_zh": "系统暂时无法回答,请稍后再试", "error_en": "the service cannot answer right now"}

    def clear(self):
        """(question box, chat, turns, context, browser copy, feedback box hidden, confirmation hidden)."""
        return "", [], [], None, [], self.hide_feedback(), self.hide_feedback()

    def restore(self, stored: Any):
        """The conversation kept in this browser, on page load: (chat, turns, context)."""
        history = turns_of(stored)
        context = history[-1].question if history and history[-1].status != "error" else None
        return messages_of(history), dump(history), context

    # --- feedback ---

    def rate(self, turns: Any, english: Any, index: Any, liked: Any):
        """👍/👎 on the chat message at `index`: stored at once (changing it updates the same row);
        then the comment box opens. Returns (turns, browser copy, feedback id, box, its prompt)."""
        lang = lang_of(english)
        history = turns_of(turns)
        i = index[0] if isinstance(index, (list, tuple)) else index
        rating = "up" if liked is True else "down" if liked is False else None
        if rating is None or not isinstance(i, int) or not 0 <= i // 2 < len(history) or self.feedback is None:
            return dump(history), dump(history), None, self.hide_feedback(), ""
        turn = history[i // 2]
        row_id = turn.feedback
        try:
            if row_id is None or not self.feedback.update(row_id, rating=rating):
                row_id = self.feedback.add(turn.question, turn.status, turn.top, rating)
        except (sqlite3.Error, OSError, ValueError):
            log.exception("could not store a rating")
            return dump(history), dump(history), None, self.hide_feedback(), ""
        history[i // 2] = replace(turn, feedback=row_id)
        # after 👎 ask what was wrong; after 👍 thank, and leave room for a suggestion
        ask = t(lang, "fb_ask_down") if rating == "down" else f'{t(lang, "fb_thanks")} {t(lang, "fb_ask_up")}'
        prompt = f'<div class="qa-fb-ask" role="status">{esc(ask)}</div>'
        return dump(history), dump(history), row_id, self.show_feedback(), prompt

    def comment(self, row_id: Any, text: Any, english: Any):
        """The optional comment on the last rating: (feedback id, comment box, box, prompt)."""
        lang = lang_of(english)
        if isinstance(row_id, int) and isinstance(text, str) and text.strip() and self.feedback is not None:
            try:
                self.feedback.update(row_id, comment=text.strip())
            except (sqlite3.Error, OSError):
                log.exception("could not store a comment")
        return None, "", self.hide_feedback(), f'<div class="qa-fb-done">{esc(t(lang, "fb_saved"))}</div>'

    @staticmethod
    def show_feedback():
        import gradio as gr

        return gr.update(visible=True)

    @staticmethod
    def hide_feedback():
        import gradio as gr

        return gr.update(visible=False)

    # --- tables of an indicator across years or areas (qa/table.py), and the loaded documents ---

    def answer_chart_shown(self, turns: Any):
        """Shows (empty) or hides the chart under the chat for the last answer, before `answer_chart` draws
        it: Gradio sizes a chart to its block as it draws, and a hidden block has no width."""
        import gradio as gr

        history = turns_of(turns)
        return gr.update(value=None, visible=bool(history and history[-1].chart))

    def answer_chart(self, turns: Any):
        """The chart of the last answer when it is a table (gr.Plot under the chat), else hidden."""
        import gradio as gr

        history = turns_of(turns)
        spec = history[-1].chart if history else ""
        return gr.update(value=plot_of(spec), visible=bool(spec))

    def table_choices(self) -> list[tuple[str, str]]:
        source = getattr(self.assistant, "table_source", None)
        return table_choices(source().cells) if source is not None else []

    def row_table(self, choice: Any, english: Any):
        """The 数据 tab's table of one indicator (value "indicator|aspect"): (HTML, chart)."""
        import gradio as gr

        lang = lang_of(english)
        indicator, _, aspect = (choice or "").partition("|") if isinstance(choice, str) else ("", "", "")
        if not indicator or not hasattr(self.assistant, "table"):
            return f'<p class="qa-count">{esc(t(lang, "tables_none"))}</p>', gr.update(value=None, visible=False)
        answer = self.assistant.table(indicator, aspect or None)

        def cite(doc: str, pos: int) -> tuple[str, str] | None:
            p = self.assistant.passage_at(doc, pos)
            return (t(lang, "view_source_short"), p.chunk_id) if p is not None else None

        spec = chart_spec(answer.rows, lang)
        return render_table(answer.rows, lang, cite), gr.update(value=plot_of(spec), visible=spec is not None)

    # --- the figures table ---

    def table(self, query: Any, period: Any, section: Any, english: Any) -> tuple[str, str]:
        """(the 数据 table, its count line), both HTML."""
        lang = lang_of(english)
        rows = figure_rows(self.figures, self.docs, query if isinstance(query, str) else "", period or "",
                           section or "", lang, **({"aliases": self.aliases} if self.aliases else {}))
        headers = t(lang, "cols").split("|")
        count = t(lang, "count", n=len(rows)) if self.figures else t(lang, "no_figures")
        return render_figure_table(rows, headers), f'<span class="qa-count" role="status">{esc(count)}</span>'
