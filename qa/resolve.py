"""Resolve every figure to what it measures: indicator, aspect and scope.

Why: a figure's subject is the few characters before its number (一季度增长, 全年总量); what it
measures is often named once, clauses earlier. In "经济增速逐季回升,一季度增长2.5%,…全年增长4.7%,总量达到
2715亿元" all three figures are 地区生产总值 (增速, 增速, 总量). The rules below are general facts of
Chinese report prose, kept small and pure:

* indicator: the indicator named in the figure's own subject; when the subject says nothing but
  time and verbs (一季度增长), the topic carries from the nearest figure or indicator before it in
  the sentence. A name that only modifies another noun (院士项目, 进出口实绩企业, 战略性新兴产业集群)
  is not the figure's indicator, nor is the denominator of a share (占GDP比重). The indicator must
  fit the figure's unit (an amount indicator takes no count).
* aspect: rank -> 排名; share/rate -> 占比 (a rate indicator's own level -> 总量); growth -> 增速;
  otherwise the verb governing the figure: 新增/新引进/建成… -> 新增, 总数/达到/突破… -> 累计 (a
  stock of things) or 总量 (an amount), explicit 累计 -> 累计; a leading verb distributes over its
  list (新增公园10座、绿地30万方); a count followed by "总数达…" is the new part; else 数量 / 总量.
* scope: local (the report's own area) unless the clause opens with another area's own total
  (全省10家湖北实验室, 全市GDP…); 占全市41% and 全国第四 keep the figure local.
"""
from __future__ import annotations

import re
from functools import lru_cache
from bisect import bisect_right
from dataclasses import dataclass, replace
from typing import Iterable, Mapping, Sequence

from .indicators import ASPECTS, Indicator, Mention, find_indicators, is_field, load_indicators, scope_cues
from .ingest import plan_of, plan_period, plan_years
from .profile import profile_of
from .tokens import words
from .types import Chunk, Document, Figure, Period

# between 从A and B: 从874.6亿元增加到1112.4亿元, 从2020年的5.2万元提高到2025年的7.4万元
_TO_LEVEL = re.compile(r"(?:增加|提高|提升|增长|上升|扩大|跃升|攀升|下降|减少|降低|降|升|增)?(?:到|至)"
                       r"(?:(?:19|20)\d{2}年(?:底|末)?的?)?")
_HARD = set(",，;；。！!？?：:()（）\n")
_SEGMENT = _HARD | {"、"}
_LEAD = re.compile(r"^(?:其中|同时|并且|并|且|另外|此外|以及|和|及)")
# a subject that says nothing of what is measured: time, verbs, generic heads
_EMPTY = re.compile(r"一季度|二季度|三季度|四季度|前三季度|上半年|下半年|全年|今年|去年|当年|其中|同比|比上年|较上年|年均"
                    r"|稳步|首次|持续|逐步|再次"
                    r"|分别|均|都|也|增长|增速|增幅|增加|减少|下降|回落|提高|提升|达到|达|实现|为|突破|超过|超|总量|总数|总额"
                    r"|规模|占比|比重|占|累计|合计|共|全市|全省|全国|全区|全球|世界|国内|的|[、,，\s“”]")
# nouns that name a thing of their own: after an indicator's name they make it a modifier
_THING = re.compile(r"企业|公司|机构|平台|集群|项目|中心|园区|基地|团队|专家|场景|工厂|总部|专区|联盟|论坛|大会|奖")
_TAIL = re.compile(r"总量|总数|总额|规模|数量|增长|增速|增幅|占比|比重|[、和及与]$")
_NEW = re.compile(r"新增|增加|新引进|引进|新建成|新建|建成|新开工|新设|新认定|新开办|新开放|开放|新上市|筹建|扩面|增容|新登记"
                  r"|招引|新培育|新入选|新获批|新落户")
