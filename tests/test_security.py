"""Security review of the web app, pinned down: CSRF on every state-changing route (read from the URL map, so a new
route is covered the day it is added), the security headers on every kind of response, session fixation and log
out, login throttling per account and per address in the real Redis, API token scope and revocation, upload limits,
an audit row for every change and every view of a protected letter, and the denouncer masked in the report
drill-downs, exports, file names and attachments."""

from __future__ import annotations

import io
import re
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pdfplumber
import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from redis import Redis
from sqlalchemy import delete, func, select
from werkzeug.test import TestResponse

from core.deadlines import DEFAULT_HOLIDAYS
from ingest.dossiers import open_dossier
from ingest.services import Services
from models import ROLES, ApiToken, AuditEvent, Dossier, Holiday, Letter, Notification, ReceptionSession, User, Visit
from tests.webkit import COMPLAINT, DENUNCIATION, PASSWORD, csrf, make_letter, make_user
from web import ratelimit
from web.accounts import issue_token
from web.app import create_app
from web.ratelimit import MAX_FAILURES, LoginLimiter

ADMIN, ADMIN_PASSWORD = "admin@donthu.local", "admin-pass-1"
SECRETS = ("Trần Thị Mật", "Tran Thi Mat", "TRAN_THI_MAT", "001175012345", "0905 111 222", "0905111222",
           "Hoàng Diệu")
SESSION_COOKIE = "donthu_session"


# -- the world ---------------------------------------------------------------------------------------------------


@pytest.fixture
def app(svc: Services) -> Flask:
    app = create_app(svc.settings)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def world(svc: Services) -> dict[str, Any]:
    """One user per role (with an API token); a complaint in a dossier, a second complaint waiting for review,
    and a denunciation — its file named after its sender — in a protected dossier opened by the reviewer."""
    users = {role: make_user(svc, role, f"{role}-s@example.vn", token=True) for role in ROLES if role != "admin"}
    with svc.db.read() as db:
        users["admin"] = (db.scalar(select(User.id).where(User.email == ADMIN)), None)
    clerk, reviewer = users["clerk"][0], users["reviewer"][0]
    complaint = make_letter(svc, COMPLAINT, "khieu-nai.txt", user_id=clerk)
    waiting = make_letter(svc, COMPLAINT.replace("Phạm Văn Khánh", "Lê Văn Tám"), "khieu-nai-2.txt", user_id=clerk)
    denunciation = make_letter(svc, DENUNCIATION, "Don_to_cao_TRAN_THI_MAT.txt", user_id=clerk)
    with svc.db.write() as db:
        plain = open_dossier(db, db.get(Letter, complaint), reviewer, type="khieu_nai", field="dat_dai",
                             agency="UBND_TINH")
        secret = open_dossier(db, db.get(Letter, denunciation), reviewer, type="to_cao", field="tham_nhung",
                              agency="BNC_TU")
        db.flush()
        assert secret.protected and not plain.protected
        ids = {"complaint": complaint, "waiting": waiting, "denunciation": denunciation, "dossier": plain.id,
               "protected_dossier": secret.id}
    return {"users": users, **ids}


def _login(app: Flask, email: str, password: str = PASSWORD, address: str = "127.0.0.1") -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    response = _try_login(client, email, password)
    assert response.status_code == 302, (email, response.status_code)
    return client


def _try_login(client: FlaskClient, email: str, password: str) -> TestResponse:
    page = client.get("/login").get_data(as_text=True)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": csrf(page)})


def _admin(app: Flask) -> FlaskClient:
    return _login(app, ADMIN, ADMIN_PASSWORD)


def _token(client: FlaskClient) -> str:
    """The CSRF token of the client's session (every signed-in page carries one in its log-out form)."""
    return csrf(client.get("/dashboard").get_data(as_text=True))


def _post_rules(app: Flask, *, api: bool) -> list[str]:
    return sorted(r.rule for r in app.url_map.iter_rules()
                  if "POST" in r.methods and r.rule.startswith("/api/") == api)


def _fill(rule: str, values: dict[str, Any]) -> str:
    """A concrete URL for a rule: each ``<int:name>`` from ``values`` (1 when absent), any other part a date."""
    url = re.sub(r"<int:(\w+)>", lambda m: str(values.get(m.group(1), 1)), rule)
    return re.sub(r"<(?:\w+:)?\w+>", "2026-01-01", url)


def _ids(world: dict[str, Any]) -> dict[str, int]:
    return {"letter_id": world["complaint"], "other_id": world["waiting"], "index": 0, "dossier_id": world["dossier"],
            "user_id": world["users"]["clerk"][0]}


def _audit_count(svc: Services, **where: Any) -> int:
    with svc.db.read() as db:
        query = select(func.count()).select_from(AuditEvent)
        for key, value in where.items():
            query = query.where(getattr(AuditEvent, key) == value)
        return db.scalar(query) or 0


def _leaks(text: str) -> list[str]:
    return [s for s in SECRETS if s.lower() in text.lower()]


# -- CSRF --------------------------------------------------------------------------------------------------------


def test_every_form_post_without_a_valid_csrf_token_is_refused_and_changes_nothing(
        app: Flask, svc: Services, world: dict) -> None:
    admin = _admin(app)
    stranger = _login(app, "reviewer-s@example.vn")
    foreign = _token(stranger)  # valid, but for another session
    rules = _post_rules(app, api=False)
    assert "/login" in rules and "/logout" in rules and "/letters/upload" in rules and len(rules) >= 30
    before = _audit_count(svc)
    wrong = []
    for rule in rules:
        url = _fill(rule, _ids(world))
        for data in ({}, {"csrf_token": "forged"}, {"csrf_token": foreign}):
            response = admin.post(url, data=data)
            if response.status_code != 400 or "CSRF" not in response.get_data(as_text=True):
                wrong.append(f"{rule} {sorted(data)}: {response.status_code}")
    assert not wrong, wrong
    assert _audit_count(svc) == before, "a refused form changed something"
    assert admin.get("/dashboard").status_code == 200, "a forged log-out did not end the session"


