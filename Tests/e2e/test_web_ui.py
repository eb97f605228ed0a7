"""Browser tests of the web UI (issue 7): the real `stoa serve`, headless chromium.

Scenarios: the main chat flow (sign-up, streamed reply, tasks panel, refresh, search,
rename, pin, delete with undo, XSS, sign-out), isolation between users, drafts kept across
an expired session, password reset through the logged link, and document citations.
Screenshots go to <repo>/.build/screenshots/.
"""

from __future__ import annotations

import re
import subprocess
import time
import uuid

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from conftest import client
from web_support import (
    PASSWORD, browser_errors, css, make_driver, no_alert, path, register, screenshot, server_env,
    session_cookie, wait, wait_css, wait_path, wait_text,
)

MAX_FIRST_LOAD_BYTES = 150 * 1024
MAX_SHELL_MS = 200.0

XSS_TEXT = '<img src=x onerror="window.__xss=1;alert(1)"> and [click me](javascript:alert(1)) <script>alert(1)</script>'


# Sizes of the HTML and of every same-origin JS/CSS file of this page load (uncompressed),
# and when the app shell was drawn (the app's `stoa-shell` mark, ms from navigation start).
PERF_JS = """
    const nav = performance.getEntriesByType('navigation')[0];
    const assets = performance.getEntriesByType('resource')
      .filter(r => new URL(r.name).origin === location.origin && /\\.(js|css)$/.test(new URL(r.name).pathname));
    const shell = performance.getEntriesByName('stoa-shell')[0];
    return {html: nav.decodedBodySize, transfer: nav.transferSize + assets.reduce((s, r) => s + r.transferSize, 0),
            assets: assets.map(r => [new URL(r.name).pathname, r.decodedBodySize]),
            total: nav.decodedBodySize + assets.reduce((s, r) => s + r.decodedBodySize, 0),
            shell: shell ? shell.startTime : null};
"""


def api(server, cookie: str, method: str, p: str, **kw) -> requests.Response:
    headers = {"Cookie": cookie, "Origin": server.origin, **kw.pop("headers", {})}
    return client().request(method, server.url(p), headers=headers, timeout=10, **kw)


def send(driver, text: str) -> None:
    """Type `text` into the composer (Shift+Enter between lines) and press Enter."""
    box = wait_css(driver, ".composer-input")
    for i, line in enumerate(text.split("\n")):
        if i:
            box.send_keys(Keys.SHIFT, Keys.ENTER, Keys.NULL)
        box.send_keys(line)
    box.send_keys(Keys.ENTER)


def assistant_count(driver) -> int:
    return len(driver.find_elements(By.CSS_SELECTOR, ".msg-assistant[data-id]"))


def watch_streaming(driver) -> None:
    """Record whether a reply was shown while it was still streaming (before `done`)."""
    driver.execute_script("""
        window.__sawStreaming = false;
        new MutationObserver(() => {
          const el = document.querySelector('.msg-assistant.streaming .streaming-text');
          if (el && el.textContent) window.__sawStreaming = true;
        }).observe(document.body, {subtree: true, childList: true, characterData: true});
    """)