_CUMULATIVE = re.compile(r"累计")
_STOCK = re.compile(r"总数|总量|总计|合计|共有|已有|拥有|达到|达|存量")
_STOCK_TAIL = re.compile(r"(?<![数测质重含能])量(?:达到|达|超过|超|突破|为)?$")  # 标识注册量超185亿个
_OWN_STOCK = re.compile(r"^(?:突破|达到|达)")
_TOTAL_NEXT = re.compile(r"^(?:其中)?(?:总数|累计|总量)(?:达到|达|突破|超过|为)")
_KIND_FAMILY = {"amount": "amount", "count": "count", "measure": "measure"}


@dataclass(frozen=True)
class Resolution:
    indicator: str | None
    aspect: str
    scope: str


def _stops(s: str, chars: set[str], i: int) -> int:
    """Start of the span (clause or list segment) holding position i."""
    j = i
    while j > 0 and s[j - 1] not in chars:
        j -= 1
    return j


def _end(s: str, chars: set[str], i: int) -> int:
    j = i
    while j < len(s) and s[j] not in chars:
        j += 1
    return j


def _masked(s: str, mentions: Iterable[Mention], base: int = 0) -> str:
    out = list(s)
    for m in mentions:
        a, b = max(0, m.start - base), min(len(s), m.end - base)
        if a < b:
            out[a:b] = " " * (b - a)
    return "".join(out)


def fits(ind: Indicator, figure: Figure) -> bool:
    """Whether an indicator can be measured by this kind of figure (unit family)."""
    if figure.kind == "duration":
        return False
    if figure.kind in ("growth", "decline", "multiple", "rank"):
        return True
    if figure.kind in ("share", "rate"):
        return True
    family = _KIND_FAMILY.get(figure.kind)
    if family is None:
        return False
    if ind.unit == "measure":
        return family in ("measure", "count")  # roads in 公里 and in 条
    return ind.unit == family


def _is_modifier(subject: str, m: Mention) -> bool:
    """院士项目: the name is followed by a noun of its own, so the subject is that noun."""
    after = subject[m.end:]
    after = after[: next((i for i, ch in enumerate(after) if ch in _SEGMENT), len(after))]
    return bool(_THING.search(_TAIL.sub("", after)))


def _subject_indicator(figure: Figure, respective: bool = False) -> tuple[Indicator | None, Mention | None]:
    """The indicator the figure's own subject names. `respective`: the subject is one item of a 分别 list
    (集成电路、汽车零配件、锂电池出口分别增长…): an item that qualifies the name (集成电路出口, 对东盟进出口)
    is a part of the indicator, not the indicator."""
    subject = figure.subject
    mentions = find_indicators(subject)
    if figure.kind == "share" and (at := subject.find("占")) >= 0:
        mentions = tuple(m for m in mentions if m.start < at)  # 占GDP比重: GDP is the denominator
    if respective:  # (城乡居民人均可支配收入分别…: a word naming the parts together is no qualifier)
        mentions = tuple(m for m in mentions if not _EMPTY.sub("", subject[: m.start])
                         or subject[: m.start].endswith(tuple(w for w, _ in m.indicator.parts)))
    for m in reversed(mentions):
        if not _is_modifier(subject, m) and fits(m.indicator, figure):
            return m.indicator, m
    return None, None


