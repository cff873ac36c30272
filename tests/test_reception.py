"""Citizen reception: sessions and visits recorded through the pages, the validation that refuses bad input, joining
a matter by its number (a repeat when the matter was raised before), opening a dossier from a visit, linking the
letter handed in, the TCD01 numbers for what was entered, and the denouncer's identity masked for non-handlers."""

from __future__ import annotations

import re
from datetime import date

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from core.periods import month_of
from ingest.dossiers import open_dossier
from ingest.intake import register_file
from ingest.reports.forms import TOTAL
from ingest.reports.reception_form import KIND_ROWS, compute_reception
from ingest.services import Services
from models import AuditEvent, Dossier, DossierStep, Letter, ReceptionSession, Visit
from tests.webkit import COMPLAINT, csrf, login, make_user
from web.app import create_app

OCTOBER = date(2025, 10, 1)  # a past month: visits are recorded once a session has been held


@pytest.fixture
def app(svc: Services):  # noqa: ANN201
    app = create_app(svc.settings)
    app.config["TESTING"] = True
    return app


def _client(app, svc: Services, role: str, email: str | None = None) -> tuple[FlaskClient, int]:  # noqa: ANN001
    email = email or f"{role}@example.vn"
    user_id, _ = make_user(svc, role, email)
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client, user_id


def _new_session(client: FlaskClient, held_on: str = "06/10/2025", kind: str = "routine", **fields: str):  # noqa: ANN202
    page = client.get("/reception").get_data(as_text=True)
    data = {"csrf_token": csrf(page), "held_on": held_on, "kind": kind, "leader": "Đồng chí Bí thư Tỉnh ủy",
            "place": "Trụ sở tiếp công dân tỉnh", "notes": "", **fields}
    return client.post("/reception", data=data)


def _session_id(response) -> int:  # noqa: ANN001
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(re.search(r"/reception/(\d+)$", response.headers["Location"]).group(1))


def _add_visit(client: FlaskClient, session_id: int, **fields: str):  # noqa: ANN202
    page = client.get(f"/reception/{session_id}").get_data(as_text=True)
    data = {"csrf_token": csrf(page), "delegation": "0", "headcount": "1", "name": "Phạm Văn Khánh",
            "address": "thôn Phú Sơn, xã Hòa Khương", "phone": "0905 123 456", "citizen_id": "048079001234",
            "content": "Khiếu nại việc thu hồi đất làm khu dân cư, mức bồi thường quá thấp.", "type": "khieu_nai",
            "field": "dat_dai", "conclusion": "", "assigned_agency": "", "assigned_to_id": "", **fields}
    return client.post(f"/reception/{session_id}/visits", data=data)


def _visit_ids(svc: Services, session_id: int) -> list[int]:
    with svc.db.read() as session:
        return list(session.scalars(select(Visit.id).where(Visit.session_id == session_id).order_by(Visit.id)))


def _post(client: FlaskClient, url: str, session_id: int, **fields: str):  # noqa: ANN202
    page = client.get(f"/reception/{session_id}").get_data(as_text=True)
    return client.post(url, data={"csrf_token": csrf(page), **fields})


def _dossier_with_letter(svc: Services, received: date) -> tuple[int, str]:
    """A matter opened from a complaint letter received on ``received``."""
    result = register_file(svc, COMPLAINT.encode(), "don.txt", received=received)
    with svc.db.write() as session:
        dossier = open_dossier(session, session.get(Letter, result.letter_id), None, type="khieu_nai",
                               field="dat_dai", agency="UBND_TINH")
        session.flush()
        return dossier.id, dossier.number


# -- recording ------------------------------------------------------------------------------------------------


