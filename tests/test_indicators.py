"""The indicator vocabulary: table-driven matching cases, then checks on the data file itself."""
from __future__ import annotations

import json
from collections import Counter

import pytest

from qa.indicators import (
    ASPECTS, DATA, SCOPES, aliases_of, aspect_of, find_indicators, indicator_named, is_field, load_indicators,
    parse_vocabulary, scope_cues, scope_of,
)

# text | indicators named, in order ("" = none) | forms as written | aspect | scope
CASES = [
    ("GDP", "地区生产总值", "GDP", None, "local"),
    ("gdp", "地区生产总值", "gdp", None, "local"),
    ("ＧＤＰ", "地区生产总值", "ＧＤＰ", None, "local"),
    ("去年光谷GDP是多少？", "地区生产总值", "GDP", None, "local"),
    ("2023年光谷地区生产总值是多少？", "地区生产总值", "地区生产总值", None, "local"),
    ("经济总量达到2715亿元", "地区生产总值", "经济总量", "总量", "local"),
    ("经济增速逐季回升,一季度增长2.5%", "地区生产总值", "经济增速", "增速", "local"),
    ("What was Optics Valley's GDP growth in 2023?", "地区生产总值", "GDP growth", "增速", "local"),
    ("gross domestic product of the zone", "地区生产总值", "gross domestic product", None, "local"),
    ("GDPR compliance", "", "", None, "local"),
    ("单位GDP能耗下降3%", "单位地区生产总值能耗", "单位GDP能耗", "增速", "local"),
    ("人均GDP是多少", "人均地区生产总值", "人均GDP", None, "local"),
    ("第三产业增加值增长6%", "第三产业增加值", "第三产业增加值", "增速", "local"),
    ("规上工业增加值增长5%", "规模以上工业增加值", "规上工业增加值", "增速", "local"),
    ("工业增加值", "工业增加值", "工业增加值", None, "local"),
    ("固定资产投资超1200亿元、位列全国高新区前四", "固定资产投资", "固定资产投资", "排名", "local"),
    ("固投增长多少", "固定资产投资", "固投", "增速", "local"),
    ("fixed-asset investment", "固定资产投资", "fixed-asset investment", None, "local"),
    ("社零额增长8%", "社会消费品零售总额", "社零额", "增速", "local"),
    ("限上商贸企业网上销售额增长15%", "网上零售额", "网上销售额", "增速", "local"),
    ("外商直接投资6.8亿美元,均为全市第一", "外商直接投资", "外商直接投资", "排名", "local"),
    ("FDI", "外商直接投资", "FDI", None, "local"),
    ("实际使用外资增长", "实际使用外资", "实际使用外资", "增速", "local"),
    ("外贸进出口总额占全市比重", "进出口总额", "外贸进出口总额", "占比", "local"),
    ("一般公共预算收入", "一般公共预算收入", "一般公共预算收入", None, "local"),
    ("税收收入占比达到80%", "税收收入", "税收收入占比", "占比", "local"),
    ("居民收入稳步增长", "居民人均可支配收入", "居民收入", "增速", "local"),
    ("农村居民人均可支配收入增长7%", "农村居民人均可支配收入", "农村居民人均可支配收入", "增速", "local"),
    ("城镇新增就业5万人", "城镇新增就业", "城镇新增就业", "新增", "local"),
    ("城镇调查失业率控制在5.5%以内", "城镇调查失业率", "城镇调查失业率", None, "local"),
    ("CPI涨幅3%左右", "居民消费价格指数", "CPI", "增速", "local"),
    ("高企总数突破5700家", "高新技术企业", "高企总数", "累计", "local"),
    ("光谷有多少家高新技术企业", "高新技术企业", "高新技术企业", "数量", "local"),
    ("how many high-tech enterprises", "高新技术企业", "high-tech enterprises", "数量", "local"),
    ("新认定高新技术企业1500家", "高新技术企业", "高新技术企业", "新增", "local"),
    ("科技型中小企业入库5200家", "科技型中小企业", "科技型中小企业入库", None, "local"),
    ("国家级专精特新“小巨人”企业累计达到80家", "专精特新“小巨人”企业", "国家级专精特新“小巨人”企业", "累计", "local"),
    ("专精特新企业", "专精特新中小企业", "专精特新企业", None, "local"),
    ("独角兽企业和瞪羚企业", "独角兽企业|瞪羚企业", "独角兽企业|瞪羚企业", None, "local"),
    ("研发投入强度达到15%", "研发经费投入强度", "研发投入强度", None, "local"),
    ("R&D经费投入", "研发经费投入", "R&D经费", None, "local"),
    ("每万人高价值发明专利拥有量", "每万人高价值发明专利拥有量", "每万人高价值发明专利拥有量", None, "local"),
    ("发明专利授权量增长20%", "发明专利授权量", "发明专利授权量", "增速", "local"),
    ("技术合同成交额突破千亿元", "技术合同成交额", "技术合同成交额", None, "local"),
    ("新增逸飞激光等7家上市企业", "上市企业", "上市企业", "新增", "local"),
    ("常住人口增长", "常住人口", "常住人口", "增速", "local"),
    ("新增中小学学位2万个", "新增学位", "新增中小学学位", "新增", "local"),
    ("每千人口床位数", "医疗床位", "每千人口床位数", None, "local"),
    ("筹建保障性租赁住房1万套", "保障性租赁住房", "保障性租赁住房", None, "local"),
    ("空气优良天数比例", "空气质量优良率", "空气优良天数比例", None, "local"),
    ("PM2.5浓度下降", "PM2.5浓度", "PM2.5浓度", "增速", "local"),
    ("pm2.5 levels", "PM2.5浓度", "pm2.5", None, "local"),
    ("新能源汽车销售增长近30%、总量占全市1/4", "新能源汽车销量", "新能源汽车销售", "占比", "local"),
    ("全省GDP", "地区生产总值", "GDP", None, "province"),
    ("武汉市2023年GDP是多少？", "地区生产总值", "GDP", None, "city"),
    ("全国GDP增速", "地区生产总值", "GDP增速", "增速", "country"),
    ("全球独角兽企业排名", "独角兽企业", "独角兽企业", "排名", "world"),
    ("全市共有博物馆12座", "博物馆", "博物馆", "累计", "city"),
    ("居全国高新区第三", "", "", "排名", "local"),
    ("武汉新城建设", "", "", None, "local"),
    ("中国光谷的经济总量", "地区生产总值", "经济总量", "总量", "local"),
    ("全国首个", "", "", None, "local"),
]