def _aspect(figure: Figure, ind: Indicator | None, mention: Mention | None, s: str, a: int, carry_new: bool) -> str:
    """`s` is the sentence, `a` the figure's start in it; `carry_new`: a leading 新增 verb of an
    earlier clause governs this verbless one."""
    kind = figure.kind
    if kind == "duration":
        return ""
    if kind == "rank":
        return "排名"
    if kind in ("share", "rate"):
        return "总量" if ind is not None and ind.unit == "percent" else "占比"
    if kind in ("growth", "decline", "multiple"):
        return "增速"
    if mention is not None and mention.aspect in ("新增", "累计", "总量"):
        return mention.aspect
    clause_start, seg_start = _stops(s, _HARD, a), _stops(s, _SEGMENT, a)
    clause = _masked(s[clause_start:a], find_indicators(s), clause_start)
    seg, head = clause[seg_start - clause_start:], clause[: seg_start - clause_start]
    if _CUMULATIVE.search(seg):
        return "累计"
    if _NEW.search(seg):
        stock = "new"
    elif _STOCK.search(seg) or _STOCK_TAIL.search(seg.rstrip()) or _OWN_STOCK.match(figure.text):
        stock = "stock"
    else:  # a list item with no verb of its own takes the clause's (新增76家品牌店、超6000家餐饮店)
        if _CUMULATIVE.search(head):
            return "累计"
        cues = [(m.start(), "new") for m in _NEW.finditer(head)] + [(m.start(), "stock") for m in _STOCK.finditer(head)]
        # (a 新增 carried from the clause before does not make a new-thing count of an indicator that takes none:
        # 新建高标准农田81万亩，粮食总产436亿斤以上)
        stock = max(cues)[1] if cues else "new" if carry_new and (ind is None or "新增" in ind.aspects) else ""
        if not stock and kind == "count" and _TOTAL_NEXT.match(s[_end(s, _HARD, a) + 1:]):
            stock = "new"  # 4家企业入选…,总数达12家: the count is the new part
    if stock == "new":
        return "新增"
    aspects = ind.aspects if ind is not None else ()
    if stock == "stock":
        if kind == "count":
            return next((x for x in ("累计", "总量", "数量") if not aspects or x in aspects), "累计")
        return "总量"
    if kind == "count" and ind is not None and ind.unit == "count" and "数量" not in aspects:
        return "总量"  # 常住人口: a count whose level is its total
    return "数量" if kind == "count" else "总量"


_STRONG_SCOPE = re.compile(r"^(?:全|.+[市省]$|国内|我国|世界|全球)")


def _scope(s: str, a: int, after: int = 0, home: frozenset[str] = frozenset()) -> str:
    """Another area's scope only where the figure's clause (from `after`, the end of the figure
    before it) opens with that area (全省10家…); `home` are the words by which the report names its
    own area (全省 in a province's report, 全国 in the country's): those are local."""
    clause_start = max(_stops(s, _HARD, a), after)
    prefix = s[clause_start:a]
    lead = _LEAD.match(prefix)
    if lead:
        prefix = prefix[lead.end():]
    mentions = find_indicators(prefix)
    for cue in scope_cues(prefix):
        if cue.start != 0:
            break
        if any(m.start <= cue.start < m.end for m in mentions) or not _STRONG_SCOPE.match(cue.form):
            break
        if cue.scope != "local" and not is_field(prefix, cue) and cue.form.lower() not in home:
            return cue.scope
        break
    return "local"


_VERB = re.compile(r"开展|推动|推进|实施|完成|建设|打造|举办|开设|创建|争创|选树|安装|改造|畅通|加快|实现|获得|入选|参与"
                   r"|签约|收购|提升|扩容|整合|办好|斩获|交付|引导|支持|升级|提档|培育|发展|开工|续建|竣工|通车|投用")


def _verbless(prefix: str) -> bool:
    """补链强链项目: a clause of a noun and its number, no verb of its own."""
    return not _VERB.search(prefix) and not _NEW.search(prefix) and not _STOCK.search(prefix)


_DEAL = re.compile(r"(?:收购|并购|兼并|控股|参股|入股|重组)(?:了)?$")


@lru_cache(maxsize=1)
def _by_name() -> dict[str, Indicator]:
    return {i.name: i for i in load_indicators()}


_DRIVEN = re.compile(r"带动|拉动")
_STEPS = re.compile(r"(?:台阶|大关|关口)$")
_EACH = re.compile(r"、[^，,；;]*均[^，,；;、]{0,4}$")  # 退役军人、残疾人新增就业均超7.3万人: each item's, as 分别
_HAN = re.compile(r"[\u4e00-\u9fff]+")
_BARE_HEAD = re.compile(r"产量|总产|产值|销量|营收|营业收入|收入|支出|增加值")