def test_a_session_and_its_visits_are_recorded_and_listed_by_month(app, svc: Services) -> None:  # noqa: ANN001
    client, clerk = _client(app, svc, "clerk")
    session_id = _session_id(_new_session(client, "06/10/2025", "scheduled"))
    assert _add_visit(client, session_id).status_code == 302
    response = _add_visit(client, session_id, delegation="1", headcount="12", name="Nguyễn Văn Tâm",
                          representatives="Nguyễn Văn Tâm\n\n  Lê Thị Hoa  \n", type="kien_nghi",
                          field="chinh_sach", content="Đề nghị xem xét chế độ hỗ trợ cho các hộ dân.",
                          assigned_agency="UBND_TINH", conclusion="Giao UBND tỉnh xem xét, trả lời.")
    assert response.status_code == 302
    with svc.db.read() as session:
        row = session.get(ReceptionSession, session_id)
        assert (row.held_on, row.kind, row.created_by_id) == (date(2025, 10, 6), "scheduled", clerk)
        first, group = row.visits
        assert (first.delegation, first.headcount, first.name, first.citizen_id) == (
            False, 1, "Phạm Văn Khánh", "048079001234")
        assert (group.delegation, group.headcount, group.representatives) == (True, 12, "Nguyễn Văn Tâm\nLê Thị Hoa")
        assert group.assigned_agency == "UBND_TINH" and group.type == "kien_nghi" and not group.repeat
    page = client.get(f"/reception/{session_id}").get_data(as_text=True)
    assert "06/10/2025" in page and "Phạm Văn Khánh" in page and "Đoàn 12 người" in page
    assert "2 lượt, 13 người" in page and "Giao UBND tỉnh xem xét, trả lời." in page
    assert 'name="csrf_token"' in page and "<script>" not in page and "style=" not in page

    other = _session_id(_new_session(client, "03/09/2025"))
    listing = client.get("/reception?month=10/2025").get_data(as_text=True)
    row = re.search(rf'<a href="/reception/{session_id}">06/10/2025</a>.*?</tr>', listing, re.S).group(0)
    assert re.findall(r'<td class="num">(\d+)</td>', row) == ["2", "13"]
    assert f'href="/reception/{other}"' not in listing
    everything = client.get("/reception").get_data(as_text=True)
    assert everything.index(f'href="/reception/{session_id}"') < everything.index(f'href="/reception/{other}"')
    assert client.get("/reception?month=13/2025").status_code == 400
    assert "Tiếp công dân" in client.get("/dashboard").get_data(as_text=True)  # the menu link


@pytest.mark.parametrize(("fields", "message"), [
    ({"headcount": "3"}, "cá nhân chỉ có 1 người"),
    ({"delegation": "1", "headcount": "1"}, "từ 2 người trở lên"),
    ({"delegation": "1", "headcount": "nhiều"}, "số người không hợp lệ"),
    ({"type": "to_giac"}, "loại đơn không hợp lệ"),
    ({"field": "giao_thong"}, "lĩnh vực không hợp lệ"),
    ({"assigned_agency": "UBND_HUYEN"}, "không có cơ quan mã"),
    ({"citizen_id": "12345"}, "12 chữ số"),
    ({"name": "  "}, "chưa nhập họ tên"),
    ({"content": ""}, "chưa nhập nội dung"),
])
def test_an_invalid_visit_is_refused_and_nothing_is_saved(app, svc: Services, fields: dict, message: str) -> None:  # noqa: ANN001
    client, _ = _client(app, svc, "clerk")
    session_id = _session_id(_new_session(client))
    response = _add_visit(client, session_id, **fields)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and message in page
    assert _visit_ids(svc, session_id) == []
    if fields.get("delegation") == "1":
        assert 'name="delegation" value="1" checked' in page  # the form comes back as it was typed


@pytest.mark.parametrize(("fields", "message"), [
    ({"kind": "weekly"}, "hình thức tiếp không hợp lệ"),
    ({"held_on": "31/02/2025"}, "ngày không hợp lệ"),
    ({"held_on": ""}, "chưa nhập ngày tiếp"),
    ({"leader": ""}, "chưa nhập người chủ trì"),
])
def test_an_invalid_session_is_refused_and_nothing_is_saved(app, svc: Services, fields: dict, message: str) -> None:  # noqa: ANN001
    client, _ = _client(app, svc, "clerk")
    response = _new_session(client, **fields)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    with svc.db.read() as session:
        assert session.scalar(select(func.count()).select_from(ReceptionSession)) == 0


def test_a_leader_reads_but_cannot_record(app, svc: Services) -> None:  # noqa: ANN001
    clerk, _ = _client(app, svc, "clerk")
    session_id = _session_id(_new_session(clerk))
    leader, _ = _client(app, svc, "leader")
    page = leader.get(f"/reception/{session_id}").get_data(as_text=True)
    assert "Ghi lượt tiếp" not in page and "Tạo buổi tiếp" not in leader.get("/reception").get_data(as_text=True)
    response = leader.post(f"/reception/{session_id}/visits", data={"csrf_token": csrf(page), "name": "A",
                                                                   "content": "B"})
    assert response.status_code == 403 and _visit_ids(svc, session_id) == []


