"""The lexical resources: the 政务 glossary file, the Cilin thesaurus, and expansions of a question."""
from __future__ import annotations

from pathlib import Path

import pytest

from qa.config import Settings
from qa.errors import LexiconError
from qa.ingest import load_corpus
from qa.lexicon import (GLOSSARY_PATH, Expansion, Glossary, cilin_groups, expansions, glossary, parse_glossary,
                        synonym_map, synonyms, thesaurus, vocabulary_predicate)
from qa.query import tokenize

ROOT = Path(__file__).resolve().parent.parent
TOPICS = {"jobs", "transport", "schools", "health", "housing", "environment", "business", "tax", "elderly",
          "culture_sport", "safety", "government_services", "economy", "industry", "tech", "investment", "childcare",
          "social_security", "city", "trade", "rural", "administration"}
# Words too general to stand alone as a glossary phrase: mapped, they would add report words to almost any
# question, and the added words also count toward "the shown figure answers the question".
TOO_GENERAL = {"new", "high", "big", "large", "more", "most", "many", "much", "good", "best", "top", "number",
               "total", "year", "people", "area", "zone", "money", "place", "help", "service", "services",
               "plan", "work", "life", "first", "last", "next", "old", "young", "safe", "free", "open", "public",
               "local", "national", "international", "world", "global", "smart", "green", "digital", "data",
               "system", "platform", "center", "centre", "level", "support", "development", "construction",
               "东西", "事情", "地方", "问题", "情况", "方面", "发展", "建设", "服务", "多少", "什么", "怎么",
               "哪里", "今年", "去年", "我们", "政府", "工作", "增长", "项目", "企业", "人数", "数量"}


@pytest.fixture(scope="module")
def corpus_texts() -> list[str]:
    docs, _ = load_corpus(ROOT / "corpus")
    assert docs
    return [d.text.lower() for d in docs]


# --- the thesaurus -----------------------------------------------------------------------------

FAKE_CILIN = {
    "A": {"tag": "人", "sub": {"a": {"tag": "泛称", "sub": {"01": {"tag": "人", "sub": {"A": {"tag": "", "sub": {
        "01=": ["人", "人士", "人物"],
        "02#": ["白人", "黑人"],  # related, not synonyms
        "03@": ["角色"],  # a word alone
        "04=": ["人物", "角色人物"],  # 人物 has two senses
        "05=": ["孤字"],  # a group of one says nothing
    }}}}}}}},
}


@pytest.mark.parametrize("word, expected", [
    ("人士", ("人", "人物")),
    ("人物", ("人", "人士", "角色人物")),  # both of its groups, in order
    ("白人", ()),  # only in a # group
    ("黑人", ()),
    ("角色", ()),  # only in an @ group
    ("孤字", ()),
    ("没有", ()),
])
def test_cilin_uses_synonym_groups_only(word: str, expected: tuple[str, ...]):
    mates = synonym_map(cilin_groups(FAKE_CILIN))
    assert mates.get(word, ()) == expected


def test_cilin_groups_rejects_a_malformed_tree():
    with pytest.raises(ValueError):
        cilin_groups({"A": {"tag": "人"}})
    with pytest.raises(ValueError):
        cilin_groups({"A": "not a node"})


@pytest.mark.parametrize("word, mate", [("医院", "诊所"), ("学校", "院校"), ("工作", "职业"), ("公司", "商店")])
def test_real_cilin_synonyms(word: str, mate: str):
    assert mate in synonyms(word)
    assert word not in synonyms(word)


@pytest.mark.parametrize("word, not_mate", [("白人", "黑人"), ("南京人", "北京人")])  # # groups of the real data
def test_real_cilin_leaves_related_groups_out(word: str, not_mate: str):
    assert not_mate not in synonyms(word)


def test_real_cilin_is_the_extended_edition():
    groups = thesaurus()
    # 同义词词林扩展版: 17,809 groups, 9,988 of them synonym (=) groups, about 90k words in all
    assert 40_000 < len(groups) < 60_000
    assert all(w not in mates for w, mates in list(groups.items())[:2000])


# --- the glossary file -------------------------------------------------------------------------


def test_glossary_file_is_well_formed_and_large():
    entries = glossary().entries
    assert entries == parse_glossary(GLOSSARY_PATH.read_text(encoding="utf-8"))  # parses without error
    assert len(entries) >= 300
    assert TOPICS <= {e.topic for e in entries}
    assert len({e.phrase for e in entries}) == len(entries)
    assert sum(1 for e in entries if e.phrase.isascii()) >= 100  # English wording too
    assert not TOO_GENERAL & {e.phrase.rstrip("*") for e in entries}


