"""USD-M accounting against Binance's worked examples (shared/notes/binance-api.md section 8)."""

from __future__ import annotations

import gzip
import itertools
import json
from decimal import Decimal as D

import pytest

from simulator.core.errors import ApiError
from simulator.futures.accounts import FuturesAccount
from simulator.futures.brackets import Bracket, BracketTable
from simulator.futures.margin import (
    Fill,
    MarginType,
    initial_margin,
    liquidation_price,
    liquidation_price_for,
    unrealized_pnl,
)
from simulator.futures.symbols import DEFAULT_FUTURES_SYMBOLS
from tests.conftest import SHARED_DATA

SPECS = {s.symbol: s for s in DEFAULT_FUTURES_SYMBOLS}
TIERS_FILE = SHARED_DATA / "fixtures/freqtrade/binance_leverage_tiers.json.gz"
CENT = D("0.01")


def cents(value: D) -> D:
    return value.quantize(CENT)


def account(balance: str = "10000") -> FuturesAccount:
    acct = FuturesAccount(SPECS)
    acct.deposit(D(balance), time=0)
    return acct


# --- 8.2: Position-Information-V3 examples ----------------------------------------------------


def test_adausdt_position_example() -> None:
    amount, entry, mark = D("30"), D("0.385"), D("0.41047590")
    notional = amount * mark
    ada_tier = BracketTable((Bracket(1, 75, D(0), D(5000), D("0.0065"), D(0)),))
    assert notional == D("12.314277")
    assert unrealized_pnl(amount, entry, mark) == D("0.764277")
    assert initial_margin(notional, 20) == D("0.61571385")
    assert ada_tier.maintenance_margin(notional) == D("0.0800428005")


def test_compusdt_short_position_example() -> None:
    amount, entry, mark = D("-1"), D("70.92841"), D("49.72023376")
    comp_tier = BracketTable((Bracket(1, 50, D(0), D(5000), D("0.01"), D(0)),))
    assert unrealized_pnl(amount, entry, mark) == D("21.20817624")
    assert cents(comp_tier.maintenance_margin(amount * mark)) == D("0.50")
    assert comp_tier.maintenance_margin(amount * mark).quantize(D("0.0000001")) == D("0.4972023")


# --- 8.4: liquidation price test vectors --------------------------------------------------------

WB = D("1535443.01")
ETH = {"amount": D("3683.979"), "entry": D("1456.84"), "mmr": D("0.10"), "cum": D("135365")}
BTC = {"amount": D("109.488"), "entry": D("32481.98"), "mmr": D("0.025"), "cum": D("16300")}


def _others(pos: dict, mark: str) -> tuple[D, D]:
    upnl = pos["amount"] * (D(mark) - pos["entry"])
    maint = pos["amount"] * D(mark) * pos["mmr"] - pos["cum"]
    return upnl, maint


@pytest.mark.parametrize(
    ("pos", "other", "expected"),
    [
        (ETH, None, "1114.78"),
        (BTC, None, "18778.73"),
        (ETH, (BTC, "31967.27"), "1153.26"),
        (BTC, (ETH, "1335.18"), "26316.89"),
    ],
    ids=["eth-isolated", "btc-isolated", "eth-cross", "btc-cross"],
)
def test_liquidation_price_vectors(pos: dict, other: tuple | None, expected: str) -> None:
    upnl, maint = _others(*other) if other else (D(0), D(0))
    price = liquidation_price_for(
        pos["amount"], pos["entry"], WB, pos["mmr"], pos["cum"], upnl, maint
    )
    assert cents(price) == D(expected)


def test_short_liquidation_price_is_above_entry() -> None:
    # Short 1 BTC at 30000 with 1500 isolated margin (20x), bracket 1 (mmr 0.004, cum 0).
    price = liquidation_price_for(D(-1), D(30000), D(1500), D("0.004"), D(0))
    assert cents(price) == D("31374.50")  # (1500 + 30000) / 1.004


def test_liquidation_price_picks_the_bracket_it_lands_in() -> None:
    spec = SPECS["BTCUSDT"]
    # 2 BTC long at 40000, 8000 margin: notional at liquidation is ~64k, bracket 2.
    price = liquidation_price(D(2), D(40000), D(8000), spec)
    tier = spec.brackets.for_notional(2 * price)
    assert tier.bracket == 2
    expected = liquidation_price_for(D(2), D(40000), D(8000), tier.maint_margin_ratio, tier.cum)
    assert price == expected
    # At that price the margin balance equals the maintenance margin exactly.
    margin_balance = D(8000) + unrealized_pnl(D(2), D(40000), price)
    assert cents(margin_balance) == cents(spec.brackets.maintenance_margin(2 * price))


# --- 8.3: brackets -----------------------------------------------------------------------------


