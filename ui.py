"""光谷智能问答 — the web page.

    python ui.py [--host 127.0.0.1] [--port 7860] [--corpus DIR] [--index DIR] [--model NAME]

A thin presentation layer over `qa.Assistant`: it builds (or refreshes) the index, then serves a
Gradio page with a chat whose answers are the report's own passages and figures, each cited to its
section; a table of every figure; the report itself, to which each citation links; and the same
answer function as the named API endpoint `/ask` for `gradio_client`.

Everything that is not ours (questions, document text, passages, figures, section names) goes
through `html.escape` before it reaches HTML; highlighting works on the raw text's character
offsets and escapes each piece, so no text can ever become markup.
"""
from __future__ import annotations

import argparse
import html
import logging
import re
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, Iterable, Sequence

import gradio as gr

sys.path.insert(0, str(Path(__file__).resolve().parent))

from qa import Answer, Assistant, Document, Figure, Passage, Period, QAError, QuestionError, Settings  # noqa: E402
from qa.http_api import api_routes  # noqa: E402

log = logging.getLogger("qa.ui")

TITLE = "智能问答"
MODES = ("hybrid", "dense", "bm25")
DEFAULT_CONCURRENCY = 4  # answers at once (the machine has 2 cores; an answer takes milliseconds)
DEFAULT_MAX_QUEUE = 32  # waiting past this, a user is told the service is busy instead of waiting forever
MAX_HISTORY = 40  # chat messages kept on the page

EXAMPLES = {
    "zh": [
        "今年光谷地区生产总值预期增长多少？",
        "2023年地区生产总值总量是多少？",
        "2023年固定资产投资多少？",
        "已建、在建国家大科学装置有几个？",
        "今年新增城镇就业人数目标是多少？",
        "减税降费及退税缓费多少？",
    ],
    "en": [
        "What is the GDP growth target for 2024?",
        "What was the GDP of Optics Valley in 2023?",
        "How much tax relief was given in 2023?",
        "2023年固定资产投资多少？",
        "已建、在建国家大科学装置有几个？",
        "今年新增城镇就业人数目标是多少？",
    ],
}

L: dict[str, dict[str, str]] = {
    "zh": {
        "title": "智能问答",
        "org": "武汉东湖新技术开发区 · 中国光谷",
        "subtitle": "回答均摘自政府工作报告原文，逐条注明出处；本系统不生成、不改写内容。",
        "skip": "跳到提问框",
        "elder": "长者模式",
        "english": "English",
        "tab_chat": "智能问答",
        "tab_data": "数据",
        "tab_source": "原文",
        "chat": "问答记录",
        "placeholder_chat": "**您好！我是光谷智能问答助手。**\n\n请在下方输入问题，或点击右侧的热门问题。"
                            "我会从政府工作报告中找出原文和数据，并逐条注明出处。",
        "question": "您的问题",
        "placeholder": "请输入您想了解的问题，按回车键发送",
        "send": "发送",
        "clear": "清空",
        "examples": "热门问题",
        "settings": "检索设置",
        "top_k": "引用段落数",
        "mode": "检索方式",
        "doc": "文档范围",
        "all_docs": "全部文档",
        "mode_hybrid": "混合检索（推荐）",
        "mode_dense": "语义检索",
        "mode_bm25": "关键词检索",
        "answer": "答",
        "not_found": "报告中没有找到这个问题的答案。",
        "maybe": "可能相关",
        "sources": "出处",
        "expand": "展开全段",
        "view_source": "在原文中查看",
        "elapsed": "用时 {ms} 毫秒",
        "n_cites": "{n} 条出处",
        "error_title": "无法回答这个问题",
        "internal": "系统暂时无法回答，请稍后再试。",
        "filter": "搜索数据",
        "filter_ph": "输入关键词，如 地区生产总值、就业、投资",
        "period": "时期",
        "section": "章节",
        "all": "全部",
        "count": "共 {n} 条数据",
        "no_figures": "暂无数据（数据抽取尚未完成或没有匹配的数字）。",
        "cols": "数值|指标|类型|时期|章节|上下文",
        "toc": "目录",
        "published": "发布时间",
        "source": "来源",
        "notice": "提示：答案直接引自报告原文，点击 [1] [2] 等出处编号可在“原文”中查看上下文。",
        "busy": "系统繁忙，请稍后再试。",
        "about": "关于本系统",
    },
    "en": {
        "title": "Q&A Assistant",
        "org": "Wuhan East Lake High-Tech Zone · Optics Valley of China",
        "subtitle": "Every answer is quoted from the government work report, with its source; nothing is generated or rewritten.",
        "skip": "Skip to the question box",
        "elder": "Senior mode",
        "english": "English",
        "tab_chat": "Ask",
        "tab_data": "Figures",
        "tab_source": "Report",
        "chat": "Conversation",
        "placeholder_chat": "**Hello! I answer questions about the government work report.**\n\nType a question below "
                            "or click a popular question: I find the passages and figures that answer it, and cite "
                            "each one.",
        "question": "Your question",
        "placeholder": "Type your question and press Enter",
        "send": "Send",
        "clear": "Clear",
        "examples": "Popular questions",
        "settings": "Search settings",
        "top_k": "Passages to cite",
        "mode": "Retrieval mode",
        "doc": "Documents",
        "all_docs": "All documents",
        "mode_hybrid": "Hybrid (recommended)",
        "mode_dense": "Semantic",
        "mode_bm25": "Keyword",
        "answer": "A",
        "not_found": "The report does not answer this question.",
        "maybe": "Possibly related",
        "sources": "Sources",
        "expand": "Whole paragraph",
        "view_source": "View in the report",
        "elapsed": "{ms} ms",
        "n_cites": "{n} sources",
        "error_title": "This question cannot be answered",
        "internal": "The service cannot answer right now, please try again later.",
        "filter": "Search figures",
        "filter_ph": "Keyword, e.g. 地区生产总值 (GDP), 就业 (jobs), 投资 (investment)",
        "period": "Period",
        "section": "Section",
        "all": "All",
        "count": "{n} figures",
        "no_figures": "No figures yet (extraction not finished, or nothing matches).",
        "cols": "Figure|Measures|Kind|Period|Section|Context",
        "toc": "Contents",
        "published": "Published",
        "source": "Source",
        "notice": "Answers are quoted from the report. Click a source number such as [1] to see it in the report.",
        "busy": "The service is busy, please try again.",
        "about": "About",
    },
}

