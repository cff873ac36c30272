"""Intake: every accepted file is on disk and committed before any job; bad input is refused clearly."""

from __future__ import annotations

import json
import os
import stat
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from ingest.errors import IntakeError
from ingest.intake import register_file, safe_name
from ingest.services import Services
from models import AuditEvent, Letter
from tests.bad_files import bad_inputs, small_pdf
from web.cli import main as cli

TEXT = "Kính gửi: Ban Nội chính Tỉnh ủy\nTôi tên là Nguyễn Văn Đức, phản ánh việc đường liên xã bị hư hỏng nặng.\n"


def _cli(*args: str):  # noqa: ANN202
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_new_file_is_stored_read_only_and_committed_as_queued(svc: Services) -> None:
    result = register_file(svc, TEXT.encode(), "don.txt", channel="in_person", received=date(2026, 3, 2))
    assert result.duplicate_of is None and result.status == "queued" and result.job_id
    with svc.db.read() as session:
        letter = session.get(Letter, result.letter_id)
        assert letter.register_no == "0001/2026"
        assert letter.channel == "in_person" and letter.received_date == date(2026, 3, 2)
        stored = svc.store.path(letter.storage_path)
        assert stored.read_bytes() == TEXT.encode()
        assert letter.storage_path == f"files/{letter.sha256[:2]}/{letter.sha256}.txt"
        assert not stored.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.letter_id == letter.id)).all()
        assert actions == ["letter_registered"]


def test_register_numbers_run_per_year_in_the_order_given(svc: Services) -> None:
    numbers = [register_file(svc, f"{TEXT} {i}".encode(), f"{i}.txt", received=date(year, 5, 1)).register_no
               for i, year in enumerate([2025, 2026, 2026, 2025, 2026])]
    assert numbers == ["0001/2025", "0001/2026", "0002/2026", "0002/2025", "0003/2026"]


def test_same_bytes_twice_return_the_existing_letter_flagged(svc: Services) -> None:
    first = register_file(svc, TEXT.encode(), "a.txt")
    again = register_file(svc, TEXT.encode(), "copy-of-a.txt")
    assert again.letter_id == first.letter_id and again.duplicate_of == first.letter_id
    assert again.job_id is None  # nothing to read again
    with svc.db.read() as session:
        assert session.scalar(select(Letter).where(Letter.id == first.letter_id)).upload_count == 2
        assert len(session.scalars(select(Letter)).all()) == 1


def test_file_names_are_display_only(svc: Services) -> None:
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("C:\\scans\\đơn\x00.pdf") == "đơn.pdf"
    result = register_file(svc, TEXT.encode(), "../../../../tmp/evil.txt")
    with svc.db.read() as session:
        letter = session.get(Letter, result.letter_id)
        assert letter.original_name == "evil.txt"
        assert svc.store.path(letter.storage_path).resolve().is_relative_to(svc.settings.data_dir)


def test_type_comes_from_the_bytes_not_the_name(svc: Services) -> None:
    result = register_file(svc, small_pdf(), "actually-a-pdf.png")
    with svc.db.read() as session:
        assert session.get(Letter, result.letter_id).media_type == "application/pdf"


def test_every_bad_input_is_refused_with_its_specific_code(svc: Services) -> None:
    cases = bad_inputs(svc.settings.max_pages)
    for name, data, code in cases:
        with pytest.raises(IntakeError) as info:
            register_file(svc, data, name)
        assert info.value.code == code, f"{name}: got {info.value.code} ({info.value.message})"
        assert info.value.message
    with svc.db.read() as session:
        assert session.scalars(select(Letter)).all() == []  # nothing half-registered
    assert not (svc.settings.data_dir / "files").exists() or not any((svc.settings.data_dir / "files").rglob("*.*"))


def test_too_many_bytes_is_refused(svc: Services) -> None:
    small = Services(svc.settings.with_overrides(max_upload_bytes=100))
    with pytest.raises(IntakeError) as info:
        register_file(small, TEXT.encode() * 10, "long.txt")
    assert info.value.code == "file_too_large"


def test_unknown_channel_is_refused(svc: Services) -> None:
    with pytest.raises(IntakeError) as info:
        register_file(svc, TEXT.encode(), "a.txt", channel="pigeon")
    assert info.value.code == "bad_request" and "pigeon" in info.value.message


def test_cli_ingest_prints_one_json_object_per_file_and_fails_when_any_is_refused(svc: Services,
                                                                                  tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text(TEXT, encoding="utf-8")
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    result = _cli("ingest", str(good), str(empty), str(good), "--json", "--sync", "--channel", "press",
                  "--received", "2026-02-03")
    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert lines[0] == {"file": str(good), "letter_id": 1, "register_no": "0001/2026", "status": "ocr_done",
                        "duplicate_of": None}
    assert lines[1]["file"] == str(empty) and lines[1]["code"] == "empty_file" and "empty" in lines[1]["error"]
    assert lines[2]["letter_id"] == 1 and lines[2]["duplicate_of"] == 1


def test_cli_ingest_refuses_every_bad_input(svc: Services, tmp_path: Path) -> None:
    paths = []
    for name, data, _code in bad_inputs(svc.settings.max_pages):
        path = tmp_path / name
        path.write_bytes(data)
        paths.append(path)
    result = _cli("ingest", *map(str, paths), "--json")
    assert result.exit_code == 1
    got = [json.loads(line)["code"] for line in result.output.splitlines()]
    assert got == [code for _n, _d, code in bad_inputs(svc.settings.max_pages)]


def test_cli_ingest_without_redis_keeps_the_letter_for_the_sweeper(svc: Services, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DONTHU_REDIS_URL", f"unix://{tmp_path}/no-redis-here.sock")
    path = tmp_path / "a.txt"
    path.write_text(TEXT, encoding="utf-8")
    result = _cli("ingest", str(path), "--json")
    assert result.exit_code == 0, result.output
    outcome = json.loads(result.output.splitlines()[-1])
    assert outcome["status"] == "queued"
    with svc.db.read() as session:
        letter = session.get(Letter, outcome["letter_id"])
        assert letter.status == "queued" and os.path.exists(svc.store.path(letter.storage_path))


@pytest.mark.parametrize("command", [["status", "1"], ["retry", "1", "--sync"]])
def test_letter_commands_on_a_fresh_data_dir_say_the_letter_does_not_exist(tmp_path: Path, command: list[str],
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DONTHU_DATABASE_URL", raising=False)  # the data dir's own SQLite, never migrated
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "fresh"), *command])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)  # click's error, no traceback
    assert "letter 1 does not exist" in result.output, result.output
