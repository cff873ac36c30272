"""Review and dossiers: the queue's order, confirming and correcting labels, opening a dossier, attaching a repeat,
the handling decision's deadline, the dossier's history and forms, the JSON API and its OpenAPI document."""

from __future__ import annotations

from datetime import date

import pytest
from flask.testing import FlaskClient

from classify.training import reviewed_examples
from ingest.services import Services
from models import Dossier, Letter, LetterLabel
from tests.webkit import COMPLAINT, DENUNCIATION, csrf, login, make_letter, make_user


@pytest.fixture
def reviewer(svc: Services, client: FlaskClient) -> int:
    user_id, _ = make_user(svc, "reviewer")
    login(client, "reviewer@example.vn")
    return user_id


def _review(client: FlaskClient, letter_id: int, **fields: str):  # noqa: ANN202
    page = client.get(f"/letters/{letter_id}/review").get_data(as_text=True)
    data = {"csrf_token": csrf(page), "type": "khieu_nai", "agency": "UBND_TINH", "field": "dat_dai",
            "dossier_choice": "none", "decision": "", "action": "save", **fields}
    return client.post(f"/letters/{letter_id}/review", data=data)


def test_queue_puts_needs_review_first_then_repeats_then_the_earliest_deadline(
        svc: Services, client: FlaskClient, reviewer: int) -> None:
    ids = [make_letter(svc, COMPLAINT.replace("Khánh", name), f"{name}.txt") for name in ("An", "Bình", "Chi", "Dung")]
    with svc.db.write() as session:
        rows = [session.get(Letter, i) for i in ids]
        settings = [(False, None, date(2026, 11, 20)), (False, [{"letter_id": 1}], date(2026, 11, 25)),
                    (True, None, date(2026, 11, 30)), (False, None, date(2026, 11, 10))]
        for letter, (needs, dups, due) in zip(rows, settings, strict=True):
            letter.needs_review, letter.duplicates, letter.due_date = needs, dups, due
            letter.refresh_queue()
    html = client.get("/review").get_data(as_text=True)
    order = [html.index(f'/letters/{i}/review') for i in ids]
    # Chi (needs review) · Bình (duplicates) · Dung (10/11) · An (20/11)
    assert order[2] < order[1] < order[3] < order[0]
    assert "4 đơn" in html


def test_confirming_records_the_labels_as_training_data_and_leaves_the_queue(
        svc: Services, client: FlaskClient, reviewer: int) -> None:
    letter_id = make_letter(svc, COMPLAINT)
    with svc.db.read() as session:
        predicted = session.get(Letter, letter_id).classification
    response = _review(client, letter_id, type=predicted["type"]["label"], agency=predicted["agency"]["label"],
                       field=predicted["field"]["label"])
    assert response.status_code == 302
    with svc.db.read() as session:
        letter = session.get(Letter, letter_id)
        assert letter.reviewed_by_id == reviewer and letter.queue_order is None
        label = session.query(LetterLabel).filter_by(letter_id=letter_id).one()
        assert not label.corrected
        assert any(e["text"] == letter.full_text for e in reviewed_examples(session))
    assert f"/letters/{letter_id}/review" not in client.get("/review").get_data(as_text=True)


def test_correcting_the_agency_is_stored_as_a_correction_and_indexed(
        svc: Services, client: FlaskClient, reviewer: int) -> None:
    letter_id = make_letter(svc, COMPLAINT)
    assert _review(client, letter_id, agency="THANHTRA").status_code == 302
    with svc.db.read() as session:
        label = session.query(LetterLabel).filter_by(letter_id=letter_id).one()
        assert label.agency == "THANHTRA" and label.corrected
    assert svc.search.get(letter_id).agency == "THANHTRA"


