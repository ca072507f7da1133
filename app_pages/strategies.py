"""Strategies: the folder's strategies, switched on and off per pair (admin), their signals,
trades and P&L, and replays over candle files beside the live results."""

import json

import streamlit as st

from app import chart_overlays, commands, queries, strategy_queries, strategy_view
from app.components.feedback import last_reply, show_reply
from app.runtime import get_engine
from app.text import plain
from engine.commands import Reply
from engine.models import MarketType

SETTINGS = get_engine().settings
st.title("Strategies")
last_reply()

catalogue = strategy_queries.catalogue()
top = st.columns([3, 1], vertical_alignment="bottom")
if top[1].button("Look at the folder again", key="strat_rescan"):
    show_reply(commands.rescan_strategies(), success_toast=True)
    st.rerun()
if catalogue.empty:
    top[0].info(f"No strategy found in {plain(str(SETTINGS.strategies_dir))} yet.")
    st.stop()
name = top[0].selectbox("Strategy", list(catalogue["name"]), key="strat_name")
entry = catalogue.set_index("name").loc[name]
if entry["error"]:
    st.error(f"{plain(name)} does not load: {plain(entry['error'])}")
st.caption(plain(entry["description"] or ""))

st.subheader("Switch it on for a pair")
cols = st.columns([1, 1.4, 1, 1], vertical_alignment="bottom")
market = MarketType(cols[0].selectbox("Market", [m.value for m in MarketType], key="strat_mkt"))
symbol = cols[1].selectbox("Pair", list(queries.selected_pairs(market)), key="strat_symbol")
interval = cols[2].selectbox("Interval", list(SETTINGS.kline_intervals), key="strat_interval")
budget = cols[3].number_input("Budget per call (ms)", 10, 60_000, 1000, key="strat_budget")
defaults = json.dumps(strategy_queries.defaults_of(entry))
params_text = st.text_area("Parameters (JSON)", defaults, key="strat_params", height=90)
on_col, off_col, _ = st.columns([1, 1, 3])
for enabled, column, label in ((True, on_col, "Switch on"), (False, off_col, "Switch off")):
    if column.button(label, key=f"strat_{'on' if enabled else 'off'}", disabled=symbol is None):
        try:
            params = json.loads(params_text or "{}")
        except ValueError as exc:
            show_reply(Reply(command_id=0, ok=False, message=f"Not JSON: {exc}"))
        else:
            show_reply(commands.set_strategy(
                strategy=name, market=market, symbol=symbol, interval=interval,
                enabled=enabled, params=params, budget_ms=int(budget),
            ), success_toast=True)  # fmt: skip
        st.rerun()


@st.fragment(run_every=SETTINGS.status_refresh_s)
def live_part() -> None:
    instances = strategy_queries.instances()
    if instances.empty:
        st.caption("No strategy is configured for any pair yet: every one is off by default.")
    else:
        st.dataframe(instances, hide_index=True, width="stretch", key="strat_instances")
    results = strategy_view.live_results(name)
    st.markdown(f"**{plain(name)} live**: P&L by pair (quote asset, marked at the last price)")
    st.dataframe(results.pairs, hide_index=True, width="stretch")
    if not results.trades.empty:
        st.dataframe(results.trades, hide_index=True, width="stretch", height=220)
    signals = strategy_queries.signals(strategy=name).tail(200)
    if not signals.empty:
        st.dataframe(signals, hide_index=True, width="stretch", height=220)


live_part()

st.subheader("Replay over a candle file")
files = strategy_view.replay_files()
cols = st.columns([3, 1, 1, 1], vertical_alignment="bottom")
offered = f"Binance kline CSV; the files in {SETTINGS.replay_dir} are offered"
path = cols[0].text_input("Candle file", files[0] if files else "", key="replay_file", help=offered)
replay_symbol = cols[1].text_input("Pair", "BTCUSDT", key="replay_symbol").strip().upper()
bars = cols[2].number_input("Bars (0 = the file)", 0, 10_000_000, 0, key="replay_bars")
if cols[3].button("Start the replay", key="replay_start", type="primary"):
    show_reply(commands.start_replay(
        strategy=name, symbol=replay_symbol, file=path, bars=int(bars) or None,
        params=json.loads(params_text or "{}"), interval="5m",
    ), success_toast=True)  # fmt: skip
    st.rerun()


@st.fragment(run_every=SETTINGS.status_refresh_s)
def runs_part() -> None:
    runs = strategy_queries.runs(name)
    if runs.empty:
        st.caption("No replay of this strategy yet.")
        return
    for run in runs[runs["status"] == "running"].itertuples():
        total = run.candles_total or 0
        done = min(1.0, run.candles_done / total) if total else 0.0
        st.progress(done, text=f"Replay {run.run_id}: {run.candles_done} of {total or '?'} bars")
    st.dataframe(strategy_view.run_figures(runs), hide_index=True, width="stretch")
    finished = runs[runs["status"] == "finished"]
    if finished.empty:
        return
    run_id = st.selectbox("Run", list(finished["run_id"]), key="replay_run")
    run = finished.set_index("run_id").loc[run_id]
    live = strategy_view.live_results(name).curve
    left, right = st.columns(2)
    left.plotly_chart(chart_overlays.equity_curves(
        {f"replay {run_id}": strategy_queries.run_equity(run_id)}, "Replay equity"))  # fmt: skip
    right.plotly_chart(chart_overlays.equity_curves({"live P&L": live}, "Live P&L (after fills)"))
    st.dataframe(strategy_view.run_trades(run_id, run["symbol"]), hide_index=True,
                 width="stretch", height=260)  # fmt: skip


runs_part()
