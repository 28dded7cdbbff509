"""辖区指标 for a district manager: the district's dashboard with its indicators against the previous
period, drilling down street → community and to a team, another period, the chart, and every table as
CSV and as Excel holding what the page shows; and what the dashboard must not do: show a person, open
another district (it reads as missing), or open for roles that care for people rather than run the district."""
import csv
import io
import os
import re

import openpyxl

from conftest import DESK, PHONE


def table_rows(page, key):
    return page.locator(f"#t-{key} tbody tr").all_inner_texts()


def test_a_manager_reads_the_district_drills_down_and_downloads(console):
    m = console("manager", DESK)
    assert m.page.url.endswith("/app/district"), m.page.url
    assert "辖区指标" in m.page.inner_text("h1")
    tiles = m.page.locator(".tile").all_inner_texts()
    assert any("签约率" in t for t in tiles) and any("高血压患者血压控制率" in t for t in tiles)
    # The demo signs most residents: the district's contract rate is a real percentage, and so is last period's.
    summary = table_rows(m.page, "summary")
    contract = next(r for r in summary if r.startswith("签约率"))
    assert re.search(r"\d+\.\d%", contract), contract
    assert m.page.locator("svg.bars rect.now").count() >= 1
    streets = table_rows(m.page, "areas")
    assert streets, "the district lists its streets"
    m.shoot("district")

    # Every table downloads as CSV with the page's rows, Chinese intact behind a byte-order mark.
    with m.page.expect_download() as d:
        m.page.click("#t-areas h2 a")
    raw = open(d.value.path(), encoding="utf-8").read()
    assert raw.startswith("\ufeff名称,户数,居民,签约率")
    lines = list(csv.reader(io.StringIO(raw.lstrip("\ufeff"))))
    assert len(lines) == 1 + len(streets)
    first = streets[0].split("\t")
    assert lines[1][0] == first[0].strip() and lines[1][3] == first[3].strip()

    # The workbook holds every table, rates as numbers formatted as percentages.
    with m.page.expect_download() as d:
        m.page.click("a.button.primary")
    assert d.value.suggested_filename.endswith(".xlsx")
    book = openpyxl.load_workbook(open(d.value.path(), "rb"))
    assert len(book.sheetnames) == m.page.locator("section.card[id^=t-]").count()
    sheet = book[book.sheetnames[0]]
    assert sheet["A1"].value == "指标" and sheet["A2"].value == "签约率"
    assert isinstance(sheet["B2"].value, float) and 0 <= sheet["B2"].value <= 1
    assert sheet["B2"].number_format == "0.0%"
    page_rate = float(contract.split("\t")[1].rstrip("%"))
    assert abs(sheet["B2"].value * 100 - page_rate) < 0.051

    # Down to a street, then a community: the breadcrumb grows, the period stays.
    m.page.locator("#t-areas tbody a").first.click()
    street = m.page.inner_text("h1")
    assert m.page.locator("nav.crumbs a").count() == 2
    m.page.locator("#t-areas tbody a").first.click()
    assert m.page.locator("nav.crumbs a").count() == 3 and m.page.inner_text("h1") != street
    # A team of the community, with the part of its catchment inside it.
    teams = table_rows(m.page, "teams")
    assert teams
    m.page.locator("#t-teams tbody a").first.click()
    assert "team=" in m.page.url and "团队" in m.page.inner_text("nav.crumbs")

    # This month instead of the year: the period's first day is the month's.
    m.go("/app/district")
    m.page.select_option("select[name=period]", "month")
    m.page.click("form.filters button[type=submit]")
    assert re.search(r"本期 \d{4}-\d{2}-01 至", m.main_text())
    m.page.click("nav.tabs a:has-text('血压控制率')")
    assert "血压控制率" in m.page.inner_text("#chart h2")

    # A period of the manager's own choosing is counted when opened, both it and the same number of days
    # before it (side by side, each on its own connection), and compared like the rolled-up ones.
    assert m.go("/app/district?period=custom&from=2026-09-01&to=2026-10-31") == 200
    assert "本期 2026-09-01 至 2026-10-31，与上期 2026-07-02 至 2026-08-31 相比" in m.main_text()
    custom = next(r for r in table_rows(m.page, "summary") if r.startswith("签约率"))
    assert len(re.findall(r"\d+\.\d%", custom)) >= 2, custom
    m.shoot("district-custom")

    # Aggregates only: no link to a resident, no identity or phone number anywhere on the page.
    html = m.page.content()
    assert "/app/r/" not in html and "/app/h/" not in html
    assert not re.search(r"\d{17}[\dX]", m.main_text()) and not re.search(r"1[3-9]\d{9}", m.main_text())

    phone = console("manager", PHONE)
    phone.go("/app/district")
    phone.shoot("district")
    assert phone.go("/app/district?period=custom&from=2026-09-01&to=2026-10-31") == 200
    phone.shoot("district-custom")


def test_a_dates_mistake_is_named_and_another_district_reads_as_missing(console):
    m = console("manager", PHONE)
    assert m.go("/app/district?period=custom&from=2026-05-01&to=2026-04-01") == 422
    assert "不能早于开始日期" in m.main_text()
    missing = m.go("/app/district?area=999999999")
    missing_text = m.main_text()
    foreign = m.go(f"/app/district?area={os.environ['FOREIGN_DISTRICT']}")
    assert (missing, foreign) == (404, 404)
    assert m.main_text() == missing_text
    assert m.go(f"/app/district/export?format=xlsx&area={os.environ['FOREIGN_DISTRICT']}") == 404
    for user in ("gridworker", "doctor", "hospital"):
        c = console(user, PHONE)
        assert c.go("/app/district") == 403, user
        assert c.go("/app/district/export?format=csv&table=areas") == 403, user