KINDS = {
    "zh": {"amount": "金额", "growth": "增速", "share": "占比", "count": "数量", "rank": "排名", "multiple": "倍数",
           "rate": "比率", "measure": "规模", "duration": "时长", "decline": "降幅", "target": "目标"},
    "en": {"amount": "amount", "growth": "growth", "share": "share", "count": "count", "rank": "rank",
           "multiple": "multiple", "rate": "rate", "measure": "measure", "duration": "duration", "decline": "decline",
           "target": "target"},
}

# Numbers with a unit, highlighted in a passage only when the figure extractor gave it no figures.
_UNITS = sorted(
    ["%", "‰", "个百分点", "亿美元", "亿元", "万元", "元", "万户", "万人", "万家", "万个", "万套", "万平方米", "平方米",
     "平方公里", "公里", "千米", "万吨", "万", "亿", "户", "人", "家", "个", "项", "名", "位", "倍", "条", "座", "所",
     "套", "吨", "次", "台", "座", "年"], key=len, reverse=True)
_NUMBER = re.compile(
    r"[超近约逾]?\d+(?:\.\d+)?(?:/\d+)?(?:" + "|".join(map(re.escape, _UNITS)) + r")?(?:左右|以上|以内|以下)?"
)


def lang_of(english: bool | str | None) -> str:
    return "en" if english in (True, "en") else "zh"


def t(lang: str, key: str, **kw: Any) -> str:
    text = L[lang].get(key) or L["zh"][key]
    return text.format(**kw) if kw else text


def esc(text: Any) -> str:
    """Escape text for HTML (quotes too, so it is safe in attributes)."""
    return html.escape("" if text is None else str(text), quote=True)


_MD_SPECIAL = {c: f"&#{ord(c)};" for c in "\\`*_{}[]()#+-.!|~$>:"}


def esc_md(text: Any) -> str:
    """Escape for a chat bubble, which is rendered as Markdown: HTML-escape, then neutralise the
    Markdown and LaTeX characters so a question shows exactly as typed."""
    return "".join(_MD_SPECIAL.get(c, c) for c in esc(text)).replace("\n", " ")


def anchor(chunk_id: str) -> str:
    """A safe, stable HTML id for a chunk (ids keep only [A-Za-z0-9_-])."""
    return "qa-src-" + re.sub(r"[^A-Za-z0-9_-]", lambda m: f"_{ord(m.group()):x}", chunk_id)


def section_anchor(doc_id: str, start: int) -> str:
    return anchor(f"{doc_id}@{start}").replace("qa-src-", "qa-sec-", 1)


def period_label(period: Period | None, lang: str) -> str:
    if period is None:
        return ""
    return period.label_en if lang == "en" else period.label


def badge(period: Period | None, lang: str) -> str:
    if period is None:
        return ""
    return f'<span class="qa-badge qa-badge-{esc(period.kind)}">{esc(period_label(period, lang))}</span>'


def section_html(section: str) -> str:
    parts = [p for p in (section or "").split(" > ") if p]
    return '<span class="qa-sep"> › </span>'.join(f'<span class="qa-sec-part">{esc(p)}</span>' for p in parts)


# --- highlighting -------------------------------------------------------------------------------


def highlight(
    text: str,
    offset: int = 0,
    figures: Iterable[Figure] = (),
    terms: Iterable[str] = (),
    best: Figure | None = None,
    numbers: bool = False,
) -> str:
    """`text` as safe HTML with figures (document offsets, shifted by `offset`) and question terms
    marked. Marks are decided per character on the raw text; every run is escaped on its own, so
    the markup can never be broken by what the text holds."""
    n = len(text)
    if not n:
        return ""
    cls: list[str | None] = [None] * n
    # question terms first (longest first), figures over them
    for term in sorted({x for x in terms if x and x.strip()}, key=len, reverse=True):
        i = text.find(term)
        while i != -1:
            for j in range(i, min(n, i + len(term))):
                cls[j] = cls[j] or "qa-term"
            i = text.find(term, i + len(term))
    spans = [(f.start - offset, f.end - offset, f) for f in figures]
    if numbers and not spans:
        spans = [(m.start(), m.end(), None) for m in _NUMBER.finditer(text) if any(ch.isdigit() for ch in m.group())]
    for a, b, f in spans:
        is_best = best is not None and f is not None and f.start == best.start and f.doc == best.doc
        for j in range(max(0, a), min(n, b)):
            cls[j] = "qa-fig qa-best" if is_best else "qa-fig"
    out: list[str] = []
    i = 0
    while i < n:
        j = i
        while j < n and cls[j] == cls[i]:
            j += 1
        piece = esc(text[i:j])
        out.append(f'<mark class="{cls[i]}">{piece}</mark>' if cls[i] else piece)
        i = j
    return "".join(out)


# --- the answer ---------------------------------------------------------------------------------


def _sentence(doc: Document | None, pos: int) -> tuple[int, int] | None:
    if doc is None:
        return None
    for para in doc.paragraphs:
        if para.start <= pos < para.end:
            for a, b in para.sentences:
                if a <= pos < b:
                    return a, b
            return para.start, para.end
    return None


def _cite_link(i: int, p: Passage, lang: str) -> str:
    target = anchor(p.chunk_id)
    return (f'<a class="qa-cite-link" href="#{target}" data-qa-target="{target}" '
            f'title="{esc(t(lang, "view_source"))}">[{i}]</a>')


def render_passage(i: int, p: Passage, lang: str, answer: Answer | None = None, doc_title: str | None = None) -> str:
    best = answer.figures[0] if answer and answer.figures else None
    numbers = not p.figures
    body = highlight(p.text, p.start, p.figures, p.matched, best, numbers=numbers)
    head = [_cite_link(i, p, lang)]
    if doc_title:
        head.append(f'<span class="qa-doc-name">{esc(doc_title)}</span>')
    head.append(f'<span class="qa-section">{section_html(p.section)}</span>')
    head.append(badge(p.period, lang))
    para = ""
    if p.paragraph and p.paragraph != p.text:
        # the whole paragraph, the cited passage underlined inside it
        a = p.start - p.paragraph_start
        b = a + len(p.text)
        if 0 <= a <= b <= len(p.paragraph) and p.paragraph[a:b] == p.text:
            before = highlight(p.paragraph[:a], p.paragraph_start, [f for f in p.figures if f.end <= p.start], p.matched)
            after = highlight(p.paragraph[b:], p.start + len(p.text), [f for f in p.figures if f.start >= p.end], p.matched)
            inner = f'{before}<span class="qa-in-para">{body}</span>{after}'
        else:
            inner = highlight(p.paragraph, p.paragraph_start, p.figures, p.matched)
        para = (f'<details class="qa-para"><summary>{esc(t(lang, "expand"))}</summary>'
                f'<div class="qa-para-text">{inner}</div></details>')
    return (f'<li class="qa-cite" value="{i}"><div class="qa-cite-head">{" ".join(h for h in head if h)}</div>'
            f'<div class="qa-cite-text">{body}</div>{para}</li>')


