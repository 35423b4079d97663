"""A visitor uses the contact form in Chromium; an admin reads the message in the inbox."""

from axe_playwright_python.sync_playwright import Axe

from ..helpers import AXE_OPTIONS


def test_visitor_corrects_a_bad_email_and_the_admin_reads_the_message(page, live_server, logged_in_page):
    visitor = page.context.browser.new_context().new_page()
    visitor.goto(live_server + "/")
    visitor.get_by_role("link", name="Contact").click()
    visitor.get_by_label("Name").fill("Vera Visitor")
    visitor.get_by_label("Email").fill("vera-at-example.com")
    visitor.get_by_label("Message").fill("I enjoyed the article on migration, thank you.")
    visitor.wait_for_timeout(1100)  # the live server's minimum time is 1 second
    visitor.get_by_role("button", name="Send").click()
    assert visitor.get_by_text("Enter a valid email address").is_visible()
    assert visitor.get_by_label("Message").input_value() == "I enjoyed the article on migration, thank you."
    results = Axe().run(visitor, options=AXE_OPTIONS)
    assert results.violations_count == 0, results.generate_report()

    visitor.get_by_label("Email").fill("vera@example.com")
    visitor.wait_for_timeout(1100)
    visitor.get_by_role("button", name="Send").click()
    assert visitor.get_by_role("heading", name="Thank you").is_visible()

    admin = logged_in_page
    admin.goto(live_server + "/admin/messages")
    message = admin.locator("li.message").filter(has_text="I enjoyed the article on migration")
    meta = message.locator(".comment-meta").inner_text()
    assert "Vera Visitor" in meta and "<vera@example.com>" in meta
    assert message.get_by_role("link", name="Reply").get_attribute("href").startswith("mailto:vera@example.com")
    results = Axe().run(admin, options=AXE_OPTIONS)
    assert results.violations_count == 0, results.generate_report()
