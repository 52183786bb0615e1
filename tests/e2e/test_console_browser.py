"""The staff console in a real browser: Debian's chromium (which `make install` installs),
driven headless by Playwright, against the real bot process and the local Bot API.

A staff member signs in with the link /console sends, opens every page, sees the overview's
charts drawn, picks an entry for an unanswered group's YAML and marks the group handled (the
resident's name never shown), approves a volunteer, who is told over the local Bot API, and
writes, previews and sends a notice, whose progress the page's script refreshes.
Screenshots go to tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import Page, async_playwright

from bot.console.web import NAV
from bot.messages import MESSAGES
from tests.e2e.conftest import World, free_port
from tests.e2e.test_volunteer_queue import (
    PHONE,
    PHONE_TYPED,
    ask_for_help,
    choose_asker,
    lead,
    plain,
    register_volunteer,
    reply,
    running_bot,
    seen,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
LINK = re.compile(r"http://127\.0\.0\.1:\d+/console/login\?token=[\w-]+")
TIMEOUT_MS = 20_000
# A question the bot cannot answer, with a name the unanswered page must never show.
UNANSWERED = "Jeg heter Kari Nordmann. Hvor mange sjiraffer bor i dyreparken?"


def title(name: str) -> str:
    """A page's heading as Siri (Telegram in Norwegian) reads it."""
    return MESSAGES[f"console_nav_{name}"]["nb"]


async def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"console-{name}.png"), full_page=True)


async def test_staff_sign_in_open_every_page_and_approve_a_volunteer(
    world: World, tmp_path: Path
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    async with running_bot(world, tmp_path, PORT=str(port), CONSOLE_URL=base):
        await in_the_browser(world, tmp_path)


async def in_the_browser(world: World, tmp_path: Path) -> None:
    core = world.core
    # Something for the overview to draw, and a registration waiting for staff.
    core.inject_text(world.resident, "Kan jeg utsette fakturaen?")
    await core.wait_for_message(world.resident)
    await register_volunteer(world, world.volunteer, "Ola Nordmann", approve=False)
    await choose_asker(core, world.resident)
    core.inject_text(world.resident, "/subscribe")
    await reply(core, world.resident, plain("notices_subscribed", name="Asker kommune"))
    core.inject_text(world.resident, UNANSWERED)
    await reply(core, world.resident, lead("fallback"))
    ref = await ask_for_help(core, world.resident, phone=PHONE_TYPED)
    core.inject_text(world.staff, "/console")
    answer = await reply(core, world.staff, "/console/login?token=")
    found = LINK.search(answer.text or "")
    assert found is not None
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
        )
        try:
            page = context.pages[0] if context.pages else await context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            await page.goto(found.group(0))
            await page.get_by_role("button", name=MESSAGES["console_sign_in_button"]["nb"]).click()
            await page.wait_for_url(re.compile(r"/console/$"))
            await page.get_by_role("heading", level=1, name=title("overview")).wait_for()
            for chart in ("chart-hours", "chart-shares", "chart-languages"):
                drawn = page.locator(f"svg#{chart}")
                # A drawn bar: empty hours are bars of no height, which are never visible.
                await drawn.locator('rect:not([height="0.0"])').first.wait_for()
                box = await drawn.bounding_box()
                assert box is not None and box["width"] > 100 and box["height"] > 50, chart
            assert await page.locator("svg#chart-hours g.bars rect").count() == 7 * 24
            await screenshot(page, "overview")
            for name in NAV[1:]:
                await page.get_by_role("link", name=title(name), exact=True).click()
                await page.get_by_role("heading", level=1, name=title(name)).wait_for()
                await screenshot(page, name)
                if name == "unanswered":
                    await snippet_and_handled(page)
            await page.get_by_role("link", name=title("volunteers"), exact=True).click()
            approve = MESSAGES["console_approve"]["nb"].format(name="Ola")
            await page.get_by_role("button", name=approve).click()
            await page.get_by_role("status").wait_for()
            await screenshot(page, "volunteers-approved")
            await seen(
                core, world.volunteer, plain("volunteer_approved_for", places="Asker kommune")
            )
            await page.get_by_role("link", name=title("requests"), exact=True).click()
            row = page.locator("tr", has_text=ref)
            await row.wait_for()
            assert PHONE not in await page.content()
            hand_over = MESSAGES["console_hand_over"]["nb"].format(ref=ref)
            await row.get_by_role("link", name=hand_over).click()
            await page.get_by_role("heading", level=1, name=hand_over).wait_for()
            choice = page.get_by_label(MESSAGES["console_hand_to"]["nb"].format(ref=ref))
            await choice.select_option(label="Ola (Asker sentrum)")
            await page.get_by_role("button", name=hand_over).click()
            await page.get_by_role("status").wait_for()
            await screenshot(page, "requests-handed-over")
            await seen(core, world.volunteer, ref)
            await page.get_by_role("link", name=title("audit"), exact=True).click()
            log = page.locator("main table")
            await log.get_by_text(MESSAGES["console_audit_approve"]["nb"]).wait_for()
            await screenshot(page, "audit")
            await write_and_send_a_notice(world, page)
            # On a phone: the same page, its tables as cards.
            await page.set_viewport_size({"width": 390, "height": 844})
            await page.get_by_role("link", name=title("requests"), exact=True).click()
            await page.get_by_role("heading", level=1, name=title("requests")).wait_for()
            await screenshot(page, "requests-phone")
            # The overview's charts on a phone: the narrow drawings, their text readable.
            await page.get_by_role("link", name=title("overview"), exact=True).click()
            await page.get_by_role("heading", level=1, name=title("overview")).wait_for()
            for chart in ("chart-hours", "chart-shares", "chart-languages"):
                assert not await page.locator(f"svg#{chart}").is_visible(), chart
                narrow = page.locator(f"svg#{chart}-narrow")
                assert await narrow.is_visible(), chart
                label = await narrow.locator("text").first.bounding_box()
                # 14-unit text: at least 11 pixels high on the screen, not the wide one's 5.
                assert label is not None and label["height"] >= 11, (chart, label)
            await screenshot(page, "overview-phone")
        finally:
            await context.close()


