"""The kill-switch banner's words, from the stored switch (pure)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from app.components.kill_banner import banner_lines
from engine.risk.config import KillSwitchAction
from engine.risk.kill_switch import KillSwitch

AT = int(dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC).timestamp() * 1000)
UTC = ZoneInfo("UTC")


def switch(**fields) -> KillSwitch:
    base = {"on": True, "rule": "manual", "reason": "stop", "tripped_at": AT,
            "tripped_by": "ann", "action": KillSwitchAction.FLATTEN}  # fmt: skip
    return KillSwitch(**{**base, **fields})


def test_before_the_first_check_it_says_it_is_checking_not_that_all_is_well() -> None:
    headline, left, progress = banner_lines(switch(), UTC)
    assert headline.startswith("KILL SWITCH ON since 2026-12-01 10:00:00 UTC, by ann: stop.")
    assert "closed at market" in headline and "sold at market for USDT" in headline
    assert left == [] and progress == "Cancelling at the exchange; checking what is left…"


def test_what_the_exchange_still_holds_is_listed() -> None:
    item = "futures SELL STOP_MARKET 0.01 BTCUSDT trigger 40,000 (still open)"
    _, left, progress = banner_lines(switch(outstanding=(item,), checked_at=AT + 5000), UTC)
    assert left == [item] and "has shown this since 10:00:05 UTC" in progress


def test_done_says_what_was_checked() -> None:
    _, left, progress = banner_lines(switch(checked_at=AT + 1000), UTC)
    assert left == [] and progress == (
        "Checked at the exchange at 10:00:01 UTC: no open order, no position and no spot "
        "holding to sell."
    )
    _, _, only = banner_lines(switch(action=KillSwitchAction.BLOCK_ONLY, tripped_by="risk-engine"),
                              UTC)  # fmt: skip
    assert only == "The switch does not touch the exchange with this action."
