"""Dossier services (hồ sơ vụ việc): open a matter from a letter, attach repeats, decide the handling (which sets
the legal deadline), assign, record steps, results and the agencies' replies. The web pages, the API and the
review action all call these; each writes its history step and audit event in the caller's transaction."""

from __future__ import annotations

import mimetypes
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from classify.matter import body
from core.deadlines import DECISION_LABELS, DECISIONS, Deadline, decision_deadline
from ingest.confidentiality import PROTECTED_TYPE, Masker, identity_terms
from ingest.storage import sha256_of, write_atomic
from models import Dossier, DossierAttachment, DossierCounter, DossierStep, Letter, User
from models.audit import record
from models.dossiers import DOSSIER_STATUSES, RESULT_LABELS, RESULTS, STATUS_LABELS, holiday_set
from models.register import next_seq

# the status a handling decision puts its matter in
STATUS_AFTER = {"thu_ly": "in_progress", "chuyen_don": "forwarded", "don_doc": "forwarded", "huong_dan": "resolved",
                "tra_lai": "resolved", "luu_don": "archived"}
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
SUMMARY_CHARS = 400


class DossierError(ValueError):
    """A dossier action that cannot be done, with a message for the person who asked."""


def format_dossier_no(seq: int, year: int) -> str:
    return f"{seq:04d}/{year}/HS"


def new_dossier(session: Session, user_id: int | None, *, type: str, field: str, agency: str,  # noqa: A002
                summary: str) -> Dossier:
    """A numbered, empty matter (flushed, so it has its id); protected when it is a denunciation."""
    year = date.today().year
    seq = next_seq(session, DossierCounter, year)
    dossier = Dossier(year=year, seq=seq, number=format_dossier_no(seq, year), type=type, field=field, agency=agency,
                      summary=summary, protected=type == PROTECTED_TYPE, opened_by_id=user_id, status="open")
    session.add(dossier)
    session.flush()
    return dossier


def summary_of(letter: Letter) -> str:
    """The opening of what the letter is about: no header, title, identity or signature lines, and never the
    sender's identity (the summary is printed on forwarding slips)."""
    extracted = (letter.classification or {}).get("extracted") or {}
    masker = Masker(identity_terms(letter))
    kept = []
    for line in body(letter.full_text or "", extracted.get("sender")).split("\n"):
        line = " ".join(line.split())
        if not line or (line.upper() == line and len(line) < 80) or len(line) < 25 or masker.spans(line):
            continue  # a title ("ĐƠN KHIẾU NẠI"), a signature block line, or one that names the sender
        kept.append(line)
    about = " ".join(kept)
    if len(about) > SUMMARY_CHARS:
        about = about[:SUMMARY_CHARS].rsplit(" ", 1)[0] + "…"
    return masker.text(about) or ""


def add_step(session: Session, dossier: Dossier, action: str, user_id: int | None, detail: str = "", *,
             letter_id: int | None = None, on: date | None = None) -> DossierStep:
    step = DossierStep(dossier_id=dossier.id, action=action, user_id=user_id, detail=detail, letter_id=letter_id,
                       on=on or date.today())
    session.add(step)
    return step


def open_dossier(session: Session, letter: Letter, user_id: int | None, *, type: str, field: str,  # noqa: A002
                 agency: str, summary: str | None = None) -> Dossier:
    """A new matter whose first letter is ``letter``."""
    dossier = new_dossier(session, user_id, type=type, field=field, agency=agency,
                          summary=summary if summary is not None else summary_of(letter))
    add_step(session, dossier, "opened", user_id, f"Mở hồ sơ từ đơn số đến {letter.register_no}",
             letter_id=letter.id)
    record(session, "dossier_opened", actor="web", user_id=user_id, letter_id=letter.id, dossier=dossier.number)
    attach_letter(session, dossier, letter, user_id, step=False)
    return dossier


def letters_of(session: Session, dossier_id: int) -> list[Letter]:
    """The matter's letters in the order they came: the first one, then its repeats."""
    return list(session.scalars(select(Letter).where(Letter.dossier_id == dossier_id)
                                .order_by(Letter.received_date, Letter.id)))


