"""The page in a conversation (issue 23), one test per point of the page's list, in Debian's chromium
against the real server (real model, FAISS index), at a phone's size (390x844) and a laptop's (1366x768).

Screenshots go to artifacts/ui/; QA_UPDATE_SCREENSHOT=1 also writes the ones the README's page section
shows into docs/conversation/ (looked at by a person before they were committed).
"""
from __future__ import annotations

import os
import re
import threading
import time

import pytest

from test_ui_browser import ARTIFACTS, CHROMIUM, ROOT, TARGET, browser, feedback_store, new_page, open_page, question_box  # noqa: F401
from test_ui_page import ANSWERS, SIZES, ask, sized, status  # noqa: F401
import ui  # noqa: E402
from qa.feedback import FeedbackStore  # noqa: E402
from test_ui import start  # noqa: E402

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium: run `make browser`"),
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]
DOCS = ROOT / "docs" / "conversation"


class Slow:
    """The real assistant, answering after a pause while `hold` is set: the page's pending state can
    then be seen before the answer replaces it."""

    def __init__(self, assistant) -> None:
        self._a = assistant
        self.hold = threading.Event()

    def __getattr__(self, name):
        return getattr(self._a, name)

    def ask(self, *args, **kw):
        if self.hold.is_set():
            time.sleep(2.0)
        return self._a.ask(*args, **kw)


@pytest.fixture(scope="module")
def slow(real_assistant):
    return Slow(real_assistant)


@pytest.fixture(scope="module")
def server(slow, tmp_path_factory):
    app = ui.build_app(slow, feedback=FeedbackStore(tmp_path_factory.mktemp("fb23") / "f.sqlite3"))
    url = start(app)
    yield url
    app.close()