def test_chat_flow(start_server):
    server = start_server(env=server_env())
    base = server.base_url
    driver = make_driver()
    try:
        # Sign-up lands on the chat.
        email = f"ada-{uuid.uuid4().hex[:8]}@example.com"
        register(driver, base, "Ada Lovelace", email)
        assert path(driver) == "/"
        cookie = session_cookie(driver)

        # A streamed reply, with the tool activity inline and the task in the panel.
        watch_streaming(driver)
        send(driver, "add a task to buy milk")
        wait_path(driver, lambda p: p.startswith("/c/"))
        conv_id = path(driver).split("/")[2]
        reply = wait_text(driver, ".msg-assistant[data-id] .md", "Added task: Buy milk")
        assert reply.find_element(By.XPATH, "ancestor::article").find_element(By.CSS_SELECTOR, ".tool").text == "Added task: Buy milk"
        assert driver.execute_script("return window.__sawStreaming"), "the reply never appeared while streaming"
        task_row = wait_text(driver, ".tasks-panel .task", "Buy milk")
        wait_text(driver, ".conv-list", "add a task to buy milk")
        screenshot(driver, "chat-streamed-reply")

        # The checkbox completes the task on the server, and back.
        box = task_row.find_element(By.CSS_SELECTOR, "input[type=checkbox]")
        box.click()
        wait(driver, lambda d: api(server, cookie, "GET", "/api/tasks?status=done").json()["items"], message="task never completed")
        wait_css(driver, ".tasks-panel .task.done input").click()
        wait(driver, lambda d: not api(server, cookie, "GET", "/api/tasks?status=done").json()["items"], message="task never reopened")

        # Refresh with an empty cache = a first load: the conversation is still there, and
        # the page's size and shell render time are within budget.
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
        loads = []
        for _ in range(3):  # three cold loads; the median is asserted (a loaded CI box is noisy)
            driver.refresh()
            wait_text(driver, ".msg-assistant[data-id] .md", "Added task: Buy milk")
            wait_text(driver, ".msg-user", "add a task to buy milk")
            wait_text(driver, ".conv-list", "add a task to buy milk")
            loads.append(driver.execute_script(PERF_JS))
        driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": False})
        perf = sorted(loads, key=lambda p: p["shell"] or 1e9)[1]
        files = ", ".join(f"{p.rsplit('/', 1)[1]} {n}" for p, n in perf["assets"])
        print(f"\nchat page first load: {perf['total']} bytes uncompressed (HTML {perf['html']} + "
              f"{len(perf['assets'])} JS/CSS files: {files}), "
              f"{perf['transfer']} bytes on the wire")
        shells = ", ".join(f"{p['shell']:.1f}" for p in loads)
        print(f"app shell rendered at {shells} ms "
              f"(median {perf['shell']:.1f} ms, limit {MAX_SHELL_MS:.0f} ms)")
        assert {p for p, _ in perf["assets"]} >= {"/assets/app.js", "/assets/app.css", "/assets/chat.js"}
        assert all(p["total"] < MAX_FIRST_LOAD_BYTES for p in loads), loads
        assert perf["shell"] is not None and perf["shell"] < MAX_SHELL_MS, loads

        # Ctrl+K focuses search; the debounced search finds the chat by message text.
        css(driver, ".composer-input").send_keys(Keys.CONTROL, "k")
        wait(driver, lambda d: d.switch_to.active_element.get_attribute("aria-label") == "Search conversations")
        driver.switch_to.active_element.send_keys("milk")
        wait(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".conv")) == 1 and "buy milk" in css(d, ".conv").text)
        driver.switch_to.active_element.send_keys(" zebra")
        wait_text(driver, ".conv-status", "No chats match")
        search = css(driver, ".search-input")
        search.send_keys(Keys.ESCAPE)
        wait(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".conv")) == 1)

        # XSS payloads stay inert: no alert, no element with a handler, no javascript: link.
        driver.execute_script("window.__alerted = false; window.alert = () => { window.__alerted = true; };")
        before = assistant_count(driver)
        send(driver, XSS_TEXT)
        wait(driver, lambda d: assistant_count(d) > before)
        wait_text(driver, ".msg-user", "<img src=x")
        assert no_alert(driver)
        assert driver.execute_script("""
            return !window.__alerted && !window.__xss
              && document.querySelectorAll('[onerror], [onload], [onclick], script:not([src]), iframe').length === 0
              && [...document.querySelectorAll('a[href]')].every(a => !/^\\s*(javascript|data|vbscript):/i.test(a.getAttribute('href')));
        """), "an XSS payload became live markup"
        # The sanitiser itself, fed hostile HTML as if the server had let it through.
        cleaned = driver.execute_async_script("""
            const done = arguments[arguments.length - 1];
            import('/assets/sanitize.js').then(({sanitize}) => {
              const box = document.createElement('div');
              box.append(sanitize(`<p>ok<img src=x onerror=alert(1)><a href="javascript:alert(1)">j</a>
                <a href=" JaVa&#x09;script:alert(1)">k</a><a href="data:text/html,<script>alert(1)</script>">d</a>
                <img src="data:image/svg+xml,<svg onload=alert(1)>"><script>alert(1)</script><style>*{}</style>
                <iframe src="https://example.com"></iframe><svg onload=alert(1)></svg><b onmouseover=alert(1)>b</b>
                <a href="https://example.com/x">fine</a></p>`));
              done(box.innerHTML);
            });
        """)
        assert not re.search(r"\son\w+=|<script|<style|<iframe|<svg|javascript:|data:", cleaned, re.I), cleaned
        assert 'href="https://example.com/x"' in cleaned and "<b>b</b>" in cleaned, cleaned

        # Code blocks get a copy button (model Markdown; user text renders through the same path).
        send(driver, "```python\nprint('hi')\n```")
        copy = wait_css(driver, ".msg-user .code-block .copy-btn")
        assert "print('hi')" in css(driver, ".msg-user .code-block pre").text
        copy.click()
        wait(driver, lambda d: "Copied" in copy.text)

        # Rename from the sidebar menu.
        css(driver, ".conv.active .conv-more").click()
        wait_css(driver, ".menu .menu-item").click()  # first item: Rename
        box = wait_css(driver, ".rename-input")
        box.send_keys(Keys.CONTROL, "a")
        box.send_keys("Groceries", Keys.ENTER)
        wait_text(driver, ".conv.active .conv-title", "Groceries")
        wait_text(driver, ".chat-title", "Groceries")
        wait(driver, lambda d: api(server, cookie, "GET", f"/api/conversations/{conv_id}").json()["title"] == "Groceries")

        # Pin: a second chat is newer, but the pinned one stays first.
        css(driver, "a.new-chat").click()
        wait_path(driver, lambda p: p == "/")
        send(driver, "list my tasks")
        wait_path(driver, lambda p: p.startswith("/c/") and conv_id not in p)
        wait(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".conv")) == 2)
        assert css(driver, ".conv").get_attribute("data-id") != conv_id
        driver.find_element(By.CSS_SELECTOR, f'.conv[data-id="{conv_id}"] .conv-more').click()
        [pin] = [b for b in driver.find_elements(By.CSS_SELECTOR, ".menu .menu-item") if b.text == "Pin"]
        pin.click()
        wait(driver, lambda d: css(d, ".conv").get_attribute("data-id") == conv_id and d.find_elements(By.CSS_SELECTOR, ".conv .pin-mark"))
        screenshot(driver, "chat-sidebar-pinned")

        # Delete with undo: Undo really keeps it; letting the toast go deletes it.
        driver.find_element(By.CSS_SELECTOR, f'a.conv-link[href="/c/{conv_id}"]').click()
        wait_path(driver, lambda p: p == f"/c/{conv_id}")
        wait_text(driver, ".chat-title", "Groceries")

        def delete_current():
            css(driver, ".conv.active .conv-more").click()
            [d] = [b for b in driver.find_elements(By.CSS_SELECTOR, ".menu .menu-item") if b.text == "Delete"]
            d.click()
            wait(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, f'.conv[data-id="{conv_id}"]'))
            wait_path(driver, lambda p: p == "/")
            return wait_text(driver, ".toast", "Deleted")

        toast = delete_current()
        toast.find_element(By.CSS_SELECTOR, ".toast-action").click()
        wait_css(driver, f'.conv[data-id="{conv_id}"]')
        wait_path(driver, lambda p: p == f"/c/{conv_id}")
        time.sleep(0.3)
        assert api(server, cookie, "GET", f"/api/conversations/{conv_id}").status_code == 200
        toast = delete_current()
        assert api(server, cookie, "GET", f"/api/conversations/{conv_id}").status_code == 200, "deleted before the undo window ended"
        toast.find_element(By.CSS_SELECTOR, ".toast-close").click()  # dismissing = expiring
        wait(driver, lambda d: api(server, cookie, "GET", f"/api/conversations/{conv_id}").status_code == 404,
             message="the conversation was never deleted")

        # Sign out; the protected page now sends us to the login page.
        driver.find_element(By.CSS_SELECTOR, "button[aria-label='Sign out']").click()
        wait_path(driver, lambda p: p.startswith("/login"))
        wait_text(driver, ".banner", "signed out")
        driver.get(base + "/")
        assert wait_path(driver, lambda p: p.startswith("/login")).startswith("/login")
        wait_css(driver, "input[name=email]")
        screenshot(driver, "login-page")
        assert api(server, cookie, "GET", "/api/me").status_code == 401
        assert browser_errors(driver) == []
    finally:
        driver.quit()


