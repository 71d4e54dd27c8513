"""Recover the structure of a report's text (read by qa.formats): title, date, parts, sections, paragraphs,
sentences.

Government work reports share one shape: 一、/二、 parts, (一)/(二) sections whose first sentence is
their title, and paragraphs of long sentences. Web copies add page chrome (menus, dates, QR hints)
that must be skipped without shifting offsets, so every span here indexes the text as read.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import DocumentError
from .formats import SUFFIXES, html_to_text, read_report  # noqa: F401  (html_to_text: read here before)
from .types import Document, Paragraph, Period, Section

CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_NUM = "一二三四五六七八九十"

PART_RE = re.compile(rf"^\s*(?:([{_CN_NUM}]+)\s*[、.．]|第([{_CN_NUM}]+)部分[\s:：、]*)\s*(.*?)\s*$")
SECTION_RE = re.compile(rf"^\s*[（(]\s*([{_CN_NUM}]+)\s*[)）]")
MD_HEADING_RE = re.compile(r"^\s*(#{1,6})\s+(.*?)\s*#*\s*$")
DATE_RE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
SOURCE_RE = re.compile(r"来源\s*[:：]\s*(.+?)\s*$")
YEAR_RE = re.compile(r"((?:19|20)\d{2})\s*年")
CHROME_PHRASES = ("扫一扫", "打印本页", "关闭窗口", "分享到", "【字体", "字号", "当前位置", "返回顶部", "版权所有")
SENTENCE_END = set("。！？；!?;")
OPEN_QUOTES, CLOSE_QUOTES = "“「『‘《（(", "”」』’》）)"

RESULTS_WORDS = ("回顾", "总结", "完成情况", "成绩", "过去", "成就")
TARGETS_WORDS = ("重点工作", "目标", "计划", "任务", "安排", "打算", "思路", "展望", "总体要求", "政策取向", "主要考虑",
                 "总体部署")
# a part on the government's own conduct (管委会自身建设, 政府治理效能) speaks of no year's figures
SELF_WORDS = ("自身建设", "治理效能", "治理创新", "全面领导", "转作风", "政府建设")
# “十四五”时期, 十三五: the five-year plans, numbered from 十一五 (2006-2010)
PLAN_RE = re.compile(r"十([一二三四五六七八九])五|第十([一二三四五六七八九])个五年")
FIVE_YEARS_RE = re.compile(r"^(?:各位代表[！!，,：:]\s*)?(?:——)?(?:“?十[一二三四五六七八九]五”?(?:时期|期间|以来)?|五年来|过去五年|过去的五年|这五年"
                           r"|经过五年)")


def cn_to_int(text: str) -> int:
    """Chinese numerals: 二〇二三 digit by digit, 一百零五 by place value (十 百 千); Arabic digits as is.
    Headings (十二、) and figures (一百余场) both read their numbers here."""
    if text.isdigit():
        return int(text)
    if len(text) > 1 and all(ch in CN_DIGITS for ch in text):
        return int("".join(str(CN_DIGITS[ch]) for ch in text))
    total, digit = 0, None
    for ch in text:
        if ch in CN_DIGITS:
            digit = CN_DIGITS[ch]
        else:
            total += (1 if digit is None else digit) * {"十": 10, "百": 100, "千": 1000}[ch]
            digit = None
    return total + (digit or 0)


# --- line classification (pure) ---------------------------------------------------------------


def is_chrome(line: str) -> bool:
    """Page furniture of a web copy: menus, share/print links, QR hints, metadata bullets."""
    s = line.strip()
    if not s:
        return False
    items = [x.strip() for x in re.split(r"[|｜]", s)]
    if len(items) >= 3 and all(len(x) <= 10 for x in items):
        return True
    if any(p in s for p in CHROME_PHRASES) and len(s) <= 40:
        return True
    if s[0] in "•·●▪" and len(s) <= 60:  # "• 2024-02-26 10:16", "• 来源: 办公室"
        return True
    return False


def part_heading(line: str) -> tuple[int, str] | None:
    """(number, title) for a part heading such as 一、2023年工作回顾 or 第二部分 重点工作; an unnumbered
    one (“十四五”时期工作回顾, 2026年重点工作) gets number 0."""
    s = line.strip()
    m = PART_RE.match(s)
    if not m and len(s) <= 30 and not re.search(r"[。，,；;：:！？]", s) and (YEAR_RE.search(s) or PLAN_RE.search(s)) \
            and any(w in s for w in (*RESULTS_WORDS, *TARGETS_WORDS)):
        return 0, s
    if not m or len(s) > 40 or "。" in s[:-1]:
        return None
    number = cn_to_int(m.group(1) or m.group(2))
    title = m.group(3).rstrip("。")
    return (number, title) if title else None


def section_number(paragraph: str) -> int | None:
    m = SECTION_RE.match(paragraph)
    return cn_to_int(m.group(1)) if m else None


def plan_years(text: str) -> tuple[int, int] | None:
    """The years of the first five-year plan named: 十四五 -> (2021, 2025)."""
    m = PLAN_RE.search(text)
    if m is None:
        return None
    first = 2006 + 5 * (CN_DIGITS[m.group(1) or m.group(2)] - 1)
    return first, first + 4


def plan_of(year: int) -> tuple[int, int]:
    """The five-year plan a year belongs to: 2026 -> (2026, 2030), the 十五五."""
    first = 2006 + 5 * ((year - 2006) // 5)
    return first, first + 4


def plan_period(years: tuple[int, int], report_year: int | None, results: bool) -> Period:
    """A plan's five years: reviewed once they are over, else planned."""
    done = results or (report_year is not None and years[1] < report_year)
    return Period(years[1], "results" if done else "targets", years[0])


