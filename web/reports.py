"""Reports: pick a period, read the five forms with every cell linking to the letters behind it, see the charts,
download XLSX, PDF or CSV, and the weekly reports the scheduled job filed."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, g, render_template, request, send_file
from flask_babel import gettext
from sqlalchemy import select

from core.periods import parse_period
from ingest.confidentiality import PROTECTED_TYPE, visibilities
from ingest.reception import identity_shown
from ingest.reports.charts import svg_data_uri
from ingest.reports.export import to_csv, to_pdf, to_xlsx
from ingest.reports.service import FORM_ORDER, build_report, drill
from models import Dossier, Letter, ReportFile
from models.audit import record
from models.reception import ReceptionSession, Visit
from web.app import services
from web.letter_view import masked_file_name
from web.permissions import requires

reports = Blueprint("reports", __name__)
KINDS = ("week", "month", "quarter", "half", "nine_months", "year", "custom")


def _period():  # noqa: ANN202
    try:
        return parse_period(request.args, date.today())
    except ValueError as exc:
        abort(400, description=str(exc))


def _period_args() -> dict[str, str]:
    keep = ("kind", "year", "q", "month", "week", "date", "start", "end", "stat")
    return {k: v for k, v in request.args.items() if k in keep and v}


@reports.route("/reports")
@requires("reports.view")
def index():  # noqa: ANN201
    period = _period()
    with services().db.read() as db:
        report = build_report(db, period)
        files = list(db.scalars(select(ReportFile).order_by(ReportFile.generated_at.desc()).limit(10)))
    charts = [(chart.title, svg_data_uri(chart)) for chart in report.charts]
    return render_template("reports.html", report=report, period=period, charts=charts, forms=FORM_ORDER,
                           files=files, kinds=KINDS, args=_period_args(), today=date.today())


@reports.route("/reports/drill")
@requires("reports.view")
def drill_down():  # noqa: ANN201
    period = _period()
    key = request.args.get("key", "")
    dossiers: dict[int, Dossier] = {}
    with services().db.read() as db:
        try:
            what, ids = drill(db, period, key)
        except ValueError as exc:
            abort(400, description=str(exc))
        if what == "visits":
            found = db.execute(select(Visit, ReceptionSession).join(ReceptionSession)
                               .where(Visit.id.in_(ids)).order_by(ReceptionSession.held_on, Visit.id)).all()
            dossiers = {d.id: d for d in db.scalars(select(Dossier).where(
                Dossier.id.in_({v.dossier_id for v, _ in found if v.dossier_id})))}
            # a denouncer received in person is protected like one who wrote
            rows = [(visit, held, identity_shown(g.user, visit, held, dossiers.get(visit.dossier_id)))
                    for visit, held in found]
            letters, names = [], {}
        else:
            letters = list(db.scalars(select(Letter).where(Letter.id.in_(ids))
                                      .order_by(Letter.received_date, Letter.id)))
            views = visibilities(db, g.user, letters)
            names = {x.id: masked_file_name(views[x.id].masker, x.original_name) for x in letters}
            rows = []
    # every view of a denouncer received in person is audited, as on the reception page
    protected = [(visit.id, held.id, shown) for visit, held, shown in rows
                 if visit.type == PROTECTED_TYPE or (visit.dossier_id in dossiers and dossiers[visit.dossier_id].protected)]
    if protected:
        with services().db.write() as db:
            for visit_id, session_id, shown in protected:
                record(db, "view_protected_visit", actor="web", user_id=g.user.id, visit=visit_id,
                       reception_session=session_id, identity_shown=shown, via="report_drill")
    return render_template("report_drill.html", period=period, key=key, letters=letters, visits=rows,
                           args=_period_args(), names=names)


def _download(data: bytes, mimetype: str, name: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _file_stem(period) -> str:  # noqa: ANN001
    return f"bao-cao-{period.start:%Y%m%d}-{period.end:%Y%m%d}"


@reports.route("/reports/export.xlsx")
@requires("reports.view")
def export_xlsx():  # noqa: ANN201
    period = _period()
    with services().db.read() as db:
        report = build_report(db, period)
    return _download(to_xlsx(report.tables(), report.charts),
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _file_stem(period) + ".xlsx")


@reports.route("/reports/export.pdf")
@requires("reports.view")
def export_pdf():  # noqa: ANN201
    period = _period()
    with services().db.read() as db:
        report = build_report(db, period)
    return _download(to_pdf(report.tables(), report.charts), "application/pdf", _file_stem(period) + ".pdf")


@reports.route("/reports/export.csv")
@requires("reports.view")
def export_csv():  # noqa: ANN201
    period = _period()
    form = request.args.get("form", "XLD01")
    if form not in FORM_ORDER:
        abort(400, description=gettext("Không có biểu %(form)s", form=form))
    with services().db.read() as db:
        report = build_report(db, period, with_charts=False)
    text = "\ufeff" + to_csv(report.forms[form].table)  # the BOM makes spreadsheet programs read UTF-8
    return _download(text.encode(), "text/csv; charset=utf-8", f"{_file_stem(period)}-{form}.csv")


@reports.route("/reports/files/<int:file_id>.<ext>")
@requires("reports.view")
def stored(file_id: int, ext: str):  # noqa: ANN201
    with services().db.read() as db:
        row = db.get(ReportFile, file_id)
        if row is None or ext not in ("xlsx", "pdf"):
            abort(404)
        path = services().settings.data_dir / (row.xlsx_path if ext == "xlsx" else row.pdf_path)
        name = f"bao-cao-tuan-{row.start:%Y%m%d}.{ext}"
    return send_file(path, as_attachment=True, download_name=name)
