"""Denouncer confidentiality: a tố cáo sender's name, address, phone and citizen ID never reach a user who does not
handle the letter — not in a page, an API response, a search hit, a page image or a printed PDF — and every view
of a protected letter is in the audit log."""

from __future__ import annotations

import io
import json
import re

import pdfplumber
import pytest
from flask.testing import FlaskClient
from PIL import Image

from core.vntext import fold
from ingest.confidentiality import MASK, Masker, masked_png
from ingest.services import Services
from models import AuditEvent, Dossier, Letter, Page
from tests.webkit import DENUNCIATION, app_client, csrf, login, make_letter, make_user

# the identity as written, and the forms a leak could take
SECRETS = ["Trần Thị Mật", "Hoàng Diệu", "001175012345", "0905 111 222", "0905111222"]


def _leaks(text: str) -> list[str]:
    # the reader's own query, echoed back in the search box and the language switch's links
    text = re.sub(r'<form method="get".*?</form>|<div class="lang-switch".*?</div>', "", text, flags=re.S)
    folded = fold(text)
    return [s for s in SECRETS if s in text or fold(s) in folded]


def _pdf_text(data: bytes) -> str:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages) + str(pdf.metadata)


def _client(svc: Services, email: str) -> FlaskClient:
    client = app_client(svc)
    assert login(client, email).status_code == 302
    return client


@pytest.fixture
def case(svc: Services) -> dict:
    """A denunciation registered by a clerk; a reviewer opens its dossier and forwards it."""
    clerk, _ = make_user(svc, "clerk", "clerk-a@example.vn")
    make_user(svc, "reviewer", "reviewer-a@example.vn")
    officer, officer_token = make_user(svc, "officer", "officer-b@example.vn", token=True)
    make_user(svc, "leader", "leader@example.vn")
    make_user(svc, "clerk", "clerk-b@example.vn")
    letter_id = make_letter(svc, DENUNCIATION, "to-cao.txt", user_id=clerk)
    reviewer = _client(svc, "reviewer-a@example.vn")
    page = reviewer.get(f"/letters/{letter_id}/review").get_data(as_text=True)
    assert "Trần Thị Mật" in page, "a reviewer handles the letter and sees who wrote it"
    reviewer.post(f"/letters/{letter_id}/review", data={
        "csrf_token": csrf(page), "type": "to_cao", "agency": "BNC_TU", "field": "tham_nhung",
        "dossier_choice": "new", "decision": "chuyen_don", "action": "save"})
    with svc.db.read() as session:
        dossier_id = session.get(Letter, letter_id).dossier_id
        assert session.get(Dossier, dossier_id).protected
    return {"letter_id": letter_id, "dossier_id": dossier_id, "officer": officer, "officer_token": officer_token,
            "reviewer": reviewer}


def _everything(client: FlaskClient, case: dict, headers: dict | None = None) -> dict[str, str]:
    """Every page, API response and PDF that shows the letter or its dossier."""
    lid, did = case["letter_id"], case["dossier_id"]
    pages = {url: client.get(url).get_data(as_text=True) for url in (
        f"/letters/{lid}", f"/letters/{lid}/compare/{lid}", f"/dossiers/{did}", "/dossiers", "/letters",
        "/search?q=tran+thi+mat", "/search?q=Hoàng+Diệu", "/search?q=001175012345", "/search?q=0905111222",
        "/search?q=nhận+tiền+cấp+giấy+phép", "/dashboard")}
    for url in (f"/dossiers/{did}/slip.pdf", f"/dossiers/{did}/guidance.pdf"):
        response = client.get(url)
        assert response.status_code == 200 and response.mimetype == "application/pdf", url
        pages[url] = _pdf_text(response.data)
    if headers:
        for url in (f"/api/v1/letters/{lid}", f"/api/v1/dossiers/{did}", "/api/v1/dossiers",
                    "/api/v1/search?q=tran+thi+mat", "/api/v1/search?q=Hoàng+Diệu"):
            pages[url] = client.get(url, headers=headers).get_data(as_text=True)
    return pages


@pytest.mark.parametrize("email", ["officer-b@example.vn", "leader@example.vn", "clerk-b@example.vn",
                                   "admin@donthu.local"])
def test_the_identity_never_reaches_a_user_who_does_not_handle_the_letter(
        svc: Services, case: dict, email: str) -> None:
    client = _client(svc, email) if email != "admin@donthu.local" else _admin(svc)
    headers = {"Authorization": f"Bearer {case['officer_token']}"} if email.startswith("officer") else None
    seen = _everything(client, case, headers)
    leaks = {url: _leaks(body) for url, body in seen.items() if _leaks(body)}
    assert not leaks, leaks
    assert MASK in seen[f"/letters/{case['letter_id']}"]
    assert "Nguyễn Văn Cường" in seen[f"/letters/{case['letter_id']}"], "the accused is not protected"
    assert "nhận tiền" in seen[f"/letters/{case['letter_id']}"], "the matter itself stays readable"
    # a search by the identity does not even reveal that the letter exists; a search by its matter finds it
    assert f"/letters/{case['letter_id']}" not in seen["/search?q=tran+thi+mat"]
    assert "0 đơn" in seen["/search?q=tran+thi+mat"] and "0 đơn" in seen["/search?q=0905111222"]
    assert f"/letters/{case['letter_id']}" in seen["/search?q=nhận+tiền+cấp+giấy+phép"]
    if headers:
        assert json.loads(seen[f"/api/v1/letters/{case['letter_id']}"])["identity_masked"] is True
        assert json.loads(seen["/api/v1/search?q=tran+thi+mat"]) == {"total": 0, "hits": []}


