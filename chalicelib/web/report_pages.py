"""Dashboard, reports page with exports, and the printable incident report (HTML and PDF)."""
from __future__ import annotations

from typing import Any

from chalice import Response

from .. import catalogs, exports, history, incident_report, incidents, stats_snapshot
from ..alerts import SEVERITIES
from ..errors import ValidationError
from . import http, i18n
from .charts import SEVERITY_COLOURS, series_table, stacked_bars
from .guard import page
from .render import render

INCIDENT_NOT_FOUND = "Incidente no encontrado / Incident not found"
FILTERS = ("date_from", "date_to", "type", "severity", "status", "assignee")


def _charts(req: Any, ctx: dict[str, Any], s: dict[str, Any]) -> dict[str, Any]:
    lang = i18n.language(req, ctx.get("user"))
    t = i18n.translator(lang)
    sev_labels = catalogs.labels("severidad") if lang == "en" else {}
    type_labels = catalogs.labels("tipo") if lang == "en" else {}
    days, sev, daily = series_table(s["alerts"]["per_day_by_severity"], "day", "severity")
    sev = [x for x in SEVERITIES if x in sev]
    weeks, types, weekly = series_table(s["incidents"]["per_week_by_type"], "week", "type")
    return {"alerts_chart": stacked_bars("chart-alerts", t("alerts_per_day"), days, sev, daily, labels=sev_labels,
                                         colours=SEVERITY_COLOURS),
            "incidents_chart": stacked_bars("chart-incidents", t("incidents_per_week"), weeks, types, weekly,
                                            labels=type_labels)}


def _stats(req: Any) -> tuple[dict[str, str], dict[str, Any] | None, dict[str, str]]:
    q = {k: v for k, v in http.query(req).items() if v and k in FILTERS}
    try:
        return q, stats_snapshot.for_params({**q, "refresh": http.query(req).get("refresh")}), {}
    except ValidationError as err:
        return q, None, err.details


@page("viewer")
def dashboard(req: Any, ctx: dict[str, Any]) -> Any:
    q, s, errors = _stats(req)
    recent = history.search({"per_page": 10})["items"]
    return render(req, ctx, "dashboard.html", s=s, q=q, errors=errors, recent=recent, severities=SEVERITIES,
                  duration=incident_report.duration, counts=incidents.counts(), statuses=catalogs.STATUSES,
                  **(_charts(req, ctx, s) if s else {}))


@page("viewer")
def reports(req: Any, ctx: dict[str, Any]) -> Any:
    q, s, errors = _stats(req)
    return render(req, ctx, "reports.html", s=s, q=q, errors=errors, severities=SEVERITIES,
                  types=catalogs.values("tipo"), statuses=catalogs.STATUSES, duration=incident_report.duration,
                  export_forms=[(k, f, sorted({**q, "kind": k, "format": f}.items()))
                                for k in exports.KINDS for f in exports.FORMATS],
                  **(_charts(req, ctx, s) if s else {}))


@page("viewer")
def export(req: Any, ctx: dict[str, Any]) -> Any:
    query = http.form(req)
    params = {k: v for k, v in query.items() if v and k in FILTERS}
    result = exports.create(query.get("kind", "incidents"), query.get("format", "csv"), params, ctx["user"]["nombre_usuario"])
    return Response(body="", status_code=303, headers={"Location": result["url"]})


@page("viewer")
def incident_report_page(req: Any, ctx: dict[str, Any], incident_id: str) -> Any:
    report = incident_report.gather(http.path_id(incident_id, INCIDENT_NOT_FOUND))
    return render(req, ctx, "incident_report.html", r=report, duration=incident_report.duration)


@page("viewer")
def incident_report_pdf(req: Any, ctx: dict[str, Any], incident_id: str) -> Any:
    """Rendered to the reports bucket and handed over by a short-lived link: API Gateway returns binary bodies
    only when the browser's Accept header names their type, which a plain link does not."""
    iid = http.path_id(incident_id, INCIDENT_NOT_FOUND)
    link = incident_report.publish_pdf(iid, ctx["user"]["nombre_usuario"])
    return Response(body="", status_code=303, headers={"Location": link["url"]})


@page("viewer")
def confirm(req: Any, ctx: dict[str, Any]) -> Any:
    """The GET of a recorded request (a download, an export, a PDF): a button that POSTs it with the CSRF token,
    so a link from another site, a prefetch or a crawler writes nothing in the user's name."""
    return render(req, ctx, "confirm_post.html", action=http.current_path(req), fields=sorted(http.query(req).items()))
