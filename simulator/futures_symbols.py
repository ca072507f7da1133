"""USD-M perpetuals the simulator lists: filters, fees and notional/leverage brackets.

The brackets are Binance's own tables for these symbols (as served by
`GET /fapi/v1/leverageBracket`), written here as the simulator's configuration.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

D = Decimal
MAKER_FEE_RATE = D("0.0002")
TAKER_FEE_RATE = D("0.0005")
MARGIN_ASSET = "USDT"


@dataclass(frozen=True)
class Bracket:
    """One notional tier: leverage cap and maintenance margin for notionals in [floor, cap)."""

    bracket: int
    initial_leverage: int
    notional_floor: Decimal
    notional_cap: Decimal
    maint_margin_ratio: Decimal
    cum: Decimal

    def to_wire(self) -> dict:
        return {
            "bracket": self.bracket,
            "initialLeverage": self.initial_leverage,
            "notionalCap": _plain(self.notional_cap),
            "notionalFloor": _plain(self.notional_floor),
            "maintMarginRatio": _plain(self.maint_margin_ratio),
            "cum": _plain(self.cum),
        }


@dataclass(frozen=True)
class BracketTable:
    brackets: tuple[Bracket, ...]

    def for_notional(self, notional: Decimal) -> Bracket:
        """Return the last bracket whose floor is at or below |notional|."""
        size = abs(notional)
        chosen = self.brackets[0]
        for tier in self.brackets:
            if size >= tier.notional_floor:
                chosen = tier
        return chosen

    @property
    def max_leverage(self) -> int:
        return self.brackets[0].initial_leverage

    def max_notional_at(self, leverage: int) -> Decimal:
        """Largest position notional allowed at `leverage` (Binance's maxNotionalValue)."""
        caps = [t.notional_cap for t in self.brackets if t.initial_leverage >= leverage]
        return max(caps) if caps else D(0)

    def maintenance_margin(self, notional: Decimal) -> Decimal:
        tier = self.for_notional(notional)
        return abs(notional) * tier.maint_margin_ratio - tier.cum


@dataclass(frozen=True)
class FuturesSymbol:
    symbol: str
    base_asset: str
    tick_size: Decimal
    step_size: Decimal
    min_price: Decimal
    max_price: Decimal
    min_qty: Decimal
    max_qty: Decimal
    market_max_qty: Decimal
    min_notional: Decimal
    multiplier_up: Decimal
    multiplier_down: Decimal
    liquidation_fee: Decimal
    brackets: BracketTable
    price_precision: int
    quantity_precision: int
    max_num_orders: int = 200
    max_num_algo_orders: int = 10
    order_types: tuple[str, ...] = field(
        default=(
            "LIMIT",
            "MARKET",
            "STOP",
            "STOP_MARKET",
            "TAKE_PROFIT",
            "TAKE_PROFIT_MARKET",
            "TRAILING_STOP_MARKET",
        )
    )

    def to_wire(self) -> dict:
        """Return the symbol as `GET /fapi/v1/exchangeInfo` lists it."""
        return {
            "symbol": self.symbol,
            "pair": self.symbol,
            "contractType": "PERPETUAL",
            "deliveryDate": 4133404800000,
            "onboardDate": 1569398400000,
            "status": "TRADING",
            "maintMarginPercent": "2.5000",
            "requiredMarginPercent": "5.0000",
            "baseAsset": self.base_asset,
            "quoteAsset": MARGIN_ASSET,
            "marginAsset": MARGIN_ASSET,
            "pricePrecision": self.price_precision,
            "quantityPrecision": self.quantity_precision,
            "baseAssetPrecision": 8,
            "quotePrecision": 8,
            "underlyingType": "COIN",
            "underlyingSubType": [],
            "settlePlan": 0,
            "triggerProtect": "0.0500",
            "liquidationFee": f"{self.liquidation_fee:.6f}",
            "marketTakeBound": "0.30",
            "filters": self._filters(),
            "orderTypes": list(self.order_types),
            "timeInForce": ["GTC", "IOC", "FOK", "GTX"],
        }

    def _filters(self) -> list[dict]:
        return [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": _plain(self.min_price),
                "maxPrice": _plain(self.max_price),
                "tickSize": _plain(self.tick_size),
            },
            {
                "filterType": "LOT_SIZE",
                "minQty": _plain(self.min_qty),
                "maxQty": _plain(self.max_qty),
                "stepSize": _plain(self.step_size),
            },
            {
                "filterType": "MARKET_LOT_SIZE",
                "minQty": _plain(self.min_qty),
                "maxQty": _plain(self.market_max_qty),
                "stepSize": _plain(self.step_size),
            },
            {"filterType": "MAX_NUM_ORDERS", "limit": self.max_num_orders},
            {"filterType": "MAX_NUM_ALGO_ORDERS", "limit": self.max_num_algo_orders},
            {"filterType": "MIN_NOTIONAL", "notional": _plain(self.min_notional)},
            {
                "filterType": "PERCENT_PRICE",
                "multiplierUp": f"{self.multiplier_up:.4f}",
                "multiplierDown": f"{self.multiplier_down:.4f}",
                "multiplierDecimal": "4",
            },
        ]


