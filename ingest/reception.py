"""Citizen reception services (tiếp công dân): record a session and the visits received in it, their conclusion and
assignment, and tie a visit to its matter — join an existing dossier (the visit is then a repeat when the matter was
raised before), open a dossier from the visit, or link the letter the citizen handed in.

The TCD01 report counts what these write: a visit's ``repeat`` and ``dossier_id`` decide whether its matter is
counted as first time or repeat. Each function writes its dossier step and audit event in the caller's transaction
and raises ``DossierError`` (with a Vietnamese message) for input it refuses."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from classify.corpus import FIELDS, TYPES
from ingest.confidentiality import PROTECTED_TYPE, Masker, handles
from ingest.dossiers import SUMMARY_CHARS, DossierError, add_step, attach_letter, new_dossier
from models import Agency, Dossier, Letter, ReceptionSession, User, Visit
from models.audit import record
from models.reception import RECEPTION_KINDS

MAX_HEADCOUNT = 10_000
CITIZEN_ID = re.compile(r"\d{12}")
PHONE = re.compile(r"\+?[\d .\-()]{6,31}")


def _text(value: str | None, limit: int, what: str) -> str:
    """One line of text, spacing collapsed, at most ``limit`` characters (the column's size)."""
    text = " ".join((value or "").split())
    if len(text) > limit:
        raise DossierError(f"{what} dài quá {limit} ký tự")
    return text


def _lines(value: str | None) -> str:
    """One name a line, blank lines dropped."""
    return "\n".join(" ".join(line.split()) for line in (value or "").splitlines() if line.strip())


def _agency(session: Session, code: str | None, *, required: bool = False) -> str | None:
    code = (code or "").strip() or None
    if code is None:
        if required:
            raise DossierError("chưa chọn cơ quan xử lý")
        return None
    if session.scalar(select(Agency.id).where(Agency.code == code)) is None:
        raise DossierError(f"không có cơ quan mã {code!r}")
    return code


def _officer(session: Session, user_id: int | None) -> int | None:
    if not user_id:
        return None
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise DossierError("không có cán bộ này")
    return user.id


def _type(value: str | None, *, required: bool = False) -> str | None:
    value = (value or "").strip() or None
    if value is None and required:
        raise DossierError("chưa chọn loại đơn")
    if value is not None and value not in TYPES:
        raise DossierError(f"loại đơn không hợp lệ: {value!r}")
    return value


def _field(value: str | None, *, required: bool = False) -> str | None:
    value = (value or "").strip() or None
    if value is None and required:
        raise DossierError("chưa chọn lĩnh vực")
    if value is not None and value not in FIELDS:
        raise DossierError(f"lĩnh vực không hợp lệ: {value!r}")
    return value


def create_session(session: Session, *, held_on: date | None, kind: str, leader: str, place: str = "",
                   notes: str = "", user_id: int | None) -> ReceptionSession:
    """A reception session (buổi tiếp công dân) held on ``held_on`` (it may be scheduled ahead; visits are added
    once it has been held)."""
    if held_on is None:
        raise DossierError("chưa nhập ngày tiếp")
    if kind not in RECEPTION_KINDS:
        raise DossierError(f"hình thức tiếp không hợp lệ: {kind!r}")
    leader = _text(leader, 200, "người chủ trì")
    if not leader:
        raise DossierError("chưa nhập người chủ trì buổi tiếp")
    row = ReceptionSession(held_on=held_on, kind=kind, leader=leader, place=_text(place, 200, "địa điểm"),
                           notes=(notes or "").strip(), created_by_id=user_id)
    session.add(row)
    session.flush()
    record(session, "reception_session_created", actor="web", user_id=user_id, reception_session=row.id,
           held_on=held_on.isoformat(), kind=kind)
    return row


def add_visit(session: Session, reception_session: ReceptionSession, *, delegation: bool, headcount: int | None,
              name: str, representatives: str = "", address: str = "", phone: str = "", citizen_id: str = "",
              content: str, type: str | None = None, field: str | None = None,  # noqa: A002
              conclusion: str = "", assigned_agency: str | None = None, assigned_to_id: int | None = None,
              user_id: int | None) -> Visit:
    """One citizen, or one delegation of ``headcount`` people, received in ``reception_session`` about one matter."""
    if reception_session.held_on > date.today():
        raise DossierError(f"buổi tiếp ngày {reception_session.held_on:%d/%m/%Y} chưa diễn ra")
    if headcount is None:
        headcount = 2 if delegation else 1
    if delegation and headcount < 2:
        raise DossierError("đoàn đông người phải có từ 2 người trở lên")
    if not delegation and headcount != 1:
        raise DossierError("lượt tiếp cá nhân chỉ có 1 người (nhiều người thì chọn đoàn)")
    if headcount > MAX_HEADCOUNT:
        raise DossierError(f"số người không hợp lệ: {headcount}")
    name = _text(name, 200, "họ tên")
    if not name:
        raise DossierError("chưa nhập họ tên người đến" if not delegation else "chưa nhập người đại diện đoàn")
    citizen_id = "".join((citizen_id or "").split())
    if citizen_id and not CITIZEN_ID.fullmatch(citizen_id):
        raise DossierError("số CCCD phải gồm 12 chữ số")
    phone = _text(phone, 32, "số điện thoại")
    if phone and not PHONE.fullmatch(phone):
        raise DossierError(f"số điện thoại không hợp lệ: {phone!r}")
    content = (content or "").strip()
    if not content:
        raise DossierError("chưa nhập nội dung trình bày")
    visit = Visit(session_id=reception_session.id, delegation=bool(delegation), headcount=headcount, name=name,
                  representatives=_lines(representatives) if delegation else "",
                  address=_text(address, 300, "địa chỉ"), phone=phone, citizen_id=citizen_id, content=content,
                  type=_type(type), field=_field(field), conclusion=(conclusion or "").strip(),
                  assigned_agency=_agency(session, assigned_agency), assigned_to_id=_officer(session, assigned_to_id),
                  repeat=False)
    session.add(visit)
    session.flush()
    record(session, "reception_visit_added", actor="web", user_id=user_id, reception_session=reception_session.id,
           visit=visit.id)
    return visit


def update_visit(session: Session, visit: Visit, *, conclusion: str, assigned_agency: str | None,
                 assigned_to_id: int | None, user_id: int | None) -> None:
    """The leader's conclusion at the visit and who is to follow it up."""
    visit.assigned_agency = _agency(session, assigned_agency)
    visit.assigned_to_id = _officer(session, assigned_to_id)
    visit.conclusion = (conclusion or "").strip()
    record(session, "reception_visit_updated", actor="web", user_id=user_id, visit=visit.id,
           assigned_agency=visit.assigned_agency, assigned_to_id=visit.assigned_to_id)


def _held_on(session: Session, visit: Visit) -> date:
    return session.scalar(select(ReceptionSession.held_on).where(ReceptionSession.id == visit.session_id))


def _was_raised_before(session: Session, visit: Visit, dossier: Dossier) -> bool:
    """The matter had a letter received by the day of the visit (other than the one handed in at it), or a visit
    received earlier (an earlier day, or earlier the same day)."""
    held_on = _held_on(session, visit)
    letters = select(func.count()).where(Letter.dossier_id == dossier.id, Letter.received_date <= held_on)
    if visit.letter_id is not None:
        letters = letters.where(Letter.id != visit.letter_id)
    if session.scalar(letters):
        return True
    earlier = (select(func.count()).select_from(Visit).join(ReceptionSession, ReceptionSession.id == Visit.session_id)
               .where(Visit.dossier_id == dossier.id, Visit.id != visit.id,
                      (ReceptionSession.held_on < held_on)
                      | ((ReceptionSession.held_on == held_on) & (Visit.id < visit.id))))
    return bool(session.scalar(earlier))


def step_text(visit: Visit, dossier: Dossier) -> str:
    """The dossier step for a visit: names the visitor unless the matter is a denunciation (a dossier's history is
    shown to every user; the denouncer's identity stays on the reception page, masked for non-handlers)."""
    who = "người tố cáo (giữ bí mật)" if dossier.protected or visit.type == PROTECTED_TYPE else visit.name
    return f"{who} ({visit.headcount} người)" + (", đoàn đông người" if visit.delegation else "")


def join_dossier(session: Session, visit: Visit, dossier: Dossier, user_id: int | None) -> bool:
    """Put the visit in an existing matter; returns ``visit.repeat``: the matter was raised before."""
    if visit.dossier_id == dossier.id:
        return visit.repeat
    if visit.dossier_id is not None:
        current = session.get(Dossier, visit.dossier_id)
        raise DossierError(f"lượt tiếp đã thuộc hồ sơ {current.number if current else visit.dossier_id}")
    if visit.type == PROTECTED_TYPE:
        dossier.protected = True
    held_on = _held_on(session, visit)
    visit.repeat = _was_raised_before(session, visit, dossier)
    visit.dossier_id = dossier.id
    add_step(session, dossier, "visit", user_id,
             f"Tiếp công dân ngày {held_on:%d/%m/%Y}: {step_text(visit, dossier)}"
             + (" — vụ việc đã phản ánh trước đó" if visit.repeat else ""), on=held_on)
    session.flush()
    record(session, "reception_visit_joined", actor="web", user_id=user_id, visit=visit.id, dossier=dossier.number,
           repeat=visit.repeat)
    return visit.repeat


def identity_terms(visit: Visit) -> list[str]:
    """The strings that identify the visitor: name, representatives, address, phone, citizen ID."""
    terms = [visit.name, visit.address, visit.phone, visit.citizen_id, *(visit.representatives or "").splitlines()]
    return [t for t in terms if t and len(t.strip()) >= 3]


def summary_of_visit(visit: Visit) -> str:
    """The dossier summary from what the visitor said, never with the visitor's identity (it is printed on
    forwarding slips)."""
    about = " ".join(visit.content.split())
    if len(about) > SUMMARY_CHARS:
        about = about[:SUMMARY_CHARS].rsplit(" ", 1)[0] + "…"
    return Masker(identity_terms(visit)).text(about) or ""


def open_dossier_for_visit(session: Session, visit: Visit, user_id: int | None, *, type: str | None,  # noqa: A002
                           field: str | None, agency: str | None) -> Dossier:
    """A new matter first raised at this visit (no letter yet): numbered like any dossier."""
    if visit.dossier_id is not None:
        current = session.get(Dossier, visit.dossier_id)
        raise DossierError(f"lượt tiếp đã thuộc hồ sơ {current.number if current else visit.dossier_id}")
    type_ = _type(type, required=True)
    field = _field(field, required=True)
    agency = _agency(session, agency, required=True)
    dossier = new_dossier(session, user_id, type=type_, field=field, agency=agency, summary=summary_of_visit(visit))
    held_on = _held_on(session, visit)
    add_step(session, dossier, "opened", user_id,
             f"Mở hồ sơ từ buổi tiếp công dân ngày {held_on:%d/%m/%Y}: {step_text(visit, dossier)}")
    visit.dossier_id, visit.repeat = dossier.id, False
    if visit.type is None:
        visit.type = type_
    if visit.field is None:
        visit.field = field
    record(session, "dossier_opened", actor="web", user_id=user_id, dossier=dossier.number, visit=visit.id)
    if visit.letter_id is not None:  # the letter handed in at the visit belongs to the new matter
        letter = session.get(Letter, visit.letter_id)
        if letter is not None and letter.dossier_id is None:
            attach_letter(session, dossier, letter, user_id)
    session.flush()
    return dossier


def normalise_register_no(typed: str) -> str:
    """A register number as typed ("12/2026", "0012/2026") in its stored form ("0012/2026")."""
    typed = "".join(typed.split())
    found = re.fullmatch(r"(\d{1,6})/(\d{4})", typed)
    return f"{int(found.group(1)):04d}/{found.group(2)}" if found else typed


def link_letter(session: Session, visit: Visit, letter_id: int | None, *, user_id: int | None = None) -> Letter:
    """The letter the citizen handed in at the visit. When the visit belongs to a matter and the letter to none,
    the letter joins the matter too."""
    letter = session.get(Letter, letter_id) if letter_id else None
    if letter is None:
        raise DossierError("không tìm thấy đơn")
    if visit.letter_id == letter.id:
        return letter
    visit.letter_id = letter.id
    record(session, "reception_letter_linked", actor="web", user_id=user_id, letter_id=letter.id, visit=visit.id)
    if visit.dossier_id is not None and letter.dossier_id is None:
        dossier = session.get(Dossier, visit.dossier_id)
        if dossier is not None:
            attach_letter(session, dossier, letter, user_id)
    session.flush()
    return letter


def letter_by_register_no(session: Session, typed: str) -> Letter:
    typed = (typed or "").strip()
    if not typed:
        raise DossierError("chưa nhập số đến của đơn")
    letter = session.scalar(select(Letter).where(Letter.register_no == normalise_register_no(typed)))
    if letter is None:
        raise DossierError(f"không tìm thấy đơn số đến {typed}")
    return letter


def dossier_by_number(session: Session, typed: str) -> Dossier:
    """A dossier by its number as typed: 0001/2026/HS, 1/2026/HS, 0001/2026 or #id."""
    typed = "".join((typed or "").split())
    if not typed:
        raise DossierError("chưa nhập số hồ sơ")
    found = re.fullmatch(r"(\d{1,6})/(\d{4})(?:/HS)?", typed, flags=re.IGNORECASE)
    dossier = None
    if found:
        dossier = session.scalar(select(Dossier).where(Dossier.year == int(found.group(2)),
                                                       Dossier.seq == int(found.group(1))))
    elif typed.startswith("#") and typed[1:].isdigit():
        dossier = session.get(Dossier, int(typed[1:]))
    if dossier is None:
        raise DossierError(f"không tìm thấy hồ sơ {typed}")
    return dossier


def identity_shown(user: User | None, visit: Visit, reception_session: ReceptionSession,
                   dossier: Dossier | None) -> bool:
    """May ``user`` see who the visitor is? Always, unless the visit is about a denunciation (or belongs to a
    protected matter): then only the people handling it — reviewers, the dossier's officer and opener — the user
    who recorded the session, and the user the visit was assigned to."""
    if visit.type != PROTECTED_TYPE and not (dossier is not None and dossier.protected):
        return True
    if user is None:
        return False
    return handles(user, None, dossier) or user.id in (reception_session.created_by_id, visit.assigned_to_id)