def test_an_api_post_on_a_cookie_session_needs_the_csrf_header(app: Flask, svc: Services, world: dict) -> None:
    admin = _admin(app)
    before = _audit_count(svc)
    for rule in _post_rules(app, api=True):
        response = admin.post(_fill(rule, _ids(world)), json={"letter_id": world["waiting"]})
        assert response.status_code == 400 and response.get_json()["code"] == "csrf", rule
        forged = admin.post(_fill(rule, _ids(world)), json={}, headers={"X-CSRFToken": "forged"})
        assert forged.status_code == 400 and forged.get_json()["code"] == "csrf", rule
    assert _audit_count(svc) == before


# -- headers -----------------------------------------------------------------------------------------------------


def _directives(policy: str) -> dict[str, list[str]]:
    parts = (d.split() for d in policy.split(";") if d.strip())
    return {p[0]: p[1:] for p in parts}


def _assert_hardened(response: TestResponse, where: str) -> None:
    headers = response.headers
    policy = _directives(headers.get("Content-Security-Policy", ""))
    scripts = policy.get("script-src", policy.get("default-src"))
    assert scripts == ["'self'"], (where, scripts)
    assert policy["default-src"] == ["'self'"] and policy["object-src"] == ["'none'"], where
    assert policy["frame-ancestors"] == ["'none'"] and policy["base-uri"] == ["'none'"], where
    assert not any("unsafe" in v for values in policy.values() for v in values), (where, policy)
    assert headers.get("X-Frame-Options") == "DENY", where
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("Referrer-Policy") in ("same-origin", "no-referrer", "strict-origin"), where
    assert headers.get("Cross-Origin-Opener-Policy") == "same-origin", where


def _assert_no_inline_code(html: str, where: str) -> None:
    """What the CSP would block anyway, and must therefore not be needed: inline scripts, handlers, styles."""
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag, (where, tag)
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", html), where
    assert not re.search(r"<[^>]+\sstyle\s*=", html), where
    assert "javascript:" not in html.lower(), where


def test_every_page_api_error_and_static_response_carries_the_security_headers(
        svc: Services, world: dict) -> None:
    app = create_app(svc.settings)  # not in testing mode: a failing view answers with the 500 page
    app.add_url_rule("/boom", "boom", lambda: 1 / 0)
    app.add_url_rule("/api/v1/boom", "api_boom", lambda: 1 / 0)
    admin = _admin(app)
    pages = [r.rule for r in app.url_map.iter_rules()
             if "GET" in r.methods and not r.arguments and not r.rule.startswith(("/api/", "/boom"))
             and not r.rule.startswith(("/reports/export", "/reports/drill")) and r.rule != "/logout"]
    pages += [f"/letters/{world['complaint']}", f"/dossiers/{world['dossier']}", f"/letters/{world['complaint']}/review",
              "/search?q=khiếu+nại"]
    assert len(pages) > 15
    for url in pages:
        response = admin.get(url)
        assert response.status_code in (200, 302), (url, response.status_code)
        _assert_hardened(response, url)
        assert response.headers.get("Cache-Control") == "no-store", url  # a signed-in page is never cached
        if response.status_code == 200 and response.mimetype == "text/html":
            _assert_no_inline_code(response.get_data(as_text=True), url)
    anonymous = app.test_client()
    token = {"Authorization": f"Bearer {world['users']['clerk'][1]}"}
    others = {
        "login": anonymous.get("/login"), "static css": anonymous.get("/static/app.css"),
        "static js": anonymous.get("/static/htmx.min.js"), "openapi": anonymous.get("/api/v1/openapi.json"),
        "api": anonymous.get("/api/v1/me", headers=token), "api 401": anonymous.get("/api/v1/me"),
        "404": admin.get("/no-such-page"), "api 404": admin.get("/api/v1/no-such-thing"),
        "404 id": admin.get("/letters/99999999999999999999"), "405": admin.get("/logout"),
        "api 405": admin.delete(f"/api/v1/letters/{world['complaint']}"),
        "403": _login(app, "clerk-s@example.vn").get("/admin/users"), "csrf 400": admin.post("/logout"),
        "500": admin.get("/boom"), "api 500": admin.get("/api/v1/boom"),
        "export": admin.get("/reports/export.csv"),
    }
    expected = {"404": 404, "api 404": 404, "404 id": 404, "405": 405, "api 405": 405, "403": 403, "csrf 400": 400,
                "500": 500, "api 500": 500, "api 401": 401}
    for name, response in others.items():
        assert response.status_code == expected.get(name, 200), (name, response.status_code)
        _assert_hardened(response, name)
    for name in ("404", "405", "403", "500"):  # errors are pages of the app, in Vietnamese, without leaking code
        html = others[name].get_data(as_text=True)
        assert others[name].mimetype == "text/html" and f"Lỗi {expected[name]}" in html, name
        assert "Traceback" not in html and "ZeroDivisionError" not in html, name
    assert others["405"].headers["Allow"] and "GET" in others["api 405"].headers["Allow"]
    for name in ("api 404", "api 405", "api 500", "api 401"):
        body = others[name].get_json()
        assert set(body) == {"error", "code"} and "Traceback" not in str(body), name


