"""The permission matrix: every route × every role, pages and API, against a table written out here (not read
from the code), and every route of the app must appear in it."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from ingest.services import Services
from models import ROLES, Dossier, Letter
from tests.webkit import COMPLAINT, csrf, login, make_letter, make_user
from web.app import create_app

ALL = frozenset(ROLES)
INTAKE = frozenset({"clerk", "reviewer", "admin"})
REVIEW = frozenset({"reviewer", "admin"})
WORK = frozenset({"reviewer", "officer", "admin"})
ADMIN = frozenset({"admin"})
REPORTS = frozenset({"reviewer", "officer", "leader", "admin"})
PUBLIC = None  # no login needed

# (rule, method) -> roles allowed
MATRIX: dict[tuple[str, str], frozenset[str] | None] = {
    ("/login", "GET"): PUBLIC, ("/login", "POST"): PUBLIC, ("/logout", "POST"): PUBLIC,
    ("/static/<path:filename>", "GET"): PUBLIC, ("/api/v1/openapi.json", "GET"): PUBLIC,
    ("/", "GET"): ALL, ("/dashboard", "GET"): ALL,
    ("/letters", "GET"): ALL, ("/letters/<int:letter_id>", "GET"): ALL,
    ("/letters/<int:letter_id>/pages/<int:index>.png", "GET"): ALL,
    ("/letters/<int:letter_id>/compare/<int:other_id>", "GET"): ALL,
    ("/letters/upload", "GET"): INTAKE, ("/letters/upload", "POST"): INTAKE,
    ("/review", "GET"): REVIEW,
    ("/letters/<int:letter_id>/review", "GET"): REVIEW, ("/letters/<int:letter_id>/review", "POST"): REVIEW,
    ("/letters/<int:letter_id>/pages/<int:index>/text", "POST"): REVIEW,
    ("/dossiers", "GET"): ALL, ("/dossiers/<int:dossier_id>", "GET"): ALL,
    ("/dossiers/<int:dossier_id>/attachments/<int:attachment_id>", "GET"): ALL,
    ("/dossiers/<int:dossier_id>/slip.pdf", "GET"): ALL, ("/dossiers/<int:dossier_id>/guidance.pdf", "GET"): ALL,
    **{(f"/dossiers/<int:dossier_id>/{action}", "POST"): WORK
       for action in ("decision", "extend", "assign", "status", "result", "note", "summary", "attachments")},
    ("/search", "GET"): ALL,
    **{(rule, "GET"): REPORTS for rule in ("/reports", "/reports/drill", "/reports/export.xlsx", "/reports/export.pdf",
                                           "/reports/export.csv", "/reports/files/<int:file_id>.<ext>")},
    ("/api/v1/letters", "POST"): INTAKE,
    ("/api/v1/letters/<int:letter_id>", "GET"): ALL, ("/api/v1/letters/<int:letter_id>/status", "GET"): ALL,
    ("/api/v1/letters/<int:letter_id>/review", "POST"): REVIEW,
    ("/api/v1/search", "GET"): ALL,
    ("/api/v1/dossiers", "GET"): ALL, ("/api/v1/dossiers", "POST"): REVIEW,
    ("/api/v1/dossiers/<int:dossier_id>", "GET"): ALL,
    ("/api/v1/me", "GET"): ALL,
    ("/followup", "GET"): REPORTS, ("/followup/<int:dossier_id>/urge", "POST"): WORK,
    ("/notifications", "GET"): ALL, ("/notifications/read-all", "POST"): ALL,
    ("/notifications/<int:notification_id>/read", "POST"): ALL,
    # citizen reception: everyone reads, all but leaders record
    ("/reception", "GET"): ALL, ("/reception/<int:session_id>", "GET"): ALL,
    **{(rule, "POST"): frozenset({"clerk", "reviewer", "officer", "admin"})
       for rule in ("/reception", "/reception/<int:session_id>/visits", "/reception/visits/<int:visit_id>",
                    "/reception/visits/<int:visit_id>/dossier", "/reception/visits/<int:visit_id>/letter")},
}


def _expected(rule: str, method: str) -> frozenset[str] | None:
    if rule.startswith("/admin"):
        return ADMIN
    return MATRIX[(rule, method)]


def _routes(app) -> list[tuple[str, str]]:  # noqa: ANN001
    return sorted((r.rule, m) for r in app.url_map.iter_rules() for m in r.methods - {"HEAD", "OPTIONS"})


@pytest.fixture
def world(svc: Services) -> dict:
    """One user per role with a token, a letter with a dossier, and the ids to fill the routes with."""
    users = {role: make_user(svc, role, f"{role}-m@example.vn", token=True) for role in ROLES}
    letter_id = make_letter(svc, COMPLAINT)
    from ingest.dossiers import open_dossier

    with svc.db.write() as session:
        letter = session.get(Letter, letter_id)
        dossier = open_dossier(session, letter, None, type="khieu_nai", field="dat_dai", agency="UBND_TINH")
        session.flush()
        dossier_id = dossier.id
    return {"users": users, "letter_id": letter_id, "dossier_id": dossier_id}


def _url(rule: str, world: dict) -> str:
    values = {"<int:session_id>": 1, "<int:visit_id>": 1, "<int:letter_id>": world["letter_id"], "<int:other_id>": world["letter_id"], "<int:index>": 0,
              "<int:dossier_id>": world["dossier_id"], "<int:attachment_id>": 1, "<int:user_id>": 1,
              "<int:agency_id>": 1, "<int:token_id>": 1, "<int:file_id>": 1, "<ext>": "xlsx", "<day>": "2026-01-01", "<path:filename>": "app.css",
              "<int:notification_id>": 1}
    for key, value in values.items():
        rule = rule.replace(key, str(value))
    return rule


def test_every_route_is_in_the_matrix(svc: Services) -> None:
    app = create_app(svc.settings)
    missing = [(rule, m) for rule, m in _routes(app) if not rule.startswith("/admin") and (rule, m) not in MATRIX]
    assert not missing, f"add these routes to the permission matrix: {missing}"


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_exactly_the_routes_the_matrix_allows(svc: Services, world: dict, role: str) -> None:
    app = create_app(svc.settings)
    app.config["TESTING"] = True
    client: FlaskClient = app.test_client()
    assert login(client, f"{role}-m@example.vn").status_code == 302
    token = csrf(client.get("/dashboard").get_data(as_text=True))
    bearer = {"Authorization": f"Bearer {world['users'][role][1]}"}
    wrong = []
    for rule, method in _routes(app):
        allowed = _expected(rule, method)
        if allowed is PUBLIC or rule == "/logout":
            continue
        url = _url(rule, world)
        if rule.startswith("/api/v1"):
            response = client.open(url, method=method, headers=bearer, json={} if method == "POST" else None)
        else:
            response = client.open(url, method=method, data={"csrf_token": token} if method == "POST" else None)
        refused = response.status_code == 403
        if refused == (role in allowed):
            wrong.append(f"{method} {rule}: {response.status_code}")
    assert not wrong, f"{role}: " + "; ".join(wrong)


def test_anonymous_callers_are_sent_to_login_or_get_401(svc: Services, world: dict) -> None:
    app = create_app(svc.settings)
    client = app.test_client()
    for rule, method in _routes(app):
        if _expected(rule, method) is PUBLIC:
            continue
        response = client.open(_url(rule, world), method=method)
        if rule.startswith("/api/v1"):
            assert response.status_code == 401, (method, rule)
        elif method == "GET":
            assert response.status_code == 302 and "/login" in response.headers["Location"], (method, rule)
        else:  # a form post without a session has no CSRF token either
            assert response.status_code in (302, 400), (method, rule)


def test_a_leader_reads_dossiers_but_cannot_change_them(svc: Services, world: dict) -> None:
    app = create_app(svc.settings)
    app.config["TESTING"] = True
    client = app.test_client()
    login(client, "leader-m@example.vn")
    page = client.get(f"/dossiers/{world['dossier_id']}")
    assert page.status_code == 200 and "Lưu hướng xử lý" not in page.get_data(as_text=True)
    token = csrf(page.get_data(as_text=True))
    response = client.post(f"/dossiers/{world['dossier_id']}/status", data={"csrf_token": token, "status": "archived"})
    assert response.status_code == 403
    with svc.db.read() as session:
        assert session.get(Dossier, world["dossier_id"]).status == "open"
