"""The embeddable assistant widget (issue 23) on the real binary, in headless chromium.

A twelve-page documentation site made here is served by a static server on another
loopback port (another origin than Stoa); its Markdown is ingested with `--base-url`
pointing at it. A reader signs up inside the widget, asks, follows a citation to the right
page, asks about a selected paragraph, rates the answer, reloads and finds the conversation,
and signs out (the session is revoked on the server). A host page with hostile global CSS
and z-index wars still shows a working panel (screenshots on a light and a dark page and at
375 px); a page on an untrusted origin gets no CORS and a panel that says what to configure.
The widget's size and the time to an open panel are printed (and written to
$STOA_E2E_REPORT_DIR/widget.json when set)."""

from __future__ import annotations

import gzip
import os
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from selenium.webdriver.common.actions.action_builder import ActionBuilder

from cluster_support import report
from conftest import clean_env, client, free_port, wait_healthy, Server
from test_admin_cli import run
from web_support import SCREENSHOTS, make_driver, server_env
from widget_support import PAGES, StaticSite, Widget, write_site

SECRET = "widget-test-secret-widget-test-secret-0123"
PASSWORD = "correct horse battery"


def shots_dir() -> Path:
    out = os.environ.get("STOA_E2E_REPORT_DIR")
    d = Path(out) / "widget-screenshots" if out else SCREENSHOTS / "widget"
    d.mkdir(parents=True, exist_ok=True)
    return d


def shot(driver, name: str) -> Path:
    target = shots_dir() / f"{name}.png"
    time.sleep(0.2)
    driver.save_screenshot(str(target))
    return target


@pytest.fixture(scope="module")
def stack(stoa_bin: str, tmp_path_factory):
    """Stoa (trusting the docs origin only), the docs site on a trusted origin, and the same
    site on an untrusted one."""
    root = tmp_path_factory.mktemp("widget")
    home, cwd = root / "home", root / "cwd"
    home.mkdir()
    cwd.mkdir()
    stoa_port, docs_port, rogue_port = free_port(), free_port(), free_port()
    stoa = f"http://127.0.0.1:{stoa_port}"
    md, site = write_site(root, stoa)
    docs = StaticSite(site, docs_port)
    rogue = StaticSite(site, rogue_port)
    env = server_env(BETTER_AUTH_SECRET=SECRET, BETTER_AUTH_TRUSTED_ORIGINS=docs.base)
    run(stoa_bin, cwd, clean_env(home, **env), "docs", "ingest", str(md), "--base-url", docs.base + "/", "--quiet")
    argv = [stoa_bin, "serve", "--host", "127.0.0.1", "--port", str(stoa_port)]
    run_env = clean_env(home, **env)
    out, err = root / "stoa.stdout", root / "stoa.stderr"
    with open(out, "wb") as fo, open(err, "wb") as fe:
        proc = subprocess.Popen(argv, cwd=cwd, env=run_env, stdin=subprocess.DEVNULL, stdout=fo, stderr=fe)
    server = Server(proc, cwd, stoa_port, out, err, argv, run_env)
    try:
        wait_healthy(server)
        yield {"stoa": stoa, "docs": docs.base, "rogue": rogue.base, "server": server}
    finally:
        server.stop()
        docs.stop()
        rogue.stop()


@pytest.fixture(scope="module")
def driver():
    d = make_driver(1280, 900)
    yield d
    d.quit()


def open_page(driver, url: str) -> Widget:
    driver.get(url)
    widget = Widget(driver)
    widget.attach()
    return widget