def test_opening_a_dossier_with_a_decision_sets_the_legal_deadline(
        svc: Services, client: FlaskClient, reviewer: int) -> None:
    letter_id = make_letter(svc, COMPLAINT)
    response = _review(client, letter_id, dossier_choice="new", decision="thu_ly")
    assert response.status_code == 302
    with svc.db.read() as session:
        letter = session.get(Letter, letter_id)
        dossier = session.get(Dossier, letter.dossier_id)
        assert dossier.number == f"0001/{date.today().year}/HS"
        assert dossier.status == "in_progress" and dossier.decision == "thu_ly"
        # a first-round complaint: 30 days from the decision
        assert (dossier.deadline - date.today()).days == 30 and "khiếu nại lần đầu" in dossier.deadline_label
        assert "thu hồi đất" in dossier.summary and "Phạm Văn Khánh" not in dossier.summary  # the matter, not the identity
    assert svc.search.get(letter_id).dossier_id == dossier.id
    page = client.get(f"/dossiers/{dossier.id}").get_data(as_text=True)
    assert dossier.number in page and "Lần đầu" in page and f"{dossier.deadline:%d/%m/%Y}" in page


def test_a_repeat_attached_by_dossier_number_joins_as_the_second_letter_and_keeps_the_matters_deadline(
        svc: Services, client: FlaskClient, reviewer: int) -> None:
    first = make_letter(svc, COMPLAINT, "lan1.txt")
    _review(client, first, dossier_choice="new", decision="thu_ly")
    second = make_letter(svc, COMPLAINT + "\nTôi gửi lại lần hai vì chưa được trả lời.", "lan2.txt")
    with svc.db.read() as session:
        dossier = session.get(Dossier, session.get(Letter, first).dossier_id)
        assert session.get(Letter, second).duplicates, "the re-send is found as a duplicate candidate"
    page = client.get(f"/letters/{second}/review").get_data(as_text=True)
    assert f"nhập hồ sơ {dossier.number}" in page  # the candidate's dossier is offered
    response = _review(client, second, dossier_choice="other", dossier_no=dossier.number, decision="luu_don")
    assert response.status_code == 302
    with svc.db.read() as session:
        again = session.get(Dossier, dossier.id)
        assert session.get(Letter, second).dossier_id == dossier.id
        assert session.get(Letter, second).decision == "luu_don"
        assert again.decision == "thu_ly" and again.deadline == dossier.deadline  # the matter's course is kept
    html = client.get(f"/dossiers/{dossier.id}").get_data(as_text=True)
    assert "Đơn trùng lần 2" in html and "nhập hồ sơ (lần 2)" in html


def test_an_unknown_dossier_number_is_refused_and_nothing_is_saved(
        svc: Services, client: FlaskClient, reviewer: int) -> None:
    letter_id = make_letter(svc, COMPLAINT)
    response = _review(client, letter_id, dossier_choice="other", dossier_no="9999/2026/HS")
    assert response.status_code == 400 and "không tìm thấy hồ sơ" in response.get_data(as_text=True)
    with svc.db.read() as session:
        assert session.query(LetterLabel).filter_by(letter_id=letter_id).count() == 0
        assert session.get(Letter, letter_id).reviewed_at is None


def test_save_and_next_opens_the_next_letter_of_the_queue(svc: Services, client: FlaskClient, reviewer: int) -> None:
    first, second = make_letter(svc, COMPLAINT, "a.txt"), make_letter(svc, DENUNCIATION, "b.txt")
    with svc.db.write() as session:
        for letter_id, due in ((first, date(2026, 1, 1)), (second, date(2026, 1, 2))):
            letter = session.get(Letter, letter_id)
            letter.needs_review, letter.duplicates, letter.due_date = False, None, due
            letter.refresh_queue()
    response = _review(client, first, action="next")
    assert response.headers["Location"].endswith(f"/letters/{second}/review")