def _thing_before(before: str, head: str, f: Figure, reach: int = 60) -> tuple[Indicator, str] | None:
    """The indicator that `head` (产量) makes of a thing named before it (粮食播种面积 -> 粮食产量; 新能源汽车 ->
    新能源汽车产量), nearest first: the leading words of an indicator named before, then any run of characters."""
    before = before[-reach:]
    stems: list[str] = []
    for m in reversed(find_indicators(before)):
        cut = words(m.form)
        stems += ["".join(cut[:k]) for k in range(len(cut) - 1, 0, -1)]
    # (a thing may end inside a word: 新能源汽车 in 新能源/汽车产业)
    stems += [before[i - k: i] for i in range(len(before), 1, -1) for k in range(8, 1, -1)
              if i - k >= 0 and _HAN.fullmatch(before[i - k: i])]
    for stem in stems:
        name = stem + head
        found = find_indicators(name)
        if len(found) == 1 and (found[0].start, found[0].end) == (0, len(name)) and fits(found[0].indicator, f):
            return found[0].indicator, name
    return None


def resolve_sentence(sentence: str, offset: int, figures: Sequence[Figure],
                     home: frozenset[str] = frozenset()) -> tuple[Figure, ...]:
    """The figures of one sentence (document offsets; `offset` is the sentence's start) resolved in
    order, so a topic named before carries to the figures after it. `home`: the report's names of
    its own area (DocumentProfile.forms)."""
    mentions = find_indicators(sentence)
    out: list[Figure] = []
    prev: tuple[int, Indicator | None, str] | None = None  # (position, indicator, scope) of the previous figure
    clause, lead_new, carry = -1, False, False  # lead_new: the last clause opened with 新增 (引进…130个,…90个)
    for f in figures:
        a = f.start - offset
        own_clause = sentence[_stops(sentence, _HARD, a): a]
        ind, mention = _subject_indicator(f, "分别" in own_clause or bool(_EACH.search(own_clause)))
        if mention is not None and _DRIVEN.search(own_clause[: max(0, len(own_clause) - len(f.subject) + mention.end)]):
            # 中欧班列开行6037列，带动陕西进出口415.4亿元: what something drove is its part of the indicator
            ind, mention = None, None
        carried_scope = "local"
        # 地区生产总值连续迈上4个万亿元台阶、达14.2万亿元: the steps counted before lend the level after them a
        # subject that names nothing of it; the topic is the indicator named before
        borrowed = bool(out) and f.subject == out[-1].subject and f.kind != out[-1].kind and bool(_STEPS.search(f.subject))
        if borrowed:
            f = replace(f, subject="")
        if ind is None and f.kind != "duration" and (not _EMPTY.sub("", f.subject) or _TO_LEVEL.fullmatch(f.subject)):
            # the subject names nothing: carry the nearest topic (and whose it is) before the figure
            before = [(m.end, m.indicator, _scope(sentence, m.start, 0, home)) for m in mentions
                      if m.end <= a and fits(m.indicator, f)]
            # (the figure before wins a tie with a name that ends where it starts: 带动陕西进出口415.4亿元、增长11.7%)
            cands = ([prev] if prev is not None and not borrowed else []) + before
            if cands:
                _, ind, carried_scope = max(cands, key=lambda t: t[0])
                if ind is not None and not fits(ind, f):
                    ind, carried_scope = None, "local"
        if ind is None and _BARE_HEAD.fullmatch(_EMPTY.sub("", f.subject)):
            # 粮食播种面积3320万亩、产量1285万吨; 推动新能源汽车产业…力争产量突破120万辆: a measure word alone
            # measures the thing named before it in the sentence
            named = _thing_before(sentence[:a], _EMPTY.sub("", f.subject), f)
            if named is not None:
                ind, f = named[0], replace(f, subject=named[1])
        clause_start = _stops(sentence, _HARD, a)
        prefix = sentence[clause_start:a]
        if clause_start != clause:  # a new clause: does it open with 新增, or carry the last one's?
            clause, opened = clause_start, bool(_NEW.match(_LEAD.sub("", prefix)))
            carry, lead_new = lead_new and _verbless(prefix), opened or (lead_new and _verbless(prefix))
        deal = bool(_DEAL.search(sentence[max(0, a - 4): a]))
        if deal:
            ind = None  # 收购1家上市公司 counts a deal of the year, not the area's listed companies
        aspect = "新增" if deal else _aspect(f, ind, mention, sentence, a, carry and bool(out) and out[-1].kind == f.kind)
        scope = _scope(sentence, a, out[-1].end - offset if out else 0, home)
        if scope == "local" and ind is not None and mention is None and f.kind not in ("rank", "share"):
            scope = carried_scope  # 全市地区生产总值…,增长5.7%: still the city's
        subject = f.subject
        if out and _TO_LEVEL.fullmatch(sentence[out[-1].end - offset: a]) and _FROM.search(sentence[: out[-1].start - offset]):
            # 规模以上工业企业从1832户增加到3382户: the level reached is the same thing's, at its end
            if out[-1].indicator is not None:
                ind, aspect, scope = _by_name().get(out[-1].indicator, ind), out[-1].aspect, out[-1].scope
            # 人均预期寿命从2020年的75.2岁提升至2025年的76.8岁: what it measures is the thing named before 从
            subject = _FROM_HEAD.sub("", out[-1].subject) or subject
        elif out and out[-1].unit == f.unit and not _EMPTY.sub("", subject) \
                and _TOTAL_NEXT.match(sentence[out[-1].end - offset: a].lstrip("，,、 ")):
            # 新增百亿县区26个，累计达到46个: the total of the things counted before it
            subject = _NEW.sub("", out[-1].subject) + subject
        out.append(replace(f, indicator=ind.name if ind else None, aspect=aspect, scope=scope, subject=subject))
        prev = (a, ind, scope)
    return tuple(split_parts(sentence, offset, out, mentions))


