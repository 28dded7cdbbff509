"""共享药箱 on a grid worker's phone: ask the board for a resident, claim an offer for a request from the
nearest box, pick it up and deliver it."""
from conftest import PHONE, open_resident


def test_a_request_claimed_picked_up_and_delivered(console):
    gw = console("gridworker", PHONE)
    open_resident(gw, 3)
    gw.page.click("text=向共享药箱求助")
    gw.page.fill("form[action$='/board-requests'] input[name=itemName]", "布洛芬缓释胶囊")
    gw.page.select_option("form[action$='/board-requests'] select[name=category]", "otc_medicine")
    gw.page.fill("form[action$='/board-requests'] input[name=reason]", "发热38.5℃，家中无退烧药")
    gw.page.click("form[action$='/board-requests'] button[type=submit]")
    assert "已发布求助" in gw.page.inner_text("p.done")
    assert "布洛芬缓释胶囊" in gw.main_text()
    gw.shoot("board")

    # The demo's relay point holds offers in this micro-grid: the first request that can be claimed is.
    links = gw.page.locator("a[href^='/app/board/requests/']")
    claimed = False
    for i in range(links.count()):
        gw.page.locator("a[href^='/app/board/requests/']").nth(i).click()
        form = gw.page.locator("form[action$='/claims']")
        if form.count() > 0:
            gw.shoot("board-request")
            form.first.locator("button").click()
            claimed = True
            break
        gw.page.go_back()
    assert claimed, "no request of the demo could be claimed"
    assert "已认领" in gw.page.inner_text("p.done")
    claim = gw.page.locator("section.card >> nth=0").locator("li").first
    claim.locator("button[value=pick_up]").click()
    assert "已取药" in gw.page.inner_text("p.done")
    gw.page.locator("section.card >> nth=0").locator("li").first.locator("button[value=deliver]").click()
    assert "已送达居民" in gw.page.inner_text("p.done")
