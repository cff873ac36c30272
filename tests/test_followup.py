"""Follow-up (theo dõi, đôn đốc): the page lists exactly the open matters overdue or due soon, with counts per
officer and per handler agency; urging records the step and tells the officer; reminders are created once per
user, kind and deadline; e-mail goes out through a real local SMTP server, and waits when the server is down."""

from __future__ import annotations

import re
import socket
import threading
from datetime import date, timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from flask.testing import FlaskClient
from sqlalchemy import select

from ingest.dossiers import format_dossier_no
from ingest.followup import overdue_and_due_soon, remind, summary_by_agency, summary_by_officer
from ingest.mailer import send_mail
from ingest.services import Services
from models import AuditEvent, Dossier, DossierStep, Notification
from tests.webkit import PASSWORD, csrf, login
from web.accounts import create_user

TODAY = date.today()


def _days(n: int) -> date:
    return TODAY + timedelta(days=n)


# name -> (deadline offset in days or None, status, officer or None, agency)
DOSSIERS = {
    "overdue_a": (-5, "in_progress", "a", "UBND_TINH"),
    "soon_a": (3, "forwarded", "a", "THANHTRA"),  # the last "due soon" day (3 days ahead)
    "today_unassigned": (0, "open", None, "UBND_TINH"),
    "far_b": (4, "in_progress", "b", "UBND_TINH"),  # one day past "due soon"
    "resolved_b": (-10, "resolved", "b", "UBND_TINH"),  # closed: its deadline no longer runs
    "overdue_b": (-1, "forwarded", "b", "CONGAN"),
    "nodeadline_a": (None, "open", "a", "SO_XD"),
}
LISTED = {"overdue_a", "soon_a", "today_unassigned", "overdue_b"}


@pytest.fixture
def world(svc: Services) -> dict:
    """Two officers, two active reviewers and a disabled one, a leader, and the matters above."""
    with svc.db.write() as session:
        users = {
            "a": create_user(session, "an.officer@example.vn", PASSWORD, "officer", full_name="Nguyễn Văn An"),
            "b": create_user(session, "binh.officer@example.vn", PASSWORD, "officer", full_name="Trần Thị Bình"),
            "r1": create_user(session, "reviewer1@example.vn", PASSWORD, "reviewer", full_name="Lê Văn Duyệt"),
            "r2": create_user(session, "reviewer2@example.vn", PASSWORD, "reviewer", full_name="Phạm Thị Xét"),
            "r_off": create_user(session, "reviewer.off@example.vn", PASSWORD, "reviewer", full_name="Nghỉ Việc"),
            "leader": create_user(session, "leader@example.vn", PASSWORD, "leader", full_name="Hoàng Lãnh Đạo"),
        }
        users["r_off"].active = False
        dossiers = {}
        for seq, (name, (offset, status, officer, agency)) in enumerate(DOSSIERS.items(), start=1):
            dossier = Dossier(year=TODAY.year, seq=seq, number=format_dossier_no(seq, TODAY.year), type="khieu_nai",
                              field="dat_dai", agency=agency, status=status, summary=f"Vụ việc {name}",
                              deadline=_days(offset) if offset is not None else None,
                              deadline_label="Giải quyết khiếu nại lần đầu" if offset is not None else None,
                              assigned_to_id=users[officer].id if officer else None)
            session.add(dossier)
            dossiers[name] = dossier
        session.flush()
        return {"users": {k: u.id for k, u in users.items()}, "emails": {k: u.email for k, u in users.items()},
                "ids": {k: d.id for k, d in dossiers.items()}, "numbers": {k: d.number for k, d in dossiers.items()}}


def _listed(html: str) -> set[str]:
    table = html.split('id="followup-list"', 1)[1].split("</table>", 1)[0]
    return set(re.findall(r'data-dossier="([^"]+)"', table))


