"""Administration pages: only admins get in; users, API tokens, agencies and holidays are edited there, each change
audited; bad input is refused with 400 and nothing saved."""

from __future__ import annotations

import re
from datetime import date

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy import func, select

from core.deadlines import DEFAULT_HOLIDAYS
from ingest.services import Services
from models import Agency, ApiToken, AuditEvent, Holiday, User
from web.accounts import create_user, issue_token
from web.admin import admin
from web.app import create_app

ADMIN = "admin@donthu.local"
OTHER_ROLES = ("clerk", "reviewer", "officer", "leader")


@pytest.fixture
def app(svc: Services) -> Flask:
    app = create_app(svc.settings)
    app.config["TESTING"] = True
    if "admin" not in app.blueprints:
        app.register_blueprint(admin)
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _login(client: FlaskClient, email: str = ADMIN, password: str = "admin-pass-1"):  # noqa: ANN202
    page = client.get("/login").get_data(as_text=True)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": _csrf(page)})


def _token_for(client: FlaskClient) -> str:
    """A CSRF token of the client's current session (any signed-in page carries one in the logout form)."""
    return _csrf(client.get("/letters").get_data(as_text=True))


def _post(client: FlaskClient, url: str, data: dict | None = None):  # noqa: ANN202
    return client.post(url, data={**(data or {}), "csrf_token": _token_for(client)})


def _admin(client: FlaskClient) -> FlaskClient:
    assert _login(client).status_code == 302
    return client


def _flash(html: str, category: str) -> list[str]:
    return re.findall(rf'<p class="flash {category}" role="alert">([^<]*)</p>', html)


def _events(svc: Services, action: str) -> list[AuditEvent]:
    with svc.db.read() as db:
        return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def _admin_id(svc: Services) -> int:
    with svc.db.read() as db:
        return db.scalar(select(User.id).where(User.email == ADMIN))


def _user(svc: Services, email: str) -> User | None:
    with svc.db.read() as db:
        return db.scalar(select(User).where(User.email == email))


def _count(svc: Services, model: type) -> int:
    with svc.db.read() as db:
        return db.scalar(select(func.count()).select_from(model))