def test_session_cookies_are_http_only_same_site_and_secure_behind_https(svc: Services) -> None:
    for secure in (False, True):
        app = create_app(svc.settings.with_overrides(secure_cookies=secure))
        app.config["TESTING"] = True
        client = app.test_client()
        base = "https://localhost" if secure else "http://localhost"  # a Secure cookie only goes back over HTTPS
        page = client.get("/login", base_url=base)
        response = client.post("/login", base_url=base, headers={"Referer": f"{base}/login"},  # checked over HTTPS
                               data={"email": ADMIN, "password": ADMIN_PASSWORD,
                                     "csrf_token": csrf(page.get_data(as_text=True))})
        assert response.status_code == 302
        for cookie in response.headers.getlist("Set-Cookie") + page.headers.getlist("Set-Cookie"):
            attributes = {a.strip().split("=")[0].lower() for a in cookie.split(";")[1:]}
            assert {"httponly", "samesite", "path"} <= attributes, cookie
            assert "samesite=lax" in cookie.lower(), cookie
            assert ("secure" in attributes) == secure, cookie
        assert ("Strict-Transport-Security" in response.headers) == secure


# -- sessions ----------------------------------------------------------------------------------------------------


def _cookie(client: FlaskClient) -> str | None:
    cookie = client.get_cookie(SESSION_COOKIE)
    return cookie.value if cookie else None


def _with_cookie(app: Flask, value: str) -> FlaskClient:
    client = app.test_client()
    client.set_cookie(SESSION_COOKIE, value)
    return client


def test_logging_in_starts_a_new_session_so_a_planted_cookie_gains_nothing(app: Flask, svc: Services) -> None:
    make_user(svc, "clerk", "victim@example.vn")
    victim = app.test_client()
    page = victim.get("/login").get_data(as_text=True)
    planted = _cookie(victim)  # what an attacker could have set in the victim's browser beforehand
    assert planted
    assert victim.post("/login", data={"email": "victim@example.vn", "password": PASSWORD,
                                       "csrf_token": csrf(page)}).status_code == 302
    assert _cookie(victim) != planted
    attacker = _with_cookie(app, planted)
    assert attacker.get("/dashboard").status_code == 302, "the cookie from before the login is still anonymous"
    old_form_token = csrf(page)  # and the CSRF token from before the login no longer works
    assert victim.post("/notifications/read-all", data={"csrf_token": old_form_token}).status_code == 400
    assert victim.post("/notifications/read-all", data={"csrf_token": _token(victim)}).status_code == 302


def test_an_old_session_cookie_is_useless_after_log_out(app: Flask, svc: Services) -> None:
    make_user(svc, "reviewer", "leaving@example.vn")
    client = _login(app, "leaving@example.vn")
    stolen = _cookie(client)
    copy = _with_cookie(app, stolen)
    assert copy.get("/dashboard").status_code == 200  # a copy of the cookie is as good as the original...
    assert client.post("/logout", data={"csrf_token": _token(client)}).status_code == 302
    for probe in (copy, _with_cookie(app, stolen)):  # ...until the user logs out
        response = probe.get("/dashboard")
        assert response.status_code == 302 and "/login" in response.headers["Location"]
        assert probe.get("/api/v1/me").status_code == 401
    with svc.db.read() as db:
        actions = list(db.scalars(select(AuditEvent.action).join(User, AuditEvent.user_id == User.id)
                                  .where(User.email == "leaving@example.vn").order_by(AuditEvent.id)))
    assert actions[:1] == ["login"] and actions[-1] == "logout"


def test_a_new_login_ends_the_browsers_earlier_session_and_a_password_reset_ends_them_all(
        app: Flask, svc: Services) -> None:
    user_id, _ = make_user(svc, "officer", "moving@example.vn")
    client = _login(app, "moving@example.vn")
    first = _cookie(client)
    assert _try_login(client, "moving@example.vn", PASSWORD).status_code == 302
    assert _with_cookie(app, first).get("/dashboard").status_code == 302
    elsewhere = _login(app, "moving@example.vn")
    admin = _admin(app)
    response = admin.post(f"/admin/users/{user_id}", data={"csrf_token": _token(admin), "full_name": "Cán bộ",
                                                          "role": "officer", "agency_id": "", "active": "1",
                                                          "password": "mat-khau-moi-2"})
    assert response.status_code == 302
    assert client.get("/dashboard").status_code == 302 and elsewhere.get("/dashboard").status_code == 302
    assert admin.get("/dashboard").status_code == 200


def test_with_redis_down_signed_in_users_keep_working_but_a_logged_out_cookie_stays_dead(
        svc: Services, fresh_redis: Any) -> None:  # noqa: ANN401
    app = create_app(svc.settings.with_overrides(redis_url=fresh_redis.url))
    app.config["TESTING"] = True
    make_user(svc, "clerk", "steady@example.vn")
    staying, leaving = _login(app, "steady@example.vn"), _login(app, "steady@example.vn")
    stolen = _cookie(leaving)
    fresh_redis.stop()
    assert staying.get("/dashboard").status_code == 200  # the office keeps working on the signed cookie
    assert leaving.post("/logout", data={"csrf_token": _token(leaving)}).status_code == 302
    assert _with_cookie(app, stolen).get("/dashboard").status_code == 302  # this process remembers the log out


# -- login throttling --------------------------------------------------------------------------------------------


def _fail(app: Flask, email: str, address: str, times: int = MAX_FAILURES) -> None:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    for _ in range(times):
        assert _try_login(client, email, "wrong-password").status_code == 401


def _attempt(app: Flask, email: str, address: str, password: str = PASSWORD) -> int:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return _try_login(client, email, password).status_code


def test_five_wrong_passwords_lock_the_account_from_every_address_but_not_other_accounts(
        app: Flask, svc: Services) -> None:
    make_user(svc, "clerk", "target@example.vn")
    make_user(svc, "clerk", "colleague@example.vn")
    _fail(app, "target@example.vn", "10.0.0.1")
    assert _attempt(app, "target@example.vn", "10.0.0.1") == 429  # the right password, too late
    assert _attempt(app, "target@example.vn", "10.0.0.2") == 429  # from anywhere
    assert _attempt(app, "colleague@example.vn", "10.0.0.3") == 302
    with svc.db.read() as db:
        failed = list(db.scalars(select(AuditEvent).where(AuditEvent.action == "login_failed")))
        refused = list(db.scalars(select(AuditEvent).where(AuditEvent.action == "login_refused")))
    assert len(failed) == MAX_FAILURES and {e.detail["address"] for e in failed} == {"10.0.0.1"}
    assert all("wrong-password" not in str(e.detail) for e in failed)  # the password tried is never written
    assert len(refused) == 2 and {e.detail["email"] for e in refused} == {"target@example.vn"}


