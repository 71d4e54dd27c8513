"""Figure extraction and figure/question fit, driven by tests/data/figures_cases.txt.

The table lists every figure of each sentence, so it measures precision as well as recall;
`scoreboard()` prints both (python -m tests.test_figures) and known misses are xfail(strict).
"""
from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.figures import extract_figures
from qa.types import Figure

ROOT = Path(__file__).resolve().parent.parent
REPORT = (ROOT / "corpus" / "donghu-2024-work-report.txt").read_text(encoding="utf-8")
CASES_FILE = Path(__file__).parent / "data" / "figures_cases.txt"
NONE = "∅"


@dataclass(frozen=True)
class Case:
    src: str
    sentence: str
    text: str
    value: float | None
    unit: str
    qualifier: str | None
    kind: str
    subject: str
    note: str

    @property
    def id(self) -> str:
        return f"{self.src}:{self.text}@{self.sentence[:14]}"


def load_cases() -> list[Case]:
    cases: list[Case] = []
    sentence = ""
    for line in CASES_FILE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        cells = [c.strip() for c in line.split("|")]
        cells += [""] * (9 - len(cells))
        src, sent, text, value, unit, qualifier, kind, subject, note = cells[:9]
        sentence = sent or sentence
        cases.append(Case(src, sentence, text, float(value) if value else None,
                          "" if unit == "-" else unit, None if qualifier in ("-", "") else qualifier,
                          kind, subject, note))
    return cases


CASES = load_cases()
SENTENCES: dict[str, list[Case]] = {}
for _case in CASES:
    SENTENCES.setdefault(_case.sentence, []).append(_case)


def matched(sentence: str) -> dict[Case, Figure | None]:
    """Pair the expected rows of a sentence with extracted figures by text, in order."""
    pool = extract_figures(sentence)
    out: dict[Case, Figure | None] = {}
    for case in SENTENCES[sentence]:
        if case.text == NONE:
            continue
        hit = next((f for f in pool if f.text == case.text), None)
        if hit is not None:
            pool.remove(hit)
        out[case] = hit
    return out


def field_errors(case: Case, fig: Figure | None) -> list[str]:
    if fig is None:
        return ["missed"]
    errors = []
    if case.value is not None and not math.isclose(fig.value, case.value, rel_tol=1e-3):
        errors.append(f"value {fig.value} != {case.value}")
    for name in ("unit", "qualifier", "kind"):
        if getattr(fig, name) != getattr(case, name):
            errors.append(f"{name} {getattr(fig, name)!r} != {getattr(case, name)!r}")
    want = case.subject
    if want.startswith("=") and fig.subject != want[1:]:
        errors.append(f"subject {fig.subject!r} != {want[1:]!r}")
    elif want and not want.startswith("=") and want not in fig.subject:
        errors.append(f"subject {fig.subject!r} lacks {want!r}")
    return errors


def _marks(case: Case) -> list:
    return [pytest.mark.xfail(reason=case.note[6:].strip(), strict=True)] if case.note.startswith("xfail") else []


FIGURE_CASES = [pytest.param(c, id=c.id, marks=_marks(c)) for c in CASES if c.text != NONE]


@pytest.mark.parametrize("case", FIGURE_CASES)
def test_figure(case: Case) -> None:
    fig = matched(case.sentence)[case]
    assert not field_errors(case, fig), (field_errors(case, fig), fig)


def _extra_marks(sentence: str) -> list:
    notes = [c.note for c in SENTENCES[sentence] if c.note.startswith("xfail: extra")]
    return [pytest.mark.xfail(reason=notes[0][6:].strip(), strict=True)] if notes else []


@pytest.mark.parametrize("sentence", [pytest.param(s, id=s[:20], marks=_extra_marks(s)) for s in SENTENCES])
def test_no_extra_figures(sentence: str) -> None:
    """Precision: nothing beyond the annotated figures (∅ rows: nothing at all)."""
    expected = Counter(c.text for c in SENTENCES[sentence] if c.text != NONE)
    got = Counter(f.text for f in extract_figures(sentence))
    assert not got - expected, f"unexpected figures: {list((got - expected).elements())}"


