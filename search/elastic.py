"""The Elasticsearch search backend.

Everything that does not need a server is a pure function here (the index body, the document body, the query
builders, reading a response, the alias-swap bookkeeping), so it is unit-tested without one; the class only sends
what they build.

* Accent-insensitive matching: the ``vi_folded`` analyzer folds with ``asciifolding`` keeping the original token
  too (``preserve_original``), so "nguyễn" is indexed as "nguyễn" and "nguyen" (asciifolding also folds đ → d).
  Queries send the folded word; a word typed with diacritics adds a boosted clause on the ``.exact`` subfields
  (accents kept), so exact accented matches rank first.
* Names (sender, accused, address) also get a ``keyword`` subfield (more-like-this compares whole names) and an
  ``edge`` subfield of folded edge n-grams for name prefixes.
* Identifiers are keywords in their canonical forms (``search.querytext.canonical_*``) and match by ``term``.
* Index versioning: queries and writes go through an alias (``donthu-letters``) that points at one concrete
  index ``donthu-letters-v<n>``. A rebuild fills ``v<n+1>`` while the alias still answers from ``v<n>``, then
  moves the alias in one ``update_aliases`` call and deletes the old index. While a rebuild is under way, writes
  go to the live index and to the rebuild target, so letters changed meanwhile are not lost from the new index.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any

from elasticsearch import BadRequestError
from elasticsearch.helpers import bulk, scan

from core.vntext import fold, normalize
from search.base import SearchDocument, SearchHit, SearchQuery, SearchResult
from search.querytext import (
    Identifier,
    ParsedQuery,
    Phrase,
    Term,
    canonical_decision,
    canonical_phone,
    canonical_register,
    parse,
)

DEFAULT_ALIAS = "donthu-letters"
EXACT_BOOST = 10.0  # an exact accented match outweighs any number of folded ones
SNIPPET_CHARS = 160
EDGE_MIN, EDGE_MAX = 2, 15  # edge n-gram lengths for name prefixes
MAX_ANALYZED_OFFSET = 1_000_000  # highlight at most this much of a very long letter instead of failing
MLT_LIKE_CHARS = 50_000  # the part of a letter's text sent as the more-like-this example
SAME_TEXT_LIMIT = 1000

FILTER_FIELDS = ("type", "agency", "field", "status", "channel", "dossier_id")
IDENTIFIER_FIELDS = {
    "citizen_id": "citizen_ids",
    "phone": "phones",
    "register_no": "register_no",
    "decision_number": "decision_numbers_canon",
}
WORD_FIELDS = ("text", "sender^3", "accused^2", "address")
PHRASE_FIELDS = ("text", "sender^3", "accused^2", "address")
EXACT_FIELDS = ("text.exact", "sender.exact^3", "accused.exact^2", "address.exact")
NAME_FIELDS = {"sender": 3.0, "accused": 2.0, "address": 1.0}
RELEVANCE_SORT: list[Any] = ["_score", {"received_date": "desc"}, {"letter_id": "desc"}]
DATE_SORT: list[Any] = [{"received_date": "desc"}, {"letter_id": "desc"}]
HIT_SOURCE = ["doc.letter_id", "doc.register_no", "doc.sender", "doc.received_date"]


# -- the index ---------------------------------------------------------------------------------------------------
def _name_mapping() -> dict[str, Any]:
    return {
        "type": "text",
        "analyzer": "vi_folded",
        "fields": {
            "keyword": {"type": "keyword", "ignore_above": 512},
            "exact": {"type": "text", "analyzer": "vi_exact"},
            "edge": {"type": "text", "analyzer": "vi_edge", "search_analyzer": "vi_plain_folded"},
        },
    }


def index_body() -> dict[str, Any]:
    """Settings (the Vietnamese analyzers) and mappings of one versioned index."""
    keyword = {"type": "keyword"}
    settings = {
        "number_of_shards": 1,  # a provincial office's letters fit one shard; one shard keeps scores comparable
        "analysis": {
            "filter": {
                "vi_fold_keep": {"type": "asciifolding", "preserve_original": True},
                "vi_edge_ngram": {"type": "edge_ngram", "min_gram": EDGE_MIN, "max_gram": EDGE_MAX},
            },
            "analyzer": {
                "vi_folded": {"type": "custom", "tokenizer": "standard", "filter": ["lowercase", "vi_fold_keep"]},
                "vi_plain_folded": {"type": "custom", "tokenizer": "standard",
                                    "filter": ["lowercase", "asciifolding"]},
                "vi_exact": {"type": "custom", "tokenizer": "standard", "filter": ["lowercase"]},
                "vi_edge": {"type": "custom", "tokenizer": "standard",
                            "filter": ["lowercase", "asciifolding", "vi_edge_ngram"]},
            },
        },
    }
    mappings = {
        "dynamic": False,
        "properties": {
            "letter_id": {"type": "long"},
            "dossier_id": {"type": "long"},
            "received_date": {"type": "date"},
            "text": {
                "type": "text",
                "analyzer": "vi_folded",
                "index_options": "offsets",  # the highlighter reads offsets instead of re-analysing long letters
                "fields": {"exact": {"type": "text", "analyzer": "vi_exact"}},
            },
            "sender": _name_mapping(),
            "accused": _name_mapping(),
            "address": _name_mapping(),
            **{name: dict(keyword) for name in ("register_no", "phones", "citizen_ids", "decision_numbers_canon",
                                                "type", "agency", "field", "status", "channel", "text_hash")},
            "doc": {"type": "object", "enabled": False},  # the whole SearchDocument: stored, not indexed
        },
    }
    return {"settings": settings, "mappings": mappings}


def register_key(register_no: str) -> str:
    """The register number in the form the query parser produces ("4/2026" → "0004/2026"); as given otherwise."""
    try:
        return canonical_register(register_no)
    except ValueError:
        return register_no


def doc_body(doc: SearchDocument) -> dict[str, Any]:
    """The indexed ``_source`` of one document."""
    return {
        "letter_id": doc.letter_id,
        "register_no": register_key(doc.register_no),
        "received_date": doc.received_date.isoformat()[:10],
        "text": normalize(doc.text or ""),
        "sender": normalize(doc.sender) if doc.sender else None,
        "accused": [normalize(name) for name in doc.accused],
        "address": normalize(doc.address) if doc.address else None,
        "phones": [canonical_phone(p) for p in doc.phones],
        "citizen_ids": list(doc.citizen_ids),
        "decision_numbers_canon": [canonical_decision(d) for d in doc.decision_numbers],
        "type": doc.type,
        "agency": doc.agency,
        "field": doc.field,
        "status": doc.status,
        "channel": doc.channel,
        "dossier_id": doc.dossier_id,
        "text_hash": doc.text_hash,
        "doc": doc.to_json(),
    }


def index_actions(index: str, docs: Iterable[SearchDocument]) -> list[dict[str, Any]]:
    """Bulk actions that add or replace ``docs`` (``_id`` is the letter id) in ``index``."""
    return [{"_op_type": "index", "_index": index, "_id": str(d.letter_id), "_source": doc_body(d)} for d in docs]


def delete_actions(index: str, letter_ids: Iterable[int]) -> list[dict[str, Any]]:
    return [{"_op_type": "delete", "_index": index, "_id": str(int(i))} for i in letter_ids]


# -- versioned indices behind the alias --------------------------------------------------------------------------
def index_name(alias: str, version: int) -> str:
    return f"{alias}-v{version}"


def versions(alias: str, names: Iterable[str]) -> dict[str, int]:
    """The versioned indices of ``alias`` among ``names``, with their version numbers."""
    pattern = re.compile(rf"^{re.escape(alias)}-v(\d+)$")
    found: dict[str, int] = {}
    for name in names:
        match = pattern.match(name)
        if match:
            found[name] = int(match.group(1))
    return found


def next_index(alias: str, names: Iterable[str]) -> str:
    """The next versioned index name: one more than the highest existing version (``-v1`` when none)."""
    return index_name(alias, max(versions(alias, names).values(), default=0) + 1)


def live_indices(alias: str, aliases_response: dict[str, Any]) -> list[str]:
    """The indices the alias points at, from an ``indices.get_alias`` response ({index: {"aliases": {...}}})."""
    return sorted(name for name, info in aliases_response.items() if alias in (info or {}).get("aliases", {}))


def rebuild_targets(alias: str, aliases_response: dict[str, Any]) -> list[str]:
    """Versioned indices newer than the live one: unfinished rebuilds, which writes must reach too."""
    found = versions(alias, aliases_response)
    live = [found[name] for name in live_indices(alias, aliases_response) if name in found]
    if not live:
        return []
    return sorted((name for name, n in found.items() if n > max(live)), key=found.__getitem__)


def swap_actions(alias: str, target: str, current: Iterable[str]) -> list[dict[str, Any]]:
    """``update_aliases`` actions moving ``alias`` from ``current`` to ``target`` in one atomic step."""
    actions: list[dict[str, Any]] = [{"remove": {"index": name, "alias": alias}} for name in current if name != target]
    actions.append({"add": {"index": target, "alias": alias}})
    return actions


# -- queries -----------------------------------------------------------------------------------------------------
def build_filters(q: SearchQuery) -> list[dict[str, Any]]:
    """Filter clauses (no scoring) for the query's filters; dates are inclusive."""
    filters: list[dict[str, Any]] = []
    for name in FILTER_FIELDS:
        value = getattr(q, name)
        if value is not None:
            filters.append({"term": {name: value}})
    dates: dict[str, str] = {}
    if q.date_from:
        dates["gte"] = q.date_from.isoformat()
    if q.date_to:
        dates["lte"] = q.date_to.isoformat()
    if dates:
        filters.append({"range": {"received_date": dates}})
    return filters


