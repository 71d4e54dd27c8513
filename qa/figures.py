"""Figures: the quantitative statements of a report (超1200亿元, 增长4.7%, 位居全国高新区第四).

Why a rule-based extractor: answers to "多少 / 几 / 排第几" questions must quote the report's own
number with its exact span, so every figure keeps `start`/`end` offsets and the text as written.

Conventions (the tests pin them down):
* `value` is the number as written (1.3 for 1.3万个, 0.25 for 1/4, 4 for 第四); the lower bound of a
  range (1-2名 -> 1, qualifier at_least). `unit` is as written, magnitude included (万个, 亿元, 万吨/日).
* `base_value`/`base_unit`: money in 元 (or 美元 ...: no exchange rates), lengths in 米, areas in
  平方米, power in 伏安/伏/瓦; counts in their classifier (家, 个 ...); 方, 吨, P, durations stay as
  written; percentages, 成 and fractions in "%" (1/4 -> 25); 个百分点 stays; ranks in 名; multiples in 倍.
* `qualifier`: 超/超过/突破/逾/高于 -> over; 多/余 -> more_than; 以上/不低于/不少于/至少 (and ranges)
  -> at_least; 以下/以内/不超过/低于/不到 and 前N/N强 -> at_most; 约/左右 -> about; 近/接近/将近 ->
  nearly; else 力争/争取 in the clause -> target.
* `kind`: amount (money), count (classifier), measure (length, area, power, volume, compute), duration
  (N年, 个月), growth / decline (a relative change: %, 成, 个百分点 after 增长/下降 ...), share (占, 占比,
  比重, fractions), rate (... 率), multiple (倍, 翻番, 倍增), rank (第N, 前N, N强, 首位).
* Not figures: years and dates, quarters (一季度: a period), anniversaries (75周年), codes and names
  (5G, 19号线, L3, 紫东太初2.0, 二十大, 十四五), ordinals with a classifier (第五次, 第一家), anything
  inside quotes or book titles (“一业一证”, “1886+N”: slogans name things, they do not count them),
  lone 一 (一批, 一年来: the indefinite article), bare 二 before a classifier (二次供水: counting
  uses 两), magnitudes without a digit (千家万户, 十亿级, 千亿参数), money thresholds that qualify a
  noun (100亿元以上重大产业项目), and a short list of numeral idioms (十年磨一剑, 八项规定, 三件套).
"""
from __future__ import annotations

import dataclasses
import re
from bisect import bisect_right
from dataclasses import dataclass
from typing import Sequence

from .indicators import find_indicators
from .ingest import CN_DIGITS, cn_to_int
from .tokens import words
from .types import Figure

# unit -> (family, base unit, factor to the base unit); families map to kinds below
_UNITS: dict[str, tuple[str, str, float]] = {
    **{u: ("money", u, 1.0) for u in ("元", "美元", "欧元", "港元", "日元", "英镑")},
    **{u: ("count", u, 1.0) for u in (
        "个", "家", "所", "名", "人次", "人", "项", "条", "根", "座", "套", "场", "张", "件", "台", "辆",
        "户", "次", "批", "支", "部", "处", "栋", "间", "种", "款", "笔", "位", "颗", "株", "棵", "艘", "架",
        "枚", "例", "只")},
    "大": ("count", "个", 1.0),  # 十大标志性项目 (Chinese numerals only)
    **{u: ("duration", u, 1.0) for u in ("年", "个月", "天", "小时", "分钟")},
    "%": ("percent", "%", 1.0), "％": ("percent", "%", 1.0), "‰": ("percent", "%", 0.1),
    "成": ("percent", "%", 10.0), "个百分点": ("points", "个百分点", 1.0), "百分点": ("points", "个百分点", 1.0),
    "倍": ("multiple", "倍", 1.0),
    "公里": ("measure", "米", 1e3), "千米": ("measure", "米", 1e3), "米": ("measure", "米", 1.0),
    "平方公里": ("measure", "平方米", 1e6), "平方千米": ("measure", "平方米", 1e6),
    "平方米": ("measure", "平方米", 1.0), "公顷": ("measure", "平方米", 1e4), "亩": ("measure", "平方米", 2000 / 3),
    "方": ("measure", "方", 1.0), "立方米": ("measure", "立方米", 1.0), "吨": ("measure", "吨", 1.0),
    "吨/日": ("measure", "吨/日", 1.0), "千伏安": ("measure", "伏安", 1e3), "千伏": ("measure", "伏", 1e3),
    "千瓦": ("measure", "瓦", 1e3), "兆瓦": ("measure", "瓦", 1e6), "千瓦时": ("measure", "千瓦时", 1.0),
    "P": ("measure", "P", 1.0),  # 算力 in PFLOPS
    "Eflops": ("measure", "P", 1e3), "EFLOPS": ("measure", "P", 1e3),
    "斤": ("measure", "吨", 5e-4), "公斤": ("measure", "吨", 1e-3), "千克": ("measure", "吨", 1e-3),  # 粮食产量838.6亿斤
    "岁": ("measure", "岁", 1.0),  # 人均预期寿命80岁
    "标准箱": ("count", "标准箱", 1.0), "标箱": ("count", "标准箱", 1.0), "列": ("count", "列", 1.0),
    "微克/立方米": ("measure", "微克/立方米", 1.0),
}
_FAMILY_KIND = {"money": "amount", "count": "count", "measure": "measure", "duration": "duration",
                "multiple": "multiple", "rank": "rank"}
