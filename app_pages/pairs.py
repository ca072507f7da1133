"""Pairs: pick what the engine streams, from every symbol the exchange lists; watch them."""

import streamlit as st

from app import auth, commands, favourites, queries
from app.components.feedback import last_reply, show_reply
from app.components.notify import toast_news
from app.components.pair_removal import remove_control
from app.runtime import get_engine
from app.text import plain
from engine.access.roles import Role
from engine.models import MarketType

st.title("Pairs")
last_reply()
TRADES = auth.may(Role.TRADER)
market = MarketType(
    st.segmented_control(
        "Market", [m.value for m in MarketType], default="spot", key="pairs_market"
    )
    or "spot"
)
if (reason := queries.market_unavailable(market)) is not None:
    st.warning(f"The {market} market is unavailable on this connection: {reason}")
    st.stop()
selected = queries.selected_pairs(market)
catalogue = queries.symbol_catalogue()
listed = catalogue[catalogue["market"] == market.value]
favs = favourites.favourites(market)


def add_pair() -> None:
    pick, add = st.columns([4, 1], vertical_alignment="bottom")
    choices = [s for s in listed["symbol"] if s not in selected]
    status = dict(zip(listed["symbol"], listed["status"], strict=True))
    symbol = pick.selectbox(
        f"Add a {market} pair ({len(listed)} listed)",
        choices,
        index=None,
        placeholder="Search symbols…",
        format_func=lambda s: s if status.get(s) == "TRADING" else f"{s} ({status.get(s)})",
        key="pairs_add_symbol",
    )
    if add.button("Add pair", type="primary", disabled=symbol is None, width="stretch"):
        show_reply(commands.select_pairs(market, (*selected, symbol)), success_toast=True)
        st.rerun()


if TRADES:
    add_pair()
quick = [s for s in favs if s not in selected]
if quick and TRADES:
    chosen = st.pills(
        "Favourites not streamed: click to add", quick, format_func=plain, key="pairs_quick_add"
    )
    if chosen:
        show_reply(commands.select_pairs(market, (*selected, chosen)), success_toast=True)
        st.rerun()


@st.fragment(run_every=get_engine().settings.status_refresh_s)
def watchlist() -> None:
    toast_news()
    current = queries.selected_pairs(market)
    if not current:
        st.info(f"No {market} pairs are streamed. Add one above.")
        return
    frame = queries.pair_overview(market, current)
    stored = queries.history_span(market, current)
    frame.insert(0, "fav", frame["symbol"].isin(favourites.favourites(market)))
    frame["candles"] = frame["symbol"].map(stored).fillna("none yet")
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        key="pairs_table",
        column_config={
            "fav": st.column_config.CheckboxColumn("★", width="small"),
            "price": st.column_config.NumberColumn("Price", format="%.6g"),
            "change_pct": st.column_config.NumberColumn("24h %", format="%+.2f%%"),
            "volume_usdt": st.column_config.NumberColumn("24h volume (USDT)", format="compact"),
            "last_24h": st.column_config.LineChartColumn("Last 24 h", width="medium"),
            "high_24h": st.column_config.NumberColumn("24h high", format="%.6g"),
            "low_24h": st.column_config.NumberColumn("24h low", format="%.6g"),
            "updated": st.column_config.DatetimeColumn("Updated (UTC)", format="HH:mm:ss"),
            "candles": st.column_config.TextColumn("Candles stored", width="medium"),
        },
    )
    if not TRADES:
        st.caption("Choosing the pairs the desk streams takes the trader role.")
        return
    chooser, remove, star = st.columns([4, 1, 1], vertical_alignment="bottom")
    picked = tuple(chooser.multiselect("Pairs to change", current, key="pairs_picked"))
    clicked = remove.button("Remove", disabled=not picked, key="pairs_remove", width="stretch")
    remove_control(market, current, picked, clicked)
    if star.button("★ Favourite", disabled=not picked, key="pairs_fav", width="stretch"):
        for s in picked:
            reply = favourites.set_favourite(market, s, s not in favourites.favourites(market))
            if not reply.ok:
                show_reply(reply)
                break
        else:
            st.rerun(scope="fragment")
    st.caption(
        "★ toggles the favourite mark (kept across restarts); click a column header to sort. "
        "A new pair gets its recent history from REST and streams live at once."
    )


watchlist()
