"""Read a report's file into its text: text and HTML in UTF-8 or GB18030, PDF, Word (.docx).

Governments publish their reports as web pages, PDF and Word files, and many sites still serve GBK.
Every format ends here as one text, a paragraph a line, which `qa.ingest.parse_document` reads the
same way whatever the file was: that text is the Document's text, its sha256 and every offset point
into it, and the index stores it (so the 原文 view never reads the file again). A PDF holds lines,
not paragraphs: the lines are put back together here, the page headers and footers left out.

The file is read at the edges (`read_report`, `read_pdf`, `read_docx`); the rest are pure functions
over what was read. Nothing here writes anything.
"""
from __future__ import annotations

import html.parser
import io
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from .errors import DocumentError

TEXT_SUFFIXES = (".txt", ".md", ".html", ".htm")
SUFFIXES = (*TEXT_SUFFIXES, ".pdf", ".docx")

# a paragraph's last line ends a sentence (a PDF breaks lines anywhere else too)
ENDS_SENTENCE_RE = re.compile(r"[。！？；：!?;:…][”’」』）)]*$")
STANDS_ALONE = 3.0  # ems: a line set in further than a paragraph's indent is centred or right-aligned
FAR_SHORT = 6.0  # ems short of the right edge: no word or number wraps that early, a line ends there
# a line's leading unit that cannot be split: opening marks, a Latin word or number or one character,
# then the marks that may not open a line
UNIT_RE = re.compile(r"[（(“‘《〈【［「『]*(?:[A-Za-z0-9.,%_+\-/·]+|.)[）)”’》〉】］」』，。、；：！？!?,.;:%…—]*")
# 一、 （三） 第二部分: a part or section heading always opens a paragraph
HEADING_RE = re.compile(r"^\s*(?:[一二三四五六七八九十]+\s*[、.．]|[（(]\s*[一二三四五六七八九十]+\s*[)）]|第[一二三四五六七八九十]+部分)")
# the page numbers that sit alone in a header or footer: - 3 -, — 3 —, 第3页, 第3页 共10页, 3/10, Page 3 of 10
PAGE_NUMBER_RE = re.compile(
    r"^(?:[-—–－\s]*\d+[-—–－\s]*|第\s*\d+\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?|\d+\s*/\s*\d+|共\s*\d+\s*页\s*第\s*\d+\s*页"
    r"|(?:page|p\.)\s*\d+(?:\s*(?:of|/)\s*\d+)?)$", re.IGNORECASE)
FURNITURE_LINES = 2  # a header or footer is among the first or last two lines of a page


# --- text files: UTF-8 or GB18030 ---------------------------------------------------------------


def decode_text(data: bytes, name: str) -> str:
    """The bytes of a text file as text: UTF-8 (with or without BOM), UTF-16 with its BOM, else
    GB18030 (a superset of GBK and GB2312, which many government sites still serve). Bytes that are
    none of these, or decode to control characters, are not a text file: a DocumentError says so."""
    if not data.strip():
        raise DocumentError(name, "empty file / 空文件")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Notepad's "Unicode"
        try:
            return _checked(data.decode("utf-16"), name)
        except UnicodeDecodeError as e:
            raise DocumentError(name, f"bad UTF-16 at byte {e.start} / UTF-16编码有误") from e
    if b"\x00" in data[:4096]:
        raise DocumentError(name, "binary file, not text / 二进制文件,不是文本")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return _checked(data.decode("utf-8"), name)
    except UnicodeDecodeError as e:
        utf8_error = e
    try:
        return _checked(data.decode("gb18030"), name)
    except UnicodeDecodeError:
        raise DocumentError(name, f"neither UTF-8 (bad byte at {utf8_error.start}) nor GBK/GB18030: "
                                  "convert it to UTF-8 (`iconv -f ENCODING -t utf-8`) / 既不是UTF-8也不是GBK编码") from utf8_error