def _admin_routes(app: Flask, args: dict) -> list[tuple[str, str, str]]:
    """Every (method, url, endpoint) of the admin blueprint, read from the URL map so a new route is covered too."""
    routes = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if rule.endpoint.startswith("admin."):
                url = url_for(rule.endpoint, **{name: args[name] for name in rule.arguments})
                routes += [(method, url, rule.endpoint) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return routes


@pytest.fixture
def targets(svc: Services) -> dict:
    """Something for each route to act on: a user with a live token, an agency, a holiday."""
    with svc.db.write() as db:
        user = create_user(db, "target@example.vn", "target-pass-1", "clerk", full_name="Người bị sửa")
        issue_token(db, user, "target")
        db.flush()
        token_id = db.scalar(select(ApiToken.id).where(ApiToken.user_id == user.id))
        db.add(Holiday(day=date(2031, 1, 1), name="Tết Dương lịch"))
        agency_id = db.scalar(select(Agency.id).where(Agency.code == "VP_TU"))
        return {"user_id": user.id, "token_id": token_id, "agency_id": agency_id, "day": "2031-01-01"}


def _snapshot(svc: Services) -> tuple:
    with svc.db.read() as db:
        return (
            db.scalars(select(User.email).order_by(User.id)).all(),
            db.scalars(select(User.role).order_by(User.id)).all(),
            db.scalars(select(User.active).order_by(User.id)).all(),
            db.scalars(select(ApiToken.revoked_at).order_by(ApiToken.id)).all(),
            db.scalars(select(Agency.name).order_by(Agency.id)).all(),
            db.scalars(select(Holiday.day).order_by(Holiday.day)).all(),
            db.scalar(select(func.count()).select_from(ApiToken)),
        )


# -- who gets in ---------------------------------------------------------------------------------------------------


def test_every_admin_route_is_forbidden_to_the_other_roles(app: Flask, svc: Services, targets: dict) -> None:
    routes = _admin_routes(app, targets)
    endpoints = {endpoint for _method, _url, endpoint in routes}
    assert {"admin.index", "admin.users", "admin.create_user_view", "admin.edit_user", "admin.update_user",
            "admin.issue_user_token", "admin.revoke_token", "admin.agencies", "admin.create_agency",
            "admin.edit_agency", "admin.update_agency", "admin.holidays", "admin.add_holiday",
            "admin.delete_holiday", "admin.default_holidays"} <= endpoints
    for endpoint in endpoints:
        assert getattr(app.view_functions[endpoint], "permission", None) == "admin", endpoint
    assert any(method == "POST" for method, _url, _endpoint in routes)

    with svc.db.write() as db:
        for role in OTHER_ROLES:
            create_user(db, f"{role}@example.vn", f"{role}-pass-1", role)
    before = _snapshot(svc)
    form = {"email": "intruder@example.vn", "role": "admin", "password": "intruder-pass-1", "full_name": "X",
            "active": "1", "code": "NEW_CODE", "name": "Tên mới", "sort_order": "1", "day": "02/01/2031"}
    for role in OTHER_ROLES:
        client = app.test_client()
        assert _login(client, f"{role}@example.vn", f"{role}-pass-1").status_code == 302
        csrf = _token_for(client)
        for method, url, endpoint in routes:
            response = client.get(url) if method == "GET" else client.post(url, data={**form, "csrf_token": csrf})
            assert response.status_code == 403, (role, method, url, endpoint)
        assert 'href="/admin' not in client.get("/letters").get_data(as_text=True)
    assert _snapshot(svc) == before
    with svc.db.read() as db:
        assert not db.scalars(select(AuditEvent.action).where(AuditEvent.action.like("admin.%"))).all()


def test_anonymous_visitors_are_sent_to_the_login_page(app: Flask, svc: Services, targets: dict) -> None:
    client = app.test_client()
    csrf = _csrf(client.get("/login").get_data(as_text=True))
    before = _snapshot(svc)
    for method, url, endpoint in _admin_routes(app, targets):
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data={"csrf_token": csrf, "email": "x@example.vn", "role": "admin"})
        assert response.status_code == 302, (method, url, endpoint)
        assert response.headers["Location"].startswith("/login"), (method, url)
    assert _snapshot(svc) == before


def test_admin_forms_need_a_csrf_token(client: FlaskClient, svc: Services) -> None:
    _admin(client)
    response = client.post("/admin/users", data={"email": "nocsrf@example.vn", "role": "clerk",
                                                 "password": "nocsrf-pass-1"})
    assert response.status_code == 400 and _user(svc, "nocsrf@example.vn") is None


def test_admin_pages_render_in_vietnamese_without_inline_scripts_or_styles(client: FlaskClient,
                                                                           targets: dict) -> None:
    _admin(client)
    assert client.get("/admin/").headers["Location"] == "/admin/users"
    for url in ("/admin/users", f"/admin/users/{targets['user_id']}", "/admin/agencies",
                f"/admin/agencies/{targets['agency_id']}", "/admin/holidays?year=2031"):
        response = client.get(url)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, url
        assert "Quản trị" in html and "Người dùng" in html and "Cơ quan xử lý" in html and "Ngày nghỉ lễ" in html
        assert "style=" not in html and not re.search(r"<script(?![^>]*\bsrc=)", html), url
        assert "admin.css" in html
        assert 'name="csrf_token"' in html
    assert client.get("/static/admin.css").status_code == 200
    for missing in ("/admin/users/9999", "/admin/agencies/9999"):
        assert client.get(missing).status_code == 404


# -- users ---------------------------------------------------------------------------------------------------------