def test_report_sentences_are_verbatim() -> None:
    missing = [s for s in SENTENCES if SENTENCES[s][0].src == "R" and s not in REPORT]
    assert not missing


def test_table_size() -> None:
    report = [c for c in CASES if c.src == "R" and c.text != NONE]
    made_up = {c.sentence for c in CASES if c.src == "M"}
    assert len(report) >= 80 and len(made_up) >= 20


# ---- non-figures inside sentences that also hold figures ------------------------------------------

NON_FIGURES = [
    ("经济增速逐季回升,一季度增长2.5%,上半年增长3.2%,前三季度增长4%", "一季度"),
    ("经济增速逐季回升,一季度增长2.5%,上半年增长3.2%,前三季度增长4%", "前三季度"),
    ("2023年是全面贯彻落实党的二十大精神的开局之年,是三年新冠疫情防控转段后加快恢复发展的一年。", "2023年"),
    ("2023年是全面贯彻落实党的二十大精神的开局之年,是三年新冠疫情防控转段后加快恢复发展的一年。", "二十大"),
    ("2023年是全面贯彻落实党的二十大精神的开局之年,是三年新冠疫情防控转段后加快恢复发展的一年。", "一年"),
    ("一年来,全区上下坚持以习近平新时代中国特色社会主义思想为指导", "一年"),
    ("今年是中华人民共和国成立75周年,是实施“十四五”规划的关键一年", "75周年"),
    ("全面贯彻落实党的二十大、二十届二中全会和中央经济工作会议精神", "二十届二中全会"),
    ("成功举办中国5G+工业互联网大会、首届东湖论坛", "5G"),
    ("建设“双跨”工业互联网平台1家,5G工厂2家,标杆智能工厂1家。", "5G"),
    ("开通国内首条城市空轨以及地铁19号线、有轨电车L3线路", "19号线"),
    ("开通武汉东站跨区域长线列车、地铁11号线二期,新增2条城际公交", "11号线二期"),
    ("相继突破国内首颗400G硅光收发芯片、首台高端晶圆激光切割设备", "400G"),
    ("华星光电t5等项目建成投产,低温多晶硅中小尺寸显示面板全球市占率提升至24%", "t5"),
    ("全球首个千亿参数全模态大模型“紫东太初2.0”问世。", "千亿"),
    ("全球首个千亿参数全模态大模型“紫东太初2.0”问世。", "2.0"),
    ("建立“1886+N”工作机制,以“精准招商三色图”为指南", "1886"),
    ("创新15个行业“1+N”一站式注销,上线“鄂汇办·光谷政务”", "1+N"),
    ("举办全球光电子信息卓越工程师大赛、光谷3551国际创新创业大赛", "3551"),
    ("光谷金控主体信用评级达到双机构AAA。", "AAA"),
    ("推进33个行业“一业一证”和10个高频行业", "一业一证"),
    ("光谷科学岛“一纵两横一环”骨干道路连网成环。", "一纵两横一环"),
    ("安装居民燃气安全“三件套”37万户。", "三件套"),
    ("坚定拥护“两个确立”、坚决做到“两个维护”", "两个确立"),
    ("弘扬“四下基层”优良传统", "四下基层"),
    ("以十年磨一剑的战略定力、功成不必在我的责任担当", "十年"),
    ("全面激活光谷经济的一池春水。", "一池"),
    ("千头万绪的事,说到底就是千家万户的事。", "千家"),
    ("千头万绪的事,说到底就是千家万户的事。", "千头"),
    ("(一)千方百计稳住经济增长基本盘", "(一)"),
    ("一、2023年工作回顾", "一、"),
    ("高层次人才总量稳居全国高新区“第一方阵”。", "第一"),
    ("长江计算市占率进入全国第一梯队。", "第一"),
    ("大科学装置集中度稳居全国第一方阵", "第一"),
    ("全国第一家国家集成电路处理器产业计量测试中心落户。", "第一"),
    ("扎实做好第五次经济普查", "第五次"),
    ("建成黄冈“光谷第九园”,光电子信息产业一小时配套圈加快构建。", "一小时"),
    ("始终把讲政治摆在第一位", "第一位"),
    ("完成27个小区二次供水、70公里老旧燃气管网改造。", "二次"),
    ("推动豹澥污水处理二厂建成投用、新增污水处理能力11万吨/日。", "二厂"),
    ("签约引进6个百亿元以上重大项目,产业项目到位资金646亿元", "百亿元"),
    ("推动100亿元以上重大产业项目、50亿元以上工业签约项目数量倍增", "100亿元以上"),
    ("推动100亿元以上重大产业项目、50亿元以上工业签约项目数量倍增", "50亿元以上"),
    ("北斗产业实现十亿级企业零的突破。", "十亿"),
    ("严格执行中央八项规定及其实施细则精神", "八项"),
    ("严控和压缩“三公”经费支出", "三公"),
    ("推进外国人两证联办服务", "两证"),
    ("打造光谷天地、曙光夜市等多个特色美食街区。", "多个"),
    ("东湖高新区2024年工作报告", "2024年"),
    ("• 2024-02-26 10:16", "2024-02-26"),
    ("• 2024-02-26 10:16", "10:16"),
]