def render_answer(answer: Answer, lang: str = "zh", documents: dict[str, Document] | None = None) -> str:
    """The answer as one safe HTML block: the direct answer, numbered citations, the time taken."""
    documents = documents or {}
    multi = len(documents) > 1
    out = ['<div class="qa-answer">']
    passages = answer.passages
    if answer.found and answer.figures:
        best = answer.figures[0]
        cite_no = next((i for i, p in enumerate(passages, 1)
                        if p.doc == best.doc and p.start <= best.start < p.end), None)
        span = _sentence(documents.get(best.doc), best.start)
        if span:
            a, b = span
            sentence = highlight(documents[best.doc].text[a:b], a, [best], (), best)
        else:
            sentence = esc(answer.text)
        link = _cite_link(cite_no, passages[cite_no - 1], lang) if cite_no else ""
        subject = f'<span class="qa-subject">{esc(best.subject)}</span>' if best.subject else ""
        out.append(
            f'<div class="qa-direct"><span class="qa-direct-label" aria-hidden="true">{esc(t(lang, "answer"))}</span>'
            f'<div class="qa-direct-body"><div class="qa-headline"><strong class="qa-big">{esc(best.text)}</strong> '
            f'{subject} {badge(best.period, lang)}</div>'
            f'<blockquote class="qa-quote">“{sentence}” {link}</blockquote></div></div>'
        )
    elif answer.found and passages:
        p = passages[0]
        text = highlight(p.text, p.start, p.figures, p.matched, numbers=not p.figures)
        out.append(
            f'<div class="qa-direct"><span class="qa-direct-label" aria-hidden="true">{esc(t(lang, "answer"))}</span>'
            f'<div class="qa-direct-body"><blockquote class="qa-quote">“{text}” {_cite_link(1, p, lang)}'
            f'</blockquote></div></div>'
        )
    else:
        out.append(f'<div class="qa-notfound" role="status"><strong>{esc(t(lang, "not_found"))}</strong>'
                   + (f' {esc(t(lang, "maybe"))}：' if passages else "") + "</div>")
    for note in answer.notes:
        out.append(f'<div class="qa-note">{esc(note)}</div>')
    if passages:
        title = t(lang, "sources") if answer.found else t(lang, "maybe")
        out.append(f'<div class="qa-cites-title">{esc(title)}</div><ol class="qa-cites">')
        for i, p in enumerate(passages, 1):
            d = documents.get(p.doc)
            out.append(render_passage(i, p, lang, answer, d.title if (multi and d) else None))
        out.append("</ol>")
    mode = t(lang, f"mode_{answer.mode}") if answer.mode in MODES else answer.mode
    out.append(
        f'<div class="qa-meta">{esc(t(lang, "elapsed", ms=f"{answer.elapsed_ms:.0f}"))} · {esc(mode)}'
        f' · {esc(t(lang, "n_cites", n=len(passages)))}</div>'
    )
    out.append("</div>")
    return "".join(out)


def render_error(message: str, lang: str = "zh") -> str:
    return (f'<div class="qa-answer qa-error" role="alert"><strong>{esc(t(lang, "error_title"))}</strong>'
            f'<div>{esc(message)}</div></div>')


def render_question(question: str) -> str:
    return f'<span class="qa-q">{esc_md(question)}</span>'


# --- the report (原文) ----------------------------------------------------------------------------


def render_source(documents: Sequence[Document], chunks: Iterable[Any], lang: str = "zh") -> str:
    """Every document with its sections; each chunk of text is a <span> whose id a citation links to."""
    by_para: dict[tuple[str, int], list[Any]] = defaultdict(list)
    for c in chunks:
        by_para[(c.doc, c.paragraph)].append(c)
    out = ['<div class="qa-source">']
    for d in documents:
        out.append(f'<article class="qa-doc" lang="zh-CN"><h2 class="qa-doc-title">{esc(d.title)}</h2>')
        meta = []
        if d.date:
            meta.append(f'{esc(t(lang, "published"))}：{esc(d.date)}')
        if d.source:
            meta.append(f'{esc(t(lang, "source"))}：{esc(d.source)}')
        if meta:
            out.append(f'<div class="qa-doc-meta">{" · ".join(meta)}</div>')
        if d.sections:
            out.append(f'<nav class="qa-toc" aria-label="{esc(t(lang, "toc"))}"><div class="qa-toc-title">'
                       f'{esc(t(lang, "toc"))}</div><ul>')
            for s in d.sections:
                target = section_anchor(d.id, s.start)
                heading = s.heading if len(s.heading) <= 48 else s.heading[:47] + "…"
                out.append(f'<li class="qa-toc-l{int(s.level)}"><a href="#{target}" data-qa-target="{target}">'
                           f'{esc(heading)}</a></li>')
            out.append("</ul></nav>")
        heads = {s.start: s for s in d.sections if s.level == 1}
        subs = {s.start: s for s in d.sections if s.level != 1}
        items: list[tuple[int, int, Any]] = [(s.start, 0, s) for s in heads.values()]
        items += [(p.start, 1, p) for p in d.paragraphs]
        for _, kind, item in sorted(items, key=lambda x: (x[0], x[1])):
            if kind == 0:
                out.append(f'<h3 class="qa-part" id="{section_anchor(d.id, item.start)}">{esc(item.heading)} '
                           f'{badge(item.period, lang)}</h3>')
                continue
            p = item
            pid = f' id="{section_anchor(d.id, p.start)}"' if p.start in subs else ""
            out.append(f'<p class="qa-p"{pid}>')
            cursor = p.start
            for c in sorted(by_para.get((d.id, p.index), []), key=lambda c: c.start):
                s = max(c.start, cursor)
                e = min(c.end, p.end)
                if e <= s:
                    continue
                if s > cursor:
                    out.append(esc(d.text[cursor:s]))
                out.append(f'<span class="qa-chunk" id="{anchor(c.id)}" tabindex="-1">{esc(d.text[s:e])}</span>')
                cursor = e
            if cursor < p.end:
                out.append(esc(d.text[cursor:p.end]))
            out.append("</p>")
        out.append("</article>")
    out.append("</div>")
    return "".join(out)


