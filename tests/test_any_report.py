"""Reports the project was not written on, each alone in a fresh corpus, with the real model and index."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "corpus" / "reports"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def alone(real_model, tmp_path_factory):
    """An assistant over one development report (built once per report)."""
    from qa import Assistant

    made = {}

    def load(stem: str):
        if stem not in made:
            folder = tmp_path_factory.mktemp(stem)
            shutil.copyfile(REPORTS / f"{stem}.txt", folder / f"{stem}.txt")
            made[stem] = Assistant.load(corpus_dir=folder, index_dir=folder / "index", model=real_model)
        return made[stem]
    return load


@pytest.mark.parametrize("stem, question, text", [
    # 国内 inside 国内生产总值 is no place, and 我国/全国 are the State Council's own area
    ("national-2021-work-report", "今年国内生产总值增长目标是多少", "6%以上"),
    ("national-2020-work-report", "去年国内生产总值增长多少", "6.1%"),
    ("national-2021-work-report", "去年我国GDP增长多少", "2.3%"),
    # 全省 is the province's own figure
    ("guangdong-2026-work-report", "广东今年GDP增长目标是多少", "4.5%"),
    ("jiangsu-2026-work-report", "江苏2025年城镇新增就业多少人", "141"),
])
def test_the_reports_own_figure(alone, stem, question, text):
    a = alone(stem).ask(question)
    assert a.status == "figure", (a.status, a.text)
    assert text in a.figures[0].text


def test_the_2020_report_set_no_growth_target(alone):
    a = alone("national-2020-work-report").ask("今年国内生产总值增长目标是多少")
    assert a.status != "figure"
    assert any("没有提出全年经济增速具体目标" in p.paragraph for p in a.passages[:3])


def test_an_answer_never_denies_the_figure_it_quotes(alone):
    a = alone("national-2020-work-report").ask("去年粮食产量是多少")
    assert "报告未给出具体数字" not in a.text or "1.33万亿斤" not in a.text


@pytest.mark.parametrize("stem, question", [
    ("guangdong-2026-work-report", "湖北今年GDP增长目标是多少"),
    ("national-2021-work-report", "广东省去年地区生产总值是多少"),
])
def test_another_areas_figure_is_not_found(alone, stem, question):
    assert alone(stem).ask(question).status == "not_found"


def test_profile_is_read_from_the_report(alone):
    from qa.profile import profile_of

    a = alone("national-2020-work-report")
    p = profile_of(next(iter(a.index.documents.values())))
    assert (p.issuer, p.area, p.level, p.year) == ("国务院", "中国", "country", 2020)