@pytest.mark.parametrize(("context", "phrase"), NON_FIGURES, ids=[f"{p}@{c[:10]}" for c, p in NON_FIGURES])
def test_non_figure(context: str, phrase: str) -> None:
    at = context.index(phrase)
    overlapping = [f.text for f in extract_figures(context) if f.start < at + len(phrase) and at < f.end]
    assert not overlapping


# ---- properties -------------------------------------------------------------------------------------

UNITS = ["亿元", "万元", "元", "亿美元", "%", "个", "家", "所", "名", "人", "万户", "万千伏安", "公里", "平方公里",
         "万吨/日", "P", "倍", "个百分点", "万个", "套", "公顷", "条", "项", "万人次"]
numbers = st.one_of(st.integers(1, 99_999).map(str),
                    st.decimals(min_value="0.1", max_value="9999.99", places=2).map(lambda d: format(d.normalize(), "f")))


@given(n=numbers, unit=st.sampled_from(UNITS), prefix=st.sampled_from(["", "全区", "总量", "新增"]))
@settings(max_examples=300, deadline=None)
def test_round_trip(n: str, unit: str, prefix: str) -> None:
    """达到{n}{unit} always yields exactly that number and unit."""
    text = f"{prefix}达到{n}{unit}。"
    figures = extract_figures(text)
    assert [(f.value, f.unit, f.text) for f in figures] == [(float(n), unit, f"{n}{unit}")]


REPORT_LINES = [line for line in REPORT.splitlines() if line.strip()]


@given(picks=st.lists(st.integers(0, len(REPORT_LINES) - 1), min_size=1, max_size=4),
       cut=st.integers(0, 40), offset=st.integers(0, 10**6))
@settings(max_examples=100, deadline=None)
def test_offsets_point_at_text(picks: list[int], cut: int, offset: int) -> None:
    text = "".join(REPORT_LINES[i] for i in picks)[cut:]
    for f in extract_figures(text, offset):
        assert text[f.start - offset: f.end - offset] == f.text
        assert f.start < f.end


ALPHABET = "0123456789.,/-%一二两三四五六七八九十百千万亿第前首位名强翻番倍增超近约多余以上下左右分之个家年元亿公里“”、,。增长占比率"


@given(st.text(alphabet=ALPHABET, max_size=40), st.integers(0, 1000))
@settings(max_examples=400, deadline=None)
def test_any_text_is_safe(text: str, offset: int) -> None:
    """Arbitrary numeral soup never raises, and every figure points at its own text."""
    for f in extract_figures(text, offset):
        assert text[f.start - offset: f.end - offset] == f.text and f.text
        assert math.isfinite(f.value)