# --- the figures table (数据) -----------------------------------------------------------------------


def figure_context(doc: Document | None, f: Figure, width: int = 24) -> str:
    if doc is None:
        return f.text
    a = max(0, f.start - width)
    b = min(len(doc.text), f.end + width)
    text = doc.text[a:b].replace("\n", " ")
    return ("…" if a > 0 else "") + text + ("…" if b < len(doc.text) else "")


def figure_rows(
    figures: Sequence[Figure],
    documents: dict[str, Document],
    query: str = "",
    period: str = "",
    section: str = "",
    lang: str = "zh",
) -> list[list[str]]:
    """Rows of the 数据 table, filtered by free text (figure, subject, section, context), period
    label and section. Plain strings: the table shows them as text, never as HTML."""
    words = [w.lower() for w in (query or "").split() if w]
    rows = []
    for f in figures:
        plabel = f.period.label if f.period else ""
        if period and period != plabel:
            continue
        if section and not (f.section == section or f.section.startswith(section + " > ")):
            continue
        ctx = figure_context(documents.get(f.doc), f)
        kind = KINDS[lang].get(f.kind, f.kind)
        hay = " ".join((f.text, f.subject, f.section, ctx, kind, plabel, f.kind)).lower()
        if any(w not in hay for w in words):
            continue
        rows.append([f.text, f.subject, kind, period_label(f.period, lang), f.section.replace(" > ", " › "), ctx])
    return rows


# --- the app --------------------------------------------------------------------------------------