def _prefix(field: str, value: str, boost: float = 1.0) -> dict[str, Any]:
    body: dict[str, Any] = {"value": value}
    if boost != 1.0:
        body["boost"] = boost
    return {"prefix": {field: body}}


def term_clause(term: Term) -> dict[str, Any]:
    """The folded (recall) clause one word must match in the text or the names."""
    if not term.prefix:
        return {"multi_match": {"query": term.folded, "fields": list(WORD_FIELDS), "operator": "and"}}
    should = [_prefix("text", term.folded)]
    for name, boost in NAME_FIELDS.items():
        if len(term.folded) <= EDGE_MAX:
            should.append({"match": {f"{name}.edge": {"query": term.folded, "boost": boost}}})
        else:  # longer than the longest edge n-gram
            should.append(_prefix(name, term.folded, boost))
    return {"bool": {"should": should, "minimum_should_match": 1}}


def exact_term_clause(term: Term) -> dict[str, Any] | None:
    """A boosted, optional clause on the accent-keeping subfields for a word typed with diacritics."""
    if not term.exact:
        return None
    if term.prefix:
        fields = [f.split("^")[0] for f in EXACT_FIELDS]
        return {"bool": {"should": [_prefix(f, term.exact) for f in fields], "boost": EXACT_BOOST}}
    return {"multi_match": {"query": term.exact, "fields": list(EXACT_FIELDS), "operator": "and",
                            "boost": EXACT_BOOST}}


