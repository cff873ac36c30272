"""The Vietnamese text module: normalisation, folding (đ included), syllables and names."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from core.vntext import bigrams, fold, has_diacritics, name_key, normalize, split_name, syllables

VIETNAMESE = st.text(alphabet=st.sampled_from(list(
    "aàáảãạăằắẳẵặâầấẩẫậeèéẻẽẹêềếểễệiìíỉĩịoòóỏõọôồốổỗộơờớởỡợuùúủũụưừứửữựyỳýỷỹỵđ"
    "AÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬEÈÉẺẼẸÊỀẾỂỄỆIÌÍỈĨỊOÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢUÙÚỦŨỤƯỪỨỬỮỰYỲÝỶỸỴĐ"
    "bcdghklmnpqrstvx ,.-0123456789")), max_size=60)


def test_old_tone_placement_becomes_new() -> None:
    assert normalize("hoà bình") == "hòa bình"
    assert normalize("Thuý") == "Thúy" and normalize("khoẻ") == "khỏe" and normalize("HOÀ") == "HÒA"
    assert normalize("hoàng") == "hoàng"  # a final consonant keeps the tone on a
    assert normalize("quý") == "quý" and normalize("quỳnh") == "quỳnh"  # qu is a consonant


def test_decomposed_input_comes_out_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "Nguyễn Văn Đức")
    assert normalize(decomposed) == "Nguyễn Văn Đức"


def test_fold_strips_every_mark_including_d_bar() -> None:
    assert fold("NGUYỄN VĂN ĐỨC") == "nguyen van duc"
    assert fold("Đoàn") == fold("Doãn") == "doan"
    assert fold("Đà Nẵng", lower=False) == "Da Nang"


def test_syllables_and_bigrams() -> None:
    tokens = syllables("Giải phóng mặt bằng, QĐ số 123/QĐ-UBND")
    assert tokens[:4] == ["giải", "phóng", "mặt", "bằng"] and "123" in tokens
    assert bigrams(["giải", "phóng", "mặt"]) == ["giải phóng", "phóng mặt"]


def test_names() -> None:
    assert split_name("Nguyễn Thị Minh Khai") == ("Nguyễn", "Thị Minh", "Khai")
    assert split_name("Pán") == ("", "", "Pán")
    assert name_key("  Nguyễn   Văn  Đức ") == name_key("nguyen van duc") == "nguyen van duc"
    assert has_diacritics("Đức") and not has_diacritics("Duc")


@given(VIETNAMESE)
def test_normalize_is_idempotent_and_nfc(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once and unicodedata.is_normalized("NFC", once)


@given(VIETNAMESE)
def test_fold_leaves_only_ascii_for_vietnamese_letters(text: str) -> None:
    folded = fold(text)
    assert folded.isascii() and fold(folded) == folded
    assert fold(normalize(text)) == folded  # tone placement never changes the folded form


def _fold_reference(text: str, lower: bool) -> str:
    """The definition: decompose, drop every combining mark, đ → d, recompose."""
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).replace("đ", "d").replace("Đ", "D")
    stripped = unicodedata.normalize("NFC", stripped)
    return stripped.lower() if lower else stripped


@given(st.text(max_size=40) | VIETNAMESE, st.booleans())
def test_fold_a_character_at_a_time_equals_folding_the_whole_text(text: str, lower: bool) -> None:
    assert fold(text, lower=lower) == _fold_reference(text, lower)


def test_fold_of_decomposed_marks_and_composing_scripts_matches_the_definition() -> None:
    for text in ("e\u0301", "Nguye\u0302\u0303n", "\u1100\u1161", "ǅ", "İ", "“Hòa” – …"):
        assert fold(text) == _fold_reference(text, True), text
