"""The seed schema is the storage contract: a seed database with rows upgrades in place, nothing lost."""
from chalicelib.db.connection import Database
from chalicelib.db.migrations import SEED_MYSQL, migrate


def seed(db: Database) -> None:
    for sql in SEED_MYSQL:
        sql = sql.replace("CREATE TABLE IF NOT EXISTS", "CREATE TABLE")
        if db.kind == "sqlite":
            sql = sql.replace("INT PRIMARY KEY AUTO_INCREMENT", "INTEGER PRIMARY KEY AUTOINCREMENT")
        db.execute(sql)
    db.execute("INSERT INTO incidentes (titulo, descripcion, tipo, severidad, usuario_reporta) VALUES "
               "('Antiguo', 'Del sistema anterior', 'Intrusión física', 'Alta', 'jperez')")
    db.execute("INSERT INTO incidentes (titulo, descripcion, tipo, severidad, estado) VALUES "
               "('Cerrado', 'x', 'Malware', 'Baja', 'Cerrado')")
    db.execute("INSERT INTO evidencias (incidente_id, nombre_archivo, tipo_archivo, s3_key, tamano) VALUES "
               "(1, 'log.txt', 'text/plain', 'evidencias/1/log.txt', 42)")
    db.execute("INSERT INTO historial (incidente_id, usuario, accion, descripcion) VALUES (1, 'jperez', 'CREAR', 'x')")


def snapshot(db: Database) -> dict:
    return {t: db.query(f"SELECT * FROM {t} ORDER BY id") for t in ("incidentes", "evidencias", "historial")}


def test_seed_database_upgrades_in_place(db_url):
    db = Database(db_url)
    seed(db)
    before = snapshot(db)
    assert migrate(db) == [1, 2, 3, 4, 5, 6, 7]
    after = snapshot(db)
    for table, rows in before.items():
        assert len(after[table]) == len(rows)
        for old, new in zip(rows, after[table]):
            assert {k: new[k] for k in old} == old  # every seed column, every value intact
    # the upgraded rows work through the application: unknown legacy type joined the catalogue
    types = [r["valor"] for r in db.query("SELECT valor FROM catalogos WHERE categoria = 'tipo'")]
    assert "Intrusión física" in types
    assert migrate(db) == []  # idempotent
    assert db.scalar("SELECT COUNT(*) AS n FROM schema_migrations") == 7
    db.close()


def test_upgraded_rows_are_served_by_the_api(db_url):
    db = Database(db_url)
    seed(db)
    migrate(db)
    db.close()
    from chalicelib import incidents

    got = incidents.get(1)
    assert got["title"] == "Antiguo" and got["status"] == "Abierto" and got["reported_by"] == "jperez"
    updated = incidents.update(1, {"type": "Intrusión física", "severity": "Crítica"}, "admin")
    assert updated["severity"] == "Crítica"


def test_partial_migration_can_be_repeated(db_url):
    db = Database(db_url)
    migrate(db)
    db.execute("DELETE FROM schema_migrations WHERE version = 2")  # as if a run died before recording it
    assert migrate(db) == [2]
    db.close()