def phrase_clause(phrase: Phrase) -> dict[str, Any]:
    """The folded words side by side."""
    words = " ".join(t.folded for t in phrase.terms)
    return {"multi_match": {"query": words, "type": "phrase", "fields": list(PHRASE_FIELDS)}}


def exact_phrase_clause(phrase: Phrase) -> dict[str, Any] | None:
    """A boosted phrase on the accent-keeping subfields when some word of the phrase was typed with diacritics."""
    if not any(t.exact for t in phrase.terms):
        return None
    words = " ".join(t.exact or t.folded for t in phrase.terms)
    return {"multi_match": {"query": words, "type": "phrase", "fields": list(EXACT_FIELDS), "boost": EXACT_BOOST}}


def identifier_clause(ident: Identifier) -> dict[str, Any]:
    return {"term": {IDENTIFIER_FIELDS[ident.kind]: ident.value}}


def folded_clauses(parsed: ParsedQuery) -> list[dict[str, Any]]:
    """Everything the query requires: each word, phrase and identifier."""
    clauses = [term_clause(t) for t in parsed.terms]
    clauses += [phrase_clause(p) for p in parsed.phrases]
    clauses += [identifier_clause(i) for i in parsed.identifiers]
    return clauses


def exact_clauses(parsed: ParsedQuery) -> list[dict[str, Any]]:
    """The optional boosted clauses that rank exact accented matches first (empty without diacritics)."""
    found = [exact_term_clause(t) for t in parsed.terms] + [exact_phrase_clause(p) for p in parsed.phrases]
    return [c for c in found if c is not None]