_ARABIC_ONLY = {"方", "P"}  # 三方 are parties, not cubic metres
_CN_ONLY = {"大"}
_MULT = {"万亿": 1e12, "千亿": 1e11, "百亿": 1e10, "十亿": 1e9, "千万": 1e7, "百万": 1e6, "十万": 1e5,
         "万": 1e4, "亿": 1e8}
_QUALIFIER = {
    **dict.fromkeys(("超过", "超出", "突破", "高于", "多于", "超", "逾"), "over"),
    **dict.fromkeys(("将近", "接近", "近"), "nearly"),
    **dict.fromkeys(("大约", "约", "左右"), "about"),
    **dict.fromkeys(("不低于", "不少于", "至少", "以上"), "at_least"),
    **dict.fromkeys(("不超过", "不高于", "不到", "低于", "少于", "以下", "以内"), "at_most"),
    **dict.fromkeys(("多", "余"), "more_than"),
}
_CN_CHARS = "零〇一二两三四五六七八九十百千"

_AR = r"\d+(?:,\d{3}(?!\d))*(?:\.\d+)?"
_NUM = rf"(?:{_AR}|[{_CN_CHARS}]+)"


def _alt(words) -> str:
    """A regex alternation, longest first, so 个百分点 wins over 个 and 千伏安 over 千伏."""
    return "|".join(sorted(map(re.escape, words), key=len, reverse=True))


