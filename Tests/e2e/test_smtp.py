"""The SMTP transport on the real binary: `stoa mail test` against aiosmtpd (smtp_support.py).

Every received mail is parsed with Python's `email` package; the SMTP password must appear in
no output of Stoa (stdout, stderr), in any form.
"""

from __future__ import annotations

import base64
import datetime
import re
import subprocess
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from conftest import clean_env
from smtp_support import DEFAULT_PASSWORD, SMTPServer, smtp_server  # noqa: F401 (fixture)

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

TO = "alice@example.com"
SUBJECT = "Grüße aus Stoa — bitte bestätigen Sie Ihre E-Mail-Adresse, damit alles klappt ✓ (Ünïcødé)"
NAME = "Zoë Ångström-Łukasiewicz 山田"
TEXT = (
    "Hello Zoë,\n"
    ".a line that starts with a dot\n"
    ".\n"
    "..two dots\n"
    "trailing spaces   \n"
    "a long line " + "x" * 150 + " end, with = and ü\n"
    "last line without newline"
)
HTML = "<p>Hello Zoë,</p>\n<p>.dot <a href=\"https://example.com/reset?token=abc=def\">reset</a></p>\n" + "<b>y</b>" * 40


def secret_forms(password: str = DEFAULT_PASSWORD) -> list[str]:
    return [password, quote(password, safe=""), base64.b64encode(password.encode()).decode(),
            base64.b64encode(b"\0stoa\0" + password.encode()).decode()]