def test_isolation_expired_session_and_password_reset(start_server):
    server = start_server(env=server_env())
    base = server.base_url
    http = client()

    # User A, through the API only.
    a_email = f"a-{uuid.uuid4().hex[:8]}@example.com"
    r = http.post(server.url("/api/auth/sign-up/email"), json={"name": "Alice", "email": a_email, "password": PASSWORD},
                  headers={"Origin": base}, timeout=10)
    assert r.status_code == 200, r.text
    a_cookie = "better-auth.session_token=" + r.cookies["better-auth.session_token"]
    r = api(server, a_cookie, "POST", "/api/conversations", json={"title": "Alice's secret plan"})
    assert r.status_code == 201, r.text
    a_conv = r.json()["id"]

    driver = make_driver()
    try:
        b_email = f"b-{uuid.uuid4().hex[:8]}@example.com"
        # Validation happens next to the fields before anything is sent.
        driver.get(base + "/register")
        wait_css(driver, "input[name=name]")
        css(driver, "input[name=email]").send_keys("not-an-email")
        css(driver, "input[name=password]").send_keys("short")
        css(driver, "form.auth-form button[type=submit]").click()
        wait_text(driver, ".field-error", "Tell us what to call you")
        wait_text(driver, ".field-error", "valid email address")
        wait_text(driver, ".field-error", "at least 8 characters")

        # User B sees none of A's conversations, not even by address.
        register(driver, base, "Bob", b_email)
        wait_text(driver, ".conv-status", "No chats yet")
        assert "secret plan" not in driver.page_source
        driver.get(base + f"/c/{a_conv}")
        wait_text(driver, ".empty-chat", "Conversation not found")
        assert "secret plan" not in driver.page_source

        # The mobile layout at 375 px: drawers instead of columns, nothing wider than the screen.
        css(driver, "a.new-chat")
        driver.get(base + "/")
        send(driver, "add a task to call mom tomorrow at 6pm")
        wait_path(driver, lambda p: p.startswith("/c/"))
        conv = path(driver).split("/")[2]
        wait_text(driver, ".msg-assistant[data-id] .md", "Added task")
        driver.set_window_size(375, 812)
        wait(driver, lambda d: not css(d, ".sidebar").is_displayed() or css(d, ".sidebar").rect["x"] < 0)
        assert driver.execute_script("return document.documentElement.scrollWidth") <= 375
        screenshot(driver, "mobile-chat-375")
        css(driver, "button[aria-label='Open conversations']").click()
        wait(driver, lambda d: css(d, ".sidebar").rect["x"] >= 0)
        screenshot(driver, "mobile-sidebar-375")
        driver.switch_to.active_element.send_keys(Keys.ESCAPE)  # Esc closes the drawer
        wait(driver, lambda d: css(d, ".sidebar").rect["x"] < 0)
        css(driver, "button.tasks-toggle").click()
        wait_text(driver, ".tasks-panel", "Call mom")
        wait(driver, lambda d: css(d, ".tasks-panel").rect["x"] + css(d, ".tasks-panel").rect["width"] <= 376)
        screenshot(driver, "mobile-tasks-375")
        css(driver, ".panel-close").click()
        driver.set_window_size(1280, 900)

        # The session is revoked on the server while the user is typing: sending keeps the
        # draft, the login page explains why, and signing in brings the draft back.
        b_cookie = session_cookie(driver)
        assert api(server, b_cookie, "POST", "/api/auth/revoke-sessions", json={}).status_code == 200
        draft = "my unsent thoughts\nwith a second line"
        box = wait_css(driver, ".composer-input")
        box.send_keys("my unsent thoughts", Keys.SHIFT, Keys.ENTER, Keys.NULL, "with a second line")
        assert box.get_attribute("value") == draft  # Shift+Enter is a new line, not a send
        box.send_keys(Keys.ENTER)
        wait_path(driver, lambda p: p.startswith("/login"))
        assert f"next=%2Fc%2F{conv}" in driver.execute_script("return location.search")
        wait_text(driver, ".banner", "session has ended")
        # A wrong password first: a human sentence, not a code.
        css(driver, "input[name=email]").send_keys(b_email)
        css(driver, "input[name=password]").send_keys("wrong password!")
        css(driver, "form.auth-form button[type=submit]").click()
        wait_text(driver, ".banner-error", "don’t match")
        pw = css(driver, "input[name=password]")
        pw.clear()
        pw.send_keys(PASSWORD, Keys.ENTER)
        wait_path(driver, lambda p: p == f"/c/{conv}")
        wait(driver, lambda d: css(d, ".composer-input").get_attribute("value") == draft, message="the draft was lost")
        wait_text(driver, ".msg-assistant[data-id]", "Added task")

        # Deleting the browser's cookie behaves the same (the API answers 401).
        driver.delete_all_cookies()
        css(driver, ".composer-input").send_keys(Keys.ENTER)
        wait_path(driver, lambda p: p.startswith("/login"))
        wait_text(driver, ".banner", "session has ended")

        # Forgotten password: the reset link (logged, no mail transport) opens /reset-password.
        driver.get(base + "/forgot-password")
        wait_css(driver, "input[name=email]").send_keys(b_email, Keys.ENTER)
        wait_text(driver, ".banner-success", "reset link is on its way")
        link = None
        deadline = time.monotonic() + 10
        while link is None and time.monotonic() < deadline:
            m = re.search(r"link=(\S+)", server.stdout_text() + server.stderr_text())
            link = m.group(1) if m else None
            time.sleep(0.1)
        assert link, "no reset link in the server log"
        driver.get(link)
        wait_path(driver, lambda p: p.startswith("/reset-password?token="))
        inputs = [i for i in driver.find_elements(By.CSS_SELECTOR, "input[type=password]")]
        inputs[0].send_keys("a brand new password")
        inputs[1].send_keys("a brand new password", Keys.ENTER)
        wait_path(driver, lambda p: p.startswith("/login"))
        wait_text(driver, ".banner", "password was changed")
        css(driver, "input[name=email]").send_keys(b_email)
        css(driver, "input[name=password]").send_keys("a brand new password", Keys.ENTER)
        wait_path(driver, lambda p: p == "/")
        wait_css(driver, ".composer-input")

        # Settings: rename, see the sessions, sign out the others.
        api_cookie = client().post(server.url("/api/auth/sign-in/email"), json={"email": b_email, "password": "a brand new password"},
                                   headers={"Origin": base}, timeout=10)
        assert api_cookie.status_code == 200
        css(driver, "a[aria-label='Settings']").click()
        wait_path(driver, lambda p: p == "/settings")
        name = wait_css(driver, "#sec-profile ~ form input")
        name.clear()
        name.send_keys("Bob Builder", Keys.ENTER)
        wait_text(driver, ".banner-success", "Saved")
        wait(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".session")) >= 2)
        wait_text(driver, ".session", "This device")
        # Recent activity: the sign-ins just made, with the address they came from.
        wait_text(driver, "#sec-recent-activity ~ .activity-list .activity[data-type='session.signed_in']", "Signed in")
        wait_text(driver, ".activity[data-type='session.signed_in']", "127.0.0.1")
        wait_text(driver, ".activity[data-type='password.reset_completed']", "Password reset")
        screenshot(driver, "settings")
        [other] = [b for b in driver.find_elements(By.CSS_SELECTOR, ".card .btn") if b.text == "Sign out other sessions"]
        other.click()
        wait(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".session")) == 1)
        assert browser_errors(driver) == []
    finally:
        driver.quit()