def test_reader_journey(stack, driver):
    stoa, docs = stack["stoa"], stack["docs"]
    figures: dict = {}

    # First load: size of widget.js and the time to an open panel.
    raw = client().get(stoa + "/widget.js", timeout=10)
    figures["widget_js_bytes"] = len(raw.content)
    figures["widget_js_gzip_bytes"] = len(gzip.compress(raw.content, 9))
    assert len(raw.content) < 40 * 1024, f"widget.js is {len(raw.content)} bytes (budget 40 KB)"
    assert raw.headers["Cache-Control"].startswith("public, max-age=") and raw.headers["ETag"]

    widget = open_page(driver, docs + "/getting-started/")
    driver.execute_script("Stoa.open()")
    widget.wait("const f = this.querySelector('form.auth'); return !!f && f.getBoundingClientRect().width > 0", message="sign-in form")
    timing = driver.execute_script("""
        const e = performance.getEntriesByType('resource').find((r) => r.name.endsWith('/widget.js'));
        return {ready: window.__stoaReadyAt, open: performance.now(), fetch: e && e.duration, body: e && e.decodedBodySize,
                dom: performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd};""")
    figures.update(time_to_ready_ms=round(timing["ready"]), time_to_open_panel_ms=round(timing["open"]),
                   widget_fetch_ms=round(timing["fetch"] or 0), widget_decoded_bytes=timing["body"],
                   dom_content_loaded_ms=round(timing["dom"]))
    print(f"\nwidget.js: {figures['widget_js_bytes']} bytes ({figures['widget_js_gzip_bytes']} gzipped); "
          f"stoa:ready at {figures['time_to_ready_ms']} ms, panel open at {figures['time_to_open_panel_ms']} ms after navigation start")

    # The host page sees only open/close/ask.
    assert driver.execute_script("return Object.keys(Stoa).sort()") == ["ask", "close", "open", "widget"]
    assert driver.execute_script("return Object.isFrozen(Stoa)")

    # Forgot password answers the same for any address (and goes back to sign-in).
    email = f"reader.{uuid.uuid4().hex[:8]}@example.com"
    widget.click("button.link[data-mode=forgot]")
    widget.fill("input[name=email]", email)
    widget.click("form.auth button[type=submit]")
    widget.wait("const n = this.querySelector('.note.ok'); return n && n.innerText.includes('reset link')", message="the reset notice")

    # Sign up inside the panel.
    widget.click("button.link[data-mode=up]")
    widget.fill("input[name=name]", "Reader")
    widget.fill("input[name=email]", email)
    widget.fill("input[name=password]", PASSWORD)
    widget.click("form.auth button[type=submit]")
    widget.wait("return !!this.querySelector('.composer textarea')", message="the composer after sign-up")
    token = driver.execute_script("return JSON.parse(localStorage.getItem(arguments[0])).token", "stoa-widget:" + stoa)
    assert token and not driver.execute_script(
        "return Object.getOwnPropertyNames(window).some((k) => { try { return window[k] === arguments[0]; } catch (e) { return false; } })", token), \
        "the session token must not sit in a page global"

    # Ask: the reply streams in (a plain-text bubble grows before the final message lands), with citations.
    widget.js("""window.__stoaTrace = []; const root = this;
        new MutationObserver(() => { const b = root.querySelectorAll('.msg.bot'); const last = b[b.length - 1];
          if (last) window.__stoaTrace.push(last.dataset.id ? 'done' : (last.querySelector('.plain:not(.typing)') ? 'delta' : 'wait')); })
          .observe(root, {subtree: true, childList: true, characterData: true});""")
    widget.fill(".composer textarea", "How does the archiver write snapshots?")
    widget.click(".composer button.send")
    widget.wait("const b = [...this.querySelectorAll('.msg.bot[data-id]')]; return b.length === 1 && !!b[0].querySelector('.sources a')",
                message="a cited answer")
    trace = driver.execute_script("return window.__stoaTrace")
    assert "delta" in trace and trace.index("delta") < trace.index("done"), f"no streamed text before the saved reply: {trace[:20]}"
    answer = widget.text(".msg.bot[data-id] .md")
    assert "Snapshots are written by the archiver" in answer, answer
    links = widget.js("return [...this.querySelectorAll('.msg.bot[data-id] .sources a, .msg.bot[data-id] a.cite')].map((a) => a.href)")
    assert links and links[0].split("#")[0] == docs + "/backups", links
    assert all(link.startswith(docs + "/") for link in links), links
    shot(driver, "widget-answer")

    # The citation opens the right page (same site: in place, and the panel comes back there).
    widget.click(".msg.bot[data-id] a.cite")
    for _ in range(100):
        if driver.execute_script("return location.pathname") == "/backups/":
            break
        time.sleep(0.05)
    assert driver.execute_script("return location.pathname") == "/backups/"
    assert driver.title.startswith("Backups and snapshots")
    widget = Widget(driver)
    widget.wait("return this.querySelectorAll('.msg.bot[data-id]').length === 1", message="the conversation on the cited page")

    # Select a paragraph: the "Ask" button appears by it; it opens the panel and asks about the quote.
    widget.click("header button[aria-label=Close]")
    paragraph = PAGES[1][2][1]
    driver.execute_script("""const p = [...document.querySelectorAll('p')].find((e) => e.textContent.startsWith(arguments[0]));
        const r = document.createRange(); r.selectNodeContents(p); const s = getSelection(); s.removeAllRanges(); s.addRange(r);""",
                          paragraph[:20])
    widget.wait("const b = this.querySelector('.selask'); return !!b && !b.hidden", message="the Ask button by the selection")
    near = driver.execute_script("return document.getSelection().getRangeAt(0).getBoundingClientRect().bottom")
    ask_rect = widget.rect(".selask")
    assert abs(ask_rect["y"] - near) < 60, (ask_rect, near)
    shot(driver, "widget-selection-ask")
    # A real click at the button's place (the page's own elements must not be on top of it).
    builder = ActionBuilder(driver)
    builder.pointer_action.move_to_location(int(ask_rect["x"] + ask_rect["width"] / 2), int(ask_rect["y"] + ask_rect["height"] / 2)).click()
    builder.perform()
    widget.wait("return this.querySelectorAll('.msg.bot[data-id]').length === 2", timeout=20, message="the answer about the selection")
    quoted = widget.js("const b = this.querySelectorAll('.msg.bot[data-id]'); return b[b.length - 1].innerText")
    assert "You selected: “Restore a snapshot with the rewind command" in quoted, quoted
    mine = widget.js("const u = this.querySelectorAll('.msg.user'); return u[u.length - 1].innerText")
    assert "Restore a snapshot with the rewind command" in mine, mine

    # Thumbs up on that answer.
    widget.js("const b = this.querySelectorAll('.msg.bot[data-id]'); b[b.length - 1].querySelector('[data-rating=up]').click()")
    widget.wait("const b = this.querySelectorAll('.msg.bot[data-id]'); return b[b.length - 1].querySelector('[data-rating=up]').getAttribute('aria-pressed') === 'true'",
                message="the thumbs-up registered")
    shot(driver, "widget-selection-answer")

    # Page context: a question whose best passage is elsewhere cites this page's passage first.
    auth = {"Authorization": f"Bearer {token}"}
    question = None
    for candidate in ("Which command handles the vault?", "lumen vault", "vault"):
        hits = client().get(stoa + "/api/search", params={"q": candidate, "limit": 20}, headers=auth, timeout=10).json()["items"]
        docs_hit = [h["source"].split("#")[0] for h in hits if h.get("source")]
        if docs + "/backups" in docs_hit and docs_hit[0] != docs + "/backups":
            question = candidate
            break
    assert question, "no question ranks another page above Backups without page context"
    driver.execute_script("Stoa.ask(arguments[0])", question)
    widget.wait("return this.querySelectorAll('.msg.bot[data-id]').length === 3", timeout=20, message="the page-context answer")
    first = widget.js("const b = this.querySelectorAll('.msg.bot[data-id]'); return b[2].querySelector('.sources a').href")
    assert first.split("#")[0] == docs + "/backups", (question, first)

    # Reload: the panel reopens, signed in, and the conversation is listed.
    driver.refresh()
    widget = Widget(driver)
    widget.wait("return !!this.querySelector('header button[aria-label=Conversations]')", message="signed in after reload")
    widget.click("header button[aria-label=Conversations]")
    convs = widget.wait("const c = [...this.querySelectorAll('.convs .conv')]; return c.length ? c.map((e) => e.innerText) : null",
                        message="the conversation list")
    assert len(convs) == 1, convs
    shot(driver, "widget-conversations")

    # Sign out: the panel asks for sign-in again and the server revoked the session.
    widget.click("header button[aria-label=Account]")
    widget.click("[data-action=sign-out]")
    widget.wait("return !!this.querySelector('form.auth') && this.querySelector('.panel').innerText.includes('signed out')", message="signed out")
    assert client().get(stoa + "/api/me", headers={"Authorization": f"Bearer {token}"}, timeout=10).status_code == 401
    assert driver.execute_script("return JSON.parse(localStorage.getItem(arguments[0]) || '{}').token || null", "stoa-widget:" + stoa) is None
    report("widget", figures)


