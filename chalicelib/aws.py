"""Lazy boto3 clients, created once per container: importing boto3 costs ~200 ms of cold start."""
from __future__ import annotations

import functools
import threading
from typing import Any

_lock = threading.Lock()


@functools.lru_cache(maxsize=None)
def client(service: str) -> Any:
    with _lock:
        import boto3  # deferred: only the code paths that touch AWS pay for it
        from botocore.config import Config

        from .config import get_settings

        cfg = Config(connect_timeout=3, read_timeout=20, retries={"max_attempts": 3, "mode": "standard"},
                     signature_version="s3v4" if service == "s3" else None)  # presigned POSTs signed with v4
        return boto3.session.Session().client(service, region_name=get_settings().region, config=cfg)


def reset() -> None:
    client.cache_clear()
