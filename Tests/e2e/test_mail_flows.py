"""Mail flows end to end (issue 22): the real `stoa serve`, mails read where they arrive.

Each flow runs over two transports:
- `smtp`: a real SMTP server (aiosmtpd from Tests/e2e/smtp_support.py, STARTTLS on a
  self-signed certificate, AUTH), the mails parsed as a client would see them;
- `log`: `STOA_MAIL=log`, the development transport, the links read from the server log.

Flows: sign-up → mail → its link verifies → `emailVerified`; required verification blocks
sign-in until the link is followed; forgot password → mail → reset → sign in with the new
password; change of email; the SMTP server down during a reset request → the request still
succeeds, the mail waits in the outbox (`stoa mail list --pending --json`) and is delivered
once the server is back (`stoa mail retry ID`). The mails themselves: headers, both parts, the
link, nothing secret but the token. A browser follows a verification link and a reset link.
"""

from __future__ import annotations

import email
import email.policy
import json
import re
import subprocess
import time
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from conftest import client

from smtp_support import smtp_server  # noqa: F401  (a pytest fixture: aiosmtpd, STARTTLS, AUTH)
from web_support import css, make_driver, screenshot, server_env, wait_css, wait_path, wait_text

PASSWORD = "correct horse battery"
SECRET = "mail-flows-secret-0123456789abcdef0123456789"
WAIT = 30.0


@dataclass
class Mail:
    """One delivered mail: recipient, subject, the link, and (SMTP only) the parsed message."""

    to: str
    subject: str
    link: str
    message: email.message.EmailMessage | None = None
    raw: bytes = b""


class LogMailbox:
    """Mails written to the server log by the log transport (`[mail:log-only] SUBJECT … to=… link=…`)."""

    kind = "log"

    def __init__(self) -> None:
        self.server = None

    def env(self) -> dict[str, str]:
        return {"STOA_MAIL": "log"}

    def mails(self) -> list[Mail]:
        # One record: `link=URL text=<the text part, several lines> to=ADDRESS [Identity] [mail:log-only] SUBJECT`.
        text = self.server.stdout_text() + self.server.stderr_text()
        pattern = re.compile(r"link=(\S*) text=.*? to=(\S+) \[Identity\] \[mail:log-only\] ([^\n]*)", re.S)
        return [Mail(to=m.group(2), subject=m.group(3).strip(), link=m.group(1)) for m in pattern.finditer(text)]

    def close(self) -> None:
        pass


class SMTPMailbox:
    """Mails received by smtp_support.py's aiosmtpd server (STARTTLS on a self-signed CA, AUTH)."""

    kind = "smtp"

    def __init__(self, smtp) -> None:
        self.smtp = smtp
        self.server = None

    def env(self) -> dict[str, str]:
        return {"STOA_MAIL": "smtp", **self.smtp.stoa_env()}

    def mails(self) -> list[Mail]:
        found = []
        for captured in list(self.smtp.messages):
            msg = captured.message
            text = msg.get_body(("plain",)).get_content()
            link = next((line.strip() for line in text.splitlines() if line.strip().startswith("http")), "")
            found.append(Mail(to=str(msg["To"]), subject=str(msg["Subject"]), link=link, message=msg, raw=captured.raw))
        return found

    def stop_server(self) -> None:
        self.smtp.stop()

    def restart_server(self) -> None:
        self.smtp.start()

    def close(self) -> None:
        pass  # the smtp_server fixture stops it


@pytest.fixture(params=["smtp", "log"])
def mailbox(request):
    if request.param == "smtp":
        smtp_server = request.getfixturevalue("smtp_server")
        box = SMTPMailbox(smtp_server(tls="starttls", auth=True))
    else:
        box = LogMailbox()
    yield box
    box.close()


@pytest.fixture
def smtp_mailbox(smtp_server):
    """The SMTP mailbox alone, for what only a real mail server can do (be down, refuse)."""
    return SMTPMailbox(smtp_server(tls="starttls", auth=True))


def start(start_server, mailbox, **env):
    server = start_server(env=server_env(BETTER_AUTH_SECRET=SECRET, **mailbox.env(), **env))
    mailbox.server = server
    return server