def _counts(html: str, table_id: str) -> dict[str, tuple[int, int, int]]:
    table = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    result = {}
    for key, row in re.findall(r'<tr data-key="([^"]+)">(.*?)</tr>', table, re.S):
        cells = dict(re.findall(r'<td class="(overdue|due_soon|open)">(?:<a [^>]*>)?(\d+)', row))
        result[key] = (int(cells["overdue"]), int(cells["due_soon"]), int(cells["open"]))
    return result


def _names(world: dict, *names: str) -> set[str]:
    return {world["numbers"][n] for n in names}


# -- the follow-up page -------------------------------------------------------------------------------------------


def test_the_service_finds_exactly_the_overdue_and_due_soon_matters(svc: Services, world: dict) -> None:
    with svc.db.read() as session:
        rows = overdue_and_due_soon(session, TODAY, 3)
        assert [r.Dossier.number for r in rows] == [world["numbers"][n] for n in
                                                    ("overdue_a", "overdue_b", "today_unassigned", "soon_a")]
        first = rows[0]
        assert first.officer.full_name == "Nguyễn Văn An" and first.agency_name == "UBND tỉnh"
        assert rows[2].officer is None
        by_officer = {c.key: (c.overdue, c.due_soon, c.open) for c in summary_by_officer(session, TODAY, 3)}
        by_agency = {c.key: (c.overdue, c.due_soon, c.open) for c in summary_by_agency(session, TODAY, 3)}
    users = world["users"]
    assert by_officer == {str(users["a"]): (1, 1, 3), str(users["b"]): (1, 0, 2), "none": (0, 1, 1)}
    assert by_agency == {"UBND_TINH": (1, 1, 3), "THANHTRA": (0, 1, 1), "CONGAN": (1, 0, 1), "SO_XD": (0, 0, 1)}


def test_the_page_lists_overdue_and_due_soon_matters_with_counts_per_officer_and_agency(
        svc: Services, world: dict, client: FlaskClient) -> None:
    login(client, "reviewer1@example.vn")
    response = client.get("/followup")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert _listed(html) == _names(world, *LISTED)
    users = world["users"]
    assert _counts(html, "by-officer") == {str(users["a"]): (1, 1, 3), str(users["b"]): (1, 0, 2),
                                           "none": (0, 1, 1)}
    assert _counts(html, "by-agency") == {"UBND_TINH": (1, 1, 3), "THANHTRA": (0, 1, 1), "CONGAN": (1, 0, 1),
                                          "SO_XD": (0, 0, 1)}
    assert 'id="total-overdue">2<' in html and 'id="total-due-soon">2<' in html and 'id="total-open">6<' in html
    # Vietnamese, dd/mm/yyyy, and the state in words
    assert "Theo dõi, đôn đốc" in html and f"{_days(-5):%d/%m/%Y}" in html
    assert "Quá hạn 5 ngày" in html and "Đến hạn hôm nay" in html and "Còn 3 ngày" in html
    # the counts link to the filtered list, and one form per row urges the agency
    assert f'href="/followup?officer={users["a"]}&amp;state=overdue"' in html
    assert 'href="/followup?agency=UBND_TINH&amp;state=due_soon"' in html
    assert html.count('action="/followup/') == len(LISTED) and 'name="csrf_token"' in html
    assert "<script>" not in html and "style=" not in html
    assert ">Theo dõi, đôn đốc</a>" in html  # the nav link


def test_the_filters_narrow_the_list(svc: Services, world: dict, client: FlaskClient) -> None:
    login(client, "reviewer1@example.vn")
    a, b = world["users"]["a"], world["users"]["b"]
    assert _listed(client.get(f"/followup?officer={a}&state=overdue").get_data(as_text=True)) == \
        _names(world, "overdue_a")
    assert _listed(client.get(f"/followup?officer={b}").get_data(as_text=True)) == _names(world, "overdue_b")
    assert _listed(client.get("/followup?officer=none").get_data(as_text=True)) == _names(world, "today_unassigned")
    assert _listed(client.get("/followup?agency=UBND_TINH").get_data(as_text=True)) == \
        _names(world, "overdue_a", "today_unassigned")
    assert _listed(client.get("/followup?state=due_soon").get_data(as_text=True)) == \
        _names(world, "soon_a", "today_unassigned")
    assert _listed(client.get("/followup?officer=x&state=bogus").get_data(as_text=True)) == _names(world, *LISTED)


