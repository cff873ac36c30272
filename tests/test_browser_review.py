"""The whole review flow in headless Chromium on a real server with real workers: log in, upload a scan, see it
read and classified, correct the agency, open a dossier, upload a re-scan of the same letter, attach it as a
repeat, and find both by the sender's name typed without diacritics. Screenshots go to tests/artifacts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import ARTIFACTS
from tests.scans import damage, render_page
from tests.test_browser import PASSWORD, browser, live_system, page  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser

LETTER = ("ĐƠN KHIẾU NẠI\nKính gửi: Chủ tịch Ủy ban nhân dân tỉnh\n"
          "Tôi là Nguyễn Thị Bích Ngọc, trú tại tổ 5 phường Hòa Khánh, điện thoại 0912 345 678.\n"
          "Tôi khiếu nại Quyết định số 2456/QĐ-UBND ngày 12/8/2026 của UBND tỉnh về việc thu hồi 320 m2 đất "
          "ở của gia đình tôi để làm dự án mở rộng đường Nguyễn Tất Thành. Mức bồi thường 1,2 triệu đồng một "
          "mét vuông thấp hơn nhiều so với giá thị trường, gia đình tôi không được bố trí tái định cư.\n"
          "Đề nghị Chủ tịch UBND tỉnh xem xét hủy Quyết định số 2456/QĐ-UBND và bồi thường thỏa đáng.\n"
          "Người khiếu nại\nNguyễn Thị Bích Ngọc")
WAIT = 180_000


def _upload(tab, base: str, path: Path) -> None:  # noqa: ANN001
    tab.goto(f"{base}/letters/upload")
    tab.set_input_files("input[name=files]", str(path))
    tab.click("button:has-text('Vào sổ và xử lý')")
    # per-file progress, then the letter's live status; "Duyệt" appears once it is read, classified and checked
    tab.wait_for_selector("#uploads li >> text=Đã vào sổ số đến", timeout=WAIT)
    tab.wait_for_selector("#uploads li a:has-text('Duyệt')", timeout=WAIT)
    tab.click("#uploads li a:has-text('Duyệt')")
    tab.wait_for_selector("#review-form")


def test_review_flow_from_upload_to_dossier_and_search(live_system: str, page, tmp_path: Path) -> None:  # noqa: ANN001, F811
    base = live_system
    first, second = tmp_path / "don_khieu_nai.png", tmp_path / "don_khieu_nai_gui_lai.png"
    render_page(LETTER, dpi=300).save(first, dpi=(300, 300))
    damage(render_page(LETTER, dpi=300, seed=3), skew=1.2, noise=0.02, seed=3).save(second, dpi=(300, 300))

    page.goto(f"{base}/login")
    page.fill("input[name=email]", "admin@donthu.local")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/dashboard")

    # 1. the first letter: read and classified, the reviewer corrects the agency and opens a dossier
    _upload(page, base, first)
    page.wait_for_selector("pre:has-text('Bích Ngọc')")
    assert page.locator(".suggestions").inner_text().count("Khiếu nại") >= 1
    suggested = page.locator("#f-agency").input_value()
    corrected = "THANHTRA" if suggested != "THANHTRA" else "UBND_TINH"
    page.select_option("#f-agency", corrected)
    page.locator("h1").click()  # leave the select: shortcuts act when no field has the focus
    page.keyboard.press("m")  # new dossier
    page.keyboard.press("1")  # decision 1: thụ lý
    assert page.is_checked("#f-new-dossier") and page.locator("#f-decision").input_value() == "thu_ly"
    page.click("figure.zoomable [data-zoom='1.25']")
    page.keyboard.press("r")
    transform = page.locator("figure.zoomable img").first.evaluate("img => img.style.transform")
    assert "scale(1.25)" in transform and "rotate(90deg)" in transform
    page.click("figure.zoomable [data-reset]")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "review_page.png"), full_page=True)
    page.click("#b-save")
    flash = page.wait_for_selector("p.flash:has-text('Đã lưu kết quả duyệt')").inner_text()
    number = re.search(r"hồ sơ (\d{4}/\d{4}/HS)", flash).group(1)
    assert page.locator("#f-agency").input_value() == corrected  # the correction is what the page now shows

    # 2. the re-scan of the same letter: found as a repeat, attached to the dossier
    _upload(page, base, second)
    candidate = page.locator(".candidate").first
    assert "Đơn trùng" in candidate.inner_text() and number in candidate.inner_text()
    page.check(".attach-candidate")
    page.click("#b-save")
    flash = page.wait_for_selector("p.flash:has-text('Đã lưu kết quả duyệt')").inner_text()
    assert number in flash and "đơn lần 2" in flash

    # 3. the dossier: both letters in order, the deadline the decision set
    page.click(f"a:has-text('{number}')")
    page.wait_for_selector("#dossier-letters")
    rows = page.locator("#dossier-letters tbody tr")
    assert rows.count() == 2 and "Lần đầu" in rows.nth(0).inner_text() and "lần 2" in rows.nth(1).inner_text()
    assert re.search(r"\d{2}/\d{2}/\d{4}", page.locator("#deadline").inner_text())
    page.screenshot(path=str(ARTIFACTS / "dossier_page.png"), full_page=True)

    # 4. both letters by the sender's name, typed without diacritics
    page.goto(f"{base}/search")
    page.fill("input[name=q]", "nguyen thi bich ngoc")
    page.press("input[name=q]", "Enter")
    page.wait_for_selector("#result-count")
    hits = page.locator("#results .hit")
    assert hits.count() == 2
    assert all(number in hits.nth(i).inner_text() for i in range(2))
    assert page.locator("#results mark").count() > 0
    page.screenshot(path=str(ARTIFACTS / "search_page.png"), full_page=True)