def test_five_wrong_passwords_from_one_address_lock_that_address_for_every_account(
        app: Flask, svc: Services) -> None:
    make_user(svc, "clerk", "someone@example.vn")
    for n in range(MAX_FAILURES):
        _fail(app, f"guess{n}@example.vn", "10.0.0.9", times=1)
    assert _attempt(app, "someone@example.vn", "10.0.0.9") == 429
    assert _attempt(app, "someone@example.vn", "10.0.0.10") == 302


def test_right_passwords_do_not_count_so_an_office_behind_one_address_is_not_locked(
        app: Flask, svc: Services) -> None:
    make_user(svc, "clerk", "busy@example.vn")
    for _ in range(3 * MAX_FAILURES):
        assert _attempt(app, "busy@example.vn", "10.0.1.1") == 302
    _fail(app, "busy@example.vn", "10.0.1.1", times=MAX_FAILURES - 1)
    assert _attempt(app, "busy@example.vn", "10.0.1.1") == 302  # a right one wipes the account's count


def test_behind_a_trusted_proxy_the_client_address_is_counted_not_the_proxys(svc: Services) -> None:
    app = create_app(svc.settings.with_overrides(proxy_hops=1))
    app.config["TESTING"] = True
    make_user(svc, "clerk", "office@example.vn")
    proxy = app.test_client()
    proxy.environ_base["REMOTE_ADDR"] = "127.0.0.1"  # every request arrives from the proxy
    for n in range(MAX_FAILURES):
        proxy.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.7"
        assert _try_login(proxy, f"guess{n}@example.vn", "wrong-password").status_code == 401
    assert _try_login(proxy, "office@example.vn", PASSWORD).status_code == 429  # 203.0.113.7 is locked
    proxy.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.8"
    assert _try_login(proxy, "office@example.vn", PASSWORD).status_code == 302  # the proxy itself is not
    with svc.db.read() as db:
        failed = list(db.scalars(select(AuditEvent).where(AuditEvent.action == "login_failed")))
    assert {e.detail["address"] for e in failed} == {"203.0.113.7"}


def test_the_lock_lifts_when_the_window_has_passed(app: Flask, svc: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ratelimit, "WINDOW", 6)  # seconds instead of 15 minutes, in the same real Redis
    make_user(svc, "clerk", "patient@example.vn")
    _fail(app, "patient@example.vn", "10.0.2.1")
    assert _attempt(app, "patient@example.vn", "10.0.2.1") == 429
    redis = Redis.from_url(svc.settings.effective_redis_url)
    left = redis.pttl(f"{svc.settings.queue_name}:login:user:patient@example.vn")
    assert 0 < left <= 6000  # the window starts at the first failure and refusals do not extend it
    time.sleep(left / 1000 + 0.1)
    assert _attempt(app, "patient@example.vn", "10.0.2.1") == 302


def test_parallel_attempts_cannot_try_more_passwords_than_the_limit(svc: Services) -> None:
    limiter = LoginLimiter(svc.settings.effective_redis_url, prefix=f"{svc.settings.queue_name}:burst")
    allowed: list[bool] = []
    lock = threading.Lock()

    def attempt(n: int) -> None:
        ok = limiter.begin("burst@example.vn", f"10.9.0.{n}")
        with lock:
            allowed.append(ok)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert allowed.count(True) == MAX_FAILURES
    assert limiter.blocked("burst@example.vn", "10.9.0.250")


# -- API tokens --------------------------------------------------------------------------------------------------


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_token_acts_with_its_users_current_role_and_dies_with_the_account(
        app: Flask, svc: Services, world: dict) -> None:
    user_id, token = world["users"]["clerk"]
    api = app.test_client()

    def upload() -> int:
        return api.post("/api/v1/letters", headers=_bearer(token), content_type="multipart/form-data",
                        data={"file": (io.BytesIO(f"Đơn phản ánh số {time.time()}".encode()), "pa.txt")}).status_code

    assert upload() == 202
    assert api.post(f"/api/v1/letters/{world['waiting']}/review", headers=_bearer(token), json={}).status_code == 403
    assert api.post("/api/v1/dossiers", headers=_bearer(token), json={"letter_id": world["waiting"]}).status_code == 403
    with svc.db.write() as db:
        db.get(User, user_id).role = "leader"
    assert upload() == 403  # the token carries no role of its own
    with svc.db.write() as db:
        db.get(User, user_id).active = False
    assert api.get("/api/v1/me", headers=_bearer(token)).status_code == 401


def test_read_only_roles_cannot_change_anything_through_the_api(app: Flask, svc: Services, world: dict) -> None:
    api = app.test_client()
    before = _audit_count(svc)
    with svc.db.read() as db:
        letters = db.scalar(select(func.count()).select_from(Letter))
    for role in ("leader", "officer"):
        for rule in _post_rules(app, api=True):
            response = api.post(_fill(rule, _ids(world)), headers=_bearer(world["users"][role][1]),
                                json={"letter_id": world["waiting"], "type": "khieu_nai", "agency": "UBND_TINH",
                                      "field": "dat_dai"})
            assert response.status_code == 403 and response.get_json()["code"] == "forbidden", (role, rule)
    with svc.db.read() as db:
        assert db.scalar(select(func.count()).select_from(Letter)) == letters
    assert _audit_count(svc) == before


