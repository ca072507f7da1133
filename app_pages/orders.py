"""Trade: chart, order book and tape, order ticket, open orders, order and fill history."""

import streamlit as st

from app import auth, chart_overlays, charts, order_queries, queries, strategy_queries
from app.components.feedback import last_reply
from app.components.ladder import order_book_panel
from app.components.notify import toast_news
from app.components.order_tables import cancel_all_control, history_table, open_orders_table
from app.components.order_ticket import order_ticket
from app.runtime import get_engine
from app.text import plain
from engine.access.roles import Role
from engine.models import MarketType

INTERVALS = list(queries.INTERVAL_MS)
REFRESH_S = get_engine().settings.status_refresh_s
TRADES = auth.may(Role.TRADER)

st.title("Trade")
last_reply()
top = st.columns([1.2, 1.6, 2.2], vertical_alignment="bottom")
with top[0]:
    market = MarketType(
        st.segmented_control(
            "Market", [m.value for m in MarketType], default="spot", key="trade_market"
        )
        or "spot"
    )
if (reason := queries.market_unavailable(market)) is not None:
    st.warning(f"The {market} market is unavailable on this connection: {reason}")
    st.stop()
symbols = list(queries.selected_pairs(market))
if not symbols:
    listed = queries.symbol_catalogue()
    symbols = list(listed.loc[listed["market"] == market.value, "symbol"])
if not symbols:
    st.error(f"The {market} market lists no symbols: see the Status page.")
    st.stop()
symbol = top[1].selectbox("Symbol", symbols, key=f"trade_symbol_{market}")
with top[2]:
    interval = st.segmented_control("Interval", INTERVALS, default="1m", key="trade_interval")
interval = interval or "1m"
shown = st.multiselect("Indicators", chart_overlays.INDICATORS, key="trade_indicators")

chart_col, ticket_col = st.columns([3, 1.25])


@st.fragment(run_every=REFRESH_S)
def live_chart() -> None:
    toast_news()
    bars = queries.candles(market, symbol, interval)
    if bars.empty:
        st.info(f"No {plain(symbol)} candles stored yet; they arrive with the next backfill.")
        return
    fills = order_queries.fills_between(market, symbol, bars["time"].iloc[0])
    orders = order_queries.open_orders(market, symbol)
    last = bars["close"].iloc[-1]
    change = (last / bars["open"].iloc[0] - 1) * 100
    figure = charts.candlestick(
        bars, fills, orders, f"{symbol} {last:,.8g}  ({change:+.2f}% shown)"
    )
    chart_overlays.add_indicators(figure, bars, shown)
    signals = strategy_queries.signals(market, symbol, bars["time"].iloc[0])
    chart_overlays.add_signals(figure, bars, signals)
    st.plotly_chart(figure, config={"displaylogo": False}, key="trade_chart")
    if (lower := chart_overlays.oscillators(bars, shown)) is not None:
        st.plotly_chart(lower, config={"displaylogo": False}, key="trade_oscillators")


with chart_col:
    live_chart()
    order_book_panel(market, symbol, TRADES)
with ticket_col:
    if TRADES:
        order_ticket(market, symbol)
    else:
        st.info("You may watch this desk; placing and cancelling orders takes the trader role.")

open_tab, orders_tab, fills_tab = st.tabs(["Open orders", "Order history", "Fills"])


@st.fragment(run_every=REFRESH_S)
def live_open_orders() -> None:
    auth.keep_session()
    orders = order_queries.open_orders(exact=True)
    open_orders_table(orders, can_cancel=TRADES)
    here = orders[(orders["market"] == market.value) & (orders["symbol"] == symbol)]
    if TRADES:
        cancel_all_control(market, symbol, len(here))


with open_tab:
    live_open_orders()
with orders_tab:
    history_table("orders")
with fills_tab:
    history_table("fills")
