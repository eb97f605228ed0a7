"""JWT interoperability: Stoa's JWTs (GET /api/auth/token, the set-auth-jwt header, and
`stoa keys issue`) verified by a third-party FastAPI backend that only knows the JWKS URL
(jwt_backend_app.py, PyJWT), for EdDSA, ES256 and RS256; and Stoa's own /api/me.

test_backend_app_selfcheck proves, without Stoa, that the backend accepts a valid token and
rejects bad ones, so that a 200 from it in the interop tests means something."""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from conftest import Server, client, free_port
from test_smoke import PASSWORD, run_cli

SECRET = "e2e-jwt-secret-" + "0123456789abcdef" * 3  # fixed, 63 characters
ALGS = ["EdDSA", "ES256", "RS256"]
JWT_RE = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")
KID_RE = re.compile(r"^[A-Za-z0-9]{32}$")
USER_CLAIMS = {"id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt"}
ALL_CLAIMS = USER_CLAIMS | {"iat", "exp", "sub", "iss", "aud", "sid"}
PRIVATE_JWK_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}
STOA_401_CODES = {"UNAUTHORIZED", "TOKEN_EXPIRED", "INVALID_TOKEN"}


# --- JWT helpers (also used by test_split_roles.py) --------------------------------------


def b64url_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt_parts(token: str) -> tuple[dict, dict]:
    """(header, claims) of a compact JWT, not verified."""
    assert JWT_RE.match(token or ""), f"not a compact JWS: {token!r}"
    header, payload, _ = token.split(".")
    return json.loads(b64url_decode(header)), json.loads(b64url_decode(payload))


def tamper_signature(token: str) -> str:
    """Changes one character in the middle of the signature (a middle character carries six
    significant bits, unlike the last one, so the decoded signature really changes)."""
    header, payload, sig = token.split(".")
    i = len(sig) // 2
    sig = sig[:i] + ("A" if sig[i] != "A" else "B") + sig[i + 1:]
    return f"{header}.{payload}.{sig}"


def tamper_payload(token: str, **changes) -> str:
    """Same header and signature, re-encoded payload with `changes` applied."""
    header, payload, sig = token.split(".")
    claims = json.loads(b64url_decode(payload))
    claims.update(changes)
    return f"{header}.{b64url_encode(json.dumps(claims, separators=(',', ':')).encode())}.{sig}"


def tamper_header(token: str, **changes) -> str:
    """Same payload and signature, re-encoded header with `changes` applied."""
    header, payload, sig = token.split(".")
    fields = json.loads(b64url_decode(header))
    fields.update(changes)
    return f"{b64url_encode(json.dumps(fields, separators=(',', ':')).encode())}.{payload}.{sig}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- Stoa helpers ------------------------------------------------------------------------


def sign_up(server: Server) -> tuple[str, dict]:
    """Signs a new user up like a bare curl (no Origin, no Cookie). Returns (session token, user)."""
    email = f"jwt.{uuid.uuid4().hex[:10]}@example.com"
    r = client().post(
        server.url("/api/auth/sign-up/email"),
        json={"name": "Jwt Interop", "email": email, "password": PASSWORD},
        timeout=30,
    )
    assert r.status_code == 200, f"sign-up: {r.status_code} {r.text}"
    body = r.json()
    assert body["user"]["email"] == email, body
    return body["token"], body["user"]


def fetch_jwt(server: Server, session_token: str) -> str:
    r = client().get(server.url("/api/auth/token"), headers=bearer(session_token), timeout=30)
    assert r.status_code == 200, f"GET /api/auth/token: {r.status_code} {r.text}"
    body = r.json()
    assert set(body) == {"token"}, f"GET /api/auth/token body: {body!r}"
    assert JWT_RE.match(body["token"] or ""), f"not a JWT: {body!r}"
    return body["token"]


def fetch_jwks(server: Server) -> list[dict]:
    r = client().get(server.url("/api/auth/jwks"), timeout=30)
    assert r.status_code == 200, f"GET /api/auth/jwks: {r.status_code} {r.text}"
    cache = r.headers.get("Cache-Control", "")
    assert "public" in cache and re.search(r"max-age=\d+", cache), f"JWKS Cache-Control: {cache!r}"
    body = r.json()
    assert isinstance(body, dict) and isinstance(body.get("keys"), list) and body["keys"], f"JWKS: {body!r}"
    for key in body["keys"]:
        leaked = PRIVATE_JWK_MEMBERS & set(key)
        assert not leaked, f"the JWKS publishes private key members {sorted(leaked)}: {key!r}"
        assert KID_RE.match(key.get("kid") or ""), f"kid is not 32 alphanumerics: {key!r}"
    return body["keys"]


