"""CyberIncident: routes and event handlers only. Each handler calls one function of chalicelib."""
from chalice import Chalice

from chalicelib import deploy as deploy_step
from chalicelib import evidence_arrival, logs
from chalicelib.api import core as api
from chalicelib.api import alerts as alerts_api
from chalicelib.api import evidence as evidence_api
from chalicelib.api import scans as scans_api
from chalicelib.config import get_settings
from chalicelib.pipeline import ingest, scheduled
from chalicelib.web import alert_pages, evidence_pages, http, pages, report_pages, scan_pages

app = Chalice(app_name="cyberincident")
logs.setup("cyberincident")  # Powertools' JSON logs in Lambda, for every function of this app
app.api.binary_types = ["application/octet-stream", "application/pdf", "image/png"]
FORM = ["application/x-www-form-urlencoded"]
JSON = ["application/json"]


@app.middleware("all")
def request_id(event, get_response):
    logs.bind(app.lambda_context)
    return get_response(event)


@app.middleware("http")
def security_headers(event, get_response):
    return http.add_security_headers(get_response(event))


def req():
    return app.current_request


# -- public ---------------------------------------------------------------------------------------
@app.route("/status")
def get_status():
    return api.health(req())


@app.route("/static/{name}")
def static(name):
    return pages.static_file(req(), name)


@app.route("/login", methods=["GET"])
def login_form():
    return pages.login_form(req())


@app.route("/login", methods=["POST"], content_types=FORM)
def login_submit():
    return pages.login_submit(req())


# -- pages ----------------------------------------------------------------------------------------
@app.route("/logout", methods=["POST"], content_types=FORM)
def logout():
    return pages.logout(req())


@app.route("/preferences", methods=["POST"], content_types=FORM)
def preferences():
    return pages.set_language(req())


@app.route("/", methods=["GET"])
def dashboard():
    return report_pages.dashboard(req())


@app.route("/reports", methods=["GET"])
def reports():
    return report_pages.reports(req())


@app.route("/reports/export", methods=["POST"], content_types=FORM)
def report_export():
    return report_pages.export(req())


@app.route("/reports/export", methods=["GET"])
def report_export_confirm():
    return report_pages.confirm(req())


@app.route("/incidents/{incident_id}/report", methods=["GET"])
def incident_report(incident_id):
    return report_pages.incident_report_page(req(), incident_id)


@app.route("/incidents/{incident_id}/report.pdf", methods=["POST"], content_types=FORM)
def incident_report_pdf(incident_id):
    return report_pages.incident_report_pdf(req(), incident_id)


@app.route("/incidents/{incident_id}/report.pdf", methods=["GET"])
def incident_report_pdf_confirm(incident_id):
    return report_pages.confirm(req())


@app.route("/incidents", methods=["GET"])
def incident_list():
    return pages.incident_list(req())


@app.route("/incidents", methods=["POST"], content_types=FORM)
def incident_create():
    return pages.incident_create(req())


@app.route("/incidents/new", methods=["GET"])
def incident_new():
    return pages.incident_new(req())


@app.route("/incidents/{incident_id}", methods=["GET"])
def incident_detail(incident_id):
    return pages.incident_detail(req(), incident_id)


@app.route("/incidents/{incident_id}", methods=["POST"], content_types=FORM)
def incident_update(incident_id):
    return pages.incident_update(req(), incident_id)


@app.route("/history", methods=["GET"])
def history_page():
    return pages.history_page(req())


@app.route("/users", methods=["GET"])
def users_page():
    return pages.users_page(req())


@app.route("/users", methods=["POST"], content_types=FORM)
def users_submit():
    return pages.users_submit(req())


@app.route("/catalogs", methods=["GET"])
def catalogs_page():
    return pages.catalogs_page(req())


@app.route("/catalogs", methods=["POST"], content_types=FORM)
def catalogs_submit():
    return pages.catalogs_submit(req())


@app.route("/incidents/{incident_id}/evidence/{evidence_id}/download", methods=["POST"], content_types=FORM)
def evidence_download(incident_id, evidence_id):
    return evidence_pages.download(req(), incident_id, evidence_id)


@app.route("/incidents/{incident_id}/evidence/{evidence_id}/download", methods=["GET"])
def evidence_download_confirm(incident_id, evidence_id):
    return report_pages.confirm(req())


@app.route("/incidents/{incident_id}/evidence/{evidence_id}", methods=["POST"], content_types=FORM)
def evidence_action(incident_id, evidence_id):
    return evidence_pages.action(req(), incident_id, evidence_id)


