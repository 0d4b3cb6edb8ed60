"""Logs: JSON lines with the request id, and ID numbers and phone numbers masked wherever they appear.

An ID number (N-2, HN-3: people give theirs, and their relatives', with a phone number) is shown masked
to everyone but its owner, and logs are read by operators: they never hold one unmasked.
"""

from __future__ import annotations

import contextvars
import io
import json
import logging
from collections.abc import Iterator

import pytest

from gongji import logs
from gongji.people.ids import compose_id_number, mask

ID_NUMBER = compose_id_number("230103", __import__("datetime").date(1990, 1, 1), 123, "M")
ID_X = "11010519491231002X"  # a valid number whose check character is X
MASKED = ID_NUMBER[:4] + "*" * 10 + ID_NUMBER[-4:]
PHONE, MASKED_PHONE = "13812345678", "138****5678"


def record_of(logger: logging.Logger, call) -> tuple[str, logging.LogRecord]:
    """What ``call(logger)`` writes through a handler with the masking filter and the JSON formatter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(logs.MaskingFilter())
    handler.setFormatter(logs.JsonFormatter())
    seen: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record)

    keep = Keep()
    logger.addHandler(handler)
    logger.addHandler(keep)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        call(logger)
    finally:
        logger.removeHandler(handler)
        logger.removeHandler(keep)
    return stream.getvalue(), seen[-1]


@pytest.fixture
def logger(request) -> logging.Logger:
    return logging.getLogger(f"tests.logs.{request.node.name}")


# -- what is masked, and what is not ---------------------------------------------------------------------


@pytest.mark.parametrize(("given", "shown"), [
    (ID_NUMBER, MASKED),
    (ID_X, "1101**********002X"),
    (ID_X.lower(), "1101**********002x"),
    (f"身份证{ID_NUMBER}已绑定", f"身份证{MASKED}已绑定"),
    (f'{{"id_number": "{ID_NUMBER}"}}', f'{{"id_number": "{MASKED}"}}'),
    (PHONE, MASKED_PHONE),
    (f"手机{PHONE}，", f"手机{MASKED_PHONE}，"),
    ("+8613912345678", "+86139****5678"),
    ("+86 15012345678", "+86 150****5678"),
    ("008618612345678", "0086186****5678"),
    (f"tel:{PHONE};id={ID_NUMBER}", f"tel:{MASKED_PHONE};id={MASKED}"),
])
def test_id_numbers_and_mobile_numbers_are_masked(given, shown):
    assert logs.mask_text(given) == shown
    assert logs.mask_text(shown) == shown  # masking twice changes nothing more


def test_the_mask_of_an_id_number_is_the_one_people_see_elsewhere():
    assert logs.mask_text(ID_NUMBER) == mask(ID_NUMBER)


@pytest.mark.parametrize("given", [
    "amount_fen=123456789",  # an amount
    "settlement 42 of person 7",  # internal ids
    "12345678901",  # 11 digits, not a mobile number (no 1[3-9] start)
    "10012345678",
    "138123456789",  # 12 digits: some longer number
    "1381234567",  # 10 digits
    "1234567890123456789",  # 19 digits: not an ID number
    "12345678901234567",  # 17 digits
    "2025-06-02T09:30:00+08:00",
    "H23010100001",  # an institution code
    "6c1f0a9e3b2d4c5f",  # a request id
])
def test_other_numbers_are_left_alone(given):
    assert logs.mask_text(given) == given


# -- the filter on records -------------------------------------------------------------------------------


def test_the_filter_masks_the_message_and_its_arguments(logger):
    class Person:
        def __str__(self) -> str:
            return f"Person({ID_NUMBER})"

    written, record = record_of(logger, lambda lg: lg.info(
        "bound %s to %s, phone %s, amount %d fen, binding %d", ID_NUMBER, Person(), PHONE, 125_000, 17))
    entry = json.loads(written)
    assert entry["message"] == (f"bound {MASKED} to Person({MASKED}), phone {MASKED_PHONE}, "
                                f"amount 125000 fen, binding 17")
    assert record.getMessage() == entry["message"]  # other handlers get the masked record too
    assert ID_NUMBER not in written and PHONE not in written


def test_the_filter_masks_extra_fields_nested_too(logger):
    written, _ = record_of(logger, lambda lg: lg.warning("refused", extra={
        "id_number": ID_NUMBER, "form": {"phone": PHONE, "relatives": [ID_X, 3]}, "amount_fen": 13812345,
        "person_id": 42}))
    entry = json.loads(written)
    assert entry["id_number"] == MASKED
    assert entry["form"] == {"phone": MASKED_PHONE, "relatives": ["1101**********002X", 3]}
    assert entry["amount_fen"] == 13812345 and entry["person_id"] == 42


def test_the_filter_masks_exception_text_and_stack(logger):
    def fail(lg: logging.Logger) -> None:
        try:
            raise ValueError(f"no account for {ID_NUMBER}, call {PHONE}; balance 99999 fen")
        except ValueError:
            lg.exception("settlement failed for %s", ID_X, stack_info=True)

    written, record = record_of(logger, fail)
    entry = json.loads(written)
    assert entry["level"] == "ERROR"
    assert "Traceback" in entry["exception"] and "ValueError" in entry["exception"]
    assert f"no account for {MASKED}, call {MASKED_PHONE}; balance 99999 fen" in entry["exception"]
    assert entry["message"] == "settlement failed for 1101**********002X"
    assert "stack" in entry
    assert ID_NUMBER not in written and PHONE not in written and ID_X not in written
    # The unmasked exception is gone from the record: no other formatter can print it.
    assert record.exc_info is None and ID_NUMBER not in logging.Formatter().format(record)


def test_arguments_that_do_not_fit_the_message_are_kept_masked(logger):
    written, _ = record_of(logger, lambda lg: lg.info("one %s and %s", ID_NUMBER))
    assert MASKED in json.loads(written)["message"] and ID_NUMBER not in written


# -- JSON lines ----------------------------------------------------------------------------------------------


def test_a_line_is_one_json_object_with_time_level_logger_message_and_request_id(logger):
    def in_a_request(lg: logging.Logger) -> None:
        logs.request_id.set("req-77")
        lg.info("paid %d fen", 1250, extra={"settlement_id": 9, "when": __import__("datetime").date(2025, 6, 2)})

    written, _ = record_of(logger, lambda lg: contextvars.copy_context().run(in_a_request, lg))
    assert written.count("\n") == 1
    entry = json.loads(written)
    assert entry["level"] == "INFO" and entry["logger"] == logger.name and entry["message"] == "paid 1250 fen"
    assert entry["request_id"] == "req-77" and entry["settlement_id"] == 9 and entry["when"] == "2025-06-02"
    assert __import__("datetime").datetime.fromisoformat(entry["time"]).tzinfo is not None
    outside, _ = record_of(logger, lambda lg: lg.info("between requests"))
    assert json.loads(outside)["request_id"] is None


# -- the process's set-up, uvicorn included -----------------------------------------------------------------


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """Whatever ``configure()`` changes is put back after the test."""
    names = ["", "uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi"]
    saved = {n: (lg.handlers[:], lg.level, lg.propagate, lg.disabled)
             for n in names for lg in [logging.getLogger(n or None)]}
    try:
        yield
    finally:
        logging.captureWarnings(False)
        for n, (handlers, level, propagate, disabled) in saved.items():
            lg = logging.getLogger(n or None)
            lg.handlers[:] = handlers
            lg.setLevel(level)
            lg.propagate, lg.disabled = propagate, disabled


def test_configure_writes_masked_json_lines_for_uvicorn_loggers_too(restored_logging, capsys):
    logs.configure(json=True, level="INFO")
    try:
        raise ConnectionError(f"client sent {ID_NUMBER}")
    except ConnectionError:
        logging.getLogger("uvicorn.error").exception("Exception in ASGI application")
    logging.getLogger("uvicorn.access").info('%s - "%s %s HTTP/%s" %d', "10.0.0.1:5000", "GET",
                                             f"/v1/lookup?phone={PHONE}", "1.1", 200)
    logging.getLogger("gongji.something").debug("not written at INFO")
    err = capsys.readouterr().err
    entries = [json.loads(line) for line in err.splitlines()]
    assert [e["logger"] for e in entries] == ["uvicorn.error", "uvicorn.access"]
    assert MASKED in entries[0]["exception"] and ID_NUMBER not in err
    assert f"phone={MASKED_PHONE}" in entries[1]["message"] and PHONE not in err


def test_configure_puts_the_filter_on_handlers_that_were_there_before(restored_logging):
    stream = io.StringIO()
    earlier = logging.StreamHandler(stream)
    other = logging.getLogger("tests.logs.earlier")
    other.addHandler(earlier)
    other.propagate = False
    try:
        logs.configure(json=False, level="INFO")
        other.warning("lookup of %s", ID_NUMBER)
    finally:
        other.removeHandler(earlier)
    assert stream.getvalue().strip() == f"lookup of {MASKED}"


def test_text_lines_for_a_terminal_are_masked_too(restored_logging, capsys, monkeypatch):
    monkeypatch.setenv("GONGJI_LOG_FORMAT", "text")
    logs.configure()
    logging.getLogger("gongji.cli").warning("call %s", PHONE, extra={"id_number": ID_NUMBER})
    err = capsys.readouterr().err
    assert "WARNING" in err and f"call {MASKED_PHONE}" in err and f"id_number={MASKED}" in err
    assert PHONE not in err and ID_NUMBER not in err


def test_uvicorn_applies_the_same_set_up_itself(restored_logging, capsys):
    """``uvicorn.run(log_config=logs.uvicorn_log_config())`` sets this up in every worker process."""
    import uvicorn

    uvicorn.Config("gongji.api.app:serve_app", factory=True, log_config=logs.uvicorn_log_config(json=True),
                   access_log=False)
    assert logging.getLogger("uvicorn.error").handlers == []
    logging.getLogger("uvicorn.error").info("Started for %s", ID_NUMBER)
    (entry,) = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert entry == {**entry, "logger": "uvicorn.error", "message": f"Started for {MASKED}", "request_id": None}
