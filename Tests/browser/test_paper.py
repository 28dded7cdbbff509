"""Paper, as the village clinics print it (A4, printed to PDF in this Chromium and read back): a micro-grid's
household codes, whose printed QR code a phone reads back into the household's page; a resident's case
sheet carrying the masked number only; a station's month poster with the National Day moves; and the
sheets an outsider cannot print (another micro-grid's codes, a foreign resident's sheet read as missing)."""
import io
import json
import os
import re
import subprocess
import urllib.request

from pypdf import PdfReader

from conftest import BASE, DESK, PHONE, SCREENS, open_resident


def pdf_of(c, name):
    """The page printed to A4 PDF: its pages and its text; a PNG of the print layout beside it."""
    c.page.emulate_media(media="print")
    data = c.page.pdf(format="A4", print_background=True)
    with open(os.path.join(SCREENS, f"{name}.pdf"), "wb") as f:
        f.write(data)
    c.page.screenshot(path=os.path.join(SCREENS, f"{name}-print.png"), full_page=True)
    reader = PdfReader(io.BytesIO(data))
    box = reader.pages[0].mediabox
    assert abs(float(box.width) - 595.3) < 2 and abs(float(box.height) - 841.9) < 2, f"A4 is 595 × 842 points, not {box}"
    return len(reader.pages), "\n".join(p.extract_text() for p in reader.pages)


def test_household_codes_print_and_a_printed_code_opens_its_household(console):
    gw = console("gridworker", PHONE)
    gw.go("/app/grids")
    gw.page.click("a[href^='/app/grids/'] >> nth=0")
    households = gw.page.locator("main h2 a[href^='/app/h/']").count()
    first_address = gw.page.locator("main h2 a[href^='/app/h/']").first.inner_text()
    gw.page.click("text=打印本微网格户码")
    assert gw.page.locator("figure.code-card").count() == households
    gw.shoot("paper-codes")
    # A phone's camera reads the first sticker: the code names the household's page, nothing else.
    card = os.path.join(SCREENS, "paper-code-card.png")
    gw.page.locator("figure.code-card").first.screenshot(path=card)
    read = subprocess.run(["zbarimg", "--quiet", "--raw", card], capture_output=True, text=True, check=True).stdout.strip()
    assert re.fullmatch(re.escape(BASE) + r"/app/h/[A-Za-z0-9_-]+", read), read
    pages, text = pdf_of(gw, "paper-codes")
    assert pages == -(-households // 12), f"{households} codes on {pages} pages, twelve to a page"
    assert first_address in text and "码上办" in text
    gw.page.emulate_media(media="screen")
    gw.page.goto(read)
    assert first_address in gw.main_text()


def test_a_case_sheet_and_a_month_poster_print_on_a4(console):
    gw = console("gridworker", PHONE)
    rid = open_resident(gw, 2)
    doctor = console("doctor", DESK)
    doctor.go(f"/app/r/{rid}")
    masked = re.search(r"身份证 (\d{6}\*{10}[0-9X]{2})", doctor.main_text()).group(1)
    doctor.page.click("text=打印个案表")
    pages, text = pdf_of(doctor, "paper-case")
    assert pages >= 1 and "健康服务信息个案表" in text and masked in text
    assert not re.search(r"\d{17}[\dX]", text), "a whole identity number on paper"

    # October's sessions, made through the API: the National Day holiday cancels or moves some of them.
    def api(method, path, body=None):
        request = urllib.request.Request(
            BASE + path, method=method, data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": "Bearer " + os.environ["DOCTOR_TOKEN"], "Content-Type": "application/json"})
        return json.load(urllib.request.urlopen(request))

    # A Saturday-evening clinic of the doctor's station, valid since September, so October is its own.
    first = api("GET", "/v1/clinics?limit=1")["items"][0]
    clinic = api("POST", "/v1/clinics", {"stationId": first["stationId"], "teamId": first["teamId"], "weekday": 6,
                                         "startsAt": "19:00", "endsAt": "20:00", "validFrom": "2026-09-01"})
    made = api("POST", f"/v1/clinics/{clinic['id']}/session-generations", {"from": "2026-09-28", "through": "2026-10-31"})
    assert len(made["moved"]) + len(made["cancelled"]) >= 1, made
    doctor.page.emulate_media(media="screen")
    doctor.go(f"/app/stations/{clinic['stationId']}/poster?month=2026-10")
    assert "国庆" in doctor.page.inner_text("body")
    doctor.page.screenshot(path=os.path.join(SCREENS, "paper-poster-1280x800.png"), full_page=True)
    pages, text = pdf_of(doctor, "paper-poster")
    assert pages == 1, f"the month's poster on {pages} pages"
    assert "2026年10月" in text and "节假日调整" in text and ("已停诊" in text or "已调整" in text)


def test_an_outsider_cannot_print_another_micro_grids_codes_or_a_foreign_sheet(console):
    mine = console("gridworker", PHONE)
    mine.go("/app/grids")
    href = mine.page.locator("a[href^='/app/grids/']").first.get_attribute("href")
    other = console(os.environ["FOREIGN_GRID_WORKER"], PHONE)
    assert other.go(href + "/codes") == 404
    rid = open_resident(mine, 0)
    assert other.go(f"/app/r/{rid}/print") == 404
    missing = other.main_text()
    assert other.go("/app/r/999999999/print") == 404 and other.main_text() == missing


def test_a_week_of_rounds_prints_one_members_day_to_a_page(console):
    doctor = console("doctor", DESK)
    doctor.go("/app/rounds")
    doctor.page.click("text=下一周")
    doctor.page.click("form[action='/app/rounds/plan'] button")
    days = doctor.page.locator("div.member").count()
    first = doctor.page.locator("div.member h3").first.inner_text()
    stop = doctor.page.locator("div.member ol.stops li p.sub").first.inner_text()
    assert days >= 1
    pages, text = pdf_of(doctor, "paper-rounds")
    assert pages >= days, f"{days} member-days on {pages} pages"
    assert first.split(" · ")[0] in text and stop in text
    assert "未遇" not in text and "退出" not in text, "buttons and the menu do not print"