@pytest.mark.parametrize("spec", DEFAULT_FUTURES_SYMBOLS, ids=lambda s: s.symbol)
def test_bracket_cum_recurrence_keeps_maintenance_continuous(spec) -> None:
    tiers = spec.brackets.brackets
    for prev, cur in itertools.pairwise(tiers):
        assert cur.cum == prev.cum + cur.notional_floor * (
            cur.maint_margin_ratio - prev.maint_margin_ratio
        )
        assert cur.notional_floor == prev.notional_cap


@pytest.mark.skipif(not TIERS_FILE.exists(), reason=f"real leverage tiers absent: {TIERS_FILE}")
@pytest.mark.parametrize("spec", DEFAULT_FUTURES_SYMBOLS, ids=lambda s: s.symbol)
def test_brackets_match_binances_recorded_tables(spec) -> None:
    with gzip.open(TIERS_FILE) as fh:
        tiers = json.load(fh)[f"{spec.base_asset}/USDT:USDT"]
    recorded = [t["info"] for t in tiers]
    served = [b.to_wire() for b in spec.brackets.brackets]
    numbers = ("notionalCap", "notionalFloor", "maintMarginRatio", "cum")
    # Binance sends JSON numbers; the recording (ccxt's cache) kept them as text
    assert all(isinstance(row[k], int | float) for row in served for k in numbers)
    assert [{k: D(str(v)) for k, v in row.items()} for row in served] == [
        {
            "bracket": int(r["bracket"]),
            "initialLeverage": int(r["initialLeverage"]),
            **{k: D(r[k]) for k in numbers},
        }
        for r in recorded
    ]


def test_bracket_lookup_and_leverage_caps() -> None:
    table = SPECS["BTCUSDT"].brackets
    assert table.for_notional(D("49999.99")).bracket == 1
    assert table.for_notional(D("50000")).bracket == 2
    assert table.for_notional(D("-700000")).bracket == 3
    assert table.max_leverage == 125
    assert table.max_notional_at(125) == D(50000)
    assert table.max_notional_at(20) == D(100000000)
    assert table.maintenance_margin(D(50000)) == D(200)  # both sides of the edge agree


# --- trading -----------------------------------------------------------------------------------


def test_entry_price_on_adds_and_realized_pnl_on_reductions() -> None:
    acct = account()
    acct.apply_fill(Fill("BTCUSDT", "BUY", D("0.1"), D(50000), is_maker=False, time=1))
    acct.apply_fill(Fill("BTCUSDT", "BUY", D("0.3"), D(52000), is_maker=True, time=2))
    position = acct.position("BTCUSDT")
    assert position.amount == D("0.4")
    assert position.entry_price == D(51500)  # (0.1*50000 + 0.3*52000) / 0.4
    outcome = acct.apply_fill(Fill("BTCUSDT", "SELL", D("0.25"), D(53000), is_maker=False, time=3))
    assert outcome.realized_pnl == D("375")  # 0.25 * (53000 - 51500)
    assert outcome.commission == D("6.625")  # 0.25 * 53000 * 0.0005
    assert position.amount == D("0.15")
    assert position.entry_price == D(51500)
    # fees: 2.5 (taker) + 3.12 (maker: 0.3*52000*0.0002) + 6.625
    assert acct.cross_wallet == D(10000) - D("2.5") - D("3.12") + D(375) - D("6.625")


def test_fill_through_zero_flips_the_position() -> None:
    acct = account()
    acct.apply_fill(Fill("ETHUSDT", "SELL", D(2), D(3000), is_maker=False, time=1))
    outcome = acct.apply_fill(Fill("ETHUSDT", "BUY", D(5), D(2900), is_maker=False, time=2))
    position = acct.position("ETHUSDT")
    assert outcome.realized_pnl == D(200)  # short 2 from 3000 to 2900
    assert position.amount == D(3)
    assert position.entry_price == D(2900)


def test_wallet_equals_deposits_plus_incomes() -> None:
    acct = account()
    acct.settings_for("BTCUSDT").margin_type = MarginType.ISOLATED
    acct.apply_fill(Fill("BTCUSDT", "BUY", D("0.2"), D(60000), is_maker=False, time=1))
    acct.apply_funding("BTCUSDT", D(60500), D("0.0001"), time=2)
    acct.apply_fill(Fill("BTCUSDT", "SELL", D("0.05"), D(61000), is_maker=True, time=3))
    acct.apply_fill(Fill("ETHUSDT", "SELL", D(1), D(3000), is_maker=False, time=4))
    acct.apply_funding("ETHUSDT", D(3010), D("-0.0002"), time=5)
    assert acct.wallet_balance == sum((i.income for i in acct.incomes), D(0))


