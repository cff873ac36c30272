"""Property tests (hypothesis) of the code every hostile text goes through: Vietnamese text handling, fact
extraction, search query parsing against a real FTS5 index, and highlighted snippets."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from classify.extract import extract
from core.vntext import bigrams, fold, name_key, normalize, split_name, syllables
from models.session import dispose_all
from search.base import SearchDocument, SearchQuery
from search.fts5 import FTS5Backend, ranking_levels
from search.querytext import parse
from search.snippets import snippet

VIET = ("aàáảãạăằắẳẵặâầấẩẫậeèéẻẽẹêềếểễệiìíỉĩịoòóỏõọôồốổỗộơờớởỡợuùúủũụưừứửữựyỳýỷỹỵđ"
        "AÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬEÈÉẺẼẸÊỀẾỂỄỆIÌÍỈĨỊOÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢUÙÚỦŨỤƯỪỨỬỮỰYỲÝỶỸỴĐbcdghklmnpqrstvx")
# Text that looks like letters and queries, with the characters that break parsers mixed in: quotes, stars,
# FTS5 operators, markup, slashes, combining marks, bidi and zero-width controls, NUL, surrogate-free astral.
FRAGMENTS = st.sampled_from([
    "Tôi tên là ", "Tôi là ông ", "Họ và tên: ", "Người viết đơn: ", "Kính gửi: ", "Đồng kính gửi:\n- ",
    "tố cáo ông ", "khiếu nại Quyết định số ", "1877/QĐ-UBND", "12/2026", "0912 345 678", "+84 912345678",
    "036068004512", "ngày 2 tháng 3 năm 2026", "31/02/2026", "Nguyễn Văn Đức", "Trần Thị Hoà", "K'Thương",
    " (Chủ tịch UBND xã)", "cùng 41 chữ ký khác", "27 hộ dân ký tên", "nặc danh", "\n", "\n\n", ", ", ". ",
    '"', "*", "NEAR(", ")", " AND ", " OR ", " NOT ", "^", ":", "{", "}", "-", "+", "<mark>", "</b>", "&amp;", "<",
    "'", ";", "\\", "/", "\u0301", "\u0323", "\u202e", "\u200b", "\ufeff", "\x00", "\x7f", "İ", "ß", "ǅ", "ﬁ",
    "𝔄𝔅", "😀", "\u3000", "Ⅻ", "²",
])
LETTERLIKE = st.lists(st.one_of(FRAGMENTS, st.text(alphabet=VIET + " .,:;-/0123456789", max_size=12),
                                st.text(max_size=6)), max_size=40).map("".join)
ANY_TEXT = st.one_of(st.text(max_size=200), LETTERLIKE)
# database=None: no example database written into the checkout; the bounds keep the file under ~15 s
FAST = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def _squash(text: str) -> str:
    return " ".join(text.split())


# -- core/vntext --------------------------------------------------------------------------------------------

@FAST
@given(ANY_TEXT)
def test_normalize_is_idempotent_nfc_and_keeps_the_folded_form(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once
    assert unicodedata.is_normalized("NFC", once)
    assert fold(once) == fold(text)


@FAST
@given(ANY_TEXT)
def test_fold_is_idempotent_and_leaves_no_mark_or_d_bar(text: str) -> None:
    folded = fold(text)
    assert fold(folded) == folded
    assert not any(unicodedata.combining(ch) for ch in folded)
    assert "đ" not in folded and "Đ" not in fold(text, lower=False)


@FAST
@given(st.text(alphabet=VIET + " ,.-0123456789", max_size=80))
def test_fold_of_vietnamese_is_ascii(text: str) -> None:
    assert fold(text).isascii() and fold(text, lower=False).isascii()


@FAST
@given(ANY_TEXT)
def test_syllables_are_lower_case_words_of_the_normalised_text(text: str) -> None:
    tokens = syllables(text)
    for token in tokens:
        assert token and re.fullmatch(r"[^\W_]+", token) and token == token.lower()
    assert syllables(normalize(text)) == tokens
    assert len(bigrams(tokens)) == max(0, len(tokens) - 1)


@FAST
@given(ANY_TEXT)
def test_names_split_and_key_consistently(text: str) -> None:
    surname, middle, given_name = split_name(text)
    assert _squash(" ".join(p for p in (surname, middle, given_name) if p)) == _squash(normalize(text))
    key = name_key(text)
    assert name_key(key) == key and key == _squash(key) and key == name_key(fold(text))


# -- classify/extract ---------------------------------------------------------------------------------------

@settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(ANY_TEXT)
def test_extraction_never_raises_and_only_reports_what_the_text_says(text: str) -> None:
    facts = extract(text)
    body = _squash(normalize(text))
    for value in [facts.sender, facts.address, *facts.phones, *facts.decision_numbers, *facts.addressees,
                  *(person["name"] for person in facts.accused)]:
        if value is not None:
            assert _squash(value) in body, value
    assert all(re.fullmatch(r"\d{12}", c) and c in text for c in facts.citizen_ids)
    if facts.letter_date is not None:
        date.fromisoformat(facts.letter_date)
    assert facts.signers >= 1
    assert not (facts.anonymous and facts.sender)
    assert facts.as_dict()["signers"] == facts.signers


def test_extraction_stays_fast_on_adversarial_repetition() -> None:
    """Patterns a regular expression could backtrack on: long runs of name-like words, digits, separators."""
    import time

    for text in ["Ông " + "Anh " * 3000, "Tôi là " + "Nguyễn " * 3000, "0" * 20_000, "1/" * 10_000,
                 "Kính gửi: " + "- \n" * 5000, ("Người làm đơn:\n" + "A, " * 3000), "ngày " * 5000 + "1",
                 "Đ" * 20_000, "tố cáo ông " + "Lê Văn " * 2000 + "(Chủ tịch" + " x" * 5000]:
        started = time.perf_counter()
        extract(text)
        assert time.perf_counter() - started < 2.0, text[:30]


# -- search/querytext + FTS5 ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def fts5(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FTS5Backend]:
    """A real FTS5 index holding two letters (one hostile), so every query must be valid FTS5 syntax."""
    path: Path = tmp_path_factory.mktemp("fuzz-fts5") / "search.sqlite3"
    backend = FTS5Backend(f"sqlite:///{path}")
    backend.index([
        SearchDocument(letter_id=1, register_no="0001/2026", received_date=date(2026, 3, 2),
                       text="Kính gửi Tỉnh ủy. Tôi là Nguyễn Văn Đức, tố cáo ông Lê Văn Tám (Chủ tịch xã).",
                       sender="Nguyễn Văn Đức", accused=["Lê Văn Tám"], phones=["0912345678"],
                       citizen_ids=["036068004512"], decision_numbers=["1877/QĐ-UBND"]),
        SearchDocument(letter_id=2, register_no="0002/2026", received_date=date(2026, 3, 3),
                       text='NEAR(a b) "open * ^col: {x} <script>alert(1)</script> Đoàn Thị Hoà',
                       sender='Đoàn "Thị" Hoà*', accused=['a" OR "b'], address="{names} : x"),
    ])
    yield backend
    backend.close()
    dispose_all()


@settings(max_examples=300, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(ANY_TEXT)
def test_any_query_is_valid_fts5_and_its_snippets_are_html_safe(fts5: FTS5Backend, query: str) -> None:
    parsed = parse(query)
    with fts5.engine.connect() as conn:
        for table, expression in ranking_levels(parsed) if not parsed.empty else []:
            conn.exec_driver_sql(f"SELECT rowid FROM {table} WHERE {table} MATCH ?", (expression,)).all()
    result = fts5.query(SearchQuery(text=query))
    for hit in result.hits:
        _assert_html_safe(hit.snippet)


@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(ANY_TEXT, st.lists(ANY_TEXT, max_size=3))
def test_any_letter_is_indexed_and_finds_its_look_alikes_with_valid_fts5(fts5: FTS5Backend, text: str,
                                                                          names: list[str]) -> None:
    doc = SearchDocument(letter_id=99, register_no="0099/2026", received_date=date(2026, 3, 4), text=text,
                         sender=names[0] if names else None, accused=names[1:],
                         decision_numbers=[n for n in names if "/" in n])
    fts5.index([doc])
    try:
        assert all(isinstance(i, int) for i in fts5.more_like_this(doc))
        assert fts5.get(99).letter_id == 99
        fts5.query(SearchQuery(text=doc.sender or text[:40]))
    finally:
        fts5.delete([99])


# -- search/snippets ------------------------------------------------------------------------------------------

def _assert_html_safe(out: str) -> None:
    plain = out.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in plain and ">" not in plain and '"' not in plain, out
    assert not re.search(r"&(?!(?:amp|lt|gt|quot|#x27);)", plain), out
    assert out.count("<mark>") == out.count("</mark>")
    assert "<mark><mark>" not in out and not re.search(r"<mark>[^<]*<mark>", out)


@settings(max_examples=300, deadline=None, database=None)
@given(ANY_TEXT, ANY_TEXT)
def test_snippets_are_html_safe_and_quote_the_text(text: str, query: str) -> None:
    out = snippet(text, parse(query))
    _assert_html_safe(out)
    shown = html.unescape(out.replace("<mark>", "").replace("</mark>", "")).strip("…").strip()
    assert _squash(shown).replace(" ", "") in _squash(normalize(text)).replace(" ", "")



@settings(max_examples=200, deadline=None, database=None)
@given(ANY_TEXT, ANY_TEXT)
def test_a_snippet_from_the_stored_folded_text_equals_one_that_folds_it_itself(text: str, query: str) -> None:
    stored = normalize(text)  # what the index keeps, with fold(stored) beside it
    assert snippet(stored, parse(query), folded=fold(stored)) == snippet(text, parse(query))


# -- ingest/sniff + ingest/reader: damaged files --------------------------------------------------------------

def _seeds() -> list[tuple[str, bytes]]:
    from tests.hostile_corpus import blank_pdf, jpeg, letter, many_frame_tiff, png, text_pdf

    return [("a.png", png((40, 30), tag="fuzz")), ("a.jpg", jpeg((40, 30), noise=True, tag="fuzz")),
            ("a.tif", many_frame_tiff(2, (20, 20))), ("a.pdf", blank_pdf(tag="fuzz")),
            ("b.pdf", text_pdf(letter(1))), ("a.txt", letter(2).encode("utf-16"))]


SEEDS = _seeds()
EDITS = st.lists(st.tuples(st.floats(0, 1, allow_nan=False), st.integers(0, 255), st.sampled_from(["set", "cut",
                                                                                                    "insert"])),
                 min_size=1, max_size=6)


def _damage(data: bytes, edits: list[tuple[float, int, str]]) -> bytes:
    out = bytearray(data)
    for where, value, how in edits:
        at = min(int(where * len(out)), max(0, len(out) - 1))
        if how == "set" and out:
            out[at] = value
        elif how == "cut":
            del out[at:]
        else:
            out[at:at] = bytes([value]) * (1 + value % 7)
    return bytes(out)


@settings(max_examples=120, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(range(len(SEEDS))), EDITS)
def test_a_damaged_file_is_refused_with_a_code_or_each_page_reads_or_fails_permanently(
        seed: int, edits: list[tuple[float, int, str]]) -> None:
    from ingest.errors import IntakeError, PermanentPageError
    from ingest.reader import read_page
    from ingest.sniff import inspect

    name, original = SEEDS[seed]
    data = _damage(original, edits)
    try:
        info = inspect(data, name, max_bytes=10**7, max_pages=20, max_pixels=10**7)
    except IntakeError as exc:
        assert exc.code in {"empty_file", "unsupported_type", "corrupt_pdf", "encrypted_pdf", "corrupt_image",
                            "image_too_large", "too_many_pages", "bad_text_encoding", "file_too_large"}
        return
    for index in range(info.page_count):
        try:
            reading = read_page(data, info.media_type, index, max_pixels=10**7)
        except PermanentPageError as exc:
            assert exc.code and exc.message
        else:
            assert "\x00" not in reading.text