@pytest.mark.parametrize("text,names,forms,aspect,scope", CASES, ids=[c[0][:20] for c in CASES])
def test_cases(text, names, forms, aspect, scope):
    mentions = find_indicators(text)
    assert "|".join(m.indicator.name for m in mentions) == names
    assert "|".join(m.form for m in mentions) == forms
    for m in mentions:
        assert text[m.start: m.end] == m.form
    assert aspect_of(text) == aspect
    assert scope_of(text) == scope


def test_mentions_are_longest_leftmost_and_disjoint():
    text = "规模以上工业增加值和工业增加值、单位GDP能耗与GDP"
    spans = [(m.form, m.indicator.name) for m in find_indicators(text)]
    assert spans == [("规模以上工业增加值", "规模以上工业增加值"), ("工业增加值", "工业增加值"),
                     ("单位GDP能耗", "单位地区生产总值能耗"), ("GDP", "地区生产总值")]


def test_aliases_of_gdp_finds_the_formal_name_and_the_report_forms():
    forms = aliases_of("GDP")
    assert forms[0] == "地区生产总值"
    assert {"经济总量", "经济增速", "gross domestic product"} <= set(forms)
    assert aliases_of("无关的话") == ()
    assert "高企" in aliases_of("高新技术企业有多少")


def test_indicator_named_takes_names_and_forms():
    assert indicator_named("地区生产总值").name == "地区生产总值"
    assert indicator_named("gdp").name == "地区生产总值"
    assert indicator_named("没有这个指标") is None


def test_scope_fields_are_not_scopes():
    text = "新能源汽车销售总量占全市1/4"
    cue = scope_cues(text)[0]
    assert cue.scope == "city" and is_field(text, cue)
    assert scope_of("全市GDP达到2万亿元") == "city"


