"""Questions that cannot be understood (qa/understand.py): markup, keyboard mashing, no known word;
never a question a resident means, in any gold set."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.query import Vocabulary, analyse
from qa.understand import UNCLEAR, is_markup, unclear

ROOT = Path(__file__).resolve().parent.parent
CORPUS_WORDS = {"地区", "生产总值", "增长", "投资", "企业", "gdp"}
VOCAB = Vocabulary(as_of=2024, own="东湖高新区", own_forms=("光谷", "东湖高新区"), known=lambda w: w.lower() in CORPUS_WORDS)


def read(q: str):
    return analyse(q, vocab=VOCAB)


@pytest.mark.parametrize("question", ["asdkjfh qwpoeiru zxmcnv", "<script>alert(1)</script>", "qwerty 123", "asdf",
                                      "zxcv zxcv", "<b>qwerty</b>", "&lt;img&gt;", "<img src=x onerror=alert(1)>", "的的的", "123456"])
def test_nonsense_is_not_understood(question):
    assert unclear(read(question), VOCAB.known) == UNCLEAR


@pytest.mark.parametrize("question", ["2023年光谷GDP是多少？", "那去年呢？", "增速呢", "What was the GDP in 2023?",
                                      "How long is the sky-rail line?", "东湖高新区总面积多少平方公里", "高企呢",
                                      "北京2023年GDP是多少？", "what about last year?", "投资"])
def test_questions_residents_ask_are_understood(question):
    assert unclear(read(question), VOCAB.known) is None


def test_markup():
    assert is_markup("<script>x</script>") and is_markup("a <!-- b -->") and is_markup("&amp;")
    assert not is_markup("GDP增长<5%吗") and not is_markup("3 < 4 > 2")


@pytest.mark.slow
def test_no_gold_question_is_taken_for_nonsense(real_assistant):
    """Every question of every gold set (2,600 written by residents' standards) is understood."""
    known = real_assistant.vocabulary.known
    flagged = []
    for path in sorted((ROOT / "corpus" / "gold").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            q = json.loads(line)["question"]
            try:
                if unclear(real_assistant.analyse(q), known):
                    flagged.append(q)
            except ValueError:
                continue
    assert not flagged, flagged[:10]


@pytest.mark.slow
@pytest.mark.parametrize("question", ["asdkjfh qwpoeiru zxmcnv", "<script>alert(1)</script>", "qwerty 123"])
def test_nonsense_gets_no_passage_but_examples(real_assistant, question):
    answer = real_assistant.ask(question)
    assert answer.status == "not_found" and not answer.passages and not answer.figures
    assert UNCLEAR in answer.notes and answer.text.startswith("没能理解这个问题")
    assert answer.related and all(real_assistant.ask(q).status == "figure" for q in answer.related)
