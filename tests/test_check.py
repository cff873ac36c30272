"""``donthu check``: finds every kind of disagreement between database, files, queue and index, and repairs
what can be remade without touching what cannot."""

from __future__ import annotations

import json
import os
import time
from datetime import timedelta

from click.testing import CliRunner
from rq.job import Job
from sqlalchemy import update

from classify.labels import record_labels
from ingest.check import GRACE_SECONDS, check
from ingest.dispatch import dispatch_new_letter, redis_connection
from ingest.indexing import index_letter
from ingest.intake import register_file
from ingest.services import Services
from models import Letter
from models.base import utcnow
from search.base import SearchDocument
from web.cli import main as cli

TEXTS = [
    "Kính gửi: Ủy ban Kiểm tra Tỉnh ủy\nTôi là Nguyễn Văn Đức, trú tại xã Hòa Bình. Tôi tố cáo ông Trần Văn Hùng.",
    "Đơn phản ánh\nĐường liên xã Đồng Tâm bị sạt lở, đề nghị sửa chữa sớm.\nNgười viết: Lê Thị Hoà",
]


def _finished_letters(svc: Services) -> list[int]:
    ids = []
    for i, text in enumerate(TEXTS):
        result = register_file(svc, text.encode(), f"letter-{i}.txt")
        dispatch_new_letter(svc, result.letter_id, result.job_id, sync=True)
        ids.append(result.letter_id)
    return ids


def _kinds(report) -> list[str]:  # noqa: ANN001
    return sorted(f.kind for f in report.findings)


def _age(path: os.PathLike, seconds: float = GRACE_SECONDS + 60) -> None:
    old = time.time() - seconds
    os.utime(path, (old, old))


def test_a_consistent_system_has_no_findings(svc: Services) -> None:
    _finished_letters(svc)
    report = check(svc, deep=True)
    assert report.ok and report.findings == []
    assert (report.letters, report.settled, report.indexed) == (2, 2, 2)


def test_index_missing_orphan_and_stale_entries_are_found_then_reindexed(svc: Services) -> None:
    first, second = _finished_letters(svc)
    svc.search.delete([first])
    svc.search.index([SearchDocument(letter_id=9999, register_no="9999/2026", received_date=utcnow().date(),
                                     text="không có trong cơ sở dữ liệu")])
    with svc.db.write() as session:  # labels recorded behind the index's back
        record_labels(session, second, type="to_cao", agency="UBKT_TU", field="dat_dai")

    found = check(svc)
    assert _kinds(found) == ["index_missing", "index_orphan", "index_stale"]
    stale = next(f for f in found.findings if f.kind == "index_stale")
    assert stale.letter_id == second and "type" in stale.detail and "field" in stale.detail
    assert not found.ok and all(f.repairable for f in found.findings)

    repaired = check(svc, repair=True)
    assert repaired.ok and all(f.repaired for f in repaired.findings)
    assert svc.search.ids() == {first, second}
    assert svc.search.get(second).type == "to_cao"
    assert check(svc).findings == []


def test_leftover_temp_and_orphan_files_are_cleared_but_fresh_ones_are_left_alone(svc: Services) -> None:
    _finished_letters(svc)
    folder = svc.settings.originals_dir / "ab"
    folder.mkdir(parents=True, exist_ok=True)
    temp, orphan, fresh = folder / ".tmp-x1y2.pdf", folder / ("ab" + "0" * 62 + ".pdf"), folder / ("ab" + "1" * 62 + ".pdf")
    pages = folder / ("ab" + "0" * 62 + ".pages")
    pages.mkdir()
    (pages / "0000.png").write_bytes(b"png")
    for path in (temp, orphan, fresh):
        path.write_bytes(b"%PDF-1.4 half")
    for path in (temp, orphan, pages):
        _age(path)

    found = check(svc)
    assert _kinds(found) == ["orphan_file", "orphan_pages", "temp_file"]  # the fresh file may be an intake in flight

    assert check(svc, repair=True).ok
    assert not temp.exists() and not orphan.exists() and not pages.exists() and fresh.exists()
    assert (svc.settings.data_dir / "quarantine" / orphan.name).read_bytes() == b"%PDF-1.4 half"  # kept aside


def test_a_missing_or_damaged_original_is_reported_and_never_marked_repaired(svc: Services) -> None:
    first, second = _finished_letters(svc)
    with svc.db.read() as session:
        gone, damaged = (svc.store.path(session.get(Letter, i).storage_path) for i in (first, second))
    gone.unlink()
    os.chmod(damaged, 0o644)
    damaged.write_bytes(damaged.read_bytes().replace("Đồng".encode(), b"Dong"))

    report = check(svc, repair=True, deep=True)
    assert _kinds(report) == ["file_damaged", "file_missing"]
    assert not report.ok and not any(f.repaired or f.repairable for f in report.findings)


def test_a_letter_whose_job_vanished_is_found_stuck_and_queued_again(svc: Services) -> None:
    result = register_file(svc, TEXTS[0].encode(), "never-queued.txt")  # committed; its job was never enqueued
    with svc.db.write() as session:
        session.execute(update(Letter).where(Letter.id == result.letter_id)
                        .values(updated_at=utcnow() - timedelta(minutes=5)))

    found = check(svc)
    assert [(f.kind, f.letter_id) for f in found.findings] == [("stuck", result.letter_id)]

    assert check(svc, repair=True).ok
    with svc.db.read() as session:
        letter = session.get(Letter, result.letter_id)
        job_id = letter.job_id
    assert Job.fetch(job_id, connection=redis_connection(svc)).func_name == "ingest.jobs.prepare_job"


def test_the_check_command_exits_1_until_repaired(svc: Services) -> None:
    first, _ = _finished_letters(svc)
    svc.search.delete([first])
    runner = CliRunner()
    verify = runner.invoke(cli, ["check", "--json"])
    assert verify.exit_code == 1, verify.output
    assert json.loads(verify.output)["counts"] == {"index_missing": 1}
    assert runner.invoke(cli, ["check", "--repair"]).exit_code == 0
    assert runner.invoke(cli, ["check"]).exit_code == 0


def test_a_lost_filed_report_is_filed_again_and_a_lost_attachment_is_reported(svc: Services) -> None:
    from datetime import date

    from core.periods import week_of
    from ingest.dossiers import add_attachment, open_dossier
    from ingest.reports.filing import file_report

    first, _ = _finished_letters(svc)
    with svc.db.write() as session:
        dossier = open_dossier(session, session.get(Letter, first), None, type="to_cao", field="dat_dai",
                               agency="UBKT_TU")
        attachment = add_attachment(session, svc.settings.data_dir, dossier, b"%PDF-1.4 reply", "tra-loi.pdf", None)
        session.flush()
        attachment_path = attachment.storage_path
    index_letter(svc, first)  # as the dossier pages do after opening a dossier
    row, _ = file_report(svc, week_of(date(2026, 11, 2)))
    svc.store.path(attachment_path).unlink()
    svc.store.path(row.pdf_path).unlink()

    found = check(svc, repair=True)
    assert _kinds(found) == ["attachment_missing", "report_file_missing"]
    assert [f.kind for f in found.unresolved] == ["attachment_missing"]
    assert svc.store.path(row.pdf_path).is_file()