def _plain(value: Decimal) -> str:
    """Decimal as Binance writes it: no exponent, no trailing zeros beyond the point."""
    text = format(value.normalize(), "f")
    return text


def _table(rows: list[tuple[int, int, str, str, str, str]]) -> BracketTable:
    return BracketTable(
        tuple(
            Bracket(n, lev, D(floor), D(cap), D(mmr), D(cum))
            for n, lev, floor, cap, mmr, cum in rows
        )
    )


# (bracket, initialLeverage, notionalFloor, notionalCap, maintMarginRatio, cum)
BTCUSDT_BRACKETS = _table(
    [
        (1, 125, "0", "50000", "0.004", "0"),
        (2, 100, "50000", "600000", "0.005", "50"),
        (3, 75, "600000", "3000000", "0.0065", "950"),
        (4, 50, "3000000", "12000000", "0.01", "11450"),
        (5, 25, "12000000", "70000000", "0.02", "131450"),
        (6, 20, "70000000", "100000000", "0.025", "481450"),
        (7, 10, "100000000", "230000000", "0.05", "2981450"),
        (8, 5, "230000000", "480000000", "0.1", "14481450"),
        (9, 4, "480000000", "600000000", "0.125", "26481450"),
        (10, 3, "600000000", "800000000", "0.15", "41481450"),
        (11, 2, "800000000", "1200000000", "0.25", "121481450"),
        (12, 1, "1200000000", "1800000000", "0.5", "421481450"),
    ]
)
ETHUSDT_BRACKETS = _table(
    [
        (1, 125, "0", "50000", "0.004", "0"),
        (2, 100, "50000", "600000", "0.005", "50"),
        (3, 75, "600000", "3000000", "0.0065", "950"),
        (4, 50, "3000000", "12000000", "0.01", "11450"),
        (5, 25, "12000000", "50000000", "0.02", "131450"),
        (6, 20, "50000000", "65000000", "0.025", "381450"),
        (7, 10, "65000000", "150000000", "0.05", "2006450"),
        (8, 5, "150000000", "320000000", "0.1", "9506450"),
        (9, 4, "320000000", "400000000", "0.125", "17506450"),
        (10, 3, "400000000", "530000000", "0.15", "27506450"),
        (11, 2, "530000000", "800000000", "0.25", "80506450"),
        (12, 1, "800000000", "1200000000", "0.5", "280506450"),
    ]
)
XRPUSDT_BRACKETS = _table(
    [
        (1, 75, "0", "10000", "0.005", "0"),
        (2, 50, "10000", "20000", "0.0065", "15"),
        (3, 40, "20000", "160000", "0.01", "85"),
        (4, 25, "160000", "800000", "0.02", "1685"),
        (5, 20, "800000", "1600000", "0.025", "5685"),
        (6, 10, "1600000", "8000000", "0.05", "45685"),
        (7, 5, "8000000", "16000000", "0.1", "445685"),
        (8, 4, "16000000", "20000000", "0.125", "845685"),
        (9, 2, "20000000", "40000000", "0.25", "3345685"),
        (10, 1, "40000000", "80000000", "0.5", "13345685"),
    ]
)

DEFAULT_FUTURES_SYMBOLS: tuple[FuturesSymbol, ...] = (
    FuturesSymbol(
        symbol="BTCUSDT",
        base_asset="BTC",
        tick_size=D("0.10"),
        step_size=D("0.001"),
        min_price=D("556.80"),
        max_price=D("4529764"),
        min_qty=D("0.001"),
        max_qty=D("1000"),
        market_max_qty=D("120"),
        min_notional=D("100"),
        multiplier_up=D("1.0500"),
        multiplier_down=D("0.9500"),
        liquidation_fee=D("0.0125"),
        brackets=BTCUSDT_BRACKETS,
        price_precision=2,
        quantity_precision=3,
    ),
    FuturesSymbol(
        symbol="ETHUSDT",
        base_asset="ETH",
        tick_size=D("0.01"),
        step_size=D("0.001"),
        min_price=D("39.86"),
        max_price=D("306177"),
        min_qty=D("0.001"),
        max_qty=D("10000"),
        market_max_qty=D("2000"),
        min_notional=D("20"),
        multiplier_up=D("1.0500"),
        multiplier_down=D("0.9500"),
        liquidation_fee=D("0.0125"),
        brackets=ETHUSDT_BRACKETS,
        price_precision=2,
        quantity_precision=3,
    ),
    FuturesSymbol(
        symbol="XRPUSDT",
        base_asset="XRP",
        tick_size=D("0.0001"),
        step_size=D("0.1"),
        min_price=D("0.0143"),
        max_price=D("100000"),
        min_qty=D("0.1"),
        max_qty=D("10000000"),
        market_max_qty=D("2000000"),
        min_notional=D("5"),
        multiplier_up=D("1.0500"),
        multiplier_down=D("0.9500"),
        liquidation_fee=D("0.0150"),
        brackets=XRPUSDT_BRACKETS,
        price_precision=4,
        quantity_precision=1,
    ),
)
