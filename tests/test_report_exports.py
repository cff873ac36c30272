"""Report exports: XLSX (merged nested headers, plain numbers, bold totals), CSV, the printable PDF, chart images."""

from __future__ import annotations

import base64
import csv
import dataclasses
import io
import subprocess
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pdfplumber
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.font_manager import findfont
from PIL import Image

from ingest.reports import charts as charts_module
from ingest.reports.charts import PALETTE, render_png, render_svg, svg_data_uri
from ingest.reports.export import to_csv, to_pdf, to_xlsx
from ingest.reports.tables import Chart, Column, ReportRow, ReportTable

COLUMNS = [
    Column("total", ("Tổng số đơn",)),  # a top-level leaf: spans all three header rows
    Column("received.carried", ("Số đơn", "Tiếp nhận", "Kỳ trước chuyển sang")),
    Column("received.in_period", ("Số đơn", "Tiếp nhận", "Trong kỳ")),
    Column("processed", ("Số đơn", "Đã xử lý")),  # spans the two lower header rows
    Column("content.complaint", ("Phân loại theo nội dung", "Khiếu nại")),
    Column("content.denunciation", ("Phân loại theo nội dung", "Tố cáo")),
    Column("content.recommendation", ("Phân loại theo nội dung", "Kiến nghị, phản ánh")),
]
UNITS = ["Ban Nội chính Tỉnh ủy", "Ủy ban Kiểm tra Tỉnh ủy", "Văn phòng Tỉnh ủy"]
VALUES = [[12, 2, 10, 9, 4, 3, 5], [1234, 34, 1200, 1100, 600, 400, 234], [7, 0, 7, 6, 1, 1, 5]]
TOTALS = [sum(col) for col in zip(*VALUES, strict=True)]  # [1253, 36, 1217, 1115, 605, 404, 244]
TITLE = "Tổng hợp kết quả xử lý đơn"
PERIOD = "Quý I năm 2026 (kỳ thống kê 15/12/2025 – 14/03/2026)"
NOTE = "Số liệu tính đến ngày 14/03/2026; đơn trùng nhau chỉ tính một lần."


def make_table(rows: int = 3, form: str = "XLD01", columns: list[Column] | None = None) -> ReportTable:
    columns = columns or COLUMNS
    body = [ReportRow(UNITS[i % 3] if i < 3 else f"Đơn vị số {i + 1}",
                      {c.key: (VALUES[i][j] if i < 3 and j < 7 else (i * 7 + j) % 50) for j, c in enumerate(columns)})
            for i in range(rows)]
    total = ReportRow("Tổng cộng", {c.key: sum(r.cells[c.key] for r in body) for c in columns}, total=True)
    return ReportTable(form=form, title=TITLE, period_label=PERIOD, start=date(2025, 12, 15), end=date(2026, 3, 14),
                       columns=columns, rows=[*body, total], notes=[NOTE])


TABLE = make_table()
CHART = Chart("Đơn tiếp nhận theo đơn vị", "bar", UNITS, {"Khiếu nại": [4, 600, 1], "Tố cáo": [3, 400, 1]})
LINE = Chart("Vụ việc quá hạn", "line", ["01/2026", "02/2026", "03/2026"], {"Quá hạn": [1, 2, 0]}, y_label="Số vụ việc")


def rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def colours(png: bytes) -> set[tuple[int, int, int]]:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    return {c for _, c in image.getcolors(maxcolors=image.width * image.height)}


# --- XLSX -----------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def workbook() -> openpyxl.Workbook:
    data = to_xlsx([TABLE, make_table(form="XLD02")], [CHART, LINE])
    return openpyxl.load_workbook(io.BytesIO(data))


def test_xlsx_has_a_sheet_per_form_and_a_chart_sheet(workbook: openpyxl.Workbook) -> None:
    assert workbook.sheetnames == ["XLD01", "XLD02", "Biểu đồ"]


def test_xlsx_title_block(workbook: openpyxl.Workbook) -> None:
    ws = workbook["XLD01"]
    assert ws["A1"].value == "Biểu số XLD01"
    assert ws["A2"].value == TITLE
    assert ws["A3"].value == PERIOD
    assert ws["A2"].font.b


def test_xlsx_nested_headers_are_merged_cells(workbook: openpyxl.Workbook) -> None:
    ws = workbook["XLD01"]
    header_merges = {str(r) for r in ws.merged_cells.ranges if 5 <= r.min_row <= 7}
    assert header_merges == {
        "A5:A7",  # Đơn vị, the unit column, over all three header rows
        "B5:B7",  # Tổng số đơn: a top-level leaf
        "C5:E5",  # Số đơn over its three leaves
        "C6:D6",  # Tiếp nhận over its two leaves
        "E6:E7",  # Đã xử lý: a second-level leaf spans down
        "F5:H5",  # Phân loại theo nội dung
        "F6:F7", "G6:G7", "H6:H7",
    }
    expected = {"A5": "Đơn vị", "B5": "Tổng số đơn", "C5": "Số đơn", "C6": "Tiếp nhận", "C7": "Kỳ trước chuyển sang",
                "D7": "Trong kỳ", "E6": "Đã xử lý", "F5": "Phân loại theo nội dung", "F6": "Khiếu nại",
                "G6": "Tố cáo", "H6": "Kiến nghị, phản ánh"}
    assert {ref: ws[ref].value for ref in expected} == expected
    assert {"A2:H2", "A3:H3"} <= {str(r) for r in ws.merged_cells.ranges}
    assert ws["C5"].border.left.style == "thin" and ws["D5"].border.top.style == "thin"
    assert ws.freeze_panes == "B8"


