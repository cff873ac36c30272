"""The review action: a reviewer confirms or corrects a letter's labels, ties it to a matter (a new dossier or an
existing one, as a repeat) and decides its handling. One transaction; the search index follows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from classify.labels import record_labels
from core.deadlines import DECISIONS
from ingest.dossiers import DossierError, attach_letter, decide, open_dossier
from ingest.indexing import document_for
from ingest.services import Services
from models import Dossier, Letter, Page
from models.audit import record
from models.base import utcnow

# earlier handling of the matter, as the letter tells it: none, resolved once, several times, a court has ruled
PRIOR_RESOLUTIONS = ("none", "once", "many", "judgment")


@dataclass
class ReviewInput:
    type: str
    agency: str
    field: str
    flags: dict[str, bool] = field(default_factory=dict)
    decision: str | None = None  # a handling decision (core.deadlines.DECISIONS) or none yet
    dossier: str | int | None = None  # "new", an existing dossier's id, or None to leave the letter unattached
    complex: bool = False
    round: int = 1
    note: str = ""
    prior_resolution: str | None = None  # what the letter says of earlier handling; None keeps what is recorded

    @classmethod
    def from_mapping(cls, data: Any) -> ReviewInput:
        """From a form or a JSON body; raises DossierError with a message for the reviewer."""
        def text(name: str) -> str:
            value = data.get(name)
            return str(value).strip() if value is not None else ""

        flags_value = data.get("flags")
        if isinstance(flags_value, dict):
            flags = {k: bool(v) for k, v in flags_value.items()}
        else:
            getlist = getattr(data, "getlist", None)
            chosen = getlist("flags") if getlist else (flags_value or [])
            flags = {k: True for k in chosen}
        dossier: str | int | None = text("dossier") or None
        if dossier not in (None, "new"):
            try:
                dossier = int(str(dossier).lstrip("#"))
            except ValueError as exc:
                raise DossierError(f"số hồ sơ không hợp lệ: {dossier!r}") from exc
        decision = text("decision") or None
        if decision is not None and decision not in DECISIONS:
            raise DossierError(f"hướng xử lý không hợp lệ: {decision!r}")
        try:
            round_ = int(text("round") or 1)
        except ValueError as exc:
            raise DossierError("lần giải quyết không hợp lệ") from exc
        prior = text("prior_resolution") or None
        if prior is not None and prior not in PRIOR_RESOLUTIONS:
            raise DossierError(f"tình trạng giải quyết không hợp lệ: {prior!r}")
        complex_value = data.get("complex")
        return cls(type=text("type"), agency=text("agency"), field=text("field"), flags=flags, decision=decision,
                   dossier=dossier, complex=complex_value in (True, "1", "on", "true", 1), round=round_,
                   note=text("note"), prior_resolution=prior)


@dataclass
class ReviewOutcome:
    letter_id: int
    corrected: bool
    dossier_id: int | None
    dossier_number: str | None
    position: int | None  # the letter's place among the matter's letters (1 = first time)
    decision: str | None
    deadline: date | None

    def as_dict(self) -> dict[str, Any]:
        return {"letter_id": self.letter_id, "corrected": self.corrected, "dossier_id": self.dossier_id,
                "dossier_number": self.dossier_number, "position": self.position, "decision": self.decision,
                "deadline": self.deadline.isoformat() if self.deadline else None}


def review_letter(svc: Services, letter_id: int, user_id: int | None, given: ReviewInput, *,
                  actor: str = "web") -> ReviewOutcome:
    """Apply a review. The labels become training data; the decision sets the matter's deadline when it is the
    matter's first (a repeat joining a decided matter keeps the matter's course and only records its own)."""
    with svc.db.write() as session:
        letter = session.get(Letter, letter_id)
        if letter is None:
            raise DossierError(f"không có đơn {letter_id}")
        if letter.status != "ocr_done":
            raise DossierError("đơn chưa xử lý xong, chưa thể duyệt")
        try:
            label = record_labels(session, letter_id, type=given.type, agency=given.agency, field=given.field,
                                  flags=given.flags, user_id=user_id, actor=actor)
        except ValueError as exc:
            raise DossierError(f"nhãn không hợp lệ: {exc}") from exc
        session.flush()
        dossier: Dossier | None = None
        position = None
        if given.dossier == "new":
            dossier = open_dossier(session, letter, user_id, type=given.type, field=given.field, agency=given.agency)
            position = 1
        elif given.dossier is not None:
            dossier = session.get(Dossier, given.dossier)
            if dossier is None:
                raise DossierError(f"không có hồ sơ {given.dossier}")
            position = attach_letter(session, dossier, letter, user_id)
        elif letter.dossier_id is not None:
            dossier = session.get(Dossier, letter.dossier_id)
        deadline = None
        if given.decision:
            letter.decision = given.decision
            if dossier is not None and (dossier.decision is None or given.dossier == "new"):
                decided = decide(session, dossier, given.decision, user_id, complex=given.complex,
                                 round=given.round, note=given.note)
                deadline = decided.due if decided else None
        if given.prior_resolution:
            letter.prior_resolution = given.prior_resolution
        letter.reviewed_at = utcnow()
        letter.reviewed_by_id = user_id
        letter.needs_review = False
        letter.refresh_queue()
        record(session, "letter_reviewed", actor=actor, user_id=user_id, letter_id=letter_id,
               decision=given.decision, dossier=dossier.number if dossier else None)
        session.flush()
        svc.search.index([document_for(session, letter)], session=session)
        return ReviewOutcome(letter_id, label.corrected, dossier.id if dossier else None,
                             dossier.number if dossier else None, position, given.decision,
                             deadline or (dossier.deadline if dossier else None))


def correct_page_text(svc: Services, letter_id: int, index: int, text: str, user_id: int | None) -> None:
    """A reviewer's fix of a page's OCR text: the letter's text is reassembled and re-indexed (its classification
    stays as it was; the reviewer sets the labels)."""
    with svc.db.write() as session:
        page = session.query(Page).filter_by(letter_id=letter_id, index=index).one_or_none()
        if page is None:
            raise DossierError(f"không có trang {index + 1}")
        page.text = text.replace("\r\n", "\n")
        letter = session.get(Letter, letter_id)
        session.flush()
        letter.full_text = "\n\n".join(p.text or "" for p in letter.pages).strip() or None
        record(session, "text_corrected", actor="web", user_id=user_id, letter_id=letter_id, page=index)
        session.flush()
        svc.search.index([document_for(session, letter)], session=session)
