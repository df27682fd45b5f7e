"""Report pages, their CSV and XLSX downloads, and the full attendance data."""

import io
from datetime import date

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from ..core import access, audit
from ..core.spreadsheets import csv_chunks, csv_line, xlsx_bytes
from ..core.text import page_number
from ..extensions import db
from ..people.models import Community
from . import charts, completion, donor_tables, figures, program, services, tables
from . import sentences as _sentences  # noqa: F401 (the reports' audit sentences)
from .forms import IndicatorForm, MatrixForm, PeopleForm, PeriodForm, RuleForm

bp = Blueprint("reports", __name__, url_prefix="/reports")
MANAGERS = ("admin", "coordinator")
PEOPLE_PER_PAGE = 100
MATRIX_PER_PAGE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.app_context_processor
def report_labels():
    return {"CELL_MARKS": tables.CELL_MARKS, "CELL_LABELS": tables.CELL_LABELS}


def _page():
    return request.args.get("page", 1, type=page_number)


def _download(report_tables, name, filters, personal):
    """Answer ?format=csv|xlsx with the report's tables, and log the export; else None."""
    chosen = request.args.get("format")
    if chosen not in ("csv", "xlsx"):
        return None
    codes = request.args.get("headers") == "codes"
    stamp = date.today().isoformat()
    table = None
    if chosen == "csv":
        wanted = request.args.get("table") or report_tables[0].code
        table = next((t for t in report_tables if t.code == wanted), None)
        if table is None:
            abort(404)  # before logging: nothing was exported
    audit.record(
        current_user, "export", "report", report=name, format=chosen, filters=filters, personal=personal
    )
    db.session.commit()
    if chosen == "xlsx":
        body = xlsx_bytes(
            [(table.title, table.header(codes), table.values(codes)) for table in report_tables]
        )
        return send_file(
            io.BytesIO(body), mimetype=XLSX, as_attachment=True, download_name=f"{name}-{stamp}.xlsx"
        )
    lines = [csv_line(table.header(codes)), *(csv_line(values) for values in table.values(codes))]
    return send_file(
        io.BytesIO(("\ufeff" + "".join(lines)).encode("utf-8")),  # the BOM lets Excel read UTF-8
        mimetype="text/csv",
        as_attachment=True,
        download_name=f"{name}-{table.code}-{stamp}.csv",
    )


def _period(form):
    community = form.community.data or None
    return services.Period(form.start.data, form.end.data, community)


@bp.route("/")
@access.roles(*MANAGERS)
def index():
    return render_template("reports/index.html", rule=services.trained_rule())


