"""Every word the page itself writes, in Chinese and English.

Two tables: our own labels (`L`), and Gradio's built-in control labels, which Gradio leaves in English
for Chinese readers (its zh-CN table lacks the chat's) — `GRADIO_ZH` feeds both `gr.I18n` and
page.js, which keeps them in the page's language whatever the browser's locale.
"""
from __future__ import annotations

from typing import Any

TITLE = "智能问答"
MODES = ("hybrid", "dense", "bm25")

EXAMPLES = {
    "zh": [
        "今年光谷地区生产总值预期增长多少？",
        "2023年地区生产总值总量是多少？",
        "2023年固定资产投资多少？",
        "已建、在建国家大科学装置有几个？",
        "今年新增城镇就业人数目标是多少？",
        "减税降费及退税缓费多少？",
    ],
    "en": [
        "What is the GDP growth target for 2024?",
        "What was the GDP of Optics Valley in 2023?",
        "How much tax relief was given in 2023?",
        "How much was fixed-asset investment in 2023?",
        "How many major national science facilities are built or being built?",
        "What is this year's target for new urban jobs?",
    ],
}

L: dict[str, dict[str, str]] = {
    "zh": {
        "title": "智能问答",
        "org": "武汉东湖新技术开发区 · 中国光谷",
        "subtitle": "回答均摘自政府工作报告原文，逐条注明出处；本系统不生成、不改写内容。",
        "skip": "跳到提问框",
        "elder": "长者模式",
        "english": "English",
        "nav_ask": "智能问答",
        "nav_a11y": "无障碍浏览",
        "nav_elder": "长者专区",
        "a11y_title": "无障碍浏览",
        "a11y_body": "键盘：Tab 键移动，回车键提问；在提问框中按 ↓ 键直接跳到最新回答的出处，出处编号 [1] [2] "
                     "可用回车打开原文。长者模式放大字体并提高对比度；屏幕阅读器会朗读每条回答的文字。",
        "a11y_bigger": "放大字体（长者模式）",
        "a11y_close": "关闭",
        "tab_chat": "智能问答",
        "tab_data": "数据",
        "tab_source": "原文",
        "chat": "问答记录",
        "placeholder_chat": "**您好！我是光谷智能问答助手。**\n\n请在下方输入问题，或点击{where}的热门问题。"
                            "我会从政府工作报告中找出原文和数据，并逐条注明出处。",
        "where_side": "右侧",
        "where_below": "下方",
        "question": "您的问题",
        "placeholder": "输入问题，按回车发送",
        "send": "发送",
        "clear": "清空记录",
        "clear_ask": "确定清空全部问答记录吗？清空后无法恢复。",
        "clear_yes": "确定清空",
        "clear_no": "取消",
        "pending": "正在从报告中查找…",
        "empty_hint": "请先输入问题，例如：今年光谷地区生产总值预期增长多少？",
        "unclear": "没能理解这个问题，请换个说法。",
        "try_these": "您可以这样问",
        "more_sources": "更多出处（{n} 条）",
        "quoted_above": "即上方引用的原句",
        "foot_org": "主办：武汉东湖新技术开发区管理委员会 · 内容摘自政府工作报告原文",
        "foot_feedback": "意见反馈只保存问题、回答类型、首条出处、评价和您填写的意见，不保存IP地址、账号或浏览器信息。",
        "examples": "热门问题",
        "settings": "检索设置",
        "top_k": "引用段落数",
        "mode": "检索方式",
        "doc": "文档范围",
        "all_docs": "全部文档",
        "mode_hybrid": "混合检索（推荐）",
        "mode_dense": "语义检索",
        "mode_bm25": "关键词检索",
        "answer": "答",
        "state_figure": "报告中的数据",
        "state_passage": "报告未给出具体数字",
        "state_passage_lead": "报告原文是这样说的：",
        "not_found": "报告中没有找到这个问题的答案。",
        "maybe": "可能相关",
        "sources": "出处",
        "expand": "展开全段",
        "view_source": "在原文中查看",
        "related": "相关问题",
        "copy": "复制",
        "copied": "已复制",
        "copy_title": "复制答案、原句和出处（纯文本）",
        "elapsed": "用时 {ms} 毫秒",
        "n_cites": "{n} 条出处",
        "error_title": "无法回答这个问题",
        "internal": "系统暂时无法回答，请稍后再试。",
        "note_title": "提示",
        "key_title": "重点指标",
        "key_indicator": "指标",
        "filter": "搜索数据",
        "filter_ph": "输入关键词或数值，如 GDP、就业、2715",
        "period": "时期",
        "section": "章节",
        "all": "全部",
        "count": "共 {n} 条数据",
        "no_figures": "暂无数据（数据抽取尚未完成或没有匹配的数字）。",
        "cols": "数值|指标|类型|时期|章节|上下文",
        "toc": "目录",
        "published": "发布时间",
        "source": "来源",
        "notice": "提示：答案直接引自报告原文，点击 [1] [2] 等出处编号可在“原文”中查看上下文。",
        "busy": "系统繁忙，请稍后再试。",
        "fb_ask": "这条回答有帮助吗？可以留下意见（选填，请勿填写姓名、电话等个人信息）",
        "fb_ask_down": "抱歉没能帮上忙。哪里不对？数字不对、答非所问，还是找不到想要的内容？（选填，请勿填写姓名、电话等个人信息）",
        "fb_ask_up": "感谢您的肯定！还有什么建议？（选填，请勿填写姓名、电话等个人信息）",
        "fb_comment": "意见（选填）",
        "fb_ph": "例如：答案的数字不对，或没有回答我的问题",
        "fb_send": "提交意见",
        "fb_thanks": "感谢您的反馈！",
        "fb_saved": "意见已收到，谢谢！",
    },
    "en": {
        "title": "Q&A Assistant",
        "org": "Wuhan East Lake High-Tech Zone · Optics Valley of China",
        "subtitle": "Every answer is quoted from the government work report, with its source; nothing is generated or rewritten.",
        "skip": "Skip to the question box",
        "elder": "Senior mode",
        "english": "English",
        "nav_ask": "Q&A",
        "nav_a11y": "Accessibility",
        "nav_elder": "Seniors",
        "a11y_title": "Accessibility",
        "a11y_body": "Keyboard: Tab moves, Enter asks; in the question box ↓ jumps to the newest answer's sources, "
                     "and a source number such as [1] opens the report with Enter. "
                     "Senior mode enlarges the text and raises the contrast; screen readers read each answer's text.",
        "a11y_bigger": "Larger text (senior mode)",
        "a11y_close": "Close",
        "tab_chat": "Ask",
        "tab_data": "Figures",
        "tab_source": "Report",
        "chat": "Conversation",
        "placeholder_chat": "**Hello! I answer questions about the government work report.**\n\nType a question below "
                            "or click a popular question {where}: I find the passages and figures that answer it, "
                            "and cite each one.",
        "where_side": "on the right",
        "where_below": "below",
        "question": "Your question",
        "placeholder": "Ask a question",
        "send": "Send",
        "clear": "Clear history",
        "clear_ask": "Clear the whole conversation? This cannot be undone.",
        "clear_yes": "Clear",
        "clear_no": "Cancel",
        "pending": "Searching the report…",
        "empty_hint": "Please type a question first, e.g. What is the GDP growth target for 2024?",
        "unclear": "The question could not be understood. Please rephrase it.",
        "try_these": "You could ask",
        "more_sources": "More sources ({n})",
        "quoted_above": "the sentence quoted above",
        "foot_org": "Run by the Wuhan East Lake High-Tech Zone Administrative Committee · quoted from the government work report",
        "foot_feedback": "Feedback keeps only the question, the kind of answer, its first source, your rating and your comment; "
                         "no IP address, account or browser data.",
        "contact": "For more help, call the 12345 government service hotline or leave a message on the government website.",
        "examples": "Popular questions",
        "settings": "Search settings",
        "top_k": "Passages to cite",
        "mode": "Retrieval mode",
        "doc": "Documents",
        "all_docs": "All documents",
        "mode_hybrid": "Hybrid (recommended)",
        "mode_dense": "Semantic",
        "mode_bm25": "Keyword",
        "answer": "A",
        "state_figure": "Figure from the report",
        "state_passage": "The report gives no figure for this",
        "state_passage_lead": "What the report says:",
        "not_found": "The report does not answer this question.",
        "maybe": "Possibly related",
        "sources": "Sources",
        "expand": "Whole paragraph",
        "view_source": "View in the report",
        "related": "Related questions",
        "copy": "Copy",
        "copied": "Copied",
        "copy_title": "Copy the answer, its sentence and the sources as plain text",
        "elapsed": "{ms} ms",
        "n_cites": "{n} sources",
        "error_title": "This question cannot be answered",
        "internal": "The service cannot answer right now, please try again later.",
        "note_title": "Note",
        "key_title": "Key indicators",
        "key_indicator": "Indicator",
        "filter": "Search figures",
        "filter_ph": "Keyword or value, e.g. GDP, 就业 (jobs), 2715",
        "period": "Period",
        "section": "Section",
        "all": "All",
        "count": "{n} figures",
        "no_figures": "No figures yet (extraction not finished, or nothing matches).",
        "cols": "Figure|Measures|Kind|Period|Section|Context",
        "toc": "Contents",
        "published": "Published",
        "source": "Source",
        "notice": "Answers are quoted from the report. Click a source number such as [1] to see it in the report.",
        "busy": "The service is busy, please try again.",
        "fb_ask": "Was this answer helpful? Tell us more if you like (optional; no names or phone numbers, please)",
        "fb_ask_down": "Sorry this did not help. What was wrong: a wrong figure, the wrong question answered, or nothing "
                       "found? (optional; no names or phone numbers, please)",
        "fb_ask_up": "Thank you! Anything we could do better? (optional; no names or phone numbers, please)",
        "fb_comment": "Comment (optional)",
        "fb_ph": "e.g. the figure is wrong, or the question was not answered",
        "fb_send": "Send comment",
        "fb_thanks": "Thank you for your feedback!",
        "fb_saved": "Comment received, thank you!",
    },
}

