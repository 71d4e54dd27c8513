"""A table answer and the 数据 tab's table in a real browser (Debian's chromium driven by Playwright): the
table with a citation per cell, the chart drawn by Gradio's plot component, the loaded reports listed, a
question limited to one report. The three national reports, real text; the fake embedder (a table reads
figures, not vectors). QA_UPDATE_SCREENSHOT=1 refreshes docs/screenshot-table.png, the README's picture."""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from fakes import FakeEmbedder

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import ui  # noqa: E402
from qa import Assistant  # noqa: E402
from qa.feedback import FeedbackStore  # noqa: E402
from test_ui import start  # noqa: E402
from test_ui_browser import ARTIFACTS, CHROMIUM, ask, new_page, open_page  # noqa: E402

QUESTION = "历年国内生产总值增长目标和实际增长情况"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium: run `make browser`"),
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]


@pytest.fixture(scope="module")
def assistant(tmp_path_factory):
    folder = tmp_path_factory.mktemp("national")
    for path in sorted((ROOT / "corpus" / "reports").glob("national-*-work-report.txt")):
        shutil.copyfile(path, folder / path.name)
    return Assistant.load(corpus_dir=folder, index_dir=folder / "index", model=FakeEmbedder())


@pytest.fixture(scope="module")
def server(assistant, tmp_path_factory):
    app = ui.build_app(assistant, feedback=FeedbackStore(tmp_path_factory.mktemp("fb") / "f.sqlite3"))
    url = start(app)
    yield url
    app.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


@pytest.fixture
def page(browser, request):
    context, pg = new_page(browser, 1366, 1100)
    errors: list[str] = []
    dialogs: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    yield pg
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"))
    context.close()
    assert not errors and not dialogs, (errors, dialogs)


def _chart_width(pg, selector: str) -> float:
    """The width of the chart Gradio drew (vega's canvas) inside `selector`, once it is drawn."""
    canvas = pg.locator(f"{selector} canvas").first
    canvas.wait_for(timeout=20_000)
    pg.wait_for_function(f"() => (document.querySelector('{selector} canvas') || {{}}).clientWidth > 100",
                         timeout=20_000)
    return canvas.bounding_box()["width"]


def test_a_table_answer_has_a_cited_cell_per_figure_and_a_chart(page, server, assistant):
    open_page(page, server)
    # the loaded reports are listed, and how many reports and years
    docs = page.locator("#qa-docs")
    assert "已载入 3 份报告，3 个年份（2019–2021），1 个地区" in docs.inner_text()
    assert docs.locator("li").count() == 3 and "国务院" in docs.locator("li").first.inner_text()
    assert "3 个年份" in page.locator(".qa-banner").inner_text()
    ask(page, QUESTION)
    answer = page.locator("#qa-chat .qa-answer").last
    table = answer.locator("table.qa-rowtable")
    expected = assistant.ask(QUESTION).rows
    assert table.locator("tbody tr").count() == len(expected) >= 3
    for i, r in enumerate(expected):
        cells = table.locator("tbody tr").nth(i)
        assert cells.locator("th").inner_text() == r.area and str(r.year) in cells.inner_text()
        if r.target_text:
            assert r.target_text in cells.locator("td").nth(1).inner_text()
        if r.note is not None:
            assert r.note.text in cells.locator("td").nth(1).inner_text()
    # every figure and note of the table links to its numbered citation, which opens the 原文
    links = table.locator("a.qa-cite-link")
    assert links.count() == sum((r.target is not None or r.note is not None) + (r.result is not None) for r in expected)
    assert answer.locator("li.qa-cite").count() >= 3
    # the next tables, as chips: each one the table it names (qa/related_table.py)
    chips = answer.locator(".qa-related .qa-chip")
    assert chips.count() == len(assistant.ask(QUESTION).related) >= 2
    assert [chips.nth(i).inner_text() for i in range(chips.count())] == list(assistant.ask(QUESTION).related)
    # the chart under the chat, drawn by Gradio's own plot component
    assert page.locator("#qa-answer-chart").is_visible()
    assert _chart_width(page, "#qa-answer-chart") > 400
    page.evaluate("() => window.scrollTo(0, 0)")
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / "screenshot-table.png"), full_page=True)
    if os.environ.get("QA_UPDATE_SCREENSHOT"):  # the README's picture, as tests/test_ui_page.py refreshes its own
        from PIL import Image

        Image.open(ARTIFACTS / "screenshot-table.png").convert("RGB").quantize(colors=256).save(
            ROOT / "docs" / "screenshot-table.png", optimize=True)
        assert (ROOT / "docs" / "screenshot-table.png").stat().st_size < 300_000
    # a chip asks its question: another table
    first_chip = chips.first.inner_text()
    chips.first.click()
    page.locator("#qa-chat .qa-answer").nth(1).wait_for(timeout=30_000)
    assert page.locator("#qa-chat .qa-answer").last.locator("table.qa-rowtable").count() == 1
    assert first_chip in page.locator("#qa-chat").inner_text()
    # a plain question afterwards: no table, and the chart goes away
    ask(page, "今年国内生产总值增长目标是多少", n=3)
    page.wait_for_function("() => !document.querySelector('#qa-answer-chart canvas') || "
                           "document.querySelector('#qa-answer-chart').offsetParent === null", timeout=10_000)
    assert page.locator("#qa-chat .qa-answer").last.locator("table.qa-rowtable").count() == 0


def test_the_data_tab_draws_an_indicators_table_and_chart(page, server):
    open_page(page, server)
    page.get_by_role("tab", name="数据").click()
    rows = page.locator("#qa-rowtable table.qa-rowtable tbody tr")
    rows.first.wait_for(timeout=10_000)
    assert rows.count() >= 3 and "6%－6.5%" in page.locator("#qa-rowtable").inner_text()
    assert page.locator("#qa-rowtable a.qa-cite-link").count() >= 3
    assert _chart_width(page, "#qa-rows-chart") > 400


def test_a_question_limited_to_one_report(page, server):
    open_page(page, server)
    page.locator("#qa-settings").get_by_text("检索设置").click()
    page.locator("#qa-doc input").click()
    page.get_by_role("option", name="中国 2020 · 政府工作报告").click()
    ask(page, QUESTION)
    answer = page.locator("#qa-chat .qa-answer").last
    heads = answer.locator("li.qa-cite .qa-cite-head")
    assert heads.count() >= 1
    # one report: its own year's plan (no target, in its words) and the year before's review only
    years = [int(t.split()[1]) for t in answer.locator("table.qa-rowtable tbody tr").all_inner_texts()]
    assert years == [2019, 2020]
    assert "没有提出全年经济增速具体目标" in answer.inner_text()


def test_english_relabels_the_tables_and_documents(page, server):
    open_page(page, server)
    page.locator("#qa-english input").check()
    page.wait_for_function("() => document.querySelector('#qa-docs').innerText.includes('3 reports loaded')",
                           timeout=10_000)
    page.get_by_role("tab", name="Figures").click()
    page.wait_for_function("() => document.querySelector('#qa-rowtable').innerText.includes('Target')", timeout=10_000)
    assert "no report of that year loaded" in page.locator("#qa-rowtable").inner_text()