# ---- the data file ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def data():
    return json.loads(DATA.read_text(encoding="utf-8"))


def test_data_holds_the_main_bulletin_indicators(data):
    names = {i.name for i in load_indicators()}
    assert len(names) >= 80
    for must in ("地区生产总值", "第一产业增加值", "第二产业增加值", "第三产业增加值", "规模以上工业增加值", "固定资产投资",
                 "社会消费品零售总额", "进出口总额", "实际使用外资", "外商直接投资", "一般公共预算收入", "税收收入",
                 "居民人均可支配收入", "城镇新增就业", "城镇调查失业率", "居民消费价格指数", "高新技术产业增加值",
                 "高新技术企业", "研发经费投入强度", "专利授权量", "发明专利授权量", "每万人高价值发明专利拥有量",
                 "技术合同成交额", "上市企业", "科技型中小企业", "专精特新中小企业", "独角兽企业", "瞪羚企业",
                 "常住人口", "新增学位", "医疗床位", "保障性租赁住房", "空气优良天数", "PM2.5浓度",
                 "单位地区生产总值能耗"):
        assert must in names, must


def test_no_form_names_two_indicators(data):
    owner: dict[str, str] = {}
    for entry in data["indicators"]:
        for form in [entry["name"], *entry["aliases"], *entry["en"]]:
            assert owner.setdefault(form.lower(), entry["name"]) == entry["name"], form
    assert len(Counter(e["name"] for e in data["indicators"])) == len(data["indicators"])


def test_every_entry_is_well_formed(data):
    assert tuple(data["aspects"]) == ASPECTS and tuple(data["scopes"]) == SCOPES
    groups = Counter()
    for e in data["indicators"]:
        assert e["aspects"] and set(e["aspects"]) <= set(ASPECTS), e["name"]
        assert e["unit"] in data["units"], e["name"]
        assert e["en"], f"{e['name']} has no English form"
        for form, aspect in e["aspect_forms"].items():
            assert aspect in ASPECTS and form in (e["name"], *e["aliases"], *e["en"]), (e["name"], form)
        assert all(f.strip() == f and f for f in [e["name"], *e["aliases"], *e["en"]]), e["name"]
        groups[e["group"]] += 1
    for group in ("综合", "农业", "工业", "建筑业", "服务业", "固定资产投资", "国内贸易", "对外经济", "交通邮电", "金融",
                  "教育科技", "文化旅游", "卫生社保", "人口就业", "居民收支", "资源环境", "财政税收"):
        assert groups[group] > 0, group


def test_every_cue_compiles_and_every_aspect_has_cues(data):
    assert set(data["aspect_cues"]) == set(ASPECTS) == set(data["aspect_priority"])
    assert set(data["scope_cues"]) == set(SCOPES)


def test_bad_data_is_a_clear_error(data):
    broken = json.loads(json.dumps(data))
    broken["indicators"][1]["aliases"].append("GDP")
    with pytest.raises(ValueError, match="GDP"):
        parse_vocabulary(broken)
    broken = json.loads(json.dumps(data))
    broken["indicators"][0]["aspects"].append("速度")
    with pytest.raises(ValueError, match="速度"):
        parse_vocabulary(broken)


def test_offsets_survive_odd_letters():
    text = "İİ的GDP"
    (m,) = find_indicators(text)
    assert text[m.start: m.end] == "GDP"


@pytest.mark.parametrize("text, aspect", [
    ("今年能提供多少新工作岗位", "新增"),  # 多少新<noun>: the new ones
    ("有几个新项目开工", "新增"),
    ("光谷有多少新能源汽车充电桩", None),  # 新能源 is a name, not new
    ("有几家新药企业", "数量"),
])
def test_how_many_new_asks_the_newly_added(text: str, aspect: str | None) -> None:
    assert aspect_of(text) == aspect


@pytest.mark.parametrize("text, name", [
    ("How many students are enrolled in Optics Valley schools?", "在校学生"),
    ("How many companies does the zone aim to list on the stock market?", "上市企业"),
    ("How much industrial project funding arrived last year?", "招商引资到位资金"),
])
def test_english_names_of_indicators(text: str, name: str) -> None:
    assert name in {m.indicator.name for m in find_indicators(text)}