def test_admin_creates_a_user_who_can_then_log_in(app: Flask, client: FlaskClient, svc: Services) -> None:
    _admin(client)
    with svc.db.read() as db:
        agency = db.scalar(select(Agency).where(Agency.code == "THANHTRA"))
    response = _post(client, "/admin/users", {"email": " Chuyen.Vien@Example.vn ", "full_name": "Nguyễn Văn An",
                                               "role": "officer", "agency_id": str(agency.id),
                                               "password": "officer-pass-1"})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/users"
    user = _user(svc, "chuyen.vien@example.vn")
    assert user is not None and user.role == "officer" and user.agency_id == agency.id and user.active
    assert user.full_name == "Nguyễn Văn An"

    other = app.test_client()
    login = _login(other, "chuyen.vien@example.vn", "officer-pass-1")
    assert login.status_code == 302 and not login.headers["Location"].startswith("/login")
    assert other.get("/api/v1/me").get_json()["email"] == "chuyen.vien@example.vn"

    html = client.get("/admin/users").get_data(as_text=True)
    row = re.search(rf'<tr data-user-id="{user.id}".*?</tr>', html, re.S).group(0)
    assert "chuyen.vien@example.vn" in row and "Nguyễn Văn An" in row and "Chuyên viên" in row
    assert agency.name in row and "Đang hoạt động" in row
    assert re.search(r"\d\d/\d\d/\d{4} \d\d:\d\d", row), "last login as dd/mm/yyyy HH:MM"

    events = _events(svc, "admin.user_created")
    assert len(events) == 1 and events[0].user_id == _admin_id(svc) and events[0].actor == "web"
    assert events[0].detail["target_user_id"] == user.id and events[0].detail["role"] == "officer"
    assert "officer-pass-1" not in str(events[0].detail)


def test_an_empty_password_is_generated_and_shown_once(app: Flask, client: FlaskClient, svc: Services) -> None:
    _admin(client)
    response = _post(client, "/admin/users", {"email": "vanthu@example.vn", "role": "clerk", "password": ""})
    assert response.status_code == 201 and response.headers["Cache-Control"] == "no-store"
    secret = _flash(response.get_data(as_text=True), "secret")
    assert len(secret) == 1 and "không được hiển thị lại" in secret[0]
    password = re.search(r"vanthu@example.vn: (\S+)", secret[0]).group(1)
    assert len(password) >= 12
    assert password not in client.get("/admin/users").get_data(as_text=True)  # once only
    assert _login(app.test_client(), "vanthu@example.vn", password).status_code == 302
    assert _events(svc, "admin.user_created")[0].detail["password_generated"] is True


@pytest.mark.parametrize("form, message", [
    ({"email": "ADMIN@donthu.local", "role": "clerk", "password": "some-pass-1"}, "Đã có người dùng"),
    ({"email": "not-an-email", "role": "clerk", "password": "some-pass-1"}, "Email không hợp lệ"),
    ({"email": "new@example.vn", "role": "boss", "password": "some-pass-1"}, "Vai trò không hợp lệ"),
    ({"email": "new@example.vn", "role": "clerk", "agency_id": "9999", "password": "some-pass-1"}, "Cơ quan"),
    ({"email": "new@example.vn", "role": "clerk", "password": "short"}, "ít nhất 8"),
])
def test_bad_new_users_are_refused_with_400(client: FlaskClient, svc: Services, form: dict, message: str) -> None:
    _admin(client)
    before = _count(svc, User)
    response = _post(client, "/admin/users", form)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert any(message in m for m in _flash(html, "error")), _flash(html, "error")
    assert f'value="{form["email"].strip().lower()}"' in html  # the form comes back filled in
    assert _count(svc, User) == before and not _events(svc, "admin.user_created")


