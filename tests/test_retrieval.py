"""Fusion and re-ranking as pure functions, then retrieval on the real model and report."""
from __future__ import annotations

import pytest

from qa.retrieval import rrf, weighted_sum


def test_rrf_rewards_agreement():
    fused = rrf([[(1, 0.9), (2, 0.8)], [(2, 5.0), (3, 4.0)]], [0.5, 0.5], k=60)
    assert max(fused, key=fused.get) == 2
    assert fused[2] <= 1.0 + 1e-9


def test_rrf_weights():
    fused = rrf([[(1, 0.9)], [(2, 5.0)]], [0.8, 0.2], k=60)
    assert fused[1] > fused[2]


def test_weighted_sum_normalises_each_list():
    fused = weighted_sum([[(1, 0.9), (2, 0.5)], [(2, 30.0), (3, 10.0)]], [0.5, 0.5])
    assert fused[2] == pytest.approx(0.5 * 0.0 + 0.5 * 1.0)
    assert fused[1] == pytest.approx(0.5)
    assert fused[3] == pytest.approx(0.0)


def test_empty_lists():
    assert rrf([[], []], [0.5, 0.5]) == {}
    assert weighted_sum([[]], [1.0]) == {}


# --- the real model and report ----------------------------------------------------------------

# (question as a user might type it, a phrase of the passage that answers it)
QUESTIONS = [
    ("东湖高新区去年经济总量有多大", "总量达到2715亿元"),
    ("2023年上半年经济增长多少", "上半年增长3.2%"),
    ("外商直接投资去年有多少", "外商直接投资6.8亿美元"),
    ("发了多少消费补贴", "推出1000万元消费补贴"),
    ("市场主体数量突破了多少", "市场主体突破20万户"),
    ("汉江国家实验室建设进展", "汉江国家实验室科研总部开工建设"),
    ("私募基金管理机构有多少家", "备案私募基金管理机构达202家"),
    ("中试平台有多少家", "中试平台总量达66家"),
    ("显示面板全球市场占有率", "低温多晶硅中小尺寸显示面板全球市占率提升至24%"),
    ("人工智能计算中心算力扩容到多少", "人工智能计算中心算力扩容至400P"),
    ("城市道路总里程是多少公里", "城市道路总里程突破1000公里"),
    ("建成了多少个停车位", "建成停车位1.5万个"),
    ("跨境电商进出口额", "跨境电商进出口总额约110亿元"),
    ("充电桩新建了多少根", "充电桩7685根"),
    ("民生支出占比", "民生支出占比达到75.1%"),
    ("交付了多少套还建房", "交付还建房8262套"),
    ("2024年高新技术产业增加值目标", "高新技术产业增加值增长10%"),
    ("今年要新增多少高性能算力", "新增高性能算力1700P"),
    ("今年签约总金额目标", "签约总金额2550亿元"),
    ("今年新增多少公园和绿道", "新增公园10座、绿地30万方、绿道30公里"),
    ("今年新增床位数", "新增床位总数1250张"),
    ("今年要建几个污水处理厂", "新改扩建左岭、花山2个污水处理厂"),
    ("管委会如何过紧日子", "养成过“紧日子”的习惯"),
]


@pytest.mark.parametrize("question, phrase", QUESTIONS)
def test_expected_passage_in_top5(real_assistant, question, phrase):
    answer = real_assistant.ask(question, top_k=5)
    texts = [p.paragraph[p.start - p.paragraph_start : p.end - p.paragraph_start] for p in answer.passages]
    assert answer.found
    assert any(phrase in t or t in phrase for t in texts) or any(
        phrase[:12] in p.text for p in answer.passages
    ), [t[:40] for t in texts]


@pytest.mark.parametrize(
    "question, phrase, label",
    [
        ("去年新开工了多少个亿元以上项目", "新开工亿元以上项目107个", "2023年实绩"),
        ("今年计划新开工多少个亿元以上项目", "176个亿元以上项目", "2024年目标"),
        ("2023年外商直接投资多少", "外商直接投资6.8亿美元", "2023年实绩"),
        ("2024年外商直接投资目标", "外商直接投资7.1亿美元", "2024年目标"),
        ("去年新增进出口实绩企业多少家", "新增进出口实绩企业100家", "2023年实绩"),
        ("今年新增进出口实绩企业目标", "新增进出口实绩企业50家", "2024年目标"),
    ],
)
def test_period_picks_the_right_part(real_assistant, question, phrase, label):
    answer = real_assistant.ask(question, top_k=5)
    top = answer.passages[0]
    assert top.period is not None and top.period.label == label
    assert any(phrase in p.text for p in answer.passages[:3])


@pytest.mark.parametrize(
    "question",
    [
        "上海张江2023年GDP是多少",  # the gazetteer knows 张江 (it was a known limit with jieba's place tags)
        "深圳南山区的高新技术企业有多少家",
        "2025年的地区生产总值目标是多少",
        "2019年光谷新开工多少项目",
    ],
)
def test_unanswerable_questions_are_not_found(real_assistant, question):
    answer = real_assistant.ask(question)
    assert answer.found is False
    assert answer.passages  # the closest passages are still listed
    assert answer.figures == ()


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_modes_all_answer(real_assistant, mode):
    answer = real_assistant.ask("新增学位多少个", mode=mode, top_k=3)
    assert answer.mode == mode and len(answer.passages) == 3
    assert all(p.text == real_assistant.index.documents[p.doc].text[p.start : p.end] for p in answer.passages)