@app.route("/incidents/{incident_id}/custody.csv", methods=["POST"], content_types=FORM)
def custody_csv(incident_id):
    return evidence_pages.custody_csv(req(), incident_id)


@app.route("/incidents/{incident_id}/custody.csv", methods=["GET"])
def custody_csv_confirm(incident_id):
    return report_pages.confirm(req())


# -- JSON API -------------------------------------------------------------------------------------
@app.route("/api/auth/token", methods=["POST"], content_types=JSON)
def api_token():
    return api.token(req())


@app.route("/api/openapi.json", methods=["GET"])
def api_openapi():
    return api.openapi_doc(req(), app, globals())


@app.route("/api/me", methods=["GET"])
def api_me():
    return api.me(req())


@app.route("/api/auth/revoke", methods=["POST"], content_types=JSON)
def api_revoke_tokens():
    return api.revoke_tokens(req())


@app.route("/api/incidents", methods=["GET"])
def api_list_incidents():
    return api.list_incidents(req())


@app.route("/api/incidents", methods=["POST"], content_types=JSON)
def api_create_incident():
    return api.create_incident(req())


@app.route("/api/incidents/{incident_id}", methods=["GET"])
def api_get_incident(incident_id):
    return api.get_incident(req(), incident_id)


@app.route("/api/incidents/{incident_id}", methods=["PATCH"], content_types=JSON)
def api_update_incident(incident_id):
    return api.update_incident(req(), incident_id)


@app.route("/api/incidents/{incident_id}/history", methods=["GET"])
def api_incident_history(incident_id):
    return api.incident_history(req(), incident_id)


@app.route("/api/history", methods=["GET"])
def api_history():
    return api.global_history(req())


@app.route("/api/catalogs", methods=["GET"])
def api_catalogs():
    return api.list_catalogs(req())


@app.route("/api/catalogs", methods=["POST"], content_types=JSON)
def api_add_catalog_value():
    return api.add_catalog_value(req())


@app.route("/api/users", methods=["GET"])
def api_users():
    return api.list_users(req())


@app.route("/api/users", methods=["POST"], content_types=JSON)
def api_create_user():
    return api.create_user(req())


@app.route("/api/users/{user_id}", methods=["PATCH"], content_types=JSON)
def api_update_user(user_id):
    return api.update_user(req(), user_id)


@app.route("/api/incidents/{incident_id}/evidence", methods=["GET"])
def api_list_evidence(incident_id):
    return evidence_api.list_evidence(req(), incident_id)


@app.route("/api/incidents/{incident_id}/evidence", methods=["POST"], content_types=JSON)
def api_request_upload(incident_id):
    return evidence_api.request_upload(req(), incident_id)


@app.route("/api/incidents/{incident_id}/custody", methods=["GET"])
def api_custody(incident_id):
    return evidence_api.custody_log(req(), incident_id)


@app.route("/api/evidence/{evidence_id}", methods=["GET"])
def api_get_evidence(evidence_id):
    return evidence_api.get_evidence(req(), evidence_id)


@app.route("/api/evidence/{evidence_id}", methods=["DELETE"], content_types=JSON)
def api_delete_evidence(evidence_id):
    return evidence_api.delete(req(), evidence_id)


@app.route("/api/evidence/{evidence_id}/complete", methods=["POST"], content_types=JSON)
def api_complete_upload(evidence_id):
    return evidence_api.complete_upload(req(), evidence_id)


@app.route("/api/evidence/{evidence_id}/download", methods=["POST"], content_types=JSON)
def api_download_evidence(evidence_id):
    return evidence_api.download(req(), evidence_id)


@app.route("/api/evidence/{evidence_id}/download", methods=["GET"])
def api_download_evidence_get(evidence_id):
    return api.use_post(req())


@app.route("/api/evidence/{evidence_id}/verify", methods=["POST"], content_types=JSON)
def api_verify_evidence(evidence_id):
    return evidence_api.verify(req(), evidence_id)


# -- alerts ---------------------------------------------------------------------------------------
@app.route("/alerts", methods=["GET"])
def alert_list():
    return alert_pages.alert_list(req())


@app.route("/alerts/{alert_id}", methods=["GET"])
def alert_detail(alert_id):
    return alert_pages.alert_detail(req(), alert_id)


@app.route("/alerts/{alert_id}", methods=["POST"], content_types=FORM)
def alert_action(alert_id):
    return alert_pages.alert_action(req(), alert_id)


@app.route("/suppressions/{suppression_id}", methods=["POST"], content_types=FORM)
def suppression_lift(suppression_id):
    return alert_pages.suppression_lift(req(), suppression_id)


