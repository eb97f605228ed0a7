"""A third-party backend that trusts Stoa's JWTs, the way the seed deployments' API does:
it knows only the JWKS URL, the issuer and the audience, and verifies tokens with PyJWT.

    JWKS_URL=http://127.0.0.1:3000/api/auth/jwks JWT_ISSUER=http://127.0.0.1:3000 \\
    JWT_AUDIENCE=http://127.0.0.1:3000 python -m uvicorn jwt_backend_app:app --port 8000

GET /me with `Authorization: Bearer <JWT>` answers {"sub", "email"}; any failure is a 401
whose `detail` names the PyJWT error (for test diagnostics; never the token itself).
"""

from __future__ import annotations

import os

import jwt
from fastapi import Depends, FastAPI, HTTPException, Request

JWKS_URL = os.environ["JWKS_URL"]
JWT_ISSUER = os.environ["JWT_ISSUER"]
JWT_AUDIENCE = os.environ["JWT_AUDIENCE"]
ALGORITHMS = ["EdDSA", "ES256", "RS256"]
LEEWAY = 30  # seconds

jwks_client = jwt.PyJWKClient(JWKS_URL, timeout=5)

app = FastAPI(title="jwt backend (Stoa interop test)")


def unauthorized(reason: str) -> HTTPException:
    return HTTPException(
        status_code=401, detail=reason, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}
    )


def current_claims(request: Request) -> dict:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise unauthorized("missing bearer token")
    try:
        signing_key = jwks_client.get_signing_key_from_jwt(token)
        return jwt.decode(
            token,
            signing_key.key,
            algorithms=ALGORITHMS,
            audience=JWT_AUDIENCE,
            issuer=JWT_ISSUER,
            options={"require": ["exp", "iat", "sub"]},
            leeway=LEEWAY,
        )
    except Exception as e:  # noqa: BLE001 - any failure at all is a 401
        raise unauthorized(f"{type(e).__name__}: {e}") from None


@app.get("/healthz")
def healthz() -> dict:
    return {"status": "ok"}


@app.get("/me")
def me(claims: dict = Depends(current_claims)) -> dict:
    return {"sub": claims["sub"], "email": claims.get("email")}
