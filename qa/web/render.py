"""An answer as HTML and as plain text: pure functions, no Gradio.

Everything that is not ours (questions, document text, passages, figures, section names, notes,
suggested questions, the contact line) goes through `esc` before it reaches HTML; highlighting
decides marks per character on the raw text and escapes each run, so no text can become markup.
"""
from __future__ import annotations

import html
import re
from typing import Any, Iterable

from ..types import Answer, Document, Figure, Passage, Period
from ..understand import UNCLEAR
from .labels import MODES, note, t
from .labels import contact as contact_of

SHOWN_CITES = 3  # citations under an answer; the rest behind 更多出处
MAYBE_CITES = 3  # closest passages under a not-found answer

# Numbers with a unit, highlighted in a passage only when the figure extractor gave it no figures.
_UNITS = sorted(
    ["%", "‰", "个百分点", "亿美元", "亿元", "万元", "元", "万户", "万人", "万家", "万个", "万套", "万平方米", "平方米",
     "平方公里", "公里", "千米", "万吨", "万", "亿", "户", "人", "家", "个", "项", "名", "位", "倍", "条", "座", "所",
     "套", "吨", "次", "台", "年"], key=len, reverse=True)
_NUMBER = re.compile(
    r"[超近约逾]?\d+(?:\.\d+)?(?:/\d+)?(?:" + "|".join(map(re.escape, _UNITS)) + r")?(?:左右|以上|以内|以下)?"
)


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


def highlight(
    text: str,
    offset: int = 0,
    figures: Iterable[Figure] = (),
    terms: Iterable[str] = (),
    best: Figure | None = None,
    numbers: bool = False,
) -> str:
    """`text` as safe HTML with figures (document offsets, shifted by `offset`) and question terms
    marked. Marks are decided per character on the raw text; every run is escaped on its own."""
    n = len(text)
    if not n:
        return ""
    cls: list[str | None] = [None] * n
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


def sentence_span(doc: Document | None, pos: int) -> tuple[int, int] | None:
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


def render_passage(i: int, p: Passage, lang: str, answer: Answer | None = None, doc_title: str | None = None,
                   quoted: tuple[int, int] | None = None) -> str:
    """One citation. `quoted` is the document span the answer already quotes: inside this passage it
    is not shown again in full, only its place (即上方引用的原句), with the passage's other words."""
    best = answer.figures[0] if answer and answer.figures else None
    body = _body_without(p, quoted, lang, best) if quoted else None
    body = body if body is not None else highlight(p.text, p.start, p.figures, p.matched, best, numbers=not p.figures)
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


def _body_without(p: Passage, quoted: tuple[int, int], lang: str, best: Figure | None) -> str | None:
    """The passage with the quoted sentence folded to a marker; None when the quote is not inside it."""
    a, b = max(quoted[0], p.start) - p.start, min(quoted[1], p.end) - p.start
    if not 0 <= a < b <= len(p.text):
        return None
    before, after = p.text[:a], p.text[b:]
    mark = f'<span class="qa-quoted">〔{esc(t(lang, "quoted_above"))}〕</span>'
    return (highlight(before, p.start, [f for f in p.figures if f.end <= p.start + a], p.matched, best)
            + mark + highlight(after, p.start + b, [f for f in p.figures if f.start >= p.start + b], p.matched, best))


def _best_sentence(answer: Answer, documents: dict[str, Document]) -> tuple[str, str]:
    """The best figure's sentence as (HTML with the figure marked, plain text)."""
    best = answer.figures[0]
    doc = documents.get(best.doc)
    span = sentence_span(doc, best.start)
    if doc is not None and span:
        a, b = span
        return highlight(doc.text[a:b], a, [best], (), best), doc.text[a:b].strip()
    return esc(answer.text), answer.text


def _cite_of(answer: Answer, figure: Figure) -> int | None:
    return next((i for i, p in enumerate(answer.passages, 1)
                 if p.doc == figure.doc and p.start <= figure.start < p.end), None)


_GENERIC_LEAD = "报告未给出具体数字"


def passage_lead(answer: Answer, lang: str) -> str:
    """The first words of a passage answer: what the report does not give, or gives only for the
    other period (报告只给出2023年实绩：超1200亿元); the quote that follows it is shown on its own."""
    said = re.split(r"\s*—\s*“|[。.]?\s*报告原文", answer.text.strip(), maxsplit=1)[0].strip().rstrip("。.")
    if not said or said == _GENERIC_LEAD or len(said) > 80:
        return t(lang, "state_passage")
    return said


