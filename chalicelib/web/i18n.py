"""Spanish by default, English on request: user preference, then Accept-Language."""
from __future__ import annotations

from typing import Any

from ..catalogs import STATUS_EN
from ..config import get_settings
from . import http

MESSAGES: dict[str, tuple[str, str]] = {
    "app": ("CyberIncident", "CyberIncident"),
    "dashboard": ("Panel", "Dashboard"),
    "incidents": ("Incidentes", "Incidents"),
    "new_incident": ("Nuevo incidente", "New incident"),
    "history": ("Historial", "History"),
    "users": ("Usuarios", "Users"),
    "catalogs": ("Catálogos", "Catalogues"),
    "logout": ("Cerrar sesión", "Log out"),
    "login": ("Iniciar sesión", "Log in"),
    "username": ("Usuario", "Username"),
    "password": ("Contraseña", "Password"),
    "title": ("Título", "Title"),
    "description": ("Descripción", "Description"),
    "type": ("Tipo", "Type"),
    "severity": ("Severidad", "Severity"),
    "status": ("Estado", "Status"),
    "assignee": ("Asignado a", "Assignee"),
    "reported_by": ("Reportado por", "Reported by"),
    "created_at": ("Creado", "Created"),
    "updated_at": ("Actualizado", "Updated"),
    "unassigned": ("Sin asignar", "Unassigned"),
    "any": ("Todos", "Any"),
    "filter": ("Filtrar", "Filter"),
    "search": ("Buscar", "Search"),
    "date_from": ("Desde", "From"),
    "date_to": ("Hasta", "To"),
    "sort": ("Orden", "Sort"),
    "newest": ("Más recientes", "Newest"),
    "oldest": ("Más antiguos", "Oldest"),
    "severity_desc": ("Severidad (mayor primero)", "Severity (highest first)"),
    "save": ("Guardar", "Save"),
    "create": ("Crear", "Create"),
    "change_status": ("Cambiar estado", "Change status"),
    "new_status": ("Nuevo estado", "New status"),
    "reason": ("Motivo", "Reason"),
    "reason_help": ("Obligatorio para reabrir", "Required to reopen"),
    "timeline": ("Cronología", "Timeline"),
    "no_incidents": ("No hay incidentes que mostrar.", "No incidents to show."),
    "total": ("Total", "Total"),
    "page": ("Página", "Page"),
    "previous": ("Anterior", "Previous"),
    "next": ("Siguiente", "Next"),
    "by_status": ("Por estado", "By status"),
    "by_severity": ("Por severidad", "By severity"),
    "open_incidents": ("Incidentes abiertos", "Open incidents"),
    "recent_activity": ("Actividad reciente", "Recent activity"),
    "role": ("Rol", "Role"),
    "active": ("Activo", "Active"),
    "language": ("Idioma", "Language"),
    "add_user": ("Añadir usuario", "Add user"),
    "add_value": ("Añadir valor", "Add value"),
    "value": ("Valor", "Value"),
    "label_en": ("Etiqueta en inglés", "English label"),
    "deactivate": ("Retirar", "Retire"),
    "yes": ("Sí", "Yes"),
    "no": ("No", "No"),
    "user": ("Usuario", "User"),
    "action": ("Acción", "Action"),
    "date": ("Fecha", "Date"),
    "incident": ("Incidente", "Incident"),
    "change": ("Cambio", "Change"),
    "error": ("Error", "Error"),
    "back": ("Volver", "Back"),
    "saved": ("Cambios guardados.", "Changes saved."),
    "edit": ("Editar", "Edit"),
    "audit": ("Auditoría", "Audit"),
    "new_password": ("Nueva contraseña", "New password"),
    "update": ("Actualizar", "Update"),
    "evidence": ("Evidencias", "Evidence"),
    "evidence_types": ("Tipos de evidencia permitidos", "Allowed evidence types"),
    "file": ("Archivo", "File"),
    "upload": ("Subir", "Upload"),
    "size": ("Tamaño", "Size"),
    "real_type": ("Tipo real", "Real type"),
    "state": ("Estado", "State"),
    "uploaded_by": ("Subido por", "Uploaded by"),
    "download": ("Descargar", "Download"),
    "verify": ("Verificar", "Verify"),
    "delete": ("Eliminar", "Delete"),
    "custody": ("Cadena de custodia", "Chain of custody"),
    "export_csv": ("Exportar CSV", "Export CSV"),
    "no_evidence": ("Sin evidencias.", "No evidence yet."),
    "ev_pending": ("pendiente", "pending"),
    "ev_stored": ("almacenada", "stored"),
    "ev_quarantined": ("en cuarentena", "quarantined"),
    "ev_deleted": ("eliminada", "deleted"),
    "ev_received": ("Archivo recibido; se está verificando.", "File received; it is being checked."),
    "ev_verified": ("Hash verificado: coincide.", "Hash verified: it matches."),
    "ev_mismatch": ("¡El hash NO coincide!", "The hash does NOT match!"),
    "ev_deleted_msg": ("Evidencia eliminada.", "Evidence deleted."),
    "upload_help": ("Se sube directamente a S3 cifrado; el tipo se comprueba por el contenido.",
                    "Goes straight to encrypted S3; the type is checked from the content."),
    "form_errors": ("Revise los campos marcados.", "Please check the highlighted fields."),
    "alerts": ("Alertas", "Alerts"),
    "actions": ("Acciones", "Actions"),
    "alert": ("Alerta", "Alert"),
    "notifications": ("Notificaciones", "Notifications"),
    "suppressions": ("Silencios activos", "Active suppressions"),
    "rule": ("Regla", "Rule"),
    "entity": ("Entidad", "Entity"),
    "device": ("Dispositivo", "Device"),
    "count": ("Eventos", "Events"),
    "events": ("Eventos", "Events"),
    "first_seen": ("Primera vez", "First seen"),
    "last_seen": ("Última vez", "Last seen"),
    "by_entity": ("Por entidad", "By entity"),
    "no_alerts": ("No hay alertas con estos filtros.", "No alerts match these filters."),
    "state_new": ("Nueva", "New"),
    "state_acknowledged": ("Reconocida", "Acknowledged"),
    "state_dismissed": ("Descartada", "Dismissed"),
    "state_escalated": ("Escalada", "Escalated"),
    "reason_false_positive": ("Falso positivo", "False positive"),
    "reason_benign": ("Benigna", "Benign"),
    "reason_duplicate": ("Duplicada", "Duplicate"),
    "acknowledge": ("Reconocer", "Acknowledge"),
    "promote": ("Crear incidente", "Promote to incident"),
    "attach": ("Vincular a incidente", "Attach to incident"),
    "assign": ("Asignar", "Assign"),
    "dismiss": ("Descartar", "Dismiss"),
    "silence": ("Silenciar", "Silence"),
    "scope": ("Alcance", "Scope"),
    "hours": ("Horas", "Hours"),
    "note": ("Nota", "Note"),
    "lift": ("Retirar", "Lift"),
    "expires": ("Expira", "Expires"),
    "none": ("Ninguno.", "None."),
    "explanation": ("Explicación", "Explanation"),
    "observed": ("Observado", "Observed"),
    "baseline": ("Línea base", "Baseline"),
    "threshold": ("Umbral", "Threshold"),
    "samples": ("Eventos de muestra", "Sample events"),
    "origin": ("Origen", "Origin"),
    "suppressed": ("silenciada", "suppressed"),
    "done_acknowledge": ("Alerta reconocida.", "Alert acknowledged."),
    "done_assign": ("Asignación guardada.", "Assignment saved."),
    "done_dismiss": ("Alerta descartada.", "Alert dismissed."),
    "done_attach": ("Alerta vinculada al incidente.", "Alert attached to the incident."),
    "done_silence": ("Silencio creado.", "Suppression created."),
    "kind": ("Tipo", "Kind"),
    "kind_alert": ("Alerta", "Alert"),
    "kind_digest": ("Resumen", "Digest"),
    "notif_pending": ("pendiente", "pending"),
    "notif_sent": ("enviada", "sent"),
    "notif_failed": ("fallida", "failed"),
    "notif_held": ("retenida", "held back"),
    "notif_digested": ("incluida en resumen", "in a digest"),
    "body": ("Mensaje", "Message"),

}


def language(req: Any, user: dict[str, Any] | None) -> str:
    if user and user.get("idioma") in ("es", "en"):
        return user["idioma"]
    for part in (http.header(req, "accept-language") or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in ("es", "en"):
            return code
    return get_settings().default_language if get_settings().default_language in ("es", "en") else "es"


def translator(lang: str):
    idx = 1 if lang == "en" else 0

    def t(key: str) -> str:
        pair = MESSAGES.get(key)
        return pair[idx] if pair else key
    return t


def status_label(value: str | None, lang: str) -> str:
    value = value or "Abierto"
    return STATUS_EN.get(value, value) if lang == "en" else value