def test_a_read_only_token_reads_but_every_write_is_refused_whatever_the_role(
        app: Flask, svc: Services, world: dict) -> None:
    user_id, _ = world["users"]["reviewer"]  # a role that may review, open dossiers and upload
    with svc.db.write() as db:
        token = issue_token(db, db.get(User, user_id), "bảng theo dõi", read_only=True)
    api = app.test_client()
    assert api.get(f"/api/v1/letters/{world['waiting']}", headers=_bearer(token)).status_code == 200
    assert api.get("/api/v1/search?q=khiếu+nại", headers=_bearer(token)).status_code == 200
    before = _audit_count(svc)
    with svc.db.read() as db:
        letters = db.scalar(select(func.count()).select_from(Letter))
    for rule in _post_rules(app, api=True):
        response = api.post(_fill(rule, _ids(world)), headers=_bearer(token),
                            json={"letter_id": world["waiting"], "type": "khieu_nai", "agency": "UBND_TINH",
                                  "field": "dat_dai"})
        assert response.status_code == 403 and response.get_json()["code"] == "forbidden", rule
    upload = api.post("/api/v1/letters", headers=_bearer(token), content_type="multipart/form-data",
                      data={"file": (io.BytesIO("Đơn phản ánh".encode()), "pa.txt")})
    assert upload.status_code == 403
    with svc.db.read() as db:
        assert db.scalar(select(func.count()).select_from(Letter)) == letters
    assert _audit_count(svc) == before


def test_a_token_only_works_in_the_authorization_header_and_never_signs_in_a_page(
        app: Flask, svc: Services, world: dict) -> None:
    token = world["users"]["reviewer"][1]
    api = app.test_client()
    assert api.get("/api/v1/me", headers=_bearer(token)).status_code == 200
    assert api.get(f"/api/v1/me?token={token}").status_code == 401
    assert api.get("/api/v1/me", headers={"Authorization": token}).status_code == 401
    assert api.get("/api/v1/me", headers=_bearer(token[:-2])).status_code == 401
    page = api.get("/dashboard", headers=_bearer(token))
    assert page.status_code == 302 and "/login" in page.headers["Location"]


def test_a_revoked_token_is_refused_on_the_very_next_call(app: Flask, svc: Services, world: dict) -> None:
    user_id, token = world["users"]["officer"]
    api = app.test_client()
    assert api.get(f"/api/v1/dossiers/{world['dossier']}", headers=_bearer(token)).status_code == 200
    admin = _admin(app)
    with svc.db.read() as db:
        token_id = db.scalar(select(ApiToken.id).where(ApiToken.user_id == user_id))
    assert admin.post(f"/admin/users/{user_id}/tokens/{token_id}/revoke",
                      data={"csrf_token": _token(admin)}).status_code == 302
    for url in ("/api/v1/me", f"/api/v1/dossiers/{world['dossier']}", "/api/v1/search?q=x"):
        response = api.get(url, headers=_bearer(token))
        assert response.status_code == 401 and response.get_json()["code"] == "unauthorized", url


# -- upload limits -----------------------------------------------------------------------------------------------


def _stored_files(svc: Services) -> list[Path]:
    root = svc.settings.data_dir
    return [p for p in root.rglob("*") if p.is_file() and ("files" in p.parts or "attachments" in p.parts)]


def test_a_file_over_the_limit_gets_a_clear_413_and_nothing_is_stored(svc: Services) -> None:
    small = svc.settings.with_overrides(max_upload_bytes=2000)
    app = create_app(small)
    app.config["TESTING"] = True
    _, token = make_user(svc, "clerk", "limits@example.vn", token=True)
    clerk = _login(app, "limits@example.vn")
    form = csrf(clerk.get("/letters/upload").get_data(as_text=True))
    big = b"Don phan anh " * 200  # 2,600 bytes of text

    one = clerk.post("/letters/upload", content_type="multipart/form-data",
                     data={"csrf_token": form, "files": (io.BytesIO(big), "lon.txt")})
    assert one.status_code == 413 and "quá dung lượng" in one.get_data(as_text=True)
    scripted = clerk.post("/letters/upload", content_type="multipart/form-data", headers={"Accept": "application/json"},
                          data={"csrf_token": form, "files": (io.BytesIO(big), "lon.txt")})
    assert scripted.status_code == 413 and scripted.get_json()["letters"][0]["code"] == "file_too_large"
    api = app.test_client().post("/api/v1/letters", headers=_bearer(token), content_type="multipart/form-data",
                                 data={"file": (io.BytesIO(big), "lon.txt")})
    assert api.status_code == 413 and api.get_json()["code"] == "file_too_large"

    # a request larger than any form may be is cut off before it is read: a page that says why, or JSON
    flood = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    page = clerk.post("/letters/upload", content_type="multipart/form-data",
                      data={"csrf_token": form, "files": (io.BytesIO(flood), "lu.txt")})
    assert page.status_code == 413 and page.mimetype == "text/html"
    assert "Lỗi 413" in page.get_data(as_text=True) and "quá lớn" in page.get_data(as_text=True)
    api = app.test_client().post("/api/v1/letters", headers=_bearer(token), content_type="multipart/form-data",
                                 data={"file": (io.BytesIO(flood), "lu.txt")})
    assert api.status_code == 413 and api.get_json()["code"] == "file_too_large"

    with svc.db.read() as db:
        assert db.scalar(select(func.count()).select_from(Letter)) == 0
    assert _stored_files(svc) == []


# -- audit -------------------------------------------------------------------------------------------------------


Action = Callable[[FlaskClient, dict[str, Any]], TestResponse]


def _form(client: FlaskClient, url: str, **data: Any) -> TestResponse:
    return client.post(url, data={"csrf_token": _token(client), **data})


def _one(svc: Services, model: Any, *where: Any) -> Any:
    with svc.db.read() as db:
        return db.scalar(select(model.id).where(*where).order_by(model.id.desc()).limit(1))