def render_answer(answer: Answer, lang: str = "zh", documents: dict[str, Document] | None = None,
                  contact: str = "") -> str:
    """The answer as one safe HTML block, in one of three looks by its status: a figure (the number
    large, its sentence quoted); a passage (the report speaks of it but gives no number: said
    plainly, then what it does say); not found (said plainly, where to ask instead, the closest
    passages). Then the numbered citations, related questions, copy, and the time taken."""
    documents = documents or {}
    status = answer.status
    passages = answer.passages
    unclear = UNCLEAR in answer.notes
    quoted: tuple[int, int] | None = None  # the span the answer quotes, not repeated in its citation
    out = [f'<div class="qa-answer qa-state-{esc(status)}{" qa-unclear" if unclear else ""}">']
    if unclear:
        out.append(f'<div class="qa-notfound qa-notunderstood" role="status"><strong>{esc(t(lang, "unclear"))}'
                   f'</strong></div>')
    elif status == "figure" and answer.figures:
        best = answer.figures[0]
        sentence, _ = _best_sentence(answer, documents)
        cite_no = _cite_of(answer, best)
        link = _cite_link(cite_no, passages[cite_no - 1], lang) if cite_no else ""
        quoted = sentence_span(documents.get(best.doc), best.start)
        subject = f'<span class="qa-subject">{esc(best.subject)}</span>' if best.subject else ""
        out.append(
            f'<div class="qa-direct"><span class="qa-direct-label" aria-hidden="true">{esc(t(lang, "answer"))}</span>'
            f'<div class="qa-direct-body"><div class="qa-headline"><strong class="qa-big">{esc(best.text)}</strong> '
            f'{subject} {badge(best.period, lang)}</div>'
            f'<blockquote class="qa-quote">“{sentence}” {link}</blockquote></div></div>'
        )
    elif status == "table" and answer.rows:
        from .table_view import render_table

        out.append(
            f'<div class="qa-direct qa-direct-table"><span class="qa-direct-label" aria-hidden="true">'
            f'{esc(t(lang, "answer"))}</span><div class="qa-direct-body"><div class="qa-headline">'
            f'{esc(t(lang, "state_table"))}</div>{render_table(answer.rows, lang, answer_cite(answer))}</div></div>'
        )
    elif status != "not_found" and passages:
        p = passages[0]
        text = highlight(p.text, p.start, p.figures, p.matched, numbers=not p.figures)
        lead = passage_lead(answer, lang)
        quoted = (p.start, p.end)
        out.append(
            f'<div class="qa-direct qa-direct-passage"><span class="qa-direct-label" aria-hidden="true">ⓘ</span>'
            f'<div class="qa-direct-body"><div class="qa-headline qa-nonumber">{esc(lead)}</div>'
            f'<div class="qa-lead">{esc(t(lang, "state_passage_lead"))}</div>'
            f'<blockquote class="qa-quote">“{text}” {_cite_link(1, p, lang)}</blockquote></div></div>'
        )
    else:
        contact_html = f'<div class="qa-contact">{esc(contact_of(lang, contact))}</div>' if contact else ""
        out.append(f'<div class="qa-notfound" role="status"><strong>{esc(t(lang, "not_found"))}</strong>'
                   f'{contact_html}</div>')
    for n in answer.notes:
        if n == UNCLEAR:
            continue
        out.append(f'<div class="qa-note" role="note"><span class="qa-note-title">{esc(t(lang, "note_title"))}</span>'
                   f'{esc(note(lang, n))}</div>')
    if passages:
        out.append(_citations(answer, lang, documents, quoted))
    if answer.related:
        chips = "".join(f'<button type="button" class="qa-chip">{esc(q)}</button>' for q in answer.related[:6])
        title = t(lang, "try_these") if unclear else t(lang, "related")
        out.append(f'<div class="qa-related"><span class="qa-related-title">{esc(title)}</span>'
                   f'<span class="qa-chips">{chips}</span></div>')
    mode = t(lang, f"mode_{answer.mode}") if answer.mode in MODES else answer.mode
    copy = "".join(f'<span class="qa-copy-line">{esc(line)}</span>'
                   for line in plain_text(answer, lang, documents, contact).split("\n"))
    out.append(
        f'<div class="qa-meta"><span>{esc(t(lang, "elapsed", ms=f"{answer.elapsed_ms:.0f}"))} · {esc(mode)}'
        f' · {esc(t(lang, "n_cites", n=len(passages)))}</span>'
        f'<button type="button" class="qa-copy" title="{esc(t(lang, "copy_title"))}">{esc(t(lang, "copy"))}</button>'
        f'<span class="qa-copy-text">{copy}</span></div>'
    )
    out.append("</div>")
    return "".join(out)


