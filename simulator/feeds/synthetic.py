"""The synthetic feed: seeded price paths with the stylized facts of crypto candles.

Model, per symbol, on a 1 s grid:

- log-volatility per minute = slow AR(1) factor (half-life hours) + fast AR(1) factor
  (half-life minutes) + an intraday profile peaking at the US open; the slow factor is shared
  with the market symbol (BTCUSDT) as crypto volatility regimes are market-wide;
- 1 s log-returns = volatility * Student-t innovation (unit variance), correlated with the
  market symbol's innovation, plus rare jumps of a few minutes' volatility;
- volume per second rises with the minute's volatility and with the size of the move, with
  lognormal noise, scaled so the mean is the symbol's ``daily_volume`` / 86400.

This gives fat tails, volatility clustering, nearly uncorrelated returns and volume that rises
with range (see benchmarks/feed_stylized_facts.py and the README table).

Randomness is drawn per (seed, symbol, hour) and every step is elementwise or a running sum
within the hour, so a path is the same however the clock is advanced (1 s steps or a jump of
hours). History is generated the same way from ``history_days`` before the start and scaled so
that the price at ``start_ms`` is the symbol's ``start_price``.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from simulator.feeds.base import (
    FeedHistory,
    FeedSymbol,
    PriceFeed,
    mean_trade_steps,
    taker_buy_by_tick_rule,
    trade_counts,
)
from simulator.feeds.candles import (
    DAY_MS,
    HOUR_MS,
    MINUTE_MS,
    SECOND_MS,
    PathChunk,
    columns_from_samples,
)
from simulator.feeds.long_history import DEFAULT_DAYS, hourly_before

MINUTES_PER_CHUNK = 60
SECONDS_PER_MINUTE = 60
SAMPLES_PER_CHUNK = MINUTES_PER_CHUNK * SECONDS_PER_MINUTE
CHUNK_MS = HOUR_MS


@dataclass(frozen=True, slots=True)
class SyntheticParams:
    """Knobs of the synthetic model (defaults tuned against the real candles in shared/data)."""

    history_days: int = 7  # whole days before the start day (so 7 to 8 days of history)
    daily_vol: float = 0.04  # sd of daily log-returns, for symbols not listed below
    daily_vol_by_symbol: Mapping[str, float] = field(
        default_factory=lambda: {"BTCUSDT": 0.03, "ETHUSDT": 0.038}
    )
    t_df: float = 3.5
    slow_half_life_min: float = 1440.0
    slow_sd: float = 0.65
    fast_half_life_min: float = 3.0
    fast_sd: float = 0.6
    intraday_amplitude: float = 0.2  # of log-volatility
    peak_hour_utc: float = 14.5
    market_symbol: str = "BTCUSDT"
    market_return_corr: float = 0.7
    market_vol_corr: float = 0.8
    jumps_per_day: float = 3.0
    jump_size: float = 5.0  # jump sd in units of the minute's volatility
    volume_vol_power: float = 1.0
    volume_noise_sd: float = 0.45
    volume_move_floor: float = 0.35  # volume ~ (floor + |move| / vol)
    trades_per_second: float = 4.0
    max_trades_per_sample: int = 200
    one_second_history_ms: int = HOUR_MS
    long_history_days: int = DEFAULT_DAYS  # hourly bars before the 1 s history (0: none)

    def symbol_daily_vol(self, symbol: str) -> float:
        return self.daily_vol_by_symbol.get(symbol, self.daily_vol)


@dataclass(slots=True)
class _Draws:
    """Random numbers for one hour of one symbol."""

    e_slow: np.ndarray  # (chunks, 60)
    e_fast: np.ndarray  # (chunks, 60)
    z: np.ndarray  # (chunks, 3600), unit variance
    u_volume: np.ndarray  # (chunks, 3600), standard normal
    u_round: np.ndarray  # (chunks, 3600), uniform [0, 1)
    jumps: np.ndarray  # (chunks, 3600), jump size in minute-volatilities (mostly 0)


@dataclass(slots=True)
class _State:
    """Where a symbol's path stands at the end of the generated chunks."""

    slow: float
    fast: float
    log_price: float
    last_tick: int = 0