def test_every_glossary_target_is_report_language(corpus_texts: list[str]):
    missing = [(e.line, e.phrase, t) for e in glossary().entries for t in e.targets
               if not any(t.lower() in text for text in corpus_texts)]
    assert missing == []


@pytest.mark.parametrize("phrase, targets", [
    ("停车难", ("停车位",)), ("吃饭的地方", ("餐饮店",)), ("出国办证", ("出入境",)), ("开网店", ("电子商务", "直播电商")),
    ("看病", ("医疗", "医院")), ("找工作", ("就业",)), ("parking", ("停车位",)),
])
def test_glossary_holds_the_issue_examples(phrase: str, targets: tuple[str, ...]):
    entry = {e.phrase: e for e in glossary().entries}[phrase]
    assert set(targets) <= set(entry.targets)


@pytest.mark.parametrize("line, error", [
    ("jobs\t找工作", "3 tab-separated columns"),
    ("jobs\t找工作\t就业\textra", "3 tab-separated columns"),
    ("jobs\t\t就业", "empty"),
    ("jobs\t找工作\t就业||岗位", "empty"),
    ("\t找工作\t就业", "empty"),
    ("jobs\t找\t就业", "2\\+ characters"),
    ("jobs\t找工*\t就业", "no \\*"),
    ("jobs\tjob$\t就业", "English phrase"),
    ("jobs\t*job\t就业", "English phrase"),
    ("jobs\t就业\t就业", "maps to itself"),
    ("jobs\tJob\t就业\njobs\tjob\t岗位", "already defined on line 1"),  # case-insensitive keys
])
def test_parse_glossary_rejects_bad_rows(line: str, error: str):
    with pytest.raises(LexiconError, match=error):
        parse_glossary(line, "test.tsv")


def test_parse_glossary_reads_comments_blanks_and_normalises():
    entries = parse_glossary("# comment\n\njobs\t找工作\t就业| 岗位 |就业\ntransport\tＰａｒｋｉｎｇ\t停车位\n")
    assert [(e.topic, e.phrase, e.targets, e.line) for e in entries] == [
        ("jobs", "找工作", ("就业", "岗位"), 3), ("transport", "parking", ("停车位",), 4)]


def test_unreadable_glossary_file_is_a_clear_error(tmp_path: Path):
    from qa.lexicon import read_glossary

    bad = tmp_path / "g.tsv"
    bad.write_bytes(b"jobs\t\xff\xfe\t\xe5\n")
    with pytest.raises(LexiconError, match="g.tsv"):
        read_glossary(bad)
    with pytest.raises(LexiconError):
        read_glossary(tmp_path / "missing.tsv")


# --- matching and expansions -------------------------------------------------------------------

SMALL = Glossary.of(parse_glossary(
    "transport\t停车\t停车位\n"
    "transport\t停车难\t停车位|拥堵\n"
    "business\t吃饭的地方\t餐饮店\n"
    "business\t吃饭\t餐饮\n"
    "environment\tpark\t公园\n"
    "industry\tindustrial park\t产业园\n"
    "tax\tsubsid*\t补贴\n"
    "transport\tbus\t公交\n"
))


@pytest.mark.parametrize("text, sources", [
    ("停车难吗", ["停车难"]),  # the longer phrase wins, 停车 inside it is not read again
    ("停车方便吗", ["停车"]),
    ("附近吃饭的地方多吗,停车呢", ["吃饭的地方", "停车"]),  # longest first, then by position
    ("parks and Industrial Parks", ["Industrial Parks", "parks"]),
    ("parking", []),  # a whole word only
    ("Subsidies for buses", ["Subsidies", "buses"]),
    ("business", []),
    ("", []),
])
def test_glossary_matches_longest_first(text: str, sources: list[str]):
    assert [m.source for m in SMALL.find(text)] == sources


