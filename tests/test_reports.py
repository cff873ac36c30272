"""Reports: a known set of letters, dossiers and visits across two months, and every cell of XLD01–04 and TCD01
against values computed by hand (carry-over, repeats, matters, labels over predictions); the drill-down behind a
cell; the XLSX read back matches the page; the PDF renders and is not blank."""

from __future__ import annotations

import io
import json
import re
import subprocess
from datetime import date, datetime

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from PIL import Image

from core.periods import custom
from ingest.reports.service import build_report, drill
from ingest.services import Services
from models import Dossier, DossierAttachment, Letter, ReceptionSession, Visit
from tests.webkit import login, make_user
from web.app import create_app

OCT, NOV = custom(date(2026, 10, 1), date(2026, 10, 31)), custom(date(2026, 11, 1), date(2026, 11, 30))


def _classification(kind: str, field: str, agency: str) -> dict:
    return {"type": {"label": kind, "confidence": 0.9}, "field": {"label": field, "confidence": 0.9},
            "agency": {"label": agency, "score": 0.9, "ranked": [{"label": agency, "score": 0.9}]},
            "flags": {}, "extracted": {"sender": None}, "needs_review": False, "model_version": "t", "explanation": []}


def _dossier(session, n: int, kind: str, *, round_: int = 1, deadline: date | None = None,  # noqa: ANN001
             result_at: date | None = None) -> Dossier:
    dossier = Dossier(year=2026, seq=n, number=f"{n:04d}/2026/HS", type=kind, field="khac", agency="VP_TU",
                      round=round_, deadline=deadline, result_at=result_at, status="in_progress")
    session.add(dossier)
    session.flush()
    return dossier


@pytest.fixture
def scenario(svc: Services) -> dict[str, int]:
    """L1–L9 and the visits described in the comments; returns their ids."""
    ids: dict[str, int] = {}
    with svc.db.write() as session:
        d1 = _dossier(session, 1, "khieu_nai", deadline=date(2026, 11, 4), result_at=date(2026, 11, 2))
        d2 = _dossier(session, 2, "to_cao", deadline=date(2026, 12, 20))
        d3 = _dossier(session, 3, "khieu_nai", round_=2, deadline=date(2026, 11, 20))  # open: overdue by 30/11
        d4 = _dossier(session, 4, "kien_nghi")
        letters = [
            # name, received, reviewed, decision, dossier, (type, field, agency), prior resolution
            ("L1", date(2026, 9, 25), date(2026, 10, 5), "thu_ly", d1, ("khieu_nai", "dat_dai", "UBND_TINH"), "none"),
            ("L2", date(2026, 10, 10), date(2026, 10, 12), "luu_don", d1, ("khieu_nai", "dat_dai", "UBND_TINH"), "once"),
            ("L3", date(2026, 10, 20), date(2026, 11, 3), "chuyen_don", d2, ("to_cao", "tham_nhung", "BNC_TU"), "none"),
            ("L4", date(2026, 10, 28), None, None, None, ("kien_nghi", "chinh_sach", "SO_NOIVU"), "none"),
            ("L5", date(2026, 11, 5), date(2026, 11, 6), "thu_ly", d2, ("to_cao", "cong_vu", "BNC_TU"), "none"),
            ("L6", date(2026, 11, 10), date(2026, 11, 11), "huong_dan", None, ("phan_anh", "khac", "UBND_XA"), "none"),
            ("L7", date(2026, 11, 15), date(2026, 11, 16), "thu_ly", d3, ("khieu_nai", "chinh_sach", "UBND_TINH"),
             "many"),
            # the model said a reflection about roads; the reviewer's labels win
            ("L8", date(2026, 11, 18), date(2026, 11, 19), "don_doc", d4, ("phan_anh", "khac", "SO_XD"), "none"),
            ("L9", date(2026, 12, 2), None, None, None, ("khieu_nai", "dat_dai", "UBND_TINH"), "none"),
        ]
        for n, (name, received, reviewed, decision, dossier, labels, prior) in enumerate(letters, start=1):
            letter = Letter(register_year=2026, register_seq=n, register_no=f"{n:04d}/2026", received_date=received,
                            sha256=f"{n:064d}", original_name=f"{name}.txt", media_type="text/plain", size_bytes=1,
                            storage_path="x", status="ocr_done", full_text=name, classification=_classification(*labels),
                            reviewed_at=datetime.combine(reviewed, datetime.min.time()) if reviewed else None,
                            decision=decision, dossier_id=dossier.id if dossier else None, prior_resolution=prior,
                            type=labels[0], field=labels[1], agency=labels[2])
            session.add(letter)
            session.flush()
            ids[name] = letter.id
        from classify.labels import record_labels

        record_labels(session, ids["L8"], type="kien_nghi", agency="TAND", field="tu_phap")
        session.add(DossierAttachment(dossier_id=d2.id, original_name="tra-loi.pdf", media_type="application/pdf",
                                      size_bytes=1, sha256="0" * 64, storage_path="x", kind="reply",
                                      uploaded_at=datetime(2026, 11, 20, 9)))
        october = ReceptionSession(held_on=date(2026, 10, 20), kind="ad_hoc", leader="Bí thư")
        routine = ReceptionSession(held_on=date(2026, 11, 9), kind="routine")
        scheduled = ReceptionSession(held_on=date(2026, 11, 15), kind="scheduled", leader="Bí thư Tỉnh ủy")
        session.add_all([october, routine, scheduled])
        session.flush()
        session.add_all([
            Visit(session_id=october.id, name="V5"),
            Visit(session_id=routine.id, name="V1", dossier_id=d1.id, repeat=True),
            Visit(session_id=routine.id, name="V2", delegation=True, headcount=12),
            Visit(session_id=scheduled.id, name="V3", dossier_id=d3.id),
            Visit(session_id=scheduled.id, name="V4", delegation=True, headcount=8, dossier_id=d3.id, repeat=True),
        ])
    return ids


