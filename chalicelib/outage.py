"""Which failures are outages (worth retrying, or answering 503) rather than bugs or bad input.

The stream handler retries an outage and parks anything else; the web answers an outage with 503 and
``Retry-After`` instead of a 500.
"""
from __future__ import annotations

import sqlite3

from .db.connection import DatabaseUnavailable

SQLITE_TRANSIENT = ("locked", "busy", "unable to open", "disk i/o", "malformed", "not a database", "readonly",
                    "disk is full", "interrupted")
TRANSIENT_AWS = frozenset(("ThrottlingException", "Throttling", "ProvisionedThroughputExceededException",
                           "RequestLimitExceeded", "ServiceUnavailable", "ServiceUnavailableException",
                           "InternalError", "InternalFailure", "InternalServerError", "RequestTimeout",
                           "RequestTimeoutException", "SlowDown", "TooManyRequestsException"))


def is_outage(exc: BaseException) -> bool:
    """A failure worth retrying (the database or an AWS endpoint down, locked, throttling or lost on the way), as
    opposed to a record the code cannot handle, which would fail the same way on every retry and block the shard.
    SQLite's bare DatabaseError ("database disk image is malformed", "file is not a database") comes from a file
    being replaced or written under it: retried, since parking would lose a good record for good."""
    if isinstance(exc, (DatabaseUnavailable, ConnectionError, TimeoutError)):
        return True
    if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, (sqlite3.IntegrityError, sqlite3.DataError,
                                                                       sqlite3.ProgrammingError)):
        return any(m in str(exc).lower() for m in SQLITE_TRANSIENT)  # not "no such column": that is a bug
    if isinstance(exc, OSError) and exc.errno is not None \
            and not isinstance(exc, (FileNotFoundError, PermissionError, IsADirectoryError)):
        return True
    import botocore.exceptions as bex

    if isinstance(exc, (bex.HTTPClientError, bex.EndpointConnectionError, bex.ConnectionError)):
        return True
    if isinstance(exc, bex.ClientError):
        err = exc.response.get("Error") or {}
        status = (exc.response.get("ResponseMetadata") or {}).get("HTTPStatusCode") or 0
        return err.get("Code") in TRANSIENT_AWS or int(status) >= 500
    try:
        import pymysql
    except ImportError:  # pragma: no cover
        return False
    return isinstance(exc, (pymysql.err.OperationalError, pymysql.err.InterfaceError))