def test_a_leader_sees_the_page_without_the_urge_forms(svc: Services, world: dict, client: FlaskClient) -> None:
    login(client, "leader@example.vn")
    html = client.get("/followup").get_data(as_text=True)
    assert _listed(html) == _names(world, *LISTED) and 'action="/followup/' not in html
    token = csrf(html)
    response = client.post(f"/followup/{world['ids']['overdue_a']}/urge", data={"csrf_token": token, "note": "x"})
    assert response.status_code == 403


# -- urging -------------------------------------------------------------------------------------------------------


def test_urging_writes_the_step_and_the_audit_event_and_notifies_the_officer(
        svc: Services, world: dict, client: FlaskClient) -> None:
    login(client, "reviewer1@example.vn")
    dossier_id = world["ids"]["overdue_a"]
    token = csrf(client.get("/followup").get_data(as_text=True))
    response = client.post(f"/followup/{dossier_id}/urge",
                           data={"csrf_token": token, "note": "đề nghị báo cáo kết quả trước 30/4", "state": "overdue"})
    assert response.status_code == 302 and response.headers["Location"] == "/followup?state=overdue"
    with svc.db.read() as session:
        step = session.scalars(select(DossierStep).where(DossierStep.dossier_id == dossier_id,
                                                         DossierStep.action == "urged")).one()
        assert step.detail == "Đôn đốc UBND tỉnh: đề nghị báo cáo kết quả trước 30/4"
        assert step.user_id == world["users"]["r1"]
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "dossier_urged")).one()
        assert event.user_id == world["users"]["r1"] and event.detail["dossier"] == world["numbers"]["overdue_a"]
        notes = list(session.scalars(select(Notification).where(Notification.kind == "urged")))
        assert [(n.user_id, n.dossier_id, n.url) for n in notes] == [(world["users"]["a"], dossier_id,
                                                                      f"/dossiers/{dossier_id}")]
        assert "đôn đốc UBND tỉnh" in notes[0].message and "Lê Văn Duyệt" in notes[0].message
    html = client.get("/followup?state=overdue").get_data(as_text=True)
    assert "Đã ghi đôn đốc hồ sơ" in html and f"Đã đôn đốc {TODAY:%d/%m/%Y}" in html

    # the officer sees it: the badge in the top bar, the list, then reads it
    client.post("/logout", data={"csrf_token": token})
    login(client, "an.officer@example.vn")
    page = client.get("/notifications").get_data(as_text=True)
    assert 'id="unread-count">1<' in page and "đề nghị báo cáo kết quả trước 30/4" in page
    response = client.post(f"/notifications/{notes[0].id}/read", data={"csrf_token": csrf(page), "open": "1"})
    assert response.status_code == 302 and response.headers["Location"] == f"/dossiers/{dossier_id}"
    page = client.get("/notifications").get_data(as_text=True)
    assert 'id="unread-count"' not in page and 'class="notification read kind-urged"' in page
    with svc.db.read() as session:
        assert session.get(Notification, notes[0].id).read_at is not None


def test_urging_a_closed_matter_is_refused_and_urging_ones_own_matter_notifies_nobody(
        svc: Services, world: dict, client: FlaskClient) -> None:
    login(client, "an.officer@example.vn")
    token = csrf(client.get("/followup").get_data(as_text=True))
    response = client.post(f"/followup/{world['ids']['resolved_b']}/urge", data={"csrf_token": token, "note": "x"},
                           follow_redirects=True)
    assert "Chưa lưu" in response.get_data(as_text=True)
    assert client.post("/followup/99999/urge", data={"csrf_token": token}).status_code == 404
    response = client.post(f"/followup/{world['ids']['soon_a']}/urge", data={"csrf_token": token, "note": ""})
    assert response.status_code == 302
    with svc.db.read() as session:
        steps = list(session.scalars(select(DossierStep).where(DossierStep.action == "urged")))
        assert [(s.dossier_id, s.detail) for s in steps] == [(world["ids"]["soon_a"], "Đôn đốc Thanh tra tỉnh")]
        assert session.scalar(select(Notification).where(Notification.kind == "urged")) is None


