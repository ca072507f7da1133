"""Explore: read-only SQL over the desk's database, with a quick chart and CSV download."""

import streamlit as st

from app import charts, explore_sql, queries, saved_queries
from app.csv_export import to_csv
from app.sql_guard import MAX_SQL_CHARS, RefusedQuery
from app.text import plain

MAX_ROWS = 10_000
LIMITS = explore_sql.Limits(max_rows=MAX_ROWS)

st.title("Explore")
st.caption(
    "One SELECT over the desk's tables: "
    + ", ".join(f"`{t}`" for t in queries.TABLES)
    + ". Times are milliseconds since 1970 UTC (`epoch_ms(time)` makes them timestamps). "
    "Anything else (writes, several statements, files, settings) is refused; the query runs "
    f"read-only, for at most {LIMITS.timeout_s:g} s and {LIMITS.max_bytes >> 20} MB of results."
)
saved = st.selectbox(
    "Saved queries",
    ["", *saved_queries.SAVED_QUERIES],
    key="explore_saved",
    format_func=lambda name: name or "pick one to load it",
)
if saved and st.session_state.get("_explore_loaded") != saved:
    st.session_state["explore_sql"] = saved_queries.SAVED_QUERIES[saved]
    st.session_state["_explore_loaded"] = saved
sql = st.text_area(
    "SQL",
    height=160,
    key="explore_sql",
    max_chars=MAX_SQL_CHARS,
    placeholder="SELECT symbol, count(*) FROM klines GROUP BY symbol",
)
if st.button("Run", type="primary", key="explore_run") and sql.strip():
    st.session_state["explore_ran"] = sql
ran = st.session_state.get("explore_ran")
if ran:
    try:
        frame, more = queries.run_select(ran, MAX_ROWS, LIMITS.timeout_s)
    except RefusedQuery as exc:
        st.error(f"Refused: {plain(exc, 2000)}", icon=":material/block:")
    except queries.QueryFailed as exc:
        st.error(f"DuckDB: {plain(exc, 2000)}")
    else:
        note = f"first {MAX_ROWS:,} rows (there are more)" if more else f"{len(frame):,} rows"
        st.caption(note)
        shown = explore_sql.display_frame(frame)
        st.dataframe(shown, hide_index=True, width="stretch", height=380)
        figure = charts.quick_chart(shown)
        if figure is not None:
            st.plotly_chart(figure, key="explore_chart")
        st.download_button(
            "Download CSV",
            data=to_csv(frame),
            file_name="tradedesk-query.csv",
            mime="text/csv",
            key="explore_csv",
        )
