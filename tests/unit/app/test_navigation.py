"""Where a visitor who is not logged in is served the login page."""

from app.navigation import PAGES, login_urls


def test_the_login_page_answers_at_every_desk_pages_url_the_default_pages_too():
    # Streamlit names a page by a hash of its URL: a session that ends on any desk page (Trade,
    # the default, included) must land on a login page of the same name, or the fragment runs
    # still in flight for the old page clear the login form in the browser.
    urls = login_urls()
    assert urls[0] == "login" and len(urls) == len(set(urls))
    assert {spec.url_path for spec in PAGES} <= set(urls)
    assert "trade" in urls
