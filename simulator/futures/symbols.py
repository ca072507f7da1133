"""USD-M perpetuals the simulator lists: filters, fees and the exchangeInfo entry.

The perpetual of every spot symbol the market trades where Binance lists a USDT perpetual.
Filters are Binance's: BTCUSDT, ETHUSDT and XRPUSDT as Binance serves them today; the others
from the recorded `GET /fapi/v1/exchangeInfo` of 2021-07-22
(shared/data/fixtures/cryptofeed/BINANCE_FUTURES.0). Brackets are in `brackets.py`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from simulator.futures.brackets import BRACKETS, BracketTable, plain

D = Decimal
MAKER_FEE_RATE = D("0.0002")
TAKER_FEE_RATE = D("0.0005")
MARGIN_ASSET = "USDT"


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
                "minPrice": plain(self.min_price),
                "maxPrice": plain(self.max_price),
                "tickSize": plain(self.tick_size),
            },
            {
                "filterType": "LOT_SIZE",
                "minQty": plain(self.min_qty),
                "maxQty": plain(self.max_qty),
                "stepSize": plain(self.step_size),
            },
            {
                "filterType": "MARKET_LOT_SIZE",
                "minQty": plain(self.min_qty),
                "maxQty": plain(self.market_max_qty),
                "stepSize": plain(self.step_size),
            },
            {"filterType": "MAX_NUM_ORDERS", "limit": self.max_num_orders},
            {"filterType": "MAX_NUM_ALGO_ORDERS", "limit": self.max_num_algo_orders},
            {"filterType": "MIN_NOTIONAL", "notional": plain(self.min_notional)},
            {
                "filterType": "PERCENT_PRICE",
                "multiplierUp": f"{self.multiplier_up:.4f}",
                "multiplierDown": f"{self.multiplier_down:.4f}",
                "multiplierDecimal": "4",
            },
        ]


# symbol, tickSize, minPrice, maxPrice, stepSize (= minQty), maxQty, MARKET_LOT_SIZE maxQty,
# MIN_NOTIONAL, PERCENT_PRICE multiplierUp / multiplierDown, liquidationFee, pricePrecision,
# quantityPrecision
_TABLE = """
BTCUSDT  0.10     556.80    4529764  0.001 1000     120     100 1.0500 0.9500 0.0125 2 3
ETHUSDT  0.01     39.86     306177   0.001 10000    2000    20  1.0500 0.9500 0.0125 2 3
XRPUSDT  0.0001   0.0143    100000   0.1   10000000 2000000 5   1.0500 0.9500 0.0150 4 1
BNBUSDT  0.010    6.600     100000   0.01  100000   20000   5   1.1500 0.8500 0.0050 3 2
SOLUSDT  0.0010   0.4130    400      1     10000000 20000   5   1.1500 0.8500 0.0075 4 0
ADAUSDT  0.00010  0.01740   100000   1     10000000 3000000 5   1.1500 0.8500 0.0050 5 0
DOGEUSDT 0.000010 0.002440  10       1     10000000 5000000 5   1.1500 0.8500 0.0075 6 0
DOTUSDT  0.001    0.373     500      0.1   1000000  100000  5   1.1500 0.8500 0.0050 3 1
LTCUSDT  0.01     3.61      100000   0.001 10000    10000   5   1.1500 0.8500 0.0050 2 3
LINKUSDT 0.001    0.464     100000   0.01  100000   100000  5   1.1500 0.8500 0.0050 3 2
"""


def _spec(row: str) -> FuturesSymbol:
    symbol, tick, low, high, step, max_qty, market_max, notional, up, down, fee, pp, qp = (
        row.split()
    )
    return FuturesSymbol(
        symbol=symbol,
        base_asset=symbol.removesuffix(MARGIN_ASSET),
        tick_size=D(tick),
        step_size=D(step),
        min_price=D(low),
        max_price=D(high),
        min_qty=D(step),
        max_qty=D(max_qty),
        market_max_qty=D(market_max),
        min_notional=D(notional),
        multiplier_up=D(up),
        multiplier_down=D(down),
        liquidation_fee=D(fee),
        brackets=BRACKETS[symbol],
        price_precision=int(pp),
        quantity_precision=int(qp),
    )


DEFAULT_FUTURES_SYMBOLS: tuple[FuturesSymbol, ...] = tuple(
    _spec(r) for r in _TABLE.strip().splitlines()
)


def listed(traded: Iterable[str]) -> tuple[FuturesSymbol, ...]:
    """The perpetuals of the symbols a market trades, in the listing's order."""
    names = set(traded)
    return tuple(s for s in DEFAULT_FUTURES_SYMBOLS if s.symbol in names)