def test_a_reviewer_corrects_a_pages_text_and_the_index_follows(
        svc: Services, client: FlaskClient, reviewer: int) -> None:
    letter_id = make_letter(svc, COMPLAINT)
    page = client.get(f"/letters/{letter_id}/review").get_data(as_text=True)
    fixed = COMPLAINT.replace("Phú Sơn", "Phú Sơn Tây")
    response = client.post(f"/letters/{letter_id}/pages/0/text", data={"csrf_token": csrf(page), "text": fixed})
    assert response.status_code == 302
    with svc.db.read() as session:
        assert "Phú Sơn Tây" in session.get(Letter, letter_id).full_text
    assert "Phú Sơn Tây" in svc.search.get(letter_id).text


def test_dossier_forms_assign_extend_record_result_and_keep_the_history(
        svc: Services, client: FlaskClient, reviewer: int) -> None:
    officer, _ = make_user(svc, "officer")
    letter_id = make_letter(svc, DENUNCIATION, user_id=reviewer)
    _review(client, letter_id, type="to_cao", agency="BNC_TU", field="tham_nhung", dossier_choice="new",
            decision="thu_ly")
    with svc.db.read() as session:
        dossier_id = session.get(Letter, letter_id).dossier_id
        first_deadline = session.get(Dossier, dossier_id).deadline
    token = csrf(client.get(f"/dossiers/{dossier_id}").get_data(as_text=True))
    client.post(f"/dossiers/{dossier_id}/assign", data={"csrf_token": token, "officer_id": officer})
    client.post(f"/dossiers/{dossier_id}/extend", data={"csrf_token": token, "note": "cần xác minh thêm"})
    client.post(f"/dossiers/{dossier_id}/note", data={"csrf_token": token, "text": "Đã làm việc với UBND phường"})
    refused = client.post(f"/dossiers/{dossier_id}/extend", data={"csrf_token": token})  # one extension only
    assert refused.status_code == 302
    client.post(f"/dossiers/{dossier_id}/result", data={"csrf_token": token, "result": "dung_mot_phan",
                                                         "note": "Tố cáo đúng một phần"})
    with svc.db.read() as session:
        dossier = session.get(Dossier, dossier_id)
        assert dossier.assigned_to_id == officer and dossier.extensions == 1
        assert (dossier.deadline - first_deadline).days == 30
        assert dossier.status == "resolved" and dossier.result == "dung_mot_phan"
        actions = [s.action for s in dossier.steps]
    assert actions == ["opened", "decision", "assigned", "extended", "note", "result"]
    html = client.get(f"/dossiers/{dossier_id}").get_data(as_text=True)
    assert "Đã làm việc với UBND phường" in html and "Đúng một phần" in html


def test_an_agency_reply_is_filed_on_the_dossier_and_downloads_unchanged(
        svc: Services, client: FlaskClient, reviewer: int) -> None:
    import io

    letter_id = make_letter(svc, COMPLAINT)
    _review(client, letter_id, dossier_choice="new", decision="chuyen_don")
    with svc.db.read() as session:
        dossier_id = session.get(Letter, letter_id).dossier_id
    token = csrf(client.get(f"/dossiers/{dossier_id}").get_data(as_text=True))
    reply = b"%PDF-1.4 reply from UBND"
    client.post(f"/dossiers/{dossier_id}/attachments", content_type="multipart/form-data",
                data={"csrf_token": token, "file": (io.BytesIO(reply), "tra-loi.pdf"), "kind": "reply"})
    html = client.get(f"/dossiers/{dossier_id}").get_data(as_text=True)
    assert "tra-loi.pdf" in html
    with svc.db.read() as session:
        attachment_id = session.get(Dossier, dossier_id).attachments[0].id
    assert client.get(f"/dossiers/{dossier_id}/attachments/{attachment_id}").data == reply