KINDS = {
    "zh": {"amount": "金额", "growth": "增速", "share": "占比", "count": "数量", "rank": "排名", "multiple": "倍数",
           "rate": "比率", "measure": "规模", "duration": "时长", "decline": "降幅", "target": "目标"},
    "en": {"amount": "amount", "growth": "growth", "share": "share", "count": "count", "rank": "rank",
           "multiple": "multiple", "rate": "rate", "measure": "measure", "duration": "duration", "decline": "decline",
           "target": "target"},
}

# Gradio's own labels (its i18n keys), for the controls it draws: the chat's buttons, the table's menus.
GRADIO_ZH: dict[str, dict[str, str]] = {
    "chatbot": {"copy_message": "复制消息", "copied_message": "已复制", "clear": "清空", "like": "有帮助",
                "dislike": "没帮助", "retry": "重试", "undo": "撤销", "edit": "编辑", "submit": "提交",
                "cancel": "取消"},
    "common": {"clear": "清除", "loading": "加载中", "error": "错误", "copy_to_clipboard": "复制", "copied": "已复制"},
}
# Labels Gradio writes without i18n (English for everyone), with what page.js shows instead.
GRADIO_LITERALS_ZH = {"Scroll down": "滚动到最新", "Copy message": "复制消息", "Copied message": "已复制",
                      "Clear": "清空", "Like": "有帮助", "Dislike": "没帮助", "Loading...": "加载中…",
                      "Error": "错误", "Copy": "复制", "Copied": "已复制",
                      "chatbot conversation": "问答记录"}
