"""Report tables as files: XLSX (openpyxl), CSV and a printable A4 landscape PDF (fpdf2, DejaVu fonts).

Every format shows the same thing: the form code, title and period, the nested column headers as merged cells,
one row per unit with whole numbers, the totals row in bold, the notes, and the charts. Cells hold plain values:
no spreadsheet formula, and text that a spreadsheet would run as one (a leading "=", "+", "-", "@") is kept as text.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from fpdf import FPDF
from fpdf.enums import MethodReturnValue, XPos, YPos
from openpyxl import Workbook
from openpyxl.drawing.image import Image as XlsxImage
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from core.fonts import FAMILY as _FAMILY
from core.fonts import FONT_DIR
from core.fonts import font_files as _font_files
from ingest.reports.charts import render_png
from ingest.reports.tables import Chart, Column, ReportTable

LABEL_HEADER = "Đơn vị"  # the first column's header: one row per unit
CHARTS_SHEET = "Biểu đồ"
FORM_PREFIX = "Biểu số"
CONTINUED = "(tiếp theo)"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _nfc(text: str) -> str:
    """Decomposed accents would print as loose combining marks and defeat search in the files."""
    return unicodedata.normalize("NFC", text)


def _safe_text(text: str) -> str:
    """CSV text a spreadsheet must not evaluate: a leading quote makes Excel and LibreOffice show it as typed."""
    text = _nfc(text)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _vn_int(n: int) -> str:
    """1234567 -> "1.234.567": Vietnamese documents group thousands with dots."""
    return f"{n:,}".replace(",", ".")


# --- header layout shared by XLSX and PDF ---------------------------------------------------------------------

@dataclass(frozen=True)
class _HeaderCell:
    label: str
    row: int  # header level, 0 = top
    col: int  # index of the first leaf column it covers
    colspan: int
    rowspan: int


def _header_cells(table: ReportTable) -> list[_HeaderCell]:
    """``header_rows()`` placed on a grid: a cell goes to the first column of its level that no taller cell from a
    level above already covers."""
    taken: set[tuple[int, int]] = set()
    cells: list[_HeaderCell] = []
    for level, row in enumerate(table.header_rows()):
        col = 0
        for label, colspan, rowspan in row:
            while (level, col) in taken:
                col += 1
            cells.append(_HeaderCell(_nfc(label), level, col, colspan, rowspan))
            taken.update((level + r, col + c) for r in range(rowspan) for c in range(colspan))
            col += colspan
    return cells


def _level_heights(cells: list[_HeaderCell], depth: int, need: dict[_HeaderCell, float], minimum: float) -> list[float]:
    """Height of each header level: enough for its one-level cells, then stretched at the bottom of a taller cell's
    span when that cell needs more than the levels it covers."""
    heights = [minimum] * depth
    for cell in cells:
        if cell.rowspan == 1:
            heights[cell.row] = max(heights[cell.row], need[cell])
    for cell in cells:
        if cell.rowspan > 1:
            last = cell.row + cell.rowspan - 1
            short = need[cell] - sum(heights[cell.row : last + 1])
            if short > 0:
                heights[last] += short
    return heights


def _cell_value(cells: dict[str, int], column: Column) -> int:
    return int(cells.get(column.key, 0))


# --- XLSX -----------------------------------------------------------------------------------------------------

_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="E7E6E6")
_TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
_NUMBER_FORMAT = "#,##0"  # the reader's locale picks the separator: 1.234 in Vietnamese Excel
_TITLE_ROWS = 4  # form code, title, period, a blank row; the headers start below
_POINTS_PER_LINE = 15.0
_IMAGE_ROWS = 21  # a 380 px chart covers 19 default rows of 20 px, plus a title row and a gap


def to_xlsx(tables: Sequence[ReportTable], charts: Sequence[Chart] = ()) -> bytes:
    """A workbook with one sheet per table (named by its form) and a "Biểu đồ" sheet holding the charts."""
    if not tables:
        raise ValueError("no report table to export")
    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.creator = "Donthu"
    wb.properties.title = _nfc(tables[0].title)
    used: set[str] = set()
    for table in tables:
        _table_sheet(wb.create_sheet(_sheet_name(table.form, used)), table)
    if charts:
        _charts_sheet(wb.create_sheet(_sheet_name(CHARTS_SHEET, used)), charts)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _sheet_name(name: str, used: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, unique regardless of case."""
    base = "".join(ch for ch in _nfc(name) if ch not in "[]:*?/\\").strip("'")[:28] or "Biểu"
    candidate, n = base, 1
    while candidate.casefold() in used:
        n += 1
        candidate = f"{base} ({n})"
    used.add(candidate.casefold())
    return candidate


