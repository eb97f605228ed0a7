"""A real SMTP server for end-to-end tests (aiosmtpd in a thread, on a free loopback port).

Typical use::

    def test_reset_mail(smtp_server, start_server):
        smtp = smtp_server(tls="starttls", auth=True)          # see SMTPServer for options
        server = start_server(env=smtp.stoa_env())              # STOA_SMTP_URL, STOA_MAIL_FROM, CA file
        ...                                                     # something that sends mail
        mail = smtp.wait_for_message(0, timeout=10)             # the first message
        assert mail.message["To"] == "alice@example.com"
        body = mail.message.get_body(("plain",)).get_content()

Options of ``SMTPServer`` (and of the ``smtp_server`` fixture's factory):

* ``tls``: ``"none"`` (plain SMTP, no STARTTLS offered), ``"starttls"`` (STARTTLS offered on a
  certificate this module makes; the server does not *require* it, so a client that skips it
  is caught by the tests, not by the server) or ``"smtps"`` (implicit TLS from the first byte).
* ``auth``: require AUTH with ``user``/``password`` (defaults ``stoa`` / ``s3cret p@ss:wörd``;
  the password has characters that need percent-encoding in a URL). ``auth_mechanisms``
  restricts what is offered (``("LOGIN",)`` for a LOGIN-only server). AUTH is offered over
  plaintext too (``auth_require_tls=False``) so tests can check the client refuses to use it.
* ``cert_names`` / ``cert_addresses``: what the server certificate is issued for (default
  ``localhost``, ``127.0.0.1``, ``::1``); give other names to test host-name verification.
* ``refuse``: ``None``, or a full reply (``"554 5.7.1 refused"``, ``"451 4.3.0 try later"``)
  sent back for every message at the end of DATA; change it any time with ``smtp.refuse = ...``.

The certificate: ``SMTPServer`` makes a private CA and a server certificate for ``localhost``,
``127.0.0.1`` and ``::1`` (with the ``cryptography`` package). ``smtp.ca_file`` is the CA's PEM
file: pass it as ``STOA_SMTP_CA_FILE`` (``stoa_env()`` does) so Stoa trusts the server.

Captured mail: ``smtp.messages`` is a list of ``CapturedMail`` (``raw`` bytes as received,
``message`` parsed as ``email.message.EmailMessage`` with ``email.policy.default``,
``mail_from``, ``rcpt_tos``, ``tls`` (whether the session was encrypted), ``auth_login``).
``smtp.wait_for_message(k, timeout)`` waits until the k-th (0-based) message has arrived.
``smtp.auth_attempts`` lists ``(mechanism, login, success)`` for every AUTH.

Warnings: aiosmtpd warns that AUTH is offered without TLS (on purpose here); test modules can
add ``pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")``.

Down and back: ``smtp.stop()`` closes the listener (connections are then refused);
``smtp.start()`` listens again on the same port with the same certificate and captured mail.
"""

from __future__ import annotations

import datetime
import email
import email.policy
import ipaddress
import socket
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Callable, Iterator
from urllib.parse import quote

import logging
import ssl
import warnings

import pytest

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

# The fixture offers AUTH before STARTTLS on purpose (to check the client never uses it there).
warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
logging.getLogger("mail.log").setLevel(logging.ERROR)

DEFAULT_USER = "stoa"
DEFAULT_PASSWORD = "s3cret p@ss:wörd"
DEFAULT_FROM = "Stoa Test <stoa@example.com>"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class CapturedMail:
    raw: bytes
    message: EmailMessage
    mail_from: str
    rcpt_tos: list[str]
    tls: bool
    auth_login: str | None


@dataclass
class Certificates:
    """A private CA and a server certificate it signed, as PEM files in `directory`."""

    directory: Path
    ca_file: Path
    cert_file: Path
    key_file: Path