@app.route("/notifications", methods=["GET"])
def notifications():
    return alert_pages.notifications_page(req())


@app.route("/api/alerts", methods=["GET"])
def api_alerts():
    return alerts_api.list_alerts(req())


@app.route("/api/alerts/{alert_id}", methods=["GET"])
def api_alert(alert_id):
    return alerts_api.get_alert(req(), alert_id)


@app.route("/api/alerts/{alert_id}", methods=["PATCH"], content_types=JSON)
def api_update_alert(alert_id):
    return alerts_api.update_alert(req(), alert_id)


@app.route("/api/alerts/{alert_id}/promote", methods=["POST"], content_types=JSON)
def api_promote_alert(alert_id):
    return alerts_api.promote_alert(req(), alert_id)


@app.route("/api/alerts/{alert_id}/attach", methods=["POST"], content_types=JSON)
def api_attach_alert(alert_id):
    return alerts_api.attach_alert(req(), alert_id)


@app.route("/api/suppressions", methods=["GET"])
def api_suppressions():
    return alerts_api.list_suppressions(req())


@app.route("/api/suppressions", methods=["POST"], content_types=JSON)
def api_create_suppression():
    return alerts_api.create_suppression(req())


@app.route("/api/suppressions/{suppression_id}", methods=["DELETE"], content_types=JSON)
def api_lift_suppression(suppression_id):
    return alerts_api.lift_suppression(req(), suppression_id)


@app.route("/api/stats", methods=["GET"])
def api_stats():
    return alerts_api.get_stats(req())


@app.route("/api/exports/{kind}", methods=["POST"], content_types=JSON)
def api_export(kind):
    return alerts_api.create_export(req(), kind)


@app.route("/api/exports/{kind}", methods=["GET"])
def api_export_get(kind):
    return api.use_post(req())


@app.route("/api/notifications", methods=["GET"])
def api_notifications():
    return alerts_api.list_notifications(req())


# -- deep scans -----------------------------------------------------------------------------------
@app.route("/scans", methods=["GET"])
def scans_page():
    return scan_pages.scan_list(req())


@app.route("/scans", methods=["POST"], content_types=FORM)
def scan_launch():
    return scan_pages.scan_launch(req())


@app.route("/scans/{scan_id}", methods=["GET"])
def scan_detail(scan_id):
    return scan_pages.scan_detail(req(), scan_id)


@app.route("/scans/{scan_id}", methods=["POST"], content_types=FORM)
def scan_action(scan_id):
    return scan_pages.scan_action(req(), scan_id)


@app.route("/scans/{scan_id}/report", methods=["GET"])
def scan_report(scan_id):
    return scan_pages.scan_report(req(), scan_id)


@app.route("/api/scans", methods=["GET"])
def api_scans():
    return scans_api.list_scans(req())


@app.route("/api/scans", methods=["POST"], content_types=JSON)
def api_scan_create():
    return scans_api.create_scan(req())


@app.route("/api/scans/rules", methods=["GET"])
def api_scan_rules():
    return scans_api.scan_rules(req())


@app.route("/api/scans/{scan_id}", methods=["GET"])
def api_scan(scan_id):
    return scans_api.get_scan(req(), scan_id)


@app.route("/api/scans/{scan_id}/cancel", methods=["POST"], content_types=JSON)
def api_scan_cancel(scan_id):
    return scans_api.cancel_scan(req(), scan_id)


@app.route("/api/scans/{scan_id}/rerun", methods=["POST"], content_types=JSON)
def api_scan_rerun(scan_id):
    return scans_api.rerun_scan(req(), scan_id)


@app.route("/api/scans/{scan_id}/report", methods=["GET"])
def api_scan_report(scan_id):
    return scans_api.scan_report(req(), scan_id)


# -- events ---------------------------------------------------------------------------------------
@app.on_cw_event({"source": ["aws.s3"], "detail-type": ["Object Created"],
                  "detail": {"bucket": {"name": [get_settings().evidence_bucket]},
                             "object": {"key": [{"prefix": "evidencias/"}]}}}, name="evidence_arrived")
def evidence_arrived(event):
    return evidence_arrival.handle_event(event.to_dict())


@app.on_kinesis_record(stream=get_settings().kinesis_stream, batch_size=1000, starting_position="TRIM_HORIZON",
                       maximum_batching_window_in_seconds=1, name="stream_ingest")
def stream_ingest(event):
    return ingest.handle(event.to_dict())


@app.schedule("rate(5 minutes)", name="housekeeping")
def housekeeping(event):
    return scheduled.run()


@app.lambda_function(name="deploy")
def deploy(event, context):
    return deploy_step.handle(event, context)