async def write_and_send_a_notice(world: World, page: Page) -> None:
    """The notices page: Asker's notice written, previewed as the resident will get it, sent
    to its one subscriber, and its row refreshed by the page's script."""
    nb = {key: table["nb"] for key, table in MESSAGES.items()}
    await page.get_by_role("link", name=title("notices"), exact=True).click()
    await page.get_by_label(nb["console_notice_to"], exact=True).select_option("asker")
    await page.get_by_role("button", name=nb["console_notice_next"]).click()
    norsk = nb["console_notice_text_in"].format(language=nb["lang_name_nb"])
    english = nb["console_notice_text_in"].format(language=nb["lang_name_en"])
    await page.get_by_label(norsk).fill("Kok vannet før du drikker det.")
    await page.get_by_label(english).fill("Boil the water before you drink it.")
    await screenshot(page, "notices-write")
    await page.get_by_role("button", name=nb["console_notice_preview_button"]).click()
    await page.locator(".resident-message", has_text="Kok vannet").wait_for()
    count = nb["console_notice_count"].format(count="1", target="Asker kommune")
    await page.get_by_text(count).wait_for()
    await screenshot(page, "notices-preview")
    await page.get_by_role("button", name=nb["button_notice_send"].format(count="1")).click()
    await page.get_by_role("status").wait_for()
    await seen(world.core, world.resident, "Kok vannet før du drikker det.")
    # The page's own script asks notices.json and puts the numbers in the row.
    await page.locator("[data-live][data-updated]").wait_for()
    row = page.locator("tr[id^=notice-]").first
    await row.locator("td", has_text=nb["staff_notice_state_done"]).wait_for()
    await screenshot(page, "notices-sent")


async def snippet_and_handled(page: Page) -> None:
    """The unanswered page: the masked group, an entry's YAML chosen for it, then handled."""
    nb = {key: table["nb"] for key, table in MESSAGES.items()}
    group = page.locator("tr", has_text="sjiraffer")
    await group.first.wait_for()
    assert "Nordmann" not in await page.content()
    await group.get_by_label(nb["console_snippet_for"]).select_option(index=1)
    entry = await group.get_by_label(nb["console_snippet_for"]).input_value()
    await group.get_by_role("button", name=nb["console_snippet_show"]).click()
    chosen = page.locator("tr", has_text="sjiraffer")
    summary = nb["console_snippet_entry"].format(entry=entry)
    await chosen.locator("details[open] summary", has_text=summary).wait_for()
    assert "sjiraffer" in (await chosen.locator("details[open] pre").inner_text())
    await screenshot(page, "unanswered-snippet")
    await chosen.get_by_role("button", name=nb["console_mark_handled"]).click()
    await page.get_by_role("status").wait_for()
    handled = page.locator("section", has=page.get_by_role("heading", name=nb["console_handled"]))
    await handled.locator("tr", has_text="sjiraffer").wait_for()
    assert await page.get_by_role("button", name=nb["console_mark_handled"]).count() == 0
    assert "Nordmann" not in await page.content()
