"""The Assistant: the one API that the CLI, the web page and the evaluation all call.

An answer is built only from the report's own words: the passages that match, each cited to its
section, and the figures in them ranked by how well they fit the question.
"""
from __future__ import annotations

import bisect
import logging
import re
import threading
import time
from dataclasses import replace
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .batching import batcher_for
from .decide import WITHHELD, Evidence, features, load_decision
from .config import Settings
from .errors import CorruptIndexError, QAError, StaleIndexError
from .followup import chain, follow_up, keep_indicator
from .related import starters, suggest
from .understand import unclear
from .index import Index, build_index, live_build, load_index, save_index, stale_reasons
from .ingest import load_corpus
from .profile import profile_of
from .query import Query, Vocabulary, analyse, normalize, without_indicator_places
from .resolve import IndicatorRow, key_indicators
from .retrieval import Hit, lexical_terms, search
from .route import Area, area_asked, corpus_areas
from . import table as tables
from . import table_query
from .verify import Verdict, choose
from .types import Answer, Document, Figure, Passage, Period

log = logging.getLogger("qa")


class Assistant:
    def __init__(self, index: Index, model: Any, settings: Settings, problems: tuple[str, ...] = ()) -> None:
        self.index = index
        self.model = model
        self.settings = settings
        self.problems = problems  # documents that could not be read, index rebuilt because ...
        self._encode_lock = threading.Lock()
        # ONNX: concurrent questions run on settings.encoder_lanes passes at once (qa/batching.py)
        self._batcher = batcher_for(model, lanes=settings.encoder_lanes)
        self._query_cache: dict[str, np.ndarray] = {}
        self._vocabularies: dict[tuple, Vocabulary] = {}
        self._areas: tuple[Area, ...] | None = None
        self._table_source: tables.Source | None = None  # qa/table.py: read once, at the first table
        self._chunk_starts: dict[str, tuple[list[int], list[int]]] | None = None

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

    def warm(self) -> Assistant:
        """Read one question now, so the first user does not wait for jieba, the gazetteer, the
        vocabularies and this corpus's question reader to load."""
        self.analyse("预热 warm-up 2023年武汉GDP")
        self.table_source()  # the first table question does not read every report's figures
        return self

    @property
    def vocabulary(self) -> Vocabulary:
        """What the question reader knows of this corpus, rebuilt when a setting it reads changes."""
        return self.vocabulary_for(None)

    def vocabulary_for(self, area: Area | None) -> Vocabulary:
        """The question reader's knowledge of the corpus, read as `area`'s own (None: the corpus's)."""
        s = self.settings
        key = (s.as_of, s.glossary_weight, s.thesaurus_weight, area)
        if key not in self._vocabularies:
            self._vocabularies[key] = vocabulary_of(self.index, s, area)
        return self._vocabularies[key]

    @property
    def areas(self) -> tuple[Area, ...]:
        """The governments whose reports are loaded, each with its reports (qa/route.py)."""
        if self._areas is None:
            self._areas = corpus_areas(profile_of(d) for d in self.index.documents.values())
        return self._areas

    def area_of(self, question: object, context: Query | None = None) -> Area | None:
        """The area a question is about (qa/route.py): the one it names, its conversation's, the home area.
        Read from the question as it is cut for reading (a huge one costs no more than its first part)."""
        if len(self.areas) < 2 or not isinstance(question, str):
            return None
        text = without_indicator_places(normalize(question[: self.settings.max_question_chars]))
        return area_asked(text, self.areas, context.area if context is not None else None, self.settings.home_area)

    def analyse(self, question: object, context: Query | str | list[str] | None = None) -> Query:
        """The question read once, against this corpus (its newest year, its area, its words); a
        follow-up takes what it does not say from `context` (qa/followup.py): the previous Query, its
        text, or a conversation's earlier questions, oldest first."""
        if isinstance(context, (list, tuple)):
            context = chain(self.analyse, [q for q in context if isinstance(q, str)])
        if isinstance(context, str):
            try:
                context = self.analyse(context) if context.strip() else None
            except QAError:
                context = None
        area = self.area_of(question, context if isinstance(context, Query) else None)
        query = analyse(question, self.settings.max_question_chars, self.vocabulary_for(area))
        if area is not None:
            query = replace(query, area=area.name, docs=area.docs)
        return follow_up(query, context)

    @property
    def documents(self) -> list[Document]:
        return list(self.index.documents.values())

    # --- asking ---------------------------------------------------------------------------

    def ask(self, question: str, top_k: int | None = None, mode: str | None = None, doc: str | None = None,
            context: Query | str | list[str] | None = None, related: bool = True) -> Answer:
        """Answer `question` from the report; `context` is the question before it (its Query or its
        text), from which a follow-up (那去年呢？) takes what it does not say. Raises QuestionError
        (a ValueError) for a question that cannot be asked: empty, only symbols, not text. `related`:
        offer questions to ask next (qa/related.py), each checked by asking it."""
        t0 = time.perf_counter()
        s = self.settings
        try:
            top_k = max(1, min(int(top_k or s.top_k), 50))
        except (TypeError, ValueError, OverflowError):  # inf, NaN, text: fall back to the setting
            top_k = s.top_k
        mode = mode or s.mode
        if doc is not None and doc not in self.index.documents:
            doc = None
        # analyse -> retrieve -> re-rank -> choose and verify -> answer
        query = self.analyse(question, context)
        if (reason := unclear(query, self.vocabulary.known)) is not None:  # qa/understand.py: nothing to search
            return Answer(question, False, (), text=reason.split(" / ")[0], mode=mode, notes=query.notes + (reason,),
                          status="not_found", query=query, related=starters(self, query) if related else (),
                          elapsed_ms=(time.perf_counter() - t0) * 1000)
        if (tabled := self._asked_table(question, query, doc, mode, t0)) is not None:
            # 历年…, 各省…: the indicator across years or areas, a table of two rows or more; then the next tables
            return replace(tabled, related=suggest(self, tabled)) if related else tabled
        qvec = self.embed_query(query.search_text) if mode != "bm25" else None
        ranking = search(
            self.index, query, qvec, mode=mode, fusion=s.fusion, k=max(top_k, 10), candidates=s.candidates,
            rrf_k=s.rrf_k, dense_weight=s.dense_weight, period_boost=s.period_boost, figure_boost=s.figure_boost,
            doc_filter=(doc,) if doc is not None else query.docs, dense_adapt=s.dense_adapt, ngram_share=s.ngram_share,
            unseen_weight=s.unseen_weight,
            agreement_bonus=s.agreement_bonus, coverage_depth=s.coverage_depth,
        )
        passages = tuple(self._passage(h, query) for h in ranking.hits[:top_k])
        covered = ranking.refusal is None and bool(ranking.hits) and ranking.confidence >= s.abstain_threshold
        verdict = (choose(query, passages, self._texts(), s.figure_min_fit, s.subject_min, ranking.weights,
                          s.support_min, s.support_unseen * ranking.rarest, ranking.rarest) if covered
                   else Verdict("not_found", ()))
        verdict = keep_indicator(query, verdict, self._texts(), passages)  # a follow-up: its own indicator's figure only
        verdict, probability, x = decide_shown(verdict, query, passages, ranking.confidence, s.decision)
        shown = verdict.figures[0] if verdict.figures else verdict.other
        if shown is not None:  # the passage that gives the answer (or the other period's figure) is cited first
            passages = answer_first(passages, shown)
        text = answer_text(verdict, query, passages, self.index)
        # the report speaks of it for the other period only: shown as such (报告只给出2024年目标), not refused
        notes = query.notes + tuple(r for r in (ranking.refusal, ranking.period_note, verdict.reason) if r)
        elapsed = (time.perf_counter() - t0) * 1000
        if s.log_questions:  # off by default: a question may say who asks; %r keeps odd Unicode loggable
            log.info("question %r: status=%s top=%s %.0f ms", question[:2000], verdict.status,
                     passages[0].chunk_id if passages else "-", elapsed)
        answer = Answer(question, verdict.status != "not_found", passages, verdict.figures, text, mode, elapsed,
                        ranking.confidence, notes, verdict.status, query, probability=probability, features=x)
        return replace(answer, related=suggest(self, answer)) if related else answer

    # --- tables: an indicator across years or areas (qa/table.py) -------------------------------

    def table(self, indicator: str, aspect: str | None = None, areas: list[str] | tuple[str, ...] | None = None,
              years: list[int] | tuple[int, ...] | None = None, kinds: tuple[str, ...] = table_query.KINDS,
              doc: str | None = None) -> Answer:
        """The table of `indicator` (a name or any form: 国内生产总值增速, GDP) per area and year: each
        row's target from that year's report, its result from the next year's review, each cited. Status
        "table" with `rows`, or "not_found" when the corpus states no such figure."""
        t0 = time.perf_counter()
        named = tables.indicator_and_aspect(indicator)
        source = self.table_source()
        request = None
        if named is not None:
            request = table_query.TableRequest(
                named[0], aspect or named[1], tables.areas_named(areas, source) if areas is not None else None,
                tuple(int(y) for y in years) if years is not None else None, kinds=tuple(kinds),
                over=("years", "areas"), doc=doc if doc in self.index.documents else None)
        rows = tables.build_table(request, source) if request is not None else ()
        return self._table_answer(indicator, rows, request, None, self.settings.mode, t0)

    def table_source(self) -> tables.Source:
        if self._table_source is None:
            self._table_source = tables.source_of(self.figures(), self.index.documents)
        return self._table_source

    def _asked_table(self, question: str, query: Query, doc: str | None, mode: str, t0: float) -> Answer | None:
        """The table the question asks for, when it has two rows or more and a figure; else None."""
        # profiles are memoised: the table's figures are read only when a table is asked
        request = table_query.asked_of(query, (profile_of(d) for d in self.index.documents.values()),
                                       len(self.areas) > 1, doc)
        if request is None:
            return None
        rows = tables.build_table(replace(request, doc=doc), self.table_source())
        if request.every_area:  # … and answered by those whose report does
            rows = tuple(r for r in rows if r.target is not None or r.result is not None)
        if len(rows) < 2 or not tables.has_figures(rows):
            return None
        return self._table_answer(question, rows, request, query, mode, t0)

    def _table_answer(self, question: str, rows: tuple, request: Any, query: Query | None, mode: str,
                      t0: float) -> Answer:
        return tables.answer_of(question, rows, request.absent if request else (), query, mode, self.passage_at, t0)

    def passage_at(self, doc: str, pos: int) -> Passage | None:
        """The chunk of `doc` holding offset `pos`, as a cited passage."""
        if self._chunk_starts is None:  # doc -> (starts, rows) of its chunks, in document order
            by_doc: dict[str, list[tuple[int, int]]] = {}
            for row, chunk in enumerate(self.index.chunks):
                by_doc.setdefault(chunk.doc, []).append((chunk.start, row))
            self._chunk_starts = {d: ([a for a, _ in sorted(v)], [r for _, r in sorted(v)]) for d, v in by_doc.items()}
        starts, rows = self._chunk_starts.get(doc, ([], []))
        at = bisect.bisect_right(starts, pos) - 1
        if at < 0:
            return None
        chunk = self.index.chunks[rows[at]]
        if not chunk.start <= pos < chunk.end:
            return None
        para = self.index.documents[doc].paragraphs[chunk.paragraph]
        return Passage(doc, chunk.id, chunk.text, chunk.start, chunk.end, chunk.section, chunk.period, 1.0,
                       para.text, para.start, chunk.figures)

    def _texts(self) -> dict[str, str]:
        return {d: doc.text for d, doc in self.index.documents.items()}

    def embed_query(self, text: str) -> np.ndarray:
        """The query's embedding; repeated questions (examples, popular ones) skip the model."""
        cached = self._query_cache.get(text)
        if cached is not None:
            return cached
        if self._batcher is not None:
            vec = self._batcher.embed(text)
        elif getattr(self.model, "thread_safe", False):  # onnxruntime: concurrent runs, no lock needed
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

    def indicator_table(self, doc: str | None = None) -> tuple[IndicatorRow, ...]:
        """The key indicators table (indicator × period, with value and sentence) of the corpus or one document."""
        return key_indicators(self.figures(doc=doc), self.index.documents)

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
    """Load jieba's dictionaries, the gazetteer, the vocabularies and the converter now, so the first
    user does not wait for them. jieba reads its dictionary by first character, as texts need it
    (qa/jieba_dict.py: the same cuts, ~0.5 s less to start)."""
    from .jieba_dict import install

    install(settings.model_cache_dir)
    analyse("预热 warm-up 2023年武汉GDP", settings.max_question_chars)