def _put(ws: Worksheet, row: int, col: int, value: str | int) -> None:
    cell = ws.cell(row=row, column=col)
    if isinstance(value, str):
        cell.value = _nfc(value)
        cell.data_type = "s"  # openpyxl would store a string starting with "=" as a formula
        if value.startswith(_FORMULA_START):
            cell.quotePrefix = True  # and Excel would make it one when the cell is edited
    else:
        cell.value = value


def _table_sheet(ws: Worksheet, table: ReportTable) -> None:
    n_cols = len(table.columns) + 1  # the unit label, then one column per leaf
    last = get_column_letter(n_cols)
    depth = table.depth
    header_top = _TITLE_ROWS + 1
    first_data = header_top + depth

    # Title block: form code, title, period.
    _put(ws, 1, 1, f"{FORM_PREFIX} {table.form}")
    ws.cell(row=1, column=1).font = Font(bold=True)
    for row, text, font in ((2, table.title, Font(bold=True, size=14)),
                            (3, table.period_label, Font(italic=True, size=12))):
        _put(ws, row, 1, text)
        ws.cell(row=row, column=1).font = font
        ws.cell(row=row, column=1).alignment = Alignment(horizontal="center", vertical="center")
        if n_cols > 1:
            ws.merge_cells(f"A{row}:{last}{row}")
    ws.row_dimensions[2].height = 22

    # Column widths (in characters): the unit names, then each leaf sized to its longest word.
    label_width = max([len(LABEL_HEADER), *(len(r.label) for r in table.rows)]) + 2
    ws.column_dimensions["A"].width = min(max(label_width, 24), 48)
    widths = [ws.column_dimensions["A"].width]
    for i, column in enumerate(table.columns, start=2):
        longest_word = max((len(w) for w in column.path[-1].split()), default=4)
        width = min(max(longest_word + 3, 10), 16)
        ws.column_dimensions[get_column_letter(i)].width = width
        widths.append(width)

    # Nested headers as merged cells; the unit label column spans all header rows.
    _put(ws, header_top, 1, LABEL_HEADER)
    if depth > 1:
        ws.merge_cells(start_row=header_top, start_column=1, end_row=header_top + depth - 1, end_column=1)
    cells = _header_cells(table)
    for cell in cells:
        top, left = header_top + cell.row, 2 + cell.col
        _put(ws, top, left, cell.label)
        if cell.colspan > 1 or cell.rowspan > 1:
            ws.merge_cells(start_row=top, start_column=left,
                           end_row=top + cell.rowspan - 1, end_column=left + cell.colspan - 1)
    for row in range(header_top, first_data):
        for col in range(1, n_cols + 1):
            c = ws.cell(row=row, column=col)  # merged cells need the border on every covered cell
            c.border, c.alignment, c.fill, c.font = _BORDER, _CENTER, _HEADER_FILL, Font(bold=True)
    # Excel does not grow rows for wrapped text in merged cells: set the header heights from an estimate.
    need = {c: _POINTS_PER_LINE * _xlsx_lines(c.label, sum(widths[1 + c.col : 1 + c.col + c.colspan]))
            for c in cells}
    for level, height in enumerate(_level_heights(cells, depth, need, _POINTS_PER_LINE)):
        ws.row_dimensions[header_top + level].height = height

    # One row per unit; the totals row bold.
    for r, report_row in enumerate(table.rows):
        row = first_data + r
        _put(ws, row, 1, report_row.label)
        ws.cell(row=row, column=1).alignment = _LEFT
        for i, column in enumerate(table.columns, start=2):
            _put(ws, row, i, _cell_value(report_row.cells, column))
            ws.cell(row=row, column=i).number_format = _NUMBER_FORMAT
            ws.cell(row=row, column=i).alignment = Alignment(horizontal="right", vertical="center")
        for col in range(1, n_cols + 1):
            c = ws.cell(row=row, column=col)
            c.border = _BORDER
            if report_row.total:
                c.font, c.fill = Font(bold=True), _TOTAL_FILL
        lines = _xlsx_lines(report_row.label, widths[0])
        if lines > 1:
            ws.row_dimensions[row].height = _POINTS_PER_LINE * lines

    # Notes under the table, each across the table's width.
    row = first_data + len(table.rows) + 1
    for note in table.notes:
        _put(ws, row, 1, note)
        ws.cell(row=row, column=1).alignment = Alignment(horizontal="left", vertical="top", wrap_text=True)
        ws.cell(row=row, column=1).font = Font(italic=True)
        if n_cols > 1:
            ws.merge_cells(f"A{row}:{last}{row}")
        ws.row_dimensions[row].height = _POINTS_PER_LINE * _xlsx_lines(note, sum(widths))
        row += 1

    ws.freeze_panes = ws.cell(row=first_data, column=2)  # headers and unit names stay while scrolling
    ws.print_title_rows = f"{header_top}:{first_data - 1}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _xlsx_lines(text: str, width_chars: float) -> int:
    """Lines ``text`` wraps to in a cell ``width_chars`` wide (a slightly pessimistic word-wrap estimate)."""
    room = max(1, int(width_chars) - 1)
    lines, current = 1, 0
    for word in text.split():
        if current and current + 1 + len(word) > room:
            lines, current = lines + 1, 0
        current += (1 if current else 0) + len(word)
        while current > room:  # a word longer than the cell breaks across lines
            lines, current = lines + 1, current - room
    return lines


