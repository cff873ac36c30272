"""The web app and the upload API: log in, upload, list, view; clear JSON errors for bad input."""

from __future__ import annotations

import io
import re

import pytest
from flask.testing import FlaskClient

from ingest.services import Services
from models import Letter
from tests.bad_files import bad_inputs
from tests.scans import text_pdf
from web.accounts import create_user, issue_token

TYPED = "Kính gửi: Tỉnh ủy\nTôi là Vũ Thị Thanh Hà, phản ánh tình trạng ô nhiễm tại xóm Bến.\n"


@pytest.fixture
def token(svc: Services) -> str:
    with svc.db.write() as session:
        user = create_user(session, "clerk@example.vn", "clerk-pass-1", "clerk", full_name="Văn thư")
        return issue_token(session, user, "test")


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _login(client: FlaskClient, email: str = "admin@donthu.local", password: str = "admin-pass-1"):  # noqa: ANN202
    page = client.get("/login").get_data(as_text=True)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": _csrf(page)})


def test_login_page_is_vietnamese_and_protected_pages_redirect_to_it(client: FlaskClient) -> None:
    page = client.get("/login")
    assert page.status_code == 200 and "Đăng nhập" in page.get_data(as_text=True)
    assert page.headers["Content-Security-Policy"].startswith("default-src 'self'")
    response = client.get("/letters")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_wrong_password_is_refused_and_right_one_logs_in(client: FlaskClient) -> None:
    assert _login(client, password="nope").status_code == 401
    response = _login(client)
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    assert "Danh sách đơn" in client.get("/letters").get_data(as_text=True)


def test_forms_without_csrf_token_are_refused(client: FlaskClient) -> None:
    response = client.post("/login", data={"email": "admin@donthu.local", "password": "admin-pass-1"})
    assert response.status_code == 400


def test_upload_form_registers_files_in_order_and_shows_each_letter(client: FlaskClient, svc: Services) -> None:
    _login(client)
    form = client.get("/letters/upload").get_data(as_text=True)
    response = client.post("/letters/upload", data={
        "csrf_token": _csrf(form), "channel": "in_person", "received": "2026-04-09",
        "files": [(io.BytesIO(TYPED.encode()), "mot.txt"), (io.BytesIO(b""), "rong.pdf"),
                  (io.BytesIO(text_pdf([TYPED])), "hai.pdf")],
    }, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "số đến 0001/2026" in html and "số đến 0002/2026" in html and "Tệp rỗng." in html
    listing = client.get("/letters").get_data(as_text=True)
    assert "mot.txt" in listing and "hai.pdf" in listing and "Nộp trực tiếp" in listing and "09/04/2026" in listing
    with svc.db.read() as session:
        first = session.query(Letter).filter_by(original_name="mot.txt").one()
    assert first.created_by_id is not None


def test_letter_page_shows_page_images_beside_the_text(client: FlaskClient, svc: Services) -> None:
    from ingest.dispatch import dispatch_new_letter
    from ingest.intake import register_file

    result = register_file(svc, text_pdf([TYPED]), "a.pdf")
    dispatch_new_letter(svc, result.letter_id, result.job_id, sync=True)
    _login(client)
    html = client.get(f"/letters/{result.letter_id}").get_data(as_text=True)
    assert "Vũ Thị Thanh Hà" in html and "Đã nhận dạng" in html
    image = client.get(f"/letters/{result.letter_id}/pages/0.png")
    assert image.status_code == 200 and image.data.startswith(b"\x89PNG")
    assert client.get(f"/letters/{result.letter_id}/pages/5.png").status_code == 404


def test_api_upload_returns_202_with_a_status_url(client: FlaskClient, token: str) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    response = client.post("/api/v1/letters", headers=auth, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(TYPED.encode()), "a.txt"), "channel": "email"})
    assert response.status_code == 202
    body = response.get_json()
    assert body["register_no"].startswith("0001/") and body["duplicate_of"] is None
    assert body["status_url"] == f"/api/v1/letters/{body['letter_id']}/status" == response.headers["Location"]
    status = client.get(body["status_url"], headers=auth).get_json()
    assert status["status"] in ("queued", "ocr_running", "ocr_done") and status["page_count"] == 1
    again = client.post("/api/v1/letters", headers=auth, content_type="multipart/form-data",
                        data={"file": (io.BytesIO(TYPED.encode()), "b.txt")}).get_json()
    assert again["letter_id"] == body["letter_id"] and again["duplicate_of"] == body["letter_id"]