def part_period(title: str, report_year: int | None) -> Period | None:
    """A part that reviews a year holds that year's results; one that plans a year, its targets; a
    five-year plan's part (“十五五”时期主要目标), the plan's years."""
    m = YEAR_RE.search(title)
    is_results = any(w in title for w in RESULTS_WORDS)
    is_targets = any(w in title for w in TARGETS_WORDS) and not is_results
    plan = plan_years(title)
    if m:
        year = int(m.group(1))
        if not (is_results or is_targets) and report_year is not None:  # 2026年主要工作, 2025年主要工作
            return Period(year, "targets" if year >= report_year else "results")
    elif plan is not None:  # “十三五”时期发展成就和“十四五”时期主要目标: the first plan's, the paragraphs say the rest
        return plan_period(plan, report_year, is_results)
    elif report_year is not None and ("今年" in title or "过去一年" in title or "上一年" in title):
        year = report_year if "今年" in title else report_year - 1
    elif report_year is not None and (is_results or is_targets):
        year = report_year - 1 if is_results else report_year
    else:
        return None
    if is_results:
        return Period(year, "results")
    if is_targets:
        return Period(year, "targets")
    return None


def opens_the_year(text: str, year: int) -> bool:
    """2025年是…, 过去一年…, 刚刚过去的一年: a paragraph that opens the review of one year."""
    return bool(re.search(rf"^.{{0,14}}(?:{year}年|过去一年|一年来|刚刚过去的一年|去年)", text))


def paragraph_period(text: str, part: Period | None, report_year: int | None) -> Period | None:
    """A paragraph of a review that opens on the five years (“十四五”时期…, 五年来) holds the plan's
    results, not the last year's; one of a plan part that opens on a year (2026年是…) holds that year's."""
    if part is None:
        return None
    head = re.split(r"(?<=[。？])", text, maxsplit=2)
    if part.kind == "results" and len(head) > 2 and len(head[0]) <= 40 and FIVE_YEARS_RE.match(head[1]):
        # 2025年是“十四五”收官之年。五年来，…: a short opening, then the five years
        plan = plan_years(text[: len(head[0]) + 8]) or ((report_year - 5, report_year - 1) if report_year else None)
        if plan is not None:
            return plan_period(plan, report_year, False)
    if part.kind == "results" and opens_the_year(text, part.year):
        return Period(part.year, "results")  # 刚刚过去的2025年… in a review of the five years: that year's
    if FIVE_YEARS_RE.match(text) and part.kind == "results":
        plan = plan_years(text[:8])
        if plan is None and report_year is not None:  # 五年来: the five years before the report
            plan = (report_year - 5, report_year - 1)
        if plan is not None:
            return plan_period(plan, report_year, False)
    if report_year is not None and (ahead := plan_ahead_of(text, report_year)) is not None:
        return ahead
    return part


_PLAN_DOCUMENT = re.compile(r"纲要|五年规划")


def plan_ahead_of(text: str, report_year: int) -> Period | None:
    """A paragraph whose first sentence speaks of the plan not yet done (我们编制了“十五五”规划纲要（草案）,
    《纲要（草案）》明确了…主要指标) holds that plan's targets, in a part of one year's review or plan."""
    first = re.split(r"[。！？]", text, maxsplit=1)[0]
    if not _PLAN_DOCUMENT.search(first):
        return None
    plan = plan_years(first) or plan_of(report_year)
    return plan_period(plan, report_year, False) if plan[1] >= report_year else None