def _rows(svc: Services, period) -> dict[str, dict[str, dict[str, int]]]:  # noqa: ANN001
    with svc.db.read() as session:
        report = build_report(session, period, with_charts=False)
    return {form: {row.label: row.cells for row in computed.table.rows} for form, computed in report.forms.items()}


def _full(keys: str, values: dict[str, int]) -> dict[str, int]:
    """Every column of a form, zero unless given."""
    return {key: values.get(key, 0) for key in keys.split()}


XLD01 = ("carried received total processed pending ok_letters ok_matters c_complaint c_denunciation c_recommendation "
         "s_none s_once s_many in_complaint in_denunciation in_recommendation out_guided out_forwarded out_urged replies")
TYPED = ("carried received ok_letters ok_matters first_time repeated a_policy a_land a_other f_judicial f_party f_other "
         "st_first st_second st_judgment r_within r_guided r_forwarded r_urged overdue")
DENOUNCED = ("carried received ok_letters ok_matters first_time repeated a_policy a_land f_corruption f_conduct "
             "f_judicial f_party f_other st_first st_second st_judgment repeat r_within r_guided r_forwarded r_urged "
             "overdue")
TCD01 = "visits people matters first repeat groups group_people group_first group_repeat"


def test_november_every_cell_of_every_form(svc: Services, scenario: dict[str, int]) -> None:
    got = _rows(svc, NOV)
    assert got["XLD01"] == {
        "Ban Nội chính Tỉnh ủy": _full(XLD01, dict(carried=1, received=1, total=2, processed=2, ok_letters=2,
                                                    ok_matters=1, c_denunciation=2, s_none=2, in_denunciation=1,
                                                    out_forwarded=1, replies=1)),
        "Sở Nội vụ": _full(XLD01, dict(carried=1, total=1, pending=1)),
        "Tòa án nhân dân tỉnh": _full(XLD01, dict(received=1, total=1, processed=1, ok_letters=1, ok_matters=1,
                                                   c_recommendation=1, s_none=1, out_urged=1)),
        "UBND tỉnh": _full(XLD01, dict(received=1, total=1, processed=1, ok_letters=1, ok_matters=1, c_complaint=1,
                                       s_many=1, in_complaint=1)),
        "UBND xã/phường": _full(XLD01, dict(received=1, total=1, processed=1, ok_letters=1, ok_matters=1,
                                            c_recommendation=1, s_none=1, out_guided=1)),
        "Tổng cộng": _full(XLD01, dict(carried=2, received=4, total=6, processed=5, pending=1, ok_letters=5,
                                       ok_matters=4, c_complaint=1, c_denunciation=2, c_recommendation=2, s_none=4,
                                       s_many=1, in_complaint=1, in_denunciation=1, out_guided=1, out_forwarded=1,
                                       out_urged=1, replies=1)),
    }
    complaint = _full(TYPED, dict(received=1, ok_letters=1, ok_matters=1, first_time=1, a_policy=1, st_second=1,
                                  r_within=1, overdue=1))
    assert got["XLD02"] == {"UBND tỉnh": complaint, "Tổng cộng": complaint}
    denounced = _full(DENOUNCED, dict(carried=1, received=1, ok_letters=2, ok_matters=1, first_time=1, repeated=1,
                                      f_corruption=1, f_conduct=1, st_first=1, st_second=1, repeat=1, r_within=1,
                                      r_forwarded=1))
    assert got["XLD03"] == {"Ban Nội chính Tỉnh ủy": denounced, "Tổng cộng": denounced}
    assert got["XLD04"] == {
        "Sở Nội vụ": _full(TYPED, dict(carried=1)),
        "Tòa án nhân dân tỉnh": _full(TYPED, dict(received=1, ok_letters=1, ok_matters=1, first_time=1, f_judicial=1,
                                                   st_first=1, r_urged=1)),
        "UBND xã/phường": _full(TYPED, dict(received=1, ok_letters=1, ok_matters=1, first_time=1, f_other=1,
                                            st_first=1, r_guided=1)),
        "Tổng cộng": _full(TYPED, dict(carried=1, received=2, ok_letters=2, ok_matters=2, first_time=2, f_judicial=1,
                                       f_other=1, st_first=2, r_guided=1, r_urged=1)),
    }
    assert got["TCD01"] == {
        "Tiếp thường xuyên": _full(TCD01, dict(visits=2, people=13, matters=2, first=1, repeat=1, groups=1,
                                                group_people=12, group_first=1)),
        "Lãnh đạo tiếp định kỳ": _full(TCD01, dict(visits=2, people=9, matters=1, first=1, repeat=1, groups=1,
                                                    group_people=8, group_repeat=1)),
        "Lãnh đạo tiếp đột xuất": _full(TCD01, {}),
        "Tổng cộng": _full(TCD01, dict(visits=4, people=22, matters=3, first=2, repeat=2, groups=2, group_people=20,
                                       group_first=1, group_repeat=1)),
    }


