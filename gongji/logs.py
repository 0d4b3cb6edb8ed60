"""Logging: one JSON object per line, the request id on every line, ID numbers and phone numbers masked.

``configure()`` sets up the process (``gongji serve`` calls it first); ``uvicorn_log_config()`` is the
same set-up as a dict for uvicorn, which applies it again in every worker process::

    logs.configure()
    uvicorn.run(..., log_config=logs.uvicorn_log_config(), access_log=False)

(``access_log=False``: the service writes its own access line per request, with the route template
and the caller, from :class:`gongji.api.middleware.AccessMiddleware`.)

A line looks like::

    {"time": "2025-06-02T09:30:00.123+08:00", "level": "INFO", "logger": "gongji.access",
     "message": "POST /v1/settlements 201", "request_id": "6c1f0a9e3b2d4c5f", "method": "POST",
     "route": "/v1/settlements", "status": 201, "duration_ms": 12.3, "role": "institution",
     "caller": "H23010100001"}

Masking: :class:`MaskingFilter` sits on every handler this module makes (and on every handler that
exists when :func:`configure` runs). It replaces each resident ID number (17 digits and a digit or
``X``) by ``2301**********1234`` and each mainland mobile number (``1[3-9]`` and 9 more digits) by
``138****5678`` in the message with its arguments, in extra fields and in exception text, for the
service's own loggers and uvicorn's alike. Only whole numbers are masked: a digit right before or
after means it is some other, longer number (amounts in fen, ids) and stays as it is.
:class:`QuietFilter` drops alembic's set-up chatter, which each readiness check would repeat.

Settings from the environment when the arguments are not given: ``GONGJI_LOG_FORMAT`` (``json``, the
default, or ``text`` for a terminal) and ``GONGJI_LOG_LEVEL`` (``INFO``). ``GONGJI_LOG_FILE`` names a file that
gets the same lines as JSON, masked, besides standard error; ``{pid}`` in the name is each process's id, so that
the workers of ``gongji serve --workers N`` write a file each (the tests scan these files for ID numbers).
"""

from __future__ import annotations

import json as jsonlib
import logging
import logging.config
import os
import re
import traceback
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from gongji.people.ids import mask as mask_id_number

#: The id of the request being served (set by :class:`gongji.api.middleware.RequestIdMiddleware`).
request_id: ContextVar[str | None] = ContextVar("gongji_request_id", default=None)

_ID_NUMBER = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")
# A mobile number stands alone, or after the country code (+86, 0086, 86).
_PHONE = re.compile(r"(?:(?<=\+86)|(?<=(?<![0-9])0086)|(?<=(?<![0-9])86)|(?<![0-9]))1[3-9][0-9]{9}(?![0-9])")

#: Attributes every LogRecord has; everything else on a record is an extra field.
_STANDARD = set(logging.LogRecord("x", logging.INFO, "x", 0, "x", None, None).__dict__) | {
    "message", "asctime", "taskName", "color_message", "request_id", "_gongji_masked",
}


def mask_text(text: str) -> str:
    """``text`` with every resident ID number and mobile number masked."""
    if len(text) < 11:
        return text
    text = _ID_NUMBER.sub(lambda m: mask_id_number(m.group()), text)
    return _PHONE.sub(lambda m: m.group()[:3] + "****" + m.group()[-4:], text)


def mask_value(value: Any) -> Any:
    """Strings masked, inside lists, tuples and dicts too; other values as they are."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: mask_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_value(v) for v in value]
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(mask_value(v) for v in value)
    return value


class MaskingFilter(logging.Filter):
    """Masks ID numbers and mobile numbers in a record before any handler writes it.

    The message is rendered with its arguments and masked (so an argument of any type is covered),
    extra fields are masked, and an exception's traceback is rendered, masked and kept as
    ``exc_text`` in place of the exception itself, so no formatter can print the unmasked one.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_gongji_masked", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # arguments that do not fit the message: keep both, masked
            message = f"{record.msg!s} {record.args!r}"
        record.msg, record.args = mask_text(message), None
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD:
                record.__dict__[key] = mask_value(value)
        if record.exc_info:
            if not record.exc_text:
                record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            record.exc_info = None
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info)
        record._gongji_masked = True
        return True


class QuietFilter(logging.Filter):
    """Drops alembic's set-up chatter, which every readiness check would otherwise repeat (its upgrades stay)."""

    _CHATTER = ("Context impl ", "Will assume ", "setup plugin ")

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.name.startswith("alembic.runtime.") and record.levelno <= logging.INFO
                    and isinstance(record.msg, str) and record.msg.startswith(self._CHATTER))