def split_sentences(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """Sentence spans, cut after 。！？； (and ASCII !?;) outside quotes, and at line ends."""
    spans: list[tuple[int, int]] = []
    depth = 0
    start = 0
    n = len(text)
    for i, ch in enumerate(text):
        if ch in OPEN_QUOTES and ch not in "（(":
            depth += 1
            continue
        if ch in CLOSE_QUOTES and ch not in "）)":
            depth = max(0, depth - 1)
            # 。” closes a quoted sentence: cut after the quote
            if depth == 0 and i > 0 and text[i - 1] in SENTENCE_END:
                spans.append((start, i + 1))
                start = i + 1
            continue
        if ch == "\n" or (ch in SENTENCE_END and depth == 0):
            end = i + 1
            while end < n and text[end] in "”」』’" and depth == 0:
                end += 1
            if ch == "\n":
                end = i
            if end > start:
                spans.append((start, end))
            start = i + 1 if ch == "\n" else end
    if start < n:
        spans.append((start, n))
    # strip whitespace at the edges of each span, drop empty ones
    out = []
    for a, b in spans:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b > a:
            out.append((a + offset, b + offset))
    return out


# --- structure ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Line:
    start: int
    end: int
    text: str


def _lines(text: str) -> list[_Line]:
    out, pos = [], 0
    for raw in text.splitlines(keepends=True):
        body = raw.rstrip("\r\n")
        lead = len(body) - len(body.lstrip())
        stripped = body.strip()
        if stripped:
            out.append(_Line(pos + lead, pos + lead + len(stripped), stripped))
        pos += len(raw)
    return out


def parse_document(doc_id: str, text: str, path: str = "") -> Document:
    """Pure: from the text of one report to its Document (title, date, parts, sections, paragraphs)."""
    if not text.strip():
        raise DocumentError(path or doc_id, "no text / 没有正文")
    lines = _lines(text)
    title, date, source = "", None, None
    body: list[_Line] = []
    for ln in lines:
        md = MD_HEADING_RE.match(ln.text)
        if md and not title and len(md.group(1)) == 1:
            title = md.group(2)
            continue
        if is_chrome(ln.text) or (not body and (DATE_RE.search(ln.text) or SOURCE_RE.search(ln.text)) and len(ln.text) <= 60):
            if date is None and (m := DATE_RE.search(ln.text)):
                date = f"{int(m.group(1)):04d}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
            if source is None and (m := SOURCE_RE.search(ln.text)):
                source = m.group(1)
            continue
        if not title and not body and len(ln.text) <= 60 and not part_heading(ln.text) and "。" not in ln.text:
            title = ln.text
            continue
        body.append(ln)
    report_year = Document(doc_id, path, text, title, date, source, "", (), ()).year

    sections: list[Section] = []
    paragraphs: list[Paragraph] = []
    part: Section | None = None
    sec: Section | None = None
    # a part whose sections are single paragraphs: paragraphs after its last section belong to the part
    single_para_parts = _single_paragraph_parts(body)
    part_idx = -1
    plan_ahead: tuple[Section, Period] | None = None
    five_years: tuple[Section, Period] | None = None
    one_year: tuple[Section, Period] | None = None
    for ln in body:
        md = MD_HEADING_RE.match(ln.text)
        ph = part_heading(md.group(2) if md else ln.text)
        if ph or md:
            number, ptitle = ph if ph else (len([s for s in sections if s.level == 1]) + 1, md.group(2))  # type: ignore[union-attr]
            heading = md.group(2) if md else ln.text
            period = part_period(ptitle, report_year)
            if period is None and part is None and report_year is not None:
                period = Period(report_year - 1, "results")  # a report opens with the review of its last year
            if period is None and part is not None and part.period is not None and part.period.kind == "targets" \
                    and part.period.first is None and not any(w in ptitle for w in SELF_WORDS):
                period = part.period  # 三、加大宏观政策实施力度: the year's work, after the part that set its targets
            part = Section(doc_id, 1, number, ptitle, heading, ln.start, ln.end, period)
            sections.append(part)
            sec = None
            part_idx += 1
            continue
        snum = section_number(ln.text)
        if snum is not None:
            first = split_sentences(ln.text)[0]
            stitle = ln.text[first[0] : first[1]].rstrip("。！？；!?;")
            heading = stitle
            stitle = SECTION_RE.sub("", stitle).strip()
            sec = Section(doc_id, 2, snum, stitle, heading, ln.start, ln.end, part.period if part else None)
            sections.append(sec)
        elif sec is not None and part_idx in single_para_parts:
            sec = None  # a closing paragraph of the part, not of its last section
        path = tuple(s.heading for s in (part, sec) if s is not None)
        period = paragraph_period(ln.text, part.period if part else None, report_year)
        if plan_ahead is not None and plan_ahead[0] is part:
            period = plan_ahead[1]  # the paragraphs after a review's turn to the next plan are the plan's
        elif period is not None and part is not None and period != part.period and period.kind == "targets" \
                and (part.period is None or part.period.kind == "results"):
            plan_ahead = (part, period)  # (in a part that plans the year, only the paragraphs that say so)
        elif period is not None and period.first is not None and period.kind == "results" and part is not None \
                and part.period is not None and part.period.first is None:
            five_years = (part, period)  # a year's review turned to the five years: they go on …
        elif five_years is not None and five_years[0] is part and period == part.period \
                and not opens_the_year(ln.text, part.period.year):
            period = five_years[1]  # … until a paragraph opens the year again
        elif five_years is not None and opens_the_year(ln.text, part.period.year if part and part.period else 0):
            five_years = None
        if part is not None and part.period is not None and part.period.first is not None \
                and part.period.kind == "results":
            # a review of the five years turned to the last year (刚刚过去的2025年…): its paragraphs are that
            # year's until one opens the five years again (各位代表！过去五年成绩的取得…)
            if period == Period(part.period.year, "results") and opens_the_year(ln.text, part.period.year):
                one_year = (part, period)
            elif one_year is not None and one_year[0] is part and period == part.period \
                    and not FIVE_YEARS_RE.match(ln.text) and "五年" not in ln.text[:16]:
                period = one_year[1]
            else:
                one_year = None
        sentences = tuple(split_sentences(ln.text, ln.start))
        paragraphs.append(Paragraph(doc_id, len(paragraphs), ln.text, ln.start, ln.end, path, period, sentences))

    sections = _close_sections(sections, paragraphs, len(text))
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Document(doc_id, path, text, title or doc_id, date, source, sha, tuple(sections), tuple(paragraphs))


def _single_paragraph_parts(body: list[_Line]) -> set[int]:
    """Parts in which every section heading is followed directly by the next section heading."""
    result: set[int] = set()
    part_idx, seen_section, ok = -1, False, True
    prev_was_section = False
    for ln in body:
        if part_heading(ln.text) or MD_HEADING_RE.match(ln.text):
            if part_idx >= 0 and seen_section and ok:
                result.add(part_idx)
            part_idx, seen_section, ok, prev_was_section = part_idx + 1, False, True, False
            continue
        is_sec = section_number(ln.text) is not None
        if seen_section and prev_was_section is False and is_sec:
            ok = False  # a section had a continuation paragraph
        if is_sec:
            seen_section = True
        prev_was_section = is_sec
    if part_idx >= 0 and seen_section and ok:
        result.add(part_idx)
    return result


def _close_sections(sections: list[Section], paragraphs: list[Paragraph], n: int) -> list[Section]:
    """Set each heading's end to the end of the last paragraph it covers."""
    out = []
    for s in sections:
        covered = [p for p in paragraphs if p.start >= s.start and s.heading in p.path]
        end = max((p.end for p in covered), default=s.end)
        out.append(Section(s.doc, s.level, s.number, s.title, s.heading, s.start, end, s.period))
    return out


# --- I/O at the edge ----------------------------------------------------------------------------


def read_text(path: Path) -> str:
    """The file's text (a PDF's or Word file's extracted, GBK decoded: qa.formats), or a DocumentError
    that names the file and the reason."""
    return read_report(path)


def load_document(path: str | Path) -> Document:
    path = Path(path)
    return parse_document(path.stem, read_text(path), str(path))


def corpus_files(corpus_dir: str | Path) -> list[Path]:
    """Documents of a corpus folder, sorted; gold files and READMEs in subfolders are not documents."""
    root = Path(corpus_dir)
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES and not p.name.startswith(".")
                  and p.stem.upper() != "README")


def load_corpus(corpus_dir: str | Path) -> tuple[list[Document], list[DocumentError]]:
    """Every readable document, plus the errors of those that were not (they don't stop the others)."""
    docs, errors, names = [], [], {}
    for path in corpus_files(corpus_dir):
        if path.stem in names:  # report.pdf beside report.txt: one id, two texts
            errors.append(DocumentError(str(path), f"same name as {names[path.stem]}: rename one / 与另一文件同名"))
            continue
        try:
            docs.append(load_document(path))
            names[path.stem] = path.name
        except DocumentError as e:
            errors.append(e)
    return docs, errors
