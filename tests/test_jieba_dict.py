"""jieba's dictionary read by first character (qa/jieba_dict.py) cuts every text as jieba's own
fully loaded dictionary does: precise, search and full modes, with and without HMM, on the report."""
from __future__ import annotations

import marshal

import jieba
import pytest

from qa import jieba_dict


@pytest.fixture(scope="module")
def lazy(tmp_path_factory):
    """A tokenizer on the lazily read dictionary (built into a temporary cache), beside jieba's own."""
    cache = tmp_path_factory.mktemp("cache")
    freq, total = jieba_dict.load(cache)
    tok = jieba.Tokenizer()
    tok.FREQ, tok.total, tok.initialized = freq, total, True
    full = jieba.Tokenizer()
    full.initialize()
    return tok, full, cache


def test_same_cuts_as_jieba(lazy, report):
    tok, full, _ = lazy
    lines = [line for line in report.text.splitlines() if line.strip()]
    lines += ["今年光谷地区生产总值预期增长多少？", "GDP增长7.5%左右", "", "  ", "A股IPO 20家", "😀光谷🚀", "龘靐齉"]
    for line in lines:
        for hmm in (True, False):
            assert tok.lcut(line, HMM=hmm) == full.lcut(line, HMM=hmm), line[:40]
            assert tok.lcut_for_search(line, HMM=hmm) == full.lcut_for_search(line, HMM=hmm), line[:40]
        assert tok.lcut(line, cut_all=True) == full.lcut(line, cut_all=True), line[:40]
    assert tok.total == full.total


def test_only_the_text_s_groups_are_read(lazy):
    tok = jieba.Tokenizer()
    tok.FREQ, tok.total = jieba_dict.load(lazy[2])
    tok.initialized = True
    tok.lcut("光谷")
    assert 0 < len(tok.FREQ._loaded) <= 3  # 光, 谷 (and nothing else)
    assert "光谷" in tok.FREQ and tok.FREQ.get("光谷") == tok.FREQ["光谷"] > 0


def test_a_word_added_by_hand_is_kept(lazy):
    tok, full, _ = lazy
    tok.add_word("谷光科创大走廊", 5)
    assert tok.FREQ["谷光科创大走廊"] == 5 and "谷光科创大走廊" in tok.lcut("谷光科创大走廊建设")
    assert tok.FREQ["谷"] == full.FREQ["谷"]  # the group read first, so the dictionary's words stay


def test_cache_file_reused_and_a_bad_one_rebuilt(lazy):
    _, full, cache = lazy
    path = jieba_dict.cache_path(cache)
    assert path.is_file()
    path.write_bytes(marshal.dumps(("not", "this")))
    freq, total = jieba_dict.load(cache)
    assert total == full.total and freq.get("光谷") == full.FREQ.get("光谷")
    assert marshal.loads(path.read_bytes())[0] == jieba_dict.FORMAT  # rewritten


def test_install_leaves_a_loaded_jieba_alone(lazy, monkeypatch):
    _, _, cache = lazy
    fresh = jieba.Tokenizer()
    monkeypatch.setattr(jieba, "dt", fresh)
    assert jieba_dict.install(cache) is True and isinstance(fresh.FREQ, jieba_dict.LazyFreq)
    assert jieba_dict.install(cache) is False  # already initialised: nothing replaced
    other = jieba.Tokenizer(dictionary=jieba.get_dict_file().name)
    monkeypatch.setattr(jieba, "dt", other)
    assert jieba_dict.install(cache) is False and not other.initialized


def test_many_groups_read_hand_over_a_plain_dict(lazy, monkeypatch):
    """Past WHOLE_AFTER groups (a long text, an index build) the whole dictionary is read and handed
    over as a plain dict, so that cutting runs at jieba's own speed; the cuts stay the same."""
    _, full, cache = lazy
    monkeypatch.setattr(jieba_dict.LazyFreq, "WHOLE_AFTER", 30)
    tok = jieba.Tokenizer()
    tok.FREQ, tok.total = jieba_dict.load(cache, on_whole=lambda whole: setattr(tok, "FREQ", whole))
    tok.initialized = True
    text = "今年光谷地区生产总值预期增长多少我们将加快建设世界一流科技园区推动高质量发展打造创新策源地"
    assert tok.lcut(text) == full.lcut(text)
    assert type(tok.FREQ) is dict and len(tok.FREQ) == len(full.FREQ)
    assert tok.lcut_for_search(text) == full.lcut_for_search(text)