# -- matters --------------------------------------------------------------------------------------------------


def test_joining_a_matter_that_has_a_letter_makes_the_visit_a_repeat(app, svc: Services) -> None:  # noqa: ANN001
    dossier_id, number = _dossier_with_letter(svc, date(2025, 9, 20))
    client, clerk = _client(app, svc, "clerk")
    session_id = _session_id(_new_session(client, "06/10/2025"))
    _add_visit(client, session_id)
    (visit_id,) = _visit_ids(svc, session_id)
    typed = number.replace("/HS", "").lstrip("0")  # "1/2026": the way people type it
    response = _post(client, f"/reception/visits/{visit_id}/dossier", session_id, action="join", dossier_no=typed)
    assert response.status_code == 302
    with svc.db.read() as session:
        visit = session.get(Visit, visit_id)
        assert visit.dossier_id == dossier_id and visit.repeat
        details = [s.detail for s in session.scalars(select(DossierStep).where(DossierStep.dossier_id == dossier_id))]
        assert any(d.startswith("Tiếp công dân ngày 06/10/2025: Phạm Văn Khánh (1 người)") for d in details), details
    page = client.get(f"/reception/{session_id}").get_data(as_text=True)
    assert number in page and "Nhiều lần" in page and "Vụ việc của các lượt tiếp" in page
    # an unknown number is refused and changes nothing
    second = _session_id(_new_session(client, "07/10/2025"))
    _add_visit(client, second)
    (other_visit,) = _visit_ids(svc, second)
    response = _post(client, f"/reception/visits/{other_visit}/dossier", second, action="join",
                     dossier_no="0999/2025/HS")
    assert response.status_code == 400 and "không tìm thấy hồ sơ" in response.get_data(as_text=True)
    with svc.db.read() as session:
        assert session.get(Visit, other_visit).dossier_id is None


def test_a_letter_received_after_the_visit_does_not_make_it_a_repeat(app, svc: Services) -> None:  # noqa: ANN001
    _, number = _dossier_with_letter(svc, date(2025, 10, 20))
    client, _ = _client(app, svc, "clerk")
    session_id = _session_id(_new_session(client, "06/10/2025"))
    _add_visit(client, session_id)
    (visit_id,) = _visit_ids(svc, session_id)
    assert _post(client, f"/reception/visits/{visit_id}/dossier", session_id, action="join",
                 dossier_no=number).status_code == 302
    with svc.db.read() as session:
        assert not session.get(Visit, visit_id).repeat


