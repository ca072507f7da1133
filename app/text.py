"""Text from users and from the exchange, made safe for Streamlit's markdown.

st.error, st.warning, st.info, st.success, st.toast, st.markdown, st.caption, st.write and widget
labels all render markdown: a kill-switch reason `[x](https://...) ![p](http://...)` became a
link and a remote image in every session's toast. `plain()` backslash-escapes every character
that starts markdown (links, images, emphasis, code, HTML, emoji and icon shortcodes, colours,
maths, strikethrough, tables) and breaks up bare-URL, `www.` and e-mail autolinks, so the text
shows exactly as written. Only text the app writes itself goes to those calls unescaped.
"""

from __future__ import annotations

import re

MAX_SHOWN = 500  # characters of one piece of foreign text on a page
_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~:$@{}])")
_AUTOLINK_WWW = re.compile(r"(?i)\b(www)\.")
_LINE_START = re.compile(r"^([-+=]|\d+[.)])")  # a list item or a heading underline


def plain(text: object, limit: int = MAX_SHOWN) -> str:
    """`text` on one line, at most `limit` characters, shown literally by markdown."""
    flat = " ".join(str("" if text is None else text).split())
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    escaped = _SPECIAL.sub(r"\\\1", flat)
    escaped = _AUTOLINK_WWW.sub(r"\1\\.", escaped)
    return _LINE_START.sub(_escape_marker, escaped)


def _escape_marker(match: re.Match[str]) -> str:
    marker = match.group(1)
    return f"{marker[:-1]}\\{marker[-1]}"
