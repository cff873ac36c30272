"""End to end in headless Chromium: `donthu run` on a fresh data dir, log in, upload a scan, watch it be read."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ARTIFACTS
from tests.scans import render_page

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PASSWORD = "mat-khau-thu-nghiem"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_donthu(tmp_path: Path, data: Path, workers: int = 2) -> Iterator[str]:
    """`donthu run --port N --data-dir DATA` with its own private Redis, workers and gunicorn; stopped by Ctrl-C."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DONTHU_")}
    env.update(DONTHU_ADMIN_PASSWORD=PASSWORD, DONTHU_WORKERS=str(workers))
    log = (tmp_path / "run.log").open("wb")
    command = [sys.executable, "-m", "web.cli", "run", "--port", str(port), "--data-dir", str(data)]
    proc = subprocess.Popen(command, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180  # the first start trains the model; a busy 2-core machine boots slowly
    while True:
        try:
            if urllib.request.urlopen(f"{url}/login", timeout=2).status == 200:
                break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)  # leave no server, workers or Redis behind
            pytest.fail("donthu run did not serve the login page:\n" + (tmp_path / "run.log").read_text())
        time.sleep(0.3)
    yield url
    proc.send_signal(signal.SIGINT)  # Ctrl-C stops every child
    try:
        proc.wait(40)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail("donthu run did not stop on Ctrl-C")
    assert proc.returncode == 0


@pytest.fixture
def live_system(tmp_path: Path) -> Iterator[str]:
    """The real thing, on a fresh data dir."""
    with running_donthu(tmp_path, tmp_path / "data") as url:
        yield url


@pytest.fixture
def browser():  # noqa: ANN201
    """Headless Debian Chromium driven by Playwright."""
    if not os.path.exists(CHROMIUM):
        pytest.fail("Chromium is not installed: run `make setup`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):  # noqa: ANN001, ANN201
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="vi-VN")
    return context.new_page()


def test_clerk_logs_in_uploads_a_scan_and_sees_it_read(live_system: str, page, tmp_path: Path) -> None:  # noqa: ANN001
    scan = tmp_path / "don_quet.png"
    render_page("ĐƠN PHẢN ÁNH\nKính gửi: Sở Xây dựng\nTôi là Nguyễn Thị Bích Ngọc, trú tại phường Hòa Khánh.\n"
                "Đường Trần Phú bị sụt lún nhiều đoạn, đề nghị sửa chữa.", dpi=300).save(scan, dpi=(300, 300))
    page.goto(f"{live_system}/letters")
    assert "/login" in page.url
    page.fill("input[name=email]", "admin@donthu.local")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_system}/letters")
    page.click("text=Tiếp nhận đơn")
    page.set_input_files("input[name=files]", str(scan))
    page.select_option("select[name=channel]", "in_person")
    page.click("button:has-text('Vào sổ và xử lý')")
    page.wait_for_selector("text=Đã vào sổ")
    page.click("text=Xem danh sách đơn")
    # the list refreshes itself (htmx) until the workers are done
    page.wait_for_selector("tr:has-text('don_quet.png') >> text=Đã nhận dạng", timeout=120_000)
    page.click("tr:has-text('don_quet.png') a")
    page.wait_for_selector("pre:has-text('Nguyễn Thị Bích Ngọc')")
    image = page.locator("img[alt='Trang 1']")
    image.scroll_into_view_if_needed()
    page.wait_for_function("() => document.querySelector(\"img[alt='Trang 1']\").naturalWidth > 0")
    assert image.evaluate("img => img.naturalWidth") > 1000  # the cleaned page image, served beside the text
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "letter_page.png"), full_page=True)
