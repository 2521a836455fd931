"""Single sign-on with OpenID Connect (authorization code flow with PKCE).

``GET /auth/oidc/login`` sends the browser to the provider with a fresh ``state``,
``nonce`` and PKCE verifier, kept in a short-lived HttpOnly cookie of this server
(SameSite=Lax: the provider's redirect back is a top-level navigation); the callback
accepts only the ``state`` that cookie holds (login CSRF), exchanges the code at the
provider's token endpoint (authlib's OAuth2 client), and verifies the ID token's
signature (the provider's JWKS), issuer, audience, expiry and nonce (joserfc). The
person is the account linked to ``issuer + sub``; on a first sign-in an account is
made for them (``HERON_OIDC_CREATE_USERS``), or an account an admin made with the
same verified e-mail is linked. Then a session begins, as with a password.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx

from heron.accounts import SqlAccounts, User
from heron.errors import Forbidden, InvalidInput, Unavailable
from heron.settings import Settings

FLOW_COOKIE = "heron_oidc"
FLOW_SECONDS = 600
CALLBACK_PATH = "/api/v1/auth/oidc/callback"
_DISCOVERY_TTL = 3600.0


@dataclass
class OidcLogin:
    """The provider, as the sign-in page and the two routes use it."""

    issuer: str
    client_id: str
    client_secret: str | None
    name: str
    create_users: bool
    transport: httpx.BaseTransport | None = None  # tests: none (a real provider)
    _config: dict[str, Any] = field(default_factory=dict)
    _fetched: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def from_settings(cls, settings: Settings) -> OidcLogin | None:
        if not settings.oidc_issuer:
            return None
        if not settings.oidc_client_id:
            raise InvalidInput("HERON_OIDC_ISSUER is set: set HERON_OIDC_CLIENT_ID too")
        return cls(
            settings.oidc_issuer.rstrip("/"),
            settings.oidc_client_id,
            settings.oidc_client_secret,
            settings.oidc_name,
            settings.oidc_create_users,
        )

    def _http(self) -> httpx.Client:
        return httpx.Client(timeout=10.0, transport=self.transport, follow_redirects=False)

    def discovery(self) -> dict[str, Any]:
        with self._lock:
            if not self._config or time.monotonic() - self._fetched > _DISCOVERY_TTL:
                url = f"{self.issuer}/.well-known/openid-configuration"
                try:
                    with self._http() as http:
                        response = http.get(url)
                        response.raise_for_status()
                        config = response.json()
                except (httpx.HTTPError, ValueError) as exc:
                    raise Unavailable(
                        f"the sign-on provider at {url} did not answer: {exc}"
                    ) from None
                if config.get("issuer", "").rstrip("/") != self.issuer:
                    raise Unavailable(f"{url} names another issuer ({config.get('issuer')!r})")
                self._config, self._fetched = config, time.monotonic()
            return self._config

    # --- the flow ---------------------------------------------------------------------
    def begin(self, redirect_uri: str) -> tuple[str, str]:
        """(the provider's authorization URL, the flow cookie's value)."""
        from authlib.common.security import generate_token
        from authlib.oauth2.rfc7636 import create_s256_code_challenge

        state, nonce, verifier = secrets.token_urlsafe(24), generate_token(32), generate_token(48)
        params = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "scope": "openid email profile",
            "state": state,
            "nonce": nonce,
            "code_challenge": create_s256_code_challenge(verifier),
            "code_challenge_method": "S256",
        }
        url = f"{self.discovery()['authorization_endpoint']}?{urlencode(params)}"
        flow = json.dumps({"state": state, "nonce": nonce, "verifier": verifier, "at": time.time()})
        return url, flow

    def finish(
        self, flow_cookie: str | None, state: str, code: str, redirect_uri: str
    ) -> dict[str, Any]:
        """The verified ID token's claims, or Forbidden."""
        try:
            flow = json.loads(flow_cookie or "")
        except ValueError:
            flow = None
        if not isinstance(flow, dict) or not secrets.compare_digest(str(flow.get("state")), state):
            raise Forbidden("the sign-on answer does not match a sign-on this browser began")
        if time.time() - float(flow.get("at", 0)) > FLOW_SECONDS:
            raise Forbidden("the sign-on took too long: start again")
        token = self._exchange(code, str(flow["verifier"]), redirect_uri)
        return self._verify(str(token.get("id_token", "")), str(flow["nonce"]))

    def _exchange(self, code: str, verifier: str, redirect_uri: str) -> dict[str, Any]:
        from authlib.integrations.httpx_client import OAuth2Client

        config = self.discovery()
        client = OAuth2Client(
            self.client_id,
            self.client_secret,
            token_endpoint_auth_method="client_secret_post" if self.client_secret else "none",
            timeout=10.0,
            transport=self.transport,
        )
        try:
            with client:
                token: dict[str, Any] = client.fetch_token(
                    config["token_endpoint"],
                    grant_type="authorization_code",
                    code=code,
                    redirect_uri=redirect_uri,
                    code_verifier=verifier,
                )
        except Exception as exc:  # authlib raises its own errors and httpx's
            raise Forbidden(f"the sign-on provider refused the code: {exc}") from None
        return token

    def _verify(self, id_token: str, nonce: str) -> dict[str, Any]:
        from joserfc import jwt
        from joserfc.errors import JoseError
        from joserfc.jwk import KeySet

        config = self.discovery()
        try:
            with self._http() as http:
                keys = KeySet.import_key_set(http.get(config["jwks_uri"]).json())
            token = jwt.decode(id_token, keys)
            claims = dict(token.claims)
            jwt.JWTClaimsRegistry(
                iss={"essential": True, "value": self.issuer},
                aud={"essential": True, "value": self.client_id},
                exp={"essential": True},
                sub={"essential": True},
                nonce={"essential": True, "value": nonce},
            ).validate(claims)
        except (JoseError, ValueError, KeyError, httpx.HTTPError) as exc:
            raise Forbidden(f"the sign-on provider's ID token is not valid: {exc}") from None
        return claims

    # --- who it is -----------------------------------------------------------------------
    def account(self, accounts: SqlAccounts, claims: dict[str, Any]) -> User:
        subject = f"{self.issuer} {claims['sub']}"
        found = accounts.user_by_subject(subject)
        if found is not None:
            if found.disabled:
                raise Forbidden(f"account {found.name!r} is disabled")
            return found
        email = claims.get("email") if claims.get("email_verified") else None
        if email:
            for user in accounts.list_users():
                if user.email and user.email.lower() == str(email).lower() and not user.sso:
                    return accounts.link_subject(user.name, subject)
        if not self.create_users:
            raise Forbidden("no account here for this sign-on: ask an admin to create one")
        return accounts.create_user(
            self._free_name(accounts, claims),
            email=str(email) if email else None,
            created_by=f"sso:{self.name}",
            sso_subject=subject,
        )

    @staticmethod
    def _free_name(accounts: SqlAccounts, claims: dict[str, Any]) -> str:
        wanted = str(claims.get("preferred_username") or claims.get("email") or claims["sub"])
        base = re.sub(r"[^A-Za-z0-9._@+-]", "-", wanted).strip("-._@+")[:56] or "user"
        taken = {u.name.lower() for u in accounts.list_users()}
        name, n = base, 1
        while name.lower() in taken:
            n += 1
            name = f"{base}-{n}"
        return name