@bp.route("/summary")
@access.roles(*MANAGERS)
def summary():
    form = PeriodForm(request.args, communities=services.communities())
    if request.args and not form.validate():
        return render_template("reports/summary.html", form=form, result=None), 400
    period = _period(form)
    filters = period.query_args()
    result = program.summary(period)
    report_tables = tables.summary_tables(result, filters)
    download = _download(report_tables, "resumen", filters, personal=False)
    if download is not None:
        return download
    sessions = report_tables[2]
    page = _page()
    per_page = 50
    shown_sessions = sessions.rows[(page - 1) * per_page : page * per_page]
    return render_template(
        "reports/summary.html",
        form=form,
        result=result,
        tables=report_tables,
        shown_sessions=shown_sessions,
        page=page,
        pages=max(1, -(-len(sessions.rows) // per_page)),
        filters=filters,
        module_chart=charts.module_bars(result.by_module),
        progress_chart=charts.progress_lines(result.months),
    )


@bp.route("/indicators")
@access.roles(*MANAGERS)
def indicators():
    form = IndicatorForm(request.args, communities=services.communities())
    if request.args and not form.validate():
        return render_template("reports/indicators.html", form=form, result=None), 400
    year = form.chosen_year()
    form.year.data = year
    community = form.community.data or None
    result = figures.indicators(year, community)
    filters = {"year": year, **({"community": community} if community else {})}
    report_tables = donor_tables.indicator_tables(result, filters)
    download = _download(report_tables, f"indicadores-af{year}", filters, personal=False)
    if download is not None:
        return download
    start, end = services.fiscal_year_bounds(year)
    return render_template(
        "reports/indicators.html",
        form=form,
        result=result,
        tables=report_tables,
        filters=filters,
        start=start,
        end=end,
    )


@bp.route("/people")
@access.roles(*MANAGERS)
def people():
    form = PeopleForm(request.args, communities=services.communities())
    if not form.validate():
        return render_template("reports/people.html", form=form, table=None), 400
    start, end = form.period_bounds()
    period = services.Period(start, end, form.community.data or None)
    rule = services.trained_rule()
    chosen = figures.select_people(
        services.reached(period, with_names=True),
        sex=form.sex.data,
        age=form.age.data,
        practice=form.practice.data,
        trained=form.trained.data,
        rule=rule,
    )
    filters = {key: value for key, value in request.args.items() if key not in ("page", "format", "headers")}
    page = _page()
    if request.args.get("format"):
        table = tables.people_table(figures.people_rows(chosen))
        download = _download([table], "personas", filters, personal=True)
        if download is not None:  # (else a format it does not know: the page)
            return download
    rows = figures.people_rows(chosen)
    table = tables.people_table(rows[(page - 1) * PEOPLE_PER_PAGE : page * PEOPLE_PER_PAGE])
    return render_template(
        "reports/people.html",
        form=form,
        table=table,
        count=len(rows),
        page=page,
        pages=max(1, -(-len(rows) // PEOPLE_PER_PAGE)),
        filters=filters,
        start=start,
        end=end,
    )


@bp.route("/matrix")
@access.roles(*MANAGERS)
def matrix():
    communities = services.communities()
    form = MatrixForm(request.args, communities=communities)
    if not communities:
        return render_template("reports/matrix.html", form=form, community=None)
    if "community" not in request.args:
        form.community.data = communities[0].id
    elif not form.validate():
        return render_template("reports/matrix.html", form=form, community=None), 400
    community = db.session.get(Community, form.community.data)
    period = services.Period(form.start.data, form.end.data, community.id)
    filters = period.query_args()
    rule = services.trained_rule()
    people = services.reached(period)  # who counts in the community, as in every report
    walk_ins = completion.walk_in_rows(community, period, people, rule)
    if request.args.get("format"):
        rows, _total, numbers = completion.matrix(community, period, 1, per_page=None)
        download = _download(
            [tables.matrix_table(rows, numbers, walk_ins)], f"matriz-{community.code}", filters, personal=True
        )
        if download is not None:  # (else a format it does not know: the page)
            return download
    page = _page()
    expanded = request.args.get("expand") == "1"
    per_page = MATRIX_PER_PAGE // 2 if expanded else MATRIX_PER_PAGE  # a page stays under 100 KB
    rows, total, numbers = completion.matrix(community, period, page, per_page)
    return render_template(
        "reports/matrix.html",
        form=form,
        community=community,
        rows=rows,
        walk_ins=walk_ins,
        totals=completion.community_totals(community, period, rule, people),
        numbers=numbers,
        rule=rule,
        page=page,
        pages=max(1, -(-total // per_page)),
        filters=filters,
        expanded=expanded,
    )


@bp.route("/attendance.csv")
@access.roles(*MANAGERS)
def attendance_csv():
    """Every attendance record as one flat CSV, streamed: memory does not grow with the rows."""
    form = PeriodForm(request.args, communities=services.communities())
    if request.args and not form.validate():
        flash(" ".join(error for errors in form.errors.values() for error in errors), "error")
        return redirect(url_for("reports.index"))
    period = _period(form)
    audit.record(
        current_user,
        "export",
        "report",
        report="attendance",
        format="csv",
        filters=period.query_args(),
        personal=True,
    )
    db.session.commit()

    response = Response(
        stream_with_context(csv_chunks(program.ATTENDANCE_COLUMNS, program.attendance_rows(period))),
        mimetype="text/csv",
    )
    # Streamed, so not send_file; Werkzeug quotes the (ASCII) file name.
    response.headers.set(
        "Content-Disposition", "attachment", filename=f"asistencia-{date.today().isoformat()}.csv"
    )
    return response


@bp.route("/settings", methods=["GET", "POST"])
@access.roles("admin")
def settings():
    rule = services.trained_rule()
    form = RuleForm(data=rule) if request.method == "GET" else RuleForm()
    if form.validate_on_submit():
        services.save_trained_rule(
            form.person_modules.data, form.family_modules.data, form.family_rule.data, current_user
        )
        db.session.commit()
        flash(_("Regla guardada. Los informes la usan desde ahora."), "success")
        return redirect(url_for("reports.index"))
    return render_template("reports/settings.html", form=form), 400 if form.errors else 200
