"""The two roles' main flows end to end, in a real Chromium: a grid worker opens a household by its code
and raises a flag, the team's doctor confirms it, records an urgent reading, and the alert reaches the
grid worker's screen, who acknowledges it with a note."""
import re

from conftest import DESK, PHONE, resident_id


def open_household_by_code(gw):
    """The first household of the grid worker's first micro-grid, opened by its code as a scan would."""
    gw.go("/app/grids")
    gw.shoot("grids")
    gw.page.click("a[href^='/app/grids/'] >> nth=0")
    gw.shoot("microgrid")
    href = gw.page.get_attribute("a[href^='/app/h/'] >> nth=0", "href")
    assert re.fullmatch(r"/app/h/[A-Za-z0-9_-]+", href), href
    assert gw.go(href) == 200
    gw.shoot("household")
    return href


def test_flag_raised_on_a_phone_is_confirmed_at_the_desk(console):
    gw = console("gridworker", PHONE)
    open_household_by_code(gw)
    gw.page.click("main a[href^='/app/r/'] >> nth=0")
    rid = resident_id(gw.page.url)
    name = gw.page.inner_text("section.person h1")
    gw.shoot("resident-grid-worker")
    gw.page.click("text=上报风险标记")
    gw.page.select_option("select[name=category]", "other")
    gw.page.select_option("select[name=tier]", "yellow")
    gw.page.fill("textarea[name=note]", "<b>邻居</b>反映近日未见出门")
    gw.page.click("form[action$='/flags'] button[type=submit]")
    assert "已上报风险标记" in gw.page.inner_text("p.done")
    # A note typed by a person is shown as text, never as markup.
    assert "<b>邻居</b>反映近日未见出门" in gw.main_text()
    assert gw.page.locator("main b").count() == 0

    doctor = console("doctor", DESK)
    doctor.go("/app/today")
    doctor.shoot("today")
    row = doctor.page.locator("li", has=doctor.page.locator(f"a[href='/app/r/{rid}']")).filter(has_text="其他")
    row.locator("button[value=confirm]").click()
    assert "已确认标记" in doctor.page.inner_text("p.done")
    doctor.go(f"/app/r/{rid}")
    assert name in doctor.page.inner_text("section.person h1")
    flags = doctor.page.inner_text("main")
    assert re.search(r"其他 · 重点人群 · 已确认", flags), flags


def test_an_urgent_reading_reaches_the_grid_workers_screen(console):
    gw = console("gridworker", PHONE)
    open_household_by_code(gw)
    gw.page.click("main a[href^='/app/r/'] >> nth=1")
    rid = resident_id(gw.page.url)

    doctor = console("doctor", DESK)
    doctor.go(f"/app/r/{rid}")
    doctor.shoot("resident-doctor")
    doctor.page.click("text=记录读数")
    doctor.page.fill("input[name=systolic]", "192")
    doctor.page.fill("input[name=diastolic]", "124")
    doctor.page.fill("input[name=glucoseRandom]", "30")
    doctor.page.click("form[action$='/readings'] button[type=submit]")
    assert "危急值" in doctor.page.inner_text("h1")
    assert "绿色通道" in doctor.main_text()
    doctor.shoot("urgent")
    doctor.go(f"/app/r/{rid}")
    assert doctor.page.locator("svg.chart circle.sys").count() >= 1

    # The grid worker's own list now leads with this resident and the call to the family.
    gw.go("/app/grids")
    attention = gw.page.locator("section.card >> nth=0")
    row = attention.locator("li", has=gw.page.locator(f"a[href='/app/r/{rid}']"))
    assert "联系家属" in row.inner_text()
    # Open alerts lead the list: nobody without one is listed above this resident.
    rows = attention.locator("li").all_inner_texts()
    assert all("联系家属" in r for r in rows[: rows.index(row.inner_text()) + 1])
    row.locator("a").click()
    assert resident_id(gw.page.url) == rid
    gw.page.fill("form[action$='/acknowledge'] input[name=note]", "已电话联系女儿，正在送医")
    gw.page.click("form[action$='/acknowledge'] button[type=submit]")
    assert "已记录联系情况" in gw.page.inner_text("p.done")
    assert "已电话联系女儿，正在送医" in gw.main_text()
    gw.shoot("resident-acknowledged")


def test_a_welfare_visit_and_the_due_list(console):
    gw = console("gridworker", PHONE)
    open_household_by_code(gw)
    gw.page.click("main a[href^='/app/r/'] >> nth=0")
    gw.page.click("text=记录关爱走访")
    gw.page.fill("form[action$='/services'] textarea[name=notes]", "老人精神好，药已按时服用")
    gw.page.click("form[action$='/services'] button[type=submit]")
    assert "已记录走访" in gw.page.inner_text("p.done")
    assert "关爱走访" in gw.main_text()

    doctor = console("doctor", DESK)
    doctor.go("/app/due?visit=annual_check")
    doctor.shoot("due")
    text = doctor.main_text()
    assert "年度体检" in text and "医生随访" not in text.split("项到期")[1]