def test_notifications_are_private_and_read_all_clears_the_badge(
        svc: Services, world: dict, client: FlaskClient) -> None:
    remind(svc, TODAY)
    with svc.db.read() as session:
        others = session.scalars(select(Notification.id).where(Notification.user_id != world["users"]["a"])).first()
    login(client, "an.officer@example.vn")
    page = client.get("/notifications").get_data(as_text=True)
    assert 'id="unread-count">2<' in page
    assert world["numbers"]["overdue_a"] in page and world["numbers"]["soon_a"] in page
    assert world["numbers"]["overdue_b"] not in page
    assert client.post(f"/notifications/{others}/read", data={"csrf_token": csrf(page)}).status_code == 404
    response = client.post("/notifications/read-all", data={"csrf_token": csrf(page)}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Đã đánh dấu 2 thông báo là đã đọc." in html and 'id="unread-count"' not in html
    with svc.db.read() as session:
        assert session.get(Notification, others).read_at is None  # someone else's stays unread


# -- reminders ----------------------------------------------------------------------------------------------------


def _reminders(svc: Services) -> set[tuple[int, str]]:
    with svc.db.read() as session:
        rows = session.execute(select(Notification.user_id, Notification.key)
                               .where(Notification.kind.in_(("overdue", "due_soon")))).all()
        return {(user_id, key) for user_id, key in rows}


def test_remind_creates_each_reminder_once(svc: Services, world: dict) -> None:
    users, ids = world["users"], world["ids"]
    assert remind(svc, TODAY) == 5
    expected = {
        (users["a"], f"overdue:{ids['overdue_a']}:{_days(-5).isoformat()}"),
        (users["a"], f"due_soon:{ids['soon_a']}:{_days(3).isoformat()}"),
        (users["b"], f"overdue:{ids['overdue_b']}:{_days(-1).isoformat()}"),
        # not assigned: every active reviewer (not the disabled one, not the admin)
        (users["r1"], f"due_soon:{ids['today_unassigned']}:{TODAY.isoformat()}"),
        (users["r2"], f"due_soon:{ids['today_unassigned']}:{TODAY.isoformat()}"),
    }
    assert _reminders(svc) == expected
    assert remind(svc, TODAY) == 0
    assert _reminders(svc) == expected
    with svc.db.read() as session:
        note = session.scalars(select(Notification).where(Notification.dossier_id == ids["overdue_a"])).one()
        assert note.message.startswith(f"Hồ sơ {world['numbers']['overdue_a']} đã quá hạn giải quyết")
        assert f"{_days(-5):%d/%m/%Y}" in note.message and note.url == f"/dossiers/{ids['overdue_a']}"
        assert note.emailed_at is None  # no SMTP configured

    # three days on: the unassigned matter is now overdue (a new reminder), the far one is due soon
    assert remind(svc, _days(3)) == 3
    assert (users["b"], f"due_soon:{ids['far_b']}:{_days(4).isoformat()}") in _reminders(svc)
    assert (users["r1"], f"overdue:{ids['today_unassigned']}:{TODAY.isoformat()}") in _reminders(svc)
    assert remind(svc, _days(3)) == 0

    # a moved deadline is a new reminder; a newly assigned officer gets their own
    with svc.db.write() as session:
        dossier = session.get(Dossier, ids["today_unassigned"])
        dossier.assigned_to_id = users["a"]
    assert remind(svc, _days(3)) == 1
    assert (users["a"], f"overdue:{ids['today_unassigned']}:{TODAY.isoformat()}") in _reminders(svc)


def test_concurrent_reminder_runs_do_not_duplicate(svc: Services, world: dict) -> None:
    results: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(remind(svc, TODAY))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and sorted(results) == [0, 0, 5]
    with svc.db.read() as session:
        assert len(list(session.scalars(select(Notification.id)))) == 5


# -- e-mail -------------------------------------------------------------------------------------------------------


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], object]] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: ANN001, N802 - aiosmtpd's hook name
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=policy.default)))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():  # noqa: ANN201
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


