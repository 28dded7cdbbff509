"""The designated hospital's inbox: a doctor sends a green-channel slip from a resident's case sheet, the
hospital finds it at the top of its inbox with the acknowledgement countdown, works it through receive,
accept, admit and discharge down, and finds it again by number; the printable slip; and what the
hospital cannot reach: another hospital's slip reads as missing, the inbox is not a grid worker's."""
import os
import re

from conftest import DESK, PHONE, open_resident


def test_a_green_channel_slip_is_worked_through_to_discharge(console):
    gw = console("gridworker", PHONE)
    rid = open_resident(gw, 4)

    doctor = console("doctor", DESK)
    doctor.go(f"/app/r/{rid}")
    doctor.page.click("#referral summary")
    doctor.page.select_option("#referral select[name=hospitalId]", os.environ["HOSPITAL_ID"])
    doctor.page.select_option("#referral select[name=urgency]", "green_channel")
    doctor.page.fill("#referral input[name=diagnosis]", "急性冠脉综合征？")
    doctor.page.fill("#referral textarea[name=reason]", "胸痛两小时，<b>请尽快</b>接诊")
    doctor.page.click("#referral button[type=submit]")
    assert "转诊单已转出" in doctor.page.inner_text("p.done")
    number = re.search(r"C\d+-\d{4}-\d{6}", doctor.page.inner_text("h1")).group(0)
    slip = re.search(r"/app/referrals/(\d+)", doctor.page.url).group(1)
    # The reason is text, never markup.
    assert "<b>请尽快</b>" in doctor.main_text()

    hospital = console("hospital", PHONE)
    assert hospital.page.url.endswith("/app/hospital")
    rows = hospital.page.locator("ul.slips li").all_inner_texts()
    mine = next(i for i, text in enumerate(rows) if number in text)
    # Green channel first: every slip above it is green channel too, and the first routine comes after.
    assert all("绿色通道" in text for text in rows[: mine + 1])
    assert any("常规" in text for text in rows[mine + 1 :])
    assert re.search(r"接收期限还剩 1 小时 5\d 分", rows[mine])
    hospital.shoot("hospital-inbox")
    hospital.page.locator("ul.slips li", has_text=number).locator("a").first.click()
    assert hospital.page.url.endswith(f"/app/referrals/{slip}")
    # The hospital sees the patient's number masked until it has received the slip.
    assert "*" in hospital.page.inner_text("dl.facts")
    for button, status in (("接收", "医院已接收"), ("接诊", "已接诊"), ("入院", "已入院")):
        hospital.page.click(f"button:text-is('{button}')")
        assert status in hospital.page.inner_text("main h1 + p")
    hospital.page.fill("textarea[name=instructions]", "继续双抗治疗，两周后社区复查血压")
    hospital.page.fill("textarea[name=medication]", "阿司匹林 100 mg qd")
    hospital.shoot("hospital-slip")
    hospital.page.click("button[value=discharge]")
    assert hospital.page.url.endswith("/app/hospital?done=discharge")
    assert "已出院回转" in hospital.page.inner_text("p.done")

    hospital.page.fill("input[name=q]", number.lower())
    hospital.page.click("form.search button")
    found = hospital.page.locator("ul.slips li")
    assert found.count() == 1 and "已回转" in found.first.inner_text()
    hospital.go("/app/hospital?stage=discharged_down")
    assert number in hospital.main_text()

    # The team now owes the follow-up: the slip is on the doctor's today page, the plan on the slip.
    doctor.go("/app/today")
    assert number in doctor.main_text()
    doctor.go(f"/app/referrals/{slip}")
    assert "继续双抗治疗" in doctor.main_text()
    assert doctor.page.locator("button[value=follow_up]").count() == 1

    printed = hospital.page.context.new_page()
    printed.goto(f"{os.environ.get('GRIDCARE_URL')}/app/referrals/{slip}/print")
    assert "双向转诊单" in printed.inner_text("h1") and number in printed.inner_text("body")


def test_another_hospitals_slip_reads_as_missing_and_the_inbox_is_the_hospitals(console):
    outsider = console(os.environ["FOREIGN_HOSPITAL"], DESK)
    outsider.page.locator("ul.slips li a").first.click()
    foreign = re.search(r"/app/referrals/(\d+)", outsider.page.url).group(1)

    hospital = console("hospital", DESK)
    assert hospital.go(f"/app/referrals/{foreign}") == 404
    foreign_text = hospital.main_text()
    assert hospital.go("/app/referrals/999999999") == 404
    assert hospital.main_text() == foreign_text
    assert hospital.go(f"/app/referrals/{foreign}/print") == 404
    # Nor can it be moved: the step answers as missing, and the other hospital's slip is unchanged.
    before = outsider.page.inner_text("main h1 + p")
    status = hospital.page.evaluate(
        """([url, csrf]) => fetch(url, {method: 'POST', body: 'action=receive&csrf=' + csrf,
              headers: {'Content-Type': 'application/x-www-form-urlencoded'}, redirect: 'manual'}).then(r => r.status)""",
        [f"/app/referrals/{foreign}", hospital.page.locator("input[name=csrf]").first.get_attribute("value") or ""],
    )
    assert status == 404
    outsider.page.reload()
    assert outsider.page.inner_text("main h1 + p") == before

    gw = console("gridworker", PHONE)
    assert gw.go("/app/hospital") == 403
    assert gw.go(f"/app/referrals/{foreign}") == 403