CSS = r"""
:root { --qa-red: #c8161d; --qa-red-dark: #9e1016; --qa-blue: #0b4ea2; --qa-blue-dark: #073b7d;
        --qa-gold: #f7b500; --qa-bg: #f3f5f8; --qa-ink: #1f2933; }
body, gradio-app { background: var(--qa-bg) !important; }
.gradio-container { max-width: 1240px !important; margin: 0 auto !important; color: var(--qa-ink); }
footer { display: none !important; }
.qa-skip { position: absolute; left: -9999px; top: 0; background: #fff; color: var(--qa-blue); padding: 8px 14px;
           z-index: 1000; border: 2px solid var(--qa-blue); }
.qa-skip:focus { left: 12px; top: 12px; }
#qa-topbar { background: #fff; border-bottom: 1px solid #e1e5eb; padding: 4px 14px; align-items: center;
             border-top: 4px solid var(--qa-red); gap: 10px; border-radius: 4px; }
#qa-topbar .qa-topbar-links { font-size: 13px; color: #5b6675; }
#qa-topbar label { font-weight: 600; color: var(--qa-blue); }
#qa-elder, #qa-english { flex: 0 0 auto !important; width: auto !important; min-width: 0 !important;
                         border: 0 !important; background: transparent !important; box-shadow: none !important; }
#qa-elder label, #qa-english label { border: 1px solid #c9d6ea; border-radius: 16px; padding: 2px 12px;
                                     background: #f5f8fc; cursor: pointer; white-space: nowrap; }
.qa-banner { background: linear-gradient(100deg, var(--qa-blue-dark) 0%, var(--qa-blue) 55%, #1d6fd1 100%);
             color: #fff; padding: 22px 28px 18px; border-radius: 6px; position: relative; overflow: hidden; }
.qa-banner::after { content: ""; position: absolute; left: 0; right: 0; bottom: 0; height: 4px;
                    background: linear-gradient(90deg, var(--qa-red), var(--qa-gold)); }
.qa-banner .qa-org { font-size: 14px; opacity: .9; letter-spacing: .08em; }
.qa-banner h1 { color: #fff !important; font-size: 30px !important; margin: 4px 0 6px !important; letter-spacing: .12em;
                font-weight: 700; }
.qa-banner p, .qa-banner .qa-org { color: #fff !important; }
.qa-banner p { margin: 0 !important; opacity: .95; font-size: 15px; }
.qa-banner .qa-doc-list { margin-top: 6px !important; font-size: 13px; opacity: .85; }
.qa-notice { font-size: 13px; color: #5b6675; padding: 2px 4px; }
#qa-chat { border: 1px solid #dfe3ea; border-radius: 6px; background: #fff; }
#qa-chat .message-row .message { font-size: var(--chatbot-text-size); }
#qa-chat .placeholder { text-align: center; max-width: 560px; margin: 0 auto; color: #4b5868; font-size: 1.05em; }
#qa-chat .placeholder strong { color: var(--qa-blue); font-size: 1.2em; }
.qa-q { font-weight: 600; }
.qa-answer { line-height: 1.75; }
.qa-direct { display: flex; gap: 12px; align-items: flex-start; background: #fff8f0; border: 1px solid #f3d9b5;
             border-left: 5px solid var(--qa-red); border-radius: 6px; padding: 10px 14px; margin-bottom: 10px; }
.qa-direct-label { flex: 0 0 auto; background: var(--qa-red); color: #fff; font-weight: 700; border-radius: 4px;
                   padding: 0 8px; line-height: 1.9; }
.qa-direct-body { flex: 1 1 auto; min-width: 0; }
.qa-headline { margin-bottom: 4px; }
.qa-big { font-size: 1.6em; color: var(--qa-red); font-weight: 800; margin-right: 6px; }
.qa-subject { color: #3d4a5c; font-weight: 600; margin-right: 6px; }
.qa-quote { margin: 0 !important; padding: 0 !important; border: 0 !important; color: #27313d; font-style: normal; }
.qa-notfound { background: #f4f6fa; border-left: 5px solid #8a97a8; border-radius: 6px; padding: 10px 14px;
               margin-bottom: 10px; }
.qa-error { background: #fff4f4; border-left: 5px solid var(--qa-red); border-radius: 6px; padding: 10px 14px; }
.qa-note { font-size: .85em; color: #6b7685; }
.qa-cites-title { font-weight: 700; color: var(--qa-blue); margin: 6px 0 2px; border-bottom: 1px solid #e3e8ef;
                  padding-bottom: 2px; }
ol.qa-cites { list-style: none; padding-left: 0 !important; margin: 0 !important; }
li.qa-cite { padding: 8px 0; border-bottom: 1px dashed #dde3eb; margin: 0 !important; }
li.qa-cite::before { content: none !important; }
.qa-cite-head { font-size: .88em; color: #4b5868; display: flex; flex-wrap: wrap; align-items: center; gap: 6px; }
.qa-cite-link { font-weight: 700; color: var(--qa-blue) !important; text-decoration: none !important;
                background: #e8f0fb; border-radius: 4px; padding: 0 5px; }
.qa-cite-link:hover { background: var(--qa-blue); color: #fff !important; }
.qa-section { color: #4b5868; }
.qa-sep { color: #9aa5b4; }
.qa-doc-name { font-weight: 600; color: #27313d; }
.qa-cite-text { margin-top: 2px; }
.qa-badge { display: inline-block; font-size: .8em; line-height: 1.5; padding: 0 7px; border-radius: 10px;
            font-weight: 600; white-space: nowrap; vertical-align: middle; }
.qa-badge-results { background: #e6f0fc; color: var(--qa-blue); border: 1px solid #b9d1f0; }
.qa-badge-targets { background: #fdecec; color: var(--qa-red); border: 1px solid #f2c0c2; }
mark.qa-term { background: #fff2b3; color: inherit; padding: 0 1px; border-radius: 2px; }
mark.qa-fig { background: transparent; color: var(--qa-red-dark); font-weight: 700; padding: 0 1px; }
mark.qa-best { background: #fde3e3; color: var(--qa-red); border-bottom: 2px solid var(--qa-red); border-radius: 2px; }
details.qa-para { margin-top: 4px; font-size: .92em; }
details.qa-para summary { cursor: pointer; color: var(--qa-blue); width: max-content; }
.qa-para-text { background: #f7f9fc; border-radius: 4px; padding: 6px 10px; margin-top: 4px; }
.qa-in-para { text-decoration: underline; text-decoration-color: var(--qa-blue); text-underline-offset: 3px; }
.qa-meta { font-size: .8em; color: #7a8594; margin-top: 6px; }
#qa-side .qa-side-title { font-weight: 700; color: var(--qa-blue); border-left: 4px solid var(--qa-red);
                           padding-left: 8px; margin: 4px 0 2px; }
#qa-examples { gap: 6px !important; }
#qa-examples button { justify-content: flex-start !important; text-align: left !important; white-space: normal !important;
                      font-weight: 400 !important; background: #fff !important; border: 1px solid #dfe3ea !important;
                      color: #1f3b63 !important; }
#qa-examples button:hover { border-color: var(--qa-blue) !important; background: #f0f6ff !important; }
#qa-send { background: var(--qa-red) !important; border-color: var(--qa-red) !important; color: #fff !important; }
#qa-send:hover { background: var(--qa-red-dark) !important; }
.qa-source { background: #fff; padding: 8px 22px 20px; line-height: 1.9; max-height: 72vh; overflow-y: auto;
             border: 1px solid #dfe3ea; border-radius: 6px; }
.qa-doc-title { text-align: center; color: var(--qa-red) !important; }
.qa-doc-meta { text-align: center; color: #6b7685; font-size: .9em; margin-bottom: 8px; }
.qa-toc { background: #f5f8fc; border: 1px solid #e1e8f2; border-radius: 6px; padding: 6px 14px; margin: 8px 0 14px; }
.qa-toc-title { font-weight: 700; color: var(--qa-blue); }
.qa-toc ul { list-style: none; padding-left: 0 !important; margin: 0 !important; }
.qa-toc li { margin: 0 !important; }
.qa-toc li::before { content: none !important; }
.qa-toc-l2 { padding-left: 1.6em; font-size: .92em; }
.qa-toc a, .qa-source a { color: var(--qa-blue) !important; }
.qa-part { color: var(--qa-blue) !important; border-bottom: 2px solid #e3e8ef; padding-bottom: 4px; }
.qa-p { text-indent: 2em; }
.qa-chunk { border-radius: 3px; transition: background-color .4s; scroll-margin-top: 40vh; }
.qa-flash { background: #fff1a8 !important; outline: 2px solid var(--qa-gold); }
#qa-figtable table, #qa-figtable th, #qa-figtable td, #qa-figtable span { font-family: var(--font) !important; }
#qa-figtable table { font-size: 14px; }
.qa-count { color: #5b6675; font-size: 13px; }
/* keyboard focus: always visible */
a:focus-visible, button:focus-visible, input:focus-visible, textarea:focus-visible, select:focus-visible,
summary:focus-visible, [tabindex]:focus-visible, [role="tab"]:focus-visible {
  outline: 3px solid var(--qa-gold) !important; outline-offset: 2px !important; box-shadow: 0 0 0 5px rgba(11,78,162,.35) !important; }
/* 长者模式: large text, high contrast. The class sits on #qa-root, inside the container Gradio scopes
   custom CSS to, so these rules outrank the ones above. */
.qa-elder { --body-text-size: 22px; --text-md: 22px; --text-lg: 24px; --text-sm: 19px; --text-xs: 17px;
  --input-text-size: 22px; --block-label-text-size: 19px; --block-title-text-size: 20px; --chatbot-text-size: 22px;
  --button-large-text-size: 22px; --button-medium-text-size: 20px; --button-small-text-size: 19px;
  --checkbox-label-text-size: 20px; --prose-text-size: 22px; --section-header-text-size: 20px;
  --body-text-color: #000; --block-label-text-color: #000; --body-text-color-subdued: #111; }
.qa-elder { font-size: 22px; color: #000; }
.qa-elder .qa-answer, .qa-elder .qa-source, .qa-elder .qa-q { font-size: 22px; color: #000; line-height: 1.9; }
.qa-elder .qa-cite-head, .qa-elder .qa-meta, .qa-elder .qa-notice, .qa-elder .qa-count { font-size: 19px; color: #000; }
.qa-elder .qa-banner { background: #00306e; }
.qa-elder .qa-banner h1 { font-size: 40px !important; }
.qa-elder .qa-banner p, .qa-elder .qa-banner .qa-org, .qa-elder .qa-topbar-links { font-size: 20px !important; }
.qa-elder #qa-figtable table { font-size: 20px; }
.qa-elder mark.qa-term { background: #ffe600; color: #000; }
.qa-elder mark.qa-fig { background: #b00000; color: #fff; }
.qa-elder .qa-cite-link { background: #00306e; color: #fff !important; }
.qa-elder a { text-decoration: underline !important; }
.qa-elder .qa-direct { background: #fff; border: 2px solid #000; border-left: 8px solid #b00000; }
.qa-elder #qa-examples button { font-size: 20px !important; border: 2px solid #000 !important; color: #000 !important; }
.qa-elder .qa-section, .qa-elder .qa-sec-part { color: #000; }
@media (max-width: 760px) { .qa-banner h1 { font-size: 24px !important; } .qa-banner { padding: 16px; } }
"""

