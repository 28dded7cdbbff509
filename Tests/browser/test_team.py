"""The team page: a centre's staff see their team's members, catchment and contracts, and move a
micro-grid out of the catchment and back (asked to confirm first)."""
from conftest import DESK, PHONE


def test_the_team_its_catchment_and_contracts(console):
    doctor = console("doctor", DESK)
    assert doctor.go("/app/team") == 200
    doctor.shoot("team")
    text = doctor.main_text()
    assert "家庭医生" in text and "党员" in text and "网格员" in text
    grids = doctor.page.locator("form[action$='/remove']")
    before = grids.count()
    last = grids.nth(before - 1)
    name = last.locator("span.name").inner_text()
    # Declining the question sends nothing.
    doctor.page.once("dialog", lambda d: d.dismiss())
    last.locator("button").click()
    assert doctor.page.locator("form[action$='/remove']").count() == before
    doctor.page.once("dialog", lambda d: d.accept())
    doctor.page.locator("form[action$='/remove']").nth(before - 1).locator("button").click()
    assert "已移出责任区" in doctor.page.inner_text("p.done")
    assert doctor.page.locator("form[action$='/remove']").count() == before - 1
    doctor.page.select_option("select[name=microGridId]", label=name)
    doctor.page.click("form[action$='/catchment'] button")
    assert "已加入责任区" in doctor.page.inner_text("p.done")
    assert doctor.page.locator("form[action$='/remove']").count() == before

    phone = console("doctor", PHONE)
    phone.go("/app/team")
    phone.shoot("team")