def test_admin_edits_a_user_and_may_lock_others_but_not_themselves(app: Flask, client: FlaskClient,
                                                                  svc: Services) -> None:
    with svc.db.write() as db:
        user_id = create_user(db, "clerk@example.vn", "clerk-pass-1", "clerk").id
        agency_id = db.scalar(select(Agency.id).where(Agency.code == "BTC_TU"))
    _admin(client)
    response = _post(client, f"/admin/users/{user_id}", {"full_name": "Trần Thị Bình", "role": "reviewer",
                                                          "agency_id": str(agency_id), "active": "1",
                                                          "password": "new-pass-123"})
    assert response.status_code == 302 and response.headers["Location"] == f"/admin/users/{user_id}"
    user = _user(svc, "clerk@example.vn")
    assert (user.full_name, user.role, user.agency_id, user.active) == ("Trần Thị Bình", "reviewer", agency_id, True)
    assert _login(app.test_client(), "clerk@example.vn", "new-pass-123").status_code == 302
    assert _login(app.test_client(), "clerk@example.vn", "clerk-pass-1").status_code == 401
    event = _events(svc, "admin.user_updated")[-1]
    assert event.detail["changes"]["role"] == ["clerk", "reviewer"] and event.detail["changes"]["password"] == "changed"
    assert "new-pass-123" not in str(event.detail)

    # locking someone else: they can no longer log in (no "active" in the form means unchecked)
    assert _post(client, f"/admin/users/{user_id}", {"full_name": "Trần Thị Bình", "role": "reviewer",
                                                      "agency_id": ""}).status_code == 302
    assert _user(svc, "clerk@example.vn").active is False
    assert _login(app.test_client(), "clerk@example.vn", "new-pass-123").status_code == 401
    assert _events(svc, "admin.user_updated")[-1].detail["changes"]["active"] == [True, False]

    admin_id = _admin_id(svc)
    events = len(_events(svc, "admin.user_updated"))
    for form, message in (({"role": "admin"}, "tự khóa"), ({"role": "clerk", "active": "1"}, "quyền quản trị")):
        response = _post(client, f"/admin/users/{admin_id}", {"full_name": "Tên khác", **form})
        assert response.status_code == 400
        assert any(message in m for m in _flash(response.get_data(as_text=True), "error"))
    me = _user(svc, ADMIN)
    assert me.active and me.role == "admin" and me.full_name == "Quản trị viên"
    assert len(_events(svc, "admin.user_updated")) == events
    assert client.get("/admin/users").status_code == 200  # still signed in as an admin

    short = _post(client, f"/admin/users/{user_id}", {"full_name": "X", "role": "clerk", "password": "short"})
    assert short.status_code == 400 and _user(svc, "clerk@example.vn").role == "reviewer"


def test_a_token_issued_on_the_page_authenticates_the_api_until_revoked(app: Flask, client: FlaskClient,
                                                                         svc: Services) -> None:
    with svc.db.write() as db:
        user_id = create_user(db, "scanner@example.vn", "scanner-pass-1", "clerk").id
    _admin(client)
    response = _post(client, f"/admin/users/{user_id}/token", {"name": "máy quét"})
    html = response.get_data(as_text=True)
    assert response.status_code == 201 and response.headers["Cache-Control"] == "no-store"
    secret = _flash(html, "secret")
    assert len(secret) == 1 and "không được hiển thị lại" in secret[0]
    token = re.search(r"dt_[A-Za-z0-9_-]+", secret[0]).group(0)

    api = app.test_client()  # no session: the token alone
    me = api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.get_json()["email"] == "scanner@example.vn"

    page = client.get(f"/admin/users/{user_id}").get_data(as_text=True)
    assert token not in page
    with svc.db.read() as db:
        row = db.scalar(select(ApiToken).where(ApiToken.user_id == user_id))
    listed = re.search(rf'<tr data-token-id="{row.id}".*?</tr>', page, re.S).group(0)
    assert "máy quét" in listed and "Còn hiệu lực" in listed and "Chưa dùng" not in listed
    assert "Theo vai trò" in listed
    issued = _events(svc, "admin.token_issued")
    assert len(issued) == 1 and issued[0].detail == {"target_user_id": user_id, "token_id": row.id, "name": "máy quét",
                                               "read_only": False}
    assert token not in str(issued[0].detail)

    assert _post(client, f"/admin/users/{_admin_id(svc)}/tokens/{row.id}/revoke").status_code == 404  # not theirs
    revoke = _post(client, f"/admin/users/{user_id}/tokens/{row.id}/revoke")
    assert revoke.status_code == 302 and revoke.headers["Location"] == f"/admin/users/{user_id}"
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert "Đã thu hồi" in client.get(f"/admin/users/{user_id}").get_data(as_text=True)
    assert len(_events(svc, "admin.token_revoked")) == 1
    assert _post(client, f"/admin/users/{user_id}/tokens/{row.id}/revoke").status_code == 302
    assert len(_events(svc, "admin.token_revoked")) == 1  # revoking twice changes nothing