def split_parts(sentence: str, offset: int, figures: list[Figure], mentions: Sequence[Mention]) -> list[Figure]:
    """城乡居民人均可支配收入分别达6.9万元、3.4万元，增长4.2%、5.3%: the whole's figures after 分别 are its
    parts' in turn (城镇 6.9万元 and 4.2%, 农村 3.4万元 and 5.3%), each kind counted on its own."""
    out = list(figures)
    for m in mentions:
        for word, parts in m.indicator.parts:
            if not sentence[: m.start].endswith(word) or "分别" not in re.split(r"[，,；;。]", sentence[m.end:])[0]:
                continue
            seen: dict[str, int] = {}
            for i, f in enumerate(out):
                if f.start - offset < m.end:
                    continue
                if f.indicator != m.indicator.name:
                    break
                n = seen.get(f.kind, 0)
                seen[f.kind] = n + 1
                out[i] = replace(f, indicator=parts[n % len(parts)])
            if any(n % len(parts) for n in seen.values()):  # not a figure for each part: leave them whole
                return list(figures)
    return out


def resolve_figure(figure: Figure, sentence: str, offset: int) -> Resolution:
    """One figure in its sentence (earlier figures of the sentence are re-read for the topic)."""
    found = [f for f in _figures_before(sentence, offset, figure)] + [figure]
    r = resolve_sentence(sentence, offset, found)[-1]
    return Resolution(r.indicator, r.aspect, r.scope)


def _figures_before(sentence: str, offset: int, figure: Figure) -> list[Figure]:
    from .figures import extract_figures

    return [f for f in extract_figures(sentence, offset) if f.end <= figure.start]


_BY_YEAR = re.compile(r"(?:到|至|于)((?:20|19)\d{2})年(?:底|末)?")


_FIVE_YEARS = re.compile(r"十[一二三四五六七八九]五|五年来|过去五年|这五年|五年间")  # anywhere before, in the sentence
# a yearly average is over several years, never one year's (年均浓度, a pollutant's mean over the year, is one year's)
_AVERAGE = re.compile(r"年均(?!浓度)")
# in the figure's own clause: the five years' flow (每年城镇新增就业60万人以上 in a review: each of them)
_FIVE_YEARS_CLAUSE = re.compile(r"年均(?!浓度)|五年累计|累计五年|五年共|每年")
_FLOW = re.compile(r"年均(?!浓度)|累计|共计|合计|五年")  # in a five-year review: a flow of the five years, not a level
_AGAINST = re.compile(r"(?:较|比)[^，,；;]{0,12}$")  # 较“十三五”末的9323.1亿元: the baseline compared with
# a level reached at the end of the five years (达到, 提高到), and the one they started from (从…)
_LEVEL = re.compile(r"(?:达到|达|提高到|提升到|提升至|提高至|增加到|增至|升至|跃升至|突破|超过|迈上|跨上|由.{0,12}?[到至]"
                    r"|从.{0,12}?[到至]|[到至])(?:(?:19|20)\d{2}年(?:底|末)?的?)?[^，,；;]{0,3}$")
