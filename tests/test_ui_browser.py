"""The web page in a real browser: Debian's chromium driven by Playwright, against the real server.

Skipped (with the reason) only when /usr/bin/chromium is missing: `make browser` installs it.
Screenshots land in artifacts/ui/ (git-ignored); QA_UPDATE_SCREENSHOT=1 also refreshes
docs/screenshot.png and docs/screenshot-phone.png, the README's (tests/test_ui_page.py).
The fixtures here are shared with tests/test_ui_page.py (the issue-15 items, at both sizes).
"""
from __future__ import annotations

import re
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
from test_web_render import IMG, SCRIPT, XSS_QUESTION, XSS_REPORT  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "artifacts" / "ui"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
TARGET = "今年光谷地区生产总值预期增长多少？"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium: run `make browser` "
                                                     "(apt-get install chromium) to run the browser tests"),
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),  # inside Gradio's queue, not ours
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def feedback_store(tmp_path_factory):
    return FeedbackStore(tmp_path_factory.mktemp("feedback") / "feedback.sqlite3")


@pytest.fixture(scope="module")
def server(real_assistant, feedback_store):
    app = ui.build_app(real_assistant, feedback=feedback_store)
    url = start(app)
    yield url
    app.close()


@pytest.fixture(scope="module")
def xss_server(tmp_path_factory):
    corpus = tmp_path_factory.mktemp("xss-corpus")
    (corpus / "xss-report.txt").write_text(XSS_REPORT, encoding="utf-8")
    assistant = Assistant.load(corpus_dir=corpus, index_dir=tmp_path_factory.mktemp("xss-index"),
                               model=FakeEmbedder())
    app = ui.build_app(assistant, feedback=FeedbackStore(tmp_path_factory.mktemp("xss-fb") / "f.sqlite3"))
    url = start(app)
    yield url
    app.close()


def new_page(browser, width: int = 1280, height: int = 1000, locale: str = "zh-CN", **kw):
    context = browser.new_context(viewport={"width": width, "height": height}, locale=locale,
                                  is_mobile=width < 500, has_touch=width < 500, **kw)
    return context, context.new_page()


