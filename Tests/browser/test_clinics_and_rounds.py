"""Clinic staff at their desks: book a resident into a village-clinic session and see the visit through,
and plan next week's rounds, each member's day drawn as a route, marking a visit done."""
from conftest import DESK, PHONE


def test_book_a_clinic_place_check_in_and_complete(console):
    doctor = console("doctor", DESK)
    doctor.go("/app/due")
    name = doctor.page.inner_text("main section.household li a >> nth=0")
    doctor.go("/app/clinics")
    doctor.shoot("clinics")
    doctor.page.locator("main li", has_text="已排班").locator("a").first.click()
    session_url = doctor.page.url
    doctor.page.fill("form.search input[name=q]", name)
    doctor.page.click("form.search button")
    doctor.page.locator("main form[action$='/bookings']").first.locator("button").click()
    assert "已预约" in doctor.page.inner_text("p.done")
    booking = doctor.page.locator("main li", has_text=name).first
    assert "已预约" in booking.inner_text()
    booking.locator("button[value=check_in]").click()
    booking = doctor.page.locator("main li", has_text=name).first
    assert "已签到" in booking.inner_text()
    booking.locator("button[value=complete]").click()
    assert "已就诊" in doctor.page.locator("main li", has_text=name).first.inner_text()
    doctor.shoot("session")

    gw = console("gridworker", PHONE)
    gw.go("/app/clinics")
    gw.shoot("clinics")
    gw.page.goto(session_url)
    gw.shoot("session")
    assert name in gw.main_text()


def test_plan_next_weeks_rounds_and_mark_a_visit_done(console):
    doctor = console("doctor", DESK)
    doctor.go("/app/rounds")
    doctor.page.click("text=下一周")
    doctor.page.click("form[action='/app/rounds/plan'] button")
    assert "已规划本周巡诊" in doctor.page.inner_text("p.done")
    assert doctor.page.locator("svg.route").count() >= 1
    doctor.shoot("rounds")
    first = doctor.page.locator("ol.stops li").first
    who = first.locator("a").inner_text()
    first.locator("button[value=done]").click()
    assert "已更新巡诊记录" in doctor.page.inner_text("p.done")
    done = doctor.page.locator("ol.stops li", has_text=who).first
    assert "已完成" in done.inner_text()
    assert doctor.page.locator("svg.route circle.stop.done").count() >= 1

    phone = console("doctor", PHONE)
    phone.go("/app/rounds")
    phone.page.click("text=下一周")
    phone.shoot("rounds")