def test_api_refuses_every_bad_input_with_a_json_4xx(client: FlaskClient, token: str, svc: Services) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    for name, data, code in bad_inputs(svc.settings.max_pages):
        response = client.post("/api/v1/letters", headers=auth, content_type="multipart/form-data",
                               data={"file": (io.BytesIO(data), name)})
        body = response.get_json()
        assert 400 <= response.status_code < 500, name
        assert body["code"] == code and body["error"], name
    missing = client.post("/api/v1/letters", headers=auth, content_type="multipart/form-data", data={})
    assert missing.status_code == 400 and missing.get_json()["code"] == "bad_request"


def test_api_needs_a_valid_token_or_a_session_with_csrf(client: FlaskClient) -> None:
    upload = {"file": (io.BytesIO(TYPED.encode()), "a.txt")}
    assert client.post("/api/v1/letters", data=upload, content_type="multipart/form-data").status_code == 401
    bad = client.post("/api/v1/letters", headers={"Authorization": "Bearer dt_wrong"},
                      data={"file": (io.BytesIO(TYPED.encode()), "a.txt")}, content_type="multipart/form-data")
    assert bad.status_code == 401
    _login(client)
    no_csrf = client.post("/api/v1/letters", data={"file": (io.BytesIO(TYPED.encode()), "a.txt")},
                          content_type="multipart/form-data")
    assert no_csrf.status_code == 400 and no_csrf.get_json()["code"] == "csrf"
    csrf = _csrf(client.get("/letters/upload").get_data(as_text=True))
    ok = client.post("/api/v1/letters", headers={"X-CSRFToken": csrf},
                     data={"file": (io.BytesIO(TYPED.encode()), "a.txt")}, content_type="multipart/form-data")
    assert ok.status_code == 202


def test_review_queue_puts_letters_needing_review_first_and_the_letter_page_shows_the_suggestions(
        client: FlaskClient, svc: Services) -> None:
    from ingest.dispatch import dispatch_new_letter
    from ingest.intake import register_file

    ids = []
    for name, text in (("a.txt", TYPED), ("b.txt", "Tôi là Lê Văn Tám. Tôi tố cáo ông Trần Văn Hải, đảng viên, nhận tiền.")):
        result = register_file(svc, text.encode(), name)
        dispatch_new_letter(svc, result.letter_id, result.job_id, sync=True)
        ids.append(result.letter_id)
    with svc.db.write() as session:  # whatever the model said, make the second one uncertain
        for letter_id, needs in ((ids[0], False), (ids[1], True)):
            letter = session.get(Letter, letter_id)
            letter.needs_review = needs
            letter.refresh_queue()
    _login(client)
    html = client.get("/letters?status=review").get_data(as_text=True)
    assert html.index("b.txt") < html.index("a.txt") and "Cần duyệt" in html
    page = client.get(f"/letters/{ids[1]}").get_data(as_text=True)
    assert "Phân loại đề xuất" in page and "Tố cáo" in page and "Trần Văn Hải" in page


def test_five_wrong_passwords_lock_the_login_for_a_while(client: FlaskClient) -> None:
    for _ in range(5):
        assert _login(client, password="sai-mat-khau").status_code == 401
    locked = _login(client)  # even the right password waits for the window to pass
    assert locked.status_code == 429 and "quá nhiều lần" in locked.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302
