"""What is particular to the FTS5 backend: where its index lives, shared transactions, and the queries it builds."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from core.settings import Settings
from ingest.services import Services
from models import Letter
from search.base import SearchDocument
from search.factory import fts5_url, open_backend
from search.fts5 import FTS5Backend, adjacent_expression, exact_expression, match_expression, ranking_levels
from search.querytext import parse


def test_the_index_shares_the_sqlite_database_and_a_private_file_beside_postgresql(tmp_path: Path) -> None:
    sqlite = Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path}/donthu.sqlite3", redis_url=None)
    assert fts5_url(sqlite) == sqlite.database_url
    pg = Settings(data_dir=tmp_path, database_url="postgresql+psycopg://u@h/db", redis_url=None)
    assert fts5_url(pg) == f"sqlite:///{tmp_path.resolve()}/search.sqlite3"
    assert isinstance(open_backend(pg), FTS5Backend)
    with pytest.raises(ValueError, match="DONTHU_SEARCH_URL"):
        open_backend(Settings(data_dir=tmp_path, database_url="sqlite://", redis_url=None, search_url="solr://x"))


def _doc(letter_id: int) -> SearchDocument:
    return SearchDocument(letter_id=letter_id, register_no="0001/2026", received_date=date(2026, 1, 1),
                          text="Nguyễn Thị Mến khiếu nại", sender="Nguyễn Thị Mến")


def test_an_index_write_in_a_failed_database_transaction_is_rolled_back_with_it(svc: Services) -> None:
    if not svc.db.url.startswith("sqlite"):
        pytest.skip("with PostgreSQL the index is a separate SQLite file")
    from ingest.intake import register_file

    letter_id = register_file(svc, b"Don thu so mot", "a.txt").letter_id
    with pytest.raises(RuntimeError), svc.db.write() as session:
        session.get(Letter, letter_id).channel = "press"
        svc.search.index([_doc(letter_id)], session=session)
        raise RuntimeError("the request failed after indexing")
    assert svc.search.get(letter_id) is None
    with svc.db.write() as session:
        session.get(Letter, letter_id).channel = "press"
        svc.search.index([_doc(letter_id)], session=session)
    assert svc.search.get(letter_id).sender == "Nguyễn Thị Mến"


def test_queries_become_fts5_expressions_on_the_folded_columns() -> None:
    parsed = parse('Nguyễn đức* "giải phóng" 0912345678')
    assert match_expression(parsed) == ('{names_f body_f} : ("nguyen" AND "duc"* AND "giai phong") '
                                        'AND ids : "tel0912345678"')
    assert exact_expression(parsed) == '{names body} : ("nguyễn" AND "đức"* AND "giải phóng")'
    assert exact_expression(parse("nguyen van")) is None
    assert adjacent_expression(parse("nguyen van thang")) == '{names_f body_f} : "nguyen van thang"'
    assert adjacent_expression(parse("thang")) is None


def test_ranking_asks_names_first_then_words_side_by_side_then_accents_then_anywhere() -> None:
    assert ranking_levels(parse("Nguyễn Văn Đức")) == [
        ("search_names", '{names} : ("nguyễn" AND "văn" AND "đức")'),
        ("search_names", 'names_f : ("nguyen" AND "van" AND "duc")'),
        ("search_fts", '{names_f body_f} : "nguyen van duc"'),
        ("search_fts", '{names body} : ("nguyễn" AND "văn" AND "đức")'),
        ("search_fts", '{names_f body_f} : ("nguyen" AND "van" AND "duc")'),
    ]
    assert [t for t, _ in ranking_levels(parse("nguyen"))] == ["search_names", "search_fts"]
    # a phrase or an identifier must match the letter itself: only the query
    assert ranking_levels(parse('"van duc" 0912345678')) == [("search_fts", match_expression(parse('"van duc" 0912345678')))]


def test_a_quote_in_a_word_cannot_break_out_of_the_expression(tmp_path: Path) -> None:
    backend = FTS5Backend(f"sqlite:///{tmp_path}/s.sqlite3")
    backend.index([_doc(1)])
    assert backend.query(parse_query('men" OR "x')).total == 0  # words, not FTS5 syntax: "or" and "x" must match
    assert backend.query(parse_query('mến"')).total == 1  # an unclosed quote is no error
    assert backend.query(parse_query("NEAR(men) *")).total == 0  # "near" is a word to find here, not an operator


def parse_query(text: str):  # noqa: ANN201
    from search.base import SearchQuery

    return SearchQuery(text=text)