# (不到 before a number is "under", not "to": 从不到70万亿元增加到超过100万亿元)
_FROM = re.compile(r"(?:从|由)(?:不到|[^，,；;到至]){0,12}$")
_FROM_HEAD = re.compile(r"(?:从|由)(?:不到|[^，,；;到至]){0,12}$")  # cut from a subject: 人均预期寿命从2020年 -> 人均预期寿命
_FROM_YEAR = re.compile(r"(?:从|由)((?:19|20)\d{2})年(?:不到|[^，,；;到至]){0,8}$")
_TO_AFTER = re.compile(r"^[^，,；;。]{0,12}?(?:到|至)")  # 53.2%提升到…, 21%提升至…: the level it rose to follows


def long_range(before: str, period: Period | None, report_year: int | None, after: str = "",
               aspect: str = "") -> Period | None:
    """到2030年…: a figure set for a later year than the report's is that year's target; 五年来…,
    年均… in a review of last year: the five years' result, not the year's; 从2020年的53.2%提升到…
    (`after`: the words after the figure): the level it started from, that year's (else the year
    before the period's), not the one reached. A level reached ends the five years, unless the figure is
    what they added (`aspect` 新增, 增速: 残疾人新增就业均突破7.3万人)."""
    years = [int(y) for y in _BY_YEAR.findall(before)]
    if period is None or report_year is None:
        return period
    if years and years[-1] > report_year:
        return Period(years[-1], "targets")
    clause = re.split(r"[，,；;：:。]", before)[-1]
    if period.first is None and after and _FROM.search(clause) and _TO_AFTER.match(after):
        named = _FROM_YEAR.search(clause)
        return Period(int(named.group(1)) if named else period.year - 1, "results")
    if period.kind == "targets" and period.first is None and _AVERAGE.search(clause):
        # 地区生产总值年均增长5%左右 among this year's targets: a target of the plan's years
        plan = plan_years(before) or plan_of(report_year)
        return Period(plan[1], "targets", plan[0])
    if period.kind == "results" and period.first is None and (_FIVE_YEARS.search(before)
                                                                or _FIVE_YEARS_CLAUSE.search(clause)):
        plan = plan_years(before) or (period.year - 4, period.year)
        period = plan_period(plan, report_year, False)
    if period.kind == "results" and period.first is not None and not _FLOW.search(clause):
        if _FROM.search(clause):  # 从874.6亿元增加到…: the level before the five years
            return Period(period.first - 1, "results")
        if aspect not in ("新增", "增速") and (_LEVEL.search(clause) or f"{period.year}年" in clause):
            # 达到13697.5亿元, 增加到1112.4亿元, 2025年旅居人数超550万: the level at their end, last year's
            return Period(period.year, "results")
    return period


_LEAD_VERB = re.compile(r"^[^\d一二三四五六七八九十两百千万零〇]*")


# 跨过3万亿元, 迈上万亿元台阶: a threshold the five years crossed, not the level they ended at
_MILESTONE = re.compile(r"(?:跨过|跨越|越过|迈上|跨上|跨入|迈入|连续跨过|接连突破)[^，,；;]{0,4}$")


def end_level(before: str, period: Period | None, f: Figure) -> Period | None:
    """生产总值6.66万亿元 in a review of the five years: an indicator the reviews do not sum states its
    last year's level (an indicator they sum, 一般公共预算支出3.4万亿元, is the five years' total)."""
    if period is None or period.first is None or period.kind != "results" or f.indicator is None or f.aspect != "总量":
        return period
    ind = _by_name().get(f.indicator)
    clause = re.split(r"[，,；;：:。]", before)[-1]
    if ind is None or ind.summed or _FLOW.search(clause) or _FROM.search(clause) or _MILESTONE.search(clause):
        return period
    if _AGAINST.search(clause):  # 较“十三五”末的…: the end of the plan before
        plan = plan_years(clause)
        return Period(plan[1], "results") if plan is not None else period
    return Period(period.year, "results")


