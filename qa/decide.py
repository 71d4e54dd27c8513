"""Whether the figure the verifier picked is shown: a small calibrated model learned from many reports.

The verifier (qa/verify.py) ranks the figures of the top passages and keeps those that pass its
checks; its rules were written report by report. Whether its best figure is right on a report it
never saw is a question of how sure it was, and that is learned here from the tune documents' gold,
as selective question answering does under domain shift (Kamath, Jia and Liang, ACL 2020: a
calibrator over the answerer's own features decides when to answer).

Each feature is a pure function of the question read (`Query`), the verdict and the figure's
passage; it says how well the figure fits, never which report or indicator it is. The model is a
logistic regression stored in `qa/data/decision.json` (numpy only at run time); its threshold was
chosen by leave-documents-out cross-validation so that a shown figure is right at least 98% of
the time (`qa train-decision`, qa/train_decision.py).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Sequence

from .types import Figure

DECISION = Path(__file__).resolve().parent / "data" / "decision.json"
WITHHELD = "未能确认报告中与问题对应的数字，请查看原文 / the figure could not be confirmed: see the passages"


@dataclass(frozen=True)
class Evidence:
    """What the verdict knew of its best figure, handed to the features."""

    query: Any  # qa.query.Query
    figure: Figure
    score: float  # the verifier's score of the figure (fit and tie-break)
    runner_up: float  # the next figure's score (0 when it stood alone)
    candidates: int  # figures that passed the checks
    rank: int  # the rank of the passage that holds it (0 = first)
    share: float  # that passage's retrieval score over the first one's
    confidence: float  # retrieval's confidence that the top passage answers


FEATURES: tuple[tuple[str, Callable[[Evidence], float]], ...] = (
    ("score", lambda e: e.score),  # how well it fits, as the verifier scored it
    ("margin", lambda e: e.score - e.runner_up),  # 14.58万亿元 alone vs two GDP figures in one sentence
    ("alone", lambda e: float(e.candidates == 1)),
    ("candidates", lambda e: math.log1p(e.candidates)),
    ("rank", lambda e: float(e.rank)),  # the answer in the first passage, or the fourth
    ("share", lambda e: e.share),
    ("confidence", lambda e: e.confidence),
    ("indicator_named", lambda e: float(bool(e.query.indicators) and e.figure.indicator in e.query.indicators)),
    ("indicator_asked", lambda e: float(bool(e.query.indicators))),
    ("free_subject", lambda e: float(e.figure.indicator is None)),  # 新增5G-A基站4000座: no indicator of the list
    ("aspect_asked", lambda e: float(e.query.aspect is not None)),
    ("aspect_same", lambda e: float(e.query.aspect is not None and e.figure.aspect == e.query.aspect)),
    ("kind_wanted", lambda e: float(e.figure.kind in e.query.kinds)),
    ("period_said", lambda e: float(e.query.asked.explicit)),  # 去年GDP vs GDP是多少 (the latest, by default)
    ("five_years", lambda e: float(e.figure.period is not None and e.figure.period.first is not None)),
    ("qualified", lambda e: float(e.figure.qualifier is not None)),  # 超, 左右, 以上
    ("english", lambda e: float(e.query.is_english)),
    ("keywords", lambda e: float(e.query.form == "keywords")),
)
NAMES = tuple(name for name, _ in FEATURES)


def features(e: Evidence) -> tuple[float, ...]:
    return tuple(float(fn(e)) for _, fn in FEATURES)


@dataclass(frozen=True)
class Decision:
    """A logistic regression over standardised features, and the probability from which a figure is shown."""

    names: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    threshold: float
    trained: dict[str, Any]

    def probability(self, x: Sequence[float]) -> float:
        z = self.bias + sum(w * (v - m) / s for w, v, m, s in zip(self.weights, x, self.mean, self.scale))
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))

    def shows(self, x: Sequence[float]) -> bool:
        return self.probability(x) >= self.threshold

    def to_json(self) -> dict[str, Any]:
        return {"names": list(self.names), "mean": list(self.mean), "scale": list(self.scale),
                "weights": list(self.weights), "bias": self.bias, "threshold": self.threshold, "trained": self.trained}


class DecisionFileError(ValueError):
    pass


def parse_decision(data: dict[str, Any]) -> Decision:
    """A decision file, refused when its features are not today's (as a stale index is refused)."""
    names = tuple(data.get("names", ()))
    if names != NAMES:
        raise DecisionFileError(f"decision file features {names} differ from qa.decide.FEATURES {NAMES}: "
                                "retrain with `qa train-decision`")
    n = len(NAMES)
    vectors = [tuple(float(v) for v in data[k]) for k in ("mean", "scale", "weights")]
    if any(len(v) != n for v in vectors) or any(s <= 0 for s in vectors[1]):
        raise DecisionFileError("decision file vectors do not match its features")
    return Decision(names, *vectors, float(data["bias"]), float(data["threshold"]), dict(data.get("trained", {})))


@lru_cache(maxsize=4)
def load_decision(path: Path = DECISION) -> Decision | None:
    """The shipped decision, or None where no file is (the verifier's figure is then shown as it is)."""
    if not path.exists():
        return None
    return parse_decision(json.loads(path.read_text(encoding="utf-8")))
