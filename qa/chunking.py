"""Cut paragraphs into retrieval chunks: whole sentences, one paragraph, about 60-200 characters.

Small chunks let a passage be cited precisely; keeping them inside one paragraph (and so one
section) keeps the citation's heading path true. Long government sentences are cut at commas,
never inside a number, so every figure stays whole.
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Callable, Iterable

from .figures import extract_figures
from .resolve import resolve_chunks
from .types import Chunk, Document, Figure, Paragraph

SOFT_BREAKS = set(",，、;；:：")
TOPIC_MAX = 20  # a short sentence like 项目建设加快推进。 names the topic of what follows


def split_long(text: str, start: int, end: int, limit: int) -> list[tuple[int, int]]:
    """Cut the span [start, end) of `text` at soft breaks so each piece is at most `limit` chars.

    A comma between two digits (1,200) is part of a number and never a break. A piece with no
    break inside the limit is left whole rather than cut mid-word.
    """
    pieces: list[tuple[int, int]] = []
    a = start
    while end - a > limit:
        cut = -1
        for i in range(min(end - 1, a + limit - 1), a, -1):
            ch = text[i]
            if ch in SOFT_BREAKS and not (text[i - 1].isdigit() and i + 1 < end and text[i + 1].isdigit()):
                cut = i + 1
                break
        if cut == -1:  # no break inside the limit: take the first break after it
            for i in range(a + limit, end - 1):
                if text[i] in SOFT_BREAKS and not (text[i - 1].isdigit() and text[i + 1].isdigit()):
                    cut = i + 1
                    break
        if cut == -1:
            break
        pieces.append((a, cut))
        a = cut
    pieces.append((a, end))
    return pieces


def pack(pieces: list[tuple[int, int]], min_chars: int, max_chars: int) -> list[tuple[int, int]]:
    """Greedily join consecutive pieces into spans of about min..max characters."""
    spans: list[list[int]] = []
    for a, b in pieces:
        if spans and (b - spans[-1][0] <= max_chars or spans[-1][1] - spans[-1][0] < min_chars):
            spans[-1][1] = b
        else:
            spans.append([a, b])
    # a short tail joins the chunk before it when that stays reasonable
    if len(spans) > 1 and spans[-1][1] - spans[-1][0] < min_chars and spans[-1][1] - spans[-2][0] <= max_chars + min_chars:
        tail = spans.pop()
        spans[-1][1] = tail[1]
    return [(a, b) for a, b in spans]


def paragraph_spans(doc_text: str, para: Paragraph, min_chars: int, max_chars: int) -> list[tuple[int, int]]:
    """Chunk spans covering every character of the paragraph exactly once (gaps between sentences
    are given to the sentence before them, so `text[start:end]` is contiguous)."""
    pieces: list[tuple[int, int]] = []
    for a, b in para.sentences:
        pieces.extend(split_long(doc_text, a, b, max_chars))
    spans = pack(pieces, min_chars, max_chars)
    # close gaps (whitespace between sentences) so the chunks tile the paragraph
    tiled = []
    for i, (a, b) in enumerate(spans):
        a = para.start if i == 0 else tiled[-1][1]
        b = para.end if i == len(spans) - 1 else b
        tiled.append((a, b))
    return tiled


def topic_of(doc_text: str, para: Paragraph, chunk_start: int) -> str:
    """The last short sentence at or before the chunk's start: the sub-topic it continues."""
    topic = ""
    for a, b in para.sentences:
        if a > chunk_start:
            break
        sentence = doc_text[a:b]
        if len(sentence) <= TOPIC_MAX and sentence.endswith("。"):
            topic = sentence.rstrip("。")
    return topic


def chunk_document(
    doc: Document,
    min_chars: int = 60,
    max_chars: int = 200,
    extract: Callable[[str, int], Iterable[Figure]] | None = None,
) -> list[Chunk]:
    """Chunks of every paragraph of `doc`, linked to their neighbours, with their figures attached and
    resolved (indicator, aspect, scope)."""
    if extract is None:
        extract = extract_figures
    raw: list[tuple[Paragraph, int, int]] = []
    for para in doc.paragraphs:
        for a, b in paragraph_spans(doc.text, para, min_chars, max_chars):
            raw.append((para, a, b))
    ids = [f"{doc.id}#{i}" for i in range(len(raw))]
    chunks = []
    for i, (para, a, b) in enumerate(raw):
        text = doc.text[a:b]
        section = para.section
        figures = tuple(
            replace(f, doc=doc.id, period=para.period, section=section) for f in extract(text, a)
        )
        chunks.append(
            Chunk(
                id=ids[i],
                doc=doc.id,
                index=i,
                text=text,
                start=a,
                end=b,
                path=para.path,
                period=para.period,
                paragraph=para.index,
                prev=ids[i - 1] if i > 0 and raw[i - 1][0] is para else None,
                next=ids[i + 1] if i + 1 < len(raw) and raw[i + 1][0] is para else None,
                figures=figures,
                topic=topic_of(doc.text, para, a),
            )
        )
    return resolve_chunks(doc, chunks)  # what each figure measures, read in its whole sentence


_HEADING_NUMBER = re.compile(r"^[（(][一二三四五六七八九十]+[)）]|^[一二三四五六七八九十]+、")


def indexable_text(chunk: Chunk) -> str:
    """What the retrievers see: the section titles and the topic carried into the chunk's own text,
    so a passage deep in a section still matches words only its heading uses."""
    titles = [_HEADING_NUMBER.sub("", h) for h in chunk.path]
    context = [t for t in titles if t and t not in chunk.text]
    if chunk.topic and chunk.topic not in chunk.text:
        context.append(chunk.topic)
    return (" ".join(context) + "\n" + chunk.text) if context else chunk.text