def _checked(text: str, name: str) -> str:
    """Text that decoded but is mostly control characters is a binary file that happened to decode."""
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f\v")
    if controls > max(2, len(text) // 100):
        raise DocumentError(name, "binary file, not text / 二进制文件,不是文本")
    return text


class _HTMLText(html.parser.HTMLParser):
    """Visible text of an HTML page, block elements on their own lines."""

    BLOCKS = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("script", "style", "noscript"):
            self._skip += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "noscript"):
            self._skip = max(0, self._skip - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    parser = _HTMLText()
    parser.feed(markup)
    text = "".join(parser.parts)
    return re.sub(r"\n[ \t]*\n(\s*\n)+", "\n\n", text).strip() + "\n"


# --- PDF: placed text back into paragraphs (pure) -----------------------------------------------


@dataclass(frozen=True)
class Run:
    """A piece of text as a PDF places it: its start (x, y: points from the page's lower left) and
    its font size in points."""

    x: float
    y: float
    size: float
    text: str


@dataclass(frozen=True)
class Line:
    """One printed line: where it starts and (estimated) ends, its font size and text."""

    x0: float
    x1: float
    y: float
    size: float
    text: str


def em_width(text: str) -> float:
    """Width in ems: a Chinese character or full-width mark is one, Latin letters and digits about half.
    PDFs rarely say how wide a run is; this estimate is enough to tell a short line from a full one."""
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WFA" else 0.5 for ch in text)


def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in "WF"


def clean_line(text: str) -> str:
    """A line's text without the spaces a PDF's spacing makes (a justified line's wider gaps come out
    as spaces): runs of spaces are made one; a space beside a Chinese punctuation mark or quote, or
    between a Chinese character and a Latin letter or digit, goes; a letter-spaced line (各 位 代 表)
    is closed up. A single space between Chinese words (省长 王正谱, 好客山东 好品山东) stays."""
    text = re.sub(r"[ \t\r\n\f\v]+", " ", text).strip()
    if " " not in text:
        return text
    spaced = len(re.findall(r"(?<=[^\x00-\xff]) (?=[^\x00-\xff])", text))
    pairs = sum(1 for a, b in zip(text, text[1:]) if _wide(a) and _wide(b))
    letter_spaced = spaced >= 3 and spaced > pairs
    keep = []
    for i, ch in enumerate(text):
        if ch == " " and 0 < i < len(text) - 1:
            a, b = text[i - 1], text[i + 1]
            if _cjk_mark(a) or _cjk_mark(b) or (_han(a) and b.isascii() and b.isalnum()) \
                    or (_han(b) and a.isascii() and a.isalnum()) or (letter_spaced and _wide(a) and _wide(b)):
                continue
        keep.append(ch)
    return "".join(keep)


def _han(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"


def _cjk_mark(ch: str) -> bool:
    """，。、：；！？（）《》“”‘’ and the like: marks set full width in Chinese text."""
    return ch in "“”‘’" or (unicodedata.category(ch).startswith("P") and unicodedata.east_asian_width(ch) in "WF")


def page_lines(runs: Sequence[Run]) -> list[Line]:
    """The runs of one page as lines, top to bottom, each line's runs left to right. Runs within a
    third of their font size of one height are one line; a run far right of the one before it
    (a table's next column) is set off by a space."""
    placed = sorted((r for r in runs if r.text.strip()), key=lambda r: (-r.y, r.x))
    groups: list[list[Run]] = []
    for r in placed:
        if groups and abs(groups[-1][0].y - r.y) <= max(groups[-1][0].size, r.size) / 3:
            groups[-1].append(r)
        else:
            groups.append([r])
    out = []
    for g in groups:
        g.sort(key=lambda r: r.x)
        text, end = "", g[0].x
        for r in g:
            piece = r.text.replace("\n", "")
            if text and r.x - end > 1.5 * r.size and not text.endswith(" "):
                text += " "
            text += piece
            end = max(end, r.x + em_width(piece) * r.size)
        size = max(r.size for r in g)
        line = clean_line(text)
        if line:
            out.append(Line(g[0].x, end, g[0].y, size, line))
    return out


def is_page_number(text: str) -> bool:
    return bool(PAGE_NUMBER_RE.match(text.strip()))


def _furniture_key(text: str) -> str:
    """A header's text with its numbers blanked: 2026年…报告 第3页 and …第4页 are one header."""
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", text))


def drop_furniture(pages: Sequence[Sequence[Line]]) -> list[list[Line]]:
    """Each page's lines without its running header and footer: a page number among the first or
    last lines of a page, and a line found there on at least half the pages (two at least). A page
    drops each such line once at each edge, so page 1's title is kept below a header that repeats it."""
    def edges(lines: Sequence[Line]) -> set[str]:
        return {_furniture_key(ln.text) for ln in (*lines[:FURNITURE_LINES], *lines[-FURNITURE_LINES:])}

    seen = Counter(key for lines in pages for key in edges(lines))
    repeated = {k for k, n in seen.items() if n >= max(2, (len(pages) + 1) // 2)}

    def trim(lines: list[Line]) -> list[Line]:
        dropped: set[str] = set()
        while lines and len(dropped) < FURNITURE_LINES:
            key = _furniture_key(lines[0].text)
            if is_page_number(lines[0].text) or (key in repeated and key not in dropped):
                dropped.add(key)
                lines = lines[1:]
            else:
                break
        return lines

    out = []
    for lines in pages:
        top = trim(list(lines))
        out.append(trim(top[::-1])[::-1])
    return out


def _join(a: str, b: str) -> str:
    """Two lines of one paragraph: Chinese runs on, but Latin words wrapped at a space get it back."""
    if a and b and a[-1].isascii() and a[-1].isalnum() and b[0].isascii() and b[0].isalnum():
        return a + " " + b
    return a + b


def ends_sentence(text: str) -> bool:
    """。！？；： (a closing quote or bracket may follow): where a paragraph can end."""
    return bool(ENDS_SENTENCE_RE.search(text))


def first_unit(text: str) -> str:
    """What a line must carry together from its start: a Latin word or number whole, an opening mark
    with the character after it, and the closing marks that may not open a line (“十四五”， ［28］，)."""
    m = UNIT_RE.match(text)
    return m.group(0) if m else text[:1]


def paragraphs(pages: Sequence[Sequence[Line]]) -> list[str]:
    """The lines of a document's pages (headers gone) put back into paragraphs.

    A line opens a paragraph when it is indented, or set apart from the line above by more than the
    line pitch; a line set far in (a centred title, a dateline, a signature) stands alone. Where
    paragraphs are not indented (and at a page break, where no spacing shows) a line ends one when
    the first word of the next line would have fitted after it, and it ends a sentence (。！？；：…)
    or falls far short, or the next line is a heading (一、 （三）): in ragged text a line also
    stops short where the next word, number or closing mark did not fit, and that is no paragraph end.
    """
    lines = [ln for page in pages for ln in page]
    if not lines:
        return []
    starts = Counter(round(ln.x0) for ln in lines)
    least = max(2, len(lines) // 20)
    margin = min((x for x, n in starts.items() if n >= least), default=min(starts))
    ends = sorted(ln.x1 for ln in lines)
    right = ends[int(0.9 * (len(ends) - 1))]
    steps = sorted(a.y - b.y for page in pages for a, b in zip(page, page[1:]) if a.y > b.y)
    pitch = steps[len(steps) // 4] if steps else 0.0  # the line pitch within a paragraph: the lower steps
    apart = {id(b) for page in pages for a, b in zip(page, page[1:]) if pitch and a.y - b.y > 1.35 * pitch}
    page_top = {id(page[0]) for page in pages if page}

    def indent(ln: Line) -> float:
        return (ln.x0 - margin) / ln.size

    uses_indent = sum(0.5 < indent(ln) <= STANDS_ALONE for ln in lines) >= 3
    uses_spacing = len(apart) >= 3

    def room(ln: Line) -> float:
        return (right - ln.x1) / ln.size

    def centred(ln: Line) -> bool:
        return indent(ln) > 0.5 and abs(indent(ln) - room(ln)) < 1.5

    def ends_here(a: Line, b: Line) -> bool:
        unit = em_width(first_unit(b.text)) + 0.5
        wrap = room(a) < unit  # the next line's first word did not fit
        if centred(a) and centred(b) and indent(a) + room(a) < unit and not ends_sentence(a.text):
            return False  # a centred title in two lines (a centred line has room on both sides)
        if indent(b) > 0.5 or indent(a) > STANDS_ALONE or id(b) in apart:
            return True
        if HEADING_RE.match(b.text) and (ends_sentence(a.text) or not wrap):
            return True
        if wrap:
            return False
        if uses_indent or (uses_spacing and id(b) not in page_top):
            return False  # indentation or spacing marks every paragraph that begins here
        return ends_sentence(a.text) or room(a) > FAR_SHORT

    out: list[str] = []
    current = lines[0].text
    for a, b in zip(lines, lines[1:]):
        if ends_here(a, b):
            out.append(current)
            current = b.text
        else:
            current = _join(current, b.text)
    out.append(current)
    return out


def pdf_text(pages: Sequence[Sequence[Run]]) -> str:
    """Pure: the runs of each page to the report's text, a paragraph a line."""
    return "".join(p + "\n" for p in paragraphs(drop_furniture([page_lines(runs) for runs in pages])))


# --- I/O at the edge ----------------------------------------------------------------------------


def _page_runs(page: object) -> list[Run]:
    """The text runs of one pypdf page with their place on it (text matrix times the CTM)."""
    runs: list[Run] = []

    def visit(text: str, cm: Sequence[float], tm: Sequence[float], font: object, size: float) -> None:
        if not text or not text.strip():
            return
        a, b, c, d, e, f = (float(v) for v in tm)
        A, B, C, D, E, F = (float(v) for v in cm)
        scale = ((a * A + b * C) ** 2 + (a * B + b * D) ** 2) ** 0.5
        runs.append(Run(e * A + f * C + E, e * B + f * D + F, float(size) * scale or 1.0, text))

    page.extract_text(visitor_text=visit)  # type: ignore[attr-defined]
    return runs


def read_pdf(data: bytes, name: str) -> str:
    """A PDF's text with pypdf (pure Python, no dependencies of its own): its runs placed on each
    page, then `pdf_text`. A scanned PDF has no text to read: OCR it first."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentError(name, "encrypted PDF (needs a password) / PDF已加密")
        pages = [_page_runs(page) for page in reader.pages]
    except DocumentError:
        raise
    except Exception as e:  # pypdf raises many kinds on a damaged file
        raise DocumentError(name, f"not a readable PDF ({type(e).__name__}: {e}) / 无法解析的PDF") from e
    if not any(pages):
        raise DocumentError(name, "PDF without text (scanned images?): OCR it first / PDF中没有文字(扫描件?)")
    return pdf_text(pages)


def docx_lines(blocks: Sequence[object]) -> list[str]:
    """Paragraphs and tables of a Word body, in order, as lines: a table a line per row, its cells
    apart by tabs (a cell merged across columns once)."""
    from docx.table import Table

    out: list[str] = []
    for block in blocks:
        if isinstance(block, Table):
            for row in block.rows:
                cells, seen = [], set()
                for cell in row.cells:
                    if id(cell._tc) in seen:
                        continue
                    seen.add(id(cell._tc))
                    cells.append(re.sub(r"\s+", " ", cell.text).strip())
                if any(cells):
                    out.append("\t".join(cells))
        else:
            out.extend(ln.strip() for ln in block.text.split("\n") if ln.strip())  # type: ignore[attr-defined]
    return out


def read_docx(data: bytes, name: str) -> str:
    """A Word file's body with python-docx: paragraphs in order, tables' rows among them. Page headers
    and footers are parts of their own in a .docx and stay out."""
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
        lines = docx_lines(list(document.iter_inner_content()))
    except Exception as e:  # python-docx raises many kinds on a file that is not Word's
        raise DocumentError(name, f"not a readable .docx ({type(e).__name__}: {e}) / 无法解析的Word文件") from e
    return "".join(ln + "\n" for ln in lines)


def read_report(path: Path) -> str:
    """The text of a report's file in any format read here, or a DocumentError naming the file and
    the reason. The file is read once, as bytes; nothing is written."""
    name = str(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise DocumentError(name, f"cannot read / 无法读取: {e.strerror or e}") from e
    suffix = path.suffix.lower()
    if not data.strip():
        raise DocumentError(name, "empty file / 空文件")
    if suffix == ".pdf":
        text = read_pdf(data, name)
    elif suffix == ".docx":
        text = read_docx(data, name)
    else:
        text = decode_text(data, name)
        if suffix in (".html", ".htm"):
            text = html_to_text(text)
    if not any(ch.isalnum() for ch in text):
        raise DocumentError(name, "no text / 没有正文")
    return text
