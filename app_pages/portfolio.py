"""Portfolio: balances, positions, totals, today's P&L, equity and drawdown, allocation."""

import streamlit as st

from app import account_queries, auth, charts, order_queries, queries, tables
from app.components.feedback import last_reply
from app.components.notify import toast_news
from app.components.position_mode import position_mode_control
from app.components.positions import margin_mode_control, positions_table
from app.runtime import get_engine
from app.text import plain
from engine.access.roles import Role
from engine.models import MarketType

st.title("Portfolio")
last_reply()


def totals() -> None:
    """The header: every figure from the engine's one valuation, taken at one moment."""
    figures = account_queries.portfolio_figures()
    if figures is None:
        st.caption("The engine has not valued the account yet; figures appear in a moment.")
        return
    cols = st.columns(5)
    cols[0].metric("Equity (USDT)", f"{figures.equity:,.2f}")
    cols[1].metric("Spot value (USDT)", f"{figures.spot_value:,.2f}")
    cols[2].metric("Futures wallet (USDT)", f"{figures.futures_wallet:,.2f}")
    cols[3].metric("Unrealized P&L (USDT)", f"{figures.unrealized_pnl:+,.2f}")
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


def balances_table() -> None:
    balances = account_queries.spot_balances(exact=True)
    if balances.empty:
        st.caption("No spot balances.")
        return
    grids = queries.grids({("spot", f"{a}USDT") for a in balances["asset"]})
    steps: dict[str, object] = {g.base: g.step for g in grids.values()}
    for g in grids.values():  # a quote asset (USDT) at its pairs' tick
        steps.setdefault(g.quote, g.tick)
    view = tables.balances_view(balances, steps)
    st.dataframe(
        view, hide_index=True, width="stretch",
        column_config=tables.right_aligned(view, "Asset"),
    )  # fmt: skip
    st.caption("Exact balances, at each asset's step; nothing rounded up.")


@st.fragment(run_every=get_engine().settings.status_refresh_s)
def live_portfolio() -> None:
    auth.keep_session()
    toast_news()
    totals()
    positions = account_queries.futures_positions(exact=True)
    left, right = st.columns([3, 2])
    with left:
        st.subheader("Spot balances")
        balances_table()
        st.subheader("Futures positions")
        unavailable = queries.market_unavailable(MarketType.FUTURES)
        if unavailable is not None:
            st.caption(f"The futures market is unavailable on this connection: {unavailable}")
        else:
            orders = order_queries.open_orders(MarketType.FUTURES, exact=True)
            position_mode_control(positions, orders, can_switch=auth.may(Role.ADMIN))
            if positions.empty:
                st.caption("No open futures positions.")
            else:
                positions_table(positions, orders, can_close=auth.may(Role.TRADER))
            if auth.may(Role.TRADER):
                margin_mode_control(list(queries.selected_pairs(MarketType.FUTURES)),
                                    positions, orders)  # fmt: skip
            wallet = account_queries.futures_wallet(exact=True)
            st.subheader("Futures wallet")
            if wallet.empty:
                st.caption("The futures wallet is empty.")
            else:
                view = tables.wallet_view(wallet)
                st.dataframe(view, hide_index=True, width="stretch",
                             column_config=tables.right_aligned(view, "Asset"))  # fmt: skip
    with right:
        st.subheader("Allocation")
        balances = account_queries.spot_balances()
        if balances["value_usdt"].fillna(0).sum() > 0 or not positions.empty:
            chart = charts.allocation(balances, account_queries.futures_positions(),
                                      account_queries.futures_wallet())  # fmt: skip
            st.plotly_chart(chart, key="allocation")
        else:
            st.caption("Nothing held yet.")


live_portfolio()

st.subheader("Equity and drawdown")
days = st.segmented_control(
    "Period", [1, 7, 30, 90, 365], default=30, key="equity_days", format_func=lambda d: f"{d}d"
)
equity = account_queries.equity_curve(days or 30)
if len(equity) < 2:
    st.caption("The engine stores an equity snapshot every minute; the curve starts at the second.")
else:
    worst = equity["drawdown_pct"].max()
    st.caption(f"{len(equity)} snapshots; deepest drawdown in the period {worst:.2f}%.")
    st.plotly_chart(charts.equity_and_drawdown(equity), key="equity_chart")