def resolve_chunks(doc: Document, chunks: Sequence[Chunk]) -> list[Chunk]:
    """Every chunk's figures resolved within their whole sentence (a chunk may cut a sentence)."""
    sentences = sorted(s for p in doc.paragraphs for s in p.sentences)
    starts = [a for a, _ in sentences]
    by_sentence: dict[tuple[int, int], list[Figure]] = {}
    for c in chunks:
        for f in c.figures:
            k = bisect_right(starts, f.start) - 1
            span = sentences[k] if k >= 0 and sentences[k][0] <= f.start < sentences[k][1] else (c.start, c.end)
            by_sentence.setdefault(span, []).append(f)
    resolved: dict[tuple[int, int], Figure] = {}
    profile = profile_of(doc)
    home = frozenset(f.lower() for f in profile.forms)
    for (a, b), figs in by_sentence.items():
        figs.sort(key=lambda f: f.start)
        for f in resolve_sentence(doc.text[a:b], a, figs, home):
            # the figure's own leading verb (突破3万亿元) is part of what comes before its number
            before = doc.text[a:f.start] + _LEAD_VERB.match(f.text).group(0)
            period = long_range(before, f.period, profile.year, doc.text[f.end: min(b, f.end + 16)], f.aspect)
            resolved[(f.start, f.end)] = replace(f, period=end_level(before, period, f))
    return [replace(c, figures=tuple(resolved.get((f.start, f.end), f) for f in c.figures)) if c.figures else c
            for c in chunks]



# ---- the key indicators table: indicator × period ------------------------------------------------

_PARTIAL = re.compile(r"^(?:一季度|二季度|三季度|四季度|前三季度|上半年|下半年|\d{1,2}月|1-\d{1,2}月)")


@dataclass(frozen=True)
class IndicatorRow:
    """One cell of the key indicators table: what the report says an indicator was (实绩) or is to be (目标)."""

    indicator: str
    aspect: str
    period: Period | None
    figure: Figure
    sentence: str

    def to_dict(self) -> dict:
        return {"indicator": self.indicator, "aspect": self.aspect,
                "period": self.period.label if self.period else None,
                "value": self.figure.text, "figure": self.figure.to_dict(), "sentence": self.sentence}


def sentence_around(doc: Document, start: int) -> str:
    """The sentence of `doc` holding offset `start` ("" when it is in no paragraph)."""
    for para in doc.paragraphs:
        if para.start <= start < para.end:
            return next((doc.text[a:b] for a, b in para.sentences if a <= start < b), "")
    return ""


def key_indicators(figures: Iterable[Figure], documents: Mapping[str, Document]) -> tuple[IndicatorRow, ...]:
    """One row per (indicator, aspect, period) the corpus states for its own area, ordered as the
    vocabulary (a 统计公报's chapters), then by aspect and period. Where a year is given piecemeal
    (一季度 2.5%, …, 全年 4.7%) the whole period's figure is the row; else the first stated."""
    order = {ind.name: i for i, ind in enumerate(load_indicators())}
    best: dict[tuple[str, str, Period | None], tuple[bool, int, Figure]] = {}
    for n, f in enumerate(figures):
        if not f.indicator or not f.aspect or f.scope != "local":
            continue
        key = (f.indicator, f.aspect, f.period)
        rank = (bool(_PARTIAL.match(f.subject)), n, f)
        if key not in best or rank[:2] < best[key][:2]:
            best[key] = rank
    rows = []
    for (name, aspect, period), (_, _, f) in best.items():
        doc = documents.get(f.doc)
        rows.append(IndicatorRow(name, aspect, period, f, sentence_around(doc, f.start) if doc else ""))
    rows.sort(key=lambda r: (order.get(r.indicator, len(order)), ASPECTS.index(r.aspect),
                             (r.period.year, r.period.kind) if r.period else (0, "")))
    return tuple(rows)
