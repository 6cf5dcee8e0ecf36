"""Powertools' structured JSON logs for every Lambda function, not only the stream handler.

Every module logs through the standard ``logging.getLogger(__name__)``; in Lambda, ``setup`` gives the root logger
Powertools' formatter (level from ``POWERTOOLS_LOG_LEVEL``, default INFO), so each line of each function is one JSON
object with the service, the function and the request id, queried the same way in CloudWatch Logs Insights. Outside
Lambda (the local stack, tests) plain logging stays.
"""
from __future__ import annotations

import logging
import os
import sys
from typing import Any

_FORMATTER: Any = None


def setup(service: str) -> Any:
    """Once per container; a no-op outside Lambda. Returns the formatter (None when not in Lambda)."""
    global _FORMATTER
    if _FORMATTER is not None or not os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        return _FORMATTER
    from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

    _FORMATTER = LambdaPowertoolsFormatter(service=service, function_name=os.environ["AWS_LAMBDA_FUNCTION_NAME"],
                                           utc=True)
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(_FORMATTER)
    root = logging.getLogger()
    root.handlers = [handler]  # the runtime's plain-text handler would write every line a second time
    root.setLevel(os.environ.get("POWERTOOLS_LOG_LEVEL", "INFO").upper())
    return _FORMATTER


def bind(context: Any) -> None:
    """The invocation's request id on every line it logs (``app.lambda_context``)."""
    if _FORMATTER is not None and context is not None:
        _FORMATTER.append_keys(function_request_id=getattr(context, "aws_request_id", None))


def reset() -> None:
    global _FORMATTER
    _FORMATTER = None