_FIG = re.compile(  # the lookahead lists every possible first character: a 4x faster scan
    rf"(?=[\d{_CN_CHARS}第前首翻倍超突高多将接近大约不至低少逾])"
    rf"(?:(?P<rank>第(?P<r1>{_NUM})(?P<ru1>名|位)?|前(?P<r2>{_NUM})(?P<ru2>名|位|强)?"
    rf"|(?<![{_CN_CHARS}\d])(?P<r3>{_NUM})(?P<ru3>强)|首位)"
    r"|(?P<fan>翻了?(?P<fn>[一两二三四五六七八九十]*|\d*)番|倍增)"  # (翻十0番 mixes the two: no count)
    r"|(?P<pre>超过|超出|突破|高于|多于|将近|接近|(?<![最附靠临])近|大约|约|不低于|不少于|至少|不超过"
    r"|不高于|不到|低于|少于|超|逾)?"
    rf"(?<![\d.第{_CN_CHARS}万亿])"
    rf"(?:(?P<fd>\d+|[{_CN_CHARS}]+)分之(?P<fu>\d+(?:\.\d+)?|[{_CN_CHARS}]+)"
    r"|(?P<fa>\d+)/(?P<fb>\d+)(?![\d/])"
    rf"|(?P<num>{_NUM})(?:\s?[-~～—–至到]\s?(?P<num2>{_NUM}))?)"
    rf"(?P<ap>[多余])?(?P<mult>{_alt(_MULT)})?(?P<ap2>[多余])?(?P<unit>{_alt(_UNITS)})?"
    r"(?P<suf>以上|以下|左右|以内|多)?)"
)
_BLOCKED = re.compile(  # spans where no figure starts; the lookahead again speeds the scan
    r"(?=[“《「\"\d一二三四五六七八九十两党])(?:“[^“”\n]{0,40}”|《[^《》\n]{0,40}》|「[^「」\n]{0,40}」|\"[^\"\n]{0,40}\""  # slogans, names, titles
    r"|\d{4}年\d{1,2}月(?:\d{1,2}日)?|(?<![\d.])(?:19|20)\d\d(?:[-/]\d{1,2}(?:[-/]\d{1,2})?|\.\d{1,2}\.\d{1,2})"
    r"|\d{1,2}月\d{1,2}日|\d{1,2}:\d{2}"
    r"|十年磨一剑|八项规定|三件套|四下基层|两个(?:确立|维护|永远|毫不动摇|结合|大局)|三个(?:代表|务必)"
    r"|四个(?:意识|自信|全面)|五位一体|一带一路|三重一大|三农|三公|四风|十[一二三四五六七八九]五"
    r"|党的[一二三四五六七八九十]+大|[一二三四五六七八九十]+大(?=精神|报告|代表|以来|召开|胜利|、|和|及)"
    r"|[一二三四五六七八九十]+届[一二三四五六七八九]中全会)"
)
_HARD = re.compile(r"[,，;；。！!？?：:()（）\s]")
_LIST_END = re.compile(r"[,，;；。！!？?：:()（）\s、]")
_SENTENCE_END = re.compile(r"[。！!？?;；\n]")
_RANK_CONTEXT = re.compile(r"全国|全省|全市|全区|全球|世界|国内|国际|中部|西部|东部|亚洲|同类|行业|高新区"
                           r"|开发区|中国|位居|位列|稳居|居|排名|排|名列|列|进入|跻身|入选|为")
_RANK_VERB = re.compile(r"位居|位列|稳居|排名|排在|名列|进入|跻身|入选|均为|居|列|为|排")
_SCOPE_START = re.compile(r"^(?:全国|全省|全市|全区|全球|世界|国内|中部)")
_GROWTH_END = re.compile(r"(?:增长|增加|提高|提升|上升|上涨|增速|增幅|增长率|涨幅|扩大|加快)(?:了|为|达到?|是)?$")
_DECLINE_END = re.compile(r"(?:下降|减少|降低|回落|下滑|收窄|缩小|降幅)(?:了|为|达到?|是)?$")
_SHARE_WORD = re.compile(r"占|比重|比例|份额")
_LOOSE_QUALIFIER = re.compile(r"(约|近|接近|超过|超|逾)(?:占|为|是|达到?)[^、]{0,12}$")
_TARGET = re.compile(r"力争|争取")
_LEAD = re.compile(r"^(?:[、\s]|和|及|与|并且|并|且|其中|同时|另外|此外|以及|推动|带动|力争|争取|确保|努力"
                   r"|促进|着力|实现)")
_TRAIL = re.compile(r"(?:达到|达|实现|为|是|突破|超过|超|(?:提升|提高|扩容|增加|增长|上升|扩大|缩短|缩小|下降|减少"
                    r"|降低|增|降)?(?:至|到)"
                    r"|已有|共有|共|分别|均|约|合计|总计|力争|争取|预期|连续|首次|的|了|已|将)$")
_VERBS = (r"进入|纳入|入选|获得|获评|获批|荣获|实现|参与|落户|达到|全部|全面|加快|批量|成功|实质性|正在|完成|通车"
          r"|开展|开工|竣工|投产|建成|打通|扎实|有序|顺利|提高|提升|续建|布局|落地|位列|位居|排名|获|占|均|被|在|已|将")