def _load_model(settings: Settings) -> Any:
    from .embedding import load_encoder

    return load_encoder(settings.model, settings.model_cache_dir, settings.encoder, settings.encoder_threads)


# --- figures and the direct answer (pure) ------------------------------------------------------


def vocabulary_of(index: Index, settings: Settings, area: Area | None = None) -> Vocabulary:
    """What the question reader needs of a corpus: the year 今年 means (the newest report's, unless
    an as-of year is set), the area of the newest report, the names of every report's area; or,
    for a question about one `area`, that area's newest year and its names only."""
    from .lexicon import vocabulary_predicate
    from .tokens import tokenize

    known = vocabulary_predicate(index.vocab, tokenize)
    if area is not None:
        return Vocabulary(settings.as_of or area.newest, area.name, area.forms, known, index.says,
                          settings.glossary_weight, settings.thesaurus_weight)
    profiles = sorted((profile_of(d) for d in index.documents.values()), key=lambda p: (p.year or 0, p.doc))
    areas = [p for p in profiles if p.area is not None]
    own_forms = tuple(dict.fromkeys(f for p in areas for f in p.forms))
    newest = profiles[-1].year if profiles else None
    return Vocabulary(settings.as_of or newest, areas[-1].area if areas else None, own_forms, known, index.says,
                      settings.glossary_weight, settings.thesaurus_weight)