def test_real_glossary_finds_what_a_scan_of_every_phrase_finds(corpus_texts: list[str]):
    """find() tries only the Chinese phrases that start with a character of the text; the matches
    are those of trying every phrase (report lines, mixed and odd texts)."""
    from qa.lexicon import _CJK, _LATIN, GlossaryMatch, normalize

    g = glossary()
    cjk = [e for e in g.entries if _CJK.search(e.phrase)]

    def scan(text: str) -> tuple[GlossaryMatch, ...]:  # find() as it was: every phrase, every text
        lowered = normalize(text)
        found = []
        for e in cjk:
            i = lowered.find(e.phrase)
            while i >= 0:
                found.append((i, i + len(e.phrase), e))
                i = lowered.find(e.phrase, i + 1)
        if _LATIN.search(lowered):
            for first, pattern, e in g._ascii:
                if first in lowered:
                    found.extend((m.start(), m.end(), e) for m in pattern.finditer(lowered))
        found.sort(key=lambda f: (-(f[1] - f[0]), f[0]))
        taken: list[tuple[int, int]] = []
        out = []
        for a, b, e in found:
            if not any(a < y and x < b for x, y in taken):
                taken.append((a, b))
                out.append(GlossaryMatch(text[a:b] if len(lowered) == len(text) else lowered[a:b], a, b, e))
        return tuple(out)

    lines = [line for t in corpus_texts for line in t.splitlines() if line.strip()]
    texts = lines + ["停车难停车难", "孩子上学难不难", "", "ＡＢＣ停车 parking lots", "营商环境营商环境好不好",
                     "How is the business environment 营商环境?"]
    assert sum(bool(scan(t)) for t in texts) > 50  # texts with matches, not only empty ones
    for text in texts:
        assert g.find(text) == scan(text), text


def test_expansions_are_weighted_and_ordered():
    ex = expansions(["附近", "吃饭", "地方", "停车"], "附近吃饭的地方多吗,停车呢", glossary_=SMALL,
                    thesaurus_={"附近": ("邻近", "近", "就近"), "吃饭": ("用餐",), "停车": ("泊车",)}, skip=())
    assert ex == (
        Expansion("吃饭的地方", "餐饮店", "glossary", Settings.glossary_weight),
        Expansion("停车", "停车位", "glossary", Settings.glossary_weight),
        Expansion("附近", "邻近", "thesaurus", Settings.thesaurus_weight),  # 近: one character, left out
        Expansion("附近", "就近", "thesaurus", Settings.thesaurus_weight),
        # 吃饭 and 停车 lie inside glossary phrases: the glossary already said what they mean
    )
    assert 0 < Settings.thesaurus_weight < Settings.glossary_weight < 1


def test_expansions_drop_what_is_said_unknown_or_repeated():
    th = {"停车": ("泊车", "停车位"), "难": ("困难",)}
    ex = expansions(["停车位", "停车", "难"], "停车位 停车难", glossary_=SMALL, thesaurus_=th)
    assert [e.target for e in ex] == ["拥堵"]  # 停车位 is said; 泊车 is inside a matched phrase; 难: one character
    ex = expansions(["停车"], "停车难", glossary_=SMALL, thesaurus_={}, known=lambda w: w != "拥堵")
    assert [e.target for e in ex] == ["停车位"]
    ex = expansions(["方便"], "方便", glossary_=SMALL, thesaurus_={"方便": ("便捷", "便利", "便捷")},
                    glossary_weight=0.5, thesaurus_weight=0.25, skip=())
    assert [(e.target, e.weight) for e in ex] == [("便捷", 0.25), ("便利", 0.25)]
    assert expansions(["方便"], "方便", glossary_=SMALL, thesaurus_={"方便": ("便捷",)}, skip={"方便"}) == ()


def test_thesaurus_skip_list():
    from qa.lexicon import parse_wordlist, thesaurus_skip

    assert parse_wordlist("# note\n附近\n\n Ｗｈｅｒｅ \n") == {"附近", "where"}
    skip = thesaurus_skip()
    assert {"附近", "方便", "情况"} <= skip
    assert not skip & {"就业", "医院", "学校", "孩子", "公司"}  # topic words are expanded
    assert not any(e.origin == "thesaurus" for e in expansions(["附近", "方便"], "附近方便吗"))


def test_vocabulary_predicate():
    known = vocabulary_predicate({"直播", "电商", "停车位"}, split=lambda w: [w[:2], w[2:]])
    assert known("停车位") and known("直播电商") and not known("电子商务")
    assert not vocabulary_predicate({"直播"})("直播电商")


def test_expansions_on_the_real_report_vocabulary():
    from qa.ingest import load_document

    vocab = frozenset(tokenize(load_document(ROOT / "corpus" / "donghu-2024-work-report.txt").text))
    known = vocabulary_predicate(vocab, tokenize)

    def targets(question: str) -> dict[str, str]:
        return {e.target: e.origin for e in expansions(tokenize(question), question, known=known)}

    assert targets("附近吃饭的地方多不多")["餐饮店"] == "glossary"
    assert targets("停车难有没有改善")["停车位"] == "glossary"
    assert "出入境" in targets("外国专家出国办证方便吗")
    assert {"医疗", "医院"} <= set(targets("看病方便吗"))
    assert targets("想带孩子去看书").get("儿童") == "thesaurus"  # a Cilin synonym the report uses
    t = targets("How many parking spaces were built?")
    assert t.get("停车位") == "glossary"
    assert all(w in vocab or all(p in vocab for p in tokenize(w)) for w in targets("上学难 养老院 堵车 开网店"))