_PRED_START = re.compile(_VERBS + r"|集聚")  # a phrase starting so is a predicate (6家集聚光谷)
_PRED_CUT = re.compile(_VERBS + r"|上市|建设|为|等|的")  # ends the noun after a count (2个创新医疗器械上市)
# a count of bare entities that joined a list (11家企业被认定为总部企业) counts that list
_ENTITY = {"企业", "单位", "项目", "人", "机构", "团队", "公司", "产品", "园区", "学校", "医院", "社区", "平台", "人才"}
_MEMBERSHIP = re.compile(r"被?(?:认定为|评为|评定为|列为|入选|获评|参与|参加|获批|获得|荣获|进入|纳入|列入|上榜|晋级|成为)")
_LIST_VERB = re.compile(r"、(?=新增|新建|建成|完成|推动|开展|实现|引进|新开|开工|加快|实施|打造|建设|推进|提升|改造"
                        r"|安装|开放|举办|落实|促进)")
_GENERIC = {"总量", "总数", "总额", "占比", "比重", "规模", "数量", "总规模"}
_PERCENT_KINDS = ("growth", "decline", "share", "rate")
_FULLWIDTH = str.maketrans("０１２３４５６７８９．／＋－", "0123456789./+-")
_WIDE = re.compile("[０-９．／＋－]")


@dataclass
class _Cand:
    start: int
    end: int
    value: float
    unit: str
    family: str
    base_value: float | None
    base_unit: str | None
    qualifier: str | None


def _number(s: str) -> float:
    return float(s.replace(",", "")) if s[0].isdigit() else float(cn_to_int(s))


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _stops(pattern: re.Pattern, s: str) -> list[int]:
    return [m.start() for m in pattern.finditer(s)]


def _before_stop(stops: list[int], i: int) -> int:
    """Start of the clause/sentence holding position i: one past the last stop before i."""
    k = bisect_right(stops, i - 1)
    return stops[k - 1] + 1 if k else 0


def _after_stop(stops: list[int], i: int, limit: int) -> int:
    k = bisect_right(stops, i - 1)
    return min(stops[k], limit) if k < len(stops) else limit


def _rank(m: re.Match, s: str) -> _Cand | None:
    """A rank needs a field to be ranked in (全国..., 位居...) and must end its phrase: 第一方阵 is no rank."""
    num = m["r1"] or m["r2"] or m["r3"]
    start, end, nxt = m.start(), m.end(), s[m.end(): m.end() + 1]
    if m["r3"] is None:
        if nxt and _is_cjk(nxt):  # 第一方阵, 第五次, 前三季度, 第一家
            return None
        clause = re.split(r"[,，;；。！!？?：:]", s[max(0, start - 40): start])[-1]
        if not _RANK_CONTEXT.search(clause):  # 摆在第一位
            return None
    elif num == "一":
        return None
    value = 1.0 if num is None else _number(num)
    unit = m["ru1"] or m["ru2"] or m["ru3"] or ("位" if num is None else "名")
    qualifier = "at_most" if (m["r2"] or m["r3"]) else None
    return _Cand(start, end, value, unit, "rank", value, "名", qualifier)