# Gradio's own zh-CN words for the same controls (shown to zh-CN browsers), with their English.
GRADIO_ZH_BUILTIN = {"赞": "Like", "踩": "Dislike", "清空对话": "Clear", "复制消息": "Copy message"}


def contact(lang: str, line: str) -> str:
    """The contact line in the page's language: the default one has an English version; a line set for
    a deployment (Settings.contact_line) is shown as written."""
    from ..config import Settings

    return t("en", "contact") if lang == "en" and line == Settings.contact_line else line


def note(lang: str, text: str) -> str:
    """A note in the page's language: the core writes notes as '<中文> / <English>'."""
    zh, sep, en = text.partition(" / ")
    return (en if lang == "en" else zh).strip() if sep else text


def lang_of(english: bool | str | None) -> str:
    return "en" if english in (True, "en") else "zh"


def t(lang: str, key: str, **kw: Any) -> str:
    text = L[lang].get(key) or L["zh"][key]
    return text.format(**kw) if kw else text


def i18n_tables() -> dict[str, dict[str, Any]]:
    """The translations for `gr.I18n`: Gradio's zh-CN table lacks the chat's labels."""
    return {"zh-CN": GRADIO_ZH, "zh": GRADIO_ZH}


# tables of an indicator across years or areas, and the loaded documents (qa/web/table_view.py)
L["zh"].update({
    "state_table": "报告中的数据（按年份、地区）",
    "tcol_area": "地区", "tcol_year": "年份", "tcol_target": "目标", "tcol_result": "实际", "tcol_met": "是否完成",
    "met_yes": "✓ 达到目标", "met_no": "✗ 未达到", "met_judge": "请对照原文", "met_none": "—",
    "miss_no_report": "未收录该年报告", "miss_not_stated": "报告未给出", "miss_not_asked": "—",
    "chart_title": "走势图：实际为折线，目标为标记", "chart_target": "目标", "chart_result": "实际",
    "tables_title": "指标历年与各地对比", "tables_pick": "指标", "tables_none": "已载入的报告中没有可成表的指标。",
    "docs_title": "已载入的报告", "docs_count": "已载入 {n} 份报告，{y} 个年份（{span}），{a} 个地区",
    "dcol_title": "报告", "dcol_issuer": "发布机关", "dcol_area": "地区", "dcol_year": "年份",
    "absent": "语料中没有{area}的报告", "view_source_short": "原文",
})
L["en"].update({
    "state_table": "Figures of the reports, by year and area",
    "tcol_area": "Area", "tcol_year": "Year", "tcol_target": "Target", "tcol_result": "Result", "tcol_met": "Met?",
    "met_yes": "✓ met", "met_no": "✗ missed", "met_judge": "compare in the text", "met_none": "—",
    "miss_no_report": "no report of that year loaded", "miss_not_stated": "not given in the report",
    "miss_not_asked": "—",
    "chart_title": "Chart: results as a line, targets as markers", "chart_target": "target", "chart_result": "result",
    "tables_title": "Indicators over years and areas", "tables_pick": "Indicator",
    "tables_none": "The loaded reports give no indicator that makes a table.",
    "docs_title": "Loaded reports", "docs_count": "{n} reports loaded, {y} years ({span}), {a} areas",
    "dcol_title": "Report", "dcol_issuer": "Issued by", "dcol_area": "Area", "dcol_year": "Year",
    "absent": "no report of {area} is loaded", "view_source_short": "text",
})
