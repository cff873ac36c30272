"""Administration pages ``/admin``: staff accounts and their API tokens, the handler-agency catalog, the holiday
calendar. Admins only; every change is written to the audit log.

Secrets (a generated password, a new API token) are shown once, in the response to the POST that made them: they
are flashed and rendered in the same request, so they never travel in the (signed, not encrypted) session cookie.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from flask import Blueprint, abort, flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext
from sqlalchemy import extract, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.deadlines import DEFAULT_HOLIDAYS
from models import ROLES, Agency, ApiToken, Holiday, User
from models.audit import record
from models.base import utcnow
from web.accounts import create_user, hash_password, issue_token
from web.app import services
from web.auth import registry
from web.permissions import requires

admin = Blueprint("admin", __name__, url_prefix="/admin")

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
AGENCY_CODE = re.compile(r"^[A-Z0-9_]+$")
MIN_PASSWORD = 8
WEEKDAYS = (lazy_gettext("Thứ Hai"), lazy_gettext("Thứ Ba"), lazy_gettext("Thứ Tư"), lazy_gettext("Thứ Năm"),
            lazy_gettext("Thứ Sáu"), lazy_gettext("Thứ Bảy"), lazy_gettext("Chủ nhật"))
_DEFAULT_DAYS = frozenset(day for day, _name in DEFAULT_HOLIDAYS)
VIETNAM = timezone(timedelta(hours=7), "ICT")  # no daylight saving time


class Invalid(ValueError):
    """A form value the admin must correct: its message is shown as is."""


def _local(value: datetime | None) -> str:
    """A stored (naive UTC) time as Vietnamese local time, dd/mm/yyyy HH:MM."""
    if value is None:
        return ""
    return value.replace(tzinfo=UTC).astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M")


@admin.context_processor
def _helpers() -> dict[str, Any]:
    return {"local_time": _local, "weekday": lambda d: WEEKDAYS[d.weekday()], "roles": ROLES}


def _audit(db: Session, action: str, **detail: Any) -> None:
    record(db, action, actor="web", user_id=g.user.id, **detail)


def _no_store(response):  # noqa: ANN001, ANN202
    response.headers["Cache-Control"] = "no-store"
    return response


def _error(message: str) -> None:
    flash(message, "error")


# -- users ---------------------------------------------------------------------------------------------------------


def _agencies(db: Session) -> list[Agency]:
    return list(db.scalars(select(Agency).order_by(Agency.sort_order, Agency.code)))


def _parse_role(raw: str) -> str:
    if raw not in ROLES:
        raise Invalid(gettext("Vai trò không hợp lệ."))
    return raw


def _parse_agency(db: Session, raw: str) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    if not raw.isdigit() or db.get(Agency, int(raw)) is None:
        raise Invalid(gettext("Cơ quan không tồn tại."))
    return int(raw)


def _check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise Invalid(gettext("Mật khẩu phải có ít nhất %(count)s ký tự.", count=MIN_PASSWORD))
    return password


def _users_page(form: dict[str, str] | None = None, status: int = 200):  # noqa: ANN202
    with services().db.read() as db:
        users = list(db.scalars(select(User).order_by(User.email)))
        agencies = _agencies(db)
    names = {a.id: a.name for a in agencies}
    return render_template("admin/users.html", users=users, agencies=agencies, agency_names=names,
                           form=form or {"role": "clerk"}, section="users"), status


@admin.route("/")
@requires("admin")
def index():  # noqa: ANN201
    return redirect(url_for("admin.users"))


@admin.route("/users")
@requires("admin")
def users():  # noqa: ANN201
    return _users_page()


@admin.route("/users", methods=["POST"])
@requires("admin")
def create_user_view():  # noqa: ANN201
    form = {key: request.form.get(key, "") for key in ("email", "full_name", "role", "agency_id")}
    form["email"] = form["email"].strip().lower()
    form["full_name"] = form["full_name"].strip()
    password = request.form.get("password", "")
    generated = not password
    try:
        with services().db.write() as db:
            if not EMAIL.match(form["email"]) or len(form["email"]) > 255:
                raise Invalid(gettext("Email không hợp lệ."))
            if len(form["full_name"]) > 200:
                raise Invalid(gettext("Họ tên quá dài (tối đa 200 ký tự)."))
            role = _parse_role(form["role"])
            agency_id = _parse_agency(db, form["agency_id"])
            if db.scalar(select(User.id).where(User.email == form["email"])) is not None:
                raise Invalid(gettext("Đã có người dùng với email %(email)s.", email=form["email"]))
            password = secrets.token_urlsafe(12) if generated else _check_password(password)
            user = create_user(db, form["email"], password, role, full_name=form["full_name"], agency_id=agency_id)
            _audit(db, "admin.user_created", target_user_id=user.id, email=user.email, role=role,
                   agency_id=agency_id, password_generated=generated)
    except Invalid as exc:
        _error(str(exc))
        return _users_page(form, 400)
    except IntegrityError:  # another admin created the same email meanwhile
        _error(gettext("Đã có người dùng với email %(email)s.", email=form["email"]))
        return _users_page(form, 400)
    flash(gettext("Đã tạo tài khoản %(email)s.", email=form["email"]), "info")
    if generated:
        flash(gettext("Mật khẩu tạm thời của %(email)s: %(password)s — hãy ghi lại ngay, mật khẩu này sẽ không được "
                      "hiển thị lại.", email=form["email"], password=password), "secret")
        page, _status = _users_page()
        return _no_store(make_response(page, 201))
    return redirect(url_for("admin.users"))


def _load_user(db: Session, user_id: int) -> User:
    user = db.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _user_page(user_id: int, form: dict[str, Any] | None = None, status: int = 200):  # noqa: ANN202
    with services().db.read() as db:
        user = _load_user(db, user_id)
        tokens = list(db.scalars(select(ApiToken).where(ApiToken.user_id == user_id)
                                 .order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())))
        agencies = _agencies(db)
    if form is None:
        form = {"full_name": user.full_name, "role": user.role, "agency_id": str(user.agency_id or ""),
                "active": user.active}
    return render_template("admin/user.html", user=user, tokens=tokens, agencies=agencies, form=form,
                           section="users"), status


@admin.route("/users/<int:user_id>")
@requires("admin")
def edit_user(user_id: int):  # noqa: ANN201
    return _user_page(user_id)


@admin.route("/users/<int:user_id>", methods=["POST"])
@requires("admin")
def update_user(user_id: int):  # noqa: ANN201
    form: dict[str, Any] = {"full_name": request.form.get("full_name", "").strip(),
                            "role": request.form.get("role", ""), "agency_id": request.form.get("agency_id", ""),
                            "active": request.form.get("active") == "1"}
    password = request.form.get("password", "")
    try:
        with services().db.write() as db:
            user = _load_user(db, user_id)
            if len(form["full_name"]) > 200:
                raise Invalid(gettext("Họ tên quá dài (tối đa 200 ký tự)."))
            role = _parse_role(form["role"])
            agency_id = _parse_agency(db, form["agency_id"])
            if user.id == g.user.id and not form["active"]:
                raise Invalid(gettext("Bạn không thể tự khóa tài khoản của chính mình."))
            if user.id == g.user.id and role != "admin":
                raise Invalid(gettext("Bạn không thể tự bỏ quyền quản trị của chính mình."))
            changes: dict[str, Any] = {}
            for field, value in (("full_name", form["full_name"]), ("role", role), ("agency_id", agency_id),
                                 ("active", form["active"])):
                if getattr(user, field) != value:
                    changes[field] = [getattr(user, field), value]
                    setattr(user, field, value)
            if password:
                user.password_hash = hash_password(_check_password(password))
                changes["password"] = "changed"  # never the password itself
            if changes:
                _audit(db, "admin.user_updated", target_user_id=user.id, email=user.email, changes=changes)
            email = user.email
    except Invalid as exc:
        _error(str(exc))
        return _user_page(user_id, form, 400)
    if password and user_id != g.user.id:
        registry().end_all(user_id)  # whoever knew the old password is signed out everywhere
    flash(gettext("Đã lưu tài khoản %(email)s.", email=email) if changes else gettext("Không có thay đổi nào."), "info")
    return redirect(url_for("admin.edit_user", user_id=user_id))


@admin.route("/users/<int:user_id>/token", methods=["POST"])
@requires("admin")
def issue_user_token(user_id: int):  # noqa: ANN201
    name = request.form.get("name", "").strip()
    if len(name) > 100:
        _error(gettext("Tên token quá dài (tối đa 100 ký tự)."))
        return _user_page(user_id, status=400)
    with services().db.write() as db:
        user = _load_user(db, user_id)
        read_only = request.form.get("read_only") == "1"
        token = issue_token(db, user, name, read_only=read_only)
        db.flush()
        token_id = db.scalar(select(func.max(ApiToken.id)).where(ApiToken.user_id == user.id))
        _audit(db, "admin.token_issued", target_user_id=user.id, token_id=token_id, name=name, read_only=read_only)
        email = user.email
    flash(gettext("Token API mới của %(email)s: %(token)s — hãy sao chép ngay, token này sẽ không được hiển thị lại.",
                  email=email, token=token), "secret")
    page, _status = _user_page(user_id)
    return _no_store(make_response(page, 201))


@admin.route("/users/<int:user_id>/tokens/<int:token_id>/revoke", methods=["POST"])
@requires("admin")
def revoke_token(user_id: int, token_id: int):  # noqa: ANN201
    with services().db.write() as db:
        row = db.get(ApiToken, token_id)
        if row is None or row.user_id != user_id:
            abort(404)
        if row.revoked_at is None:
            row.revoked_at = utcnow()
            _audit(db, "admin.token_revoked", target_user_id=user_id, token_id=token_id, name=row.name)
            flash(gettext("Đã thu hồi token."), "info")
        else:
            flash(gettext("Token này đã bị thu hồi trước đó."), "info")
    return redirect(url_for("admin.edit_user", user_id=user_id))


# -- agencies ------------------------------------------------------------------------------------------------------


def _agency_fields(form: dict[str, Any]) -> tuple[str, str, bool, int]:
    name = form["name"]
    if not name:
        raise Invalid(gettext("Tên cơ quan là bắt buộc."))
    if len(name) > 200:
        raise Invalid(gettext("Tên cơ quan quá dài (tối đa 200 ký tự)."))
    try:
        order = int(form["sort_order"])
    except ValueError:
        raise Invalid(gettext("Thứ tự phải là một số nguyên.")) from None
    if not -1_000_000 <= order <= 1_000_000:
        raise Invalid(gettext("Thứ tự nằm ngoài khoảng cho phép."))
    return name, form["description"], form["active"], order


def _agency_form() -> dict[str, Any]:
    return {"code": request.form.get("code", "").strip(), "name": request.form.get("name", "").strip(),
            "description": request.form.get("description", "").strip(),
            "sort_order": request.form.get("sort_order", "").strip(), "active": request.form.get("active") == "1"}


def _agencies_page(form: dict[str, Any] | None = None, status: int = 200):  # noqa: ANN202
    with services().db.read() as db:
        agencies = _agencies(db)
    if form is None:
        next_order = max((a.sort_order for a in agencies), default=-1) + 1
        form = {"code": "", "name": "", "description": "", "sort_order": str(next_order), "active": True}
    return render_template("admin/agencies.html", agencies=agencies, form=form, section="agencies"), status


@admin.route("/agencies")
@requires("admin")
def agencies():  # noqa: ANN201
    return _agencies_page()


@admin.route("/agencies", methods=["POST"])
@requires("admin")
def create_agency():  # noqa: ANN201
    form = _agency_form()
    code = form["code"]
    try:
        if not code:
            raise Invalid(gettext("Mã cơ quan là bắt buộc."))
        if not AGENCY_CODE.match(code) or len(code) > 32:
            raise Invalid(gettext("Mã cơ quan chỉ gồm chữ in hoa không dấu (A-Z), chữ số và dấu gạch dưới, "
                                  "tối đa 32 ký tự."))
        name, description, active, order = _agency_fields(form)
        with services().db.write() as db:
            if db.scalar(select(Agency.id).where(Agency.code == code)) is not None:
                raise Invalid(gettext("Mã cơ quan %(code)s đã tồn tại.", code=code))
            agency = Agency(code=code, name=name, description=description, active=active, sort_order=order)
            db.add(agency)
            db.flush()
            _audit(db, "admin.agency_created", agency_id=agency.id, code=code, name=name)
    except Invalid as exc:
        _error(str(exc))
        return _agencies_page(form, 400)
    except IntegrityError:
        _error(gettext("Mã cơ quan %(code)s đã tồn tại.", code=code))
        return _agencies_page(form, 400)
    flash(gettext("Đã thêm cơ quan %(code)s.", code=code), "info")
    return redirect(url_for("admin.agencies"))


def _agency_page(agency_id: int, form: dict[str, Any] | None = None, status: int = 200):  # noqa: ANN202
    with services().db.read() as db:
        agency = db.get(Agency, agency_id)
        if agency is None:
            abort(404)
        staff = db.scalar(select(func.count(User.id)).where(User.agency_id == agency_id)) or 0
    if form is None:
        form = {"name": agency.name, "description": agency.description, "sort_order": str(agency.sort_order),
                "active": agency.active}
    return render_template("admin/agency.html", agency=agency, staff=staff, form=form, section="agencies"), status


@admin.route("/agencies/<int:agency_id>")
@requires("admin")
def edit_agency(agency_id: int):  # noqa: ANN201
    return _agency_page(agency_id)


@admin.route("/agencies/<int:agency_id>", methods=["POST"])
@requires("admin")
def update_agency(agency_id: int):  # noqa: ANN201
    form = _agency_form()
    form.pop("code")  # the code is stable: dossiers and the classifier refer to it
    try:
        name, description, active, order = _agency_fields(form)
        with services().db.write() as db:
            agency = db.get(Agency, agency_id)
            if agency is None:
                abort(404)
            changes: dict[str, Any] = {}
            for field, value in (("name", name), ("description", description), ("active", active),
                                 ("sort_order", order)):
                if getattr(agency, field) != value:
                    changes[field] = [getattr(agency, field), value]
                    setattr(agency, field, value)
            if changes:
                _audit(db, "admin.agency_updated", agency_id=agency.id, code=agency.code, changes=changes)
            code = agency.code
    except Invalid as exc:
        _error(str(exc))
        return _agency_page(agency_id, form, 400)
    flash(gettext("Đã lưu cơ quan %(code)s.", code=code) if changes else gettext("Không có thay đổi nào."), "info")
    return redirect(url_for("admin.agencies"))


# -- holidays ------------------------------------------------------------------------------------------------------


def parse_day(raw: str) -> date:
    """dd/mm/yyyy (the way offices write it) or yyyy-mm-dd (a date input)."""
    raw = raw.strip()
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(raw, pattern).date()
        except ValueError:
            continue
    raise Invalid(gettext("Ngày không hợp lệ: nhập theo dạng dd/mm/yyyy hoặc yyyy-mm-dd."))


def _year_arg(raw: str | None) -> int:
    if raw and raw.isdigit() and 1900 <= int(raw) <= 2999:
        return int(raw)
    return date.today().year


def _holidays_page(year: int, form: dict[str, str] | None = None, status: int = 200):  # noqa: ANN202
    with services().db.read() as db:
        rows = list(db.scalars(select(Holiday).where(extract("year", Holiday.day) == year).order_by(Holiday.day)))
        years = {int(y) for y in db.scalars(select(extract("year", Holiday.day)).distinct())}
    defaults = {day for day in _DEFAULT_DAYS if day.year == year}
    missing = len(defaults - {r.day for r in rows})
    years |= {year - 1, year, year + 1}
    return render_template("admin/holidays.html", year=year, holidays=rows, years=sorted(years),
                           form=form or {"day": "", "name": ""}, section="holidays",
                           missing_defaults=missing, default_years=(min(d.year for d in _DEFAULT_DAYS),
                                                                    max(d.year for d in _DEFAULT_DAYS))), status


@admin.route("/holidays")
@requires("admin")
def holidays():  # noqa: ANN201
    return _holidays_page(_year_arg(request.args.get("year")))


@admin.route("/holidays", methods=["POST"])
@requires("admin")
def add_holiday():  # noqa: ANN201
    form = {"day": request.form.get("day", "").strip(), "name": request.form.get("name", "").strip()}
    year = _year_arg(request.form.get("year"))
    try:
        day = parse_day(form["day"])
        if not form["name"]:
            raise Invalid(gettext("Tên ngày nghỉ là bắt buộc."))
        if len(form["name"]) > 120:
            raise Invalid(gettext("Tên ngày nghỉ quá dài (tối đa 120 ký tự)."))
        with services().db.write() as db:
            if db.get(Holiday, day) is not None:
                raise Invalid(gettext("Ngày %(day)s đã có trong lịch nghỉ.", day=f"{day:%d/%m/%Y}"))
            db.add(Holiday(day=day, name=form["name"]))
            _audit(db, "admin.holiday_added", day=day.isoformat(), name=form["name"])
    except Invalid as exc:
        _error(str(exc))
        return _holidays_page(year, form, 400)
    except IntegrityError:
        _error(gettext("Ngày %(day)s đã có trong lịch nghỉ.", day=f"{day:%d/%m/%Y}"))
        return _holidays_page(year, form, 400)
    flash(gettext("Đã thêm ngày nghỉ %(day)s.", day=f"{day:%d/%m/%Y}"), "info")
    return redirect(url_for("admin.holidays", year=day.year))


@admin.route("/holidays/<day>/delete", methods=["POST"])
@requires("admin")
def delete_holiday(day: str):  # noqa: ANN201
    try:
        when = date.fromisoformat(day)
    except ValueError:
        abort(404)
    with services().db.write() as db:
        row = db.get(Holiday, when)
        if row is None:
            abort(404)
        _audit(db, "admin.holiday_deleted", day=when.isoformat(), name=row.name)
        db.delete(row)
    flash(gettext("Đã xóa ngày nghỉ %(day)s.", day=f"{when:%d/%m/%Y}"), "info")
    return redirect(url_for("admin.holidays", year=when.year))


@admin.route("/holidays/defaults", methods=["POST"])
@requires("admin")
def default_holidays():  # noqa: ANN201
    year = _year_arg(request.form.get("year"))
    with services().db.write() as db:
        present = set(db.scalars(select(Holiday.day)))
        added = [(day, name) for day, name in DEFAULT_HOLIDAYS if day not in present]
        for day, name in added:
            db.add(Holiday(day=day, name=name))
        if added:
            _audit(db, "admin.holidays_defaults", added=[day.isoformat() for day, _name in added])
    flash(gettext("Đã thêm %(count)s ngày nghỉ mặc định.", count=len(added)) if added
          else gettext("Lịch nghỉ đã có đủ các ngày mặc định."), "info")
    return redirect(url_for("admin.holidays", year=year))