def _quantity(m: re.Match, s: str) -> _Cand | None:
    """Validate a number + unit match; most rejections encode a rule of written Chinese (see module doc)."""
    pre, suf, unit, mult = m["pre"], m["suf"], m["unit"], m["mult"]
    num_start = m.start("fd") if m["fd"] else m.start("fa") if m["fa"] else m.start("num")
    start, end = m.start(), m.end()
    before = s[num_start - 1: num_start]
    if before.isascii() and before.isalpha():  # L3, t5
        return None
    if m["fd"] or m["fa"]:  # fractions: 1/4, 五分之一, 百分之三十五
        den, part = (m["fd"], m["fu"]) if m["fd"] else (m["fb"], m["fa"])
        if den == "百" or den == "千":
            value, family = _number(part), "percent"
            unit, base = "%" if den == "百" else "‰", _number(part) / (1 if den == "百" else 10)
        else:
            if _number(den) == 0:
                return None
            value, family, unit = _number(part) / _number(den), "fraction", ""
            base = value * 100
        end = m.end("fu") if m["fd"] else m.end("fb")
        return _Cand(start, end, value, unit, family, base, "%", _QUALIFIER.get(pre or ""))
    raw, cn = m["num"], m["num"][0] in _CN_CHARS
    if unit is None:
        if cn or not mult or s[end: end + 1] in ("级", "量"):
            return None
        unit_end = m.end("mult")
        family, base_unit, factor = "count", "", 1.0
    else:
        family, base_unit, factor = _UNITS[unit]
        unit_end = m.end("unit")
        if (unit in _ARABIC_ONLY and cn) or (unit in _CN_ONLY and not cn):
            return None
    nxt = s[unit_end: unit_end + 1]
    after = s[end: end + 1]
    if (nxt.isascii() and nxt.isalnum()) or nxt == "级" or (unit == "年" and nxt in "代度"):  # 90年代
        return None
    if cn:
        if raw == "一" and unit != "倍" and not m["num2"]:  # 一批, 一年来: the indefinite article
            return None
        if raw == "二" and unit not in ("倍", "成"):  # 二次供水, 二期: counting uses 两
            return None
        if raw[0] in "百千" and not pre:  # 千家万户, 百亿元以上: magnitudes, not counts
            return None
        if len(raw) > 1 and all(ch in CN_DIGITS for ch in raw) and not (unit == "年" and len(raw) == 4):
            return None  # 三四个 (approximate) is too vague
        if unit == "大" and not _is_cjk(nxt):
            return None
        if len(raw) == 1 and unit and len(unit) == 1 and not m["num2"] and _idiom_shape(s, num_start):
            return None
    value = _number(raw)
    if unit == "年" and not mult and not m["ap"] and value.is_integer() and 1000 <= value <= 2999:
        return None  # a year, not a duration
    if unit == "成" and not suf and _is_cjk(nxt):
        return None
    qualifier = _QUALIFIER.get(pre or "")
    if pre == "近" and family == "duration":  # 近3年: the last three years
        start, qualifier = num_start, None
    if suf == "多" and family != "duration":
        end, suf = unit_end, None
    if suf in ("以上", "以下") and family in ("money", "measure") and _is_cjk(after):
        return None  # 100亿元以上重大产业项目: a threshold naming a class of projects
    qualifier = qualifier or _QUALIFIER.get(suf or "") or _QUALIFIER.get(m["ap"] or m["ap2"] or "")
    if m["num2"] and qualifier is None:
        qualifier = "at_least"
    written = (mult or "") + (unit or "")
    scale = _MULT.get(mult or "", 1.0)
    if family == "percent" or family == "points":
        return _Cand(start, end, value, written, family, value * factor, base_unit, qualifier)
    return _Cand(start, end, value, written, family, value * scale * factor, base_unit, qualifier)


def _idiom_shape(s: str, i: int) -> bool:
    """三年五载, 三天两头: numeral-X-numeral-Y four-character idioms count nothing."""
    num = set(_CN_CHARS) | {"万"}
    ahead = s[i + 2: i + 4]
    behind = s[max(0, i - 2): i]
    return (len(ahead) == 2 and ahead[0] in num and _is_cjk(ahead[1]) and ahead[1] not in num) or (
        len(behind) == 2 and behind[0] in num and _is_cjk(behind[1]) and behind[1] not in num)


def _candidates(s: str) -> list[_Cand]:
    blocked = [(b.start(), b.end()) for b in _BLOCKED.finditer(s)]  # sorted, disjoint
    starts = [a for a, _ in blocked]
    out: list[_Cand] = []
    pos = 0
    while (m := _FIG.search(s, pos)) is not None:
        c = None
        k = bisect_right(starts, m.end() - 1) - 1
        if k < 0 or blocked[k][1] <= m.start():
            if m["rank"]:
                c = _rank(m, s)
            elif m["fan"]:
                value = 2.0 ** (_number(m["fn"]) if m["fn"] else 1)
                c = _Cand(m.start(), m.end(), value, "倍", "multiple", value, "倍", None)
            else:
                c = _quantity(m, s)
        if c is None:
            pos = m.start() + 1  # retry inside: 目前3家 starts a rejected 前3 rank
        else:
            out.append(c)
            pos = c.end
    return out


def _kind(c: _Cand, clause_before: str) -> str:
    if c.family in _FAMILY_KIND:
        return _FAMILY_KIND[c.family]
    tail = clause_before.rstrip()
    if _DECLINE_END.search(tail):
        return "decline"
    if _GROWTH_END.search(tail) or c.family == "points":
        return "growth"
    if _SHARE_WORD.search(clause_before):
        return "share"
    return "rate" if re.search(r"率[^,，、]{0,3}$", tail) else "share"