def decide_shown(verdict: Verdict, query: Query, passages: tuple[Passage, ...], confidence: float,
                 use: bool = True) -> tuple[Verdict, float | None, tuple[float, ...]]:
    """The verdict after the learned decision: its best figure is shown only when likely right;
    else the passages answer, without a number (qa/decide.py). Also the probability and features."""
    if verdict.status != "figure" or not verdict.scores:
        return verdict, None, ()
    best = verdict.figures[0]
    rank = next((i for i, p in enumerate(passages) if best in p.figures), len(passages))
    top = max(passages[0].score, 1e-9) if passages else 1.0
    share = passages[rank].score / top if rank < len(passages) else 0.0
    x = features(Evidence(query, best, verdict.scores[0], verdict.scores[1] if len(verdict.scores) > 1 else 0.0,
                          len(verdict.scores), rank, share, confidence))
    decision = load_decision() if use else None
    if decision is None:
        return verdict, None, x
    p = decision.probability(x)
    if p >= decision.threshold:
        return verdict, p, x
    return Verdict("passage", (), reason=WITHHELD), p, x


def answer_first(passages: tuple[Passage, ...], figure: Figure) -> tuple[Passage, ...]:
    """The passages with the one holding `figure` first (the re-rank after verification)."""
    at = next((i for i, p in enumerate(passages) if figure in p.figures), 0)
    return (passages[at], *passages[:at], *passages[at + 1:]) if at else passages


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


