"""Portfolio: balances, positions, totals, today's P&L, equity and drawdown, allocation."""

import pandas as pd
import streamlit as st

from app import auth, charts, commands, portfolio_queries, queries
from app.components.feedback import last_reply, show_reply
from app.components.notify import toast_news
from app.runtime import get_engine
from app.text import plain
from engine.access.roles import Role
from engine.models import MarketType

_CONFIRM = "_confirm_close_position"
MONEY = st.column_config.NumberColumn(format="%.2f")

st.title("Portfolio")
last_reply()


def totals() -> None:
    """The header: every figure from the engine's one valuation, taken at one moment."""
    figures = portfolio_queries.portfolio_figures()
    if figures is None:
        st.caption("The engine has not valued the account yet; figures appear in a moment.")
        return
    cols = st.columns(5)
    cols[0].metric("Equity (USDT)", f"{figures.equity:,.2f}")
    cols[1].metric("Spot value", f"{figures.spot_value:,.2f}")
    cols[2].metric("Futures wallet", f"{figures.futures_wallet:,.2f}")
    cols[3].metric("Unrealized P&L", f"{figures.unrealized_pnl:+,.2f}")
    pnl, pct = figures.daily_pnl, figures.daily_pnl_pct
    cols[4].metric(
        "Today's P&L (since 00:00 UTC)",
        "no valuation yet" if pnl is None else f"{pnl:+,.2f}",
        delta=None if pct is None else f"{pct:+.2f}%",
    )
    caption = f"Valued at {figures.time:%H:%M:%S} UTC."
    start = figures.day_start_time
    if start is not None and (start.hour, start.minute) != (0, 0):
        caption += f" The desk started today at {start:%H:%M} UTC: today's P&L counts from then."
    if figures.unpriced:
        caption += (
            f" No USDT price for {plain(', '.join(figures.unpriced))}: left out of the totals."
        )
    st.caption(caption)


def position_rows(positions: pd.DataFrame) -> None:
    """The positions table, then a Close button per position with a confirmation."""
    st.dataframe(
        positions,
        hide_index=True,
        width="stretch",
        column_config={"unrealized_pnl": MONEY, "notional": MONEY, "isolated_margin": MONEY},
    )
    if not auth.may(Role.TRADER):
        return
    pending = st.session_state.get(_CONFIRM)
    if pending:
        st.warning(f"Close the whole {plain(pending)} position at market (reduce-only)?")
        yes, no, _ = st.columns([1, 1, 3])
        if yes.button(f"Yes, close {plain(pending)}", type="primary", key="close_yes"):
            st.session_state[_CONFIRM] = None
            show_reply(commands.close_position(pending), success_toast=True)
            st.rerun()
        if no.button("Keep it", key="close_no"):
            st.session_state[_CONFIRM] = None
            st.rerun()
        return
    cols = st.columns(min(len(positions), 6) or 1)
    for i, symbol in enumerate(positions["symbol"]):
        if cols[i % len(cols)].button(f"Close {plain(symbol)}", key=f"close_{symbol}"):
            st.session_state[_CONFIRM] = symbol
            st.rerun()


@st.fragment(run_every=get_engine().settings.status_refresh_s)
def live_portfolio() -> None:
    toast_news()
    balances = portfolio_queries.spot_balances()
    wallet = portfolio_queries.futures_wallet()
    positions = portfolio_queries.futures_positions()
    totals()

    left, right = st.columns([3, 2])
    with left:
        st.subheader("Spot balances")
        st.dataframe(
            balances,
            hide_index=True,
            width="stretch",
            column_config={
                "value_usdt": MONEY,
                "price": st.column_config.NumberColumn(format="%.8g"),
                "updated": st.column_config.DatetimeColumn(format="HH:mm:ss"),
            },
        )
        st.subheader("Futures positions")
        unavailable = queries.market_unavailable(MarketType.FUTURES)
        if unavailable is not None:
            st.caption(f"The futures market is unavailable on this connection: {unavailable}")
        elif positions.empty:
            st.caption("No open futures positions.")
        else:
            position_rows(positions)
        if not wallet.empty:
            st.dataframe(wallet, hide_index=True, width="stretch")
    with right:
        st.subheader("Allocation")
        if balances["value_usdt"].fillna(0).sum() > 0 or not positions.empty:
            st.plotly_chart(charts.allocation(balances, positions, wallet), key="allocation")
        else:
            st.caption("Nothing held yet.")


live_portfolio()

st.subheader("Equity and drawdown")
days = st.segmented_control(
    "Period", [1, 7, 30, 90, 365], default=30, key="equity_days", format_func=lambda d: f"{d}d"
)
equity = portfolio_queries.equity_curve(days or 30)
if len(equity) < 2:
    st.caption("The engine stores an equity snapshot every minute; the curve starts at the second.")
else:
    worst = equity["drawdown_pct"].max()
    st.caption(f"{len(equity)} snapshots; deepest drawdown in the period {worst:.2f}%.")
    st.plotly_chart(charts.equity_and_drawdown(equity), key="equity_chart")