def assert_stoa_me_ok(server: Server, token: str, user: dict) -> dict:
    r = client().get(server.url("/api/me"), headers=bearer(token), timeout=30)
    assert r.status_code == 200, f"{server.base_url}/api/me: {r.status_code} {r.text}"
    me = r.json()
    for name in ("id", "name", "email", "emailVerified", "image", "createdAt"):
        assert name in me, f"/api/me lacks {name!r}: {me!r}"
    assert me["id"] == user["id"] and me["email"] == user["email"], f"/api/me: {me!r} for user {user!r}"
    return me


def assert_stoa_me_401(server: Server, token: str | None, codes: set[str] = STOA_401_CODES) -> dict:
    headers = bearer(token) if token is not None else {}
    r = client().get(server.url("/api/me"), headers=headers, timeout=30)
    assert r.status_code == 401, f"{server.base_url}/api/me: want 401, got {r.status_code} {r.text}"
    www = r.headers.get("WWW-Authenticate", "")
    assert re.match(r'(?i)^bearer\b', www) and 'error="invalid_token"' in www, f"WWW-Authenticate: {www!r}"
    body = r.json()
    assert body.get("code") in codes, f"/api/me 401 code: want one of {sorted(codes)}, got {body!r}"
    assert isinstance(body.get("message"), str) and body["message"], f"/api/me 401 message: {body!r}"
    if token:
        assert token not in r.text and token.split(".")[-1] not in r.text, "the 401 body echoes the token"
    return body


def backend_me(backend: Server, token: str | None):
    headers = bearer(token) if token is not None else {}
    return client().get(backend.url("/me"), headers=headers, timeout=30)


def assert_backend_ok(backend: Server, token: str, sub: str, email: str) -> None:
    r = backend_me(backend, token)
    assert r.status_code == 200, f"backend /me: {r.status_code} {r.text}"
    assert r.json() == {"sub": sub, "email": email}, r.text


def assert_backend_401(backend: Server, token: str | None, reason: str = "") -> None:
    r = backend_me(backend, token)
    assert r.status_code == 401, f"backend /me: want 401, got {r.status_code} {r.text}"
    if reason:
        assert reason in r.json().get("detail", ""), f"backend /me 401 for the wrong reason: {r.text}"


def issue_cli_token(stoa_bin: str, server: Server, email: str, ttl: int | None = None) -> str:
    """`stoa keys issue --email EMAIL [--ttl TTL]` with the server's cwd and environment."""
    args = ["keys", "issue", "--email", email] + (["--ttl", str(ttl)] if ttl is not None else [])
    result = run_cli(stoa_bin, args, server.cwd, Path(server.env["HOME"]), env=server.env, timeout=30)
    detail = f"`stoa {' '.join(args)}` exit {result.returncode}\n--- stderr ---\n{result.stderr}\n--- stdout ---\n{result.stdout}"
    assert result.returncode == 0, detail
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == 1 and JWT_RE.match(lines[0].strip()), f"want exactly one JWT on stdout: {detail}"
    return lines[0].strip()


# --- 1) the backend on its own -----------------------------------------------------------


class _JwksHandler(BaseHTTPRequestHandler):
    body = b"{}"

    def do_GET(self):  # noqa: N802
        if self.path != "/jwks.json":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.fixture
