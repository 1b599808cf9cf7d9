"""Logs: one line per request, as text for people or JSON for machines.

`log_request` writes the line every request ends with (operation, client, outcome,
status, duration, request id); `configure_logging` installs the text or JSON format
on the root logger. The request id is the client's `x-request-id` when it is a sane
token, else a new one; it is returned to the client and sent to every subgraph.
"""

from __future__ import annotations

import contextvars
import logging
import os
import re
import sys
import threading
import time
from typing import Any

import orjson

__all__ = [
    "REQUEST_ID_HEADER",
    "JsonFormatter",
    "configure_logging",
    "current_request_id",
    "log_request",
    "request_id_of",
]

REQUEST_ID_HEADER = "x-request-id"
_SANE = re.compile(r"[A-Za-z0-9._:-]{1,64}")
# The id of the request this task serves (subgraph fetches read it).
current_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "agora_request_id", default=None
)
_requests = logging.getLogger("agora.gateway.requests")
# Attributes every LogRecord has: the rest are a line's own fields.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
}


def request_id_of(value: str | None) -> str:
    """The client's request id when it is a sane token, else a new one."""
    if value and _SANE.fullmatch(value):
        return value
    # 128 random bits in hex, as uuid4().hex has (less 6 fixed bits), without
    # building a UUID: 0.45 instead of 2 us.
    return os.urandom(16).hex()


def log_request(**fields: Any) -> None:
    """The one line a request ends with (an INFO record of `agora.gateway.requests`
    whose message is `request key=value ...` and whose `request` attribute holds the
    fields). Nothing is built when INFO is filtered out; otherwise the record is made
    without the logger's frame walk (`findCaller`) and the attributes that are the
    same for every line are copied from one record made at import."""
    if _requests.isEnabledFor(logging.INFO):
        summary = " ".join([f"{key}={value}" for key, value in fields.items()])
        _requests.handle(_RequestLine("request " + summary, fields))


# A record as `_requests.info` would make it here; `_RequestLine` copies its
# attributes and sets the ones that change from line to line.
_SAMPLE = logging.LogRecord(
    _requests.name, logging.INFO, __file__, 0, "", (), None, "log_request"
)
_LINE_ATTRIBUTES = {
    **vars(_SAMPLE),
    "thread": None,
    "threadName": None,
    "processName": None,
    "process": None,
}
_STARTED = _SAMPLE.created - _SAMPLE.relativeCreated / 1000
# (pid, process name): looked up again after a fork.
_process: tuple[int, str | None] = (-1, None)


def _process_name(pid: int) -> str | None:
    global _process
    if _process[0] != pid:
        name: str | None = "MainProcess"
        multiprocessing = sys.modules.get("multiprocessing")
        if multiprocessing is not None:
            try:
                name = multiprocessing.current_process().name
            except AttributeError:  # still loading: the default name, as logging
                pass
        _process = (pid, name)
    return _process[1]


class _RequestLine(logging.LogRecord):
    """The record of one request line (see `log_request`)."""

    def __init__(self, message: str, fields: dict[str, Any]) -> None:
        now = time.time()
        attributes = self.__dict__
        attributes.update(_LINE_ATTRIBUTES)
        attributes["msg"] = message
        attributes["request"] = fields
        attributes["created"] = now
        attributes["msecs"] = int((now - int(now)) * 1000) + 0.0
        attributes["relativeCreated"] = (now - _STARTED) * 1000
        if logging.logThreads:
            attributes["thread"] = threading.get_ident()
            attributes["threadName"] = threading.current_thread().name
        if logging.logProcesses:
            pid = os.getpid()
            attributes["process"] = pid
            if logging.logMultiprocessing:
                attributes["processName"] = _process_name(pid)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and the record's
    own fields (a request line's `request` fields are lifted to the top)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        request = getattr(record, "request", None)
        if isinstance(request, dict):
            line.update(request)
            line["message"] = "request"
        else:
            line["message"] = record.getMessage()
        for key, value in vars(record).items():
            if key not in _STANDARD and key != "request":
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


def configure_logging(level: str, fmt: str) -> None:
    """Log at `level` to stderr, as `text` or `json` lines."""
    handler = logging.StreamHandler()
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