# -- agencies ------------------------------------------------------------------------------------------------------


def test_admin_adds_and_edits_agencies(client: FlaskClient, svc: Services) -> None:
    _admin(client)
    html = client.get("/admin/agencies").get_data(as_text=True)
    assert "VP_TU" in html and "Văn phòng Tỉnh ủy" in html
    response = _post(client, "/admin/agencies", {"code": "SO_TU_PHAP", "name": "Sở Tư pháp",
                                                  "description": "hộ tịch, công chứng", "sort_order": "20",
                                                  "active": "1"})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/agencies"
    with svc.db.read() as db:
        agency = db.scalar(select(Agency).where(Agency.code == "SO_TU_PHAP"))
    assert (agency.name, agency.description, agency.sort_order, agency.active) == (
        "Sở Tư pháp", "hộ tịch, công chứng", 20, True)
    assert "SO_TU_PHAP" in client.get("/admin/agencies").get_data(as_text=True)
    created = _events(svc, "admin.agency_created")
    assert len(created) == 1 and created[0].detail["code"] == "SO_TU_PHAP" and created[0].user_id == _admin_id(svc)

    # the code is stable: a posted code is ignored; unchecked "active" deactivates
    response = _post(client, f"/admin/agencies/{agency.id}", {"code": "HACKED", "name": "Sở Tư pháp tỉnh",
                                                              "description": "", "sort_order": "3"})
    assert response.status_code == 302
    with svc.db.read() as db:
        edited = db.get(Agency, agency.id)
    assert (edited.code, edited.name, edited.description, edited.sort_order, edited.active) == (
        "SO_TU_PHAP", "Sở Tư pháp tỉnh", "", 3, False)
    updated = _events(svc, "admin.agency_updated")
    assert len(updated) == 1 and updated[0].detail["changes"]["name"] == ["Sở Tư pháp", "Sở Tư pháp tỉnh"]
    assert 'name="code"' not in client.get(f"/admin/agencies/{agency.id}").get_data(as_text=True)

    bad = _post(client, f"/admin/agencies/{agency.id}", {"name": "", "sort_order": "1", "active": "1"})
    assert bad.status_code == 400
    bad = _post(client, f"/admin/agencies/{agency.id}", {"name": "Khác", "sort_order": "abc", "active": "1"})
    assert bad.status_code == 400 and _flash(bad.get_data(as_text=True), "error")
    with svc.db.read() as db:
        assert db.get(Agency, agency.id).name == "Sở Tư pháp tỉnh"
    assert len(_events(svc, "admin.agency_updated")) == 1


@pytest.mark.parametrize("code", ["VP_TU", "so_tu_phap", "SỞ_TP", "SO TP", "SO-TP", "", "A" * 33])
def test_agency_codes_are_validated(client: FlaskClient, svc: Services, code: str) -> None:
    _admin(client)
    before = _count(svc, Agency)
    response = _post(client, "/admin/agencies", {"code": code, "name": "Cơ quan thử", "sort_order": "1"})
    assert response.status_code == 400 and _flash(response.get_data(as_text=True), "error")
    assert _count(svc, Agency) == before and not _events(svc, "admin.agency_created")


