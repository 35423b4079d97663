"""Two browsers as two devices: logging in on the second leaves the first working, and text typed on a
device whose session was ended elsewhere survives a new login."""

from .conftest import AUTHOR_EMAIL, AUTHOR_PASSWORD

# The laptop announces itself as Firefox on Windows, so the phone can tell its session apart in the list.
LAPTOP_AGENT = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:130.0) Gecko/20100101 Firefox/130.0"
BODY = "The tide came in at four.\n\nWe *walked* back along the dunes."


def log_in(page, live_server):
    page.get_by_label("Email").fill(AUTHOR_EMAIL)
    page.get_by_label("Password").fill(AUTHOR_PASSWORD)
    page.get_by_role("button", name="Log in").click()


def open_device(browser, live_server, **context_options):
    page = browser.new_context(**context_options).new_page()
    page.goto(live_server + "/login")
    log_in(page, live_server)
    page.wait_for_url(live_server + "/admin/")
    return page


def start_post(page, live_server, title):
    page.goto(live_server + "/admin/posts/new")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Body").fill(BODY)
    page.get_by_label("Tags").fill("Coast")


def assert_live(page, live_server, title):
    slug = title.lower().replace(" ", "-")
    page.goto(f"{live_server}/posts/{slug}")
    article = page.locator("article.article")
    assert article.get_by_role("heading", level=1).inner_text() == title
    assert article.locator("em").inner_text() == "walked"


def test_publishing_on_the_first_browser_works_after_logging_in_on_the_second(browser, live_server):
    laptop = open_device(browser, live_server)
    start_post(laptop, live_server, "Low Tide Notes")
    phone = open_device(browser, live_server)
    assert phone.get_by_text("Welcome back").is_visible()

    laptop.get_by_role("button", name="Publish").click()
    assert laptop.get_by_text("Published.").is_visible()
    assert_live(laptop, live_server, "Low Tide Notes")


def test_text_typed_on_a_device_signed_out_elsewhere_is_published_after_logging_in_again(browser, live_server):
    laptop = open_device(browser, live_server, user_agent=LAPTOP_AGENT)
    start_post(laptop, live_server, "Dune Walk")

    phone = open_device(browser, live_server)
    phone.goto(live_server + "/admin/account")
    laptop_row = phone.get_by_role("row").filter(has_text="Firefox on Windows")
    assert laptop_row.count() == 1
    laptop_row.get_by_role("button", name="Sign out").click()
    assert phone.get_by_text("That session has ended: the device is signed out.").is_visible()
    assert phone.get_by_role("row").filter(has_text="Firefox on Windows").count() == 0

    laptop.get_by_role("button", name="Publish").click()
    laptop.wait_for_url(live_server + "/login?**")
    assert laptop.get_by_text("Log in again and the editor comes back with everything you typed.").is_visible()
    log_in(laptop, live_server)
    laptop.wait_for_url(live_server + "/admin/posts/new?stash=**")
    assert laptop.get_by_text("Your text was kept: it is not saved yet.").is_visible()
    assert laptop.get_by_label("Title").input_value() == "Dune Walk"
    assert laptop.get_by_label("Body").input_value() == BODY
    assert laptop.get_by_label("Tags").input_value() == "Coast"
    assert laptop.request.get(live_server + "/posts/dune-walk").status == 404  # not saved yet

    laptop.get_by_role("button", name="Publish").click()
    assert laptop.get_by_text("Published.").is_visible()
    assert_live(laptop, live_server, "Dune Walk")