def _symbol_key(symbol: str) -> int:
    return zlib.crc32(symbol.encode())


def _draw_chunk(rng: np.random.Generator, p: SyntheticParams) -> tuple[np.ndarray, ...]:
    e_slow = rng.standard_normal(MINUTES_PER_CHUNK)
    e_fast = rng.standard_normal(MINUTES_PER_CHUNK)
    z = rng.standard_t(p.t_df, SAMPLES_PER_CHUNK) / math.sqrt(p.t_df / (p.t_df - 2.0))
    u_volume = rng.standard_normal(SAMPLES_PER_CHUNK)
    u_round = rng.random(SAMPLES_PER_CHUNK)
    jumps = np.zeros(SAMPLES_PER_CHUNK)
    n_jumps = rng.poisson(p.jumps_per_day / 24.0)
    if n_jumps:
        at = rng.integers(0, SAMPLES_PER_CHUNK, n_jumps)
        jumps[at] += rng.standard_normal(n_jumps) * p.jump_size
    return e_slow, e_fast, z, u_volume, u_round, jumps


def draw(seed: int, symbol: str, chunk_ids: Sequence[int], p: SyntheticParams) -> _Draws:
    """The random numbers of ``symbol`` for the given hours (a pure function of its inputs)."""
    key = _symbol_key(symbol)
    parts = [_draw_chunk(np.random.default_rng([seed, key, c]), p) for c in chunk_ids]
    return _Draws(*(np.stack(col) for col in zip(*parts, strict=True)))


def ar1_chunks(eps: np.ndarray, phi: float, sd: float, x0: float) -> tuple[np.ndarray, float]:
    """Stationary AR(1) with sd ``sd`` driven by ``eps`` (rows = consecutive chunks)."""
    scale = sd * math.sqrt(1.0 - phi * phi)
    inner = np.empty_like(eps)
    acc = np.zeros(eps.shape[0])
    for j in range(eps.shape[1]):
        acc = phi * acc + scale * eps[:, j]
        inner[:, j] = acc
    powers = phi ** np.arange(1, eps.shape[1] + 1)
    starts = np.empty(eps.shape[0])
    x = x0
    for c in range(eps.shape[0]):
        starts[c] = x
        x = powers[-1] * x + inner[c, -1]
    return inner + np.outer(starts, powers), x


def running_sum_chunks(r: np.ndarray, x0: float) -> tuple[np.ndarray, float]:
    """x0 + cumulative sum of ``r`` read row after row."""
    within = np.cumsum(r, axis=1)
    starts = np.empty(r.shape[0])
    x = x0
    for c in range(r.shape[0]):
        starts[c] = x
        x = x + within[c, -1]
    return within + starts[:, None], x


def _half_life_phi(minutes: float) -> float:
    return 0.5 ** (1.0 / minutes)


@dataclass(slots=True)
class _RawPath:
    """One symbol's generated hours before rounding: log-price (relative) and raw volume."""

    time_ms: np.ndarray  # (n,)
    log_price: np.ndarray  # (n,)
    raw_volume: np.ndarray  # (n,), mean about 1
    u_round: np.ndarray  # (n,)