def _actions(svc: Services, world: dict[str, Any]) -> dict[str, Action]:
    """One valid request for every state-changing route, in an order where each finds what it needs."""
    d, p, c, w = world["dossier"], world["protected_dossier"], world["complaint"], world["waiting"]
    officer = world["users"]["officer"][0]
    clerk = world["users"]["clerk"][0]
    session_id = lambda: _one(svc, ReceptionSession)  # noqa: E731
    visit_id = lambda: _one(svc, Visit)  # noqa: E731

    def defaults(client: FlaskClient, _w: dict) -> TestResponse:
        with svc.db.write() as db:  # one default holiday missing, so that restoring them changes something
            db.execute(delete(Holiday).where(Holiday.day == DEFAULT_HOLIDAYS[0][0]))
        return _form(client, "/admin/holidays/defaults", year=str(DEFAULT_HOLIDAYS[0][0].year))

    def read_one(client: FlaskClient, w: dict) -> TestResponse:
        return _form(client, f"/notifications/{w['notifications'][0]}/read")

    return {
        "/letters/upload": lambda cl, _: cl.post("/letters/upload", content_type="multipart/form-data", data={
            "csrf_token": _token(cl), "channel": "post", "files": (io.BytesIO("Đơn phản ánh đường hỏng.".encode()),
                                                                   "moi.txt")}),
        "/letters/<int:letter_id>/review": lambda cl, _: _form(
            cl, f"/letters/{w}/review", type="khieu_nai", agency="UBND_TINH", field="dat_dai", dossier_choice="none",
            decision="luu_don", action="save"),
        "/letters/<int:letter_id>/pages/<int:index>/text": lambda cl, _: _form(
            cl, f"/letters/{c}/pages/0/text", text=COMPLAINT + "\n(đã sửa)"),
        "/dossiers/<int:dossier_id>/decision": lambda cl, _: _form(cl, f"/dossiers/{p}/decision", decision="thu_ly",
                                                                    on=date.today().strftime("%d/%m/%Y")),
        "/dossiers/<int:dossier_id>/extend": lambda cl, _: _form(cl, f"/dossiers/{p}/extend", note="phức tạp"),
        "/dossiers/<int:dossier_id>/assign": lambda cl, _: _form(cl, f"/dossiers/{d}/assign", officer_id=officer),
        "/followup/<int:dossier_id>/urge": lambda cl, _: _form(cl, f"/followup/{d}/urge", note="Đề nghị trả lời"),
        "/dossiers/<int:dossier_id>/status": lambda cl, _: _form(cl, f"/dossiers/{d}/status", status="in_progress"),
        "/dossiers/<int:dossier_id>/result": lambda cl, _: _form(cl, f"/dossiers/{d}/result", result="dung_mot_phan",
                                                                  on=date.today().strftime("%d/%m/%Y")),
        "/dossiers/<int:dossier_id>/note": lambda cl, _: _form(cl, f"/dossiers/{d}/note", text="Đã gọi điện."),
        "/dossiers/<int:dossier_id>/summary": lambda cl, _: _form(cl, f"/dossiers/{d}/summary", summary="Thu hồi đất"),
        "/dossiers/<int:dossier_id>/attachments": lambda cl, _: cl.post(
            f"/dossiers/{d}/attachments", content_type="multipart/form-data",
            data={"csrf_token": _token(cl), "kind": "reply", "file": (io.BytesIO(b"%PDF-1.4 tra loi"), "tl.pdf")}),
        "/notifications/<int:notification_id>/read": read_one,
        "/notifications/read-all": lambda cl, _: _form(cl, "/notifications/read-all"),
        "/reception": lambda cl, _: _form(cl, "/reception", held_on="06/10/2025", kind="routine",
                                          leader="Đồng chí Bí thư", place="Trụ sở"),
        "/reception/<int:session_id>/visits": lambda cl, _: _form(
            cl, f"/reception/{session_id()}/visits", delegation="0", headcount="1", name="Phạm Văn Khánh",
            content="Khiếu nại thu hồi đất.", type="khieu_nai", field="dat_dai"),
        "/reception/visits/<int:visit_id>": lambda cl, _: _form(cl, f"/reception/visits/{visit_id()}",
                                                                conclusion="Hướng dẫn gửi UBND tỉnh."),
        "/reception/visits/<int:visit_id>/dossier": lambda cl, _: _form(
            cl, f"/reception/visits/{visit_id()}/dossier", action="open", type="khieu_nai", field="dat_dai",
            agency="UBND_TINH"),
        "/reception/visits/<int:visit_id>/letter": lambda cl, w: _form(
            cl, f"/reception/visits/{visit_id()}/letter", register_no=w["register_no"]),
        "/admin/users": lambda cl, _: _form(cl, "/admin/users", email="new@example.vn", full_name="Người mới",
                                            role="clerk", agency_id="", password="mat-khau-dai-1"),
        "/admin/users/<int:user_id>": lambda cl, _: _form(cl, f"/admin/users/{clerk}", full_name="Văn thư A",
                                                          role="clerk", agency_id="", active="1"),
        "/admin/users/<int:user_id>/token": lambda cl, _: _form(cl, f"/admin/users/{clerk}/token", name="máy quét"),
        "/admin/users/<int:user_id>/tokens/<int:token_id>/revoke": lambda cl, _: _form(
            cl, f"/admin/users/{clerk}/tokens/{_one(svc, ApiToken, ApiToken.user_id == clerk)}/revoke"),
        "/admin/agencies": lambda cl, _: _form(cl, "/admin/agencies", code="SO_MOI", name="Sở Mới", description="",
                                               sort_order="99", active="1"),
        "/admin/agencies/<int:agency_id>": lambda cl, _: _form(cl, "/admin/agencies/1", name="Cơ quan đổi tên",
                                                               description="", sort_order="0", active="1"),
        "/admin/holidays": lambda cl, _: _form(cl, "/admin/holidays", day="02/09/2031", name="Quốc khánh"),
        "/admin/holidays/<day>/delete": lambda cl, _: _form(cl, "/admin/holidays/2031-09-02/delete"),
        "/admin/holidays/defaults": defaults,
        "/api/v1/letters": lambda cl, w: cl.post("/api/v1/letters", headers=_bearer(w["admin_token"]),
                                                 content_type="multipart/form-data",
                                                 data={"file": (io.BytesIO("Đơn kiến nghị.".encode()), "kn.txt")}),
        "/api/v1/letters/<int:letter_id>/review": lambda cl, w: cl.post(
            f"/api/v1/letters/{w['api_letter']()}/review", headers=_bearer(w["admin_token"]),
            json={"type": "kien_nghi", "agency": "UBND_TINH", "field": "chinh_sach", "decision": "luu_don"}),
        "/api/v1/dossiers": lambda cl, w: cl.post("/api/v1/dossiers", headers=_bearer(w["admin_token"]),
                                                  json={"letter_id": w["api_letter"](), "type": "kien_nghi",
                                                        "field": "chinh_sach", "agency": "UBND_TINH"}),
        "/logout": lambda cl, _: _form(cl, "/logout"),
    }