def make_certificates(directory: Path, names: tuple[str, ...] = ("localhost",),
                      addresses: tuple[str, ...] = ("127.0.0.1", "::1")) -> Certificates:
    """Writes ca.pem, server.pem and server.key (EC P-256; valid from an hour ago for a day)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Stoa e2e test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                     key_encipherment=False, data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    sans: list[x509.GeneralName] = [x509.DNSName(n) for n in names]
    sans += [x509.IPAddress(ipaddress.ip_address(a)) for a in addresses]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0] if names else "smtp")]))
        .issuer_name(ca_name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    certs = Certificates(directory, directory / "ca.pem", directory / "server.pem", directory / "server.key")
    certs.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    certs.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    certs.key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                 serialization.NoEncryption()))
    return certs


class _Handler:
    def __init__(self, server: "SMTPServer"):
        self.server = server

    async def handle_DATA(self, smtp_server, session, envelope):
        raw = bytes(envelope.original_content or envelope.content)
        if self.server.refuse:
            return self.server.refuse
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        auth_data = getattr(session, "auth_data", None)
        login = auth_data.login.decode(errors="replace") if isinstance(auth_data, LoginPassword) else None
        with self.server._cond:
            self.server.messages.append(CapturedMail(
                raw=raw, message=parsed, mail_from=envelope.mail_from, rcpt_tos=list(envelope.rcpt_tos),
                tls=session.ssl is not None or smtp_server.transport.get_extra_info("ssl_object") is not None,
                auth_login=login))
            self.server._cond.notify_all()
        return "250 2.0.0 OK: queued as test-%d" % len(self.server.messages)


class SMTPServer:
    """An aiosmtpd server on 127.0.0.1 in a thread; see the module docstring."""

    def __init__(self, directory: Path, *, tls: str = "starttls", auth: bool = False,
                 user: str = DEFAULT_USER, password: str = DEFAULT_PASSWORD,
                 auth_mechanisms: tuple[str, ...] = ("PLAIN", "LOGIN"), refuse: str | None = None,
                 port: int | None = None, cert_names: tuple[str, ...] = ("localhost",),
                 cert_addresses: tuple[str, ...] = ("127.0.0.1", "::1")):
        assert tls in ("none", "starttls", "smtps"), tls
        self.tls = tls
        self.auth = auth
        self.user = user
        self.password = password
        self.auth_mechanisms = tuple(m.upper() for m in auth_mechanisms)
        self.refuse = refuse
        self.port = port or free_port()
        self.host = "127.0.0.1"
        self.messages: list[CapturedMail] = []
        self.auth_attempts: list[tuple[str, str, bool]] = []
        self._cond = threading.Condition()
        self._controller: Controller | None = None
        self.certs = make_certificates(directory / "smtp-certs", cert_names, cert_addresses)

    @property
    def ca_file(self) -> str:
        return str(self.certs.ca_file)

    def _server_context(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(self.certs.cert_file), str(self.certs.key_file))
        return ctx

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = False
        login = ""
        if isinstance(auth_data, LoginPassword):
            login = auth_data.login.decode(errors="replace")
            ok = auth_data.login == self.user.encode() and auth_data.password == self.password.encode()
        self.auth_attempts.append((mechanism, login, ok))
        # handled=False: aiosmtpd then answers 535 itself (handled=True would send nothing).
        return AuthResult(success=True, auth_data=auth_data) if ok else AuthResult(success=False, handled=False)

    def start(self) -> "SMTPServer":
        """Starts listening (again) on `self.port`."""
        if self._controller is not None:
            return self
        kwargs: dict = {}
        if self.tls == "starttls":
            kwargs["tls_context"] = self._server_context()
            kwargs["require_starttls"] = False
        if self.auth:
            kwargs["authenticator"] = self._authenticate
            kwargs["auth_required"] = True
            kwargs["auth_require_tls"] = False
            excluded = [m for m in ("PLAIN", "LOGIN") if m not in self.auth_mechanisms]
            if excluded:
                kwargs["auth_exclude_mechanism"] = excluded
        controller = Controller(
            _Handler(self), hostname=self.host, port=self.port,
            ssl_context=self._server_context() if self.tls == "smtps" else None,
            server_hostname="smtp.test", ready_timeout=10, **kwargs)
        deadline = time.monotonic() + 10
        while True:
            try:
                controller.start()
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)  # the port may still be in TIME_WAIT after a stop
        self._controller = controller
        return self

    def stop(self) -> None:
        """Stops listening; connections are refused until `start()`."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def url(self, *, scheme: str | None = None, host: str = "127.0.0.1", credentials: bool | None = None,
            password: str | None = None, query: str = "") -> str:
        """STOA_SMTP_URL for this server: smtps:// for implicit TLS, else smtp:// (with
        `?starttls=off` when it offers no TLS), credentials percent-encoded when auth is on."""
        if scheme is None:
            scheme = "smtps" if self.tls == "smtps" else "smtp"
        if not query and self.tls == "none":
            query = "starttls=off"
        userinfo = ""
        if credentials if credentials is not None else self.auth:
            pw = self.password if password is None else password
            userinfo = f"{quote(self.user, safe='')}:{quote(pw, safe='')}@"
        return f"{scheme}://{userinfo}{host}:{self.port}" + (f"?{query}" if query else "")

    def stoa_env(self, **overrides: str) -> dict[str, str]:
        """STOA_SMTP_URL, STOA_MAIL_FROM and STOA_SMTP_CA_FILE for a Stoa process."""
        env = {"STOA_SMTP_URL": self.url(), "STOA_MAIL_FROM": DEFAULT_FROM, "STOA_SMTP_CA_FILE": self.ca_file}
        env.update(overrides)
        return env

    def wait_for_message(self, k: int = 0, timeout: float = 10.0) -> CapturedMail:
        """The k-th message (0-based), once it has arrived; fails the test after `timeout` s."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.messages) <= k:
                left = deadline - time.monotonic()
                if left <= 0:
                    pytest.fail(f"SMTP server: message {k} did not arrive within {timeout}s ({len(self.messages)} arrived)")
                self._cond.wait(left)
            return self.messages[k]


@contextmanager
def running_smtp_server(directory: Path | None = None, **options) -> Iterator[SMTPServer]:
    """A started `SMTPServer`, stopped on exit (for use outside pytest fixtures)."""
    with tempfile.TemporaryDirectory() as tmp:
        server = SMTPServer(Path(directory or tmp), **options).start()
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator[Callable[..., SMTPServer]]:
    """A factory: `smtp_server(tls=..., auth=..., auth_mechanisms=..., refuse=...)` starts an
    `SMTPServer`; every server it started is stopped after the test."""
    servers: list[SMTPServer] = []

    def start(**options) -> SMTPServer:
        server = SMTPServer(tmp_path / f"smtp{len(servers) + 1}", **options).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