def test_october_and_its_carry_over_into_november(svc: Services, scenario: dict[str, int]) -> None:
    got = _rows(svc, OCT)
    assert got["XLD01"] == {
        "Ban Nội chính Tỉnh ủy": _full(XLD01, dict(received=1, total=1, pending=1)),
        "Sở Nội vụ": _full(XLD01, dict(received=1, total=1, pending=1)),
        "UBND tỉnh": _full(XLD01, dict(carried=1, received=1, total=2, processed=2, ok_letters=1, ok_matters=1,
                                       c_complaint=1, s_none=1, in_complaint=1)),
        "Tổng cộng": _full(XLD01, dict(carried=1, received=3, total=4, processed=2, pending=2, ok_letters=1,
                                       ok_matters=1, c_complaint=1, s_none=1, in_complaint=1)),
    }
    complaint = _full(TYPED, dict(carried=1, received=1, ok_letters=1, ok_matters=1, first_time=1, a_land=1,
                                  st_first=1, r_within=1))
    assert got["XLD02"] == {"UBND tỉnh": complaint, "Tổng cộng": complaint}
    assert got["XLD03"] == {"Ban Nội chính Tỉnh ủy": _full(DENOUNCED, dict(received=1)),
                            "Tổng cộng": _full(DENOUNCED, dict(received=1))}
    assert got["XLD04"] == {"Sở Nội vụ": _full(TYPED, dict(received=1)), "Tổng cộng": _full(TYPED, dict(received=1))}
    assert got["TCD01"]["Lãnh đạo tiếp đột xuất"] == _full(TCD01, dict(visits=1, people=1, matters=1, first=1))
    # what October left pending is what November carried over
    assert got["XLD01"]["Tổng cộng"]["pending"] == _rows(svc, NOV)["XLD01"]["Tổng cộng"]["carried"]


