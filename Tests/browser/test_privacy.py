"""What an outsider gets from the console: a foreign resident reads as a missing one, a form without its
session's token changes nothing, a signed-out session is over, and the session cookie is out of reach
of scripts and other sites."""
import os

from conftest import BASE, PHONE, open_resident


def test_a_foreign_resident_answers_like_a_missing_one(console):
    outsider = console(os.environ["FOREIGN_GRID_WORKER"], PHONE)
    foreign = open_resident(outsider)

    gw = console("gridworker", PHONE)
    assert gw.go(f"/app/r/{foreign}") == 404
    foreign_text = gw.main_text()
    assert gw.go("/app/r/999999999") == 404
    assert gw.main_text() == foreign_text
    gw.shoot("not-found")
    # Nor through the household code or the micro-grid of the other district.
    assert gw.go("/app/h/not-a-code") == 404


def test_a_form_without_its_token_is_refused_and_writes_nothing(console):
    gw = console("gridworker", PHONE)
    rid = open_resident(gw, 2)
    before = gw.main_text().count("待确认")
    for body in ("category=pregnant&tier=red", "category=pregnant&tier=red&csrf=forged"):
        status = gw.page.evaluate(
            """([url, body]) => fetch(url, {method: 'POST', body, headers: {'Content-Type': 'application/x-www-form-urlencoded'},
                                               redirect: 'manual'}).then(r => r.status)""",
            [f"/app/r/{rid}/flags", body],
        )
        assert status == 403
    gw.go(f"/app/r/{rid}")
    assert gw.main_text().count("待确认") == before
    assert "孕产妇" not in gw.main_text()


def test_the_session_cookie_and_signing_out(console):
    gw = console("gridworker", PHONE)
    session = [c for c in gw.page.context.cookies() if c["name"] == "gridcare_session"][0]
    assert session["httpOnly"] and session["sameSite"] == "Strict" and session["path"] == "/app"
    assert gw.page.evaluate("document.cookie").find("gridcare_session") == -1
    token = session["value"]
    gw.page.click("header form.logout button")
    assert "/app/login" in gw.page.url
    # The token behind the cookie is revoked, not just forgotten by this browser.
    gw.page.context.add_cookies([{"name": "gridcare_session", "value": token, "url": BASE + "/app"}])
    gw.go("/app/grids")
    assert "/app/login" in gw.page.url


def test_a_wrong_password_is_refused_in_chinese(browser):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(BASE + "/app/login")
    page.fill("input[name=username]", "gridworker")
    page.fill("input[name=password]", "wrong-password")
    page.click("form.stack button[type=submit]")
    assert "用户名或密码错误" in page.inner_text("p.error")
    page.screenshot(path=os.path.join(os.environ.get("GRIDCARE_SCREENS", "."), "signin-refused-360x640.png"))
    context.close()
