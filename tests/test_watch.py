"""The scanner's watch folder: each file is registered, then moved to done/ or failed/ with the reason."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from ingest.services import Services
from ingest.watch import FolderWatcher
from models import Letter
from tests.scans import text_pdf
from web.cli import main as cli


def test_watch_once_registers_files_and_sorts_them_into_done_and_failed(svc: Services, tmp_path: Path) -> None:
    inbox = tmp_path / "scanner"
    inbox.mkdir()
    (inbox / "b_don.pdf").write_bytes(text_pdf(["Kính gửi Tỉnh ủy. Tôi là Đỗ Minh Khoa, phản ánh việc lấn chiếm."]))
    (inbox / "a_don.txt").write_text("Tôi là Hồ Thị Lệ, đề nghị xem xét chế độ.", encoding="utf-8")
    (inbox / "c_hong.pdf").write_bytes(b"%PDF-1.4 broken")
    (inbox / "d_dang_quet.pdf.part").write_bytes(b"%PDF-")  # still being written by the scanner
    result = CliRunner().invoke(cli, ["watch", str(inbox), "--once", "--sync", "--channel", "post"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (inbox / "done").iterdir()) == ["a_don.txt", "b_don.pdf"]
    assert sorted(p.name for p in (inbox / "failed").iterdir()) == ["c_hong.pdf", "c_hong.pdf.error.txt"]
    assert (inbox / "failed" / "c_hong.pdf.error.txt").read_text().startswith("corrupt_pdf:")
    assert (inbox / "d_dang_quet.pdf.part").exists()
    with svc.db.read() as session:
        letters = session.scalars(select(Letter).order_by(Letter.id)).all()
        assert [(x.original_name, x.status) for x in letters] == [("a_don.txt", "ocr_done"), ("b_don.pdf", "ocr_done")]


def test_watch_waits_until_a_file_stops_growing(svc: Services, tmp_path: Path) -> None:
    inbox = tmp_path / "scanner"
    inbox.mkdir()
    watcher = FolderWatcher(svc, inbox, sync=True)
    (inbox / "x.txt").write_text("Tôi là Lò Văn Pánh, xin trình bày.", encoding="utf-8")
    assert watcher.scan_once(settle_seconds=0.2) == []  # first sight: size noted, not taken yet
    import time

    time.sleep(0.3)
    lines = watcher.scan_once(settle_seconds=0.2)
    assert len(lines) == 1 and lines[0].startswith("done") and (inbox / "done" / "x.txt").exists()


def test_same_file_dropped_twice_is_recognised(svc: Services, tmp_path: Path) -> None:
    inbox = tmp_path / "scanner"
    inbox.mkdir()
    watcher = FolderWatcher(svc, inbox, sync=True)
    for _ in range(2):
        (inbox / "same.txt").write_text("Tôi là Lò Văn Pánh, xin trình bày.", encoding="utf-8")
        watcher.scan_once(settle_seconds=0)
    assert sorted(p.name for p in (inbox / "done").iterdir()) == ["same.1.txt", "same.txt"]
    with svc.db.read() as session:
        assert len(session.scalars(select(Letter)).all()) == 1