@pytest.mark.parametrize("text, wanted, unwanted", [
    ("an important question", set(), {"进出口"}),  # import, not important
    ("business hours", set(), {"公交"}),  # bus, not business
    ("job training", {"就业"}, {"列车"}),
    ("new warehouses abroad", {"海外仓"}, {"住房"}),
    ("modern agriculture", {"现代农业"}, {"文化"}),
    ("industrial parks", {"产业园"}, {"公园"}),
    ("停车难", {"停车位"}, set()),
    ("有轨电车开通了吗", set(), {"有轨电车"}),  # 电车 inside what the user said adds nothing
])
def test_real_glossary_reads_whole_words(text: str, wanted: set[str], unwanted: set[str]):
    got = {e.target for e in expansions([], text, thesaurus_={})}
    assert wanted <= got and not (unwanted & got)


@pytest.mark.parametrize("text, wanted", [
    # everyday Mandarin
    ("看病贵怎么办", {"医疗保障"}), ("在哪办执照", {"一业一证", "企业登记"}), ("怎么领补贴", {"消费补贴", "惠企政策兑现"}),
    ("周末遛娃去哪", {"公园"}), ("上户口去哪办", {"政务服务"}), ("附近有宵夜吗", {"夜市"}),
    ("萝卜快跑能坐吗", {"智能网联"}), ("工作难找", {"就业"}), ("老人吃饭难", {"社区养老服务中心"}),
    ("有没有托班", {"托育园"}), ("村里分红多少", {"村集体经济"}), ("开会太多了吧", {"精文简会"}),
    ("实际利用外资多少", {"外商直接投资"}), ("软件新城在哪", {"武汉软件新城"}), ("技校", {"产教融合"}),
    # English as official translations write it
    ("social assistance", {"社会救助"}), ("fixed-asset investment", {"固定资产投资"}),
    ("companies that go public", {"上市"}), ("unicorns", {"高成长企业"}), ("pilot-scale testing", {"中试平台"}),
    ("primary school places", {"中小学校", "学位"}), ("rental housing", {"保障性租赁住房"}),
    ("elderly care", {"养老服务"}), ("public services", {"公共服务"}), ("new urban jobs", {"新增城镇就业人数"}),
    ("drug development", {"新药"}), ("tax relief", {"减税降费"}), ("imports and exports", {"进出口总额"}),
    ("rural revitalization", {"村集体经济"}), ("anti-corruption", {"廉洁"}),
])
def test_everyday_wording_reaches_report_words(text: str, wanted: set[str]):
    got = {e.target for e in expansions([], text, thesaurus_={})}
    assert wanted <= got


@pytest.mark.parametrize("text, unwanted", [
    ("武汉软件新城", {"武汉新城"}),  # 新城 inside 软件新城 is not the new city
    ("迈上新台阶", {"缘石坡道"}),  # a step up, not a kerb
    ("明星企业", {"演唱会"}),
    ("入园企业有多少", {"幼儿园"}),  # firms entering a park, not children entering kindergarten
    ("想带孩子去看书", {"托育园"}),  # taking a child along is not childcare
    ("坐公车上班", {"三公"}),  # 公车 is a bus to many speakers
    ("drug development", {"禁毒"}), ("food court", {"法庭"}), ("a one-stop shop", {"品牌店"}),
    ("national security", {"社会治安"}), ("new energy vehicles", {"汽车"}),
    # a part must not reach the report's word for its whole, whose figure would then look like the answer
    ("工业增加值", {"高新技术产业增加值"}), ("出口额多少", {"进出口总额"}), ("进口额", {"进出口"}),
    ("光缆产量", {"光电子信息"}), ("奶茶店多少家", {"餐饮店"}), ("独角兽企业", {"瞪羚企业"}),
    ("外国专家多少人", {"专家"}), ("大学生就业人数", {"新增城镇就业人数"}), ("how many visitors", {"来访"}),
    ("临时救助", {"社会救助"}), ("券商", {"主牌照金融机构"}), ("how many unicorns", {"瞪羚企业"}),
])
def test_general_words_do_not_map_wrongly(text: str, unwanted: set[str]):
    got = {e.target for e in expansions([], text, thesaurus_={})}
    assert not unwanted & got
