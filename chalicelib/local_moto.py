"""The moto server the local stack and the tests run, one request at a time.

moto's backends are not thread-safe: concurrent ``PutRecords`` to its threaded server handed out the same
sequence number twice (12,000 acknowledged records, 11,847 distinct numbers) and ``GetRecords`` raised
"OrderedDict mutated during iteration". A lock around each request makes every backend's state change atomic;
the local stack's request rate is far below what one thread serves. A development tool, never deployed.
"""
from __future__ import annotations

import threading
from typing import Any, Callable, Iterable

from moto.server import DomainDispatcherApplication, MotoRequestHandler, ThreadedMotoServer, create_backend_app
from werkzeug.serving import make_server


def serialized(app: Callable[..., Iterable[bytes]]) -> Callable[..., list[bytes]]:
    lock = threading.Lock()

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with lock:  # the body is produced inside the lock: moto builds responses from live backend state
            return list(app(environ, start_response))
    return wsgi


class SerialMotoServer(ThreadedMotoServer):
    def _server_entry(self) -> None:
        self._server = make_server(self._ip_address, self._port,
                                   serialized(DomainDispatcherApplication(create_backend_app)), True,
                                   request_handler=MotoRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()