def attach_letter(session: Session, dossier: Dossier, letter: Letter, user_id: int | None, *,
                  step: bool = True) -> int:
    """Put ``letter`` in ``dossier`` (moving it out of another); returns how many letters the matter now has."""
    if letter.dossier_id == dossier.id:
        return _count(session, dossier.id)
    if letter.dossier_id is not None:
        old = session.get(Dossier, letter.dossier_id)
        if old is not None:
            add_step(session, old, "letter_moved", user_id, f"Đơn {letter.register_no} chuyển sang hồ sơ {dossier.number}",
                     letter_id=letter.id)
    letter.dossier_id = dossier.id
    session.flush()
    count = _count(session, dossier.id)
    if letter.type == PROTECTED_TYPE:  # a denunciation makes its whole matter protected
        dossier.protected = True
    if step:
        add_step(session, dossier, "letter_attached", user_id,
                 f"Đơn {letter.register_no} nhập hồ sơ (lần {count})", letter_id=letter.id)
        record(session, "letter_attached", actor="web", user_id=user_id, letter_id=letter.id, dossier=dossier.number)
    return count


def _count(session: Session, dossier_id: int) -> int:
    return session.scalar(select(func.count()).where(Letter.dossier_id == dossier_id)) or 0


def apply_deadline(dossier: Dossier, deadline: Deadline | None) -> None:
    dossier.deadline = deadline.due if deadline else None
    dossier.deadline_step = deadline.step if deadline else None
    dossier.deadline_label = deadline.label if deadline else None
    dossier.deadline_working_days = bool(deadline and deadline.working_days)


def decide(session: Session, dossier: Dossier, decision: str, user_id: int | None, *, on: date | None = None,
           complex: bool | None = None, round: int | None = None, note: str = "") -> Deadline | None:  # noqa: A002
    """Record the handling decision: it sets the matter's status and its legal deadline, counted from ``on``."""
    if decision not in DECISIONS:
        raise DossierError(f"hướng xử lý không hợp lệ: {decision!r}")
    on = on or date.today()
    if complex is not None:
        dossier.complex = complex
    if round is not None:
        if round not in (1, 2):
            raise DossierError("lần giải quyết phải là 1 hoặc 2")
        dossier.round = round
    deadline = decision_deadline(decision, type=dossier.type, start=on, round=dossier.round, complex=dossier.complex,
                                 extensions=dossier.extensions, holidays=holiday_set(session))
    dossier.decision, dossier.decided_at = decision, on
    dossier.status = STATUS_AFTER[decision]
    apply_deadline(dossier, deadline)
    detail = f"Hướng xử lý: {DECISION_LABELS[decision]}" + (
        f"; hạn {deadline.due:%d/%m/%Y} ({deadline.label})" if deadline else "")
    add_step(session, dossier, "decision", user_id, detail + (f". {note}" if note else ""), on=on)
    record(session, "dossier_decision", actor="web", user_id=user_id, dossier=dossier.number, decision=decision)
    return deadline


def extend(session: Session, dossier: Dossier, user_id: int | None, note: str = "") -> Deadline | None:
    """Extend a denunciation's resolution deadline once more (the law allows one, or two if very complex)."""
    if dossier.decision != "thu_ly" or dossier.decided_at is None:
        raise DossierError("chỉ gia hạn được vụ việc đã thụ lý")
    try:
        deadline = decision_deadline("thu_ly", type=dossier.type, start=dossier.decided_at, round=dossier.round,
                                     complex=dossier.complex, extensions=dossier.extensions + 1,
                                     holidays=holiday_set(session))
    except ValueError as exc:
        raise DossierError("đã hết số lần gia hạn cho phép") from exc
    dossier.extensions += 1
    apply_deadline(dossier, deadline)
    add_step(session, dossier, "extended", user_id, f"Gia hạn lần {dossier.extensions}" + (f". {note}" if note else ""))
    return deadline


def set_status(session: Session, dossier: Dossier, status: str, user_id: int | None, note: str = "") -> None:
    if status not in DOSSIER_STATUSES:
        raise DossierError(f"trạng thái không hợp lệ: {status!r}")
    if status == dossier.status:
        return
    dossier.status = status
    add_step(session, dossier, "status", user_id, f"Trạng thái: {STATUS_LABELS[status]}" + (f". {note}" if note else ""))