def test_opening_a_dossier_from_a_visit_numbers_it_and_a_later_visit_joins_as_a_repeat(
        app, svc: Services) -> None:  # noqa: ANN001
    client, reviewer = _client(app, svc, "reviewer")
    session_id = _session_id(_new_session(client, "06/10/2025"))
    _add_visit(client, session_id, content="Tôi là Phạm Văn Khánh, khiếu nại quyết định thu hồi đất của gia đình.")
    (visit_id,) = _visit_ids(svc, session_id)
    clerk, _ = _client(app, svc, "clerk")
    refused = _post(clerk, f"/reception/visits/{visit_id}/dossier", session_id, action="open", type="khieu_nai",
                    field="dat_dai", agency="UBND_TINH")
    assert refused.status_code == 403  # opening a matter is a reviewer's decision, as for letters
    response = _post(client, f"/reception/visits/{visit_id}/dossier", session_id, action="open", type="khieu_nai",
                     field="dat_dai", agency="UBND_TINH")
    assert response.status_code == 302
    with svc.db.read() as session:
        visit = session.get(Visit, visit_id)
        dossier = session.get(Dossier, visit.dossier_id)
        assert dossier.number == f"0001/{date.today().year}/HS" and dossier.opened_by_id == reviewer
        assert (dossier.type, dossier.field, dossier.agency, dossier.protected) == ("khieu_nai", "dat_dai",
                                                                                    "UBND_TINH", False)
        assert "thu hồi đất" in dossier.summary and "Phạm Văn Khánh" not in dossier.summary
        assert not visit.repeat
        (step,) = dossier.steps
        assert step.action == "opened" and step.detail.startswith(
            "Mở hồ sơ từ buổi tiếp công dân ngày 06/10/2025: Phạm Văn Khánh (1 người)")
        number = dossier.number
    again = _post(client, f"/reception/visits/{visit_id}/dossier", session_id, action="open", type="khieu_nai",
                  field="dat_dai", agency="UBND_TINH")
    assert again.status_code == 400 and "đã thuộc hồ sơ" in again.get_data(as_text=True)
    with svc.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Dossier)) == 1

    # the citizen comes back a month later about the same matter, and hands in a letter
    later = _session_id(_new_session(client, "10/11/2025"))
    _add_visit(client, later)
    (returning,) = _visit_ids(svc, later)
    assert _post(client, f"/reception/visits/{returning}/dossier", later, action="join",
                 dossier_no=number).status_code == 302
    letter = register_file(svc, COMPLAINT.encode(), "nop-tai-buoi-tiep.txt", channel="reception",
                           received=date(2025, 11, 10))
    typed = letter.register_no.lstrip("0")
    assert _post(client, f"/reception/visits/{returning}/letter", later, register_no=typed).status_code == 302
    with svc.db.read() as session:
        visit = session.get(Visit, returning)
        assert visit.repeat and visit.letter_id == letter.letter_id
        assert session.get(Letter, letter.letter_id).dossier_id == visit.dossier_id  # the letter joins the matter
    page = client.get(f"/reception/{later}").get_data(as_text=True)
    assert letter.register_no in page and page.count("06/10/2025") >= 1  # the matter's earlier visit is listed
    bad = _post(client, f"/reception/visits/{returning}/letter", later, register_no="9999/2025")
    assert bad.status_code == 400 and "không tìm thấy đơn" in bad.get_data(as_text=True)


def test_tcd01_counts_the_visits_people_delegations_and_matters_entered(app, svc: Services) -> None:  # noqa: ANN001
    known_id, known = _dossier_with_letter(svc, date(2025, 9, 1))  # a matter raised by letter before
    client, _ = _client(app, svc, "reviewer")
    routine = _session_id(_new_session(client, "06/10/2025", "routine"))
    _add_visit(client, routine, name="Người A")  # opens a new matter
    _add_visit(client, routine, name="Người B")  # joins the known matter: repeat
    _add_visit(client, routine, name="Đoàn C", delegation="1", headcount="8", type="kien_nghi")  # no dossier
    a, b, c = _visit_ids(svc, routine)
    assert _post(client, f"/reception/visits/{a}/dossier", routine, action="open", type="khieu_nai",
                 field="dat_dai", agency="UBND_TINH").status_code == 302
    assert _post(client, f"/reception/visits/{b}/dossier", routine, action="join",
                 dossier_no=known).status_code == 302
    with svc.db.read() as session:
        opened = session.get(Visit, a).dossier_id
        new_number = session.get(Dossier, opened).number
    scheduled = _session_id(_new_session(client, "15/10/2025", "scheduled"))
    _add_visit(client, scheduled, name="Đoàn D", delegation="1", headcount="5")  # back about A's matter
    _add_visit(client, scheduled, name="Người E", type="phan_anh")
    d, e = _visit_ids(svc, scheduled)
    assert _post(client, f"/reception/visits/{d}/dossier", scheduled, action="join",
                 dossier_no=new_number).status_code == 302
    outside = _session_id(_new_session(client, "30/09/2025", "ad_hoc"))
    _add_visit(client, outside, name="Người F", delegation="1", headcount="20")

    with svc.db.read() as session:
        table = compute_reception(session, month_of(OCTOBER)).table
    rows = {row.label: row.cells for row in table.rows}
    assert rows[TOTAL] == {"visits": 5, "people": 16, "matters": 4, "first": 3, "repeat": 2, "groups": 2,
                           "group_people": 13, "group_first": 1, "group_repeat": 1}
    assert rows[KIND_ROWS["routine"]] == {"visits": 3, "people": 10, "matters": 3, "first": 2, "repeat": 1,
                                          "groups": 1, "group_people": 8, "group_first": 1, "group_repeat": 0}
    assert rows[KIND_ROWS["scheduled"]] == {"visits": 2, "people": 6, "matters": 2, "first": 1, "repeat": 1,
                                            "groups": 1, "group_people": 5, "group_first": 0, "group_repeat": 1}
    assert rows[KIND_ROWS["ad_hoc"]]["visits"] == 0  # September's session is outside the month
    with svc.db.read() as session:
        assert [session.get(Visit, i).repeat for i in (a, b, c, d, e)] == [False, True, False, True, False]
        assert session.get(Visit, b).dossier_id == known_id