HEAD = r"""
<meta name="description" content="光谷智能问答：从政府工作报告中查找原文和数据，逐条注明出处">
<script>
(function () {
  // The page's palette is a light one (a 政务 site): keep Gradio from switching to its dark theme when
  // the system prefers dark (its ?__theme= switch is ignored in Gradio 6's full-page mode).
  function light() { var b = document.body; if (b && b.classList.contains('dark')) { b.classList.remove('dark'); } }
  function keepLight() {
    light();
    new MutationObserver(light).observe(document.body, { attributes: true, attributeFilter: ['class'] });
  }
  if (document.body) { keepLight(); } else { document.addEventListener('DOMContentLoaded', keepLight); }
  // A citation [n] (or a table-of-contents entry) switches to the 原文 tab, scrolls to the passage and highlights it.
  function sourceTab() {
    return document.getElementById('qa-tab-source-button') || Array.prototype.slice.call(
      document.querySelectorAll('button[role="tab"]')).find(function (b) {
        var x = b.textContent.trim(); return x === '原文' || x === 'Report'; });
  }
  function show(id, tries) {
    var el = document.getElementById(id);
    if (!el || el.offsetParent === null) {
      if (tries > 0) { setTimeout(function () { show(id, tries - 1); }, 60); }
      return;
    }
    document.querySelectorAll('.qa-flash').forEach(function (x) { x.classList.remove('qa-flash'); });
    el.classList.add('qa-flash');
    // instant, and once more after the tab has laid out (a smooth scroll gets cut short by it)
    el.scrollIntoView({ block: 'center' });
    setTimeout(function () { el.scrollIntoView({ block: 'center' }); }, 250);
    try { el.focus({ preventScroll: true }); } catch (e) {}
  }
  document.addEventListener('click', function (ev) {
    var a = ev.target && ev.target.closest ? ev.target.closest('a[data-qa-target], a[href^="#qa-"]') : null;
    if (!a) { return; }
    var id = a.getAttribute('data-qa-target') || (a.getAttribute('href') || '').slice(1);
    if (id === 'qa-question') {  // the skip link: straight to the question box
      var box = document.querySelector('#qa-question textarea, #qa-question input');
      if (box) { ev.preventDefault(); box.focus(); }
      return;
    }
    if (!/^qa-(src|sec)-[A-Za-z0-9_-]+$/.test(id)) { return; }
    ev.preventDefault();
    ev.stopPropagation();
    var tab = sourceTab();
    if (tab && tab.getAttribute('aria-selected') !== 'true') { tab.click(); }
    show(id, 40);
  }, true);
  // Gradio says "busy" in English when the queue is full: say it in Chinese too. And a chat
  // message's aria-label holds its HTML source: give screen readers the text instead.
  var busy = 'This application is currently busy';
  var pending = false;
  function tidy() {
    pending = false;
    document.querySelectorAll('#qa-chat [aria-label*="<"]').forEach(function (el) {
      var who = el.getAttribute('data-testid') === 'user' ? '问 / Q: ' : '答 / A: ';
      el.setAttribute('aria-label', who + el.textContent.replace(/\s+/g, ' ').trim().slice(0, 400));
    });
  }
  new MutationObserver(function (muts) {
    if (!pending) { pending = true; requestAnimationFrame(tidy); }
    muts.forEach(function (m) {
      m.addedNodes.forEach(function (n) {
        if (n.nodeType !== 1 || !n.textContent || n.textContent.indexOf(busy) < 0) { return; }
        var walker = document.createTreeWalker(n, NodeFilter.SHOW_TEXT);
        var node;
        while ((node = walker.nextNode())) {
          if (node.nodeValue.indexOf(busy) >= 0) {
            node.nodeValue = '系统繁忙，请稍后再试。The service is busy, please try again.';
          }
        }
      });
    });
  }).observe(document.documentElement, { childList: true, subtree: true, attributes: true,
                                         attributeFilter: ['aria-label'] });
})();
</script>
"""

ELDER_JS = """(on) => {
  document.body.classList.toggle('qa-elder', !!on);
  var root = document.getElementById('qa-root');
  if (root) { root.classList.toggle('qa-elder', !!on); }
  try { localStorage.setItem('qa-elder', on ? '1' : '0'); } catch (e) {}
  return [];
}"""

LANG_JS = """(on) => {
  document.documentElement.lang = on ? 'en' : 'zh-CN';
  try { localStorage.setItem('qa-lang', on ? 'en' : 'zh'); } catch (e) {}
  return [];
}"""

SCROLL_JS = """() => {
  // show the start of the newest answer (its question on top), not its end
  setTimeout(function () {
    var wrap = document.querySelector('#qa-chat .bubble-wrap');
    if (!wrap) { return; }
    var rows = wrap.querySelectorAll('.message-row');
    var row = rows.length >= 2 ? rows[rows.length - 2] : rows[rows.length - 1];
    if (!row) { return; }
    wrap.scrollTop += row.getBoundingClientRect().top - wrap.getBoundingClientRect().top - 8;
  }, 80);
  return [];
}"""

RESTORE_JS = """() => {
  var s = function (k) { try { return localStorage.getItem(k); } catch (e) { return null; } };
  return [s('qa-elder') === '1', s('qa-lang') === 'en'];
}"""


def make_theme() -> gr.themes.Base:
    cjk = ["PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei",
           "Helvetica Neue", "Arial", "sans-serif"]
    return gr.themes.Base(
        primary_hue=gr.themes.colors.red,
        secondary_hue=gr.themes.colors.blue,
        neutral_hue=gr.themes.colors.slate,
        radius_size=gr.themes.sizes.radius_sm,
        text_size=gr.themes.sizes.text_lg,
        font=cjk,
        font_mono=["Noto Sans Mono CJK SC", "DejaVu Sans Mono", "monospace"],
    ).set(
        body_background_fill="#f3f5f8",
        block_title_text_color="#0b4ea2",
        block_label_text_color="#0b4ea2",
        button_primary_background_fill="#c8161d",
        button_primary_background_fill_hover="#9e1016",
        button_primary_text_color="#ffffff",
        link_text_color="#0b4ea2",
        chatbot_text_size="17px",
    )


