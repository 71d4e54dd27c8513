from __future__ import annotations

import pytest

from qa.errors import QuestionError
from qa.query import PeriodIntent, analyse, detect_period, normalize, tokenize
from qa.types import Period


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("２０２３年ＧＤＰ", "2023年GDP"),
        ("去年光谷地區生產總值是多少？", "去年光谷地区生产总值是多少?"),
        ("  多个\t\n空白  ", "多个 空白"),
        ("控制\x00字符\x07", "控制 字符"),
        ("零宽\u200b字符", "零宽 字符"),
    ],
)
def test_normalize(raw, expected):
    assert normalize(raw) == expected


def test_tokens_keep_numbers_with_units_and_drop_region_names():
    q = analyse("光谷2023年固定资产投资超1200亿元了吗")
    assert "1200亿元" in q.tokens
    assert "光谷" not in q.tokens and "2023" not in q.tokens
    assert "固定资产" in q.tokens or "固定资产投资" in q.tokens


def test_synonyms_reach_the_reports_words():
    assert "生产总值" in analyse("去年GDP多少").tokens
    assert "外商" in analyse("外资用了多少").tokens or "外商直接投资" in analyse("外资用了多少").tokens
    assert "高新技术" in analyse("高企有几家").tokens


@pytest.mark.parametrize(
    "question, intent",
    [
        ("去年新开工多少个项目", PeriodIntent("results")),
        ("今年计划新开工多少个项目", PeriodIntent("targets")),
        ("2023年地区生产总值是多少", PeriodIntent(None, 2023)),
        ("2024年的目标是什么", PeriodIntent("targets", 2024)),
        ("预期增长多少", PeriodIntent("targets")),
        ("完成了多少投资", PeriodIntent("results")),
        ("新增学位有多少", PeriodIntent(None)),
        ("What was the GDP last year?", PeriodIntent("results")),
        ("What is the target for this year?", PeriodIntent("targets")),
    ],
)
def test_detect_period(question, intent):
    assert detect_period(question) == intent


@pytest.mark.parametrize(
    "intent, report_year, period",
    [
        (PeriodIntent("results"), 2024, Period(2023, "results")),
        (PeriodIntent("targets"), 2024, Period(2024, "targets")),
        (PeriodIntent(None, 2023), 2024, Period(2023, "results")),
        (PeriodIntent(None, 2024), 2024, Period(2024, "targets")),
        (PeriodIntent("results"), 2031, Period(2030, "results")),
        (PeriodIntent(None), 2024, None),
        (PeriodIntent("targets"), None, None),
    ],
)
def test_period_resolves_per_report(intent, report_year, period):
    assert intent.resolve(report_year) == period


@pytest.mark.parametrize("bad", ["", "   ", "\n\t", "？？！！", "😀😀😀", "\x00\x01", "。。。", None, 42, ["问题"]])
def test_bad_questions_raise_a_clear_error(bad):
    with pytest.raises(QuestionError) as info:
        analyse(bad)
    assert isinstance(info.value, ValueError)
    assert " / " in str(info.value)  # Chinese / English


def test_long_question_is_truncated_with_a_note():
    q = analyse("新增学位" * 5000, max_chars=500)
    assert len(q.text) == 500 and q.notes and "500" in q.notes[0]


def test_english_is_detected():
    assert analyse("How many new schools opened in 2023?").is_english
    assert not analyse("2023年新增学校多少所").is_english


def test_tokenize_drops_punctuation_and_stopwords():
    tokens = tokenize("请问，光谷的新增学位是多少？")
    assert "，" not in tokens and "的" not in tokens and "多少" not in tokens
    assert "学位" in tokens