def test_xlsx_numbers_are_the_tables_as_plain_integers(workbook: openpyxl.Workbook) -> None:
    ws = workbook["XLD01"]
    for r, row in enumerate(TABLE.rows):
        assert ws.cell(row=8 + r, column=1).value == row.label
        for j, column in enumerate(TABLE.columns):
            cell = ws.cell(row=8 + r, column=2 + j)
            assert cell.data_type == "n" and type(cell.value) is int
            assert cell.value == TABLE.value(row.label, column.key)
    assert [ws.cell(row=11, column=2 + j).value for j in range(7)] == TOTALS
    assert ws.cell(row=13, column=1).value == NOTE  # notes under the table, after a blank row


def test_xlsx_totals_row_alone_is_bold(workbook: openpyxl.Workbook) -> None:
    ws = workbook["XLD01"]
    assert ws["A11"].value == "Tổng cộng"
    assert all(ws.cell(row=11, column=c).font.b for c in range(1, 9))
    assert not any(ws.cell(row=r, column=c).font.b for r in (8, 9, 10) for c in range(1, 9))


def test_xlsx_has_no_formulas(workbook: openpyxl.Workbook) -> None:
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f"
                assert not (isinstance(cell.value, str) and cell.value.startswith("="))


def test_xlsx_chart_sheet_holds_the_chart_pngs() -> None:
    data = to_xlsx([TABLE], [CHART, LINE])
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        media = sorted(n for n in z.namelist() if n.startswith("xl/media/"))
        assert len(media) == 2
        for name in media:
            assert Image.open(io.BytesIO(z.read(name))).size == (900, 380)
    ws = openpyxl.load_workbook(io.BytesIO(data))["Biểu đồ"]
    assert ws["A1"].value == CHART.title
    assert "Biểu đồ" not in openpyxl.load_workbook(io.BytesIO(to_xlsx([TABLE]))).sheetnames


def test_xlsx_keeps_formula_like_text_as_text() -> None:
    table = make_table()
    table.rows[0].label = '=HYPERLINK("http://example.invalid","x")'
    ws = openpyxl.load_workbook(io.BytesIO(to_xlsx([table])))["XLD01"]
    assert ws["A8"].data_type == "s"
    assert ws["A8"].value == table.rows[0].label
    assert ws["A8"].quotePrefix


def test_xlsx_sheet_names_stay_unique() -> None:
    wb = openpyxl.load_workbook(io.BytesIO(to_xlsx([TABLE, TABLE])))
    assert wb.sheetnames == ["XLD01", "XLD01 (2)"]
    with pytest.raises(ValueError):
        to_xlsx([])


# --- CSV ------------------------------------------------------------------------------------------------------

def test_csv_header_is_the_leaf_paths_then_the_rows() -> None:
    text = to_csv(TABLE)
    lines = text.splitlines()
    assert lines[0] == ("Đơn vị,Tổng số đơn,Số đơn / Tiếp nhận / Kỳ trước chuyển sang,Số đơn / Tiếp nhận / Trong kỳ,"
                        "Số đơn / Đã xử lý,Phân loại theo nội dung / Khiếu nại,Phân loại theo nội dung / Tố cáo,"
                        '"Phân loại theo nội dung / Kiến nghị, phản ánh"')
    assert lines[1] == "Ban Nội chính Tỉnh ủy,12,2,10,9,4,3,5"
    assert lines[2] == "Ủy ban Kiểm tra Tỉnh ủy,1234,34,1200,1100,600,400,234"
    assert lines[4] == "Tổng cộng,1253,36,1217,1115,605,404,244"
    assert len(lines) == 5
    parsed = list(csv.reader(io.StringIO(text)))
    assert [int(v) for v in parsed[4][1:]] == TOTALS
    assert not text.startswith("\ufeff")  # the caller adds the BOM


def test_csv_neutralises_formula_like_text() -> None:
    table = make_table()
    table.rows[0].label = "=1+2"
    assert to_csv(table).splitlines()[1].startswith("'=1+2,")
    assert to_csv(table, delimiter=";").splitlines()[2] == "Ủy ban Kiểm tra Tỉnh ủy;1234;34;1200;1100;600;400;234"


# --- PDF ------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def pdf_bytes() -> bytes:
    return to_pdf([TABLE], [CHART])


def pdf_pages_text(data: bytes) -> list[str]:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return [page.extract_text() or "" for page in pdf.pages]


