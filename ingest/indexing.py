"""Keeping the search index in step with the database: the index stage, edits, deletes and ``donthu reindex``."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from classify.extract import extract
from classify.labels import current_labels, record_labels
from classify.matter import matter_facts
from core.failpoints import failpoint
from core.vntext import fold, normalize
from ingest.services import Services
from models import Letter, LetterLabel
from search.base import SearchDocument
from search.querytext import canonical_phone


def text_hash(text: str) -> str:
    """Equal for texts that differ only in accents' encoding, case, tone placement and spacing."""
    return hashlib.sha256(" ".join(fold(normalize(text)).split()).encode()).hexdigest()


def document_for_text(text: str, *, letter_id: int = 0, register_no: str = "",
                      received: date | None = None) -> SearchDocument:
    """The search document of a text, with its extracted facts (letters and texts that are not stored alike)."""
    text = normalize(text or "")
    facts = extract(text)
    return SearchDocument(
        letter_id=letter_id,
        register_no=register_no,
        received_date=received or date.today(),
        text=text,
        sender=facts.sender,
        accused=[a["name"] for a in facts.accused],
        address=facts.address,
        phones=sorted({canonical_phone(p) for p in facts.phones}),
        citizen_ids=list(facts.citizen_ids),
        decision_numbers=list(facts.decision_numbers),
        text_hash=text_hash(text) if text.strip() else None,
        facts=matter_facts(text, facts),
    )


def document_for(session: Session, letter: Letter) -> SearchDocument:
    """A letter's search document: text and facts, and the labels a reviewer gave (else the model's)."""
    doc = document_for_text(letter.full_text or "", letter_id=letter.id, register_no=letter.register_no,
                            received=letter.received_date)
    labels = current_labels(session, letter)
    doc.type, doc.agency, doc.field = labels["type"], labels["agency"], labels["field"]
    doc.status = letter.status
    doc.channel = letter.channel
    doc.dossier_id = letter.dossier_id
    return doc


def index_letter(svc: Services, letter_id: int) -> None:
    """The index stage, also called after every edit: (re)write the letter's document, or drop it if the letter
    is gone. With SQLite the index entry is written in the same transaction as the read of the letter."""
    with svc.db.write() as session:
        letter = session.get(Letter, letter_id)
        if letter is None:
            svc.search.delete([letter_id], session=session)
            return
        svc.search.index([document_for(session, letter)], session=session)
        failpoint(svc.settings, "index.written")  # the document is written, the transaction not yet committed


def remove_letter(svc: Services, letter_id: int) -> None:
    svc.search.delete([letter_id])


def label_letter(svc: Services, letter_id: int, *, type: str, agency: str, field: str,  # noqa: A002
                 flags: dict | None = None, user_id: int | None = None) -> LetterLabel:
    """Record a reviewer's labels and re-index the letter under them, in one transaction where possible."""
    with svc.db.write() as session:
        label = record_labels(session, letter_id, type=type, agency=agency, field=field, flags=flags,
                              user_id=user_id)
        letter = session.get(Letter, letter_id)
        session.flush()
        svc.search.index([document_for(session, letter)], session=session)
    return label


# -- donthu reindex ------------------------------------------------------------------------------------------
@dataclass
class ReindexReport:
    target: str
    indexed: int
    removed: int
    total: int
    resumed_from: int


def _checkpoint_path(svc: Services) -> Path:
    return svc.settings.data_dir / "reindex.json"


def _letter_batches(svc: Services, after_id: int, batch: int) -> Iterator[list[SearchDocument]]:
    last = after_id
    while True:
        with svc.db.read() as session:
            letters = session.scalars(
                select(Letter).where(Letter.id > last, Letter.status == "ocr_done").order_by(Letter.id).limit(batch)
            ).all()
            if not letters:
                return
            docs = [document_for(session, letter) for letter in letters]
        last = letters[-1].id
        yield docs


def reindex(svc: Services, *, batch: int = 200, fresh: bool = False,
            progress: Callable[[int], None] | None = None) -> ReindexReport:
    """Rebuild the index from the database in batches. A checkpoint after each batch lets an interrupted run
    resume where it stopped (``fresh`` starts over); the new index goes live only when every letter is in."""
    checkpoint = _checkpoint_path(svc)
    state = {} if fresh or not checkpoint.exists() else json.loads(checkpoint.read_text())
    target = svc.search.start_rebuild(state.get("target"))
    after = int(state.get("last_id", 0)) if state.get("target") == target else 0
    with svc.db.read() as session:
        total = session.scalar(select(func.count(Letter.id)).where(Letter.status == "ocr_done")) or 0
        wanted = set(session.scalars(select(Letter.id).where(Letter.status == "ocr_done")))
    indexed = 0
    for docs in _letter_batches(svc, after, batch):
        svc.search.index_into(target, docs)
        indexed += len(docs)
        checkpoint.write_text(json.dumps({"target": target, "last_id": docs[-1].letter_id}))
        if progress:
            progress(len(docs))
    svc.search.finish_rebuild(target)
    stale = svc.search.ids() - wanted
    svc.search.delete(stale)
    checkpoint.unlink(missing_ok=True)
    return ReindexReport(target=target, indexed=indexed, removed=len(stale), total=total, resumed_from=after)
