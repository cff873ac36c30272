"""The report page in headless Chromium on a real server: open it, change the period, download the XLSX."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.conftest import ARTIFACTS
from tests.test_browser import PASSWORD, browser, live_system, page  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser


def test_report_page_changes_period_and_downloads_the_xlsx(live_system: str, page, tmp_path: Path) -> None:  # noqa: ANN001, F811
    base = live_system
    page.goto(f"{base}/login")
    page.fill("input[name=email]", "admin@donthu.local")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/dashboard")
    page.click("nav >> text=Báo cáo")
    page.wait_for_selector("#form-XLD01 table.report")
    assert page.locator("#period-label").inner_text().startswith("Tháng")
    page.select_option("#p-kind", "quarter")
    page.select_option("select[name=q]", "1")
    page.check("input[name=stat]")
    page.click("#p-show")
    page.wait_for_selector("#period-label:has-text('Quý I')")
    label = page.locator("#period-label").inner_text()
    assert "15/12/" in label and "14/03/" in label  # the statistical window
    assert page.locator("table.report").count() == 5
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report_page.png"), full_page=True)
    with page.expect_download() as download:
        page.click("#export-xlsx")
    target = tmp_path / download.value.suggested_filename
    download.value.save_as(target)
    assert target.suffix == ".xlsx"
    book = load_workbook(target)
    assert book.sheetnames[:5] == ["XLD01", "XLD02", "XLD03", "XLD04", "TCD01"]
    assert any("15/12/" in str(c.value) for row in book["XLD01"].iter_rows(max_row=4) for c in row if c.value)
