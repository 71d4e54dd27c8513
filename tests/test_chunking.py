from __future__ import annotations

import pytest

from qa.chunking import chunk_document, indexable_text, pack, split_long
from qa.ingest import parse_document


@pytest.fixture(scope="module")
def chunks(report):
    return chunk_document(report)


def test_offsets_hold(report, chunks):
    for c in chunks:
        assert report.text[c.start : c.end] == c.text
        for f in c.figures:
            assert report.text[f.start : f.end] == f.text


def test_paragraphs_are_tiled_exactly_once(report, chunks):
    for p in report.paragraphs:
        mine = [c for c in chunks if c.paragraph == p.index]
        assert mine, p.text[:20]
        assert mine[0].start == p.start and mine[-1].end == p.end
        for a, b in zip(mine, mine[1:]):
            assert a.end == b.start  # contiguous, no overlap, no gap
    covered = sum(c.end - c.start for c in chunks)
    assert covered == sum(p.end - p.start for p in report.paragraphs)


def test_chunks_stay_in_their_section(report, chunks):
    para = {p.index: p for p in report.paragraphs}
    for c in chunks:
        assert c.path == para[c.paragraph].path
        assert c.period == para[c.paragraph].period


def test_sizes(chunks):
    sizes = [len(c.text) for c in chunks]
    assert max(sizes) <= 260
    assert sum(40 <= s <= 240 for s in sizes) / len(sizes) > 0.9


def test_neighbours(chunks):
    by_id = {c.id: c for c in chunks}
    for c in chunks:
        if c.next:
            assert by_id[c.next].prev == c.id and by_id[c.next].paragraph == c.paragraph
    assert chunks[0].prev is None


def test_size_is_a_setting(report):
    small = chunk_document(report, min_chars=20, max_chars=80)
    large = chunk_document(report, min_chars=100, max_chars=400)
    assert len(small) > len(large)


def test_headings_carried_into_indexable_text(chunks):
    c = next(c for c in chunks if c.text.startswith("实施项目投资比拼行动"))
    text = indexable_text(c)
    assert "凝心聚力打造省市经济增长的强引擎" in text and "2024年重点工作" in text
    assert text.endswith(c.text)


@pytest.mark.parametrize(
    "text, limit, pieces",
    [
        ("甲乙,丙丁,戊己", 3, ["甲乙,", "丙丁,", "戊己"]),
        ("投资1,200亿元,增长5%", 8, ["投资1,200亿元,", "增长5%"]),  # never split 1,200
        ("没有任何逗号的一长串文字", 4, ["没有任何逗号的一长串文字"]),
        ("短句", 10, ["短句"]),
        ("一、二、三;四", 2, ["一、", "二、", "三;", "四"]),
    ],
)
def test_split_long(text, limit, pieces):
    assert [text[a:b] for a, b in split_long(text, 0, len(text), limit)] == pieces


def test_pack_joins_short_tail():
    # a 10-char tail joins the chunk before it when the result stays under max + min
    assert pack([(0, 50), (50, 100), (100, 110)], 20, 100) == [(0, 110)]
    assert pack([(0, 100), (100, 200), (200, 210)], 20, 100) == [(0, 100), (100, 210)]
    # under the minimum, pieces keep joining even past the maximum
    assert pack([(0, 10), (10, 20)], 60, 200) == [(0, 20)]
    assert pack([(0, 10), (10, 150)], 60, 100) == [(0, 150)]


def test_document_without_headings_is_chunked():
    doc = parse_document("plain", "没有标题的一段文字。" * 30)
    chunks = chunk_document(doc)
    assert chunks and all(c.path == () for c in chunks)
    assert "".join(c.text for c in chunks) == doc.paragraphs[0].text
