"""app.text.plain: foreign text shows literally under Streamlit's markdown."""

import pytest

from app.text import MAX_SHOWN, plain


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("[x](https://example.invalid)", r"\[x\](https\://example.invalid)"),
        ("![p](http://127.0.0.1:9/p.png)", r"!\[p\](http\://127.0.0.1\:9/p.png)"),
        ("**b** _i_ ~s~ `c`", r"\*\*b\*\* \_i\_ \~s\~ \`c\`"),
        ("<https://example.invalid> <b>html</b>", r"\<https\://example.invalid\> \<b\>html\</b\>"),
        (":material/home: :red[x] $x^2$", r"\:material/home\: \:red\[x\] \$x^2\$"),
        (
            "see www.example.invalid or me@example.invalid",
            r"see www\.example.invalid or me\@example.invalid",
        ),
        ("# heading", r"\# heading"),
        ("- item", r"\- item"),
        ("1. item", r"1\. item"),
        ("a | b", r"a \| b"),
        ("back\\slash", r"back\\slash"),
        ("two\nlines\n\n===", r"two lines ==="),
        ("NEW BUY 0.00100000 BTCUSDT", "NEW BUY 0.00100000 BTCUSDT"),
        (None, ""),
        (42, "42"),
    ],
)
def test_markdown_is_escaped(text, shown):
    assert plain(text) == shown


def test_long_text_is_cut():
    assert len(plain("x" * 10_000)) == MAX_SHOWN
    assert plain("x" * 10_000).endswith("…")
    assert plain("abcdef", limit=4) == "abc…"
