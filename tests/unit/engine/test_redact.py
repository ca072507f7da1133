"""The log redactor: a key or secret the desk knows never reaches a log line."""

import logging

from engine import redact
from engine.credentials import Credentials

KEY = "redactkey" + "R" * 55
SECRET = "redactsecret" + "Q" * 52


def test_every_record_is_scrubbed_message_arguments_and_traceback(caplog):
    redact.install()
    Credentials(KEY, SECRET)  # registering happens when the desk holds them
    log = logging.getLogger("tradedesk.test.redact")
    with caplog.at_level(logging.INFO):
        log.info("signing with %s and %s", KEY, SECRET)
        log.warning(f"inline {SECRET}")
        try:
            raise RuntimeError(f"bad key {KEY}")
        except RuntimeError:
            log.exception("failed")
    text = caplog.text + "".join(r.getMessage() for r in caplog.records)
    assert KEY not in text and SECRET not in text
    assert text.count(redact.MARK) >= 4


def test_short_values_are_not_registered():
    redact.register("abc")
    assert redact.scrub("abc") == "abc"
