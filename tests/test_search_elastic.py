"""The Elasticsearch backend without a server: the mapping, the query builders, reading responses, and the
alias swap against a small fake client. tests/test_search_contract.py runs the backend against a real server."""

from __future__ import annotations

import fnmatch
import json
from datetime import date
from typing import Any

import pytest

import search.elastic as es
from search.base import SearchDocument, SearchQuery
from search.elastic import (
    EXACT_BOOST,
    ElasticBackend,
    build_more_like_this,
    build_same_text,
    build_search,
    doc_body,
    docs_from_mget,
    hits_from_response,
    index_body,
    live_indices,
    next_index,
    rebuild_targets,
    swap_actions,
)

ALIAS = "donthu-letters"


def _doc(letter_id: int = 5, **values: Any) -> SearchDocument:
    base: dict[str, Any] = {"register_no": f"{letter_id:04d}/2026", "received_date": date(2026, 3, 20),
                            "text": "Nguyễn Văn Đức khiếu nại Quyết định 1877/QĐ-UBND về bồi thường."}
    base.update(values)
    return SearchDocument(letter_id=letter_id, **base)


def _walk(node: Any) -> list[dict[str, Any]]:
    """Every dict inside a query body, depth first."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        found.append(node)
        for value in node.values():
            found += _walk(value)
    elif isinstance(node, list):
        for value in node:
            found += _walk(value)
    return found


def _clauses(node: Any, kind: str) -> list[dict[str, Any]]:
    """The bodies of every ``kind`` clause (``term``, ``multi_match``, ...) inside ``node``."""
    return [d[kind] for d in _walk(node) if kind in d and isinstance(d[kind], dict)]


def _bool(text: str, **params: Any) -> dict[str, Any]:
    return build_search(SearchQuery(text=text, **params))["query"]["bool"]


# -- the mapping -------------------------------------------------------------------------------------------------
def test_the_folding_analyzer_keeps_the_original_token_and_folds_with_asciifolding() -> None:
    analysis = index_body()["settings"]["analysis"]
    folded = analysis["analyzer"]["vi_folded"]
    assert folded["tokenizer"] == "standard" and folded["filter"][0] == "lowercase"
    fold_filter = analysis["filter"][folded["filter"][1]]
    # asciifolding is what folds đ → d (it has no Unicode decomposition); preserve_original keeps "nguyễn" too
    assert fold_filter == {"type": "asciifolding", "preserve_original": True}


def test_the_exact_analyzer_keeps_accents_and_the_plain_folded_one_drops_them() -> None:
    analyzers = index_body()["settings"]["analysis"]["analyzer"]
    assert analyzers["vi_exact"]["filter"] == ["lowercase"]
    assert analyzers["vi_plain_folded"]["filter"] == ["lowercase", "asciifolding"]


def test_the_edge_analyzer_makes_folded_prefixes_of_two_to_fifteen_characters() -> None:
    analysis = index_body()["settings"]["analysis"]
    edge = analysis["analyzer"]["vi_edge"]
    assert edge["filter"][:2] == ["lowercase", "asciifolding"]
    assert analysis["filter"][edge["filter"][2]] == {"type": "edge_ngram", "min_gram": 2, "max_gram": 15}


@pytest.mark.parametrize("name", ["sender", "accused", "address"])
def test_name_fields_are_folded_with_keyword_exact_and_edge_ngram_subfields(name: str) -> None:
    field = index_body()["mappings"]["properties"][name]
    assert field["type"] == "text" and field["analyzer"] == "vi_folded"
    assert field["fields"]["keyword"]["type"] == "keyword"
    assert field["fields"]["exact"] == {"type": "text", "analyzer": "vi_exact"}
    assert field["fields"]["edge"] == {"type": "text", "analyzer": "vi_edge", "search_analyzer": "vi_plain_folded"}


def test_the_text_is_folded_with_an_exact_subfield_and_the_document_is_stored_unindexed() -> None:
    props = index_body()["mappings"]["properties"]
    assert props["text"]["analyzer"] == "vi_folded"
    assert props["text"]["fields"]["exact"] == {"type": "text", "analyzer": "vi_exact"}
    assert props["doc"] == {"type": "object", "enabled": False}


def test_identifiers_and_filters_are_keywords_dates_and_numbers() -> None:
    props = index_body()["mappings"]["properties"]
    for name in ("register_no", "phones", "citizen_ids", "decision_numbers_canon", "type", "agency", "field",
                 "status", "channel", "text_hash"):
        assert props[name] == {"type": "keyword"}, name
    assert props["received_date"]["type"] == "date"
    assert props["letter_id"]["type"] == props["dossier_id"]["type"] == "long"


def test_the_indexed_body_has_normalised_text_and_canonical_identifiers() -> None:
    doc = _doc(4, register_no="4/2026", text="Bà Hoà  ở  thôn", sender="Đoàn Thị Hoà", phones=["+84 912 345 678"],
               citizen_ids=["019063001245"], decision_numbers=["1877/QĐ-UBND"], accused=["Trần Văn Hùng"])
    body = doc_body(doc)
    assert body["text"] == "Bà Hòa  ở  thôn" and body["sender"] == "Đoàn Thị Hòa"  # new tone placement
    assert body["phones"] == ["0912345678"] and body["citizen_ids"] == ["019063001245"]
    assert body["decision_numbers_canon"] == ["1877/QD-UBND"]
    assert body["register_no"] == "0004/2026"  # the form the query parser produces for "4/2026"
    assert body["received_date"] == "2026-03-20" and body["letter_id"] == 4
    assert SearchDocument.from_json(body["doc"]) == doc  # get() rebuilds the document as it was given
    json.dumps(body)  # plain JSON all the way down


def test_a_register_number_that_is_not_seq_slash_year_is_kept_as_given() -> None:
    assert doc_body(_doc(register_no="KN-17"))["register_no"] == "KN-17"


# -- query building ----------------------------------------------------------------------------------------------
def test_every_word_must_match_folded_in_the_text_or_the_names() -> None:
    must = _bool("Nguyen van")["must"]
    assert [c["multi_match"]["query"] for c in must] == ["nguyen", "van"]
    assert must[0]["multi_match"]["fields"] == ["text", "sender^3", "accused^2", "address"]


def test_an_accented_word_is_required_folded_and_adds_a_boosted_exact_clause() -> None:
    query = _bool("Nguyễn Đức")
    assert [c["multi_match"]["query"] for c in query["must"]] == ["nguyen", "duc"]
    exact = [c["multi_match"] for c in query["should"]]
    assert [c["query"] for c in exact] == ["nguyễn", "đức"]
    assert all(c["boost"] == EXACT_BOOST >= 10 for c in exact)
    assert {f.split("^")[0] for f in exact[0]["fields"]} >= {"text.exact", "sender.exact", "accused.exact"}


def test_an_unaccented_word_adds_no_exact_clause() -> None:
    assert _bool("nguyen van duc")["should"] == []


def test_only_the_accented_words_of_a_query_get_exact_clauses() -> None:
    assert [c["multi_match"]["query"] for c in _bool("nguyen Đức")["should"]] == ["đức"]


def test_a_quoted_phrase_must_match_as_a_folded_phrase() -> None:
    query = _bool('"giải phóng mặt bằng"')
    phrase = query["must"][0]["multi_match"]
    assert phrase["type"] == "phrase" and phrase["query"] == "giai phong mat bang"
    assert {"text", "sender^3", "accused^2"} <= set(phrase["fields"])
    exact = query["should"][0]["multi_match"]
    assert exact["type"] == "phrase" and exact["query"] == "giải phóng mặt bằng" and exact["boost"] == EXACT_BOOST
    assert all(f.split("^")[0].endswith(".exact") for f in exact["fields"])


def test_an_unaccented_phrase_adds_no_exact_phrase() -> None:
    assert _bool('"giai phong"')["should"] == []


def test_a_trailing_star_asks_for_a_folded_prefix_in_the_text_and_edge_ngrams_of_names() -> None:
    clause = _bool("nhiê*")["must"][0]["bool"]
    assert clause["minimum_should_match"] == 1
    assert {"text": {"value": "nhie"}} in _clauses(clause, "prefix")
    edges = {field: body["query"] for match in _clauses(clause, "match") for field, body in match.items()}
    assert edges == {"sender.edge": "nhie", "accused.edge": "nhie", "address.edge": "nhie"}


def test_an_accented_prefix_adds_boosted_exact_prefixes() -> None:
    exact = _bool("nhiê*")["should"][0]["bool"]
    assert exact["boost"] == EXACT_BOOST
    assert {"text.exact": {"value": "nhiê"}} in _clauses(exact, "prefix")


def test_a_prefix_longer_than_the_edge_ngrams_uses_prefix_queries_on_names() -> None:
    clause = _bool("abcdefghijklmnopq*")["must"][0]["bool"]
    assert not _clauses(clause, "match")
    assert {f for p in _clauses(clause, "prefix") for f in p} == {"text", "sender", "accused", "address"}


@pytest.mark.parametrize("typed, field, value", [
    ("019063001245", "citizen_ids", "019063001245"),
    ("0912 345 678", "phones", "0912345678"),
    ("+84912345678", "phones", "0912345678"),
    ("4/2026", "register_no", "0004/2026"),
    ("1877/qđ-ubnd", "decision_numbers_canon", "1877/QD-UBND"),
])
def test_each_identifier_kind_must_match_its_keyword_field_in_canonical_form(typed: str, field: str,
                                                                             value: str) -> None:
    assert _bool(typed)["must"] == [{"term": {field: value}}]


def test_filters_are_terms_and_an_inclusive_date_range() -> None:
    query = _bool("nguyen", type="khieu_nai", agency="UBND_TINH", field="dat_dai", status="ocr_done",
                  channel="post", dossier_id=7, date_from=date(2026, 3, 5), date_to=date(2026, 3, 12))
    assert query["filter"] == [
        {"term": {"type": "khieu_nai"}}, {"term": {"agency": "UBND_TINH"}}, {"term": {"field": "dat_dai"}},
        {"term": {"status": "ocr_done"}}, {"term": {"channel": "post"}}, {"term": {"dossier_id": 7}},
        {"range": {"received_date": {"gte": "2026-03-05", "lte": "2026-03-12"}}},
    ]


def test_an_open_ended_date_range_has_one_bound() -> None:
    assert _bool("", date_from=date(2026, 1, 1))["filter"] == [{"range": {"received_date": {"gte": "2026-01-01"}}}]


def test_relevance_sorts_by_score_then_newest_and_tracks_scores() -> None:
    body = build_search(SearchQuery(text="nguyen"))
    assert body["sort"] == ["_score", {"received_date": "desc"}, {"letter_id": "desc"}]
    assert body["track_scores"] is True and body["track_total_hits"] is True


def test_date_sort_orders_hits_newest_first() -> None:
    body = build_search(SearchQuery(text="nguyen", sort="date"))
    assert body["sort"] == [{"received_date": "desc"}, {"letter_id": "desc"}]
    assert body["track_scores"] is False


def test_pagination_maps_offset_and_limit_to_from_and_size() -> None:
    body = build_search(SearchQuery(text="nguyen", limit=7, offset=14))
    assert (body["from_"], body["size"]) == (14, 7)


def test_an_empty_query_lists_the_filtered_letters_newest_first() -> None:
    body = build_search(SearchQuery(text="  ", channel="post"))
    assert body["query"] == {"bool": {"must": [{"match_all": {}}], "filter": [{"term": {"channel": "post"}}]}}
    assert body["sort"] == [{"received_date": "desc"}, {"letter_id": "desc"}]
    assert "highlight_query" not in body["highlight"]


def test_highlights_are_marked_escaped_fragments_of_the_folded_query() -> None:
    body = build_search(SearchQuery(text="Nguyễn 0912345678"))
    highlight = body["highlight"]
    assert highlight["pre_tags"] == ["<mark>"] and highlight["post_tags"] == ["</mark>"]
    assert highlight["encoder"] == "html" and highlight["require_field_match"] is False
    assert highlight["number_of_fragments"] == 1 and 120 <= highlight["fragment_size"] <= 200
    assert set(highlight["fields"]) == {"text", "sender", "accused"}
    # the required (folded) clauses, not the exact-accent ones, so "Nguyen" in a letter is marked too
    assert highlight["highlight_query"] == {"bool": {"should": body["query"]["bool"]["must"]}}
    assert not _clauses(highlight["highlight_query"], "multi_match")[0]["fields"][0].endswith(".exact")


def test_the_search_body_fits_the_client_search_signature() -> None:
    import inspect

    from elasticsearch import Elasticsearch

    accepted = set(inspect.signature(Elasticsearch.search).parameters)
    assert set(build_search(SearchQuery(text="nguyen"))) <= accepted
    assert set(build_more_like_this(_doc(), 5, None)) <= accepted
    assert set(build_same_text("h1", None)) <= accepted


# -- reading responses -------------------------------------------------------------------------------------------
def _hit(letter_id: int, score: float | None, highlight: dict[str, list[str]] | None = None,
         text: str | None = None) -> dict[str, Any]:
    source: dict[str, Any] = {"doc": {"letter_id": letter_id, "register_no": f"{letter_id:04d}/2026",
                                      "sender": "Nguyễn Văn Đức", "received_date": "2026-03-20"}}
    if text is not None:
        source["text"] = text
    hit: dict[str, Any] = {"_id": str(letter_id), "_score": score, "_source": source}
    if highlight is not None:
        hit["highlight"] = highlight
    return hit


def _response(hits: list[dict[str, Any]], total: int = 42, max_score: float | None = 8.0) -> dict[str, Any]:
    return {"hits": {"total": {"value": total, "relation": "eq"}, "max_score": max_score, "hits": hits}}


def test_scores_are_relative_to_the_best_hit_and_rounded_to_four_places() -> None:
    result = hits_from_response(_response([_hit(5, 8.0), _hit(1, 2.66666), _hit(3, 0.0000001)]))
    assert result.total == 42
    assert [h.score for h in result.hits] == [1.0, 0.3333, 0.0001]  # never 0: every hit matched something


def test_unscored_hits_of_a_date_sort_or_listing_all_score_one() -> None:
    result = hits_from_response(_response([_hit(5, None), _hit(4, None)], max_score=None))
    assert [h.score for h in result.hits] == [1.0, 1.0]


def test_a_hit_carries_the_stored_register_number_sender_and_date() -> None:
    hit = hits_from_response(_response([_hit(5, 8.0)])).hits[0]
    assert (hit.letter_id, hit.register_no, hit.sender, hit.received_date) == (
        5, "0005/2026", "Nguyễn Văn Đức", date(2026, 3, 20))


def test_the_snippet_prefers_a_marked_text_fragment_then_the_names() -> None:
    text_first = {"text": ["về <mark>bồi</mark> thường"], "sender": ["<mark>Nguyễn</mark> Văn Đức"]}
    assert hits_from_response(_response([_hit(5, 1.0, text_first)])).hits[0].snippet == "về <mark>bồi</mark> thường"
    names = {"text": ["Tôi là công dân"], "sender": ["<mark>Nguyễn</mark> Văn Đức"]}
    assert hits_from_response(_response([_hit(5, 1.0, names)])).hits[0].snippet == "<mark>Nguyễn</mark> Văn Đức"
    accused = {"accused": ["ông <mark>Trần</mark> Văn Hùng"]}
    assert hits_from_response(_response([_hit(5, 1.0, accused)])).hits[0].snippet == "ông <mark>Trần</mark> Văn Hùng"


def test_without_a_match_the_snippet_is_the_escaped_beginning_of_the_text() -> None:
    unmarked = {"text": ["Cầu &lt;b&gt;Đá&lt;/b&gt; &amp; xóm"]}  # the highlighter's no-match fragment
    assert hits_from_response(_response([_hit(5, 1.0, unmarked)])).hits[0].snippet == unmarked["text"][0]
    text = "Cầu <b>Đá</b> & xóm.  " + "rất dài " * 40
    snippet = hits_from_response(_response([_hit(5, 1.0, text=text)])).hits[0].snippet
    assert snippet.startswith("Cầu &lt;b&gt;Đá&lt;/b&gt; &amp; xóm. rất dài") and snippet.endswith("…")
    assert "<b>" not in snippet and len(snippet) <= 200


def test_a_short_text_without_highlights_is_escaped_whole() -> None:
    assert hits_from_response(_response([_hit(5, None, text="a < b")])).hits[0].snippet == "a &lt; b"


def test_documents_are_rebuilt_from_the_stored_doc_and_missing_ids_left_out() -> None:
    doc = _doc(1, phones=["0912345678"], decision_numbers=["1877/QĐ-UBND"], facts={"amount": 3})
    resp = {"docs": [{"_id": "1", "found": True, "_source": {"doc": doc.to_json()}}, {"_id": "9", "found": False}]}
    assert docs_from_mget(resp) == {1: doc}


# -- more like this, same text -----------------------------------------------------------------------------------
def test_more_like_this_never_returns_the_letter_itself() -> None:
    query = build_more_like_this(_doc(5), 20, None)["query"]["bool"]
    assert query["must_not"] == [{"term": {"letter_id": 5}}] and query["filter"] == []
    assert query["minimum_should_match"] == 1


def test_more_like_this_with_before_id_only_finds_earlier_letters() -> None:
    body = build_more_like_this(_doc(5), 7, 5)
    assert body["query"]["bool"]["filter"] == [{"range": {"letter_id": {"lt": 5}}}]
    assert body["size"] == 7


def test_more_like_this_compares_the_text_the_sender_and_the_identifiers() -> None:
    doc = _doc(5, sender="Nguyễn Văn Đức", phones=["+84912345678"], citizen_ids=["019063001245"],
               decision_numbers=["1877/QĐ-UBND"], accused=["Trần Văn Hùng"])
    should = build_more_like_this(doc, 20, None)["query"]["bool"]["should"]
    mlt = _clauses(should, "more_like_this")[0]
    assert mlt["fields"] == ["text"] and mlt["like"].startswith("Nguyễn Văn Đức khiếu nại")
    assert (mlt["min_term_freq"], mlt["max_query_terms"], mlt["min_doc_freq"], mlt["minimum_should_match"]) == (
        1, 40, 1, "10%")
    assert _clauses(should, "term")[0]["sender.keyword"]["value"] == "Nguyễn Văn Đức"
    matches = _clauses(should, "match")
    assert matches[0]["sender"] == {"query": "nguyen van duc", "operator": "and", "boost": 2.0}
    assert matches[1]["accused"]["query"] == "tran van hung"
    terms = {field: values for t in _clauses(should, "terms") for field, values in t.items() if field != "boost"}
    assert terms == {"phones": ["0912345678"], "citizen_ids": ["019063001245"],
                     "decision_numbers_canon": ["1877/QD-UBND"]}


def test_same_text_is_a_hash_term_in_letter_order() -> None:
    body = build_same_text("h1", 5)
    assert body["query"] == {"bool": {"filter": [{"term": {"text_hash": "h1"}}, {"range": {"letter_id": {"lt": 5}}}]}}
    assert body["sort"] == [{"letter_id": "asc"}]


# -- versioned indices and the alias swap ------------------------------------------------------------------------
def test_the_next_version_is_one_more_than_the_highest_and_other_names_are_ignored() -> None:
    assert next_index(ALIAS, []) == "donthu-letters-v1"
    names = ["donthu-letters-v1", "donthu-letters-v3", "donthu-letters-v3-old", "donthu-letters-archive", "other-v9"]
    assert next_index(ALIAS, names) == "donthu-letters-v4"


def test_unfinished_rebuilds_are_the_versions_newer_than_the_live_one() -> None:
    state = {"donthu-letters-v2": {"aliases": {ALIAS: {}}}, "donthu-letters-v1": {"aliases": {}},
             "donthu-letters-v3": {"aliases": {}}}
    assert live_indices(ALIAS, state) == ["donthu-letters-v2"]
    assert rebuild_targets(ALIAS, state) == ["donthu-letters-v3"]
    assert rebuild_targets(ALIAS, {"donthu-letters-v3": {"aliases": {}}}) == []  # nothing live yet


def test_the_swap_removes_and_adds_in_one_list_of_actions() -> None:
    assert swap_actions(ALIAS, "donthu-letters-v2", ["donthu-letters-v1"]) == [
        {"remove": {"index": "donthu-letters-v1", "alias": ALIAS}},
        {"add": {"index": "donthu-letters-v2", "alias": ALIAS}},
    ]


class FakeIndices:
    """Just enough of ``Elasticsearch.indices`` for the alias bookkeeping: index names and their aliases."""

    def __init__(self) -> None:
        self.aliases: dict[str, set[str]] = {}
        self.calls: list[tuple[str, Any]] = []

    def exists_alias(self, name: str) -> bool:
        return any(name in aliases for aliases in self.aliases.values())

    def get_alias(self, index: str) -> dict[str, Any]:
        return {name: {"aliases": {a: {} for a in aliases}} for name, aliases in self.aliases.items()
                if fnmatch.fnmatch(name, index)}

    def create(self, index: str, settings: dict, mappings: dict, aliases: dict | None = None) -> None:
        assert index not in self.aliases
        assert settings == index_body()["settings"] and mappings == index_body()["mappings"]
        self.calls.append(("create", index))
        self.aliases[index] = set(aliases or {})

    def update_aliases(self, actions: list[dict[str, Any]]) -> None:
        self.calls.append(("update_aliases", actions))
        for action in actions:
            ((kind, spec),) = action.items()
            (self.aliases[spec["index"]].add if kind == "add" else self.aliases[spec["index"]].remove)(spec["alias"])

    def delete(self, index: str, ignore_unavailable: bool = False) -> None:
        self.calls.append(("delete", index))
        for name in index.split(","):
            del self.aliases[name]

    def refresh(self, index: str) -> None:
        self.calls.append(("refresh", index))


class FakeClient:
    def __init__(self, response: dict[str, Any] | None = None) -> None:
        self.indices = FakeIndices()
        self.response = response or _response([])
        self.searches: list[dict[str, Any]] = []

    def search(self, **kwargs: Any) -> dict[str, Any]:
        self.searches.append(kwargs)
        return self.response


@pytest.fixture
def bulk_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[list[dict[str, Any]], dict[str, Any]]]:
    calls: list[tuple[list[dict[str, Any]], dict[str, Any]]] = []
    monkeypatch.setattr(es, "bulk", lambda client, actions, **kwargs: calls.append((list(actions), kwargs)))
    return calls


def _backend(client: FakeClient, *live: str) -> ElasticBackend:
    for name in live:
        client.indices.aliases[name] = {ALIAS}
    return ElasticBackend("http://es.invalid:9200", client=client)


def test_first_use_creates_v1_behind_the_alias(bulk_calls: list) -> None:
    client = FakeClient()
    backend = _backend(client)
    backend.query(SearchQuery(text="nguyen"))
    assert client.indices.aliases == {"donthu-letters-v1": {ALIAS}}
    assert client.searches[0]["index"] == ALIAS
    backend.index([_doc(1)])
    assert client.indices.calls == [("create", "donthu-letters-v1")]  # once only


def test_writes_go_through_the_alias_with_refresh_wait_for(bulk_calls: list) -> None:
    backend = _backend(FakeClient(), "donthu-letters-v1")
    backend.index([_doc(1), _doc(2)], session=object())  # the session is accepted and ignored
    ((actions, kwargs),) = bulk_calls
    assert [(a["_op_type"], a["_index"], a["_id"]) for a in actions] == [("index", ALIAS, "1"), ("index", ALIAS, "2")]
    assert actions[0]["_source"] == doc_body(_doc(1))
    assert kwargs["refresh"] == "wait_for" and kwargs["require_alias"] is True


def test_deletes_ignore_unknown_ids(bulk_calls: list) -> None:
    backend = _backend(FakeClient(), "donthu-letters-v1")
    backend.delete([4, 999], session=None)
    ((actions, kwargs),) = bulk_calls
    assert [(a["_op_type"], a["_id"]) for a in actions] == [("delete", "4"), ("delete", "999")]
    assert 404 in kwargs["ignore_status"] and kwargs["refresh"] == "wait_for"
    backend.delete([])
    assert len(bulk_calls) == 1


def test_start_rebuild_creates_the_next_version_without_touching_the_alias(bulk_calls: list) -> None:
    client = FakeClient()
    backend = _backend(client, "donthu-letters-v3")
    target = backend.start_rebuild()
    assert target == "donthu-letters-v4"
    assert client.indices.aliases == {"donthu-letters-v3": {ALIAS}, "donthu-letters-v4": set()}
    assert not [c for c in client.indices.calls if c[0] == "update_aliases"]


def test_start_rebuild_resumes_an_unfinished_target_and_starts_afresh_when_it_is_gone(bulk_calls: list) -> None:
    client = FakeClient()
    backend = _backend(client, "donthu-letters-v1")
    target = backend.start_rebuild()
    assert backend.start_rebuild(resume=target) == target
    assert backend.start_rebuild(resume="donthu-letters-v9") == "donthu-letters-v3"
    assert backend.start_rebuild(resume="live") == "donthu-letters-v4"  # a checkpoint of the FTS5 backend
    assert backend.start_rebuild(resume="donthu-letters-v1") == "donthu-letters-v5"  # never the live index


def test_index_into_loads_the_target_only(bulk_calls: list) -> None:
    backend = _backend(FakeClient(), "donthu-letters-v1")
    target = backend.start_rebuild()
    backend.index_into(target, [_doc(1)])
    ((actions, kwargs),) = bulk_calls
    assert {a["_index"] for a in actions} == {target} and kwargs["refresh"] == "wait_for"
    with pytest.raises(ValueError):
        backend.index_into("some-other-index", [_doc(1)])


def test_writes_during_a_rebuild_reach_the_live_index_and_the_target(bulk_calls: list) -> None:
    backend = _backend(FakeClient(), "donthu-letters-v1")
    target = backend.start_rebuild()
    backend.index([_doc(1)])
    assert [(actions[0]["_index"], kwargs.get("require_alias")) for actions, kwargs in bulk_calls] == [
        (ALIAS, True), (target, None)]


def test_finish_rebuild_moves_the_alias_in_one_call_and_deletes_the_old_index(bulk_calls: list) -> None:
    client = FakeClient()
    backend = _backend(client, "donthu-letters-v1")
    target = backend.start_rebuild()
    client.indices.calls.clear()
    backend.finish_rebuild(target)
    swaps = [c for c in client.indices.calls if c[0] == "update_aliases"]
    assert swaps == [("update_aliases", [{"remove": {"index": "donthu-letters-v1", "alias": ALIAS}},
                                         {"add": {"index": "donthu-letters-v2", "alias": ALIAS}}])]
    order = [c[0] for c in client.indices.calls]
    assert order == ["refresh", "update_aliases", "delete"]  # the old index goes only after the swap
    assert client.indices.aliases == {"donthu-letters-v2": {ALIAS}}


def test_finish_rebuild_also_drops_abandoned_targets(bulk_calls: list) -> None:
    client = FakeClient()
    backend = _backend(client, "donthu-letters-v1")
    backend.start_rebuild()  # abandoned: v2
    target = backend.start_rebuild()  # v3
    backend.finish_rebuild(target)
    assert ("delete", "donthu-letters-v1,donthu-letters-v2") in client.indices.calls
    assert client.indices.aliases == {"donthu-letters-v3": {ALIAS}}


def test_finish_rebuild_refuses_a_target_that_does_not_exist(bulk_calls: list) -> None:
    backend = _backend(FakeClient(), "donthu-letters-v1")
    with pytest.raises(ValueError):
        backend.finish_rebuild("donthu-letters-v7")


def test_query_sends_the_built_search_to_the_alias_and_reads_the_hits(bulk_calls: list) -> None:
    client = FakeClient(_response([_hit(5, 4.0, {"text": ["<mark>Đức</mark>"]}), _hit(1, 2.0)], total=2,
                                  max_score=4.0))
    backend = _backend(client, "donthu-letters-v1")
    result = backend.query(SearchQuery(text="Đức", limit=5))
    assert client.searches == [{"index": ALIAS, **build_search(SearchQuery(text="Đức", limit=5))}]
    assert result.total == 2 and [(h.letter_id, h.score) for h in result.hits] == [(5, 1.0), (1, 0.5)]


def test_more_like_this_reads_ids_best_first_and_skips_a_letter_with_nothing_to_compare(bulk_calls: list) -> None:
    client = FakeClient({"hits": {"hits": [{"_id": "1"}, {"_id": "3"}]}})
    backend = _backend(client, "donthu-letters-v1")
    assert backend.more_like_this(_doc(5), limit=5) == [1, 3]
    assert backend.more_like_this(_doc(6, text="  "), limit=5) == []
    assert len(client.searches) == 1