@pytest.fixture
def page(browser, request):
    context, pg = new_page(browser)
    dialogs: list[str] = []
    errors: list[str] = []

    def on_dialog(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss()

    pg.on("dialog", on_dialog)
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.dialogs = dialogs  # type: ignore[attr-defined]
    yield pg
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"))
    context.close()
    assert not dialogs, f"a dialog opened: {dialogs}"
    assert not errors, f"page errors: {errors}"


def open_page(pg, url: str) -> None:
    pg.goto(url)
    pg.wait_for_selector("#qa-question textarea, #qa-question input", timeout=30_000)


def question_box(pg):
    return pg.locator("#qa-question textarea, #qa-question input").first


def ask(pg, question: str, n: int = 1) -> None:
    box = question_box(pg)
    box.click()
    box.fill(question)
    box.press("Enter")
    pg.locator("#qa-chat .qa-answer").nth(n - 1).wait_for(timeout=30_000)


def test_ask_with_enter_shows_figure_and_citations(page, server):
    open_page(page, server)
    assert page.title() == "智能问答"
    ask(page, TARGET)
    answer = page.locator("#qa-chat .qa-answer").last
    assert answer.locator(".qa-big").inner_text() == "7%左右"
    assert answer.locator("mark.qa-best").first.inner_text() == "7%左右"
    cites = answer.locator("li.qa-cite")
    assert cites.count() >= 3
    assert "2024年目标" in answer.locator(".qa-badge").first.inner_text()
    assert "二、2024年重点工作" in cites.first.locator(".qa-section").inner_text()
    assert re.search(r"用时 \d+ 毫秒", answer.locator(".qa-meta").inner_text())
    assert question_box(page).input_value() == ""  # sent and cleared
    # screen readers get the answer's text, not its HTML source
    page.wait_for_function("() => !document.querySelector('#qa-chat [data-testid=\"bot\"]')"
                           ".getAttribute('aria-label').includes('<')", timeout=5_000)
    assert "7%左右" in page.locator('#qa-chat [data-testid="bot"]').first.get_attribute("aria-label")
    # the whole paragraph opens from a citation
    details = answer.locator("details.qa-para").first
    details.locator("summary").click()
    assert details.locator(".qa-para-text").is_visible()
    page.locator("#qa-chat .message-row").first.scroll_into_view_if_needed()


def test_citation_opens_the_report_at_the_passage(page, server):
    open_page(page, server)
    ask(page, TARGET)
    link = page.locator("#qa-chat li.qa-cite a.qa-cite-link").nth(1)
    target = link.get_attribute("href").lstrip("#")
    link.click()
    tab = page.locator("#qa-tab-source-button")
    page.wait_for_function("() => document.querySelector('.qa-flash') !== null", timeout=10_000)
    assert tab.get_attribute("aria-selected") == "true"
    flashed = page.locator(".qa-flash")
    assert flashed.count() == 1 and flashed.get_attribute("id") == target
    page.wait_for_timeout(500)  # the second scroll, after the tab is laid out
    assert flashed.is_visible()
    box = flashed.bounding_box()
    assert box and 0 <= box["y"] <= 1000, box


def test_example_question_click(page, server):
    open_page(page, server)
    page.get_by_role("button", name="2023年固定资产投资多少？").click()
    page.locator("#qa-chat .qa-answer").first.wait_for(timeout=30_000)
    answer = page.locator("#qa-chat .qa-answer").first
    assert "1200亿元" in answer.inner_text()
    assert "2023年实绩" in answer.inner_text()
    assert "2023年固定资产投资多少？" in page.locator("#qa-chat").inner_text()


def test_elder_mode_enlarges_text(page, server):
    open_page(page, server)
    ask(page, TARGET)
    size = "(sel) => parseFloat(getComputedStyle(document.querySelector(sel)).fontSize)"
    before = {sel: page.evaluate(size, sel) for sel in (".qa-answer", "#qa-question textarea, #qa-question input",
                                                         ".qa-banner h1")}
    page.locator("#qa-elder input").check()
    page.wait_for_function("() => document.body.classList.contains('qa-elder')")
    after = {sel: page.evaluate(size, sel) for sel in before}
    for sel in before:
        assert after[sel] > before[sel], (sel, before[sel], after[sel])
    assert after[".qa-answer"] >= 20
    # remembered on reload
    open_page(page, server)
    page.wait_for_function("() => document.body.classList.contains('qa-elder')", timeout=10_000)
    assert page.locator("#qa-elder input").is_checked()


def test_keyboard_only(page, server):
    open_page(page, server)
    box = question_box(page)
    box.focus()
    box.type("2023年新增多少家上市企业？")
    page.keyboard.press("Enter")
    page.locator("#qa-chat .qa-answer").first.wait_for(timeout=30_000)
    assert "7家" in page.locator("#qa-chat .qa-answer").first.inner_text()
    # Tab moves to the send button, and the focus ring shows
    box.focus()
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.id || document.activeElement.textContent")
    assert "qa-send" in focused or "发送" in focused
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", "")


def test_english_labels_and_question(page, server):
    open_page(page, server)
    page.locator("#qa-english input").check()
    page.wait_for_function("() => document.querySelector('#qa-tab-source-button').textContent.trim() === 'Report'",
                           timeout=10_000)
    assert page.locator("#qa-send").inner_text().strip() == "Send"
    assert "Q&A Assistant" in page.locator(".qa-banner h1").inner_text()
    ask(page, "What was the GDP of Optics Valley in 2023?")
    answer = page.locator("#qa-chat .qa-answer").first
    text = answer.inner_text()
    assert "2715亿元" in text and "Sources" in text and re.search(r"\d+ ms", text)


def test_data_tab_filters(page, server):
    open_page(page, server)
    page.locator("#qa-tab-data-button").click()
    page.locator("#qa-fig-query input, #qa-fig-query textarea").first.fill("地区生产总值")
    page.locator("#qa-fig-query input, #qa-fig-query textarea").first.press("Enter")
    page.wait_for_function("() => /共 \\d+ 条数据/.test(document.querySelector('.qa-count').textContent) && "
                           "document.querySelector('#qa-figtable').innerText.includes('7%左右')", timeout=10_000)
    table = page.locator("#qa-figtable").inner_text()
    assert "7%左右" in table and "2024年目标" in table


def test_payloads_render_as_text(page, xss_server):
    open_page(page, xss_server)
    ask(page, XSS_QUESTION)
    chat = page.locator("#qa-chat")
    text = chat.inner_text()
    assert SCRIPT in text and IMG in text  # shown, as text
    page.locator("#qa-tab-source-button").click()
    page.locator(".qa-source").wait_for()
    assert SCRIPT in page.locator(".qa-source").inner_text()
    page.locator("#qa-tab-data-button").click()
    page.wait_for_timeout(300)
    injected = page.evaluate("""() => ({
        img: document.querySelectorAll('img[onerror], img[src="x"]').length,
        svg: document.querySelectorAll('svg[onload]').length,
        handlers: document.querySelectorAll('[onmouseover], [onload]').length,
        js: document.querySelectorAll('a[href^="javascript"]').length,
        script: Array.from(document.querySelectorAll('script')).filter(s => s.textContent.trim() === 'alert(1)').length,
    })""")
    assert injected == {"img": 0, "svg": 0, "handlers": 0, "js": 0, "script": 0}, injected
    page.wait_for_timeout(300)
    assert not page.dialogs  # type: ignore[attr-defined]


def test_light_palette_even_when_the_system_prefers_dark(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, color_scheme="dark")
    try:
        pg = context.new_page()
        open_page(pg, server)
        pg.wait_for_timeout(500)
        assert "dark" not in pg.evaluate("document.body.className")
        bg = pg.evaluate("getComputedStyle(document.querySelector('#qa-question textarea, #qa-question input'))"
                         ".backgroundColor")
        assert bg not in ("rgb(0, 0, 0)",) and sum(map(int, re.findall(r"\d+", bg)[:3])) > 600, bg
    finally:
        context.close()
