"""The Assistant: the one API that the CLI, the web page and the evaluation all call.

An answer is built only from the report's own words: the passages that match, each cited to its
section, and the figures in them ranked by how well they fit the question.
"""
from __future__ import annotations

import logging
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .config import Settings
from .errors import CorruptIndexError, QAError, StaleIndexError
from .figures import asks_for_number, figure_fit, wanted_kinds
from .index import Index, build_index, live_build, load_index, save_index, stale_reasons
from .ingest import load_corpus
from .query import Query, analyse
from .retrieval import Hit, Ranking, lexical_terms, search
from .types import Answer, Document, Figure, Passage, Period

log = logging.getLogger("qa")


class Assistant:
    def __init__(self, index: Index, model: Any, settings: Settings, problems: tuple[str, ...] = ()) -> None:
        self.index = index
        self.model = model
        self.settings = settings
        self.problems = problems  # documents that could not be read, index rebuilt because ...
        self._encode_lock = threading.Lock()
        self._query_cache: dict[str, np.ndarray] = {}

    # --- construction ---------------------------------------------------------------------

    @classmethod
    def load(
        cls,
        corpus_dir: str | Path | None = None,
        index_dir: str | Path | None = None,
        model: Any = None,
        settings: Settings | None = None,
        rebuild: bool = True,
        force: bool = False,
        progress: bool = False,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> Assistant:
        """Open the index of `corpus_dir` in `index_dir`, building or refreshing it when the corpus,
        model or settings changed (or, with rebuild=False, refusing with StaleIndexError)."""
        settings = (settings or Settings.from_env()).with_(
            corpus_dir=Path(corpus_dir) if corpus_dir else None,
            index_dir=Path(index_dir) if index_dir else None,
            model=model if isinstance(model, str) else None,
        )
        # the model loads in a thread while the corpus and the index are read: onnxruntime and the
        # tokenizer build their tables outside the GIL, so this hides ~1 s of a cold start
        pending = None
        if model is None or isinstance(model, str):
            pool = ThreadPoolExecutor(1, thread_name_prefix="qa-model")
            pending = pool.submit(_load_model, settings)
            pool.shutdown(wait=False)
        docs, errors = load_corpus(settings.corpus_dir)
        problems = [str(e) for e in errors]
        for e in errors:
            log.warning("%s", e)
        if not docs:
            raise QAError(
                f"没有可用的文档 / no readable document in {settings.corpus_dir}"
                + (": " + "; ".join(problems) if problems else "")
            )
        previous: Index | None = None
        reasons: list[str] = []
        try:
            if live_build(settings.index_dir) is None:
                reasons = [f"尚无索引,正在建立 / no index yet in {settings.index_dir}, building it"]
            else:
                previous = load_index(settings.index_dir)
        except (CorruptIndexError, StaleIndexError) as e:
            reasons = [str(e)]
        _warm_text_tools(settings)  # jieba's dictionaries load while the model is still loading
        embedder = pending.result() if pending is not None else model
        if previous is not None and not reasons:
            reasons = stale_reasons(previous.manifest, docs, embedder.info.fingerprint, settings.chunk_min,
                                    settings.chunk_max, getattr(embedder.info, "encoder", "torch"))
        if force:
            reasons = reasons or ["rebuild forced"]
        if not reasons and previous is not None:
            return cls(previous, embedder, settings, tuple(problems))
        if not rebuild:
            raise StaleIndexError(reasons)
        log.info("building index: %s", "; ".join(reasons))
        index = build_index(
            docs, embedder, settings.chunk_min, settings.chunk_max, settings.ann_threshold,
            previous=previous, progress=progress, on_progress=on_progress,
        )
        try:
            save_index(index, settings.index_dir)
        except OSError as e:  # read-only folder, disk full: serve from memory, keep the old index
            msg = f"索引未能保存 / could not save the index to {settings.index_dir}: {e.strerror or e}"
            log.warning(msg)
            problems.append(msg)
        return cls(index, embedder, settings, tuple(problems))

    @property
    def documents(self) -> list[Document]:
        return list(self.index.documents.values())

    # --- asking ---------------------------------------------------------------------------

    def ask(self, question: str, top_k: int | None = None, mode: str | None = None, doc: str | None = None) -> Answer:
        """Answer `question` from the report. Raises QuestionError (a ValueError) for a question
        that cannot be asked: empty, only symbols, not text."""
        t0 = time.perf_counter()
        s = self.settings
        try:
            top_k = max(1, min(int(top_k or s.top_k), 50))
        except (TypeError, ValueError, OverflowError):  # inf, NaN, text: fall back to the setting
            top_k = s.top_k
        mode = mode or s.mode
        if doc is not None and doc not in self.index.documents:
            doc = None
        query = analyse(question, s.max_question_chars)
        qvec = self.embed_query(query.text) if mode != "bm25" else None
        ranking = search(
            self.index, query, qvec, mode=mode, fusion=s.fusion, k=max(top_k, 10), candidates=s.candidates,
            rrf_k=s.rrf_k, dense_weight=s.dense_weight, period_boost=s.period_boost, figure_boost=s.figure_boost,
            doc_filter=doc,
        )
        found = ranking.refusal is None and bool(ranking.hits) and ranking.confidence >= s.abstain_threshold
        passages = tuple(self._passage(h, query) for h in ranking.hits[:top_k])
        figures = rank_figures(query, ranking, self.index, passages) if found else ()
        text = answer_text(found, figures, passages, ranking, self.index)
        notes = query.notes + ((ranking.refusal,) if ranking.refusal else ())
        elapsed = (time.perf_counter() - t0) * 1000
        if s.log_questions:  # off by default: a question may say who asks; %r keeps odd Unicode loggable
            log.info("question %r: found=%s top=%s %.0f ms", question[:2000], found,
                     passages[0].chunk_id if passages else "-", elapsed)
        return Answer(question, found, passages, figures, text, mode, elapsed, ranking.confidence, notes)

    def embed_query(self, text: str) -> np.ndarray:
        """The query's embedding; repeated questions (examples, popular ones) skip the model."""
        cached = self._query_cache.get(text)
        if cached is not None:
            return cached
        if getattr(self.model, "thread_safe", False):  # onnxruntime: concurrent runs, no lock needed
            vec = self.model.encode_queries([text])[0]
        else:  # torch: one forward pass at a time, or concurrent ones fight over the same cores
            with self._encode_lock:
                vec = self.model.encode_queries([text])[0]
        if len(self._query_cache) >= 1024:
            self._query_cache.pop(next(iter(self._query_cache)))
        self._query_cache[text] = vec
        return vec

    def figures(self, doc: str | None = None, period: Period | str | None = None) -> list[Figure]:
        """Every figure of the corpus (or of one document / period), in document order."""
        if isinstance(period, str):
            period = Period.parse(period)
        return [
            f for c in self.index.chunks for f in c.figures
            if (doc is None or c.doc == doc) and (period is None or f.period == period)
        ]

    def _passage(self, hit: Hit, query: Query) -> Passage:
        chunk = self.index.chunks[hit.row]
        document = self.index.documents[chunk.doc]
        para = document.paragraphs[chunk.paragraph]
        matched = tuple(t for t in lexical_terms(query) if t in chunk.text)
        return Passage(
            chunk.doc, chunk.id, chunk.text, chunk.start, chunk.end, chunk.section, chunk.period,
            round(hit.score, 4), para.text, para.start, chunk.figures, matched,
        )


def _warm_text_tools(settings: Settings) -> None:
    """Load jieba's dictionaries and the converter now, so the first user does not wait for them."""
    from .retrieval import _place_names

    analyse("预热 warm-up 2023年", settings.max_question_chars)
    _place_names("武汉")


def _load_model(settings: Settings) -> Any:
    from .embedding import load_encoder

    return load_encoder(settings.model, settings.model_cache_dir, settings.encoder)


# --- figures and the direct answer (pure) ------------------------------------------------------


_QUESTION_WORD = re.compile(r"[?？吗呢]|什么|哪|谁|如何|怎么|怎样|为何|为什么|是否|有没有|\b(what|which|who|how|why|when|where)\b", re.I)


def wants_figures(question: str) -> bool:
    """A question asking for a quantity, or a keyword search (固定资产投资 2023) that asks nothing
    else: both want the figure first."""
    return asks_for_number(question) or not _QUESTION_WORD.search(question)


def rank_figures(query: Query, ranking: Ranking, index: Index, passages: tuple[Passage, ...]) -> tuple[Figure, ...]:
    """Figures of the top passages, best first: how well each fits the question, weighted by the
    rank of its passage and whether its period is the one asked about. A figure of another kind
    than the question asks for (6000亿元 when 比例 is asked) is kept but falls behind."""
    if not wants_figures(query.text):
        return ()
    kinds = wanted_kinds(query.text)
    # the report's words for the question's own (高企 for 高新技术企业) also fit a figure's subject
    synonyms = " ".join(w for term in query.terms for w in term[1:])
    top = max((p.score for p in passages[:5]), default=0.0)
    scored: list[tuple[float, int, Figure]] = []
    for p in passages[:5]:
        doc = index.documents.get(p.doc)
        target = query.period.resolve(doc.year if doc else None)
        weight = max(p.score, 0.0) / top if top > 0 else 1.0  # passages nearly as good weigh nearly as much
        for f in p.figures:
            s = max(figure_fit(query.text, f), figure_fit(f"{query.text} {synonyms}", f) if synonyms else 0.0) * weight
            if kinds and f.kind not in kinds:
                s *= 0.5
            if target is not None and f.period is not None:
                s += 0.2 if f.period == target else -0.2
            scored.append((s, f.start, f))
    scored.sort(key=lambda x: (-x[0], x[1]))
    seen: set[tuple[str, int]] = set()
    out = []
    for _, _, f in scored:
        if (f.doc, f.start) not in seen:
            seen.add((f.doc, f.start))
            out.append(f)
    return tuple(out[:10])


def sentence_of(index: Index, figure: Figure) -> str:
    doc = index.documents.get(figure.doc)
    if doc is None:
        return ""
    for para in doc.paragraphs:
        if para.start <= figure.start < para.end:
            for a, b in para.sentences:
                if a <= figure.start < b:
                    return doc.text[a:b]
    return ""


def answer_text(found: bool, figures: tuple[Figure, ...], passages: tuple[Passage, ...], ranking: Ranking,
                index: Index) -> str:
    if not found:
        return "报告中没有找到这个问题的答案。以下段落可能相关。"
    if figures:
        best = figures[0]
        return f"{best.text} — “{sentence_of(index, best)}”"
    return passages[0].text if passages else ""