def shot(pg, name: str) -> None:
    """A screenshot for docs/conversation/ (QA_UPDATE_SCREENSHOT=1), as small as a PNG of the page can be."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}-{pg.size}.png"
    pg.screenshot(path=str(path))
    if os.environ.get("QA_UPDATE_SCREENSHOT"):
        from PIL import Image

        DOCS.mkdir(parents=True, exist_ok=True)
        Image.open(path).convert("RGB").quantize(colors=128).save(DOCS / path.name, optimize=True)


def rect(pg, selector: str) -> dict:
    return pg.locator(selector).first.bounding_box()


def widths(pg) -> tuple:
    return pg.evaluate("() => ['#qa-main', '#qa-root', '#qa-tabs'].map(s => Math.round("
                       "document.querySelector(s).getBoundingClientRect().width))")


# 1: the box in view on load; the layout keeps its width --------------------------------------------------


def test_box_in_view_and_the_width_never_changes(sized, server):
    pg = sized
    open_page(pg, server)
    pg.wait_for_timeout(800)
    box = rect(pg, "#qa-question textarea, #qa-question input")
    if pg.size == "desktop":
        assert box["y"] >= 0 and box["y"] + box["height"] <= 768, box  # in view on load at 1366x768
    first = widths(pg)
    ask(pg, TARGET)
    assert widths(pg) == first
    pg.locator("#qa-tab-data-button").click()
    pg.wait_for_timeout(400)
    assert widths(pg) == first
    pg.locator("#qa-tab-chat-button").click()
    pg.locator("#qa-settings").get_by_text("检索设置").first.click()
    pg.wait_for_timeout(400)
    assert widths(pg) == first
    assert pg.evaluate("getComputedStyle(document.documentElement).scrollbarGutter") == "stable"
    shot(pg, "layout")


# 2: the question at once, the page's own pending state, an inline hint for an empty box ---------------


def test_question_shows_at_once_with_a_pending_state(sized, server, slow):
    pg = sized
    open_page(pg, server)
    box = question_box(pg)
    box.press("Enter")  # empty: a hint, no request
    hint = pg.locator("#qa-empty-hint")
    hint.wait_for(state="visible", timeout=5_000)
    assert "请先输入问题" in hint.inner_text()
    assert pg.locator("#qa-chat .qa-q").count() == 0
    box.fill("2023年固定资产投资多少？")
    assert not hint.is_visible()  # typing takes the hint away
    slow.hold.set()
    try:
        box.press("Enter")
        pg.locator("#qa-chat .qa-pending").wait_for(state="visible", timeout=1_500)
        assert pg.locator("#qa-chat .qa-q").last.inner_text() == "2023年固定资产投资多少？"
        assert "正在从报告中查找" in pg.locator("#qa-chat .qa-pending").inner_text()
        # Gradio's own overlay ("processing | 0.1s") is not shown anywhere
        overlay = pg.evaluate("() => Array.from(document.querySelectorAll('#qa-root *')).filter(e => "
                              "e.offsetParent !== null && /processing|\\d+\\.\\ds/.test(e.textContent) && !e.children.length)"
                              ".map(e => e.textContent)")
        assert not overlay, overlay
        shot(pg, "pending")
    finally:
        slow.hold.clear()
    pg.locator(ANSWERS).first.wait_for(timeout=30_000)
    assert pg.locator("#qa-chat .qa-pending").count() == 0 and "1200亿元" in pg.locator(ANSWERS).first.inner_text()


# 3: feedback ------------------------------------------------------------------------------------------


def test_feedback_asks_what_was_wrong_in_view(sized, server):
    pg = sized
    open_page(pg, server)
    ask(pg, TARGET)
    like = pg.locator('#qa-chat button[aria-label="有帮助"]').last
    dislike = pg.locator('#qa-chat button[aria-label="没帮助"]').last
    lb, db = like.bounding_box(), dislike.bounding_box()
    assert lb["x"] < db["x"]  # 👍 before 👎
    for b in (lb, db, rect(pg, f"{ANSWERS} .qa-chip"), rect(pg, f"{ANSWERS} .qa-copy"), rect(pg, "#qa-send")):
        assert b["height"] >= 44 and b["width"] >= 44, b  # touch targets
    dislike.click()
    fb = pg.locator("#qa-feedback")
    fb.wait_for(state="visible", timeout=10_000)
    pg.wait_for_timeout(500)
    text = fb.inner_text()
    assert "哪里不对" in text and "有帮助吗" not in text
    comment = rect(pg, "#qa-fb-text textarea, #qa-fb-text input")
    assert 0 <= comment["y"] and comment["y"] + comment["height"] <= pg.viewport_size["height"], comment  # in view
    assert pg.evaluate("() => document.activeElement.closest('#qa-fb-text') !== null")  # ready to type
    shot(pg, "feedback")


# 4: languages, the phone, 长者模式 ---------------------------------------------------------------------


def test_no_english_in_chinese_notes(sized, server):
    pg = sized
    open_page(pg, server)
    ask(pg, "地区生产总值排名是多少？")  # a not-found answer with a reason
    notes = pg.locator(f"{ANSWERS} .qa-note").all_inner_texts()
    assert notes and not [n for n in notes if re.search(r"[A-Za-z]{3}", n)], notes
    assert pg.locator(f"{ANSWERS} li.qa-cite").count() <= 3  # 可能相关: at most three


def test_english_mode_is_english_and_nothing_is_cut_off(sized, server):
    pg = sized
    open_page(pg, server)
    pg.locator("#qa-english input").check()
    pg.wait_for_function("() => document.documentElement.lang === 'en'")
    pg.wait_for_timeout(500)
    if pg.size == "desktop":
        examples = pg.locator("#qa-examples button").all_inner_texts()
    else:
        examples = pg.locator("#qa-chat .examples button").all_inner_texts()
    assert len(examples) == 6 and all(x.isascii() for x in examples), examples
    clear = pg.locator("#qa-clear")
    assert clear.inner_text().strip() == "Clear history"
    assert pg.evaluate("(e) => e.scrollWidth <= e.clientWidth + 1", clear.element_handle())  # not cut off
    ask(pg, TARGET)
    chips = pg.locator(f"{ANSWERS} .qa-chip").all_inner_texts()
    assert chips and all(c.isascii() for c in chips), chips
    assert "Sources" in pg.locator(ANSWERS).last.inner_text()
    # every label the page writes (not the conversation, whose words are the asker's and the report's)
    labels = pg.evaluate("""() => Array.from(document.querySelectorAll(
            '#qa-root button, #qa-root label, #qa-root [role=tab], #qa-root h1, #qa-root h2, #qa-root h3, '
            + '#qa-root summary, #qa-root textarea, #qa-root input[type=text]'))
        .filter(e => e.offsetParent !== null && !e.closest('#qa-chat'))
        .map(e => [(e.innerText || e.placeholder || '').trim(),
                   e.children.length > 0 || e.scrollWidth <= e.clientWidth + 1])""")  # a leaf's text fits
    chinese = [t for t, _ in labels if re.search(r"[\u4e00-\u9fff]", t)]
    assert labels and not chinese, chinese
    cut = [t for t, fits in labels if t and not fits and len(t) < 40]
    assert not cut, cut  # nothing cut off
    shot(pg, "english")


def test_phone_placeholder_examples_once_no_nested_scroll_and_elder(sized, server):
    pg = sized
    open_page(pg, server)
    pg.wait_for_timeout(600)
    fits = pg.evaluate("""() => { const b = document.querySelector('#qa-question textarea, #qa-question input');
        const c = document.createElement('canvas').getContext('2d'); const s = getComputedStyle(b);
        c.font = s.fontSize + ' ' + s.fontFamily;
        return c.measureText(b.placeholder).width <= b.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight); }""")
    assert fits  # the placeholder is not cut off
    first = "今年光谷地区生产总值预期增长多少？"
    shown = pg.evaluate("(q) => Array.from(document.querySelectorAll('#qa-root button')).filter(b => "
                        "b.offsetParent !== null && b.textContent.trim() === q).length", first)
    assert shown == 1  # 热门问题 once
    ask(pg, TARGET)
    ask(pg, "增速呢")
    if pg.size == "phone":
        inner = pg.evaluate("""() => Array.from(document.querySelectorAll('#qa-root *')).filter(e => {
            const s = getComputedStyle(e);
            return e.offsetParent !== null && /(auto|scroll)/.test(s.overflowY) && e.scrollHeight > e.clientHeight + 2
                   && e.tagName !== 'TEXTAREA';
          }).map(e => e.tagName + '#' + e.id + '.' + e.className)""")
        assert not inner, inner  # no scroll box inside the page
    # the trash icon covers no text: Gradio's own is not shown (清空记录 asks first)
    assert not pg.locator("#qa-chat .top-panel button").first.is_visible()
    size = "(s) => parseFloat(getComputedStyle(document.querySelector(s)).fontSize)"
    parts = [f"{ANSWERS} .qa-chip", ".qa-footer", "#qa-tab-chat-button", "#qa-send", ".qa-answer", "#qa-elder label"]
    before = {s: pg.evaluate(size, s) for s in parts}
    pg.locator("#qa-elder input").check()
    pg.wait_for_function("() => document.body.classList.contains('qa-elder')")
    after = {s: pg.evaluate(size, s) for s in parts}
    assert all(after[s] > before[s] for s in parts), (before, after)  # 长者模式 enlarges everything
    shot(pg, "elder")


# 5: 清空记录 asks first ---------------------------------------------------------------------------------


def test_clear_asks_before_it_wipes(sized, server):
    pg = sized
    open_page(pg, server)
    ask(pg, TARGET)
    pg.locator("#qa-clear").click()
    confirm = pg.locator("#qa-confirm")
    confirm.wait_for(state="visible", timeout=5_000)
    assert "确定清空" in confirm.inner_text() and pg.locator(ANSWERS).count() == 1
    shot(pg, "clear")
    pg.locator("#qa-clear-no").click()
    confirm.wait_for(state="hidden", timeout=5_000)
    assert pg.locator(ANSWERS).count() == 1
    pg.locator("#qa-clear").click()
    pg.locator("#qa-clear-yes").click()
    pg.wait_for_function(f"() => document.querySelectorAll('{ANSWERS}').length === 0", timeout=10_000)
    assert not confirm.is_visible()


# 6: shorter answers -----------------------------------------------------------------------------------


def test_answers_are_short(sized, server):
    pg = sized
    open_page(pg, server)
    ask(pg, TARGET)
    answer = pg.locator(ANSWERS).last
    visible = answer.locator("li.qa-cite").evaluate_all(
        "els => els.filter(e => !e.closest('details:not([open])') && e.getClientRects().length).length")
    assert visible == 3
    more = answer.locator("details.qa-more")
    assert more.count() == 1 and "更多出处" in more.locator("> summary").inner_text()
    quote = answer.locator(".qa-quote").inner_text().strip("“” [1]")
    first = answer.locator("li.qa-cite").first.locator(".qa-cite-text").inner_text()
    assert quote[:30] not in first and "即上方引用的原句" in first  # the quote is not repeated as [1]
    more.locator("> summary").click()
    assert answer.locator("li.qa-cite").nth(3).is_visible()
    shot(pg, "answer")


# 7: the footer ----------------------------------------------------------------------------------------


def test_footer_is_always_there(sized, server):
    pg = sized
    open_page(pg, server)
    for tab in ("#qa-tab-chat-button", "#qa-tab-data-button", "#qa-tab-source-button"):
        pg.locator(tab).click()
        foot = pg.locator(".qa-footer")
        foot.scroll_into_view_if_needed()
        text = foot.inner_text()
        assert foot.is_visible() and "12345" in text and "主办" in text and "不保存IP" in text
    shot(pg, "footer")


# 8: 数据 ----------------------------------------------------------------------------------------------


def test_data_tab_labels_quarters_and_report_names(sized, server):
    pg = sized
    open_page(pg, server)
    pg.locator("#qa-tab-data-button").click()
    box = pg.locator("#qa-fig-query input, #qa-fig-query textarea").first
    box.fill("地区生产总值")
    box.press("Enter")
    pg.wait_for_function("() => document.querySelector('#qa-figtable').innerText.includes('一季度')", timeout=10_000)
    table = pg.locator("#qa-figtable").inner_text()
    for part in ("2023年实绩 · 一季度", "2023年实绩 · 上半年", "2023年实绩 · 前三季度"):
        assert part in table, part
    keys = pg.locator("#qa-keytable").inner_text()
    assert "数字经济增加值" in keys and "数字经济核心产业增加值" not in keys
    shot(pg, "data")


# 9: the keyboard --------------------------------------------------------------------------------------


def test_skip_link_first_and_one_key_to_the_citations(sized, server):
    pg = sized
    open_page(pg, server)
    first = pg.evaluate("() => Array.from(document.querySelectorAll('a[href], button, input, textarea, select, [tabindex]'))"
                        ".filter(e => e.tabIndex >= 0 && !e.disabled && !e.closest('[hidden]'))[0].className")
    assert "qa-skip" in first  # first in the tab order
    pg.evaluate("() => document.activeElement && document.activeElement.blur()")
    pg.mouse.click(3, 3)  # start from the top of the page, as a fresh visit does
    pg.keyboard.press("Tab")
    assert pg.evaluate("() => document.activeElement.classList.contains('qa-skip')")
    pg.keyboard.press("Enter")
    assert pg.evaluate("() => document.activeElement.closest('#qa-question') !== null")
    ask(pg, TARGET)
    question_box(pg).focus()
    pg.keyboard.press("ArrowDown")
    focused = pg.evaluate("() => [document.activeElement.className, document.activeElement.textContent]")
    assert "qa-cite-link" in focused[0] and focused[1] == "[1]", focused


# the conversation, in the page ----------------------------------------------------------------


def test_a_follow_up_keeps_the_indicator_in_the_page(sized, server):
    pg = sized
    open_page(pg, server)
    ask(pg, TARGET)
    ask(pg, "增速呢")
    answer = pg.locator(ANSWERS).last
    assert status(answer) == "figure" and answer.locator(".qa-big").inner_text() == "7%左右"
    ask(pg, "qwerty 123")
    answer = pg.locator(ANSWERS).last
    assert "没能理解这个问题" in answer.inner_text() and answer.locator("li.qa-cite").count() == 0
    assert answer.locator(".qa-chip").count() >= 1 and "您可以这样问" in answer.inner_text()
    shot(pg, "conversation")