# -- holidays ------------------------------------------------------------------------------------------------------


def test_admin_adds_holidays_in_both_date_formats_and_deletes_them(client: FlaskClient, svc: Services) -> None:
    _admin(client)
    first = _post(client, "/admin/holidays", {"day": "02/01/2030", "name": "Nghỉ bù"})
    assert first.status_code == 302 and first.headers["Location"] == "/admin/holidays?year=2030"
    assert _post(client, "/admin/holidays", {"day": "2030-01-05", "name": "Ngày thử"}).status_code == 302
    with svc.db.read() as db:
        rows = {h.day: h.name for h in db.scalars(select(Holiday).where(Holiday.day >= date(2030, 1, 1)))}
    assert rows == {date(2030, 1, 2): "Nghỉ bù", date(2030, 1, 5): "Ngày thử"}
    html = client.get("/admin/holidays?year=2030").get_data(as_text=True)
    assert re.search(r"02/01/2030</td>\s*<td[^>]*>Thứ Tư</td>\s*<td>Nghỉ bù", html)
    assert re.search(r"05/01/2030</td>\s*<td[^>]*>Thứ Bảy</td>", html)
    assert "02/01/2030" not in client.get("/admin/holidays?year=2029").get_data(as_text=True)
    added = _events(svc, "admin.holiday_added")
    assert [e.detail["day"] for e in added] == ["2030-01-02", "2030-01-05"]

    for form in ({"day": "2030-01-02", "name": "Trùng"}, {"day": "31/02/2030", "name": "Không có"},
                 {"day": "ngày mai", "name": "Sai"}, {"day": "03/01/2030", "name": ""}):
        response = _post(client, "/admin/holidays", {**form, "year": "2030"})
        assert response.status_code == 400, form
        assert _flash(response.get_data(as_text=True), "error"), form
    assert _count(svc, Holiday) == 2 and len(_events(svc, "admin.holiday_added")) == 2

    deleted = _post(client, "/admin/holidays/2030-01-02/delete")
    assert deleted.status_code == 302 and deleted.headers["Location"] == "/admin/holidays?year=2030"
    with svc.db.read() as db:
        assert db.get(Holiday, date(2030, 1, 2)) is None and db.get(Holiday, date(2030, 1, 5)) is not None
    assert _events(svc, "admin.holiday_deleted")[0].detail == {"day": "2030-01-02", "name": "Nghỉ bù"}
    assert _post(client, "/admin/holidays/2030-01-02/delete").status_code == 404
    assert _post(client, "/admin/holidays/not-a-day/delete").status_code == 404


def test_default_holidays_insert_only_the_missing_days(client: FlaskClient, svc: Services) -> None:
    edited = DEFAULT_HOLIDAYS[0][0]
    with svc.db.write() as db:
        db.add(Holiday(day=edited, name="Tên do quản trị sửa"))
        db.add(Holiday(day=date(2030, 6, 1), name="Ngày riêng"))
    _admin(client)
    response = _post(client, "/admin/holidays/defaults", {"year": "2026"})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/holidays?year=2026"
    defaults = {day for day, _name in DEFAULT_HOLIDAYS}
    with svc.db.read() as db:
        rows = {h.day: h.name for h in db.scalars(select(Holiday))}
    assert set(rows) == defaults | {date(2030, 6, 1)}
    assert rows[edited] == "Tên do quản trị sửa"  # an existing row is kept as the admin left it
    event = _events(svc, "admin.holidays_defaults")
    assert len(event) == 1 and len(event[0].detail["added"]) == len(defaults) - 1
    html = client.get("/admin/holidays?year=2026").get_data(as_text=True)
    assert "17/02/2026" in html and "Đã thêm" in html

    again = _post(client, "/admin/holidays/defaults", {"year": "2026"})
    assert again.status_code == 302 and _count(svc, Holiday) == len(defaults) + 1
    assert len(_events(svc, "admin.holidays_defaults")) == 1  # nothing added, nothing audited