def wait_mail(mailbox, to: str, count: int = 1, timeout: float = WAIT) -> Mail:
    """The `count`-th mail to `to` (waits for it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        mine = [m for m in mailbox.mails() if to.lower() in m.to.lower()]
        if len(mine) >= count:
            return mine[count - 1]
        time.sleep(0.1)
    pytest.fail(f"no mail #{count} to {to} within {timeout:.0f}s (have: {[(m.to, m.subject) for m in mailbox.mails()]})")


def wait_mail_where(mailbox, predicate, timeout: float = WAIT) -> Mail:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [m for m in mailbox.mails() if predicate(m)]
        if found:
            return found[-1]
        time.sleep(0.1)
    pytest.fail(f"no such mail within {timeout:.0f}s (have: {[(m.to, m.subject) for m in mailbox.mails()]})")


def mails_to(mailbox, to: str) -> list[Mail]:
    return [m for m in mailbox.mails() if to.lower() in m.to.lower()]


def post(server, path: str, body: dict, cookie: str | None = None) -> requests.Response:
    headers = {"Origin": server.origin}
    if cookie:
        headers["Cookie"] = cookie
    return client().post(server.url("/api/auth" + path), json=body, headers=headers, timeout=30)


def session_user(server, cookie: str) -> dict | None:
    r = client().get(server.url("/api/auth/get-session"), headers={"Cookie": cookie}, timeout=10)
    assert r.status_code == 200, r.text
    data = r.json()
    return data["user"] if data else None


def cookie_of(r: requests.Response) -> str:
    value = r.cookies.get("better-auth.session_token")
    assert value, f"no session cookie: {r.status_code} {r.text[:200]}"
    return "better-auth.session_token=" + value


def follow(server, link: str, cookie: str | None = None) -> requests.Response:
    """Opens a link from a mail on this server (no redirects followed)."""
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}" == server.origin, f"the link is not on BETTER_AUTH_URL: {link}"
    headers = {"Cookie": cookie} if cookie else {}
    return client().get(server.url(parts.path + ("?" + parts.query if parts.query else "")), headers=headers,
                        allow_redirects=False, timeout=30)


def check_mail(mailbox, mail: Mail, *, to: str, subject: str, secrets: list[str]) -> None:
    """What a mail must carry: the subject, a link to BETTER_AUTH_URL; over SMTP also the headers,
    a text and an HTML part with the same link, and none of `secrets`."""
    assert mail.subject == subject
    assert mail.link.startswith(mailbox.server.origin + "/api/auth/")
    if mailbox.kind != "smtp":
        return
    msg = mail.message
    assert to in str(msg["To"]) and msg["From"]
    assert msg["Date"] and msg["Message-ID"] and msg["MIME-Version"] == "1.0"
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert mail.link in text
    assert mail.link.replace("&", "&amp;") in html
    raw = mail.raw.decode("utf-8", "replace")
    for secret in secrets + [SECRET, PASSWORD]:
        assert secret not in raw, "a secret is in the mail"


def stoa_cli(server, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([server.argv[0], *args], cwd=server.cwd, env=server.env, capture_output=True, text=True, timeout=120)


def new_email(tag: str) -> str:
    return f"{tag}-{uuid.uuid4().hex[:8]}@example.com"


def test_sign_up_then_verify(start_server, mailbox):
    server = start(start_server, mailbox, STOA_SEND_VERIFICATION_ON_SIGNUP="on", STOA_APP_NAME="Acme Notes")
    address = new_email("ada")
    r = post(server, "/sign-up/email", {"name": "Ada", "email": address, "password": PASSWORD, "callbackURL": "/verify-email"})
    assert r.status_code == 200, r.text
    cookie = cookie_of(r)
    assert session_user(server, cookie)["emailVerified"] is False
    mail = wait_mail(mailbox, address)
    check_mail(mailbox, mail, to=address, subject="Verify your email for Acme Notes", secrets=[r.json()["token"]])
    assert parse_qs(urlsplit(mail.link).query)["callbackURL"] == ["/verify-email"]
    followed = follow(server, mail.link)
    assert followed.status_code == 302 and followed.headers["Location"] == "/verify-email"
    assert session_user(server, cookie)["emailVerified"] is True


def test_required_verification_blocks_sign_in(start_server, mailbox):
    server = start(start_server, mailbox, STOA_REQUIRE_EMAIL_VERIFICATION="on")
    address = new_email("bob")
    r = post(server, "/sign-up/email", {"name": "Bob", "email": address, "password": PASSWORD})
    assert r.status_code == 200 and r.json()["token"] is None and "better-auth.session_token" not in r.cookies
    mail = wait_mail(mailbox, address)
    refused = post(server, "/sign-in/email", {"email": address, "password": PASSWORD})
    assert refused.status_code == 403 and refused.json()["code"] == "EMAIL_NOT_VERIFIED"
    assert follow(server, mail.link).status_code == 302
    ok = post(server, "/sign-in/email", {"email": address, "password": PASSWORD})
    assert ok.status_code == 200 and ok.json()["user"]["emailVerified"] is True


def test_forgot_reset_sign_in(start_server, mailbox):
    server = start(start_server, mailbox)
    address = new_email("cy")
    r = post(server, "/sign-up/email", {"name": "Cy", "email": address, "password": PASSWORD})
    assert r.status_code == 200
    assert post(server, "/request-password-reset", {"email": address, "redirectTo": "/reset-password"}).status_code == 200
    mail = wait_mail(mailbox, address)
    check_mail(mailbox, mail, to=address, subject="Reset your Stoa password", secrets=[r.json()["token"]])
    landed = follow(server, mail.link)
    assert landed.status_code == 302
    token = parse_qs(urlsplit(landed.headers["Location"]).query)["token"][0]
    assert post(server, "/reset-password", {"token": token, "newPassword": "a brand new password"}).status_code == 200
    assert post(server, "/sign-in/email", {"email": address, "password": PASSWORD}).status_code == 401
    assert post(server, "/sign-in/email", {"email": address, "password": "a brand new password"}).status_code == 200


def test_change_of_email(start_server, mailbox):
    server = start(start_server, mailbox)
    old, new = new_email("dee"), new_email("dee-new")
    r = post(server, "/sign-up/email", {"name": "Dee", "email": old, "password": PASSWORD})
    cookie = cookie_of(r)
    assert post(server, "/change-email", {"newEmail": new, "callbackURL": "/settings"}, cookie).json() == {"status": True}
    mail = wait_mail(mailbox, new)
    check_mail(mailbox, mail, to=new, subject="Confirm your new email for Stoa", secrets=[r.json()["token"]])
    assert mails_to(mailbox, old) == [], "nothing goes to the old address"
    assert session_user(server, cookie)["email"] == old, "no change before the link is followed"
    followed = follow(server, mail.link, cookie)
    assert followed.status_code == 302 and followed.headers["Location"] == "/settings"
    user = session_user(server, cookie)
    assert user["email"] == new and user["emailVerified"] is True
    assert post(server, "/sign-in/email", {"email": new, "password": PASSWORD}).status_code == 200
    assert post(server, "/sign-in/email", {"email": old, "password": PASSWORD}).status_code == 401
    # A taken address: the same answer, and no mail.
    other = new_email("eve")
    assert post(server, "/sign-up/email", {"name": "Eve", "email": other, "password": PASSWORD}).status_code == 200
    assert post(server, "/change-email", {"newEmail": other}, cookie).json() == {"status": True}
    time.sleep(1.0)
    assert mails_to(mailbox, other) == []


def test_smtp_down_during_reset(start_server, smtp_mailbox):
    mailbox = smtp_mailbox
    server = start(start_server, mailbox)
    address = new_email("fay")
    assert post(server, "/sign-up/email", {"name": "Fay", "email": address, "password": PASSWORD}).status_code == 200
    mailbox.stop_server()
    started = time.monotonic()
    r = post(server, "/request-password-reset", {"email": address, "redirectTo": "/reset-password"})
    assert r.status_code == 200 and r.json()["status"] is True
    assert time.monotonic() - started < 5, "the request waited for the mail server"
    deadline = time.monotonic() + WAIT
    pending = []
    while time.monotonic() < deadline:
        listed = stoa_cli(server, "mail", "list", "--pending", "--json")
        assert listed.returncode == 0, listed.stderr
        pending = [m for m in json.loads(listed.stdout) if m["to"] == address and m["attempts"] >= 1]
        if pending:
            break
        time.sleep(0.5)
    assert pending and pending[0]["lastError"], "the failed attempt is not recorded"
    assert "link" not in json.dumps(pending) and "token" not in json.dumps(pending)
    mailbox.restart_server()
    retried = stoa_cli(server, "mail", "retry", pending[0]["id"])
    assert retried.returncode == 0, retried.stderr
    mail = wait_mail(mailbox, address)
    assert mail.subject == "Reset your Stoa password"
    listed = json.loads(stoa_cli(server, "mail", "list", "--json").stdout)
    assert [m["status"] for m in listed if m["id"] == pending[0]["id"]] == ["sent"]


def test_browser_follows_verification_and_reset_links(start_server, mailbox):
    server = start(start_server, mailbox, STOA_REQUIRE_EMAIL_VERIFICATION="on")
    base = server.base_url
    address = new_email("gus")
    driver = make_driver()
    try:
        driver.get(base + "/register")
        wait_css(driver, "input[name=name]").send_keys("Gus")
        css(driver, "input[name=email]").send_keys(address)
        css(driver, "input[name=password]").send_keys(PASSWORD)
        css(driver, "form.auth-form button[type=submit]").click()
        wait_text(driver, "[data-testid=check-inbox]", address)
        # Signing in before verifying: a clear message, and a fresh link offered.
        driver.get(base + "/login")
        wait_css(driver, "input[name=email]").send_keys(address)
        css(driver, "input[name=password]").send_keys(PASSWORD)
        css(driver, "form.auth-form button[type=submit]").click()
        wait_text(driver, ".banner", "isn’t verified yet")
        wait_css(driver, "[data-testid=resend-verification]")
        screenshot(driver, f"mail-not-verified-{mailbox.kind}")

        driver.get(wait_mail(mailbox, address).link)
        wait_path(driver, lambda p: p == "/verify-email")
        wait_text(driver, "h1", "Your email is verified")
        screenshot(driver, f"mail-verified-{mailbox.kind}")
        # An expired or broken link lands on the same page with a way to get a new one.
        driver.get(base + "/api/auth/verify-email?token=broken&callbackURL=%2Fverify-email")
        wait_path(driver, lambda p: p.startswith("/verify-email?error=INVALID_TOKEN"))
        wait_text(driver, ".banner-error", "not valid")

        driver.get(base + "/forgot-password")
        wait_css(driver, "input[name=email]").send_keys(address)
        css(driver, "form.auth-form button[type=submit]").click()
        wait_text(driver, ".banner-success", "reset link is on its way")
        reset = wait_mail_where(mailbox, lambda m: address in m.to and "/reset-password/" in m.link)
        driver.get(reset.link)
        wait_path(driver, lambda p: p.startswith("/reset-password?token="))
        inputs = [i for i in driver.find_elements("css selector", "input[type=password]")]
        inputs[0].send_keys("a brand new password")
        inputs[1].send_keys("a brand new password")
        css(driver, "form.auth-form button[type=submit]").click()
        wait_path(driver, lambda p: p.startswith("/login"))
        wait_css(driver, "input[name=email]").send_keys(address)
        css(driver, "input[name=password]").send_keys("a brand new password")
        css(driver, "form.auth-form button[type=submit]").click()
        wait_path(driver, lambda p: p == "/")
        wait_css(driver, ".composer-input")
    finally:
        driver.quit()


def test_browser_banner_resend_and_change_of_email(start_server, mailbox):
    server = start(start_server, mailbox)
    base = server.base_url
    address, changed = new_email("hal"), new_email("hal-new")
    driver = make_driver()
    try:
        driver.get(base + "/register")
        wait_css(driver, "input[name=name]").send_keys("Hal")
        css(driver, "input[name=email]").send_keys(address)
        css(driver, "input[name=password]").send_keys(PASSWORD)
        css(driver, "form.auth-form button[type=submit]").click()
        # Signed in but unverified: the banner, and its resend sends a link.
        banner = wait_css(driver, "[data-testid=verify-banner]")
        assert address in banner.text
        banner.find_element("css selector", "button").click()
        wait_text(driver, "[data-testid=verify-banner]", "new link is on its way")
        first = wait_mail(mailbox, address)
        assert "/verify-email?token=" in first.link

        # Settings: the address is shown unverified; a change of email sends a link to the new one.
        driver.get(base + "/settings")
        wait_css(driver, "[data-testid=email-unverified]")
        css(driver, "input[name=newEmail]").send_keys(changed)
        css(driver, "[data-testid=change-email] button[type=submit]").click()
        wait_text(driver, ".banner-success", f"Check {changed}")
        link = wait_mail(mailbox, changed).link
        driver.get(link)
        wait_path(driver, lambda p: p == "/verify-email")
        wait_text(driver, "h1", "Your email is verified")
        driver.get(base + "/settings")
        wait_text(driver, "[data-testid=current-email]", changed)
        wait_css(driver, "[data-testid=email-verified]")
        wait_text(driver, ".activity[data-type='email.changed']", "Email changed")
        screenshot(driver, f"mail-settings-changed-{mailbox.kind}")
        driver.get(base + "/")
        wait_css(driver, ".composer-input")
        assert not driver.find_elements("css selector", "[data-testid=verify-banner]"), "the banner stays after verifying"
    finally:
        driver.quit()


def test_mail_cli(start_server):
    """`stoa mail list [--pending] [--json]` and `stoa mail retry ID` against a running server's database."""
    box = LogMailbox()
    server = start(start_server, box)
    address = new_email("ivy")
    assert post(server, "/sign-up/email", {"name": "Ivy", "email": address, "password": PASSWORD}).status_code == 200
    assert post(server, "/request-password-reset", {"email": address}).status_code == 200
    wait_mail(box, address)
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        rows = json.loads(stoa_cli(server, "mail", "list", "--json").stdout)
        if rows and rows[0]["status"] == "sent":
            break
        time.sleep(0.2)
    [row] = rows
    assert row["to"] == address and row["kind"] == "reset-password" and row["status"] == "sent" and row["attempts"] == 1
    assert set(row) >= {"id", "subject", "createdAt", "sentAt", "nextAttemptAt", "lastError"}
    assert "text" not in row and "html" not in row and "/reset-password/" not in json.dumps(rows)
    table = stoa_cli(server, "mail", "list")
    assert table.returncode == 0 and row["id"] in table.stdout and "reset-password" in table.stdout and "/api/auth/" not in table.stdout
    assert json.loads(stoa_cli(server, "mail", "list", "--pending", "--json").stdout) == []
    sent = stoa_cli(server, "mail", "retry", row["id"])
    assert sent.returncode != 0 and "only a pending or failed mail" in sent.stderr
    unknown = stoa_cli(server, "mail", "retry", "01a2b3c4-0000-7000-8000-000000000000")
    assert unknown.returncode != 0 and "no mail with id" in unknown.stderr
    bad = stoa_cli(server, "mail", "retry", "'; DROP TABLE mail_outbox; --")
    assert bad.returncode != 0
    assert stoa_cli(server, "mail", "list", "--limit", "0").returncode != 0


