"""Risk and trading configuration: bad values are refused with the field and the reason; versions
are stored with who and when, and come back exact."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from engine.risk.config import (
    ConfigError,
    ConfigProblem,
    CorrelationLimit,
    KillSwitchAction,
    RiskConfig,
    RiskPerTrade,
    TradingConfig,
    parse_risk_config,
    parse_trading_config,
)
from engine.store.config_versions import (
    FieldChange,
    config_history,
    diff_configs,
    load_latest_config,
    save_config_version,
)
from engine.store.schema import migrate


def _fields(exc: ConfigError) -> dict[str, str]:
    return {p.field: p.reason for p in exc.problems}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"max_daily_loss_usdt": "-100"}, "max_daily_loss_usdt"),
        ({"max_daily_loss_usdt": "0"}, "max_daily_loss_usdt"),
        ({"max_daily_loss_pct": "100.01"}, "max_daily_loss_pct"),
        ({"max_drawdown_pct": "-5"}, "max_drawdown_pct"),
        ({"max_notional_total": "-1"}, "max_notional_total"),
        ({"max_notional_per_symbol": "0"}, "max_notional_per_symbol"),
        ({"max_open_positions": 0}, "max_open_positions"),
        ({"max_leverage": 126}, "max_leverage"),
        ({"max_leverage": 0}, "max_leverage"),
        ({"risk_per_trade": {"pct": "0"}}, "risk_per_trade.pct"),
        ({"risk_per_trade": {"pct": "150"}}, "risk_per_trade.pct"),
        ({"risk_per_trade": {"pct": "1", "mode": "yolo"}}, "risk_per_trade.mode"),
        ({"correlation": {"max_abs": "1.2"}}, "correlation.max_abs"),
        ({"correlation": {"max_abs": "0.5", "lookback_bars": 1}}, "correlation.lookback_bars"),
        ({"kill_switch_action": "panic"}, "kill_switch_action"),
        ({"max_lossage": "5"}, "max_lossage"),
    ],
)
def test_bad_risk_values_are_refused_with_the_field(data: dict, field: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_risk_config(data)
    assert field in _fields(info.value), info.value.problems


def test_every_bad_field_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as info:
        parse_risk_config({"max_daily_loss_usdt": "-1", "max_drawdown_pct": "101"})
    assert set(_fields(info.value)) == {"max_daily_loss_usdt", "max_drawdown_pct"}
    assert "greater than 0" in _fields(info.value)["max_daily_loss_usdt"]


def test_leverage_above_the_exchange_bracket_is_refused() -> None:
    brackets = {"BTCUSDT": 125, "DOGEUSDT": 50}
    with pytest.raises(ConfigError) as info:
        parse_risk_config({"max_leverage": 75}, max_leverage_by_symbol=brackets)
    assert _fields(info.value) == {
        "max_leverage": "75x is above the exchange bracket: DOGEUSDT allows 50x"
    }
    assert parse_risk_config({"max_leverage": 50}, brackets).max_leverage == 50


def test_per_symbol_limit_above_the_total_is_refused() -> None:
    with pytest.raises(ConfigError) as info:
        parse_risk_config({"max_notional_per_symbol": "60000", "max_notional_total": "50000"})
    assert "max_notional_per_symbol" in _fields(info.value)


def test_a_good_risk_config_parses_exactly() -> None:
    config = parse_risk_config(
        {
            "max_open_positions": 5,
            "risk_per_trade": {"pct": "1.5", "mode": "notional"},
            "max_daily_loss_usdt": "1000.01",
            "max_drawdown_pct": "10",
            "correlation": {"max_abs": "0.8", "lookback_bars": 200, "interval": "15m"},
            "kill_switch_action": "flatten",
        }
    )
    assert config.max_daily_loss_usdt == Decimal("1000.01")
    assert config.risk_per_trade == RiskPerTrade(pct=Decimal("1.5"), mode="notional")
    assert config.kill_switch_action is KillSwitchAction.FLATTEN
    assert config.max_leverage is None  # off


def test_unknown_pairs_are_refused_when_the_symbols_are_known() -> None:
    with pytest.raises(ConfigError) as info:
        parse_trading_config(
            {"spot_pairs": ["BTCUSDT", "FOOUSDT"], "futures_pairs": ["ETHUSDT"]},
            known_spot={"BTCUSDT", "ETHUSDT"},
            known_futures={"BTCUSDT"},
        )
    assert info.value.problems == [
        ConfigProblem(field="spot_pairs", reason="unknown pair: FOOUSDT"),
        ConfigProblem(field="futures_pairs", reason="unknown pair: ETHUSDT"),
    ]
    # Without the exchange's list only the spelling is checked.
    assert parse_trading_config({"spot_pairs": ["FOOUSDT"]}).spot_pairs == ("FOOUSDT",)


@pytest.mark.parametrize("pairs", [["btcusdt"], ["BTC-USDT"], ["BTCUSDT", "BTCUSDT"]])
def test_badly_spelled_or_repeated_pairs_are_refused(pairs: list[str]) -> None:
    with pytest.raises(ConfigError) as info:
        parse_trading_config({"spot_pairs": pairs})
    assert "spot_pairs" in _fields(info.value)


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(str(tmp_path / "desk.duckdb"))
    migrate(connection)
    yield connection
    connection.close()


def test_versions_are_numbered_and_the_latest_comes_back_exact(con) -> None:
    first = RiskConfig(max_daily_loss_usdt=Decimal("500.10"))
    second = RiskConfig(
        max_daily_loss_usdt=Decimal("750.25"),
        correlation=CorrelationLimit(max_abs=Decimal("0.7")),
    )
    assert save_config_version(con, "risk", first, "alice", 1_000) == 1
    assert save_config_version(con, "risk", second, "bob", 2_000) == 2
    assert save_config_version(con, "trading", TradingConfig(), "bob", 2_500) == 1

    latest = load_latest_config(con.cursor(), "risk")
    assert latest is not None
    assert (latest.version, latest.actor, latest.changed_ms) == (2, "bob", 2_000)
    assert latest.parse(RiskConfig) == second
    assert load_latest_config(con.cursor(), "nothing") is None


def test_history_says_who_changed_which_field(con) -> None:
    save_config_version(con, "risk", RiskConfig(max_leverage=10), "alice", 1_000)
    save_config_version(
        con, "risk", RiskConfig(max_leverage=5, max_drawdown_pct=Decimal("12.5")), "bob", 2_000
    )
    newest, oldest = config_history(con.cursor(), "risk")
    assert (newest.version, newest.actor) == (2, "bob")
    assert newest.changes == (
        FieldChange("max_drawdown_pct", None, "12.5"),
        FieldChange("max_leverage", 10, 5),
    )
    assert FieldChange("max_leverage", None, 10) in oldest.changes


def test_diff_flattens_nested_settings() -> None:
    before = {"correlation": {"max_abs": "0.8", "interval": "1h"}, "max_leverage": 5}
    after = {"correlation": {"max_abs": "0.6", "interval": "1h"}, "max_leverage": 5}
    assert diff_configs(before, after) == [FieldChange("correlation.max_abs", "0.8", "0.6")]
