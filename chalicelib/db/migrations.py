"""Numbered, idempotent migrations recorded in ``schema_migrations``.

Migration 1 is the seed schema verbatim (``IF NOT EXISTS``), so an existing CyberIncident database
upgrades in place: nothing is dropped or rewritten, later migrations only add tables, columns, indexes
and catalogue rows. Each step checks before it alters, so a run interrupted half-way can be repeated.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Callable

from .connection import Database

log = logging.getLogger(__name__)

SEED_MYSQL = [
    """CREATE TABLE IF NOT EXISTS incidentes (
    id INT PRIMARY KEY AUTO_INCREMENT,
    titulo VARCHAR(200) NOT NULL,
    descripcion TEXT NOT NULL,
    tipo VARCHAR(50) NOT NULL,
    severidad VARCHAR(20) NOT NULL,
    estado VARCHAR(30) DEFAULT 'Abierto',
    usuario_reporta VARCHAR(100),
    fecha_creacion TIMESTAMP DEFAULT CURRENT_TIMESTAMP
)""",
    """CREATE TABLE IF NOT EXISTS evidencias (
    id INT PRIMARY KEY AUTO_INCREMENT,
    incidente_id INT NOT NULL,
    nombre_archivo VARCHAR(255) NOT NULL,
    tipo_archivo VARCHAR(30),
    ruta TEXT,
    s3_key VARCHAR(500),
    s3_url VARCHAR(1000),
    tamano BIGINT,
    fecha_subida TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    FOREIGN KEY (incidente_id) REFERENCES incidentes(id) ON DELETE CASCADE
)""",
    """CREATE TABLE IF NOT EXISTS historial (
    id INT PRIMARY KEY AUTO_INCREMENT,
    incidente_id INT NOT NULL,
    usuario VARCHAR(100) NOT NULL,
    accion VARCHAR(50) NOT NULL,
    descripcion TEXT,
    fecha TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    FOREIGN KEY (incidente_id) REFERENCES incidentes(id) ON DELETE CASCADE
)""",
]

TYPES = [  # (stored value, English label)
    ("Malware", "Malware"), ("Phishing", "Phishing"), ("Acceso no autorizado", "Unauthorized access"),
    ("Denegación de servicio", "Denial of service"), ("Fuga de datos", "Data leak"),
    ("Vulnerabilidad", "Vulnerability"), ("Uso indebido", "Misuse"), ("Otro", "Other"),
]
SEVERITIES = [("Baja", "Low"), ("Media", "Medium"), ("Alta", "High"), ("Crítica", "Critical")]


BIN = "CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"  # keys compared byte for byte: "SRV-03" is not "srv-03"


def _ddl(db: Database, sql: str) -> str:
    if db.kind == "sqlite":
        sql = sql.replace("INT PRIMARY KEY AUTO_INCREMENT", "INTEGER PRIMARY KEY AUTOINCREMENT").replace(f" {BIN}", "")
    return sql


def _columns(db: Database, table: str) -> set[str]:
    if db.kind == "sqlite":
        return {r["name"] for r in db.query(f"PRAGMA table_info({table})")}
    rows = db.query("SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS "
                    "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s", (table,))
    return {r["c"] for r in rows}


def _indexes(db: Database, table: str) -> set[str]:
    if db.kind == "sqlite":
        return {r["name"] for r in db.query(f"PRAGMA index_list({table})")}
    rows = db.query("SELECT DISTINCT INDEX_NAME AS i FROM information_schema.STATISTICS "
                    "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s", (table,))
    return {r["i"] for r in rows}


def add_column(db: Database, table: str, column: str, ddl: str) -> None:
    if column not in _columns(db, table):
        db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {ddl}")


def add_index(db: Database, table: str, name: str, cols: str, unique: bool = False) -> None:
    if name not in _indexes(db, table):
        db.execute(f"CREATE {'UNIQUE ' if unique else ''}INDEX {name} ON {table} ({cols})")


def create_table(db: Database, sql: str) -> None:
    db.execute(_ddl(db, sql))


def m0001_seed(db: Database) -> None:
    for sql in SEED_MYSQL:
        create_table(db, sql)


def m0002_users_catalogs_history(db: Database) -> None:
    add_column(db, "incidentes", "asignado_a", "VARCHAR(100) NULL")
    add_column(db, "incidentes", "fecha_actualizacion", "TIMESTAMP NULL")
    add_column(db, "historial", "campo", "VARCHAR(50) NULL")
    add_column(db, "historial", "valor_anterior", "TEXT NULL")
    add_column(db, "historial", "valor_nuevo", "TEXT NULL")
    create_table(db, """CREATE TABLE IF NOT EXISTS usuarios (
        id INT PRIMARY KEY AUTO_INCREMENT,
        nombre_usuario VARCHAR(100) NOT NULL UNIQUE,
        hash_contrasena VARCHAR(255) NOT NULL,
        rol VARCHAR(20) NOT NULL,
        activo SMALLINT NOT NULL DEFAULT 1,
        idioma VARCHAR(5) NULL,
        version_token INT NOT NULL DEFAULT 0,
        version_sesion INT NOT NULL DEFAULT 0,
        fecha_creacion TIMESTAMP DEFAULT CURRENT_TIMESTAMP
    )""")
    create_table(db, """CREATE TABLE IF NOT EXISTS catalogos (
        id INT PRIMARY KEY AUTO_INCREMENT,
        categoria VARCHAR(20) NOT NULL,
        valor VARCHAR(50) NOT NULL,
        etiqueta_en VARCHAR(100) NULL,
        orden INT NOT NULL DEFAULT 0,
        activo SMALLINT NOT NULL DEFAULT 1,
        UNIQUE (categoria, valor)
    )""")
    create_table(db, """CREATE TABLE IF NOT EXISTS intentos_login (
        id INT PRIMARY KEY AUTO_INCREMENT,
        nombre_usuario VARCHAR(100) NOT NULL,
        ip VARCHAR(64) NULL,
        exito SMALLINT NOT NULL,
        fecha TIMESTAMP DEFAULT CURRENT_TIMESTAMP
    )""")
    create_table(db, """CREATE TABLE IF NOT EXISTS auditoria (
        id INT PRIMARY KEY AUTO_INCREMENT,
        usuario VARCHAR(100) NOT NULL,
        accion VARCHAR(50) NOT NULL,
        objeto VARCHAR(200) NULL,
        descripcion TEXT NULL,
        fecha TIMESTAMP DEFAULT CURRENT_TIMESTAMP
    )""")
    add_index(db, "incidentes", "ix_incidentes_fecha", "fecha_creacion")
    add_index(db, "incidentes", "ix_incidentes_estado", "estado, fecha_creacion")
    add_index(db, "incidentes", "ix_incidentes_severidad", "severidad, fecha_creacion")
    add_index(db, "incidentes", "ix_incidentes_tipo", "tipo")
    add_index(db, "incidentes", "ix_incidentes_asignado", "asignado_a")
    add_index(db, "historial", "ix_historial_incidente", "incidente_id, fecha")
    add_index(db, "historial", "ix_historial_fecha", "fecha")
    add_index(db, "intentos_login", "ix_intentos_usuario", "nombre_usuario, fecha")
    add_index(db, "auditoria", "ix_auditoria_fecha", "fecha")
    # Catalogue: the defaults, plus every value an upgraded database already uses, so no row is orphaned.
    present = {(r["categoria"], r["valor"]) for r in db.query("SELECT categoria, valor FROM catalogos")}
    wanted = [("tipo", v, en, i) for i, (v, en) in enumerate(TYPES)]
    wanted += [("severidad", v, en, i) for i, (v, en) in enumerate(SEVERITIES)]
    for col, cat in (("tipo", "tipo"), ("severidad", "severidad")):
        for r in db.query(f"SELECT DISTINCT {col} AS v FROM incidentes"):
            if r["v"] and (cat, r["v"]) not in {(w[0], w[1]) for w in wanted}:
                wanted.append((cat, r["v"], r["v"], 100))
    for cat, value, en, order in wanted:
        if (cat, value) not in present:
            db.execute("INSERT INTO catalogos (categoria, valor, etiqueta_en, orden, activo) "
                       "VALUES (%s, %s, %s, %s, 1)", (cat, value, en, order))


def m0003_evidence_custody(db: Database) -> None:
    from ..filetypes import DEFAULT_ALLOWED, MIME

    add_column(db, "evidencias", "uuid", "VARCHAR(36) NULL")
    add_column(db, "evidencias", "estado", "VARCHAR(20) NULL")
    add_column(db, "evidencias", "motivo", "TEXT NULL")
    add_column(db, "evidencias", "sha256", "CHAR(64) NULL")
    add_column(db, "evidencias", "tipo_real", "VARCHAR(30) NULL")
    add_column(db, "evidencias", "usuario_sube", "VARCHAR(100) NULL")
    add_column(db, "evidencias", "tamano_declarado", "BIGINT NULL")
    add_column(db, "evidencias", "version_s3", "VARCHAR(200) NULL")
    add_column(db, "evidencias", "id_multipart", "VARCHAR(500) NULL")
    add_column(db, "evidencias", "fecha_verificacion", "TIMESTAMP NULL")
    add_column(db, "evidencias", "eliminado_por", "VARCHAR(100) NULL")
    add_column(db, "evidencias", "motivo_eliminacion", "TEXT NULL")
    add_column(db, "evidencias", "fecha_eliminacion", "TIMESTAMP NULL")
    add_index(db, "evidencias", "ux_evidencias_uuid", "uuid", unique=True)
    add_index(db, "evidencias", "ix_evidencias_incidente", "incidente_id, fecha_subida")
    create_table(db, """CREATE TABLE IF NOT EXISTS custodia (
        id INT PRIMARY KEY AUTO_INCREMENT,
        evidencia_id INT NOT NULL,
        incidente_id INT NOT NULL,
        usuario VARCHAR(100) NOT NULL,
        accion VARCHAR(30) NOT NULL,
        sha256 CHAR(64) NULL,
        detalle TEXT NULL,
        fecha TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
        FOREIGN KEY (evidencia_id) REFERENCES evidencias(id) ON DELETE CASCADE
    )""")
    add_index(db, "custodia", "ix_custodia_incidente", "incidente_id, fecha")
    present = {r["valor"] for r in db.query("SELECT valor FROM catalogos WHERE categoria = 'evidencia'")}
    for order, kind in enumerate(k for k in MIME if k not in ("empty", "binary")):
        if kind not in present:
            db.execute("INSERT INTO catalogos (categoria, valor, etiqueta_en, orden, activo) VALUES "
                       "('evidencia', %s, %s, %s, %s)", (kind, MIME[kind], order, 1 if kind in DEFAULT_ALLOWED else 0))
    # Rows from the seed era predate hashing: they are stored files whose hash is not yet known.
    db.execute("UPDATE evidencias SET estado = 'stored' WHERE estado IS NULL")


def _history_allows_alerts(db: Database) -> None:
    """``historial`` also records alert actions: ``alerta_id`` added, ``incidente_id`` made nullable."""
    if db.kind == "mysql":
        row = db.one("SELECT IS_NULLABLE AS n FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
                     "AND TABLE_NAME = 'historial' AND COLUMN_NAME = 'incidente_id'")
        if row and row["n"] == "NO":
            db.execute("ALTER TABLE historial MODIFY incidente_id INT NULL")
        add_column(db, "historial", "alerta_id", "INT NULL")
    else:  # SQLite cannot relax NOT NULL in place: rebuild the table in one transaction, rows and ids kept
        info = {r["name"]: r for r in db.query("PRAGMA table_info(historial)")}
        if info["incidente_id"]["notnull"]:
            with db.transaction():
                db.execute("""CREATE TABLE historial_v4 (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    incidente_id INT NULL,
                    usuario VARCHAR(100) NOT NULL,
                    accion VARCHAR(50) NOT NULL,
                    descripcion TEXT,
                    fecha TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
                    campo VARCHAR(50) NULL,
                    valor_anterior TEXT NULL,
                    valor_nuevo TEXT NULL,
                    alerta_id INT NULL,
                    FOREIGN KEY (incidente_id) REFERENCES incidentes(id) ON DELETE CASCADE)""")
                cols = "id, incidente_id, usuario, accion, descripcion, fecha, campo, valor_anterior, valor_nuevo"
                db.execute(f"INSERT INTO historial_v4 ({cols}) SELECT {cols} FROM historial")
                db.execute("DROP TABLE historial")
                db.execute("ALTER TABLE historial_v4 RENAME TO historial")
        add_column(db, "historial", "alerta_id", "INT NULL")
    add_index(db, "historial", "ix_historial_incidente", "incidente_id, fecha")
    add_index(db, "historial", "ix_historial_fecha", "fecha")
    add_index(db, "historial", "ix_historial_alerta", "alerta_id, fecha")


def m0004_alerts_pipeline(db: Database) -> None:
    _history_allows_alerts(db)
    create_table(db, """CREATE TABLE IF NOT EXISTS alertas (
        id INT PRIMARY KEY AUTO_INCREMENT,
        huella VARCHAR(64) NOT NULL UNIQUE,
        regla_id VARCHAR(120) NOT NULL,
        titulo VARCHAR(255) NOT NULL,
        severidad VARCHAR(20) NOT NULL,
        estado VARCHAR(20) NOT NULL DEFAULT 'nueva',
        motivo VARCHAR(30) NULL,
        asignado_a VARCHAR(100) NULL,
        entidad TEXT NOT NULL,
        entidad_clave VARCHAR(255) NOT NULL,
        dispositivo VARCHAR(200) NULL,
        tecnicas TEXT NULL,
        explicacion TEXT NULL,
        muestras MEDIUMTEXT NULL,
        conteo INT NOT NULL DEFAULT 1,
        primera_vez DATETIME NOT NULL,
        ultima_vez DATETIME NOT NULL,
        origen VARCHAR(20) NOT NULL DEFAULT 'stream',
        incidente_id INT NULL,
        silencio_id INT NULL,
        fecha_creacion TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
        fecha_actualizacion TIMESTAMP NULL
    )""")
    for name, cols in (("ix_alertas_ultima", "ultima_vez"), ("ix_alertas_estado", "estado, ultima_vez"),
                       ("ix_alertas_severidad", "severidad, ultima_vez"), ("ix_alertas_regla", "regla_id, ultima_vez"),
                       ("ix_alertas_entidad", "entidad_clave"), ("ix_alertas_dispositivo", "dispositivo"),
                       ("ix_alertas_incidente", "incidente_id")):
        add_index(db, "alertas", name, cols)
    # Per shard and partition key (Kinesis keeps each key's records in order, even with a parallelization
    # factor), the highest sequence number whose effects are committed: a bounded table, no per-record rows.
    create_table(db, f"""CREATE TABLE IF NOT EXISTS progreso_flujo (
        fuente VARCHAR(100) {BIN} NOT NULL,
        clave VARCHAR(256) {BIN} NOT NULL,
        secuencia VARCHAR(130) NOT NULL,
        fecha TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
        PRIMARY KEY (fuente, clave)
    )""")
    create_table(db, f"""CREATE TABLE IF NOT EXISTS estado_detectores (
        clave VARCHAR(255) {BIN} NOT NULL PRIMARY KEY,
        valor MEDIUMTEXT NOT NULL,
        expira DOUBLE NOT NULL,
        actualizado DOUBLE NOT NULL DEFAULT 0,
        escritor VARCHAR(36) NULL
    )""")
    add_index(db, "estado_detectores", "ix_estado_actualizado", "actualizado")
    create_table(db, """CREATE TABLE IF NOT EXISTS notificaciones (
        id INT PRIMARY KEY AUTO_INCREMENT,
        alerta_id INT NULL,
        tipo VARCHAR(20) NOT NULL,
        estado VARCHAR(20) NOT NULL,
        regla_id VARCHAR(120) NULL,
        entidad_clave VARCHAR(255) NULL,
        severidad VARCHAR(20) NULL,
        asunto VARCHAR(255) NOT NULL,
        cuerpo MEDIUMTEXT NOT NULL,
        message_id VARCHAR(100) NULL,
        intentos INT NOT NULL DEFAULT 0,
        proximo_intento TIMESTAMP NULL,
        error TEXT NULL,
        resumen_id INT NULL,
        fecha_creacion TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
        fecha_envio TIMESTAMP NULL
    )""")
    add_index(db, "notificaciones", "ix_notif_throttle", "regla_id, entidad_clave, fecha_creacion")
    add_index(db, "notificaciones", "ix_notif_estado", "estado, fecha_creacion")
    create_table(db, """CREATE TABLE IF NOT EXISTS silencios (
        id INT PRIMARY KEY AUTO_INCREMENT,
        regla_id VARCHAR(120) NULL,
        entidad_clave VARCHAR(255) NULL,
        motivo TEXT NOT NULL,
        expira DATETIME NOT NULL,
        creado_por VARCHAR(100) NOT NULL,
        activo SMALLINT NOT NULL DEFAULT 1,
        fecha_creacion TIMESTAMP DEFAULT CURRENT_TIMESTAMP
    )""")
    add_index(db, "silencios", "ix_silencios_expira", "activo, expira")


def m0005_response_metrics(db: Database) -> None:
    for col, ddl in (("fecha_reconocimiento", "TIMESTAMP NULL"), ("fecha_contencion", "TIMESTAMP NULL"),
                     ("fecha_resolucion", "TIMESTAMP NULL"), ("seg_reconocer", "INT NULL"),
                     ("seg_contener", "INT NULL"), ("seg_resolver", "INT NULL")):
        add_column(db, "incidentes", col, ddl)
    # covering: a period's response times are read from the index alone
    add_index(db, "incidentes", "ix_incidentes_tiempos",
              "fecha_creacion, severidad, tipo, seg_reconocer, seg_contener, seg_resolver")
    # covering indexes: the dashboard's aggregates read the index alone, never the alert rows
    add_index(db, "alertas", "ix_alertas_stats", "primera_vez, silencio_id, regla_id, severidad, estado, conteo")
    add_index(db, "alertas", "ix_alertas_stats_entidad", "primera_vez, silencio_id, entidad_clave, conteo")
    add_index(db, "incidentes", "ix_incidentes_estado_sev", "estado, severidad")
    create_table(db, f"""CREATE TABLE IF NOT EXISTS resumen_alertas_dia (
        dia DATE NOT NULL,
        regla_id VARCHAR(120) {BIN} NOT NULL,
        severidad VARCHAR(20) NOT NULL,
        estado VARCHAR(20) NOT NULL,
        silenciada SMALLINT NOT NULL,
        alertas INT NOT NULL DEFAULT 0,
        eventos BIGINT NOT NULL DEFAULT 0,
        PRIMARY KEY (dia, regla_id, severidad, estado, silenciada)
    )""")
    from ..alert_rollup import rebuild

    rebuild(db)
    create_table(db, """CREATE TABLE IF NOT EXISTS instantaneas_estadisticas (
        clave VARCHAR(64) NOT NULL PRIMARY KEY,
        datos MEDIUMTEXT NOT NULL,
        fecha TIMESTAMP NULL
    )""")
    from ..metrics import backfill

    backfill(db)


def m0006_deep_scans(db: Database) -> None:
    create_table(db, """CREATE TABLE IF NOT EXISTS escaneos (
        id INT PRIMARY KEY AUTO_INCREMENT,
        estado VARCHAR(20) NOT NULL DEFAULT 'en_cola',
        desde DATETIME NOT NULL,
        hasta DATETIME NOT NULL,
        parametros MEDIUMTEXT NOT NULL,
        incidente_id INT NULL,
        creado_por VARCHAR(100) NOT NULL,
        lanzador VARCHAR(20) NULL,
        tarea VARCHAR(300) NULL,
        cancelar SMALLINT NOT NULL DEFAULT 0,
        objetos_total INT NOT NULL DEFAULT 0,
        objetos_hechos INT NOT NULL DEFAULT 0,
        bytes_total BIGINT NOT NULL DEFAULT 0,
        bytes_hechos BIGINT NOT NULL DEFAULT 0,
        eventos BIGINT NOT NULL DEFAULT 0,
        hallazgos INT NOT NULL DEFAULT 0,
        alertas_nuevas INT NOT NULL DEFAULT 0,
        trabajadores INT NULL,
        resumen MEDIUMTEXT NULL,
        error TEXT NULL,
        informe_clave VARCHAR(300) NULL,
        latido TIMESTAMP NULL,
        fecha_creacion TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
        fecha_inicio TIMESTAMP NULL,
        fecha_fin TIMESTAMP NULL
    )""")
    add_index(db, "escaneos", "ix_escaneos_estado", "estado, latido")
    add_index(db, "escaneos", "ix_escaneos_incidente", "incidente_id")
    # which alerts a scan found, and whether they were new then (a re-run links to the same alerts)
    create_table(db, """CREATE TABLE IF NOT EXISTS escaneo_alertas (
        escaneo_id INT NOT NULL,
        alerta_id INT NOT NULL,
        nueva SMALLINT NOT NULL DEFAULT 0,
        eventos INT NOT NULL DEFAULT 0,
        PRIMARY KEY (escaneo_id, alerta_id)
    )""")


def m0007_record_identities(db: Database) -> None:
    # Records committed by identity, for a window: a producer's stable record id (a retry resends it under a new
    # sequence number) and the shard + sequence of redriven records (which bypass the high-water marks).
    create_table(db, f"""CREATE TABLE IF NOT EXISTS registros_vistos (
        clave VARCHAR(300) {BIN} NOT NULL PRIMARY KEY,
        fecha DOUBLE NOT NULL
    )""")
    add_index(db, "registros_vistos", "ix_registros_vistos_fecha", "fecha")


MIGRATIONS: list[tuple[int, str, Callable[[Database], None]]] = [
    (1, "seed schema", m0001_seed),
    (2, "users, catalogues, history details, indexes", m0002_users_catalogs_history),
    (3, "evidence state, hashes and custody log", m0003_evidence_custody),
    (4, "alerts, notifications, suppressions, detector state, processed records", m0004_alerts_pipeline),
    (5, "response-time milestones of incidents", m0005_response_metrics),
    (6, "deep scan jobs and their findings", m0006_deep_scans),
    (7, "record identities: producer ids and redriven records, for a window", m0007_record_identities),
]


def applied_versions(db: Database) -> set[int]:
    create_table(db, """CREATE TABLE IF NOT EXISTS schema_migrations (
        version INT PRIMARY KEY,
        nombre VARCHAR(200) NOT NULL,
        fecha_aplicada TIMESTAMP DEFAULT CURRENT_TIMESTAMP
    )""")
    return {r["version"] for r in db.query("SELECT version FROM schema_migrations")}


def migrate(db: Database) -> list[int]:
    """Apply pending migrations in order; return the versions applied now."""
    done = applied_versions(db)
    applied = []
    for version, name, fn in MIGRATIONS:
        if version in done:
            continue
        log.info("applying migration %04d %s", version, name)
        fn(db)
        now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
        db.execute("INSERT INTO schema_migrations (version, nombre, fecha_aplicada) VALUES (%s, %s, %s)",
                   (version, name, now))
        applied.append(version)
    return applied
