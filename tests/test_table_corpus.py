"""Tables on the real multi-report corpora: the three national reports together with the real model (the
issue's acceptance case), and the 28 provincial reports together (the fake embedder: a table reads the
reports' figures and profiles, not vectors, and the real model takes ~10 minutes to embed 4,000 chunks on
two cores). A table answer's related questions are tables too, each answered when the page asks it."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from qa.indicators import find_indicators
from qa.table import has_figures
from qa.types import Period
from tests.fakes import FakeEmbedder

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "corpus" / "reports"

pytestmark = pytest.mark.slow


def _corpus(tmp_path_factory, name: str, pattern: str) -> Path:
    folder = tmp_path_factory.mktemp(name)
    for path in sorted(REPORTS.glob(pattern)):
        shutil.copyfile(path, folder / path.name)
    return folder


@pytest.fixture(scope="module")
def national(real_model, tmp_path_factory):
    from qa import Assistant

    folder = _corpus(tmp_path_factory, "national", "national-*-work-report.txt")
    return Assistant.load(corpus_dir=folder, index_dir=folder / "index", model=real_model)


@pytest.fixture(scope="module")
def provinces(tmp_path_factory):
    from qa import Assistant

    folder = _corpus(tmp_path_factory, "provinces", "*-2026-work-report.txt")
    return Assistant.load(corpus_dir=folder, index_dir=folder / "index", model=FakeEmbedder())


def _cited(answer, doc: str, pos: int) -> bool:
    return any(p.doc == doc and p.start <= pos < p.end for p in answer.passages)


def test_gdp_targets_and_results_over_the_years(national):
    a = national.ask("历年国内生产总值增长目标和实际增长情况")
    assert a.status == "table"
    rows = {r.year: r for r in a.rows}
    assert {2019, 2020, 2021} <= set(rows)
    profiles = national.table_source().profiles
    for r in a.rows:
        assert r.area == "中国" and r.indicator == "地区生产总值" and r.aspect == "增速"
        if r.target is not None:  # that year's own report, its plan
            assert r.target.period == Period(r.year, "targets") and profiles[r.target.doc].year == r.year
            assert _cited(a, r.target.doc, r.target.start) and r.target.text in r.target_quote.text
        if r.result is not None:  # the next year's review
            assert r.result.period == Period(r.year, "results") and profiles[r.result.doc].year == r.year + 1
            assert _cited(a, r.result.doc, r.result.start) and r.result.text in r.result_quote.text
    assert rows[2019].target is not None and rows[2019].result is not None
    # 2020: no target was set, and the row says so in the 2020 report's words, cited
    no_target = rows[2020]
    assert no_target.target is None and no_target.target_missing == "not_stated" and no_target.note is not None
    assert profiles[no_target.note.doc].year == 2020 and "目标" in no_target.note.text
    assert _cited(a, no_target.note.doc, no_target.note.start)
    assert no_target.result is not None
    assert rows[2021].target is not None and rows[2021].result_missing == "no_report"


def test_one_years_question_is_still_one_figure(national):
    a = national.ask("今年国内生产总值增长目标是多少")
    assert a.status == "figure" and a.rows == ()
    assert a.figures[0].period == Period(2021, "targets")


def test_every_province_its_own_gdp_target(provinces):
    a = provinces.ask("各地今年地区生产总值增长目标分别是多少")
    assert a.status == "table"
    profiles = provinces.table_source().profiles
    assert sorted(r.area for r in a.rows) == sorted(p.area for p in profiles.values())  # one row per province
    stated = [r for r in a.rows if r.target is not None]
    assert len(stated) > len(a.rows) / 2
    for r in a.rows:
        assert r.year == profiles[next(d for d, p in profiles.items() if p.area == r.area)].year
        if r.target is None:
            assert r.target_missing == "not_stated"
            continue
        assert profiles[r.target.doc].area == r.area and r.target.period == Period(r.year, "targets")
        named = {m.indicator.name for m in find_indicators(r.target_quote.text)}  # 地区生产总值, 经济增长 …
        assert "地区生产总值" in named and _cited(a, r.target.doc, r.target.start)
    assert all(r.result is None and r.result_missing == "not_asked" for r in a.rows)


def test_a_question_naming_no_area_is_asked_of_each(provinces):
    """Among several governments' reports, 今年GDP增长目标是多少 names none of them: each answers."""
    a = provinces.ask("今年地区生产总值增长目标是多少")
    assert a.status == "table"
    assert len({r.area for r in a.rows}) == len(a.rows) > len(provinces.areas) / 2  # one row each that answers
    assert all(r.target is not None and provinces.table_source().profiles[r.target.doc].area == r.area
               for r in a.rows)
    named = provinces.ask("安徽今年地区生产总值增长目标是多少")  # one area named: its own figure
    assert named.status == "figure" and named.figures[0].doc == "anhui-2026-work-report"


