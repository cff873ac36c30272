"""Reports filed for download: the scheduled weekly report (last full week, once), or any period on demand.
Files are written before their row, so a listed report is always on disk; filing the same period again returns
the report already filed."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from core.periods import Period
from ingest.reports.export import to_pdf, to_xlsx
from ingest.reports.service import build_report, last_full_week
from ingest.services import Services
from ingest.storage import write_atomic
from models import ReportFile


def file_report(svc: Services, period: Period, *, by: str = "job") -> tuple[ReportFile, bool]:
    """The filed report of ``period`` and whether it was made now (False: it had been filed before)."""
    with svc.db.read() as session:
        existing = session.scalar(select(ReportFile).where(
            ReportFile.kind == period.kind, ReportFile.start == period.start, ReportFile.end == period.end,
            ReportFile.statistical == period.statistical))
        if existing is not None:
            return existing, False
        report = build_report(session, period)
    stem = f"reports/{period.kind}-{period.start:%Y%m%d}-{period.end:%Y%m%d}{'-tk' if period.statistical else ''}"
    write_atomic(svc.settings.data_dir / f"{stem}.xlsx", to_xlsx(report.tables(), report.charts))
    write_atomic(svc.settings.data_dir / f"{stem}.pdf", to_pdf(report.tables(), report.charts))
    with svc.db.write() as session:
        row = ReportFile(kind=period.kind, start=period.start, end=period.end, statistical=period.statistical,
                         label=period.label, xlsx_path=f"{stem}.xlsx", pdf_path=f"{stem}.pdf", generated_by=by)
        session.add(row)
    return row, True


def file_weekly_report(svc: Services, today: date | None = None) -> tuple[ReportFile, bool]:
    """The scheduled job's work: last full week's report, filed once."""
    return file_report(svc, last_full_week(today or date.today()))