def _clean_before(raw: str, kind: str) -> str:
    s = re.sub(r"(均|都|分别|也)(?=增长|下降)", "", raw)
    cut = [m.end() for m in _LIST_VERB.finditer(s)]  # 二厂建成投用、新增污水处理能力: a new predicate
    cut += [m.end() for m in re.finditer(r"(?:共有|拥有|现有)(?!量|率)", s) if m.end() < len(s)]  # 全市共有博物馆12座
    s = s[max(cut):] if cut else s
    while m := _LEAD.search(s):
        s = s[m.end():]
    if kind == "share":
        at = next((i for i, ch in enumerate(s) if ch == "占" and s[i + 1: i + 2] not in ("比", "有", "率")
                   and s[i - 1: i] != "市"), -1)
        if at >= 0 and not re.search(r"比重|比例|份额", s[at:]):
            s = s[:at]
    while m := _TRAIL.search(s):
        s = s[: m.start()]
    return _tidy(s)


def _tidy(s: str) -> str:
    """Trim list commas and any quote mark left unpaired by the cut: “四上”单位 stays whole."""
    s = s.strip("、 ")
    return s if s.count("“") == s.count("”") else s.replace("“", "").replace("”", "")


def _clean_after(raw: str) -> tuple[str, int]:
    """The noun after a count (新增76家品牌店): (phrase, its length in raw); 0 when a verb comes first."""
    s = raw.lstrip("的之")
    if not s or _PRED_START.match(s):
        return s, 0
    for m in _PRED_CUT.finditer(s):
        if m.start() >= (1 if len(m.group()) > 1 else 2):
            s = s[: m.start()]
            break
    used = len(raw) - len(raw.lstrip("的之")) + len(s)
    s = _tidy(s.rstrip("的等和"))
    rest = raw.lstrip("的之")[len(s):]
    if s in _ENTITY and (m := _MEMBERSHIP.match(rest)) and rest[m.end():]:
        # 4家企业入选国家级绿色工厂: a bare 企业 says nothing; what they joined is what is counted
        return s + rest, len(raw)
    return s, used if s else 0


def _rank_subject(before: str, prev: str | None) -> str:
    s = before.split("、")[-1].lstrip(" 和及")
    if prev and (_RANK_VERB.match(s) or _SCOPE_START.match(s) or not s):
        return prev
    m = _RANK_VERB.search(s, 2)
    s = s[: m.start()] if m else s
    while (t := _TRAIL.search(s)) and t.start() >= 2:
        s = s[: t.start()]
    return _tidy(s)


def extract_figures(text: str, offset: int = 0) -> list[Figure]:
    """Every figure in `text`, in order; offsets are `offset` + positions in `text`."""
    s = text.translate(_FULLWIDTH) if _WIDE.search(text) else text  # same length: offsets carry over
    cands = _candidates(s)
    hard, list_end, sentence_end = _stops(_HARD, s), _stops(_LIST_END, s), _stops(_SENTENCE_END, s)
    figures: list[Figure] = []
    consumed, prev_subject, prev_sentence = 0, None, -1
    for i, c in enumerate(cands):
        next_start = cands[i + 1].start if i + 1 < len(cands) else len(s)
        clause = _before_stop(hard, c.start)
        sentence = _before_stop(sentence_end, c.start)
        prev = prev_subject if prev_sentence == sentence else None
        clause_before = s[clause: c.start]
        kind = _kind(c, clause_before)
        if figures and figures[-1].end - offset >= clause and c.family == cands[i - 1].family and re.fullmatch(
                r"[、和及与]", s[cands[i - 1].end: c.start]):
            kind = figures[-1].kind  # 分别增长20%和14%: a list shares its verb
        before = text[max(clause, consumed): c.start]
        stop = _after_stop(list_end, c.end, max(next_start, c.end))
        after, noun = _clean_after(text[c.end: stop])
        if kind in _PERCENT_KINDS and before.strip("、和及与"):
            noun = 0  # a proportion's noun comes first: 占全市的41%, 民营企业贡献了百分之三十五的新增就业
        used_after = False
        if kind == "rank":
            subject = _rank_subject(before, prev)
        elif noun:
            subject, used_after = after, True
        else:
            subject = _clean_before(before, kind)
            if subject in _GENERIC and prev:
                subject = re.sub(r"(增长|下降)$", "", prev) + subject
            subject = subject or prev or after
        qualifier = c.qualifier
        if qualifier is None and (loose := _LOOSE_QUALIFIER.search(clause_before)):
            qualifier = _QUALIFIER[loose.group(1)]
        if qualifier is None and _TARGET.search(clause_before):
            qualifier = "target"
        figures.append(Figure(
            text=text[c.start: c.end], value=c.value, unit=c.unit,
            kind=kind, subject=subject, start=c.start + offset, end=c.end + offset, qualifier=qualifier,
            base_value=c.base_value, base_unit=c.base_unit))
        # the rest of the phrase is this figure's predicate, unless the next figure interrupts it
        consumed = (c.end + noun if stop == next_start else stop) if used_after else c.end
        prev_subject, prev_sentence = subject, sentence
    return _verb_items(_respectively(figures, text, offset), text, offset)