def local_jwks() -> Iterator[tuple[str, dict[str, tuple[str, object]]]]:
    """A JWKS with one EdDSA, one ES256 and one RS256 key, served on a loopback port.
    Yields (jwks URL, {alg: (kid, private key)})."""
    keys = {
        "EdDSA": ed25519.Ed25519PrivateKey.generate(),
        "ES256": ec.generate_private_key(ec.SECP256R1()),
        "RS256": rsa.generate_private_key(public_exponent=65537, key_size=2048),
    }
    signers: dict[str, tuple[str, object]] = {}
    jwks = []
    for alg, private in keys.items():
        kid = secrets.token_hex(16)
        jwk = json.loads(jwt.get_algorithm_by_name(alg).to_jwk(private.public_key()))
        jwk.update(alg=alg, kid=kid)
        jwks.append(jwk)
        signers[alg] = (kid, private)
    handler = type("Handler", (_JwksHandler,), {"body": json.dumps({"keys": jwks}).encode()})
    httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/jwks.json", signers
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_backend_app_selfcheck(local_jwks, start_jwt_backend):
    jwks_url, signers = local_jwks
    issuer = audience = "http://issuer.test:3000"
    backend = start_jwt_backend(jwks_url, issuer, audience)

    def mint(alg: str = "EdDSA", kid: str | None = None, **overrides) -> str:
        now = int(time.time())
        claims = {"iat": now, "exp": now + 900, "sub": "u" * 32, "email": "self@check.test",
                  "iss": issuer, "aud": audience}
        claims.update(overrides)
        claims = {k: v for k, v in claims.items() if v is not None}
        own_kid, private = signers[alg]
        return jwt.encode(claims, private, algorithm=alg, headers={"kid": kid or own_kid, "typ": None})

    for alg in ALGS:
        assert_backend_ok(backend, mint(alg), "u" * 32, "self@check.test")

    good = mint()
    now = int(time.time())
    assert_backend_401(backend, None, "missing bearer token")
    assert_backend_401(backend, tamper_signature(good), "InvalidSignatureError")
    assert_backend_401(backend, tamper_payload(good, sub="v" * 32), "InvalidSignatureError")
    assert_backend_401(backend, mint(iat=now - 1000, exp=now - 120), "ExpiredSignatureError")
    assert_backend_ok(backend, mint(exp=now - 10), "u" * 32, "self@check.test")  # within the 30 s leeway
    assert_backend_401(backend, mint(aud="http://other.test"), "InvalidAudienceError")
    assert_backend_401(backend, mint(iss="http://other.test"), "InvalidIssuerError")
    assert_backend_401(backend, mint(sub=None), "MissingRequiredClaimError")
    assert_backend_401(backend, mint(exp=None), "MissingRequiredClaimError")
    assert_backend_401(backend, mint(kid="0" * 32))  # unknown kid
    # A token signed by the ES256 key but labelled with the EdDSA key's kid.
    assert_backend_401(backend, tamper_header(mint("ES256"), kid=signers["EdDSA"][0]))
    # alg=none, and HS256 keyed with the public key: never accepted.
    unsigned = tamper_header(good, alg="none").rsplit(".", 1)[0] + "."
    assert_backend_401(backend, unsigned)
    assert_backend_401(backend, jwt.encode({"sub": "x", "exp": now + 60, "iat": now}, "k" * 32,
                                           algorithm="HS256", headers={"kid": signers["EdDSA"][0]}))
    # Still serving.
    assert_backend_ok(backend, mint("RS256"), "u" * 32, "self@check.test")


# --- 2) Stoa's JWTs at the backend and at /api/me ----------------------------------------


JWK_SHAPE = {
    "EdDSA": {"kty": "OKP", "crv": "Ed25519", "members": {"x"}},
    "ES256": {"kty": "EC", "crv": "P-256", "members": {"x", "y"}},
    "RS256": {"kty": "RSA", "crv": None, "members": {"n", "e"}},
}


