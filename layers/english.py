"""English names for places and carriers where staff have given none: the name's generic words
translated (工业园 → Industrial Park, 地块 → Plot, a final 县 → County) and the rest in pinyin, two
syllables to a word, as Chinese place names are written in English (云浮新区 → "Yunfu New Area",
新兴宁桥工业园 → "Xinxing Ningqiao Industrial Park"). Letters and digits in a name are kept.

Records fill ``name_en`` from this on save when it is blank (``EnglishNamed``); the demo city
writes it in bulk; an English name typed in the admin always wins.
"""

from __future__ import annotations

import re

from pypinyin import lazy_pinyin

# Generic words, translated wherever they stand (longest first: 工业园区 before 园区).
TERMS: dict[str, str] = {
    "高新技术产业开发区": "High-tech Industrial Development Zone",
    "经济技术开发区": "Economic and Technological Development Zone",
    "经济开发区": "Economic Development Zone",
    "产业转移工业园": "Industrial Transfer Park",
    "工业园区": "Industrial Park",
    "工业园": "Industrial Park",
    "产业园": "Industrial Park",
    "科技园": "Science Park",
    "物流园": "Logistics Park",
    "园区": "Park",
    "新区": "New Area",
    "街道": "Subdistrict",
    "社区": "Community",
    "标准厂房": "Standard Factory",
    "厂房": "Factory",
    "写字楼": "Office Building",
    "孵化器": "Incubator",
    "仓库": "Warehouse",
    "大厦": "Tower",
    "地块": "Plot",
    "高速铁路": "High-speed Railway",
    "铁路": "Railway",
    "高速": "Expressway",
    "公路": "Road",
}
# One-character endings of place names, translated only at the very end (云城区, not 城区 inside).
ENDINGS: dict[str, str] = {
    "区": "District",
    "县": "County",
    "市": "City",
    "镇": "Town",
    "乡": "Township",
    "村": "Village",
}
_TERM = re.compile("(" + "|".join(sorted(TERMS, key=len, reverse=True)) + ")")
_HAN = re.compile(r"[\u3400-\u9fff]+")
_NUMBER_MARK = re.compile(r"(?<=[0-9A-Za-z])号")  # 07-1号地块: the number needs no 号 in English


def _words(han: str) -> list[str]:
    """Pinyin of a run of characters, two syllables to a word (an odd last one joins the word
    before it): 新兴宁桥 → Xinxing Ningqiao, 云浮 → Yunfu, 罗定 → Luoding."""
    syllables = lazy_pinyin(han)
    sizes = [2] * (len(syllables) // 2)
    if len(syllables) % 2:
        sizes = [*sizes[:-1], 3] if sizes else [1]
    words, at = [], 0
    for size in sizes:
        # A syllable that starts with a, o or e takes an apostrophe inside a word: 云安 Yun'an, not
        # Yunan (郁南).
        word = syllables[at]
        for syllable in syllables[at + 1 : at + size]:
            word += ("'" if syllable[:1] in "aoe" else "") + syllable
        words.append(word.capitalize())
        at += size
    return words


def _spelt(text: str) -> list[str]:
    """Words of a piece with no generic term: pinyin for characters, letters and digits kept."""
    parts: list[str] = []
    at = 0
    for run in _HAN.finditer(text):
        parts.extend(text[at : run.start()].split())
        parts.extend(_words(run.group()))
        at = run.end()
    parts.extend(text[at:].split())
    return parts


def english_name(name: str) -> str:
    """The English form of a Chinese name (see the module's docstring); "" for ""."""
    pieces = [p for p in _TERM.split(_NUMBER_MARK.sub("", name.strip())) if p]
    words: list[str] = []
    for i, piece in enumerate(pieces):
        if piece in TERMS:
            words.append(TERMS[piece])
        elif i == len(pieces) - 1 and len(piece) > 1 and piece[-1] in ENDINGS:
            words.extend([*_spelt(piece[:-1]), ENDINGS[piece[-1]]])
        else:
            words.extend(_spelt(piece))
    return " ".join(words)