def test_every_state_changing_route_writes_an_audit_row_naming_its_actor(
        app: Flask, svc: Services, world: dict) -> None:
    admin_id = world["users"]["admin"][0]
    api_letter = make_letter(svc, "Kính gửi Tỉnh ủy. Tôi kiến nghị xem xét chế độ cho người có công.", "api.txt")
    with svc.db.write() as db:
        notifications = [Notification(user_id=admin_id, kind="assigned", message=f"Việc {n}", url="/dashboard")
                         for n in range(2)]
        db.add_all(notifications)
        db.flush()
        admin_token = issue_token(db, db.get(User, admin_id), "test")
        register_no = db.get(Letter, world["waiting"]).register_no
    context = {**world, "notifications": [n.id for n in notifications], "admin_token": admin_token,
               "register_no": register_no,
               "api_letter": lambda: api_letter}
    actions = _actions(svc, world)
    missing = set(_post_rules(app, api=False) + _post_rules(app, api=True)) - set(actions) - {"/login"}
    assert not missing, f"add a valid request for these routes to _actions: {sorted(missing)}"

    # logging in is audited under the user who logged in
    before = _audit_count(svc, user_id=admin_id, action="login")
    client = _admin(app)
    assert _audit_count(svc, user_id=admin_id, action="login") == before + 1
    silent = []
    for rule, act in actions.items():
        before = _audit_count(svc, user_id=admin_id)
        response = act(client, context)
        assert response.status_code < 400, (rule, response.status_code, response.get_data(as_text=True)[:300])
        flashed = re.findall(r'class="flash error"[^>]*>([^<]+)', client.get("/dashboard").get_data(as_text=True)) \
            if rule != "/logout" else []
        assert not flashed, (rule, flashed)
        if _audit_count(svc, user_id=admin_id) <= before:
            silent.append(rule)
    assert not silent, f"these routes changed something without an audit row naming the actor: {silent}"


PROTECTED_VIEWS = ("/letters/{d}", "/letters/{d}/compare/{c}", "/api/v1/letters/{d}", "/dossiers/{p}",
                   "/api/v1/dossiers/{p}", "/api/v1/dossiers", "/search?q=nhận+tiền+giấy+phép",
                   "/api/v1/search?q=nhận+tiền+giấy+phép", "/search?type=to_cao", "/api/v1/search?type=to_cao")


@pytest.mark.parametrize(("email", "shown"), [("officer-s@example.vn", False), ("reviewer-s@example.vn", True)])
def test_every_view_of_a_protected_letter_is_audited_with_whether_the_identity_was_shown(
        app: Flask, svc: Services, world: dict, email: str, shown: bool) -> None:
    client = _login(app, email)
    user_id = world["users"]["officer" if not shown else "reviewer"][0]
    views = list(PROTECTED_VIEWS) + (["/letters/{d}/review"] if shown else [])
    silent = []
    for view in views:
        url = view.format(d=world["denunciation"], c=world["complaint"], p=world["protected_dossier"])
        before = _audit_count(svc, user_id=user_id, action="view_protected", letter_id=world["denunciation"])
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        if _audit_count(svc, user_id=user_id, action="view_protected", letter_id=world["denunciation"]) <= before:
            silent.append(url)
        if not shown:
            assert not _leaks(_readable(response)), url
    assert not silent, f"views of a protected letter that left no audit row: {silent}"
    with svc.db.read() as db:
        details = list(db.scalars(select(AuditEvent.detail).where(AuditEvent.user_id == user_id,
                                                                   AuditEvent.action == "view_protected")))
    assert {detail["identity_shown"] for detail in details} == {shown}


# -- masking beyond the letter page ------------------------------------------------------------------------------