def test_a_cell_drills_down_to_the_letters_behind_it(svc: Services, scenario: dict[str, int]) -> None:
    with svc.db.read() as session:
        assert drill(session, NOV, "XLD01:carried:Tổng cộng") == ("letters", sorted([scenario["L3"], scenario["L4"]]))
        assert drill(session, NOV, "XLD03:repeat:BNC_TU") == ("letters", [scenario["L5"]])
        kind, visits = drill(session, NOV, "TCD01:groups:Tổng cộng")
        assert kind == "visits" and len(visits) == 2


@pytest.fixture
def client(svc: Services) -> FlaskClient:
    app = create_app(svc.settings)
    app.config["TESTING"] = True
    client = app.test_client()
    make_user(svc, "leader")
    login(client, "leader@example.vn")
    return client


def test_the_page_the_xlsx_and_the_pdf_show_the_same_numbers(
        svc: Services, scenario: dict[str, int], client: FlaskClient, tmp_path) -> None:  # noqa: ANN001
    args = "kind=custom&start=01/11/2026&end=30/11/2026"
    page = client.get(f"/reports?{args}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    with svc.db.read() as session:
        report = build_report(session, NOV, with_charts=False)
    book = load_workbook(io.BytesIO(client.get(f"/reports/export.xlsx?{args}").data))
    for table in report.tables():
        sheet = book[table.form]
        cells = {str(c.value): c.row for c in sheet["A"] if c.value}
        for row in table.rows:
            xlsx_values = [c.value for c in sheet[cells[row.label]][1:len(table.columns) + 1]]
            assert xlsx_values == [row.cells[c.key] for c in table.columns], (table.form, row.label)
            for column in table.columns:
                value = row.cells[column.key]
                if value:  # the page links each non-zero cell to its letters
                    assert f'data-cell="{row.drill[column.key]}">{value}<' in html
    drill_page = client.get(f"/reports/drill?key=XLD01:carried:Tổng cộng&{args}").get_data(as_text=True)
    assert "0003/2026" in drill_page and "0004/2026" in drill_page and "0005/2026" not in drill_page
    csv = client.get(f"/reports/export.csv?form=XLD02&{args}").data.decode("utf-8-sig")
    assert "UBND tỉnh" in csv.splitlines()[1]
    pdf = client.get(f"/reports/export.pdf?{args}").data
    assert pdf.startswith(b"%PDF")
    (tmp_path / "r.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", str(tmp_path / "r.pdf"),
                    str(tmp_path / "p")], check=True)
    png = next(tmp_path.glob("p*.png"))
    pixels = Image.open(png).convert("L")
    assert pixels.getextrema()[0] < 100, "the first page has dark ink on it"
    assert re.search(r"data:image/svg\+xml;base64,", html), "the charts are on the page"