def test_citations(start_server, tmp_path):
    server = start_server(env=server_env())
    doc = tmp_path / "lighthouse-handbook.md"
    doc.write_text(
        "# Lighthouse keeping handbook\n\n"
        "## Lamp care\n\n"
        "The keeper polishes the Fresnel lens every Tuesday with a chamois cloth and vinegar. "
        "The lamp wick is trimmed at dusk so the flame burns without smoke.\n"
    )
    help_run = subprocess.run([server.argv[0], "docs", "--help"], cwd=server.cwd, env=server.env,
                              capture_output=True, text=True, timeout=30)
    if help_run.returncode != 0:
        pytest.fail(f"this stoa binary has no `docs` command yet (document search is still being built): {help_run.stderr.strip()[:300]}")
    ingest = subprocess.run([server.argv[0], "docs", "ingest", str(doc)], cwd=server.cwd, env=server.env,
                            capture_output=True, text=True, timeout=60)
    assert ingest.returncode == 0, ingest.stdout + ingest.stderr

    driver = make_driver()
    try:
        register(driver, server.base_url, "Cleo", f"c-{uuid.uuid4().hex[:8]}@example.com")
        # A task first, so the screenshot shows a streamed reply, citations and the tasks panel.
        send(driver, "add a task to buy lamp oil")
        wait_text(driver, ".tasks-panel .task", "Buy lamp oil")
        send(driver, "How often is the Fresnel lens polished?")
        sources = wait_css(driver, ".msg-assistant[data-id] .sources", timeout=30)
        first = sources.find_element(By.CSS_SELECTOR, ".source")
        assert "Lighthouse keeping handbook" in first.text, first.text
        assert first.get_attribute("id").startswith("src-")
        # Numbered: citation markers in the text (when the answer has them) link to the list.
        for cite in driver.find_elements(By.CSS_SELECTOR, ".msg-assistant .cite"):
            assert cite.get_attribute("href").split("#")[1].startswith("src-")
        screenshot(driver, "chat-citations")
        # After a refresh the saved message carries the same sources.
        driver.refresh()
        wait_text(driver, ".msg-assistant[data-id] .sources", "Lighthouse keeping handbook")
        assert browser_errors(driver) == []
    finally:
        driver.quit()
