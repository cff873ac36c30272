"""Backup, restore and moving databases: what comes back is the same office, row for row and byte for byte."""

from __future__ import annotations

import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import select

from core.settings import load_settings
from ingest.backup import BackupError, backup, file_digests, restore, table_digests
from ingest.dbcopy import CopyError, copy_database
from ingest.dispatch import dispatch_new_letter
from ingest.dossiers import add_attachment, open_dossier
from ingest.intake import register_file
from ingest.services import Services
from models import Letter
from models.session import is_sqlite
from search.base import SearchQuery
from tests.conftest import PG_URL, scratch_pg_database
from tests.webkit import make_user

TEXTS = [
    "Kính gửi: Ủy ban Kiểm tra Tỉnh ủy\nTôi là Nguyễn Văn Đức, trú tại xã Hòa Bình. Tôi khiếu nại quyết định "
    "thu hồi đất số 1877/QĐ-UBND.",
    "Đơn phản ánh\nĐường liên xã Đồng Tâm bị sạt lở, đề nghị sửa chữa sớm.\nNgười viết: Lê Thị Hoà",
]


def _office(svc: Services) -> None:
    """Two read letters, a user, a dossier with an attachment: rows in most tables and files in every folder."""
    user_id, _ = make_user(svc, "reviewer")
    for i, text in enumerate(TEXTS):
        result = register_file(svc, text.encode(), f"thu-{i}.txt")
        dispatch_new_letter(svc, result.letter_id, result.job_id, sync=True)
    with svc.db.write() as session:
        letter = session.scalars(select(Letter).order_by(Letter.id)).first()
        dossier = open_dossier(session, letter, user_id, type="khieu_nai", field="dat_dai", agency="UBND_TINH")
        add_attachment(session, svc.settings.data_dir, dossier, b"%PDF-1.4 reply", "tra-loi.pdf", user_id)


@contextmanager
def _spare_pg() -> Iterator[str]:
    if not PG_URL:
        pytest.skip("DONTHU_TEST_DATABASE_URL is not set")
    with scratch_pg_database(PG_URL, "donthu_r") as url:
        yield url


@pytest.fixture
def target_url(svc: Services, tmp_path: Path) -> Iterator[str]:
    """An empty database of the same engine as the test's own, to restore into."""
    if is_sqlite(svc.settings.database_url):
        yield f"sqlite:///{tmp_path / 'restored' / 'donthu.db'}"
        return
    with _spare_pg() as url:
        yield url


def _services_for(monkeypatch: pytest.MonkeyPatch, data_dir: Path, url: str) -> Services:
    monkeypatch.setenv("DONTHU_DATA_DIR", str(data_dir))
    monkeypatch.setenv("DONTHU_DATABASE_URL", url)
    return Services(load_settings())


def test_a_restore_into_a_fresh_dir_gives_back_every_row_file_and_search_hit(
        svc: Services, tmp_path: Path, target_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _office(svc)
    archive = tmp_path / "office.tar"
    made = backup(svc, archive)
    assert made.letters == 2 and made.files >= 5 and archive.stat().st_size == made.bytes

    target_dir = tmp_path / "restored"
    restored_svc = _services_for(monkeypatch, target_dir, target_url)
    report = restore(restored_svc, archive)

    assert report.check_ok and report.letters == 2
    assert table_digests(restored_svc.settings.database_url) == table_digests(svc.settings.database_url)
    assert file_digests(target_dir) == file_digests(svc.settings.data_dir)
    query = SearchQuery(text="nguyen van duc")
    assert [h.letter_id for h in restored_svc.search.query(query).hits] == \
        [h.letter_id for h in svc.search.query(query).hits] != []


def test_the_archive_never_holds_live_database_files_or_sockets(svc: Services, tmp_path: Path) -> None:
    _office(svc)
    (svc.settings.data_dir / "run").mkdir(exist_ok=True)
    (svc.settings.data_dir / "run" / "redis.log").write_text("log")
    backup(svc, tmp_path / "office.tar")
    with tarfile.open(tmp_path / "office.tar") as tar:
        names = tar.getnames()
    assert names[0] == "manifest.json"
    assert not any(n.startswith("data/run/") or n.endswith(("donthu.db", "-wal", "-shm")) for n in names)
    assert any(n.startswith("data/files/") for n in names) and any(n.startswith("data/attachments/") for n in names)


def test_restore_refuses_a_used_data_dir_and_files_that_are_not_backups(
        svc: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _office(svc)
    backup(svc, tmp_path / "office.tar")
    with pytest.raises(BackupError, match="not empty") as refused:
        restore(svc, tmp_path / "office.tar")  # its own, live data dir
    assert refused.value.code == "target_not_empty"
    (tmp_path / "junk.tar").write_bytes(b"not a tar at all")
    target_dir = tmp_path / "fresh"
    fresh = _services_for(monkeypatch, target_dir, f"sqlite:///{target_dir / 'donthu.db'}")
    with pytest.raises(BackupError, match="not a Donthu backup"):
        restore(fresh, tmp_path / "junk.tar")
    with pytest.raises(BackupError, match="inside|outside"):
        backup(svc, svc.settings.data_dir / "inside.tar")


@pytest.mark.postgres
def test_copy_db_moves_an_office_from_sqlite_to_postgres_and_new_ids_follow_on(
        svc: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not is_sqlite(svc.settings.database_url):
        pytest.skip("the move starts from SQLite")
    _office(svc)
    with _spare_pg() as target:
        report = copy_database(svc.settings.database_url, target)
        assert report.tables["letters"] == 2 and report.tables["dossier_attachments"] == 1
        assert table_digests(target) == table_digests(svc.settings.database_url)
        with pytest.raises(CopyError, match="already holds"):
            copy_database(svc.settings.database_url, target)

        moved = _services_for(monkeypatch, svc.settings.data_dir, target)
        result = register_file(moved, "Đơn kiến nghị mới về chính sách người có công.".encode(), "moi.txt")
        assert result.letter_id == 3  # the id sequence continues after the copied rows