def test_whole_report() -> None:
    figures = extract_figures(REPORT)
    by_kind = Counter(f.kind for f in figures)
    summary = f"{len(figures)} figures: {dict(by_kind.most_common())}"
    assert all(REPORT[f.start: f.end] == f.text for f in figures), summary
    years = [f for f in figures if f.unit == "年" and 1900 <= f.value <= 2100]
    assert not years, summary
    line_figures = []
    start = 0
    for line in REPORT.splitlines(keepends=True):
        line_figures += [(f.start, f.text) for f in extract_figures(line, start)]
        start += len(line)
    assert line_figures == [(f.start, f.text) for f in figures], summary  # lines never cross a figure
    assert {"amount", "count", "growth", "share", "rank", "multiple", "measure", "duration", "rate",
            "decline"} <= set(by_kind), summary
    assert 240 <= len(figures) <= 300, summary


def test_whole_report_is_fast() -> None:
    import time
    extract_figures(REPORT)
    best = min(_timed(time.perf_counter) for _ in range(5))
    assert best < 0.05, f"{best * 1000:.1f} ms"


def _timed(clock) -> float:
    t0 = clock()
    extract_figures(REPORT)
    return clock() - t0


def test_deterministic() -> None:
    rng = random.Random(7)
    for _ in range(20):
        a = rng.randrange(len(REPORT))
        text = REPORT[a: a + rng.randrange(1, 400)]
        assert extract_figures(text) == extract_figures(text)


# ---- question side ------------------------------------------------------------------------------------

# ---- honest scoreboard ----------------------------------------------------------------------------------

def scoreboard() -> str:
    """Precision/recall of figure spans and per-field accuracy over the whole table, plus every miss."""
    tp = fn = 0
    extra: list[str] = []
    field_ok = Counter()
    lines = []
    for sentence, rows in SENTENCES.items():
        pairs = matched(sentence)
        for case, fig in pairs.items():
            errs = field_errors(case, fig)
            if fig is None:
                fn += 1
            else:
                tp += 1
                for name in ("value", "unit", "qualifier", "kind", "subject"):
                    field_ok[name] += not any(e.startswith(name) for e in errs)
            if errs:
                lines.append(f"  {case.src} {case.text}: {'; '.join(errs)}  [{sentence[:30]}]")
        expected = Counter(c.text for c in rows if c.text != NONE)
        got = Counter(f.text for f in extract_figures(sentence))
        extra += [f"  extra {t}  [{sentence[:30]}]" for t in (got - expected).elements()]
    fp = len(extra)
    by_src = {src: sum(1 for c in CASES if c.src == src and c.text != NONE) for src in ("R", "M", "H")}
    head = (f"rows by source: {by_src}\n"
            f"figures: tp={tp} fp={fp} fn={fn} precision={tp / max(1, tp + fp):.3f} "
            f"recall={tp / max(1, tp + fn):.3f}\n"
            + "fields (of matched): " + ", ".join(f"{k} {v}/{tp}" for k, v in field_ok.items()))
    return "\n".join([head, *lines, *extra])


if __name__ == "__main__":
    print(scoreboard())


@pytest.mark.parametrize("items, tail", [
    (["交通", "水利", "能源领域投资额"], "领域投资额"),  # one word each before the last: what follows its first word
    (["城镇", "农村常住居民人均可支配收入增长"], "常住居民人均可支配收入增长"),
    (["高铁", "高速公路里程"], "里程"),
    (["集成电路", "汽车零配件", "锂电池出口"], "出口"),  # a head word
    (["第一", "第三产业增加值"], "产业增加值"),  # the longer of the two
    (["光电子信息", "生命健康", "北斗产业规模"], "产业规模"),
    (["上海", "北京"], ""),
])
def test_what_the_items_of_a_list_share(items, tail):
    from qa.figures import shared_tail

    assert shared_tail(items) == tail


@pytest.mark.parametrize("text, subjects", [
    # an item that is only a verb does it to the thing the item before named
    ("新能源开工1600万千瓦、投产1000万千瓦以上。", ["新能源开工", "新能源投产"]),
    ("新开工项目120个、竣工80个。", ["新开工项目", "竣工"]),  # the item before ends in a thing, not a verb
])
def test_a_verb_item_does_it_to_the_thing_before(text, subjects):
    assert [f.subject for f in extract_figures(text, 0)] == subjects