_ITEM_VERB = re.compile(r"(?:开工|投产|建成|竣工|并网|开行|新建|续建|完工|改造|投用|通车|签约|落地|开通|上线)$")


def _verb_items(figures: list[Figure], text: str, offset: int) -> list[Figure]:
    """新能源开工1600万千瓦、投产1000万千瓦: an item that is only a verb does it to the thing the item before
    named (新能源投产)."""
    out = list(figures)
    for i in range(1, len(out)):
        prev, f = out[i - 1], out[i]
        verb = _ITEM_VERB.search(prev.subject)
        between = text[prev.end - offset: f.start - offset]
        if verb and verb.start() > 0 and _ITEM_VERB.fullmatch(f.subject) and between == "、" + f.subject:
            out[i] = dataclasses.replace(f, subject=prev.subject[: verb.start()] + f.subject)
    return out


_HEADS = re.compile(r"(?:产业|行业|企业|规模|总量|数量|营收|收入|增加值|产值|销量|销售额|领域|进出口|出口|进口|产量)")
_EMPTY_HEAD = re.compile(r"^(?:全年|全省|全市|全区|全国)")


def _respectively(figures: list[Figure], text: str, offset: int) -> list[Figure]:
    """光电子信息、生命健康、北斗产业规模分别占全省的60%、17%、50%: the k-th figure measures the k-th
    item, with the head the items share (产业规模); the items may be joined by 和 (城镇和农村…分别增长3.9%和5.7%)."""
    out, i = list(figures), 0
    while i < len(out):
        group: list[Figure] = []
        for items in (out[i].subject.split("、"), re.split(r"[、和及与]", out[i].subject)):
            run = len(items)
            group = out[i: i + run]
            if run > 1 and len(group) == run and all(f.subject == out[i].subject for f in group) and all(items) and \
                    "分别" in text[max(0, out[i].start - offset - 12): out[i].start - offset]:
                break
        else:
            i += 1
            continue
        tail = shared_tail(items)
        for k, f in enumerate(group):
            # an item that names an indicator of its own (规上工业增加值、机电产品出口…) takes no tail
            own = k == run - 1 or items[k].endswith(tail) or bool(find_indicators(_EMPTY_HEAD.sub("", items[k])))
            item = items[k] if own else items[k] + tail
            out[i + k] = dataclasses.replace(f, subject=item)
        i += run
    return out


def shared_tail(items: Sequence[str]) -> str:
    """What the items of a list share, written once after the last: 交通、水利、能源领域投资额 -> 领域投资额
    (each item before the last one word, the last's first word its own), 集成电路、汽车零配件、锂电池出口 -> 出口
    (a head word); the longer of the two."""
    last = items[-1]
    tails = [""]
    if len(items) > 1 and all(len(words(x)) == 1 for x in items[:-1]) and len(cut := words(last)) > 1:
        tails.append(last[len(cut[0]):])
    if head := _HEADS.search(last, 1):  # 第一、第三产业增加值: 产业增加值, more than jieba's 第三产业 leaves
        tails.append(last[head.start():])
    return max(tails, key=len)
