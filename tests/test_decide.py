"""The learned decision: its features, its file, and that the shipped file is what training makes."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from qa.decide import DECISION, NAMES, Decision, DecisionFileError, Evidence, features, load_decision, parse_decision
from qa.query import Vocabulary, analyse
from qa.train_decision import ROWS, best_value_point, fit, operating_point, read_rows
from qa.types import Figure, Period

VOCAB = Vocabulary(as_of=2026, own="广东省", own_forms=("广东省", "广东", "全省"))


def _figure(indicator: str | None = "地区生产总值", aspect: str = "增速", period: Period | None = Period(2025, "results"),
            qualifier: str | None = None) -> Figure:
    return Figure("5.8%", 5.8, "%", "growth", "地区生产总值", 0, 4, qualifier=qualifier, period=period,
                  indicator=indicator, aspect=aspect)


def _x(question: str, figure: Figure, score=1.0, runner_up=0.0, candidates=1, rank=0) -> dict[str, float]:
    e = Evidence(analyse(question, 500, VOCAB), figure, score, runner_up, candidates, rank, 1.0, 0.8)
    return dict(zip(NAMES, features(e)))


@pytest.mark.parametrize("question, figure, name, value", [
    ("广东去年GDP增长多少", _figure(), "indicator_named", 1.0),
    ("广东去年GDP增长多少", _figure(indicator=None), "indicator_named", 0.0),
    ("广东去年GDP增长多少", _figure(indicator=None), "free_subject", 1.0),
    ("广东去年GDP增长多少", _figure(), "aspect_same", 1.0),
    ("广东去年GDP总量多少", _figure(), "aspect_same", 0.0),
    ("广东去年GDP增长多少", _figure(), "period_said", 1.0),
    ("广东GDP增长多少", _figure(), "period_said", 0.0),
    ("广东去年GDP增长多少", _figure(period=Period(2025, "results", 2021)), "five_years", 1.0),
    ("广东去年GDP增长多少", _figure(qualifier="about"), "qualified", 1.0),
    ("How fast did Guangdong's GDP grow last year?", _figure(), "english", 1.0),
    ("广东去年GDP增长多少", _figure(), "keywords", 0.0),
])
def test_features(question, figure, name, value):
    assert _x(question, figure)[name] == value


def test_margin_and_candidates():
    x = _x("广东去年GDP增长多少", _figure(), score=1.2, runner_up=0.9, candidates=3, rank=2)
    assert x["margin"] == pytest.approx(0.3) and x["alone"] == 0.0 and x["rank"] == 2.0


@pytest.mark.parametrize("p, y, precision, threshold", [
    ([0.9, 0.8, 0.7, 0.6], [1, 1, 0, 1], 0.98, 0.8),
    ([0.9, 0.8, 0.7, 0.6], [1, 1, 0, 1], 0.75, 0.6),
    ([0.9, 0.8], [0, 1], 0.98, 1.0),  # no cut-off reaches it: show nothing
])
def test_operating_point(p, y, precision, threshold):
    assert operating_point(np.array(p), np.array(y), precision) == threshold


@pytest.mark.parametrize("p, y, cost, threshold", [
    ([0.9, 0.8, 0.7, 0.6], [1, 1, 0, 1], 3.0, 0.8),  # the wrong one at 0.7 costs more than the right one after it
    ([0.9, 0.8, 0.7, 0.6], [1, 1, 0, 1], 0.5, 0.6),
    ([0.9, 0.8], [0, 1], 3.0, 1.0),  # nothing is worth showing
])
def test_best_value_point(p, y, cost, threshold):
    assert best_value_point(np.array(p), np.array(y), cost) == threshold


def test_a_file_of_other_features_is_refused():
    data = Decision(NAMES, (0.0,) * len(NAMES), (1.0,) * len(NAMES), (0.0,) * len(NAMES), 0.0, 0.5, {}).to_json()
    parse_decision(data)
    with pytest.raises(DecisionFileError):
        parse_decision({**data, "names": list(NAMES[:-1])})
    with pytest.raises(DecisionFileError):
        parse_decision({**data, "scale": [0.0] * len(NAMES)})


def test_loading_needs_no_scikit_learn():
    code = "import sys, qa.decide as d; d.load_decision(); print('sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


@pytest.mark.skipif(not DECISION.exists(), reason="no decision file shipped")
def test_the_shipped_file_is_what_training_makes():
    shipped = load_decision()
    made, _ = fit(read_rows(ROWS))
    assert made.names == shipped.names
    assert made.threshold == pytest.approx(shipped.threshold, abs=1e-6)
    assert made.weights == pytest.approx(shipped.weights, abs=1e-5)
    assert made.bias == pytest.approx(shipped.bias, abs=1e-5)
    assert shipped.trained["rows"] == len(read_rows(ROWS))
    assert json.loads(DECISION.read_text(encoding="utf-8"))["trained"]["command"] == "qa train-decision"


@pytest.mark.skipif(not DECISION.exists(), reason="no decision file shipped")
def test_the_rows_hold_no_held_out_document():
    from qa.eval_each import document_splits
    from qa.config import ROOT

    splits = document_splits(ROOT / "corpus" / "reports")
    held = {d for d, s in splits.items() if s == "heldout"}
    assert held and not held & {r["doc"] for r in read_rows(ROWS)}