def mail_test(stoa_bin: str, tmp_path: Path, env: dict[str, str], *args: str, to: str = TO,
              timeout: float = 60) -> subprocess.CompletedProcess:
    """Runs `stoa mail test TO ARGS…` in a fresh directory; returns the finished process."""
    cwd = tmp_path / "cwd-mail"
    cwd.mkdir(exist_ok=True)
    home = tmp_path / "home-mail"
    home.mkdir(exist_ok=True)
    return subprocess.run([stoa_bin, "mail", "test", to, *args], cwd=cwd, env=clean_env(home, **env),
                          capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def assert_no_password(proc: subprocess.CompletedProcess, password: str = DEFAULT_PASSWORD) -> None:
    for form in secret_forms(password):
        assert form not in proc.stdout, f"password ({form!r}) in stdout:\n{proc.stdout}"
        assert form not in proc.stderr, f"password ({form!r}) in stderr:\n{proc.stderr}"


def ok(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 0, f"exit {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
    assert_no_password(proc)
    return proc.stdout


def failed(proc: subprocess.CompletedProcess, password: str = DEFAULT_PASSWORD) -> str:
    assert proc.returncode != 0, f"unexpectedly succeeded\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
    assert_no_password(proc, password)
    return proc.stdout + proc.stderr


def check_message(smtp: SMTPServer, k: int = 0, *, subject: str = SUBJECT, name: str | None = NAME,
                  text: str = TEXT, html: str = HTML) -> None:
    mail = smtp.wait_for_message(k, timeout=10)
    msg = mail.message
    assert mail.mail_from == "stoa@example.com"
    assert mail.rcpt_tos == [TO]
    assert msg["From"].addresses[0].display_name == "Stoa Test"
    assert msg["From"].addresses[0].addr_spec == "stoa@example.com"
    assert msg["To"].addresses[0].addr_spec == TO
    assert msg["To"].addresses[0].display_name == (name or "")
    assert msg["Subject"] == subject
    date = msg["Date"].datetime
    assert date.tzinfo is not None and abs((datetime.datetime.now(datetime.timezone.utc) - date).total_seconds()) < 120
    assert re.fullmatch(r"<[0-9a-f]{32}@example\.com>", msg["Message-ID"]), msg["Message-ID"]
    assert msg["MIME-Version"] == "1.0"
    assert msg.get_content_type() == "multipart/alternative"
    plain, rich = msg.get_body(("plain",)), msg.get_body(("html",))
    assert plain.get_content_charset() == "utf-8" and rich.get_content_charset() == "utf-8"
    assert plain.get_content().replace("\r\n", "\n") == text
    assert rich.get_content().replace("\r\n", "\n") == html
    # Wire format: CRLF everywhere, no line over 998 bytes, body lines within 76 characters.
    raw = mail.raw
    for line in raw.split(b"\r\n"):
        assert len(line) <= 78, line
    assert msg.defects == [] and all(not p.defects for p in msg.walk())


def body_args(subject: str = SUBJECT, name: str | None = NAME) -> list[str]:
    args = ["--subject", subject, "--text", TEXT, "--html", HTML]
    if name is not None:
        args += ["--name", name]
    return args


def test_starttls_with_auth_plain(stoa_bin, tmp_path, smtp_server):
    smtp = smtp_server(tls="starttls", auth=True)
    started = time.monotonic()
    out = ok(mail_test(stoa_bin, tmp_path, smtp.stoa_env(), *body_args()))
    elapsed = time.monotonic() - started
    assert "connecting to 127.0.0.1:%d (STARTTLS required)" % smtp.port in out
    assert "STARTTLS: TLS established" in out
    assert "authenticated as stoa (AUTH PLAIN)" in out
    assert "sent: 250" in out
    check_message(smtp)
    assert smtp.messages[0].tls and smtp.messages[0].auth_login == "stoa"
    assert smtp.auth_attempts == [("PLAIN", "stoa", True)]
    print(f"stoa mail test (STARTTLS + AUTH PLAIN), whole process: {elapsed * 1000:.0f} ms; {out.strip().splitlines()[-1]}")


def test_auth_login_only_server(stoa_bin, tmp_path, smtp_server):
    smtp = smtp_server(tls="starttls", auth=True, auth_mechanisms=("LOGIN",))
    out = ok(mail_test(stoa_bin, tmp_path, smtp.stoa_env(), *body_args()))
    assert "authenticated as stoa (AUTH LOGIN)" in out
    assert smtp.auth_attempts == [("LOGIN", "stoa", True)]
    check_message(smtp)


def test_smtps_implicit_tls(stoa_bin, tmp_path, smtp_server):
    smtp = smtp_server(tls="smtps", auth=True)
    assert smtp.url().startswith("smtps://")
    out = ok(mail_test(stoa_bin, tmp_path, smtp.stoa_env(), *body_args()))
    assert "implicit TLS" in out and "TLS established" in out
    check_message(smtp)
    assert smtp.messages[0].tls


def test_localhost_name_is_verified_too(stoa_bin, tmp_path, smtp_server):
    smtp = smtp_server(tls="starttls", auth=True)
    ok(mail_test(stoa_bin, tmp_path, smtp.stoa_env(STOA_SMTP_URL=smtp.url(host="localhost")), *body_args()))
    check_message(smtp)


def test_starttls_off_on_loopback(stoa_bin, tmp_path, smtp_server):
    smtp = smtp_server(tls="none", auth=True)
    assert smtp.url().endswith("?starttls=off")
    out = ok(mail_test(stoa_bin, tmp_path, {"STOA_SMTP_URL": smtp.url(), "STOA_MAIL_FROM": "Stoa Test <stoa@example.com>"},
                       *body_args()))
    assert "no TLS, loopback" in out and "authenticated as stoa" in out
    check_message(smtp)
    assert not smtp.messages[0].tls


def test_starttls_off_for_a_remote_host_is_refused_at_start_up(stoa_bin, tmp_path, workdir, home):
    password = "remote-secret-pw"
    env = {"STOA_SMTP_URL": f"smtp://u:{password}@smtp.example.com:25?starttls=off", "STOA_MAIL_FROM": "stoa@example.com"}
    out = failed(mail_test(stoa_bin, tmp_path, env), password)
    assert "not a loopback host" in out
    # `stoa serve` refuses to start with it as well.
    proc = subprocess.run([stoa_bin, "serve", "--host", "127.0.0.1", "--port", "0"], cwd=workdir,
                          env=clean_env(home, **env), capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert proc.returncode != 0
    assert "not a loopback host" in proc.stderr
    assert password not in proc.stdout + proc.stderr


def test_missing_from_is_a_configuration_error(stoa_bin, tmp_path, smtp_server):
    smtp = smtp_server(tls="starttls")
    out = failed(mail_test(stoa_bin, tmp_path, {"STOA_SMTP_URL": smtp.url()}))
    assert "STOA_MAIL_FROM is required" in out
    assert smtp.messages == []


def test_server_without_starttls_is_refused(stoa_bin, tmp_path, smtp_server):
    smtp = smtp_server(tls="none", auth=True)  # offers AUTH in plaintext; the client must not use it
    env = smtp.stoa_env(STOA_SMTP_URL=smtp.url(query="starttls=on"))
    out = failed(mail_test(stoa_bin, tmp_path, env, *body_args()))
    assert "does not offer STARTTLS" in out and "refusing to send in plaintext" in out
    assert "temporary" in out
    assert smtp.auth_attempts == [] and smtp.messages == []


def test_untrusted_certificate(stoa_bin, tmp_path, smtp_server):
    smtp = smtp_server(tls="starttls", auth=True)
    env = smtp.stoa_env()
    del env["STOA_SMTP_CA_FILE"]
    out = failed(mail_test(stoa_bin, tmp_path, env, *body_args()))
    assert "certificate not trusted for 127.0.0.1" in out, out
    assert "STOA_SMTP_CA_FILE" in out
    assert smtp.auth_attempts == [] and smtp.messages == []


def test_certificate_for_another_name(stoa_bin, tmp_path, smtp_server):
    smtp = smtp_server(tls="smtps", auth=True, cert_names=("mail.example.org",), cert_addresses=())
    out = failed(mail_test(stoa_bin, tmp_path, smtp.stoa_env(STOA_SMTP_URL=smtp.url(host="localhost")), *body_args()))
    assert "certificate not trusted for localhost" in out, out
    assert smtp.auth_attempts == [] and smtp.messages == []


def test_wrong_password_is_permanent(stoa_bin, tmp_path, smtp_server):
    smtp = smtp_server(tls="starttls", auth=True)
    wrong = "wr0ng pässword"
    out = failed(mail_test(stoa_bin, tmp_path, smtp.stoa_env(STOA_SMTP_URL=smtp.url(password=wrong)), *body_args()), wrong)
    assert "permanent" in out and "535" in out and "credentials for stoa" in out, out
    assert smtp.messages == []


@pytest.mark.parametrize("reply,kind", [("451 4.3.0 Try again later", "temporary"), ("554 5.7.1 Message refused", "permanent")])
def test_refused_message(stoa_bin, tmp_path, smtp_server, reply, kind):
    smtp = smtp_server(tls="starttls", auth=True, refuse=reply)
    out = failed(mail_test(stoa_bin, tmp_path, smtp.stoa_env(), *body_args()))
    assert kind in out and reply.split()[0] in out, out


def test_server_down_then_back(stoa_bin, tmp_path, smtp_server):
    smtp = smtp_server(tls="starttls", auth=True)
    smtp.stop()
    out = failed(mail_test(stoa_bin, tmp_path, smtp.stoa_env(), *body_args()))
    assert "temporary" in out and "connection refused" in out, out
    smtp.start()
    ok(mail_test(stoa_bin, tmp_path, smtp.stoa_env(), *body_args()))
    check_message(smtp)


def test_hostile_header_values_make_no_extra_headers(stoa_bin, tmp_path, smtp_server):
    smtp = smtp_server(tls="starttls", auth=True)
    subject = "Hi\r\nBcc: evil@attacker.example\r\n\r\nInjected body"
    name = "Eve\r\nBcc: evil2@attacker.example"
    ok(mail_test(stoa_bin, tmp_path, smtp.stoa_env(), "--subject", subject, "--name", name, "--text", "t", "--html", "h"))
    msg = smtp.wait_for_message(0).message
    assert msg["Bcc"] is None and msg.get_all("Bcc") is None
    assert smtp.messages[0].rcpt_tos == [TO]
    assert "\n" not in msg["Subject"] and "Bcc: evil@attacker.example" in msg["Subject"]
    assert msg["To"].addresses[0].addr_spec == TO
    assert msg.get_body(("plain",)).get_content().strip() == "t"
    # An address with CR/LF never reaches RCPT TO.
    out = failed(mail_test(stoa_bin, tmp_path, smtp.stoa_env(), to="bob@example.com>\r\nRCPT TO:<evil@attacker.example"))
    assert "not a valid address" in out
    assert len(smtp.messages) == 1


def test_timing_per_mail(stoa_bin, tmp_path, smtp_server):
    """Not a pass/fail bound: prints how long `stoa mail test` takes (process start included)."""
    smtp = smtp_server(tls="starttls", auth=True)
    times = []
    for i in range(5):
        started = time.monotonic()
        out = ok(mail_test(stoa_bin, tmp_path, smtp.stoa_env(), "--subject", f"timing {i}"))
        times.append((time.monotonic() - started) * 1000)
        print(out.strip().splitlines()[-1])
    smtp.wait_for_message(4)
    print(f"stoa mail test, 5 runs (whole process, ms): {', '.join(f'{t:.0f}' for t in times)}")


def test_serve_warns_once_without_smtp(start_server):
    server = start_server()
    time.sleep(0.3)
    log = server.stderr_text()
    assert log.count("no mail server configured (STOA_SMTP_URL)") == 1, log
    assert "[mail:log-only]" in log


def test_serve_with_smtp_logs_the_url_without_password(start_server, smtp_server):
    smtp = smtp_server(tls="starttls", auth=True)
    server = start_server(env=smtp.stoa_env())
    time.sleep(0.3)
    log = server.stderr_text()
    assert "mail goes out over SMTP" in log and f"smtp://stoa:***@127.0.0.1:{smtp.port}" in log, log
    assert "no mail server configured" not in log
    for form in secret_forms():
        assert form not in log and form not in server.stdout_text()


def test_serve_refuses_a_bad_ca_file(stoa_bin, tmp_path, workdir, home, smtp_server):
    smtp = smtp_server(tls="starttls", auth=True)
    bad = tmp_path / "bad-ca.pem"
    bad.write_text("not a certificate\n")
    proc = subprocess.run([stoa_bin, "serve", "--host", "127.0.0.1", "--port", "0"], cwd=workdir,
                          env=clean_env(home, **smtp.stoa_env(STOA_SMTP_CA_FILE=str(bad))),
                          capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert proc.returncode != 0 and "STOA_SMTP_CA_FILE" in proc.stderr, proc.stderr
    for form in secret_forms():
        assert form not in proc.stderr + proc.stdout


def test_mail_test_without_smtp_says_nothing_was_sent(stoa_bin, tmp_path):
    proc = mail_test(stoa_bin, tmp_path, {})
    assert proc.returncode != 0
    assert "no mail server configured" in proc.stderr and "nothing was sent" in proc.stderr, proc.stderr
