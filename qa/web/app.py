"""The page's layout and its events (Gradio): a thin layer over `Handlers`.

Styles and browser behaviour live in static/page.css and static/page.js; the words in labels.py;
the HTML of an answer in render.py. `QABlocks.launch` brings the theme, those files, Gradio's
Chinese labels and the security headers, so a test's plain `app.launch()` serves the same page
as `python ui.py`.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Sequence

import gradio as gr
from starlette.middleware import Middleware

from ..feedback import FeedbackStore
from ..types import Document
from . import DEFAULT_CONCURRENCY, DEFAULT_MAX_QUEUE
from .handlers import Handlers
from .labels import EXAMPLES, GRADIO_LITERALS_ZH, GRADIO_ZH_BUILTIN, L, MODES, TITLE, i18n_tables, lang_of, t
from .labels import contact as contact_of
from .render import esc, period_label
from .security import SecurityHeaders
from .source import render_indicator_table, render_source
from .table_view import loaded_line, render_documents
from ..profile import profile_of

STATIC = Path(__file__).resolve().parent / "static"

def make_theme() -> gr.themes.Base:
    cjk = ["PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei",
           "Helvetica Neue", "Arial", "sans-serif"]
    return gr.themes.Base(
        primary_hue=gr.themes.colors.red, secondary_hue=gr.themes.colors.blue, neutral_hue=gr.themes.colors.slate,
        radius_size=gr.themes.sizes.radius_sm, text_size=gr.themes.sizes.text_lg, font=cjk,
        font_mono=["Noto Sans Mono CJK SC", "DejaVu Sans Mono", "monospace"],
    ).set(
        body_background_fill="#f3f5f8", block_title_text_color="#0b4ea2", block_label_text_color="#0b4ea2",
        button_primary_background_fill="#c8161d", button_primary_background_fill_hover="#9e1016",
        button_primary_text_color="#ffffff", link_text_color="#0b4ea2", chatbot_text_size="17px",
    )


def head_html() -> str:
    """<head> additions: a description, the labels page.js needs, and page.js itself."""
    labels = {"zh": GRADIO_LITERALS_ZH, "builtin": GRADIO_ZH_BUILTIN, "page": {lang: {k: L[lang][k] for k in ("copied", "where_side", "where_below",
                                                                             "empty_hint")} for lang in L}}
    data = json.dumps(labels, ensure_ascii=False).replace("</", "<\\/")
    script = (STATIC / "page.js").read_text(encoding="utf-8")
    return (f'<meta name="description" content="光谷智能问答：从政府工作报告中查找原文和数据，逐条注明出处">\n'
            f"<script>window.qaLabels = {data};</script>\n<script>\n{script}\n</script>")


def bounded_http_parser() -> None:
    """Parse HTTP with h11, which refuses headers past 64 KB (docs/SERVICE.md). uvicorn's "auto" takes
    httptools whenever it is installed (ray[serve] brings it), and httptools reads headers of any size;
    Gradio offers no way to choose, so "auto" is pointed at h11 for this process."""
    import uvicorn.config

    uvicorn.config.HTTP_PROTOCOLS["auto"] = uvicorn.config.HTTP_PROTOCOLS["h11"]


def page_options() -> dict[str, Any]:
    """What a launch (or a mount on another server) needs besides the Blocks: theme, stylesheet, head,
    built-in labels in Chinese, no error details to the browser, no uploads."""
    return {"theme": make_theme(), "css_paths": [STATIC / "page.css"], "head": head_html(),
            "i18n": gr.I18n(**i18n_tables()), "show_error": False, "max_file_size": "1kb"}


class QABlocks(gr.Blocks):
    """Blocks that bring their own theme, CSS, head, i18n and headers (which Gradio 6 takes in
    launch()), so every launch shows the same page."""

    # named API endpoints whose last parameters are optional: their defaults, padded in for raw HTTP
    # callers (gradio_client fills them itself; Gradio refuses a POST with fewer values than inputs)
    optional_api_params: dict[str, tuple[Any, ...]] = {}

    def validate_inputs(self, block_fn: Any, inputs: list[Any]) -> None:
        defaults = self.optional_api_params.get(getattr(block_fn, "api_name", None) or "")
        missing = len(block_fn.inputs) - len(inputs) if isinstance(inputs, list) else 0
        if defaults and 0 < missing <= len(defaults):
            inputs.extend(defaults[len(defaults) - missing:])
        super().validate_inputs(block_fn, inputs)

    def launch(self, *args: Any, **kwargs: Any):  # type: ignore[override]
        bounded_http_parser()
        for key, value in page_options().items():
            kwargs.setdefault(key, value)
        app_kwargs = dict(kwargs.pop("app_kwargs", None) or {})
        app_kwargs["middleware"] = [*app_kwargs.get("middleware", []), Middleware(SecurityHeaders)]
        kwargs["app_kwargs"] = app_kwargs
        return super().launch(*args, **kwargs)


def banner(lang: str, documents: Sequence[Document]) -> str:
    titles = "、".join(d.title for d in documents[:3]) + ("…" if len(documents) > 3 else "")
    count = (f'<p class="qa-doc-count">{esc(loaded_line([profile_of(d) for d in documents], lang))}</p>'
             if len(documents) > 1 else "")  # several reports: how many, of how many years and areas
    return (f'<div class="qa-banner" role="banner"><div class="qa-org">{esc(t(lang, "org"))}</div>'
            f'<h1>{esc(t(lang, "title"))}</h1><p>{esc(t(lang, "subtitle"))}</p>'
            f'<p class="qa-doc-list">{esc(titles)}</p>{count}</div>')


def topbar(lang: str) -> str:
    """The top bar: the skip link (the page's first tab stop) and 无障碍浏览, which opens the accessibility
    aids (page.js)."""
    return (f'<a class="qa-skip" href="#qa-question">{esc(t(lang, "skip"))}</a>'
            f'<nav class="qa-topnav" aria-label="{esc(t(lang, "nav_ask"))}">'
            f'<button type="button" class="qa-nav-btn" data-qa-action="a11y" aria-expanded="false" '
            f'aria-controls="qa-a11y-panel">♿ {esc(t(lang, "nav_a11y"))}</button></nav>')


def a11y_panel(lang: str) -> str:
    return (f'<section id="qa-a11y-panel" class="qa-a11y" hidden aria-label="{esc(t(lang, "a11y_title"))}">'
            f'<h2>{esc(t(lang, "a11y_title"))}</h2><p>{esc(t(lang, "a11y_body"))}</p>'
            f'<button type="button" class="qa-a11y-btn" data-qa-action="elder">{esc(t(lang, "a11y_bigger"))}</button>'
            f'<a class="qa-a11y-btn" href="#qa-question">{esc(t(lang, "skip"))}</a>'
            f'<button type="button" class="qa-a11y-btn" data-qa-action="a11y-close">{esc(t(lang, "a11y_close"))}'
            f'</button></section>')


def footer(lang: str, contact: str) -> str:
    """Always on the page: where else to ask, who runs the service, what a rating keeps."""
    return (f'<div class="qa-footer" role="contentinfo"><p class="qa-foot-contact">{esc(contact_of(lang, contact))}</p>'
            f'<p>{esc(t(lang, "foot_org"))}</p><p>{esc(t(lang, "foot_feedback"))}</p></div>')


def confirm_html(lang: str) -> str:
    return f'<span class="qa-confirm-text" role="alert">{esc(t(lang, "clear_ask"))}</span>'


def welcome(lang: str) -> str:
    where = (f'<span class="qa-wide">{esc(t(lang, "where_side"))}</span>'
             f'<span class="qa-narrow">{esc(t(lang, "where_below"))}</span>')
    return t(lang, "placeholder_chat", where=where)


def history_secret(assistant: Any) -> str:
    """The browser's copy of a conversation is readable only by a server with the same documents:
    after the corpus changes, old answers (and their citation links) are dropped, not shown stale."""
    h = hashlib.sha256()
    for d in assistant.documents:
        h.update(d.sha256.encode())
    return h.hexdigest()[:32]


def build_app(assistant: Any, concurrency: int = DEFAULT_CONCURRENCY, max_queue: int | None = DEFAULT_MAX_QUEUE,
              feedback: FeedbackStore | None = None, aliases: Any = None) -> gr.Blocks:
    """The page for `assistant`, its queue set (`concurrency` answers at once, at most `max_queue`
    waiting; past that a user is told the service is busy). Ratings go to `feedback` (default: the
    store at settings.feedback_path, created on the first rating). Start it with `.launch()`."""
    documents = assistant.documents
    chunks = list(getattr(getattr(assistant, "index", None), "chunks", ()) or ())
    h = Handlers(assistant, feedback or FeedbackStore(assistant.settings.feedback_path), aliases)
    # a span (2016-2020年实绩) and its last year's own period differ only by `first`, which may be None: not
    # comparable as a dataclass, so sorted by a key
    periods = sorted({f.period for f in h.figures if f.period is not None},
                     key=lambda p: (p.year, p.kind, p.first if p.first is not None else p.year))
    sections: list[str] = []
    for f in h.figures:
        for depth in (1, 2):
            s = " > ".join(f.section.split(" > ")[:depth]) if f.section else ""
            if s and s not in sections:
                sections.append(s)
    source_html = {lang: render_source(documents, chunks, lang) for lang in ("zh", "en")}
    key_rows = assistant.indicator_table() if hasattr(assistant, "indicator_table") else ()
    key_html = {lang: render_indicator_table(key_rows, lang) for lang in ("zh", "en")}

    def choices(lang: str) -> dict[str, list[tuple[str, str]]]:
        return {"mode": [(t(lang, f"mode_{m}"), m) for m in MODES],
                "doc": [(t(lang, "all_docs"), "")] + [(doc_label(d, len(documents) > 1), d.id) for d in documents],
                "period": [(t(lang, "all"), "")] + [(period_label(p, lang), p.label) for p in periods],
                "section": [(t(lang, "all"), "")] + [(s.replace(" > ", " › "), s) for s in sections]}

    zh = choices("zh")
    with QABlocks(title=TITLE, analytics_enabled=False) as app, gr.Column(elem_id="qa-root"):
        with gr.Row(elem_id="qa-topbar", equal_height=True):
            top = gr.HTML(topbar("zh"), padding=False, elem_id="qa-topnav", min_width=0)
            elder = gr.Checkbox(label=t("zh", "elder"), value=False, elem_id="qa-elder", container=False, min_width=0,
                                interactive=True)  # page.js does the rest: no server event, but never disabled
            english = gr.Checkbox(label=t("zh", "english"), value=False, elem_id="qa-english", container=False,
                                  min_width=0)
        a11y = gr.HTML(a11y_panel("zh"), padding=False, elem_id="qa-a11y-block")
        head = gr.HTML(banner("zh", documents), padding=False)
        turns = gr.State([])
        context = gr.State(None)
        feedback_id = gr.State(None)
        stored = gr.BrowserState([], storage_key="qa-history", secret=history_secret(assistant))
        with gr.Row(equal_height=False, elem_id="qa-main"):
            with gr.Column(scale=7, min_width=300):
                with gr.Tabs(elem_id="qa-tabs"):
                    with gr.Tab(t("zh", "tab_chat"), id="chat", elem_id="qa-tab-chat") as tab_chat:
                        chatbot = gr.Chatbot(
                            label=t("zh", "chat"), show_label=False, elem_id="qa-chat", height=600,
                            autoscroll=False, buttons=[], placeholder=welcome("zh"),
                            examples=[{"text": q} for q in EXAMPLES["zh"]], latex_delimiters=[], allow_tags=False,
                            sanitize_html=True, feedback_options=("Like", "Dislike"), line_breaks=False,
                            layout="bubble", group_consecutive_messages=False,
                        )
                        answer_chart = gr.Plot(label=t("zh", "chart_title"), visible=False, elem_id="qa-answer-chart")
                        with gr.Row(equal_height=True, elem_id="qa-ask-row"):
                            question = gr.Textbox(
                                label=t("zh", "question"), placeholder=t("zh", "placeholder"), lines=1, max_lines=1,
                                max_length=2000, elem_id="qa-question", scale=8, min_width=200, submit_btn=False,
                            )
                            send = gr.Button(t("zh", "send"), variant="primary", elem_id="qa-send", scale=1,
                                             min_width=64)
                            clear = gr.Button(t("zh", "clear"), variant="secondary", elem_id="qa-clear", scale=1,
                                              min_width=64)
                        with gr.Row(visible=False, elem_id="qa-confirm", equal_height=True) as confirm_box:
                            confirm_text = gr.HTML(confirm_html("zh"), padding=False, min_width=0)
                            confirm_yes = gr.Button(t("zh", "clear_yes"), variant="stop", elem_id="qa-clear-yes",
                                                    min_width=0, scale=0)
                            confirm_no = gr.Button(t("zh", "clear_no"), elem_id="qa-clear-no", min_width=0, scale=0)
                        with gr.Column(visible=False, elem_id="qa-feedback") as fb_box:
                            fb_prompt = gr.HTML("", padding=False)
                            with gr.Row(equal_height=True):
                                fb_text = gr.Textbox(label=t("zh", "fb_comment"), placeholder=t("zh", "fb_ph"),
                                                     max_length=1000, lines=1, max_lines=3, scale=4,
                                                     elem_id="qa-fb-text", min_width=200)
                                fb_send = gr.Button(t("zh", "fb_send"), elem_id="qa-fb-send", scale=1, min_width=80)
                        fb_done = gr.HTML("", padding=False, elem_id="qa-fb-done")
                        notice = gr.HTML(f'<div class="qa-notice">{esc(t("zh", "notice"))}</div>', padding=False)
                    with gr.Tab(t("zh", "tab_data"), id="data", elem_id="qa-tab-data") as tab_data:
                        with gr.Accordion(t("zh", "key_title"), open=True, elem_id="qa-keys") as keys_box:
                            keys = gr.HTML(key_html["zh"], padding=False, elem_id="qa-keytable")
                        table_options = h.table_choices()
                        with gr.Accordion(t("zh", "tables_title"), open=True, elem_id="qa-rows",
                                          visible=bool(table_options)) as rows_box:
                            rows_pick = gr.Dropdown(label=t("zh", "tables_pick"), choices=table_options,
                                                    value=default_table(table_options), elem_id="qa-rows-pick")
                            first_rows, first_chart = h.row_table(default_table(table_options), False)
                            rows_html = gr.HTML(first_rows, padding=False, elem_id="qa-rowtable")
                            rows_chart = gr.Plot(first_chart.get("value"), label=t("zh", "chart_title"),
                                                 visible=first_chart.get("visible", False), elem_id="qa-rows-chart")
                        with gr.Row():
                            fquery = gr.Textbox(label=t("zh", "filter"), placeholder=t("zh", "filter_ph"),
                                                elem_id="qa-fig-query", scale=3, min_width=200)
                            fperiod = gr.Dropdown(label=t("zh", "period"), choices=zh["period"], value="",
                                                  elem_id="qa-fig-period", scale=1, min_width=140)
                            fsection = gr.Dropdown(label=t("zh", "section"), choices=zh["section"], value="",
                                                   elem_id="qa-fig-section", scale=2, min_width=180)
                        first_table, first_count = h.table("", "", "", False)
                        fcount = gr.HTML(first_count, padding=False)
                        ftable = gr.HTML(first_table, elem_id="qa-figtable", padding=False)
                    with gr.Tab(t("zh", "tab_source"), id="source", elem_id="qa-tab-source",
                                render_children=True) as tab_source:
                        source = gr.HTML(source_html["zh"], elem_id="qa-source", padding=False)
            with gr.Column(scale=3, min_width=260, elem_id="qa-side"):
                examples_title = gr.HTML(f'<div class="qa-side-title">{esc(t("zh", "examples"))}</div>',
                                         padding=False)
                with gr.Column(elem_id="qa-examples"):
                    example_buttons = [gr.Button(q, size="md", elem_classes=["qa-example"]) for q in EXAMPLES["zh"]]
                with gr.Accordion(t("zh", "settings"), open=False, elem_id="qa-settings") as settings_box:
                    top_k = gr.Slider(1, 10, value=assistant.settings.top_k if assistant.settings.top_k <= 10 else 5,
                                      step=1, label=t("zh", "top_k"), elem_id="qa-topk")
                    mode = gr.Radio(zh["mode"], value="hybrid", label=t("zh", "mode"), elem_id="qa-mode")
                    doc = gr.Dropdown(zh["doc"], value="", label=t("zh", "doc"), elem_id="qa-doc",
                                      visible=len(documents) > 1)
                profiles = {d.id: profile_of(d) for d in documents}
                with gr.Accordion(t("zh", "docs_title"), open=len(documents) > 1, elem_id="qa-docs") as docs_box:
                    docs_html = gr.HTML(render_documents(documents, profiles, "zh"), padding=False)
        foot = gr.HTML(footer("zh", assistant.settings.contact_line), padding=False, elem_id="qa-footer")

        # --- events ---
        private = dict(api_visibility="private")
        # the question shows at once with the page's own pending state (no queue), then the answer
        pend = dict(outputs=[chatbot], queue=False, show_progress="hidden", **private)
        asked = dict(outputs=[question, chatbot, turns, context, stored], concurrency_id="qa", show_progress="hidden",
                     **private)
        rest = [turns, context, top_k, mode, doc, english]
        chart = dict(outputs=[answer_chart], queue=False, show_progress="hidden", **private)
        for trigger in (question.submit, send.click):
            trigger(h.pending, [question, turns, english], **pend).then(h.respond, [question, *rest], **asked).then(
                h.answer_chart_shown, [turns], **chart).then(h.answer_chart, [turns], **chart)
        for b in example_buttons:
            b.click(h.pending, [b, turns, english], **pend).then(h.respond, [b, *rest], **asked).then(
                h.answer_chart_shown, [turns], **chart).then(h.answer_chart, [turns], **chart)

        def example(tr: Any, ctx: Any, k: Any, m: Any, d: Any, en: Any, evt: gr.SelectData):
            return h.respond(_example_text(evt), tr, ctx, k, m, d, en)

        def rate(tr: Any, en: Any, evt: gr.LikeData):
            return h.rate(tr, en, evt.index, evt.liked)

        chatbot.example_select(example, rest, **asked).then(h.answer_chart_shown, [turns], **chart).then(
            h.answer_chart, [turns], **chart)
        # 清空记录 asks first; only 确定清空 wipes the history (Gradio's own trash button is hidden: page.css)
        clear_out = [question, chatbot, turns, context, stored, fb_box, confirm_box]
        clear.click(lambda: gr.update(visible=True), None, [confirm_box], queue=False, **private)
        confirm_no.click(lambda: gr.update(visible=False), None, [confirm_box], queue=False, **private)
        confirm_yes.click(h.clear, None, clear_out, queue=False, **private).then(h.answer_chart, [turns], **chart)
        chatbot.clear(h.clear, None, clear_out, queue=False, **private).then(h.answer_chart, [turns], **chart)
        rows_pick.change(h.row_table, [rows_pick, english], [rows_html, rows_chart], **private)
        chatbot.like(rate, [turns, english],
                     [turns, stored, feedback_id, fb_box, fb_prompt], **private)
        for trigger in (fb_send.click, fb_text.submit):
            trigger(h.comment, [feedback_id, fb_text, english], [feedback_id, fb_text, fb_box, fb_done], **private)

        filters = [fquery, fperiod, fsection, english]
        fquery.submit(h.table, filters, [ftable, fcount], **private)
        fquery.input(h.table, filters, [ftable, fcount], trigger_mode="always_last", show_progress="hidden",
                     **private)
        fperiod.change(h.table, filters, [ftable, fcount], **private)
        fsection.change(h.table, filters, [ftable, fcount], **private)

        def relabel(on: bool, q: str, period_v: str, section_v: str):
            lang = lang_of(on)
            c = choices(lang)
            tbl, cnt = h.table(q, period_v, section_v, on)
            return [
                topbar(lang), a11y_panel(lang), banner(lang, documents), gr.update(label=t(lang, "elder")),
                gr.update(label=t(lang, "tab_chat")), gr.update(label=t(lang, "tab_data")),
                gr.update(label=t(lang, "tab_source")),
                gr.update(label=t(lang, "chat"), placeholder=welcome(lang),
                          examples=[{"text": x} for x in EXAMPLES[lang]]),
                gr.update(label=t(lang, "question"), placeholder=t(lang, "placeholder")),
                gr.update(value=t(lang, "send")), gr.update(value=t(lang, "clear")),
                gr.update(label=t(lang, "fb_comment"), placeholder=t(lang, "fb_ph")),
                gr.update(value=t(lang, "fb_send")),
                f'<div class="qa-notice">{esc(t(lang, "notice"))}</div>',
                gr.update(label=t(lang, "key_title")), key_html[lang],
                gr.update(label=t(lang, "filter"), placeholder=t(lang, "filter_ph")),
                gr.update(label=t(lang, "period"), choices=c["period"]),
                gr.update(label=t(lang, "section"), choices=c["section"]),
                tbl, cnt, source_html[lang], f'<div class="qa-side-title">{esc(t(lang, "examples"))}</div>',
                *[gr.update(value=x) for x in EXAMPLES[lang]],
                gr.update(label=t(lang, "settings")), gr.update(label=t(lang, "top_k")),
                gr.update(label=t(lang, "mode"), choices=c["mode"]), gr.update(label=t(lang, "doc"), choices=c["doc"]),
                footer(lang, assistant.settings.contact_line), confirm_html(lang), gr.update(value=t(lang, "clear_yes")),
                gr.update(value=t(lang, "clear_no")), gr.update(visible=False), "",  # a rating's prompt was in the other language
            ]

        english.change(
            relabel, [english, fquery, fperiod, fsection],
            [top, a11y, head, elder, tab_chat, tab_data, tab_source, chatbot, question, send, clear, fb_text,
             fb_send, notice, keys_box, keys, fquery, fperiod, fsection, ftable, fcount, source, examples_title,
             *example_buttons, settings_box, top_k, mode, doc, foot, confirm_text, confirm_yes, confirm_no, fb_box,
             fb_prompt],
            queue=False, **private,
        )
        # 长者模式, the language, scrolling to a new answer and restoring both toggles: page.js, the one
        # place for what the browser does (no js= strings spread over the events)
        app.load(h.restore, [stored], [chatbot, turns, context], queue=False, show_progress="hidden", **private).then(
            h.answer_chart_shown, [turns], **chart).then(h.answer_chart, [turns], **chart)

        def relabel_tables(on: bool, pick: str):
            lang = lang_of(on)
            html, plot = h.row_table(pick, on)
            return (gr.update(label=t(lang, "tables_title")), gr.update(label=t(lang, "tables_pick")), html,
                    {**plot, "label": t(lang, "chart_title")}, gr.update(label=t(lang, "chart_title")),
                    gr.update(label=t(lang, "docs_title")), render_documents(documents, profiles, lang))

        english.change(relabel_tables, [english, rows_pick],
                       [rows_box, rows_pick, rows_html, rows_chart, answer_chart, docs_box, docs_html],
                       queue=False, **private)

        gr.api(h.api, api_name="ask", concurrency_id="qa")
        app.optional_api_params = {"ask": (None,)}  # context: callers of the 3-value /ask keep working

    # Gradio's queue summarises every finished event for its /monitoring page by building a pandas
    # DataFrame of the last GRADIO_ANALYTICS_MAX_EVENTS (10,000) events, after each event by default:
    # a cost per answer that grows to tens of ms in a long-running server. Summarised every 200 events
    # over the last 2,000 instead (the env variables Gradio reads when the queue is created).
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "200")
    os.environ.setdefault("GRADIO_ANALYTICS_MAX_EVENTS", "2000")
    app.queue(default_concurrency_limit=concurrency, max_size=max_queue)
    return app


def doc_label(d: Document, several: bool) -> str:
    """A document in the 文档范围 list: with its area and year first when several reports are loaded."""
    if not several:
        return d.title
    p = profile_of(d)
    return " ".join(str(x) for x in (p.area, p.year, "·", d.title) if x)


def default_table(options: list[tuple[str, str]]) -> str | None:
    """The 数据 tab's first table: GDP growth when the reports give it, else the first indicator."""
    values = [v for _, v in options]
    return next((v for v in values if v == "地区生产总值|增速"), values[0] if values else None)


def _example_text(evt: Any) -> str:
    value = getattr(evt, "value", None)
    if isinstance(value, dict):
        return str(value.get("text") or "")
    return value if isinstance(value, str) else ""