# -- confidentiality --------------------------------------------------------------------------------------------


DENOUNCER = {"name": "Trần Thị Mật", "address": "số 7 đường Hoàng Diệu, phường Phước Ninh",
             "phone": "0905 111 222", "citizen_id": "001175012345", "type": "to_cao", "field": "tham_nhung",
             "content": "Bà Trần Thị Mật tố cáo ông Nguyễn Văn Cường, Chủ tịch UBND phường, nhận tiền của người dân "
                        "để cấp giấy phép xây dựng sai quy định."}


def _identity_visible(page: str) -> list[str]:
    return [value for value in ("Trần Thị Mật", "Hoàng Diệu", "0905 111 222", "001175012345") if value in page]


def test_a_denouncers_identity_is_masked_for_those_not_handling_it(app, svc: Services) -> None:  # noqa: ANN001
    clerk, _ = _client(app, svc, "clerk")
    session_id = _session_id(_new_session(clerk))
    assert _add_visit(clerk, session_id, **DENOUNCER).status_code == 302
    assert _add_visit(clerk, session_id, name="Lê Văn Bình", citizen_id="").status_code == 302
    denunciation, complaint = _visit_ids(svc, session_id)
    leader, leader_id = _client(app, svc, "leader")
    page = leader.get(f"/reception/{session_id}").get_data(as_text=True)
    assert _identity_visible(page) == [] and "[đã che]" in page
    assert "Nguyễn Văn Cường" in page and "thông tin người tố cáo được giữ bí mật" in page  # the matter is shown
    assert "Lê Văn Bình" in page  # a complaint's visitor is not hidden
    officer, officer_id = _client(app, svc, "officer")
    assert _identity_visible(officer.get(f"/reception/{session_id}").get_data(as_text=True)) == []
    masked_edit = _post(officer, f"/reception/visits/{denunciation}", session_id, conclusion="[đã che] ...")
    assert masked_edit.status_code == 403  # a masked text must never be saved over the real one
    # those handling it see who came: the clerk who recorded the session, reviewers, the officer assigned
    assert len(_identity_visible(clerk.get(f"/reception/{session_id}").get_data(as_text=True))) == 4
    reviewer, _ = _client(app, svc, "reviewer")
    assert len(_identity_visible(reviewer.get(f"/reception/{session_id}").get_data(as_text=True))) == 4
    assert _post(clerk, f"/reception/visits/{denunciation}", session_id, conclusion="Chuyển Ban Nội chính xem xét.",
                 assigned_agency="BNC_TU", assigned_to_id=str(officer_id)).status_code == 302
    assert len(_identity_visible(officer.get(f"/reception/{session_id}").get_data(as_text=True))) == 4
    with svc.db.read() as session:
        views = session.scalars(select(AuditEvent).where(AuditEvent.action == "view_protected_visit")).all()
        assert {(e.user_id, e.detail["identity_shown"]) for e in views if e.detail["visit"] == denunciation} >= {
            (leader_id, False), (officer_id, False), (officer_id, True)}
        assert all(e.detail["visit"] != complaint for e in views)
    # the matter opened from it is protected and its history does not name the denouncer
    assert _post(reviewer, f"/reception/visits/{denunciation}/dossier", session_id, action="open", type="to_cao",
                 field="tham_nhung", agency="BNC_TU").status_code == 302
    with svc.db.read() as session:
        dossier = session.get(Dossier, session.get(Visit, denunciation).dossier_id)
        assert dossier.protected and "Trần Thị Mật" not in dossier.summary
        assert all("Trần Thị Mật" not in s.detail for s in dossier.steps)
    assert _identity_visible(leader.get(f"/dossiers/{dossier.id}").get_data(as_text=True)) == []
    assert _identity_visible(leader.get(f"/reception/{session_id}").get_data(as_text=True)) == []