@pytest.mark.parametrize("alg", ALGS)
def test_jwt_interop(alg, stoa_bin, start_server, start_jwt_backend):
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    server = start_server(
        env={
            "BETTER_AUTH_SECRET": SECRET,
            "BETTER_AUTH_URL": origin,
            "STOA_RATE_LIMIT": "off",
            "STOA_JWT_ALG": alg,
        },
        port=port,
    )
    backend = start_jwt_backend(server.url("/api/auth/jwks"), origin, origin)
    session_token, user = sign_up(server)
    email = user["email"]

    # Without a session there is no token.
    r = client().get(server.url("/api/auth/token"), timeout=30)
    assert r.status_code == 401, f"GET /api/auth/token without a session: {r.status_code} {r.text}"
    assert r.json().get("code") == "UNAUTHORIZED", r.text

    token = fetch_jwt(server, session_token)

    # The JWKS: one key of the configured algorithm, of the right shape.
    keys = fetch_jwks(server)
    shape = JWK_SHAPE[alg]
    matching = [k for k in keys if k.get("alg") == alg]
    assert matching, f"no {alg} key in the JWKS: {keys!r}"
    header, claims = jwt_parts(token)
    assert header == {"alg": alg, "kid": header.get("kid")}, f"JWT header must be exactly {{alg, kid}}: {header!r}"
    key = next((k for k in keys if k.get("kid") == header["kid"]), None)
    assert key is not None, f"the JWT's kid {header['kid']!r} is not in the JWKS {keys!r}"
    assert key["alg"] == alg and key["kty"] == shape["kty"], f"JWK for {alg}: {key!r}"
    if shape["crv"]:
        assert key.get("crv") == shape["crv"], f"JWK for {alg}: {key!r}"
    missing = shape["members"] - set(key)
    assert not missing, f"JWK for {alg} lacks {sorted(missing)}: {key!r}"
    if alg == "RS256":
        bits = int.from_bytes(b64url_decode(key["n"]), "big").bit_length()
        assert bits >= 2048, f"RSA modulus has {bits} bits"

    # The claims.
    missing = ALL_CLAIMS - set(claims)
    assert not missing, f"JWT lacks claims {sorted(missing)}: {claims!r}"
    assert claims["sub"] == user["id"] and claims["id"] == user["id"], claims
    assert claims["email"] == email and claims["name"] == user["name"], claims
    assert claims["iss"] == origin, f"iss: {claims['iss']!r}, want {origin!r}"
    aud = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    assert aud == [origin], f"aud: {claims['aud']!r}, want {origin!r}"
    assert isinstance(claims["iat"], int) and isinstance(claims["exp"], int), claims
    assert claims["exp"] - claims["iat"] == 900, f"exp - iat = {claims['exp'] - claims['iat']}, want 900"
    assert abs(claims["iat"] - time.time()) < 60, f"iat {claims['iat']} is not now"
    assert isinstance(claims["sid"], str) and claims["sid"], claims

    # Verified independently here with the published key, then by the backend.
    jwt.decode(token, jwt.PyJWK(key).key, algorithms=[alg], audience=origin, issuer=origin)
    assert_backend_ok(backend, token, user["id"], email)
    assert_stoa_me_ok(server, token, user)
    # All-in-one mode also takes the session token itself.
    assert_stoa_me_ok(server, session_token, user)

    # Tampered tokens: signature, payload (another subject, a later expiry), header kid.
    tampered = {
        "signature": tamper_signature(token),
        "payload sub": tamper_payload(token, sub="x" * 32, id="x" * 32),
        "payload email": tamper_payload(token, email="mallory@example.com"),
        "payload exp": tamper_payload(token, exp=claims["exp"] + 86400),
    }
    for what, bad in tampered.items():
        assert bad != token
        r = backend_me(backend, bad)
        assert r.status_code == 401, f"backend accepted a token with a tampered {what}: {r.status_code} {r.text}"
        assert_stoa_me_401(server, bad, {"INVALID_TOKEN", "UNAUTHORIZED"})
    # No credentials at all.
    assert_stoa_me_401(server, None, {"UNAUTHORIZED"})
    assert_stoa_me_401(server, "not-a-token", {"INVALID_TOKEN", "UNAUTHORIZED"})

    # `stoa keys issue` while the server runs: a fresh token works, an expired one does not.
    issued = issue_cli_token(stoa_bin, server, email)
    issued_header, issued_claims = jwt_parts(issued)
    assert issued_header["alg"] == alg and issued_header["kid"] == header["kid"], \
        f"`keys issue` did not sign with the current key: {issued_header!r} vs {header!r}"
    assert issued_claims["sub"] == user["id"], issued_claims
    assert_backend_ok(backend, issued, user["id"], email)
    assert_stoa_me_ok(server, issued, user)

    expired = issue_cli_token(stoa_bin, server, email, ttl=-120)
    expired_header, expired_claims = jwt_parts(expired)
    assert expired_header["kid"] == header["kid"], expired_header
    assert expired_claims["sub"] == user["id"], expired_claims
    assert expired_claims["exp"] < time.time() - 60, f"--ttl -120 gave exp {expired_claims['exp']} (now {time.time():.0f})"
    assert_backend_401(backend, expired, "ExpiredSignatureError")
    assert_stoa_me_401(server, expired, {"TOKEN_EXPIRED"})

    # The set-auth-jwt header of get-session.
    r = client().get(server.url("/api/auth/get-session"), headers=bearer(session_token), timeout=30)
    assert r.status_code == 200 and r.json() is not None, f"get-session: {r.status_code} {r.text}"
    header_jwt = r.headers.get("set-auth-jwt", "")
    assert JWT_RE.match(header_jwt), f"get-session set-auth-jwt header: {header_jwt!r} (headers {dict(r.headers)!r})"
    h2, c2 = jwt_parts(header_jwt)
    assert h2 == {"alg": alg, "kid": header["kid"]} and c2["sub"] == user["id"], (h2, c2)
    assert c2["exp"] - c2["iat"] == 900, c2
    assert_backend_ok(backend, header_jwt, user["id"], email)
    assert_stoa_me_ok(server, header_jwt, user)

    # Nothing above crashed either process.
    assert server.proc.poll() is None, "stoa exited during the test"
    assert backend.proc.poll() is None, "the backend exited during the test"