def build_highlight(highlight_query: dict[str, Any] | None) -> dict[str, Any]:
    """Marked, HTML-escaped fragments; the text's first characters (escaped) when nothing in it matched."""
    body: dict[str, Any] = {
        "pre_tags": ["<mark>"],
        "post_tags": ["</mark>"],
        "encoder": "html",
        "require_field_match": False,
        "fragment_size": SNIPPET_CHARS,
        "number_of_fragments": 1,
        "order": "score",
        "max_analyzed_offset": MAX_ANALYZED_OFFSET,
        "fields": {"text": {"no_match_size": SNIPPET_CHARS}, "sender": {}, "accused": {}},
    }
    if highlight_query is not None:
        body["highlight_query"] = highlight_query
    return body


def build_search(q: SearchQuery) -> dict[str, Any]:
    """Keyword arguments of ``Elasticsearch.search`` for a user's query (without ``index``)."""
    parsed = parse(q.text)
    filters = build_filters(q)
    if parsed.empty:
        query: dict[str, Any] = {"bool": {"must": [{"match_all": {}}], "filter": filters}}
        by_score, highlight_query = False, None
    else:
        required = folded_clauses(parsed)
        query = {"bool": {"must": required, "should": exact_clauses(parsed), "filter": filters}}
        by_score, highlight_query = q.sort == "relevance", {"bool": {"should": required}}
    return {
        "query": query,
        "sort": list(RELEVANCE_SORT if by_score else DATE_SORT),
        "from_": q.offset,
        "size": q.limit,
        "highlight": build_highlight(highlight_query),
        "track_total_hits": True,
        "track_scores": by_score,  # so max_score is reported although the sort is explicit
        "source": list(HIT_SOURCE),
    }


def build_more_like_this(doc: SearchDocument, limit: int, before_id: int | None) -> dict[str, Any]:
    """Keyword arguments of ``Elasticsearch.search`` for the letters most like ``doc`` (by text and facts)."""
    should: list[dict[str, Any]] = []
    text = normalize(doc.text or "").strip()
    if text:
        should.append({"more_like_this": {
            "fields": ["text"], "like": text[:MLT_LIKE_CHARS], "min_term_freq": 1, "max_query_terms": 40,
            "min_doc_freq": 1, "minimum_should_match": "10%",
        }})
    if doc.sender:
        should.append({"term": {"sender.keyword": {"value": normalize(doc.sender), "boost": 4.0}}})
        should.append({"match": {"sender": {"query": fold(doc.sender), "operator": "and", "boost": 2.0}}})
    identifiers = {
        "phones": [canonical_phone(p) for p in doc.phones],
        "citizen_ids": list(doc.citizen_ids),
        "decision_numbers_canon": [canonical_decision(d) for d in doc.decision_numbers],
    }
    for field, values in identifiers.items():
        if values:
            should.append({"terms": {field: values, "boost": 3.0}})
    for name in doc.accused:
        should.append({"match": {"accused": {"query": fold(name), "operator": "and", "boost": 2.0}}})
    filters: list[dict[str, Any]] = []
    if before_id is not None:
        filters.append({"range": {"letter_id": {"lt": before_id}}})
    query = {"bool": {"should": should, "minimum_should_match": 1, "filter": filters,
                      "must_not": [{"term": {"letter_id": doc.letter_id}}]}}
    return {"query": query, "size": limit, "sort": ["_score", {"letter_id": "desc"}], "source": False}


def build_same_text(text_hash: str, before_id: int | None) -> dict[str, Any]:
    """Keyword arguments of ``Elasticsearch.search`` for letters with this normalised-text hash, oldest first."""
    filters: list[dict[str, Any]] = [{"term": {"text_hash": text_hash}}]
    if before_id is not None:
        filters.append({"range": {"letter_id": {"lt": before_id}}})
    return {"query": {"bool": {"filter": filters}}, "sort": [{"letter_id": "asc"}], "size": SAME_TEXT_LIMIT,
            "source": False}


# -- responses ---------------------------------------------------------------------------------------------------
def _body(resp: Any) -> dict[str, Any]:
    """The JSON body of a client response (``ObjectApiResponse``) or a plain dict."""
    return getattr(resp, "body", resp)


