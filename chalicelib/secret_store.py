"""Secrets from AWS Secrets Manager through Powertools' parameters utility, kept for ``SECRET_MAX_AGE_SECONDS``
(300): a rotated secret reaches running containers within that time, without a redeploy.

The signing key is read at both stages Secrets Manager keeps during a rotation (``AWSCURRENT`` signs,
``AWSPREVIOUS`` still verifies), so sessions, tokens and forms issued before a rotation stay valid until they
expire. Powertools keys its cache by secret name only, so each stage has its own provider.
"""
from __future__ import annotations

import time
from typing import Any

from .config import get_settings

_providers: dict[str, Any] = {}
_absent: dict[str, float] = {}  # secrets with no previous version, until when that answer holds


def _provider(stage: str) -> Any:
    p = _providers.get(stage)
    if p is None:
        from aws_lambda_powertools.utilities.parameters import SecretsProvider

        from .aws import client

        p = _providers[stage] = SecretsProvider(boto3_client=client("secretsmanager"))
    return p


def current(arn: str, refresh: bool = False) -> str:
    """The secret's current value; ``refresh`` skips the cache (a password the database just refused)."""
    return _provider("AWSCURRENT").get(arn, max_age=get_settings().secret_max_age_s, force_fetch=refresh)


def previous(arn: str) -> str | None:
    """The value before the last rotation, or None (never rotated); that answer is kept as long as a value."""
    from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

    if _absent.get(arn, 0.0) > time.monotonic():
        return None
    try:
        return _provider("AWSPREVIOUS").get(arn, max_age=get_settings().secret_max_age_s,
                                            VersionStage="AWSPREVIOUS")
    except GetParameterError:
        _absent[arn] = time.monotonic() + get_settings().secret_max_age_s
        return None


def reset() -> None:
    """Forget cached values and clients (tests and the local stack change the environment)."""
    _providers.clear()
    _absent.clear()