def assign(session: Session, dossier: Dossier, officer_id: int | None, user_id: int | None) -> None:
    officer = session.get(User, officer_id) if officer_id else None
    if officer_id and (officer is None or not officer.active):
        raise DossierError("không có cán bộ này")
    dossier.assigned_to_id = officer.id if officer else None
    add_step(session, dossier, "assigned", user_id,
             f"Giao cho {officer.full_name or officer.email}" if officer else "Bỏ giao việc")
    record(session, "dossier_assigned", actor="web", user_id=user_id, dossier=dossier.number,
           officer_id=officer.id if officer else None)


def record_result(session: Session, dossier: Dossier, result: str, user_id: int | None, *, on: date | None = None,
                  note: str = "") -> None:
    """The matter's outcome; it is then resolved and its deadline stops running."""
    if result not in RESULTS:
        raise DossierError(f"kết quả không hợp lệ: {result!r}")
    dossier.result, dossier.result_at, dossier.result_note = result, on or date.today(), note
    dossier.status = "resolved"
    add_step(session, dossier, "result", user_id, f"Kết quả: {RESULT_LABELS[result]}" + (f". {note}" if note else ""),
             on=dossier.result_at)


def add_note(session: Session, dossier: Dossier, text: str, user_id: int | None) -> None:
    text = text.strip()
    if not text:
        raise DossierError("ghi chú trống")
    add_step(session, dossier, "note", user_id, text)


def add_attachment(session: Session, data_dir: Any, dossier: Dossier, data: bytes, name: str, user_id: int | None,
                   *, kind: str = "reply", note: str = "") -> DossierAttachment:
    """File a document on the matter (stored before the row is written, so nothing is lost)."""
    if not data:
        raise DossierError("tệp đính kèm trống")
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise DossierError(f"tệp đính kèm lớn hơn {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB")
    sha = sha256_of(data)
    suffix = "".join(c for c in ("." + name.rsplit(".", 1)[-1] if "." in name else "") if c.isalnum() or c == ".")
    rel = f"attachments/{sha[:2]}/{sha}{suffix[:10]}"
    target = data_dir / rel
    if not target.exists():
        write_atomic(target, data, mode=0o444)
    media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    attachment = DossierAttachment(dossier_id=dossier.id, original_name=name[:255], media_type=media_type,
                                   size_bytes=len(data), sha256=sha, storage_path=rel, kind=kind, note=note,
                                   uploaded_by_id=user_id)
    session.add(attachment)
    add_step(session, dossier, "attachment", user_id, f"Đính kèm: {name}" + (f". {note}" if note else ""))
    return attachment


def dossier_json(session: Session, dossier: Dossier, *, masker: Masker | None = None) -> dict[str, Any]:
    """The API shape of a dossier."""
    mask = masker or Masker([])
    letters = letters_of(session, dossier.id)
    return {
        "dossier_id": dossier.id, "number": dossier.number, "summary": mask.text(dossier.summary),
        "type": dossier.type, "field": dossier.field, "agency": dossier.agency, "status": dossier.status,
        "protected": dossier.protected, "decision": dossier.decision,
        "decided_at": dossier.decided_at.isoformat() if dossier.decided_at else None,
        "deadline": dossier.deadline.isoformat() if dossier.deadline else None,
        "deadline_label": dossier.deadline_label, "round": dossier.round, "complex": dossier.complex,
        "assigned_to_id": dossier.assigned_to_id, "result": dossier.result,
        "result_at": dossier.result_at.isoformat() if dossier.result_at else None,
        "letters": [{"letter_id": x.id, "register_no": x.register_no, "received_date": x.received_date.isoformat(),
                     "position": i + 1} for i, x in enumerate(letters)],
        "steps": [{"at": s.at.isoformat(timespec="seconds"), "on": s.on.isoformat(), "action": s.action,
                   "detail": mask.text(s.detail), "user_id": s.user_id, "letter_id": s.letter_id}
                  for s in dossier.steps],
    }
