"""One connection per container over SQLite (embedded default) or MySQL through RDS Proxy.

SQL is written once with ``%s`` placeholders (pymysql's style) and translated for sqlite3.
MySQL: verified TLS, IAM auth token or a Secrets Manager secret, ping before use and one reconnect on
lost-connection errors. No session state is set, so RDS Proxy can multiplex the connection.
"""
from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from dataclasses import dataclass
from typing import Any, Iterator
from urllib.parse import parse_qs, unquote, urlparse

from ..config import get_settings

LOST_CONNECTION = {2006, 2013, 2055}


class DatabaseUnavailable(Exception):
    """The database cannot be reached; callers answer 503 / report batch failures."""


@dataclass
class DbUrl:
    kind: str  # sqlite | mysql
    path: str = ""
    host: str = ""
    port: int = 3306
    user: str = ""
    password: str | None = None
    name: str = ""
    tls: bool = True

    @classmethod
    def parse(cls, url: str) -> "DbUrl":
        u = urlparse(url)
        if u.scheme == "sqlite":
            path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else u.path
            return cls("sqlite", path=path or ":memory:")
        if u.scheme in ("mysql", "mysql+pymysql", "mariadb"):
            q = parse_qs(u.query)
            return cls(
                "mysql", host=u.hostname or "127.0.0.1", port=u.port or 3306,
                user=unquote(u.username or ""), password=unquote(u.password) if u.password else None,
                name=u.path.lstrip("/"), tls=q.get("ssl", ["true"])[0].lower() not in ("0", "false", "off"),
            )
        raise ValueError(f"unsupported DATABASE_URL scheme {u.scheme!r} (use sqlite:/// or mysql://)")


ACCESS_DENIED = 1045  # MySQL: wrong user or password


