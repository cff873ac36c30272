"""The pipeline on real RQ workers and a real Redis: faults lose no letter."""

from __future__ import annotations

import io
import json
import os
import signal
import threading

import psutil
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from core.settings import Settings
from ingest.dispatch import dispatch_new_letter
from ingest.intake import register_file
from ingest.services import Services
from models import Letter, Page
from tests.conftest import RedisServer, Workers, wait_for
from tests.scans import render_page, scanned_pdf, text_pdf
from web.cli import main as cli

pytestmark = pytest.mark.slow

LINES = [
    "Kính gửi: Ban Nội chính Tỉnh ủy",
    "Tôi tên là Phạm Thị Hồng Nhung, trú tại thôn Đông, xã Yên Lạc.",
    "Tôi khiếu nại Quyết định số 215/QĐ-UBND ngày 12/3/2026 về việc thu hồi đất.",
    "Đề nghị xem xét lại để bảo đảm quyền lợi hợp pháp của gia đình tôi.",
]


def _scan(seed: int, lines: int = 4) -> bytes:
    text = "\n".join(LINES[:lines]) + f"\nSố hồ sơ {seed:04d}"
    buf = io.BytesIO()
    render_page(text, dpi=300, seed=seed).save(buf, format="PNG", dpi=(300, 300))
    return buf.getvalue()


def _status(svc: Services, letter_id: int) -> str:
    with svc.db.read() as session:
        return session.get(Letter, letter_id).status


def _all_settled(svc: Services, ids: list[int]) -> bool:
    with svc.db.read() as session:
        return all(session.get(Letter, i).status in ("ocr_done", "failed") for i in ids)


def _register(svc: Services, data: bytes, name: str) -> int:
    result = register_file(svc, data, name)
    dispatch_new_letter(svc, result.letter_id, result.job_id)
    return result.letter_id


def test_cli_ingest_wait_runs_on_workers(svc: Services, workers: Workers, tmp_path) -> None:  # noqa: ANN001
    pdf = tmp_path / "scan.pdf"
    pdf.write_bytes(scanned_pdf([render_page("\n".join(LINES), dpi=300)]))
    typed = tmp_path / "typed.pdf"
    typed.write_bytes(text_pdf(["\n".join(LINES)]))
    result = CliRunner().invoke(cli, ["ingest", str(pdf), str(typed), "--json", "--wait", "--timeout", "180"])
    assert result.exit_code == 0, result.output
    outcomes = [json.loads(line) for line in result.output.splitlines()]
    assert [o["status"] for o in outcomes] == ["ocr_done", "ocr_done"]
    assert [o["register_no"][:4] for o in outcomes] == ["0001", "0002"]
    status = json.loads(CliRunner().invoke(cli, ["status", str(outcomes[0]["letter_id"]), "--json"]).output)
    assert status["pages"][0]["source"] == "ocr" and status["pages"][0]["confidence"] > 80


def test_workers_run_nice_so_page_views_keep_their_cpu(svc: Services, workers: Workers) -> None:
    supervisor = psutil.Process(workers.proc.pid)
    wait_for(lambda: len(supervisor.children()) == 2, timeout=60, message="two RQ workers")
    assert [child.nice() for child in supervisor.children()] == [svc.settings.worker_nice] * 2 == [10, 10]
    assert supervisor.nice() == 0  # the supervisor itself (and in `donthu run` the web app) stays at 0


def test_killing_a_worker_mid_job_loses_no_letter(svc: Services, workers: Workers) -> None:
    ids = [_register(svc, _scan(i), f"{i}.png") for i in range(3)]

    def running_page() -> Page | None:
        with svc.db.read() as session:
            return session.scalar(select(Page).where(Page.status == "running", Page.worker.is_not(None)))

    page = wait_for(running_page, timeout=120, interval=0.05, message="a page being read")
    horse_pid = int(page.worker.rpartition(":")[2])
    os.killpg(os.getpgid(horse_pid), signal.SIGKILL)  # the RQ worker and its work-horse, mid-OCR
    wait_for(lambda: _all_settled(svc, ids), timeout=240, message="every letter to settle after the kill")
    assert [_status(svc, i) for i in ids] == ["ocr_done"] * 3
    with svc.db.read() as session:
        killed = session.get(Page, page.id)
        assert killed.status == "done" and killed.attempts >= 2 and "Nhung" in killed.text