class QABlocks(gr.Blocks):
    """Blocks that bring their own theme, CSS and head (which Gradio 6 takes in launch()), so a
    test's plain `app.launch(...)` shows the same page as `python ui.py`."""

    def launch(self, *args: Any, **kwargs: Any):  # type: ignore[override]
        kwargs.setdefault("theme", make_theme())
        kwargs.setdefault("css", CSS)
        kwargs.setdefault("head", HEAD)
        kwargs.setdefault("show_error", False)
        kwargs.setdefault("max_file_size", "1kb")  # the page takes no files: Gradio's /upload would take any size
        return super().launch(*args, **kwargs)


def _banner(lang: str, documents: Sequence[Document]) -> str:
    titles = "、".join(d.title for d in documents[:3]) + ("…" if len(documents) > 3 else "")
    return (f'<a class="qa-skip" href="#qa-question">{esc(t(lang, "skip"))}</a>'
            f'<div class="qa-banner" role="banner"><div class="qa-org">{esc(t(lang, "org"))}</div>'
            f'<h1>{esc(t(lang, "title"))}</h1><p>{esc(t(lang, "subtitle"))}</p>'
            f'<p class="qa-doc-list">{esc(titles)}</p></div>')


def _topbar(lang: str) -> str:
    links = ["智能问答", "无障碍浏览", "长者专区"] if lang == "zh" else ["Q&A", "Accessibility", "Seniors"]
    return f'<div class="qa-topbar-links">{"　|　".join(esc(x) for x in links)}</div>'