class Database:
    """Thin wrapper: ``query`` returns dict rows, ``execute`` returns (lastrowid, rowcount)."""

    def __init__(self, url: str) -> None:
        self.url = DbUrl.parse(url)
        self.kind = self.url.kind
        self._conn: Any = None
        self._lock = threading.RLock()
        self._depth = 0
        self._refresh_secret = False

    # -- connection management -------------------------------------------------------------------
    def _connect(self) -> Any:
        if self.kind == "sqlite":
            if self.url.path != ":memory:":
                os.makedirs(os.path.dirname(os.path.abspath(self.url.path)), exist_ok=True)
            # a lock held longer than this is an outage: the web answers 503 at once, the stream retries
            conn = sqlite3.connect(self.url.path, check_same_thread=False, isolation_level=None,
                                   timeout=get_settings().db_lock_timeout_s)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA journal_mode=WAL")
            return conn
        import pymysql  # deferred: SQLite users never load it

        try:
            return pymysql.connect(
                host=self.url.host, port=self.url.port, user=self.url.user, password=self._mysql_password(),
                database=self.url.name, charset="utf8mb4", autocommit=True, connect_timeout=5,
                read_timeout=30, write_timeout=30, cursorclass=pymysql.cursors.DictCursor,
                ssl=self._ssl_context() if self.url.tls else None,
                init_command=f"SET SESSION innodb_lock_wait_timeout = {max(1, int(get_settings().db_lock_timeout_s))}",
            )
        except pymysql.err.OperationalError as exc:
            if exc.args and exc.args[0] == ACCESS_DENIED and get_settings().db_secret_arn and not self._refresh_secret:
                self._refresh_secret = True  # the password was rotated since it was cached: read it again, once
                try:
                    return self._connect()
                finally:
                    self._refresh_secret = False
            raise DatabaseUnavailable(str(exc)) from exc

    def _ssl_context(self) -> Any:
        import ssl

        return ssl.create_default_context()  # verifies the proxy's certificate and host name

    def _mysql_password(self) -> str | None:
        s = get_settings()
        if s.db_iam_auth:
            from ..aws import client

            return client("rds").generate_db_auth_token(
                DBHostname=self.url.host, Port=self.url.port, DBUsername=self.url.user, Region=s.region)
        if s.db_secret_arn:
            from .. import secret_store

            secret = json.loads(secret_store.current(s.db_secret_arn, refresh=self._refresh_secret))
            if not self.url.user:
                self.url.user = secret.get("username", "")
            return secret["password"]
        return self.url.password

    def conn(self) -> Any:
        if self._conn is None:
            self._conn = self._connect()
        elif self.kind == "mysql" and self._depth == 0:
            try:
                self._conn.ping(reconnect=False)
            except Exception:
                self._conn = self._connect()
        return self._conn

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                with contextlib.suppress(Exception):
                    self._conn.close()
            self._conn = None

    # -- statements -------------------------------------------------------------------------------
    def _sql(self, sql: str) -> str:
        return sql.replace("%s", "?") if self.kind == "sqlite" else sql

    def _run(self, sql: str, params: tuple | list = (), fetch: bool = True, many: bool = False) -> Any:
        with self._lock:
            for attempt in (1, 2):
                conn = self.conn()
                try:
                    cur = conn.cursor()
                    if many:
                        cur.executemany(self._sql(sql), params)
                    else:
                        cur.execute(self._sql(sql), tuple(params))
                    if fetch:
                        rows = cur.fetchall()
                        return [dict(r) for r in rows]
                    return cur.lastrowid, cur.rowcount
                except Exception as exc:
                    if self.kind == "mysql" and _is_lost_connection(exc) and attempt == 1 and self._depth == 0:
                        self._conn = None
                        continue
                    if self.kind == "mysql" and _is_lost_connection(exc):
                        self._conn = None
                        raise DatabaseUnavailable(str(exc)) from exc
                    raise
        raise AssertionError("unreachable")

    def query(self, sql: str, params: tuple | list = ()) -> list[dict[str, Any]]:
        return self._run(sql, params)

    def query_in(self, sql: str, values: list, params: tuple = (), chunk: int = 500) -> list[dict[str, Any]]:
        """``sql`` with ``{marks}`` where the IN list goes, run over ``values`` in chunks (engines cap the number of
        parameters); ``params`` come before the list's."""
        rows: list[dict[str, Any]] = []
        for i in range(0, len(values), chunk):
            part = values[i:i + chunk]
            rows += self.query(sql.format(marks=", ".join(["%s"] * len(part))), (*params, *part))
        return rows

    def one(self, sql: str, params: tuple | list = ()) -> dict[str, Any] | None:
        rows = self._run(sql, params)
        return rows[0] if rows else None

    def scalar(self, sql: str, params: tuple | list = ()) -> Any:
        row = self.one(sql, params)
        return next(iter(row.values())) if row else None

    def execute(self, sql: str, params: tuple | list = ()) -> tuple[int, int]:
        return self._run(sql, params, fetch=False)

    def executemany(self, sql: str, rows: list) -> int:
        return self._run(sql, rows, fetch=False, many=True)[1]

    @contextlib.contextmanager
    def transaction(self) -> Iterator["Database"]:
        """Nested calls join the outer transaction; a lost connection inside one is not retried."""
        with self._lock:
            conn = self.conn()
            outer = self._depth == 0
            if outer:
                # SQLite: take the write lock up front. A deferred transaction that read first fails at once
                # ("database is locked", no waiting) when another process wrote meanwhile (the local analyzer).
                conn.cursor().execute("BEGIN IMMEDIATE" if self.kind == "sqlite" else "BEGIN")
            self._depth += 1
            try:
                yield self
            except BaseException:
                self._depth -= 1
                if outer:
                    with contextlib.suppress(Exception):
                        conn.rollback() if self.kind == "mysql" else conn.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outer:
                conn.commit() if self.kind == "mysql" else conn.execute("COMMIT")


def _is_lost_connection(exc: Exception) -> bool:
    try:
        import pymysql
    except ImportError:  # pragma: no cover
        return False
    if isinstance(exc, pymysql.err.InterfaceError):
        return True
    return isinstance(exc, pymysql.err.OperationalError) and exc.args and exc.args[0] in LOST_CONNECTION


_db: Database | None = None
_db_lock = threading.Lock()


def get_db() -> Database:
    global _db
    if _db is None:
        with _db_lock:
            if _db is None:
                _db = Database(get_settings().database_url)
    return _db


def reset_db() -> None:
    global _db
    if _db is not None:
        _db.close()
    _db = None
