"""A notification reaches a person without anyone reloading: the grid worker raises a flag on a phone, and
the doctor's open inbox shows it, with the menu's badge, over the service's event stream. The inbox is
the doctor's own: the grid worker's does not hold it."""
import re

from conftest import DESK, PHONE, open_resident


def unread(c):
    badge = c.page.locator("[data-unread]")
    return 0 if badge.is_hidden() else int(badge.inner_text().rstrip("+"))


def test_a_flag_raised_reaches_the_doctors_open_inbox_live(console):
    doctor = console("doctor", DESK)
    doctor.go("/app/notifications")
    doctor.page.wait_for_timeout(500)
    before = unread(doctor)
    items_before = doctor.page.locator("[data-live-list] li").count()

    gw = console("gridworker", PHONE)
    rid = open_resident(gw, 2)
    gw.page.click("text=上报风险标记")
    gw.page.select_option("select[name=category]", "living_alone")
    gw.page.select_option("select[name=tier]", "red")
    gw.page.click("form[action$='/flags'] button[type=submit]")
    assert "已上报风险标记" in gw.page.inner_text("p.done")

    # No reload: the stream moves the badge and the list within a few seconds.
    doctor.page.wait_for_function(f"() => document.querySelectorAll('[data-live-list] li').length > {items_before}", timeout=15000)
    assert unread(doctor) == before + 1
    first = doctor.page.locator("[data-live-list] li").first
    assert "新的风险标记待确认" in first.inner_text() and "紧急" in first.inner_text()
    doctor.shoot("notifications-live")

    # The grid worker's inbox does not hold the doctor's message.
    gw.go("/app/notifications")
    assert "新的风险标记待确认" not in gw.main_text()

    # 查看 opens the resident and marks it read.
    first.locator("button[value='1']").click()
    doctor.page.wait_for_load_state()
    assert re.search(rf"/app/r/{rid}$", doctor.page.url), doctor.page.url
    doctor.go("/app/notifications")
    doctor.page.wait_for_timeout(2500)
    assert unread(doctor) == before
