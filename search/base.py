"""The search interface both backends implement: documents in, ranked hits and duplicate candidates out.

A backend stores one :class:`SearchDocument` per letter. Queries are accent-insensitive; when the query is typed
with diacritics, documents that match it exactly (accents included) rank before those that only match folded.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from dataclasses import field as _field  # SearchDocument has a `field` attribute (the subject field)
from datetime import date
from typing import Any, Protocol

SORTS = ("relevance", "date")


@dataclass
class SearchDocument:
    """What the index knows about one letter: its text, the facts extracted from it, and its filter values."""

    letter_id: int
    register_no: str
    received_date: date
    text: str = ""
    sender: str | None = None
    accused: list[str] = _field(default_factory=list)
    address: str | None = None
    phones: list[str] = _field(default_factory=list)  # digits only
    citizen_ids: list[str] = _field(default_factory=list)
    decision_numbers: list[str] = _field(default_factory=list)  # as written, e.g. "1877/QĐ-UBND"
    type: str | None = None
    agency: str | None = None
    field: str | None = None
    status: str | None = None
    channel: str | None = None
    dossier_id: int | None = None
    text_hash: str | None = None  # hash of the normalised text: equal hashes are exact duplicates
    facts: dict[str, Any] = _field(default_factory=dict)  # the matter facts duplicate scoring compares

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["received_date"] = self.received_date.isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SearchDocument:
        values = dict(data)
        values["received_date"] = date.fromisoformat(values["received_date"])
        return cls(**values)


@dataclass(frozen=True)
class SearchQuery:
    """A user's query: free text (quotes for phrases, ``*`` for prefixes) plus filters, sort and page."""

    text: str = ""
    type: str | None = None
    agency: str | None = None
    field: str | None = None
    status: str | None = None
    channel: str | None = None
    dossier_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    sort: str = "relevance"  # relevance | date (newest first)
    limit: int = 20
    offset: int = 0

    def __post_init__(self) -> None:
        if self.sort not in SORTS:
            raise ValueError(f"sort must be one of {SORTS}, got {self.sort!r}")
        if not 1 <= self.limit <= 1000:
            raise ValueError("limit must be between 1 and 1000")
        if self.offset < 0:
            raise ValueError("offset must not be negative")


@dataclass(frozen=True)
class SearchHit:
    letter_id: int
    register_no: str
    score: float  # relative to the best hit of the query: 1.0 for the best, then lower
    sender: str | None
    snippet: str  # plain text with the matched words wrapped in <mark>…</mark> (HTML-escaped otherwise)
    received_date: date


@dataclass(frozen=True)
class SearchResult:
    total: int
    hits: list[SearchHit]


class SearchBackend(Protocol):
    """What the pipeline, the CLI and the web app use; both backends pass tests/test_search_contract.py."""

    def index(self, docs: Sequence[SearchDocument]) -> None:
        """Add or replace documents (by ``letter_id``); visible to the next query when this returns."""

    def delete(self, letter_ids: Iterable[int]) -> None:
        """Remove documents; unknown ids are ignored."""

    def get(self, letter_id: int) -> SearchDocument | None:
        """The stored document, or None."""

    def get_many(self, letter_ids: Sequence[int]) -> dict[int, SearchDocument]:
        """Stored documents by id (missing ids are left out)."""

    def query(self, query: SearchQuery) -> SearchResult:
        """Ranked hits for a query; an empty text lists the filtered documents newest first."""

    def more_like_this(self, doc: SearchDocument, *, limit: int = 20, before_id: int | None = None) -> list[int]:
        """Ids of documents most like ``doc`` (by text and facts), best first, never ``doc`` itself;
        with ``before_id``, only documents with a smaller letter id (registered earlier)."""

    def same_text(self, text_hash: str, *, before_id: int | None = None) -> list[int]:
        """Ids of documents whose normalised text hash equals ``text_hash``."""

    def ids(self) -> set[int]:
        """Every indexed letter id."""

    def count(self) -> int: ...

    def clear(self) -> None:
        """Drop every document (tests and full rebuilds)."""

    def start_rebuild(self, resume: str | None = None) -> str:
        """Begin a full rebuild into a fresh target (ES: a new versioned index) and return its name; with
        ``resume``, continue the named unfinished target. Until :meth:`finish_rebuild`, queries keep
        answering from the current index while :meth:`index_into` fills the target."""

    def index_into(self, target: str, docs: Sequence[SearchDocument]) -> None: ...

    def finish_rebuild(self, target: str) -> None:
        """Make ``target`` the live index (ES: alias swap) and drop the old one."""

    def close(self) -> None: ...