def test_pdf_contains_title_period_units_and_numbers(pdf_bytes: bytes) -> None:
    assert pdf_bytes.startswith(b"%PDF")
    pages = pdf_pages_text(pdf_bytes)
    first = pages[0]
    for text in (TITLE, PERIOD, "Biểu số XLD01", *UNITS, "Tổng cộng", "Tiếp nhận", "Khiếu nại", NOTE):
        assert text in first, text
    with pdfplumber.open(io.BytesIO(pdf_bytes)) as pdf:
        words = {w["text"] for w in pdf.pages[0].extract_words()}
    # header labels wrapped inside their cells come out line by line, so look for their words
    assert {"Kỳ", "trước", "chuyển", "sang", "Kiến", "nghị,", "phản", "ánh"} <= words
    # every number of the table, thousands grouped the Vietnamese way
    expected = {f"{v:,}".replace(",", ".") for row in [*VALUES, TOTALS] for v in row}
    assert expected <= words
    assert "1.234" in words and "1234" not in words
    assert "Biểu đồ" in pages[-1]


def test_pdf_first_page_renders_with_ink(pdf_bytes: bytes, tmp_path: Path) -> None:
    (tmp_path / "r.pdf").write_bytes(pdf_bytes)
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(tmp_path / "r.pdf"),
                    str(tmp_path / "page")], check=True, timeout=60)
    image = Image.open(next(tmp_path.glob("page*.png"))).convert("L")
    assert image.width > image.height  # landscape
    dark = sum(image.histogram()[:128])
    assert dark > image.width * image.height * 0.005


def test_pdf_long_tables_repeat_the_headers_on_every_page() -> None:
    pages = pdf_pages_text(to_pdf([make_table(rows=60)]))
    assert len(pages) >= 3
    for text in pages:
        assert "Đơn vị" in text and "Tiếp nhận" in text and "Phân loại theo nội dung" in text
    assert "Đơn vị số 60" in "".join(pages)
    assert "Tổng cộng" in pages[-1]


def test_pdf_splits_a_table_too_wide_for_the_page() -> None:
    wide = [*COLUMNS, *(Column(f"extra.{i}", ("Đơn nhiều người đứng tên", f"Nhóm {i + 1}")) for i in range(20))]
    pages = pdf_pages_text(to_pdf([make_table(columns=wide)]))
    assert len(pages) == 2
    assert "(tiếp theo)" not in pages[0] and "(tiếp theo)" in pages[1]
    assert pages[1].count("Nhóm") == 20 and "Nhóm" not in pages[0]  # the 20 extra leaves fill the second page
    assert "Khiếu nại" in pages[0] and "Khiếu nại" not in pages[1]
    assert all("Ủy ban Kiểm tra Tỉnh ủy" in p for p in pages)  # the unit column repeats


# --- charts ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["bar", "line", "stacked"])
def test_chart_png_has_the_requested_size_and_draws_every_series(kind: str) -> None:
    chart = dataclasses.replace(CHART, kind=kind)
    png = render_png(chart, width_px=641, height_px=287)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (641, 287)
    seen = colours(png)
    assert len(seen) > 2
    assert rgb(PALETTE[0]) in seen and rgb(PALETTE[1]) in seen
    assert Image.open(io.BytesIO(render_png(chart))).size == (900, 380)


def test_chart_without_data_says_so() -> None:
    png = render_png(Chart("Trống", "bar", [], {}))
    assert rgb(PALETTE[0]) not in colours(png)
    assert len(colours(png)) > 2  # title and message are drawn


def test_chart_y_axis_counts_whole_letters_and_text_uses_dejavu() -> None:
    fig = charts_module._figure(LINE, 9, 3.8, 100)
    FigureCanvasAgg(fig).draw()
    ax = fig.axes[0]
    ticks = [t for t in ax.get_yticks() if ax.get_ylim()[0] <= t <= ax.get_ylim()[1]]
    assert len(ticks) >= 2 and all(float(t).is_integer() for t in ticks)
    assert ax.get_title(loc="left") == "Vụ việc quá hạn"
    assert Path(findfont(ax.title.get_fontproperties())).name.startswith("DejaVuSans")


def test_chart_rejects_mismatched_series() -> None:
    with pytest.raises(ValueError):
        render_png(Chart("x", "bar", ["a", "b"], {"s": [1]}))
    with pytest.raises(ValueError):
        render_png(Chart("x", "pie", ["a"], {"s": [1]}))


def test_svg_is_a_data_uri_without_script_or_external_reference() -> None:
    uri = svg_data_uri(CHART)
    assert uri.startswith("data:image/svg+xml;base64,")
    svg = base64.b64decode(uri.split(",", 1)[1]).decode("utf-8")
    assert "<svg" in svg
    lowered = svg.lower()
    for bad in ("<script", "javascript:", "onload=", "<foreignobject", "http://example", "<image"):
        assert bad not in lowered
    assert render_svg(CHART) == svg  # stable output: no date, fixed ids