def answer_cite(answer: Answer):
    """(doc, offset) -> ("[n]", chunk id) of the answer's numbered citation that holds it: a table cell's link."""
    def cite(doc: str, pos: int) -> tuple[str, str] | None:
        return next(((f"[{i}]", p.chunk_id) for i, p in enumerate(answer.passages, 1)
                     if p.doc == doc and p.start <= pos < p.end), None)
    return cite


def _citations(answer: Answer, lang: str, documents: dict[str, Document], quoted: tuple[int, int] | None) -> str:
    """The numbered citations: three in view, the rest behind 更多出处; at most three closest passages
    (可能相关) under a not-found answer."""
    not_found = answer.status == "not_found"
    passages = answer.passages[:MAYBE_CITES] if not_found else answer.passages
    title = t(lang, "maybe") if not_found else t(lang, "sources")
    multi = len(documents) > 1
    items = []
    for i, p in enumerate(passages, 1):
        d = documents.get(p.doc)
        items.append(render_passage(i, p, lang, answer, d.title if (multi and d) else None,
                                    quoted))
    shown, more = items[:SHOWN_CITES], items[SHOWN_CITES:]
    out = [f'<div class="qa-cites-title">{esc(title)}</div><ol class="qa-cites">{"".join(shown)}</ol>']
    if more:
        out.append(f'<details class="qa-more"><summary>{esc(t(lang, "more_sources", n=len(more)))}</summary>'
                   f'<ol class="qa-cites" start="{SHOWN_CITES + 1}">{"".join(more)}</ol></details>')
    return "".join(out)


def plain_text(answer: Answer, lang: str = "zh", documents: dict[str, Document] | None = None,
               contact: str = "") -> str:
    """What the copy button copies: the answer, its sentence, the citations with their section
    paths; plain text, no markup. (The chat's sanitiser drops data-* attributes, so the page carries it as
    hidden text, one element per line, which page.js joins.)"""
    documents = documents or {}
    status = answer.status
    lines = [f"{'问' if lang == 'zh' else 'Q'}: {answer.question.strip()}"]
    if status == "figure" and answer.figures:
        best = answer.figures[0]
        _, sentence = _best_sentence(answer, documents)
        cite_no = _cite_of(answer, best)
        period = f" ({period_label(best.period, lang)})" if best.period else ""
        lines.append(f"{t(lang, 'answer')}: {best.text}{' ' + best.subject if best.subject else ''}{period}")
        lines.append(f"“{sentence}”" + (f" [{cite_no}]" if cite_no else ""))
    elif status == "table" and answer.rows:
        from .table_view import table_lines

        lines.append(f"{t(lang, 'answer')}: {t(lang, 'state_table')}")
        lines.extend(table_lines(answer.rows, lang))
    elif status != "not_found" and answer.passages:
        p = answer.passages[0]
        lines.append(f"{t(lang, 'answer')}: {passage_lead(answer, lang)}")
        lines.append(f"“{p.text.strip()}” [1]")
    elif UNCLEAR in answer.notes:
        lines.append(t(lang, "unclear"))
    else:
        lines.append(t(lang, "not_found") + (f" {contact}" if contact else ""))
    lines.extend(note(lang, n) for n in answer.notes if n != UNCLEAR)
    if answer.passages:
        lines.append("")
        lines.append(t(lang, "maybe") if status == "not_found" else t(lang, "sources"))
        for i, p in enumerate(answer.passages, 1):
            d = documents.get(p.doc)
            where = " > ".join(x for x in ((d.title if d else ""), p.section) if x) or p.doc
            period = f" [{period_label(p.period, lang)}]" if p.period else ""
            lines.append(f"[{i}] {where}{period}: {p.text.strip()}")
    return "\n".join(lines)


def render_error(message: str, lang: str = "zh") -> str:
    return (f'<div class="qa-answer qa-error" role="alert"><strong>{esc(t(lang, "error_title"))}</strong>'
            f'<div>{esc(message)}</div></div>')


def render_question(question: str) -> str:
    return f'<span class="qa-q">{esc_md(question)}</span>'