def _mailing(svc: Services, port: int) -> Services:
    return Services(svc.settings.with_overrides(smtp_host="127.0.0.1", smtp_port=port, smtp_from="donthu@tinhuy.vn"))


def _by_recipient(inbox: Inbox) -> dict[str, list]:
    mails: dict[str, list] = {}
    for rcpt, message in inbox.messages:
        assert len(rcpt) == 1
        mails.setdefault(rcpt[0], []).append(message)
    return mails


def test_reminders_are_emailed_to_the_officer(svc: Services, world: dict, smtp_server) -> None:  # noqa: ANN001
    controller, inbox = smtp_server
    mailing = _mailing(svc, controller.port)
    assert remind(mailing, TODAY) == 5
    mails = _by_recipient(inbox)
    emails, numbers = world["emails"], world["numbers"]
    assert {k: len(v) for k, v in mails.items()} == {emails["a"]: 2, emails["b"]: 1, emails["r1"]: 1,
                                                      emails["r2"]: 1}
    overdue = next(m for m in mails[emails["a"]] if numbers["overdue_a"] in m.get_content())
    assert overdue["To"] == emails["a"] and overdue["From"] == "donthu@tinhuy.vn"
    assert overdue["Subject"] == f"[Donthu] Hồ sơ {numbers['overdue_a']} đã quá hạn giải quyết"
    body = overdue.get_content()
    assert "Kính gửi Nguyễn Văn An" in body and f"{_days(-5):%d/%m/%Y}" in body and "UBND tỉnh" in body
    late = mails[emails["b"]][0]
    assert late["Subject"] == f"[Donthu] Hồ sơ {numbers['overdue_b']} đã quá hạn giải quyết"
    assert numbers["overdue_b"] in late.get_content()
    assert mails[emails["r1"]][0]["Subject"] == f"[Donthu] Hồ sơ {numbers['today_unassigned']} sắp đến hạn giải quyết"
    with svc.db.read() as session:
        assert all(n.emailed_at is not None for n in session.scalars(select(Notification)))
    # nothing twice
    assert remind(mailing, TODAY) == 0 and len(inbox.messages) == 5


def test_with_smtp_down_notifications_wait_and_a_later_run_sends_them(
        svc: Services, world: dict, smtp_server) -> None:  # noqa: ANN001
    controller, inbox = smtp_server
    down = _mailing(svc, _free_port())  # nothing listens there
    assert send_mail(down.settings, "a@example.vn", "Thử", "Nội dung") is False  # logged, not raised
    assert remind(down, TODAY) == 5
    with svc.db.read() as session:
        notes = list(session.scalars(select(Notification)))
        assert len(notes) == 5 and all(n.emailed_at is None for n in notes)
    assert inbox.messages == []

    # a notification read in the app meanwhile is not e-mailed any more
    with svc.db.write() as session:
        read = session.scalars(select(Notification).where(Notification.user_id == world["users"]["r2"])).one()
        read.read_at = read.created_at
    up = _mailing(svc, controller.port)
    assert remind(up, TODAY) == 0
    assert {rcpt[0] for rcpt, _m in inbox.messages} == {world["emails"][k] for k in ("a", "b", "r1")}
    assert len(inbox.messages) == 4
    assert all(any(n in m.get_content() for n in world["numbers"].values()) for _r, m in inbox.messages)
    with svc.db.read() as session:
        emailed = [(n.user_id, n.emailed_at is not None) for n in session.scalars(select(Notification))]
        assert sorted(emailed) == sorted([(world["users"][k], k != "r2") for k in ("a", "a", "b", "r1", "r2")])
    assert send_mail(up.settings, "a@example.vn", "Thử", "Nội dung") is True