def test_smtp_permanent_refusal_stops_retries(start_server, smtp_mailbox):
    mailbox = smtp_mailbox
    server = start(start_server, mailbox)
    address = new_email("jo")
    assert post(server, "/sign-up/email", {"name": "Jo", "email": address, "password": PASSWORD}).status_code == 200
    mailbox.smtp.refuse = "554 5.7.1 message refused"
    assert post(server, "/request-password-reset", {"email": address}).status_code == 200
    deadline = time.monotonic() + WAIT
    failed = []
    while time.monotonic() < deadline and not failed:
        rows = json.loads(stoa_cli(server, "mail", "list", "--json").stdout)
        failed = [m for m in rows if m["to"] == address and m["status"] == "failed"]
        time.sleep(0.3)
    assert failed and failed[0]["attempts"] == 1 and "554" in failed[0]["lastError"], rows
    assert "mail refused for good" in server.stderr_text() + server.stdout_text()
    assert "/reset-password/" not in server.stderr_text() + server.stdout_text(), "the link reached the log"
    time.sleep(2)
    assert json.loads(stoa_cli(server, "mail", "list", "--json").stdout)[0]["attempts"] == 1, "a refused mail was retried"
    mailbox.smtp.refuse = None
    assert stoa_cli(server, "mail", "retry", failed[0]["id"]).returncode == 0
    assert "/reset-password/" in wait_mail(mailbox, address).link