def test_a_region_names_its_members_and_says_which_are_not_loaded(provinces):
    a = provinces.ask("中部六省今年GDP增长目标对比")
    assert a.status == "table" and {r.area for r in a.rows} <= {"山西省", "安徽省", "江西省", "河南省", "湖南省"}
    assert len(a.rows) == 5 and any("湖北省" in n for n in a.notes)


def test_highest_first(provinces):
    a = provinces.ask("哪个省去年GDP增速最高")
    values = [r.result.value for r in a.rows if r.result is not None]
    assert a.status == "table" and values == sorted(values, reverse=True) and len(values) > 20


def _offered_tables(assistant, question: str) -> list:
    """The answer to `question` and, for each question it offers, the answer the page gets for that chip."""
    a = assistant.ask(question)
    assert a.status == "table" and a.related, (a.status, a.related)
    shown = [(r.indicator, r.aspect, r.area, r.year, r.target_missing, r.result_missing) for r in a.rows]
    out = []
    for q in a.related:
        assert q.rstrip("？?") != question.rstrip("？?")
        got = assistant.ask(q, context=a.query, related=False)  # as the page asks a chip: after the answer
        assert got.status in ("table", "figure"), (q, got.status, got.text)
        if got.status == "table":
            assert [(r.indicator, r.aspect, r.area, r.year, r.target_missing, r.result_missing)
                    for r in got.rows] != shown, q
            assert has_figures(got.rows), q
        out.append((q, got))
    assert all(q.isascii() for q in a.related) == a.query.is_english
    return out


def test_a_years_table_offers_the_next_tables(national):
    """After the targets over the years: the results beside them, then the next key indicators over the same
    years, each a table of the reports' own figures (the real model: a question that is no table is searched)."""
    offered = _offered_tables(national, "历年国内生产总值增长目标是多少")
    results = [got for q, got in offered if got.status == "table" and got.rows[0].indicator == "地区生产总值"]
    assert results and all(r.result_missing != "not_asked" and r.target_missing == "not_asked"
                           for r in results[0].rows)
    assert any(got.rows[0].indicator != "地区生产总值" for q, got in offered if got.status == "table")
    english = _offered_tables(national, "What were the GDP growth targets over the years?")
    assert [got.rows[0].indicator for _, got in english if got.status == "table"][0] == "地区生产总值"


def test_an_areas_table_offers_another_indicator_over_the_same_areas(provinces):
    offered = _offered_tables(provinces, "各地今年地区生产总值增长目标分别是多少")
    asked = provinces.ask("各地今年地区生产总值增长目标分别是多少")
    areas = {r.area for r in asked.rows}
    other = [got for _, got in offered if got.status == "table" and got.rows[0].indicator != "地区生产总值"]
    assert other and {r.area for r in other[0].rows} == areas  # the same provinces
    assert other[0].rows[0].year == asked.rows[0].year and other[0].rows[0].result_missing == "not_asked"
    last_year = [got for _, got in offered if got.status == "table" and got.rows[0].indicator == "地区生产总值"]
    assert last_year and all(r.target_missing == "not_asked" and r.year == 2025 for r in last_year[0].rows)