def _time(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="milliseconds")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, extra fields, exception."""

    def __init__(self, *args: Any, use_colors: bool | None = None, **kwargs: Any) -> None:
        super().__init__()

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _time(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id.get(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in entry:
                entry[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        # A second pass over the whole line catches values whose text only shows when written out.
        return mask_text(jsonlib.dumps(entry, ensure_ascii=False, default=str))


class TextFormatter(logging.Formatter):
    """For a terminal: ``time level logger [request id] message key=value ...``."""

    def __init__(self, *args: Any, use_colors: bool | None = None, **kwargs: Any) -> None:
        super().__init__()

    def format(self, record: logging.LogRecord) -> str:
        rid = getattr(record, "request_id", None) or request_id.get()
        extras = " ".join(f"{k}={v}" for k, v in record.__dict__.items() if k not in _STANDARD)
        line = f"{_time(record)} {record.levelname:<7} {record.name}{f' [{rid}]' if rid else ''} " \
               f"{record.getMessage()}{' ' + extras if extras else ''}"
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line += "\n" + record.exc_text
        if record.stack_info:
            line += "\n" + record.stack_info
        return mask_text(line)


class ProcessFileHandler(logging.FileHandler):
    """A file handler whose file name may hold ``{pid}``, filled in by the process that opens it."""

    def __init__(self, filename: str, **kwargs: Any) -> None:
        path = filename.replace("{pid}", str(os.getpid()))
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        super().__init__(path, encoding="utf-8", delay=True, **kwargs)


def _settings(json: bool | None, level: str | int | None) -> tuple[bool, str | int]:
    if json is None:
        json = os.environ.get("GONGJI_LOG_FORMAT", "json").strip().lower() != "text"
    if level is None:
        level = os.environ.get("GONGJI_LOG_LEVEL", "INFO").strip().upper() or "INFO"
    return json, level


def uvicorn_log_config(json: bool | None = None, level: str | int | None = None) -> dict[str, Any]:
    """The logging set-up as a :func:`logging.config.dictConfig` dict (for ``uvicorn.run(log_config=...)``).

    One handler on the root logger, to standard error, with the masking filter (and one to ``GONGJI_LOG_FILE``
    when it is set); uvicorn's loggers write through it (they keep no handlers of their own).
    """
    json, level = _settings(json, level)
    log_file = os.environ.get("GONGJI_LOG_FILE", "").strip()
    formatter = {"()": "gongji.logs.JsonFormatter" if json else "gongji.logs.TextFormatter"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"quiet": {"()": "gongji.logs.QuietFilter"}, "mask": {"()": "gongji.logs.MaskingFilter"}},
        # uvicorn sets ``use_colors`` on formatters named "default" and "access" when asked to.
        "formatters": {"default": dict(formatter), "access": dict(formatter),
                       "file": {"()": "gongji.logs.JsonFormatter"}},
        "handlers": {
            "default": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr", "formatter": "default",
                        "filters": ["quiet", "mask"]},
            **({"file": {"()": "gongji.logs.ProcessFileHandler", "filename": log_file, "formatter": "file",
                         "filters": ["quiet", "mask"]}} if log_file else {}),
        },
        "root": {"handlers": ["default", "file"] if log_file else ["default"], "level": level},
        "loggers": {
            **{name: {"handlers": [], "level": level, "propagate": True}
               for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")},
            # one line per outgoing request (the federation deliverer, the national client) is noise; failures are
            # logged by their callers
            "httpx": {"handlers": [], "level": "WARNING", "propagate": True},
        },
    }


def install_masking() -> None:
    """Put the masking filter on every handler of every logger that exists now (once each)."""
    loggers = [logging.getLogger()] + [lg for lg in logging.Logger.manager.loggerDict.values()
                                       if isinstance(lg, logging.Logger)]
    for logger in loggers:
        for handler in logger.handlers:
            if not any(isinstance(f, MaskingFilter) for f in handler.filters):
                handler.addFilter(MaskingFilter())


def configure(json: bool | None = None, level: str | int | None = None) -> None:
    """Set up logging for the process: JSON lines (or text) to standard error, masked, at ``level``."""
    logging.config.dictConfig(uvicorn_log_config(json, level))
    logging.captureWarnings(True)
    install_masking()