def plain_snippet(text: str) -> str:
    """The first ~``SNIPPET_CHARS`` characters, whitespace collapsed, HTML-escaped."""
    flat = " ".join((text or "").split())
    if len(flat) <= SNIPPET_CHARS:
        return html.escape(flat)
    cut = flat.rfind(" ", 0, SNIPPET_CHARS + 1)
    piece = flat[: cut if cut > SNIPPET_CHARS // 2 else SNIPPET_CHARS]
    return html.escape(piece) + "…"


def pick_snippet(highlight: dict[str, list[str]], source: dict[str, Any]) -> str:
    """A marked fragment (text first, then sender, then accused); else the text's beginning, escaped."""
    for field in ("text", "sender", "accused"):
        for fragment in highlight.get(field, [])[:1]:
            if "<mark>" in fragment:
                return " ".join(fragment.split())
    if highlight.get("text"):  # no_match_size: the beginning, already escaped by the highlighter
        return " ".join(highlight["text"][0].split())
    text = source.get("text") or (source.get("doc") or {}).get("text") or ""
    return plain_snippet(text)


def relative_score(score: float | None, max_score: float | None) -> float:
    """The hit's score over the best score of the query, in (0, 1]; 1.0 when unscored (date order)."""
    if score is None or not max_score:
        return 1.0
    return max(0.0001, round(min(1.0, float(score) / float(max_score)), 4))


def hits_from_response(resp: dict[str, Any]) -> SearchResult:
    """A :class:`SearchResult` from a search response built by :func:`build_search`."""
    hits = _body(resp).get("hits", {})
    total = hits.get("total", 0)
    total = int(total["value"] if isinstance(total, dict) else total)
    max_score = hits.get("max_score")
    out: list[SearchHit] = []
    for hit in hits.get("hits", []):
        source = hit.get("_source") or {}
        doc = source.get("doc") or source
        out.append(SearchHit(
            letter_id=int(doc.get("letter_id", hit["_id"])),
            register_no=doc["register_no"],
            score=relative_score(hit.get("_score"), max_score),
            sender=doc.get("sender"),
            snippet=pick_snippet(hit.get("highlight") or {}, source),
            received_date=date.fromisoformat(str(doc["received_date"])[:10]),
        ))
    return SearchResult(total, out)


def ids_from_response(resp: dict[str, Any]) -> list[int]:
    return [int(hit["_id"]) for hit in _body(resp).get("hits", {}).get("hits", [])]


def docs_from_mget(resp: dict[str, Any]) -> dict[int, SearchDocument]:
    """Found documents of an ``mget`` response, rebuilt from ``_source["doc"]``."""
    found: dict[int, SearchDocument] = {}
    for item in _body(resp).get("docs", []):
        if item.get("found") and "doc" in (item.get("_source") or {}):
            doc = SearchDocument.from_json(item["_source"]["doc"])
            found[doc.letter_id] = doc
    return found


def _already_exists(error: Exception) -> bool:
    return "resource_already_exists" in str(getattr(error, "error", "")) + str(error)


# -- the backend -------------------------------------------------------------------------------------------------
class ElasticBackend:
    """Elasticsearch at ``url``, through ``alias``; ``client`` replaces the ``Elasticsearch`` client (tests)."""

    def __init__(self, url: str, *, alias: str = DEFAULT_ALIAS, client: Any = None) -> None:
        self.url = url
        self.alias = alias
        self._owns_client = client is None
        if client is None:
            from elasticsearch import Elasticsearch

            client = Elasticsearch(url, request_timeout=30)
        self.client = client
        self._live_checked = False

    # -- indices and the alias ---------------------------------------------------------------------------------
    def _versioned(self) -> dict[str, Any]:
        """``indices.get_alias`` for this alias's versioned indices: {index: {"aliases": {...}}}."""
        return dict(_body(self.client.indices.get_alias(index=f"{self.alias}-v*")))

    def _create(self, name: str, *, live: bool = False) -> None:
        body = index_body()
        aliases = {self.alias: {}} if live else None
        self.client.indices.create(index=name, settings=body["settings"], mappings=body["mappings"],
                                   aliases=aliases)

    def _ensure_live(self) -> None:
        """Create ``<alias>-v<n>`` with the alias on first use, when the alias does not exist yet."""
        if self._live_checked:
            return
        if not self.client.indices.exists_alias(name=self.alias):
            try:
                self._create(next_index(self.alias, self._versioned()), live=True)
            except BadRequestError as error:  # another process may have created it first
                if not (_already_exists(error) and self.client.indices.exists_alias(name=self.alias)):
                    raise
        self._live_checked = True

    def _check_target(self, target: str) -> None:
        if target not in versions(self.alias, [target]):
            raise ValueError(f"{target!r} is not a versioned index of {self.alias!r}")

    def start_rebuild(self, resume: str | None = None) -> str:
        """A new versioned index (the alias untouched), or ``resume`` when that unfinished index still exists."""
        self._ensure_live()
        existing = self._versioned()
        if resume and resume in versions(self.alias, existing) and resume not in live_indices(self.alias, existing):
            return resume
        target = next_index(self.alias, existing)
        self._create(target)
        return target

    def index_into(self, target: str, docs: Sequence[SearchDocument]) -> None:
        self._check_target(target)
        if docs:
            self._bulk(index_actions(target, docs))

    def finish_rebuild(self, target: str) -> None:
        """Point the alias at ``target`` in one atomic call, then delete every other versioned index."""
        self._check_target(target)
        existing = self._versioned()
        if target not in existing:
            raise ValueError(f"rebuild target {target!r} does not exist")
        self.client.indices.refresh(index=target)
        self.client.indices.update_aliases(actions=swap_actions(self.alias, target,
                                                                live_indices(self.alias, existing)))
        old = sorted(name for name in versions(self.alias, existing) if name != target)
        if old:
            self.client.indices.delete(index=",".join(old), ignore_unavailable=True)
        self._live_checked = True

    # -- writes --------------------------------------------------------------------------------------------------
    def _bulk(self, actions: list[dict[str, Any]], **kwargs: Any) -> None:
        bulk(self.client, actions, refresh="wait_for", **kwargs)

    def _write(self, make: Callable[[str], list[dict[str, Any]]], *, ignore_missing: bool = False) -> None:
        """Apply ``make(index)``'s actions to the live index (through the alias) and to unfinished rebuilds."""
        self._ensure_live()
        targets = rebuild_targets(self.alias, self._versioned())
        extra: dict[str, Any] = {"ignore_status": (404,)} if ignore_missing else {}
        # require_alias: never auto-create a concrete index named like the alias
        self._bulk(make(self.alias), require_alias=True, **extra)
        for target in targets:
            self._bulk(make(target), **extra)

    def index(self, docs: Sequence[SearchDocument], *, session: Any = None) -> None:
        """Add or replace ``docs``; ``session`` (the SQLite backend's transaction) is ignored."""
        if docs:
            self._write(lambda index: index_actions(index, docs))

    def delete(self, letter_ids: Iterable[int], *, session: Any = None) -> None:
        """Remove documents; unknown ids are ignored. ``session`` is ignored."""
        ids = [int(i) for i in letter_ids]
        if ids:
            self._write(lambda index: delete_actions(index, ids), ignore_missing=True)

    def clear(self) -> None:
        self._ensure_live()
        self.client.delete_by_query(index=self.alias, query={"match_all": {}}, refresh=True, conflicts="proceed")

    def close(self) -> None:
        if self._owns_client:
            self.client.close()

    # -- reads ---------------------------------------------------------------------------------------------------
    def get(self, letter_id: int) -> SearchDocument | None:
        return self.get_many([letter_id]).get(int(letter_id))

    def get_many(self, letter_ids: Sequence[int]) -> dict[int, SearchDocument]:
        ids = [str(int(i)) for i in letter_ids]
        if not ids:
            return {}
        self._ensure_live()
        return docs_from_mget(self.client.mget(index=self.alias, ids=ids, source_includes=["doc"]))

    def query(self, query: SearchQuery) -> SearchResult:
        self._ensure_live()
        return hits_from_response(self.client.search(index=self.alias, **build_search(query)))

    def more_like_this(self, doc: SearchDocument, *, limit: int = 20, before_id: int | None = None) -> list[int]:
        body = build_more_like_this(doc, limit, before_id)
        if not body["query"]["bool"]["should"]:
            return []
        self._ensure_live()
        return [i for i in ids_from_response(self.client.search(index=self.alias, **body)) if i != doc.letter_id]

    def same_text(self, text_hash: str, *, before_id: int | None = None) -> list[int]:
        self._ensure_live()
        return ids_from_response(self.client.search(index=self.alias, **build_same_text(text_hash, before_id)))

    def ids(self) -> set[int]:
        self._ensure_live()
        hits = scan(self.client, index=self.alias, query={"query": {"match_all": {}}, "_source": False}, size=1000)
        return {int(hit["_id"]) for hit in hits}

    def count(self) -> int:
        self._ensure_live()
        return int(_body(self.client.count(index=self.alias))["count"])
