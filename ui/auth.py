"""Who may change the documents: coordinators.

Two ways to be one, both optional:

* a shared coordinator password, from Streamlit secrets (`coordinator_password`) or the
  environment variable ASSISTANT_COORDINATOR_PASSWORD, entered in a login form;
* OIDC through st.login when the deployment has an `[auth]` section in its secrets: a
  logged-in user whose e-mail is in ASSISTANT_COORDINATOR_EMAILS or the secret
  `coordinator_emails` (comma-separated, or a list) is a coordinator.

With neither configured nobody is a coordinator. Everyone else (staff) only reads.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping
from typing import Any

import streamlit as st

from core.settings import load_settings

PASSWORD_ENV = "ASSISTANT_COORDINATOR_PASSWORD"
EMAILS_ENV = "ASSISTANT_COORDINATOR_EMAILS"
PASSWORD_SECRET = "coordinator_password"
EMAILS_SECRET = "coordinator_emails"

_SESSION_KEY = "coordinator_login"  # digest of the password this session logged in with
_INPUT_KEY = "coordinator_password_input"
_FAILED_KEY = "coordinator_login_failed"
_FAIL_DELAY = 1.0  # seconds; slows down guessing


def _secret(key: str) -> Any:
    """A value from st.secrets, or None when there are no secrets (no secrets.toml)."""
    try:
        return st.secrets.get(key)
    except FileNotFoundError:  # StreamlitSecretNotFoundError subclasses it; also parse errors
        return None


def configured_password() -> str | None:
    value = _secret(PASSWORD_SECRET) or load_settings().coordinator_password
    return str(value) if value else None


def oidc_configured() -> bool:
    auth = _secret("auth")
    return isinstance(auth, Mapping) and bool(auth)


def coordinator_emails() -> set[str]:
    emails: set[str] = set()
    for raw in (list(load_settings().coordinator_emails), _secret(EMAILS_SECRET)):
        if not raw:
            continue
        items = raw.split(",") if isinstance(raw, str) else [str(x) for x in raw]
        emails.update(e.strip().lower() for e in items if e.strip())
    return emails


def oidc_email() -> str | None:
    """E-mail of the user logged in through st.login, or None."""
    if not oidc_configured():
        return None
    try:
        if not st.user.get("is_logged_in"):
            return None
        email = st.user.get("email")
    except Exception:  # noqa: BLE001 - no user information at all counts as not logged in
        return None
    return str(email).strip().lower() if email else None


def _digest(password: str) -> str:
    return hashlib.sha256(b"assistant-coordinator\0" + password.encode("utf-8")).hexdigest()


def _password_session() -> bool:
    password = configured_password()
    stored = st.session_state.get(_SESSION_KEY)
    return bool(password and isinstance(stored, str) and hmac.compare_digest(stored, _digest(password)))


def _oidc_coordinator() -> bool:
    email = oidc_email()
    return bool(email and email in coordinator_emails())


def is_coordinator() -> bool:
    """True for a session logged in with the coordinator password (as configured now:
    changing the password logs everyone out) or an OIDC user on the coordinator list."""
    return _password_session() or _oidc_coordinator()


def coordinator_name() -> str | None:
    """Who the coordinator is, where the login tells (the OIDC e-mail); None for the
    shared password."""
    return oidc_email() if _oidc_coordinator() else None


def check_password(entered: str) -> bool:
    password = configured_password()
    if not password or not entered:
        return False
    return hmac.compare_digest(entered.encode("utf-8"), password.encode("utf-8"))


def _on_password_submit() -> None:
    entered = st.session_state.get(_INPUT_KEY) or ""
    st.session_state[_INPUT_KEY] = ""  # never keep the password in the session
    if check_password(entered):
        st.session_state[_SESSION_KEY] = _digest(entered)
        st.session_state[_FAILED_KEY] = False
    else:
        time.sleep(_FAIL_DELAY)
        st.session_state[_FAILED_KEY] = True


def _on_password_logout() -> None:
    st.session_state.pop(_SESSION_KEY, None)


def _login_oidc() -> None:
    try:
        st.login()
    except Exception:  # noqa: BLE001 - e.g. Authlib missing or an incomplete [auth] section
        st.error("Inloggningen med organisationskonto är inte korrekt uppsatt på servern "
                 "(se [auth] i secrets).")


def login_panel() -> None:
    """Login and logout for coordinators, where the page calls it (e.g. the sidebar)."""
    st.subheader("Samordnare")
    password_ok = _password_session()
    email = oidc_email()
    if password_ok or _oidc_coordinator():
        who = f" ({email})" if email and not password_ok else ""
        st.success(f"Inloggad som samordnare{who}.")
    if password_ok:
        st.button("Logga ut", key="coordinator_logout", on_click=_on_password_logout)
    if email:
        if not _oidc_coordinator():
            st.caption(f"Inloggad som {email}. Kontot är inte samordnare; du kan se dokumenten "
                       "men inte ändra dem.")
        if st.button("Logga ut från organisationskontot", key="oidc_logout"):
            st.logout()
    if password_ok or _oidc_coordinator():
        return
    password = configured_password()
    oidc = oidc_configured()
    if not password and not oidc:
        st.info(
            "Ingen samordnare är inställd, så dokumenten kan bara läsas här. Ange ett lösenord för "
            f"samordnarna i miljövariabeln `{PASSWORD_ENV}` (eller `{PASSWORD_SECRET}` i "
            "`.streamlit/secrets.toml`) och starta om appen. För inloggning med organisationskonto: "
            f"en `[auth]`-sektion i secrets och samordnarnas e-postadresser i `{EMAILS_ENV}`."
        )
        return
    if oidc and not email:
        if st.button("Logga in", key="oidc_login"):
            _login_oidc()
    if password:
        with st.form("coordinator_login_form", clear_on_submit=False, border=False):
            st.text_input("Lösenord för samordnare", type="password", key=_INPUT_KEY)
            st.form_submit_button("Logga in som samordnare", on_click=_on_password_submit)
        if st.session_state.get(_FAILED_KEY):
            st.error("Fel lösenord.")