def test_hostile_host_css(stack, driver):
    """`* { all: unset !important }`, 44–90 px fonts and a max-z-index overlay over the corner:
    the launcher is on top and clickable, the panel keeps its own fonts and size, on a light page,
    a dark page and at 375 px."""
    stoa, docs = stack["stoa"], stack["docs"]
    widget = open_page(driver, docs + "/hostile/")
    driver.execute_script("Stoa.close()")  # a panel left open on this site reopens on its next page
    launcher = widget.rect(".launcher")
    cx, cy = int(launcher["x"] + launcher["width"] / 2), int(launcher["y"] + launcher["height"] / 2)
    top = driver.execute_script("const e = document.elementFromPoint(arguments[0], arguments[1]); return e && e.localName", cx, cy)
    assert top == "stoa-widget", f"the host page's overlay covers the launcher ({top})"
    builder = ActionBuilder(driver)
    builder.pointer_action.move_to_location(cx, cy).click()
    builder.perform()
    widget.wait("const p = this.querySelector('.panel'); return !p.hidden && p.getBoundingClientRect().width > 0", message="the panel open")
    assert widget.style(".panel", "font-size") == "14px"
    assert widget.style(".title", "font-size") == "15px"
    assert widget.style(".panel", "font-family").startswith("system-ui")
    assert widget.rect(".panel")["width"] == 400
    assert widget.style(".panel", "background-color") == "rgb(255, 255, 255)"
    email_box = widget.rect("input[name=email]")
    assert 30 <= email_box["height"] <= 50, email_box
    # Sign in still works under that page.
    email = f"hostile.{uuid.uuid4().hex[:8]}@example.com"
    r = client().post(stoa + "/api/auth/sign-up/email", json={"name": "H", "email": email, "password": PASSWORD}, timeout=30)
    assert r.status_code == 200, r.text
    widget.fill("input[name=email]", email)
    widget.fill("input[name=password]", PASSWORD)
    widget.click("form.auth button[type=submit]")
    widget.wait("return !!this.querySelector('.composer textarea')", message="signed in on the hostile page")
    driver.execute_script("Stoa.ask('How do I pair a phone with the relay?')")
    widget.wait("return !!this.querySelector('.msg.bot[data-id] .sources a')", message="an answer on the hostile page")
    assert widget.style(".msg.bot .md", "font-size") == "14px"
    shot(driver, "widget-hostile-light")

    widget = open_page(driver, docs + "/hostile-dark/")
    driver.execute_script("Stoa.open()")
    widget.wait("const p = this.querySelector('.panel'); return !p.hidden && p.classList.contains('dark')", message="the dark panel")
    assert widget.style(".panel", "background-color") == "rgb(17, 24, 39)"
    shot(driver, "widget-hostile-dark")

    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 375, "height": 740, "deviceScaleFactor": 2, "mobile": True})
    try:
        driver.refresh()
        widget = Widget(driver)
        widget.wait("const p = this.querySelector('.panel'); return !p.hidden && p.getBoundingClientRect().width === 375",
                    message="a full-width panel at 375 px")
        assert widget.rect(".composer")["width"] == 375
        # The hostile page is wider than the screen; the panel still covers exactly what the reader sees.
        panel, seen = widget.rect(".panel"), driver.execute_script(
            "return {top: visualViewport.offsetTop, left: visualViewport.offsetLeft, height: visualViewport.height}")
        assert (panel["y"], panel["x"], panel["height"]) == (seen["top"], seen["left"], seen["height"]), (panel, seen)
        shot(driver, "widget-hostile-375")
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    # Leave signed out for whatever runs next.
    widget.click("header button[aria-label=Account]")
    widget.click("[data-action=sign-out]")


def test_untrusted_origin(stack, driver):
    """The same site on an origin Stoa does not trust: no CORS for it, and the panel names the
    origin and the setting to change."""
    stoa, rogue = stack["stoa"], stack["rogue"]
    preflight = client().options(stoa + "/api/chat", headers={"Origin": rogue, "Access-Control-Request-Method": "POST",
                                                            "Access-Control-Request-Headers": "authorization, content-type"}, timeout=10)
    assert "Access-Control-Allow-Origin" not in preflight.headers
    widget = open_page(driver, rogue + "/getting-started/")
    blocked = driver.execute_async_script("""const done = arguments[arguments.length - 1];
        fetch(arguments[0] + '/api/auth/get-session', {credentials: 'omit'}).then(() => done('readable'), (e) => done(e.name));""", stoa)
    assert blocked == "TypeError", blocked
    driver.execute_script("Stoa.open()")
    message = widget.wait("const c = this.querySelector('.config'); return c && c.innerText", message="the configuration message")
    assert "BETTER_AUTH_TRUSTED_ORIGINS" in message and rogue in message and stoa in message, message
    assert not widget.js("return !!this.querySelector('form.auth')"), "no sign-in form on an untrusted page"
    shot(driver, "widget-untrusted-origin")
