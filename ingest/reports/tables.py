"""The shape every report table has, whatever renders it (the page, XLSX, PDF, CSV): nested column headers, one
row per unit, whole numbers in the cells, and for each cell a drill-down key naming the letters behind it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class Column:
    key: str  # the leaf's key, e.g. "received.in_period"
    path: tuple[str, ...]  # header labels from the top level down to this leaf, e.g. ("Số đơn", "Tiếp nhận", "Trong kỳ")


@dataclass
class ReportRow:
    label: str  # the unit (e.g. "Ban Nội chính Tỉnh ủy") or "Tổng cộng"
    cells: dict[str, int]  # column key -> count
    drill: dict[str, str] = field(default_factory=dict)  # column key -> drill-down key (see ingest.reports.drill)
    total: bool = False  # the totals row


@dataclass
class ReportTable:
    form: str  # "XLD01", "XLD02", "XLD03", "XLD04", "TCD01"
    title: str  # e.g. "Tổng hợp kết quả xử lý đơn"
    period_label: str  # e.g. "Quý I năm 2026 (15/12/2025 – 14/03/2026)"
    start: date
    end: date  # inclusive
    columns: list[Column]
    rows: list[ReportRow]
    notes: list[str] = field(default_factory=list)

    @property
    def depth(self) -> int:
        return max((len(c.path) for c in self.columns), default=1)

    def header_rows(self) -> list[list[tuple[str, int, int]]]:
        """The column headers as rows of (label, colspan, rowspan), top level first, for HTML tables and merged
        spreadsheet cells. A leaf shallower than the deepest spans the remaining rows downwards."""
        depth = self.depth
        rows: list[list[tuple[str, int, int]]] = [[] for _ in range(depth)]
        for level in range(depth):
            i = 0
            while i < len(self.columns):
                path = self.columns[i].path
                if level >= len(path):
                    i += 1
                    continue
                prefix = path[: level + 1]
                span = 1
                while i + span < len(self.columns) and self.columns[i + span].path[: level + 1] == prefix:
                    span += 1
                leaf = level == len(path) - 1
                rowspan = depth - level if leaf else 1
                if not (leaf and span > 1):
                    rows[level].append((path[level], span, rowspan))
                else:  # two leaves with the same path: keep them apart
                    rows[level] += [(path[level], 1, rowspan)] * span
                i += span
        return rows

    def value(self, row_label: str, key: str) -> int:
        for row in self.rows:
            if row.label == row_label:
                return row.cells.get(key, 0)
        raise KeyError(row_label)


@dataclass
class Chart:
    """A chart of the report: categories along the x axis, one series per line or bar group."""

    title: str
    kind: str  # "bar" | "line" | "stacked"
    categories: list[str]
    series: dict[str, list[int]]  # name -> one value per category
    y_label: str = "Số đơn"