def answer_text(verdict: Verdict, query: Query, passages: tuple[Passage, ...], index: Index) -> str:
    """The direct answer, in the report's own words and a plain frame: the figure with its
    sentence; or that the report gives no number (quoting what it does say); or not found."""
    if verdict.status == "not_found":
        return "报告中没有找到这个问题的答案。以下段落可能相关。"
    if verdict.figures:
        best = verdict.figures[0]
        return f"{best.text} — “{sentence_of(index, best)}”"
    if verdict.other is not None:
        o = verdict.other
        label = o.period.label if o.period else ""
        return f"报告只给出{label}：{o.text} — “{sentence_of(index, o)}”"
    if passages and (verdict.reason == WITHHELD or query.form == "number"):
        clause = best_clause(query, best_sentence(query, passages[0], index))
        if verdict.reason == WITHHELD:
            return f"{WITHHELD.split(' / ')[0]}：“{clause}”"
        if (near := asked_indicator_figure(query, passages)) is not None:
            # never "no number" above a quote that holds the indicator's figure of another period or aspect
            return f"报告只给出{figure_label(near, query)}：{near.text} — “{sentence_of(index, near)}”"
        if query.indicators and any(f.indicator in query.indicators and f.text in clause for f in passages[0].figures):
            return f"{RELATED_FIGURE}。报告原文：“{clause}”"  # the quote holds the indicator's figure: no denial
        return f"报告未给出具体数字。报告原文：“{clause}”"
    return passages[0].text if passages else ""