def _on_own_redis(settings: Settings, redis: RedisServer, monkeypatch: pytest.MonkeyPatch) -> Services:
    """Services on a Redis of this test alone (so the test may stop and restart it), database ready."""
    from web.bootstrap import prepare_database

    monkeypatch.setenv("DONTHU_REDIS_URL", redis.url)
    svc = Services(settings.with_overrides(redis_url=redis.url))
    prepare_database(svc)
    return svc


def test_redis_restart_mid_batch_loses_no_letter(settings: Settings, fresh_redis: RedisServer,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    svc = _on_own_redis(settings, fresh_redis, monkeypatch)
    pool = Workers(svc.settings, 2)
    pool.start()
    try:
        ids = [_register(svc, _scan(10 + i, lines=2), f"{i}.png") for i in range(4)]
        wait_for(lambda: _status(svc, ids[0]) in ("ocr_running", "ocr_done"), timeout=60, interval=0.05,
                 message="work to start")
        fresh_redis.restart()  # every queued job is gone
        wait_for(lambda: _all_settled(svc, ids), timeout=300, message="every letter after the Redis restart")
        assert [_status(svc, i) for i in ids] == ["ocr_done"] * 4
    finally:
        pool.stop()


def test_upload_while_redis_is_down_completes_when_it_returns(settings: Settings, fresh_redis: RedisServer,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    svc = _on_own_redis(settings, fresh_redis, monkeypatch)
    fresh_redis.stop()
    letter_id = _register(svc, text_pdf(["\n".join(LINES)]), "typed.pdf")  # accepted: on disk and committed
    assert _status(svc, letter_id) == "queued"
    pool = Workers(svc.settings, 1)
    pool.start()  # its workers cannot connect yet: the supervisor keeps restarting them
    try:
        threading.Timer(3, fresh_redis.start).start()
        wait_for(lambda: _status(svc, letter_id) == "ocr_done", timeout=120,
                 message="the letter after Redis came back")
    finally:
        pool.stop()


def test_retry_reruns_a_failed_letter(svc: Services, workers: Workers, tmp_path) -> None:  # noqa: ANN001
    letter_id = _register(svc, text_pdf(["\n".join(LINES)]), "typed.pdf")
    wait_for(lambda: _status(svc, letter_id) == "ocr_done", timeout=60, message="first run")
    with svc.db.write() as session:  # as if the page had failed for good
        letter = session.get(Letter, letter_id)
        letter.status, letter.error = "failed", "page 1: ocr_failed: simulated"
        letter.pages[0].status, letter.pages[0].error = "failed", "ocr_failed: simulated"
    result = CliRunner().invoke(cli, ["retry", str(letter_id)])
    assert result.exit_code == 0 and "queued again" in result.output
    wait_for(lambda: _status(svc, letter_id) == "ocr_done", timeout=60, message="the retried letter")
    with svc.db.read() as session:
        assert session.get(Letter, letter_id).error is None


def test_a_read_letters_stages_jump_the_queue_of_waiting_pages(svc: Services) -> None:
    from ingest.dispatch import RQDispatcher, get_queue

    dispatch = RQDispatcher(svc)
    dispatch.pages(1, [(i, f"donthu-page-1-{i}-waiting") for i in range(5)])  # a batch's pages, no worker yet
    dispatch.stages(2, "donthu-stages-2-now")
    assert get_queue(svc).job_ids[0] == "donthu-stages-2-now"
