"""Signing in the seeded users (`stoa dev seed`, password `password123`), shared by the bench scripts."""
from http.cookiejar import DefaultCookiePolicy

import requests


def client():
    """A session without a cookie jar: a stored session cookie would make later calls
    cookie-authenticated requests without an Origin, which the CSRF check rightly refuses."""
    http = requests.Session()
    http.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    return http


def sign_in(http, base, email):
    """(session token, access JWT) for one seeded user."""
    r = http.post(f"{base}/api/auth/sign-in/email", json={"email": email, "password": "password123"})
    r.raise_for_status()
    session_token = r.json()["token"]
    jwt = http.get(f"{base}/api/auth/token", headers={"Authorization": f"Bearer {session_token}"}).json()["token"]
    return session_token, jwt