def build_app(
    assistant: Assistant,
    concurrency: int = DEFAULT_CONCURRENCY,
    max_queue: int | None = DEFAULT_MAX_QUEUE,
) -> gr.Blocks:
    """The page for `assistant`, its queue set (`concurrency` answers at once, at most `max_queue`
    waiting; past that a user is told the service is busy). Start it with `.launch()`."""
    documents = assistant.documents
    docs_by_id = {d.id: d for d in documents}
    chunks = list(getattr(getattr(assistant, "index", None), "chunks", ()) or ())
    all_figures = assistant.figures()
    periods = sorted({f.period for f in all_figures if f.period is not None})
    sections: list[str] = []
    for f in all_figures:
        for depth in (1, 2):
            s = " > ".join(f.section.split(" > ")[:depth]) if f.section else ""
            if s and s not in sections:
                sections.append(s)
    source_html = {lang: render_source(documents, chunks, lang) for lang in ("zh", "en")}

    def mode_choices(lang: str) -> list[tuple[str, str]]:
        return [(t(lang, f"mode_{m}"), m) for m in MODES]

    def doc_choices(lang: str) -> list[tuple[str, str]]:
        return [(t(lang, "all_docs"), "")] + [(d.title, d.id) for d in documents]

    def period_choices(lang: str) -> list[tuple[str, str]]:
        return [(t(lang, "all"), "")] + [(period_label(p, lang), p.label) for p in periods]

    def section_choices(lang: str) -> list[tuple[str, str]]:
        return [(t(lang, "all"), "")] + [(s.replace(" > ", " › "), s) for s in sections]

    def table(query: str, period: str, section: str, english: bool):
        lang = lang_of(english)
        rows = figure_rows(all_figures, docs_by_id, query, period or "", section or "", lang)
        headers = t(lang, "cols").split("|")
        count = t(lang, "count", n=len(rows)) if all_figures else t(lang, "no_figures")
        return gr.update(value={"data": rows or [[""] * len(headers)], "headers": headers}), \
            f'<span class="qa-count">{esc(count)}</span>'

    # --- answering ---

    def respond(question: str, history: list | None, top_k: float, mode: str, doc: str, english: bool):
        lang = lang_of(english)
        history = list(history or [])
        question = question if isinstance(question, str) else ""
        if question.strip():
            history.append({"role": "user", "content": render_question(question)})
        try:
            answer = assistant.ask(question, top_k=int(top_k or 5), mode=mode if mode in MODES else "hybrid",
                                   doc=doc or None)
            content = render_answer(answer, lang, docs_by_id)
        except QuestionError as e:
            content = render_error(e.en if lang == "en" else e.zh, lang)
        except Exception:  # noqa: BLE001 - the page must answer something
            log.exception("answering %s failed", repr(question[:200]) if assistant.settings.log_questions
                          else f"a question of {len(question)} characters")  # questions are not logged by default
            content = render_error(t(lang, "internal"), lang)
        history.append({"role": "assistant", "content": content})
        return "", history[-MAX_HISTORY:]

    def ask(question: str, top_k: int = 5, mode: str = "hybrid") -> dict:
        """Answer a question from the report. Returns the answer as JSON: found, text (the direct
        answer), figures, passages (each with section, period, paragraph), elapsed_ms; or, for a
        question that cannot be asked, {"error": "<中文> / <English>", "error_zh", "error_en"}."""
        try:
            if mode not in MODES:
                raise QuestionError(f"检索方式无效:{mode}(可选 hybrid、dense、bm25)",
                                    f"invalid mode {mode!r} (use hybrid, dense or bm25)")
            try:
                k = int(top_k)
            except (TypeError, ValueError):
                raise QuestionError(f"top_k 必须是整数:{top_k}", f"top_k must be an integer: {top_k!r}") from None
            return assistant.ask(question, top_k=k, mode=mode).to_dict()
        except QuestionError as e:
            return {"question": question if isinstance(question, str) else None, "found": False,
                    "error": str(e), "error_zh": e.zh, "error_en": e.en}
        except Exception:  # noqa: BLE001
            log.exception("API answer failed")
            return {"question": question if isinstance(question, str) else None, "found": False,
                    "error": "系统暂时无法回答,请稍后再试 / the service cannot answer right now, please try again later",
                    "error_zh": "系统暂时无法回答,请稍后再试", "error_en": "the service cannot answer right now"}

    with QABlocks(title=TITLE, analytics_enabled=False) as app, gr.Column(elem_id="qa-root"):
        with gr.Row(elem_id="qa-topbar", equal_height=True):
            topbar = gr.HTML(_topbar("zh"), padding=False, scale=6, min_width=200)
            elder = gr.Checkbox(label=t("zh", "elder"), value=False, elem_id="qa-elder", container=False,
                                scale=0, min_width=130)
            english = gr.Checkbox(label=t("zh", "english"), value=False, elem_id="qa-english", container=False,
                                  scale=0, min_width=120)
        banner = gr.HTML(_banner("zh", documents), padding=False)
        with gr.Row(equal_height=False):
            with gr.Column(scale=7, min_width=360):
                with gr.Tabs(elem_id="qa-tabs") as tabs:
                    with gr.Tab(t("zh", "tab_chat"), id="chat", elem_id="qa-tab-chat") as tab_chat:
                        chatbot = gr.Chatbot(
                            label=t("zh", "chat"), show_label=False, elem_id="qa-chat", height=600,
                            autoscroll=False, buttons=["copy"],
                            placeholder=t("zh", "placeholder_chat"), latex_delimiters=[], allow_tags=False,
                            sanitize_html=True, feedback_options=None, line_breaks=False, layout="bubble",
                            group_consecutive_messages=False,
                        )
                        with gr.Row(equal_height=True):
                            question = gr.Textbox(
                                label=t("zh", "question"), placeholder=t("zh", "placeholder"), lines=1, max_lines=1,
                                max_length=500, elem_id="qa-question", scale=8, min_width=260, autofocus=True,
                                submit_btn=False,
                            )
                            send = gr.Button(t("zh", "send"), variant="primary", elem_id="qa-send", scale=1,
                                             min_width=80)
                            clear = gr.Button(t("zh", "clear"), variant="secondary", elem_id="qa-clear", scale=1,
                                              min_width=80)
                        notice = gr.HTML(f'<div class="qa-notice">{esc(t("zh", "notice"))}</div>', padding=False)
                    with gr.Tab(t("zh", "tab_data"), id="data", elem_id="qa-tab-data") as tab_data:
                        with gr.Row():
                            fquery = gr.Textbox(label=t("zh", "filter"), placeholder=t("zh", "filter_ph"),
                                                elem_id="qa-fig-query", scale=3)
                            fperiod = gr.Dropdown(label=t("zh", "period"), choices=period_choices("zh"), value="",
                                                  elem_id="qa-fig-period", scale=1)
                            fsection = gr.Dropdown(label=t("zh", "section"), choices=section_choices("zh"), value="",
                                                   elem_id="qa-fig-section", scale=2)
                        first_table, first_count = table("", "", "", False)
                        fcount = gr.HTML(first_count, padding=False)
                        ftable = gr.Dataframe(
                            value=first_table["value"]["data"], headers=first_table["value"]["headers"],
                            interactive=False, wrap=True, elem_id="qa-figtable", max_height=560,
                            column_widths=["12%", "16%", "8%", "10%", "22%", "32%"], show_label=False,
                        )
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
                    mode = gr.Radio(mode_choices("zh"), value="hybrid", label=t("zh", "mode"), elem_id="qa-mode")
                    doc = gr.Dropdown(doc_choices("zh"), value="", label=t("zh", "doc"), elem_id="qa-doc",
                                      visible=len(documents) > 1)

        ask_inputs = [question, chatbot, top_k, mode, doc, english]
        common = dict(concurrency_id="qa", api_visibility="private")
        question.submit(respond, ask_inputs, [question, chatbot], **common).then(None, None, None, js=SCROLL_JS)
        send.click(respond, ask_inputs, [question, chatbot], **common).then(None, None, None, js=SCROLL_JS)
        clear.click(lambda: ("", []), None, [question, chatbot], queue=False, api_visibility="private")
        for b in example_buttons:
            b.click(respond, [b, chatbot, top_k, mode, doc, english], [question, chatbot], **common).then(
                None, None, None, js=SCROLL_JS)

        filters = [fquery, fperiod, fsection, english]
        for comp in (fquery,):
            comp.submit(table, filters, [ftable, fcount], api_visibility="private")
            comp.input(table, filters, [ftable, fcount], api_visibility="private", trigger_mode="always_last",
                       show_progress="hidden")
        fperiod.change(table, filters, [ftable, fcount], api_visibility="private")
        fsection.change(table, filters, [ftable, fcount], api_visibility="private")

        def relabel(on: bool, q: str, period_v: str, section_v: str):
            lang = lang_of(on)
            tbl, cnt = table(q, period_v, section_v, on)
            return [
                _topbar(lang), _banner(lang, documents),
                gr.update(label=t(lang, "elder")),
                gr.update(label=t(lang, "tab_chat")), gr.update(label=t(lang, "tab_data")),
                gr.update(label=t(lang, "tab_source")),
                gr.update(label=t(lang, "chat"), placeholder=t(lang, "placeholder_chat")),
                gr.update(label=t(lang, "question"), placeholder=t(lang, "placeholder")),
                gr.update(value=t(lang, "send")), gr.update(value=t(lang, "clear")),
                f'<div class="qa-notice">{esc(t(lang, "notice"))}</div>',
                gr.update(label=t(lang, "filter"), placeholder=t(lang, "filter_ph")),
                gr.update(label=t(lang, "period"), choices=period_choices(lang)),
                gr.update(label=t(lang, "section"), choices=section_choices(lang)),
                tbl, cnt, source_html[lang],
                f'<div class="qa-side-title">{esc(t(lang, "examples"))}</div>',
                *[gr.update(value=q2) for q2 in EXAMPLES[lang]],
                gr.update(label=t(lang, "settings")),
                gr.update(label=t(lang, "top_k")),
                gr.update(label=t(lang, "mode"), choices=mode_choices(lang)),
                gr.update(label=t(lang, "doc"), choices=doc_choices(lang)),
            ]

        english.change(
            relabel, [english, fquery, fperiod, fsection],
            [topbar, banner, elder, tab_chat, tab_data, tab_source, chatbot, question, send, clear, notice,
             fquery, fperiod, fsection, ftable, fcount, source, examples_title, *example_buttons, settings_box,
             top_k, mode, doc],
            api_visibility="private", queue=False,
        ).then(None, [english], None, js=LANG_JS)
        elder.change(None, [elder], None, js=ELDER_JS)
        app.load(None, None, [elder, english], js=RESTORE_JS)

        gr.api(ask, api_name="ask", concurrency_id="qa")

    app.queue(default_concurrency_limit=concurrency, max_size=max_queue)
    return app


# --- command line ---------------------------------------------------------------------------------


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
        app.launch(server_name=args.host, server_port=args.port, inbrowser=False, share=False, quiet=True,
                   app_kwargs={"routes": api_routes(assistant, args.concurrency, args.max_queue)})
    except OSError as e:
        print(f"无法启动服务 / cannot start the server on {args.host}:{args.port}: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