def _admin(svc: Services) -> FlaskClient:
    client = app_client(svc)
    assert login(client, "admin@donthu.local", "admin-pass-1").status_code == 302
    return client


def test_the_clerk_who_registered_it_and_the_assigned_officer_see_it_and_every_view_is_audited(
        svc: Services, case: dict) -> None:
    clerk = _client(svc, "clerk-a@example.vn")
    assert "Trần Thị Mật" in clerk.get(f"/letters/{case['letter_id']}").get_data(as_text=True)
    officer = _client(svc, "officer-b@example.vn")
    assert "Trần Thị Mật" not in officer.get(f"/letters/{case['letter_id']}").get_data(as_text=True)
    reviewer = case["reviewer"]
    token = csrf(reviewer.get(f"/dossiers/{case['dossier_id']}").get_data(as_text=True))
    reviewer.post(f"/dossiers/{case['dossier_id']}/assign", data={"csrf_token": token, "officer_id": case["officer"]})
    assert "Trần Thị Mật" in officer.get(f"/letters/{case['letter_id']}").get_data(as_text=True)
    api = officer.get(f"/api/v1/letters/{case['letter_id']}",
                      headers={"Authorization": f"Bearer {case['officer_token']}"}).get_json()
    assert api["classification"]["extracted"]["sender"] == "Trần Thị Mật" and not api["identity_masked"]
    # the forwarding slip leaves another office: it never names the denouncer, whoever prints it
    slip = _pdf_text(officer.get(f"/dossiers/{case['dossier_id']}/slip.pdf").data)
    assert not _leaks(slip) and "bí mật" in slip
    with svc.db.read() as session:
        views = session.query(AuditEvent).filter_by(action="view_protected", letter_id=case["letter_id"]).all()
        shown = {(e.user_id, e.detail["identity_shown"]) for e in views}
    assert (case["officer"], False) in shown and (case["officer"], True) in shown
    assert len(views) >= 5


def test_a_masked_reader_cannot_overwrite_the_text_with_the_masked_copy(svc: Services, case: dict) -> None:
    admin = _admin(svc)  # admins may review, but do not handle denunciations
    page = admin.get(f"/letters/{case['letter_id']}/review").get_data(as_text=True)
    assert not _leaks(page) and "Sửa văn bản" not in page
    response = admin.post(f"/letters/{case['letter_id']}/pages/0/text", data={"csrf_token": csrf(page),
                                                                              "text": "xoá"})
    assert response.status_code == 403
    with svc.db.read() as session:
        assert "Trần Thị Mật" in session.get(Letter, case["letter_id"]).full_text


def test_masking_finds_the_identity_in_any_accent_form_spacing_or_digit_grouping() -> None:
    masker = Masker(["Trần Thị Mật", "số 7 đường Hoàng Diệu", "0905111222", "001175012345"])
    text = ("Tôi TRẦN THỊ MẬT (tran thi  mat), ở số 7 đường Hoàng Diệu, ĐT 0905.111.222 hoặc 0905-111-222, "
            "CCCD 001175012345. Ông Trần Thị Mậtxyz không bị che.")
    masked = masker.text(text)
    assert not _leaks(masked.replace("Mậtxyz", ""))
    assert masked.count(MASK) == 6 and "Mậtxyz" in masked
    assert masker.text("don-to-cao_Tran_Thi_Mat.pdf") == f"don-to-cao_{MASK}.pdf"


def test_page_images_black_out_the_words_that_spell_the_identity(tmp_path) -> None:  # noqa: ANN001
    image = Image.new("RGB", (400, 100), "white")
    path = tmp_path / "page.png"
    image.save(path)
    words = [{"text": "Tôi", "conf": 95, "box": [10, 10, 30, 12]}, {"text": "Trần", "conf": 95, "box": [50, 10, 40, 12]},
             {"text": "Thị", "conf": 95, "box": [100, 10, 30, 12]}, {"text": "Mật,", "conf": 95, "box": [140, 10, 40, 12]},
             {"text": "tố", "conf": 95, "box": [200, 10, 20, 12]}]
    boxes = Masker(["Trần Thị Mật"]).word_boxes(words)
    assert boxes == [[50, 10, 40, 12], [100, 10, 30, 12], [140, 10, 40, 12]]
    out = Image.open(io.BytesIO(masked_png(str(path), boxes)))
    assert out.getpixel((60, 15)) == (0, 0, 0) and out.getpixel((150, 15)) == (0, 0, 0)
    assert out.getpixel((15, 15)) == (255, 255, 255) and out.getpixel((205, 15)) == (255, 255, 255)


def test_a_scan_that_cannot_be_masked_is_refused_and_the_attempt_is_audited(
        svc: Services, case: dict, tmp_path) -> None:  # noqa: ANN001
    image = svc.store.path("pages/unmaskable.png")
    image.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (40, 20), "white").save(image)
    with svc.db.write() as session:
        page = session.query(Page).filter_by(letter_id=case["letter_id"]).first()
        page.image_path, page.words = "pages/unmaskable.png", []  # a scan OCR found no word boxes on
    officer = _client(svc, "officer-b@example.vn")
    assert officer.get(f"/letters/{case['letter_id']}/pages/{page.index}.png").status_code == 403
    with svc.db.read() as session:
        views = session.query(AuditEvent).filter_by(action="view_protected", letter_id=case["letter_id"],
                                                    user_id=case["officer"]).all()
    assert [(e.detail.get("refused"), e.detail["identity_shown"]) for e in views] == [(True, False)]