RELATED_FIGURE = "未能确认这一数字即所问，请核对报告原文中的相关数字"


def asked_indicator_figure(query: Query, passages: tuple[Passage, ...]) -> Figure | None:
    """The first figure of the top passages that measures the indicator asked in the report's own
    area, when none answered: it is of another period or aspect than the one asked."""
    if not query.indicators or query.scope.foreign:
        return None
    asked = query.asked.period
    return next((f for p in passages[:3] for f in p.figures
                 if f.indicator in query.indicators and f.scope == "local" and f.period is not None
                 and (f.period != asked or (query.aspect and f.aspect and f.aspect != query.aspect))), None)


def figure_label(f: Figure, query: Query) -> str:
    """What a figure of the asked indicator is, said against what was asked: 2023年实绩, 2024年目标的增速."""
    label = f.period.label if f.period else ""
    if f.aspect and query.aspect and f.aspect != query.aspect:
        label += f"的{f.aspect}"
    return label


def best_sentence(query: Query, passage: Passage, index: Index) -> str:
    """The sentence of a passage that says most of the question's words (or the passage itself)."""
    doc = index.documents.get(passage.doc)
    if doc is None:
        return passage.text
    best, best_score = passage.text, -1
    for para in doc.paragraphs:
        if para.start <= passage.start < para.end:
            for a, b in para.sentences:
                if b <= passage.start or a >= passage.end:
                    continue
                sentence = doc.text[max(a, passage.start): min(b, passage.end)]
                score = sum(any(w in sentence for w in term) for term in query.terms)
                if score > best_score:
                    best, best_score = sentence, score
    return best


def best_clause(query: Query, sentence: str) -> str:
    """The clause of a sentence that says the question's words (居民收入稳步增长, not the figures of
    the other clauses around it); the whole sentence when no clause says more than another."""
    clauses = [c for c in re.split(r"(?<=[,，;；:：])", sentence) if c.strip()]
    scored = [(sum(any(w in c.lower() for w in term) for term in query.terms), c) for c in clauses]
    best = max((score for score, _ in scored), default=0)
    if best == 0 or sum(score == best for score, _ in scored) > 1:
        return sentence
    return next(c for score, c in scored if score == best).rstrip(",，;；:：")
