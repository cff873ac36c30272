"""The duplicates stage and ``donthu duplicates``: which earlier letters is this one a repeat of, or related to?

Candidates come from the search backend (same text hash; more-like-this by person, facts and distinctive
words); each is then judged on the two texts and their facts (:mod:`classify.matter`). The result is stored on
the letter for the review screen — nothing is merged without a person.
"""

from __future__ import annotations

from typing import Any

from classify.matter import KINDS, compare, cosine, exact_reasons, judge, term_vector
from ingest.indexing import document_for_text
from ingest.services import Services
from models import Letter
from search.base import SearchBackend, SearchDocument

CANDIDATES = 20  # per route of the more-like-this query
_KIND_ORDER = {kind: i for i, kind in enumerate(KINDS)}


def find_duplicates(search: SearchBackend, doc: SearchDocument, *, before_id: int | None) -> list[dict[str, Any]]:
    """Judged candidates for ``doc`` among the letters registered before ``before_id`` (all when None), best
    first: ``{"letter_id", "register_no", "kind", "score", "reasons"}``."""
    found: dict[int, dict[str, Any]] = {}
    if doc.text_hash:
        for other_id in search.same_text(doc.text_hash, before_id=before_id):
            if other_id != doc.letter_id:
                found[other_id] = {"kind": "exact", "score": 1.0, "reasons": exact_reasons(same_bytes=False)}
    ids = [i for i in search.more_like_this(doc, limit=CANDIDATES, before_id=before_id) if i not in found]
    others = search.get_many(ids)
    mine = term_vector(doc.text, doc.sender)
    for other_id in ids:
        other = others.get(other_id)
        if other is None:
            continue
        evidence = compare(doc.facts, other.facts, cosine(mine, term_vector(other.text, other.sender)))
        verdict = judge(evidence)
        if verdict is not None:
            found[other_id] = {"kind": verdict.kind, "score": verdict.score, "reasons": verdict.reasons}
    missing = [i for i in found if i not in others]
    registers = {i: d.register_no for i, d in {**others, **search.get_many(missing)}.items()}
    candidates = [{"letter_id": i, "register_no": registers.get(i, ""), **v} for i, v in found.items()]
    candidates.sort(key=lambda c: (-c["score"], _KIND_ORDER[c["kind"]], -c["letter_id"]))
    return candidates


def check_letter(svc: Services, letter_id: int) -> list[dict[str, Any]]:
    """The duplicates stage: judge a stored letter against the letters registered before it; store the result."""
    doc = svc.search.get(letter_id)
    if doc is None:  # not indexed (no text): nothing to compare
        candidates: list[dict[str, Any]] = []
    else:
        candidates = find_duplicates(svc.search, doc, before_id=letter_id)
    with svc.db.write() as session:
        letter = session.get(Letter, letter_id)
        if letter is not None:
            letter.duplicates = candidates
            letter.refresh_queue()
    return candidates


def check_text(svc: Services, text: str) -> list[dict[str, Any]]:
    """Candidates for a text that is not stored (``donthu duplicates --text-file``), among every letter."""
    return find_duplicates(svc.search, document_for_text(text), before_id=None)
