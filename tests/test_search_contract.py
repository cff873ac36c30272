"""The contract both search backends keep: SQLite FTS5 always, Elasticsearch when DONTHU_TEST_ES_URL is set."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from search.base import SearchBackend, SearchDocument, SearchQuery


def _es_backend() -> SearchBackend:
    url = os.environ.get("DONTHU_TEST_ES_URL")
    if not url:
        pytest.skip("DONTHU_TEST_ES_URL is not set: no Elasticsearch server to test against")
    from search.elastic import ElasticBackend

    return ElasticBackend(url, alias=f"donthu-test-{uuid.uuid4().hex[:8]}")


@pytest.fixture(params=["fts5", "elasticsearch"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SearchBackend]:
    if request.param == "fts5":
        from search.fts5 import FTS5Backend

        engine: SearchBackend = FTS5Backend(f"sqlite:///{tmp_path / 'search.sqlite3'}")
    else:
        engine = _es_backend()
    engine.index(LETTERS)
    yield engine
    engine.clear()
    if request.param == "elasticsearch":  # leave nothing behind on a shared server
        engine.client.indices.delete(index=f"{engine.alias}-v*", ignore_unavailable=True)
    engine.close()


def _doc(letter_id: int, day: int, text: str, **facts) -> SearchDocument:  # noqa: ANN003
    return SearchDocument(letter_id=letter_id, register_no=f"{letter_id:04d}/2026", received_date=date(2026, 3, day),
                          text=text, **facts)


LETTERS = [
    _doc(1, 2, "Tôi là Nguyễn Văn Đức, trú tại xóm Cầu Đá, xã Phú Bình. Tôi khiếu nại Quyết định số 1877/QĐ-UBND "
               "về bồi thường giải phóng mặt bằng.", sender="Nguyễn Văn Đức", address="xóm Cầu Đá, xã Phú Bình",
         phones=["0912345678"], citizen_ids=["019063001245"], decision_numbers=["1877/QĐ-UBND"], type="khieu_nai",
         agency="UBND_TINH", field="dat_dai", status="ocr_done", channel="post", text_hash="h1"),
    _doc(2, 5, "Tôi là Nguyễn Văn Dục, tố cáo ông Trần Văn Hùng, Chủ tịch UBND xã, nhận tiền của các hộ dân.",
         sender="Nguyễn Văn Dục", accused=["Trần Văn Hùng"], type="to_cao", agency="UBKT_TU",
         field="tham_nhung", status="ocr_done", channel="in_person", dossier_id=7, text_hash="h2"),
    _doc(3, 9, "Bà Đoàn Thị Hòa phản ánh ô nhiễm từ trại lợn ở thôn Hòa Bình, nước thải chảy ra suối.",
         sender="Đoàn Thị Hòa", type="phan_anh", agency="SO_NN", field="khac", status="ocr_done",
         channel="post", text_hash="h3"),
    _doc(4, 12, "Ông Doãn Văn Lâm kiến nghị sửa chữa cầu treo Khe Giao; học sinh đi qua cầu rất nguy hiểm.",
         sender="Doãn Văn Lâm", type="kien_nghi", agency="UBND_XA", field="khac", status="ocr_done",
         channel="post", text_hash="h4"),
    _doc(5, 20, "Gửi lại lần 2: Nguyễn Văn Đức khiếu nại Quyết định 1877/QĐ-UBND, bồi thường giải phóng mặt bằng "
                "chưa được giải quyết. Cầu <b>Đá</b> & xóm.", sender="Nguyễn Văn Đức", phones=["0912345678"],
         decision_numbers=["1877/QĐ-UBND"], type="khieu_nai", agency="UBND_TINH", field="dat_dai",
         status="ocr_done", channel="post", text_hash="h1"),
]


def _ids(backend: SearchBackend, text: str = "", **filters) -> list[int]:  # noqa: ANN003
    return [h.letter_id for h in backend.query(SearchQuery(text=text, **filters)).hits]


@pytest.mark.parametrize("typed", ["Nguyen Van Duc", "nguyễn văn đức", "NGUYỄN VĂN ĐỨC", "nguyen van đuc"])
def test_a_name_is_found_however_it_is_typed(backend: SearchBackend, typed: str) -> None:
    assert 1 in _ids(backend, typed)[:3]


def test_accented_exact_matches_rank_before_folded_ones(backend: SearchBackend) -> None:
    assert _ids(backend, "Nguyễn Văn Dục")[0] == 2  # Đức folds to the same letters
    assert _ids(backend, "Nguyễn Văn Đức")[0] in (1, 5)
    assert _ids(backend, "Doãn")[0] == 4 and _ids(backend, "Đoàn")[0] == 3  # folding merges Đoàn/Doãn
    assert set(_ids(backend, "doan")) >= {3, 4}


def test_tone_placement_variants_match(backend: SearchBackend) -> None:
    assert 3 in _ids(backend, "Đoàn Thị Hoà") and 3 in _ids(backend, "hòa bình")


def test_partial_names_find_the_person(backend: SearchBackend) -> None:
    assert 4 in _ids(backend, "Lâm")
    assert _ids(backend, "Doãn Lâm")[0] == 4  # surname and given name, middle name left out


def test_quoted_phrases_match_words_side_by_side(backend: SearchBackend) -> None:
    assert set(_ids(backend, '"giai phong mat bang"')) == {1, 5}
    assert _ids(backend, '"mat bang giai phong"') == []


def test_a_trailing_star_matches_prefixes(backend: SearchBackend) -> None:
    assert set(_ids(backend, "ô nhi*")) == {3}
    assert set(_ids(backend, "boi thu*")) == {1, 5}


@pytest.mark.parametrize("typed, expected", [
    ("019063001245", {1}),  # citizen ID
    ("0912 345 678", {1, 5}),  # phone typed with spaces
    ("+84912345678", {1, 5}),
    ("0004/2026", {4}),  # register number
    ("4/2026", {4}),
    ("1877/qd-ubnd", {1, 5}),  # decision number, without diacritics
])
def test_identifiers_are_looked_up_exactly(backend: SearchBackend, typed: str, expected: set[int]) -> None:
    assert set(_ids(backend, typed)) == expected


def test_extracted_facts_are_searchable(backend: SearchBackend) -> None:
    assert _ids(backend, "Tran Van Hung")[0] == 2  # the accused
    assert 1 in _ids(backend, "Cầu Đá Phú Bình")  # the address


def test_filters_narrow_the_hits(backend: SearchBackend) -> None:
    assert set(_ids(backend, "nguyen", type="khieu_nai")) == {1, 5}
    assert set(_ids(backend, "nguyen", agency="UBKT_TU")) == {2}
    assert set(_ids(backend, "", field="khac")) == {3, 4}
    assert set(_ids(backend, "", channel="in_person")) == {2}
    assert set(_ids(backend, "", dossier_id=7)) == {2}
    assert set(_ids(backend, "", status="ocr_done")) == {1, 2, 3, 4, 5}
    assert set(_ids(backend, "", date_from=date(2026, 3, 5), date_to=date(2026, 3, 12))) == {2, 3, 4}


def test_an_empty_query_lists_newest_first_and_date_sort_orders_hits(backend: SearchBackend) -> None:
    assert _ids(backend) == [5, 4, 3, 2, 1]
    assert _ids(backend, "nguyen", sort="date") == [5, 2, 1]


def test_pages_split_the_hits_and_total_counts_them_all(backend: SearchBackend) -> None:
    first = backend.query(SearchQuery(limit=2))
    second = backend.query(SearchQuery(limit=2, offset=2))
    assert first.total == second.total == 5
    assert [h.letter_id for h in first.hits + second.hits] == [5, 4, 3, 2]


def test_hits_carry_a_relative_score_and_a_marked_escaped_snippet(backend: SearchBackend) -> None:
    result = backend.query(SearchQuery(text="cau da"))
    assert result.hits[0].score == 1.0 and all(0 < h.score <= 1.0 for h in result.hits)
    hit = next(h for h in result.hits if h.letter_id == 5)
    assert "<mark>Đá</mark>" in hit.snippet or "<mark>Cầu</mark>" in hit.snippet
    assert "<b>" not in hit.snippet and "&amp;" in hit.snippet  # the letter's own markup is escaped
    assert hit.register_no == "0005/2026" and hit.sender == "Nguyễn Văn Đức"
    assert hit.received_date == date(2026, 3, 20)


def test_documents_are_replaced_deleted_and_read_back(backend: SearchBackend) -> None:
    changed = _doc(4, 12, "Ông Doãn Văn Lâm kiến nghị làm lại đường liên thôn.", sender="Doãn Văn Lâm",
                   type="kien_nghi", agency="UBND_XA", field="khac", status="ocr_done", channel="post")
    backend.index([changed])
    assert _ids(backend, "cau treo") == [] and _ids(backend, "duong lien thon") == [4]
    assert backend.get(4).text.startswith("Ông Doãn Văn Lâm kiến nghị làm lại")
    backend.delete([4, 999])
    assert backend.get(4) is None and 4 not in _ids(backend) and backend.count() == 4
    assert backend.ids() == {1, 2, 3, 5}
    assert set(backend.get_many([1, 2, 4])) == {1, 2}
    assert backend.get(1).decision_numbers == ["1877/QĐ-UBND"] and backend.get(1).phones == ["0912345678"]


def test_more_like_this_finds_earlier_letters_of_the_matter_and_never_the_letter_itself(
        backend: SearchBackend) -> None:
    doc = backend.get(5)
    similar = backend.more_like_this(doc, limit=5)
    assert similar and similar[0] == 1 and 5 not in similar
    assert backend.more_like_this(backend.get(1), limit=5, before_id=1) == []


def test_same_text_finds_letters_with_the_same_normalised_text(backend: SearchBackend) -> None:
    assert backend.same_text("h1") == [1, 5]
    assert backend.same_text("h1", before_id=5) == [1]
    assert backend.same_text("nothing") == []


def test_a_rebuild_replaces_the_index_while_queries_go_on(backend: SearchBackend) -> None:
    target = backend.start_rebuild()
    backend.index_into(target, LETTERS[:2])
    assert 3 in _ids(backend, "Đoàn")  # still answering from the live index
    backend.finish_rebuild(target)
    backend.delete(backend.ids() - {1, 2})
    assert backend.ids() == {1, 2}