def _charts_sheet(ws: Worksheet, charts: Sequence[Chart]) -> None:
    row = 1
    for chart in charts:
        _put(ws, row, 1, chart.title)
        ws.cell(row=row, column=1).font = Font(bold=True, size=12)
        image = XlsxImage(io.BytesIO(render_png(chart)))
        ws.add_image(image, f"A{row + 1}")
        row += _IMAGE_ROWS


# --- CSV ------------------------------------------------------------------------------------------------------

def to_csv(table: ReportTable, *, delimiter: str = ",") -> str:
    """The table as CSV text: a header line of the leaf paths joined with " / ", then one line per row. The caller
    encodes it as UTF-8 with a BOM, which Excel needs to read the Vietnamese letters."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([LABEL_HEADER, *(_safe_text(" / ".join(c.path)) for c in table.columns)])
    for row in table.rows:
        writer.writerow([_safe_text(row.label), *(_cell_value(row.cells, c) for c in table.columns)])
    return buf.getvalue()


# --- PDF ------------------------------------------------------------------------------------------------------


PDF_MARGIN = 10.0  # mm
LABEL_WIDTH = 55.0  # mm for the unit names
MIN_COL = 11.0  # mm: narrower number columns would break every header word; split the table instead
MAX_COL = 24.0
HEADER_SIZE, HEADER_LINE = 7.0, 3.1  # pt, mm per line
BODY_SIZE, BODY_LINE = 8.5, 4.2
PAD = 1.0  # mm above and below text in a cell
CHART_WIDTH = 250.0  # mm; rendered at 2x the screen resolution for print


class _ReportPdf(FPDF):
    def footer(self) -> None:
        self.set_y(-8)
        self.set_font(_FAMILY, "", 8)
        self.cell(0, 4, f"Trang {self.page_no()}/{{nb}}", align="C")


def to_pdf(tables: Sequence[ReportTable], charts: Sequence[Chart] = ()) -> bytes:
    """A printable A4 landscape report: each table from a new page under its title and period, headers repeated on
    every page, tables too wide for the page split into column groups, then the charts."""
    if not tables:
        raise ValueError("no report table to export")
    pdf = _ReportPdf(orientation="L", unit="mm", format="A4")
    for style, path in _font_files(FONT_DIR).items():
        pdf.add_font(_FAMILY, style, str(path))
    pdf.set_margins(PDF_MARGIN, PDF_MARGIN, PDF_MARGIN)
    pdf.set_auto_page_break(auto=False, margin=PDF_MARGIN + 4)  # rows break pages themselves, keeping headers
    pdf.set_title(_nfc(tables[0].title))
    pdf.set_subject(_nfc(tables[0].period_label))
    pdf.set_creator("Donthu")
    pdf.set_lang("vi")
    pdf.c_margin = 0.8
    for table in tables:
        _pdf_table(pdf, table)
    if charts:
        _pdf_charts(pdf, charts)
    return bytes(pdf.output())


def _bottom(pdf: FPDF) -> float:
    return pdf.h - PDF_MARGIN - 6  # room for the page number


def _pdf_title(pdf: FPDF, table: ReportTable, continued: bool) -> None:
    pdf.set_font(_FAMILY, "B", 9)
    pdf.cell(0, 5, f"{FORM_PREFIX} {table.form}", align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(_FAMILY, "B", 13)
    title = _nfc(table.title) + (f" {CONTINUED}" if continued else "")
    pdf.multi_cell(0, 6, title, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(_FAMILY, "I", 10)
    pdf.multi_cell(0, 5, _nfc(table.period_label), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)


def _column_chunks(table: ReportTable, per_page: int) -> list[list[Column]]:
    """Columns in groups that fit a page, cutting between top-level header groups where possible."""
    groups: list[list[Column]] = []
    for column in table.columns:
        if groups and groups[-1][0].path[:1] == column.path[:1] and len(column.path) > 1:
            groups[-1].append(column)
        else:
            groups.append([column])
    chunks: list[list[Column]] = [[]]
    for group in groups:
        while len(group) > per_page:  # a group wider than a page: cut it into page-wide pieces
            if chunks[-1]:
                chunks.append([])
            chunks[-1].extend(group[:per_page])
            chunks.append([])
            group = group[per_page:]
        if len(chunks[-1]) + len(group) > per_page:
            chunks.append([])
        chunks[-1].extend(group)
    return [chunk for chunk in chunks if chunk] or [[]]


def _pdf_table(pdf: FPDF, table: ReportTable) -> None:
    per_page = max(1, int((pdf.w - 2 * PDF_MARGIN - LABEL_WIDTH) // MIN_COL))
    for k, columns in enumerate(_column_chunks(table, per_page)):
        part = dataclasses.replace(table, columns=columns)
        pdf.add_page()
        _pdf_title(pdf, table, continued=k > 0)
        _pdf_table_part(pdf, part)
    if table.notes:
        pdf.ln(2)
        pdf.set_font(_FAMILY, "I", 8.5)
        pdf.set_auto_page_break(auto=True, margin=pdf.h - _bottom(pdf))  # free text may flow onto a new page
        for note in table.notes:
            pdf.multi_cell(0, BODY_LINE, _nfc(note), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_auto_page_break(auto=False)


def _lines(pdf: FPDF, width: float, text: str) -> int:
    return max(1, len(pdf.multi_cell(width, 1, text, dry_run=True, output=MethodReturnValue.LINES)))


def _boxed_text(pdf: FPDF, x: float, y: float, w: float, h: float, text: str, line: float, align: str,
                fill: tuple[int, int, int] | None = None) -> None:
    """A bordered box with ``text`` wrapped inside and centred vertically."""
    if fill:
        pdf.set_fill_color(*fill)
    pdf.rect(x, y, w, h, style="DF" if fill else "D")
    text_h = _lines(pdf, w, text) * line
    pdf.set_xy(x, y + (h - text_h) / 2)
    pdf.multi_cell(w, line, text, align=align, new_x=XPos.RIGHT, new_y=YPos.TOP)


def _pdf_table_part(pdf: FPDF, table: ReportTable) -> None:
    n = len(table.columns)
    col_w = min(MAX_COL, (pdf.w - 2 * PDF_MARGIN - LABEL_WIDTH) / max(n, 1))
    cells = _header_cells(table)
    pdf.set_font(_FAMILY, "B", HEADER_SIZE)
    need = {c: _lines(pdf, c.colspan * col_w, c.label) * HEADER_LINE + 2 * PAD for c in cells}
    heights = _level_heights(cells, table.depth, need, HEADER_LINE + 2 * PAD)
    header_h = sum(heights)
    label_w = LABEL_WIDTH
    left = (pdf.w - label_w - n * col_w) / 2  # a narrow table sits in the middle of the page

    def draw_header() -> None:
        top = pdf.get_y()
        pdf.set_font(_FAMILY, "B", HEADER_SIZE)
        pdf.set_draw_color(0, 0, 0)
        _boxed_text(pdf, left, top, label_w, header_h, LABEL_HEADER, HEADER_LINE, "C", (231, 230, 230))
        for c in cells:
            y = top + sum(heights[: c.row])
            h = sum(heights[c.row : c.row + c.rowspan])
            _boxed_text(pdf, left + label_w + c.col * col_w, y, c.colspan * col_w, h, c.label, HEADER_LINE, "C",
                        (231, 230, 230))
        pdf.set_xy(PDF_MARGIN, top + header_h)

    draw_header()
    for row in table.rows:
        label = _nfc(row.label)
        pdf.set_font(_FAMILY, "B" if row.total else "", BODY_SIZE)
        row_h = _lines(pdf, label_w, label) * BODY_LINE + 2 * PAD
        if pdf.get_y() + row_h > _bottom(pdf):
            pdf.add_page()
            draw_header()
            pdf.set_font(_FAMILY, "B" if row.total else "", BODY_SIZE)
        y, x = pdf.get_y(), left
        fill = (242, 242, 242) if row.total else None
        _boxed_text(pdf, x, y, label_w, row_h, label, BODY_LINE, "L", fill)
        for i, column in enumerate(table.columns):
            _boxed_text(pdf, x + label_w + i * col_w, y, col_w, row_h, _vn_int(_cell_value(row.cells, column)),
                        BODY_LINE, "R", fill)
        pdf.set_xy(PDF_MARGIN, y + row_h)


def _pdf_charts(pdf: FPDF, charts: Sequence[Chart]) -> None:
    pdf.add_page()
    pdf.set_font(_FAMILY, "B", 13)
    pdf.cell(0, 8, CHARTS_SHEET, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    width_px, height_px = 1800, 760  # the 900 x 380 layout at 200 dpi
    height = CHART_WIDTH * height_px / width_px
    for chart in charts:
        if pdf.get_y() + height > _bottom(pdf):
            pdf.add_page()
        png = render_png(chart, width_px=width_px, height_px=height_px, dpi=200)
        x = (pdf.w - CHART_WIDTH) / 2
        pdf.image(io.BytesIO(png), x=x, y=pdf.get_y(), w=CHART_WIDTH, h=height)
        pdf.set_y(pdf.get_y() + height + 4)

