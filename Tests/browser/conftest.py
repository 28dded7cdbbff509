"""Fixtures for the console's browser tests: one system Chromium for the run, a signed-in page per user."""
import os
import re

import pytest
from playwright.sync_api import sync_playwright

BASE = os.environ.get("GRIDCARE_URL", "http://127.0.0.1:18091")
SCREENS = os.environ.get("GRIDCARE_SCREENS", ".gridcare/screens")
PASSWORD = os.environ.get("GRIDCARE_DEMO_PASSWORD", "gridcare-demo")
PHONE = {"width": 360, "height": 640}
DESK = {"width": 1280, "height": 800}


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"), args=["--no-sandbox"])
        yield b
        b.close()


class Console:
    """A signed-in user's browser tab, with the checks every screen gets."""

    def __init__(self, page, user, viewport):
        self.page, self.user, self.viewport = page, user, viewport

    def go(self, path):
        response = self.page.goto(BASE + path)
        return response.status

    def shoot(self, name):
        """Writes a screenshot, and checks a phone screen does not scroll sideways."""
        size = f'{self.viewport["width"]}x{self.viewport["height"]}'
        self.page.screenshot(path=os.path.join(SCREENS, f"{name}-{size}.png"), full_page=True)
        if self.viewport == PHONE:
            width = self.page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"{name} scrolls sideways at 360 px ({width} px wide)"

    def main_text(self):
        return self.page.inner_text("main")


def sign_in(browser, user, viewport=PHONE):
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    page.goto(BASE + "/app")
    assert "/app/login" in page.url
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_load_state()
    assert "/app/login" not in page.url, page.inner_text("main")
    return Console(page, user, viewport)


@pytest.fixture
def console(browser):
    """sign_in(user, viewport) for the test; every context it opened is closed after."""
    opened = []

    def open_as(user, viewport=PHONE):
        c = sign_in(browser, user, viewport)
        opened.append(c.page.context)
        return c

    yield open_as
    for context in opened:
        context.close()


def open_resident(c, n=0):
    """The n-th resident of the grid worker's first micro-grid, opened by clicking through."""
    c.go("/app/grids")
    c.page.click("a[href^='/app/grids/'] >> nth=0")
    c.page.click(f"main a[href^='/app/r/'] >> nth={n}")
    return resident_id(c.page.url)


def resident_id(url):
    return int(re.search(r"/app/r/(\d+)", url).group(1))