def test_a_denouncer_stays_masked_in_file_names_attachments_and_report_drill_downs(
        app: Flask, svc: Services, world: dict) -> None:
    reviewer = _login(app, "reviewer-s@example.vn")
    p = world["protected_dossier"]
    reviewer.post(f"/dossiers/{p}/attachments", content_type="multipart/form-data", data={
        "csrf_token": _token(reviewer), "kind": "reply", "note": "Trả lời bà Trần Thị Mật",
        "file": (io.BytesIO(b"%PDF-1.4 Tran Thi Mat 001175012345"), "tra_loi_Tran_Thi_Mat.pdf")})
    with svc.db.read() as db:
        attachment = db.get(Dossier, p).attachments[0].id
    assert reviewer.get(f"/dossiers/{p}/attachments/{attachment}").status_code == 200  # handlers get the file
    assert "Don_to_cao_TRAN_THI_MAT.txt" in reviewer.get("/letters").get_data(as_text=True)

    for email in ("officer-s@example.vn", "leader-s@example.vn"):
        client = _login(app, email)
        pages = {url: client.get(url) for url in (
            "/letters", f"/letters/{world['denunciation']}", f"/dossiers/{p}", f"/api/v1/letters/{world['denunciation']}",
            "/reports?kind=year", f"/dossiers/{p}/attachments/{attachment}")}
        assert pages[f"/dossiers/{p}/attachments/{attachment}"].status_code == 403
        year = pages["/reports?kind=year"].get_data(as_text=True)
        drills = sorted(set(re.findall(r'href="(/reports/drill\?[^"]+)"', year)))
        assert drills, "the report links its cells to the letters behind them"
        for url in drills:
            pages[url] = client.get(url.replace("&amp;", "&"))
        for fmt in ("xlsx", "pdf", "csv"):
            pages[f"export.{fmt}"] = client.get(f"/reports/export.{fmt}?kind=year")
        for url, response in pages.items():
            if url.endswith(f"/attachments/{attachment}"):
                continue
            assert response.status_code == 200, (email, url, response.status_code)
            leaks = _leaks(_readable(response))
            assert not leaks, (email, url, leaks)
    with svc.db.read() as db:
        downloads = [(e.user_id, e.detail["refused"]) for e in db.scalars(
            select(AuditEvent).where(AuditEvent.action == "attachment_downloaded"))]
    assert (world["users"]["reviewer"][0], False) in downloads and (world["users"]["officer"][0], True) in downloads


def test_the_review_queue_masks_a_sender_protected_by_the_dossier_not_only_by_the_models_guess(
        app: Flask, svc: Services, world: dict) -> None:
    from ingest.dossiers import attach_letter

    with svc.db.write() as db:  # a complaint joined to the denunciation's matter: protected, the model says khiếu nại
        attach_letter(db, db.get(Dossier, world["protected_dossier"]), db.get(Letter, world["waiting"]), None)
    queue = _admin(app).get("/review").get_data(as_text=True)  # admins review, but do not handle denunciations
    assert f"/letters/{world['waiting']}/review" in queue and "Lê Văn Tám" not in queue
    assert "Lê Văn Tám" in _login(app, "reviewer-s@example.vn").get("/review").get_data(as_text=True)


def _readable(response: TestResponse) -> str:
    """The text a person would read in a response: a page, JSON, a PDF or a workbook."""
    if response.mimetype == "application/pdf":
        with pdfplumber.open(io.BytesIO(response.data)) as pdf:
            return "\n".join(page.extract_text() or "" for page in pdf.pages)
    if response.mimetype.endswith("spreadsheetml.sheet"):
        book = load_workbook(io.BytesIO(response.data))
        return "\n".join(str(cell) for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row)
    text = response.get_data(as_text=True)
    # the reader's own query echoed in the search box is not a disclosure
    return re.sub(r'<input[^>]*name="q"[^>]*>', "", text)


def test_a_filter_only_search_shows_a_masked_snippet_escaped(app: Flask, svc: Services, world: dict) -> None:
    payload = '<img src=x onerror="alert(1)">'
    with svc.db.write() as db:
        letter = db.get(Letter, world["denunciation"])
        letter.full_text = payload + " " + letter.full_text
    from ingest.indexing import index_letter

    index_letter(svc, world["denunciation"])
    officer = _login(app, "officer-s@example.vn")  # does not handle it: the snippet is cut from the masked text
    html = officer.get("/search?type=to_cao").get_data(as_text=True)
    assert f"/letters/{world['denunciation']}" in html
    assert payload not in html and "&lt;img src=x" in html and not _leaks(_readable_search(html))
    api = officer.get("/api/v1/search?type=to_cao").get_json()
    assert api["hits"] and all("<img" not in hit["snippet"] for hit in api["hits"])


def _readable_search(html: str) -> str:
    return re.sub(r'<input[^>]*name="q"[^>]*>', "", html)


# -- redirects and numbers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["//evil.example", "/\\evil.example", "/\t/evil.example", "https://evil.example",
                                    "/\r\nSet-Cookie:x=1", "javascript:alert(1)", "/ /evil.example"])
def test_the_page_after_login_is_always_on_this_site(app: Flask, target: str) -> None:
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    response = client.post("/login", query_string={"next": target},
                           data={"email": ADMIN, "password": ADMIN_PASSWORD, "csrf_token": csrf(page)})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location == "/dashboard" or (target == "/ /evil.example" and location.startswith("/%20/")), location


def test_numbers_too_large_for_an_id_are_a_404_or_400_never_a_500(app: Flask, svc: Services, world: dict) -> None:
    app.config["TESTING"] = False  # a database overflow must not even reach the 500 page
    admin = _admin(app)
    huge = "9" * 25
    for url, expected in ((f"/letters/{huge}", 404), (f"/dossiers/{huge}", 404), (f"/api/v1/letters/{huge}", 404),
                          (f"/letters?page={huge}", (200, 400)), (f"/dossiers?page={huge}", (200, 400)),
                          (f"/search?q=x&dossier={huge}", 200), (f"/api/v1/search?offset={huge}&dossier={huge}", 200),
                          (f"/api/v1/dossiers?offset={huge}", 200)):
        status = admin.get(url).status_code
        assert status in (expected if isinstance(expected, tuple) else (expected,)), (url, status)
    response = admin.post(f"/dossiers/{world['dossier']}/assign", data={"csrf_token": _token(admin),
                                                                         "officer_id": huge})
    assert response.status_code in (302, 400)
    api = admin.post("/api/v1/dossiers", json={"letter_id": int(huge)}, headers={"X-CSRFToken": _token(admin)})
    assert api.status_code == 400 and api.get_json()["code"] == "bad_request"