def test_the_weekly_report_is_filed_once_and_kept_for_download(
        svc: Services, scenario: dict[str, int], client: FlaskClient) -> None:
    from ingest.reports.filing import file_weekly_report

    report, made = file_weekly_report(svc, date(2026, 11, 24))
    assert made and (report.start, report.end) == (date(2026, 11, 16), date(2026, 11, 22))
    again, made_again = file_weekly_report(svc, date(2026, 11, 25))
    assert not made_again and again.id == report.id
    assert "Tuần 47 năm 2026" in client.get("/reports").get_data(as_text=True)
    book = load_workbook(io.BytesIO(client.get(f"/reports/files/{report.id}.xlsx").data))
    assert {"XLD01", "XLD02", "XLD03", "XLD04", "TCD01"} <= set(book.sheetnames)
    # L7 (15/11) is outside the week; L8 (18/11) inside
    assert book["XLD01"].max_row > 1 and client.get(f"/reports/files/{report.id}.pdf").data.startswith(b"%PDF")


def test_the_supervisors_hourly_chores_have_a_worker_file_the_weekly_report(svc: Services, workers) -> None:  # noqa: ANN001
    from ingest.workers import WorkerSupervisor
    from models import ReportFile
    from tests.conftest import wait_for

    WorkerSupervisor(svc, 0).housekeeping()

    def filed() -> bool:
        with svc.db.read() as session:
            return session.query(ReportFile).count() == 1

    wait_for(filed, timeout=120, message="the weekly report job")


def test_the_drill_down_of_reception_masks_a_denouncer_received_in_person(
        svc: Services, scenario: dict[str, int], client: FlaskClient) -> None:
    with svc.db.write() as session:
        held = ReceptionSession(held_on=date(2026, 11, 20), kind="routine")
        session.add(held)
        session.flush()
        session.add(Visit(session_id=held.id, name="Lê Thị Kín", type="to_cao", content="Tố cáo cán bộ xã Lê Thị Kín"))
    page = client.get("/reports/drill?key=TCD01:visits:Tổng cộng&kind=custom&start=01/11/2026&end=30/11/2026")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "V1" in html and "Lê Thị Kín" not in html and "[đã che]" in html


def test_migration_0006_puts_the_labels_as_they_stand_on_existing_letters(database_url: str) -> None:
    import sqlalchemy as sa

    from models.migrate import upgrade

    upgrade(database_url, "0005")
    engine = sa.create_engine(database_url)
    with engine.begin() as db:
        for n, kind in ((1, "to_cao"), (2, "khieu_nai")):
            db.execute(sa.text(
                "INSERT INTO letters (id, register_year, register_seq, register_no, received_date, channel, status, "
                "sha256, original_name, media_type, size_bytes, storage_path, upload_count, pages_done, attempts, "
                "stages, stages_done, needs_review, created_at, updated_at, classification, prior_resolution) VALUES "
                "(:n, 2026, :n, :no, '2026-11-01', 'post', 'ocr_done', :sha, 'a.txt', 'text/plain', 1, 'x', 1, 0, 0, "
                "'{}', false, false, '2026-11-01', '2026-11-01', :c, 'none')"),
                dict(n=n, no=f"000{n}/2026", sha=f"{n:064d}", c=json.dumps(_classification(kind, "khac", "VP_TU"))))
        db.execute(sa.text("INSERT INTO letter_labels (letter_id, type, agency, field, flags, corrected, created_at) "
                           "VALUES (2, 'kien_nghi', 'TAND', 'tu_phap', '{}', true, '2026-11-02')"))
    engine.dispose()
    upgrade(database_url)
    engine = sa.create_engine(database_url)
    with engine.connect() as db:
        rows = db.execute(sa.text("SELECT id, type, field, agency FROM letters ORDER BY id")).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [(1, "to_cao", "khac", "VP_TU"), (2, "kien_nghi", "tu_phap", "TAND")]
