"""USD-M notional/leverage brackets: the tiers of `GET /fapi/v1/leverageBracket` per perpetual.

The tables are Binance's own, as freqtrade recorded them on 2024-10-24
(shared/data/fixtures/freqtrade/binance_leverage_tiers.json.gz, the raw entries in `info`),
written here as the simulator's configuration.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


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
        """As Binance sends it: every field a JSON number."""
        return {
            "bracket": self.bracket,
            "initialLeverage": self.initial_leverage,
            "notionalCap": number(self.notional_cap),
            "notionalFloor": number(self.notional_floor),
            "maintMarginRatio": number(self.maint_margin_ratio),
            "cum": number(self.cum),
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
        return max(caps) if caps else Decimal(0)

    def maintenance_margin(self, notional: Decimal) -> Decimal:
        tier = self.for_notional(notional)
        return abs(notional) * tier.maint_margin_ratio - tier.cum


def number(value: Decimal) -> int | float:
    """A JSON number: an int when whole, else the float of its shortest decimal text."""
    return int(value) if value == value.to_integral_value() else float(plain(value))


def plain(value: Decimal) -> str:
    """Decimal as Binance writes it: no exponent, no trailing zeros beyond the point."""
    return format(value.normalize(), "f")


def parse_table(text: str) -> BracketTable:
    """Rows of `initialLeverage notionalFloor notionalCap maintMarginRatio cum`, bracket 1 first."""
    rows = [line.split() for line in text.strip().splitlines()]
    return BracketTable(
        tuple(
            Bracket(n, int(lev), Decimal(floor), Decimal(cap), Decimal(mmr), Decimal(cum))
            for n, (lev, floor, cap, mmr, cum) in enumerate(rows, start=1)
        )
    )


# initialLeverage notionalFloor notionalCap maintMarginRatio cum
_TABLES = {
    "BTCUSDT": """
        125 0 50000 0.004 0
        100 50000 600000 0.005 50
        75 600000 3000000 0.0065 950
        50 3000000 12000000 0.01 11450
        25 12000000 70000000 0.02 131450
        20 70000000 100000000 0.025 481450
        10 100000000 230000000 0.05 2981450
        5 230000000 480000000 0.1 14481450
        4 480000000 600000000 0.125 26481450
        3 600000000 800000000 0.15 41481450
        2 800000000 1200000000 0.25 121481450
        1 1200000000 1800000000 0.5 421481450""",
    "ETHUSDT": """
        125 0 50000 0.004 0
        100 50000 600000 0.005 50
        75 600000 3000000 0.0065 950
        50 3000000 12000000 0.01 11450
        25 12000000 50000000 0.02 131450
        20 50000000 65000000 0.025 381450
        10 65000000 150000000 0.05 2006450
        5 150000000 320000000 0.1 9506450
        4 320000000 400000000 0.125 17506450
        3 400000000 530000000 0.15 27506450
        2 530000000 800000000 0.25 80506450
        1 800000000 1200000000 0.5 280506450""",
    "BNBUSDT": """
        75 0 10000 0.005 0
        50 10000 50000 0.006 10
        40 50000 200000 0.01 210
        25 200000 1500000 0.02 2210
        20 1500000 3000000 0.025 9710
        10 3000000 15000000 0.05 84710
        5 15000000 30000000 0.1 834710
        4 30000000 37500000 0.125 1584710
        2 37500000 75000000 0.25 6272210
        1 75000000 150000000 0.5 25022210""",
    "SOLUSDT": """
        100 0 20000 0.005 0
        75 20000 100000 0.0065 30
        50 100000 800000 0.01 380
        25 800000 4000000 0.02 8380
        20 4000000 8000000 0.025 28380
        10 8000000 40000000 0.05 228380
        5 40000000 80000000 0.1 2228380
        4 80000000 100000000 0.125 4228380
        2 100000000 200000000 0.25 16728380
        1 200000000 400000000 0.5 66728380""",
    "XRPUSDT": """
        75 0 10000 0.005 0
        50 10000 20000 0.0065 15
        40 20000 160000 0.01 85
        25 160000 800000 0.02 1685
        20 800000 1600000 0.025 5685
        10 1600000 8000000 0.05 45685
        5 8000000 16000000 0.1 445685
        4 16000000 20000000 0.125 845685
        2 20000000 40000000 0.25 3345685
        1 40000000 80000000 0.5 13345685""",
    "ADAUSDT": """
        75 0 10000 0.005 0
        50 10000 50000 0.01 50
        40 50000 100000 0.015 300
        25 100000 500000 0.02 800
        20 500000 1000000 0.025 3300
        10 1000000 5000000 0.05 28300
        5 5000000 10000000 0.1 278300
        4 10000000 20000000 0.125 528300
        2 20000000 30000000 0.25 3028300
        1 30000000 50000000 0.5 10528300""",
    "DOGEUSDT": """
        75 0 10000 0.005 0
        50 10000 50000 0.007 20
        40 50000 750000 0.01 170
        25 750000 800000 0.02 7670
        20 800000 1600000 0.025 11670
        10 1600000 8000000 0.05 51670
        5 8000000 16000000 0.1 451670
        4 16000000 20000000 0.125 851670
        2 20000000 40000000 0.25 3351670
        1 40000000 80000000 0.5 13351670""",
    "DOTUSDT": """
        75 0 10000 0.0065 0
        50 10000 50000 0.01 35
        40 50000 100000 0.015 285
        25 100000 500000 0.02 785
        20 500000 800000 0.025 3285
        10 800000 4000000 0.05 23285
        5 4000000 8000000 0.1 223285
        4 8000000 10000000 0.125 423285
        2 10000000 30000000 0.25 1673285
        1 30000000 50000000 0.5 9173285""",
    "LTCUSDT": """
        75 0 10000 0.005 0
        50 10000 50000 0.01 50
        40 50000 100000 0.015 300
        25 100000 750000 0.02 800
        20 750000 1000000 0.025 4550
        10 1000000 5000000 0.05 29550
        5 5000000 10000000 0.1 279550
        4 10000000 20000000 0.125 529550
        2 20000000 30000000 0.25 3029550
        1 30000000 50000000 0.5 10529550""",
    "LINKUSDT": """
        75 0 10000 0.005 0
        50 10000 50000 0.01 50
        40 50000 80000 0.015 300
        25 80000 400000 0.02 700
        20 400000 800000 0.025 2700
        10 800000 4000000 0.05 22700
        5 4000000 8000000 0.1 222700
        4 8000000 20000000 0.125 422700
        2 20000000 30000000 0.25 2922700
        1 30000000 50000000 0.5 10422700""",
}
BRACKETS: dict[str, BracketTable] = {s: parse_table(t) for s, t in _TABLES.items()}
