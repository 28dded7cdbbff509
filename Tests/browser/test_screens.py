"""Every screen of every role at both sizes, written as screenshots to .gridcare/screens; at 360×640 none
scrolls sideways, and every touch target of a form is at least 44 px high."""
import os

import pytest

from conftest import BASE, DESK, PHONE, SCREENS


def first_paths(c):
    """The grid worker's first micro-grid, household and resident, found by clicking as a user would."""
    c.go("/app/grids")
    grid = c.page.get_attribute("a[href^='/app/grids/'] >> nth=0", "href")
    c.go(grid)
    household = c.page.get_attribute("a[href^='/app/h/'] >> nth=0", "href")
    resident = c.page.get_attribute("main a[href^='/app/r/'] >> nth=0", "href")
    return grid, household, resident


@pytest.mark.parametrize("viewport", [PHONE, DESK], ids=["phone", "desk"])
def test_every_screen(console, viewport):
    gw = console("gridworker", viewport)
    grid, household, resident = first_paths(gw)
    screens = {
        "gridworker": [("grids", "/app/grids"), ("microgrid", grid), ("household", household), ("resident-grid-worker", resident), ("board", "/app/board"),
                       ("search", "/app/search?q=王"), ("clinics-grid-worker", "/app/clinics"),
                       ("notifications-grid-worker", "/app/notifications")],
        "doctor": [("today", "/app/today"), ("due", "/app/due"), ("resident-doctor", resident), ("clinics", "/app/clinics"),
                   ("rounds", "/app/rounds"), ("team", "/app/team"), ("search-doctor", "/app/search?q=王"),
                   ("notifications", "/app/notifications")],
        "hospital": [("hospital", "/app/hospital"), ("hospital-closed", "/app/hospital?stage=closed")],
        "manager": [("district", "/app/district"), ("district-month", "/app/district?period=month&chart=htn-control")],
    }
    for user, pages in screens.items():
        c = gw if user == "gridworker" else console(user, viewport)
        for name, path in pages:
            assert c.go(path) == 200, path
            c.shoot("all-" + name)
            if viewport == PHONE:
                small = c.page.evaluate(
                    """() => [...document.querySelectorAll('main button, main select, main input:not([type=hidden]), main summary')]
                             .filter(e => e.offsetParent !== null && e.getBoundingClientRect().height < 44).map(e => e.outerHTML.slice(0, 80))"""
                )
                assert not small, f"{path}: touch targets under 44 px: {small}"


def test_the_sign_in_screen(browser):
    for viewport in (PHONE, DESK):
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
        page.goto(BASE + "/app/login")
        page.screenshot(path=os.path.join(SCREENS, f'signin-{viewport["width"]}x{viewport["height"]}.png'))
        if viewport == PHONE:
            assert page.evaluate("document.documentElement.scrollWidth") <= 360
        context.close()