def test_api_review_then_dossier_and_search_in_the_cli_shapes(svc: Services, client: FlaskClient) -> None:
    _, token = make_user(svc, "reviewer", "api-reviewer@example.vn", token=True)
    headers = {"Authorization": f"Bearer {token}"}
    letter_id = make_letter(svc, COMPLAINT)
    letter = client.get(f"/api/v1/letters/{letter_id}", headers=headers).get_json()
    assert set(letter["classification"]) >= {"type", "agency", "field", "flags", "extracted", "model_version"}
    assert set(letter["duplicates"]) == {"letter_id", "candidates"}
    review = client.post(f"/api/v1/letters/{letter_id}/review", headers=headers, json={
        "type": "khieu_nai", "agency": "UBND_TINH", "field": "dat_dai", "dossier": "new", "decision": "thu_ly"})
    assert review.status_code == 200, review.get_json()
    outcome = review.get_json()
    assert outcome["dossier_number"].endswith("/HS") and outcome["position"] == 1 and outcome["deadline"]
    bad = client.post(f"/api/v1/letters/{letter_id}/review", headers=headers, json={"type": "nope", "agency": "x",
                                                                                     "field": "y"})
    assert bad.status_code == 422 and bad.get_json()["code"] == "invalid_review"
    dossier = client.get(f"/api/v1/dossiers/{outcome['dossier_id']}", headers=headers).get_json()
    assert dossier["letters"][0]["letter_id"] == letter_id and dossier["decision"] == "thu_ly"
    listed = client.get("/api/v1/dossiers", headers=headers).get_json()
    assert listed["total"] == 1
    found = client.get("/api/v1/search?q=pham van khanh", headers=headers).get_json()
    assert set(found) == {"total", "hits"} and found["hits"][0]["letter_id"] == letter_id
    assert set(found["hits"][0]) == {"letter_id", "register_no", "score", "sender", "snippet", "received_date"}
    other = make_letter(svc, DENUNCIATION)
    opened = client.post("/api/v1/dossiers", headers=headers, json={"letter_id": other})
    assert opened.status_code == 201 and opened.get_json()["protected"] is True
    assert client.post("/api/v1/dossiers", headers=headers, json={"letter_id": other}).status_code == 409


def test_openapi_document_lists_every_api_route(client: FlaskClient) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    documented = {f"/api/v1{path}".replace("{", "<").replace("}", ">") for path in doc["paths"]}
    routes = {r.rule.replace("<int:", "<") for r in client.application.url_map.iter_rules()
              if r.rule.startswith("/api/v1/") and not r.rule.endswith("openapi.json")}
    assert routes <= documented, routes - documented


def test_search_page_finds_a_sender_typed_without_diacritics(svc: Services, client: FlaskClient, reviewer: int) -> None:
    letter_id = make_letter(svc, COMPLAINT)
    html = client.get("/search?q=pham+van+khanh").get_data(as_text=True)
    assert f"/letters/{letter_id}" in html and "<mark>" in html and "1 đơn" in html


def test_dashboard_counts_the_queue_and_lists_overdue_dossiers(svc: Services, client: FlaskClient, reviewer: int) -> None:
    letter_id = make_letter(svc, COMPLAINT)
    _review(client, letter_id, dossier_choice="new", decision="thu_ly")
    with svc.db.write() as session:
        session.get(Dossier, session.get(Letter, letter_id).dossier_id).deadline = date(2020, 1, 1)
    make_letter(svc, DENUNCIATION)
    html = client.get("/dashboard").get_data(as_text=True)
    assert 'id="queue-total">1<' in html and "01/01/2020" in html


def test_the_reviewer_records_what_the_letter_says_of_earlier_handling(
        svc: Services, client: FlaskClient, reviewer: int) -> None:
    letter_id = make_letter(svc, COMPLAINT)
    assert 'name="prior_resolution"' in client.get(f"/letters/{letter_id}/review").get_data(as_text=True)
    assert _review(client, letter_id, prior_resolution="judgment").status_code == 302
    with svc.db.read() as session:
        assert session.get(Letter, letter_id).prior_resolution == "judgment"
    assert _review(client, letter_id, prior_resolution="sometimes").status_code == 400