class SyntheticFeed(PriceFeed):
    """Seeded synthetic prices and volumes (see the module docstring for the model)."""

    def __init__(
        self,
        symbols: Sequence[FeedSymbol],
        seed: int,
        start_ms: int,
        params: SyntheticParams | None = None,
    ) -> None:
        super().__init__(symbols, start_ms)
        if not isinstance(seed, int) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        self.seed = seed
        self.params = params or SyntheticParams()
        if self.params.history_days < 7:
            raise ValueError("history_days must be at least 7")
        self.history_start_ms = (
            self.history_end_ms - self.history_end_ms % DAY_MS - self.params.history_days * DAY_MS
        )
        self._next_chunk = self.history_start_ms // CHUNK_MS
        self._states = self._initial_states()
        self._market_state = self._initial_market_state()
        self._log_shift: dict[str, float] = {}
        self._volume_scale: dict[str, float] = {}
        self._pending: dict[str, PathChunk] = {}
        self._histories: dict[str, FeedHistory] = {}
        self._build_history()

    # ----- public API -----

    def history(self, symbol: str) -> FeedHistory:
        return self._histories[symbol]

    def read(self, symbol: str, until_ms: int) -> PathChunk:
        pending = self._pending[symbol]
        while not len(pending) or pending.time_ms[-1] < until_ms:
            chunks_needed = max(1, -((self._next_chunk * CHUNK_MS - until_ms) // CHUNK_MS))
            self._extend(chunks_needed)
            pending = self._pending[symbol]
        cut = int(np.searchsorted(pending.time_ms, until_ms, side="right"))
        self._pending[symbol] = pending.slice(cut, len(pending))
        return pending.slice(0, cut)

    # ----- generation -----

    def _initial_states(self) -> dict[str, _State]:
        states = {}
        for s in self.symbols:
            rng = np.random.default_rng([self.seed, _symbol_key(s.symbol), 0, 1])
            slow, fast = rng.standard_normal(2)
            states[s.symbol] = _State(
                slow=float(slow) * self.params.slow_sd,
                fast=float(fast) * self.params.fast_sd,
                log_price=0.0,
            )
        return states

    def _initial_market_state(self) -> _State:
        rng = np.random.default_rng([self.seed, _symbol_key(self.params.market_symbol), 0, 1])
        return _State(slow=float(rng.standard_normal()) * self.params.slow_sd, fast=0, log_price=0)

    def _generate(self, n_chunks: int) -> dict[str, _RawPath]:
        """The next ``n_chunks`` hours of every symbol, before rounding."""
        p = self.params
        ids = list(range(self._next_chunk, self._next_chunk + n_chunks))
        self._next_chunk += n_chunks
        market = draw(self.seed, p.market_symbol, ids, p)
        phi_slow = _half_life_phi(p.slow_half_life_min)
        market_slow, self._market_state.slow = ar1_chunks(
            market.e_slow, phi_slow, p.slow_sd, self._market_state.slow
        )
        t0 = ids[0] * CHUNK_MS
        time_ms = t0 + np.arange(n_chunks * SAMPLES_PER_CHUNK, dtype=np.int64) * SECOND_MS
        minute_ms = time_ms[::SECONDS_PER_MINUTE].reshape(n_chunks, MINUTES_PER_CHUNK)
        intraday = self._intraday_log_vol(minute_ms)
        raw = {}
        for s in self.symbols:
            own = market if s.symbol == p.market_symbol else draw(self.seed, s.symbol, ids, p)
            raw[s.symbol] = self._symbol_path(s.symbol, own, market, market_slow, intraday)
            raw[s.symbol].time_ms = time_ms
        return raw

    def _symbol_path(
        self,
        symbol: str,
        own: _Draws,
        market: _Draws,
        market_slow: np.ndarray,
        intraday: np.ndarray,
    ) -> _RawPath:
        p = self.params
        state = self._states[symbol]
        is_market = own is market
        own_slow, state.slow = ar1_chunks(
            own.e_slow, _half_life_phi(p.slow_half_life_min), p.slow_sd, state.slow
        )
        fast, state.fast = ar1_chunks(
            own.e_fast, _half_life_phi(p.fast_half_life_min), p.fast_sd, state.fast
        )
        if is_market:
            slow, z = market_slow, own.z
        else:
            rv, rr = p.market_vol_corr, p.market_return_corr
            slow = rv * market_slow + math.sqrt(1 - rv * rv) * own_slow
            z = rr * market.z + math.sqrt(1 - rr * rr) * own.z
        sigma_second = p.symbol_daily_vol(symbol) / math.sqrt(86_400.0)
        log_var_mean = p.slow_sd**2 + p.fast_sd**2
        minute_vol = np.exp(slow + fast + intraday - log_var_mean)  # in units of sigma_second
        vol = np.repeat(minute_vol, SECONDS_PER_MINUTE, axis=1)
        move = np.abs(z) + np.abs(own.jumps) * math.sqrt(SECONDS_PER_MINUTE)
        r = sigma_second * vol * (z + own.jumps * math.sqrt(SECONDS_PER_MINUTE))
        log_price, state.log_price = running_sum_chunks(r, state.log_price)
        eta = p.volume_noise_sd
        raw_volume = (
            vol**p.volume_vol_power
            * (p.volume_move_floor + move)
            * np.exp(eta * own.u_volume - eta * eta / 2.0)
        )
        return _RawPath(
            time_ms=np.zeros(0, dtype=np.int64),
            log_price=log_price.ravel(),
            raw_volume=raw_volume.ravel(),
            u_round=own.u_round.ravel(),
        )

    def _intraday_log_vol(self, minute_ms: np.ndarray) -> np.ndarray:
        p = self.params
        hours = (minute_ms % DAY_MS) / HOUR_MS
        a = p.intraday_amplitude
        # minus log(I0(2a))/2 keeps the mean variance over a day at sigma_second**2
        return a * np.cos(2 * np.pi * (hours - p.peak_hour_utc) / 24.0) - np.log(np.i0(2 * a)) / 2

    def _round(self, symbol: FeedSymbol, raw: _RawPath) -> PathChunk:
        """Ticks and steps from a raw path, continuing the symbol's last price."""
        state = self._states[symbol.symbol]
        tick = float(symbol.tick_size)
        price = np.rint(np.exp(raw.log_price + self._log_shift[symbol.symbol]) / tick)
        price = np.maximum(price, 1).astype(np.int64)
        volume_steps = raw.raw_volume * self._volume_scale[symbol.symbol]
        volume = np.floor(volume_steps + raw.u_round).astype(np.int64)
        previous = np.concatenate(([state.last_tick or price[0]], price[:-1]))
        if symbol.daily_volume > 0:
            volume = np.where((price != previous) & (volume == 0), 1, volume)
        trades = trade_counts(
            volume,
            mean_trade_steps(symbol, self.params.trades_per_second),
            self.params.max_trades_per_sample,
        )
        buys = taker_buy_by_tick_rule(raw.time_ms, price, volume, int(previous[0]))
        state.last_tick = int(price[-1])
        return PathChunk(raw.time_ms, price, volume, trades, buys)

    def _extend(self, n_chunks: int) -> None:
        raw = self._generate(n_chunks)
        for s in self.symbols:
            rounded = self._round(s, raw[s.symbol])
            self._pending[s.symbol] = PathChunk.concat([self._pending[s.symbol], rounded])

    def _build_history(self) -> None:
        start_second = self.start_ms - self.start_ms % SECOND_MS
        n_chunks = -((self.history_start_ms - start_second - 1) // CHUNK_MS)
        raw = self._generate(n_chunks)
        at_start = (start_second - self.history_start_ms) // SECOND_MS
        history_len = (self.history_end_ms - self.history_start_ms) // SECOND_MS
        for s in self.symbols:
            path = raw[s.symbol]
            self._log_shift[s.symbol] = math.log(float(s.start_price)) - path.log_price[at_start]
            mean_raw = float(path.raw_volume[:history_len].mean())
            per_second_steps = float(s.daily_volume) / 86_400.0 / float(s.step_size)
            self._volume_scale[s.symbol] = per_second_steps / mean_raw
            samples = self._round(s, path)
            self._pending[s.symbol] = samples.slice(history_len, len(samples))
            self._histories[s.symbol] = self._history_bars(s, samples.slice(0, history_len))

    def _history_bars(self, symbol: FeedSymbol, samples: PathChunk) -> FeedHistory:
        quote_unit = float(symbol.tick_size * symbol.step_size)
        minutes = columns_from_samples(
            samples, MINUTE_MS, quote_unit, self.history_start_ms, self.history_end_ms
        )
        tail_start = self.history_end_ms - self.params.one_second_history_ms
        first = int(np.searchsorted(samples.time_ms, tail_start))
        seconds = columns_from_samples(
            samples.slice(first, len(samples)),
            SECOND_MS,
            quote_unit,
            tail_start,
            self.history_end_ms,
        )
        older = None
        if self.params.long_history_days > 0:
            older = hourly_before(
                symbol.symbol, self.seed, self.history_start_ms,
                self.params.long_history_days * 24, int(minutes.open[0]),
                self.params.symbol_daily_vol(symbol.symbol), float(minutes.volume.mean()) * 60,
                quote_unit,
            )  # fmt: skip
        return FeedHistory(minutes=minutes, seconds=seconds, older_hours=older)