def test_english_questions_use_the_multilingual_model(real_assistant):
    answer = real_assistant.ask("How many charging piles were built?", top_k=5)
    assert any("充电桩" in p.text for p in answer.passages)


def test_answer_is_json_ready(real_assistant):
    import json

    d = real_assistant.ask("2023年光谷地区生产总值是多少？").to_dict()
    text = json.dumps(d, ensure_ascii=False)
    assert "2715亿元" in text and d["passages"][0]["section"]


# --- BM25 top-k (no model) ------------------------------------------------------------------------


def _bm25_index(token_lists):
    from types import SimpleNamespace

    from qa.index import make_bm25

    bm25 = make_bm25(token_lists)
    return SimpleNamespace(bm25=bm25, vocab=frozenset(bm25.vocab_dict), size=len(token_lists))


def _exhaustive(index, tokens, k):
    """Score every chunk (float64, np.add.at over the postings), check against bm25s's own float32
    scorer, rank by (-score, row)."""
    import numpy as np

    known = [t for t in tokens if t in index.vocab]
    if not known:
        return []
    s = index.bm25.scores
    scores = np.zeros(index.size)
    for t in known:
        a, b = s["indptr"][index.bm25.vocab_dict[t]], s["indptr"][index.bm25.vocab_dict[t] + 1]
        np.add.at(scores, s["indices"][a:b], s["data"][a:b].astype(np.float64))
    assert np.allclose(scores, index.bm25.get_scores(known), rtol=1e-5, atol=1e-6)
    rows = [r for r in np.lexsort((np.arange(len(scores)), -scores)) if scores[r] > 0][:k]
    return [(int(r), float(scores[r])) for r in rows]


@pytest.mark.parametrize("n", [50, 3000])
def test_bm25_top_k_equals_exhaustive_top_k(n):
    """Both code paths (few postings: per distinct row; many: over every chunk), ties at the cut
    and repeated query terms included: the same rows in the same order, the same scores."""
    import random

    from qa.retrieval import bm25_candidates

    rng = random.Random(n)
    words = [f"w{i}" for i in range(40)] + ["common"] * 10  # 'common' in most chunks: many ties
    docs = [[rng.choice(words) for _ in range(rng.randint(1, 12))] for _ in range(n)]
    docs += [["twin", "a"], ["twin", "a"], ["twin", "a"]]  # identical chunks: exact ties
    index = _bm25_index(docs)
    queries = [("w1",), ("w2", "w3", "common"), ("common",), ("twin",), ("twin", "twin", "w5"), ("nope",),
               tuple(words[:30]), ("nope", "w7")]
    for q in queries:
        for k in (1, 2, 10, 50, n + 10):
            got = bm25_candidates(index, q, k)
            want = _exhaustive(index, q, k)
            assert [r for r, _ in got] == [r for r, _ in want], (q, k)
            assert [s for _, s in got] == pytest.approx([s for _, s in want], rel=1e-5), (q, k)


@pytest.mark.parametrize("n, k, zeros, levels", [
    (10, 3, 0.0, 0), (5000, 1, 0.5, 0), (5000, 50, 0.9, 0), (100_000, 50, 0.7, 0), (100_000, 50, 0.5, 4),
    (100_000, 10, 0.9995, 0), (3000, 50, 0.0, 2), (200_000, 7, 0.0, 0),
])
def test_kth_largest_is_exact(n, k, zeros, levels):
    """The sampled lower bound never changes the answer: equal to a full partition, with many
    zeros, few non-zero values (the sample holds fewer than k), and heavy ties (levels: distinct values)."""
    import numpy as np

    from qa.retrieval import kth_largest

    rng = np.random.default_rng(n + k)
    v = rng.integers(1, levels + 1, n).astype(float) if levels else rng.random(n) * 10
    v[rng.random(n) < zeros] = 0.0
    k = min(k, max(1, int(np.count_nonzero(v))))
    assert kth_largest(v, k) == np.sort(v)[-k]


def test_an_indicator_some_figure_is_tied_to_is_named_whatever_its_words() -> None:
    """第一、第三产业增加值分别增长3.1%、5.1%: the report never writes 第一产业增加值, but the resolver ties 3.1%
    to it, so the question is not refused as of an indicator the report never names; a plan's years are
    covered by a report of its first year (“十五五”时期 in a 2026 report, which never writes 2030)."""
    from types import SimpleNamespace

    from qa.periods import Asked
    from qa.query import analyse
    from qa.retrieval import refusal_reason

    class Ix(SimpleNamespace):
        def says(self, text: str) -> bool:
            return text.lower() in self.text

    ix = Ix(text="第一、第三产业增加值分别增长3.1%、5.1%。“十五五”时期地区生产总值年均增长5%左右。",
            known_years=frozenset({2025, 2026}), indicators_given=frozenset({"第一产业增加值"}),
            documents={})
    assert refusal_reason(ix, analyse("第一产业增加值增长多少")) is None
    assert refusal_reason(ix, analyse("“十五五”时期地区生产总值年均增长目标")) is None
    assert "2031" in refusal_reason(ix, analyse("2031年地区生产总值目标"))
    ix.indicators_given = frozenset()
    assert "第一产业增加值" in refusal_reason(ix, analyse("第一产业增加值增长多少"))