def test_isolated_margin_moves_between_wallets() -> None:
    acct = account("1000")
    acct.settings_for("BTCUSDT").margin_type = MarginType.ISOLATED
    acct.apply_fill(Fill("BTCUSDT", "BUY", D("0.1"), D(50000), is_maker=False, time=1))
    position = acct.position("BTCUSDT")
    assert position.isolated_wallet == D(250)  # 5000 / 20x
    assert acct.cross_wallet == D(1000) - D(250) - D("2.5")
    acct.apply_fill(Fill("BTCUSDT", "SELL", D("0.05"), D(49000), is_maker=False, time=2))
    # Loss of 50 goes into the isolated wallet first, then half of it is released.
    assert position.isolated_wallet == D(100)
    assert acct.wallet_balance == D(1000) - D("2.5") - D(50) - D("1.225")


# --- liquidation --------------------------------------------------------------------------------


def test_isolated_liquidation_at_the_formulas_price() -> None:
    acct = account("1000")
    acct.settings_for("BTCUSDT").margin_type = MarginType.ISOLATED
    acct.apply_fill(Fill("BTCUSDT", "BUY", D("0.1"), D(50000), is_maker=False, time=1))
    expected = liquidation_price_for(D("0.1"), D(50000), D(250), D("0.004"), D(0))
    assert cents(expected) == D("47690.76")  # (250 - 5000) / (0.0004 - 0.1)
    assert cents(acct.view("BTCUSDT", {"BTCUSDT": D(49000)}).liquidation_price) == D("47690.76")
    assert not acct.isolated_breached("BTCUSDT", D("47690.80"))
    assert acct.isolated_breached("BTCUSDT", D("47690.70"))
    cross_before = acct.cross_wallet
    fill = acct.liquidate("BTCUSDT", {"BTCUSDT": D("47600")}, time=9)
    assert fill.side == "SELL" and fill.qty == D("0.1")
    assert fill.price == expected
    assert cents(fill.outcome.realized_pnl) == D("-230.92")
    # Margin left at the liquidation price is its maintenance margin (0.4% < 1.25% fee cap),
    # which the clearance fee takes; the user loses the isolated margin plus the taker fee.
    assert cents(fill.clearance_fee) == D("19.08")
    assert acct.position("BTCUSDT").amount == 0
    assert cents(acct.cross_wallet) == cents(cross_before - fill.outcome.commission)


def test_cross_breach_is_account_wide() -> None:
    acct = account("1000")
    acct.set_leverage("ETHUSDT", 50, D(3000))
    acct.apply_fill(Fill("ETHUSDT", "BUY", D(10), D(3000), is_maker=False, time=1))
    marks = {"ETHUSDT": D(3000)}
    price = acct.liquidation_price("ETHUSDT", marks)
    tier = SPECS["ETHUSDT"].brackets.for_notional(10 * price)
    wallet = D(1000) - D(15)
    assert price == liquidation_price_for(D(10), D(3000), wallet, tier.maint_margin_ratio, tier.cum)
    assert not acct.cross_breached({"ETHUSDT": price + D("0.01")})
    assert acct.cross_breached({"ETHUSDT": price})


# --- settings ------------------------------------------------------------------------------------


def test_leverage_above_the_bracket_is_refused() -> None:
    acct = account()
    with pytest.raises(ApiError) as err:
        acct.set_leverage("XRPUSDT", 76, D(1))
    assert (err.value.code, err.value.msg) == (-4028, "Leverage 76 is not valid")
    assert acct.set_leverage("XRPUSDT", 75, D(1)).leverage == 75


def test_leverage_that_caps_below_the_position_is_refused() -> None:
    acct = account("100000")
    acct.apply_fill(Fill("BTCUSDT", "BUY", D(2), D(50000), is_maker=False, time=1))
    with pytest.raises(ApiError) as err:
        acct.set_leverage("BTCUSDT", 125, D(50000))
    assert err.value.code == -2027


def test_margin_type_refusals() -> None:
    acct = account()
    with pytest.raises(ApiError) as same:
        acct.set_margin_type("BTCUSDT", MarginType.CROSSED, has_open_orders=False)
    assert same.value.code == -4046
    with pytest.raises(ApiError) as orders:
        acct.set_margin_type("BTCUSDT", MarginType.ISOLATED, has_open_orders=True)
    assert orders.value.code == -4047
    acct.apply_fill(Fill("BTCUSDT", "BUY", D("0.01"), D(50000), is_maker=False, time=1))
    with pytest.raises(ApiError) as position:
        acct.set_margin_type("BTCUSDT", MarginType.ISOLATED, has_open_orders=False)
    assert position.value.code == -4048


def test_state_round_trip() -> None:
    acct = account()
    acct.settings_for("ETHUSDT").margin_type = MarginType.ISOLATED
    acct.set_leverage("ETHUSDT", 10, D(3000))
    acct.apply_fill(Fill("ETHUSDT", "BUY", D("1.5"), D("3000.10"), is_maker=True, time=5))
    restored = FuturesAccount.from_state(SPECS, json.loads(json.dumps(acct.to_state())))
    assert restored.to_state() == acct.to_state()
    assert restored.wallet_balance == acct.wallet_balance
