"""Roles: staff ask (no login), testers use Utvärdering, coordinators change the documents
on Dokument (and may use Utvärdering too).

Two ways to hold a role, both optional, for each role:

* a shared password, from Streamlit secrets (`coordinator_password`, `tester_password`)
  or the environment (ASSISTANT_COORDINATOR_PASSWORD, ASSISTANT_TESTER_PASSWORD),
  entered in a login form;
* OIDC through st.login when the deployment has an `[auth]` section in its secrets: a
  logged-in user whose e-mail is in ASSISTANT_COORDINATOR_EMAILS / ASSISTANT_TESTER_EMAILS
  or the secrets `coordinator_emails` / `tester_emails` (comma-separated, or a list).

With neither configured nobody holds the role; the page says so in one sentence and the
server log says what to configure. Password attempts are compared in constant time (the
SHA-256 digests, so not even the length leaks) and throttled per session, per client
(the remote address Streamlit reports) and per role (`Throttle`). Every login and every
failed password attempt goes to the audit log (core/audit.py), never the password.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from core import audit
from core.settings import Settings, load_settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Role:
    key: str  # "coordinator" or "tester": session keys, the audit log's `role`
    name_sv: str
    password_env: str
    emails_env: str
    password_secret: str
    emails_secret: str

    def setting_password(self, settings: Settings) -> str:
        return settings.coordinator_password if self.key == "coordinator" else settings.tester_password

    def setting_emails(self, settings: Settings) -> tuple[str, ...]:
        return settings.coordinator_emails if self.key == "coordinator" else settings.tester_emails


COORDINATOR = Role("coordinator", "samordnare", "ASSISTANT_COORDINATOR_PASSWORD", "ASSISTANT_COORDINATOR_EMAILS",
                   "coordinator_password", "coordinator_emails")
TESTER = Role("tester", "testare", "ASSISTANT_TESTER_PASSWORD", "ASSISTANT_TESTER_EMAILS",
              "tester_password", "tester_emails")
EVALUATORS = (TESTER, COORDINATOR)  # who may use Utvärdering

PASSWORD_ENV = COORDINATOR.password_env
EMAILS_ENV = COORDINATOR.emails_env
PASSWORD_SECRET = COORDINATOR.password_secret
EMAILS_SECRET = COORDINATOR.emails_secret

_CLIENT_ID = "auth_session_id"  # a random id per session, for the throttle
_OIDC_SEEN = "auth_oidc_logged"  # (role, e-mail) pairs whose login is in the audit log


def _session_key(role: Role) -> str:
    return f"{role.key}_login"  # digest of the password this session logged in with


def _input_key(role: Role) -> str:
    return f"{role.key}_password_input"


def _failed_key(role: Role) -> str:
    return f"{role.key}_login_failed"


# --- Throttling -------------------------------------------------------------------------


class Throttle:
    """Failed attempts per key. After n failures in a row the next attempt is accepted
    only `delay(n)` seconds after the last (1, 2, 4 … capped at DELAY_CAP); from
    LOCK_AFTER failures a session or client is locked out for LOCK_SECONDS. The role's
    key (shared by everyone guessing that password) only has the delay, so guessing from
    many addresses is slowed to one attempt per DELAY_CAP seconds without letting anyone
    lock the real users out. Failures are forgotten FORGET_SECONDS after the last one."""

    DELAY_CAP = 60.0
    LOCK_AFTER = 10
    LOCK_SECONDS = 900.0
    FORGET_SECONDS = 900.0

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._failures: dict[tuple[str, str], tuple[int, float]] = {}

    @classmethod
    def delay(cls, failures: int) -> float:
        return 0.0 if failures <= 0 else min(2.0 ** (failures - 1), cls.DELAY_CAP)

    def _wait_one(self, key: tuple[str, str], now: float) -> float:
        count, last = self._failures.get(key, (0, 0.0))
        if not count:
            return 0.0
        pause = self.delay(count)
        if key[0] != "account" and count >= self.LOCK_AFTER:
            pause = self.LOCK_SECONDS
        return max(0.0, last + pause - now)

    def _forget_old(self, now: float) -> None:
        for key in [k for k, (_, last) in self._failures.items() if now - last > self.FORGET_SECONDS]:
            del self._failures[key]

    def wait(self, keys: Sequence[tuple[str, str]]) -> float:
        """Seconds before the next attempt under `keys` is accepted (0: now)."""
        now = self.clock()
        with self._lock:
            self._forget_old(now)
            return max((self._wait_one(k, now) for k in keys), default=0.0)

    def locked_out(self, keys: Sequence[tuple[str, str]]) -> bool:
        with self._lock:
            return any(k[0] != "account" and self._failures.get(k, (0, 0.0))[0] >= self.LOCK_AFTER for k in keys)

    def fail(self, keys: Sequence[tuple[str, str]]) -> None:
        now = self.clock()
        with self._lock:
            for key in keys:
                count, _ = self._failures.get(key, (0, 0.0))
                self._failures[key] = (count + 1, now)

    def succeed(self, keys: Sequence[tuple[str, str]]) -> None:
        with self._lock:
            for key in keys:
                if key[0] != "account":
                    self._failures.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._failures.clear()


THROTTLE = Throttle()  # process-wide: every session of this server


def client_address() -> str:
    """The remote address of this session's connection as Streamlit reports it; None
    (a browser on the server itself) and unknown addresses share the key "lokal"."""
    try:
        address = st.context.ip_address
    except Exception:  # noqa: BLE001 - no request context (e.g. a test)
        address = None
    return str(address) if address else "lokal"


def _session_id() -> str:
    sid = st.session_state.get(_CLIENT_ID)
    if not isinstance(sid, str):
        sid = st.session_state[_CLIENT_ID] = uuid.uuid4().hex
    return sid


def _throttle_keys(role: Role) -> list[tuple[str, str]]:
    return [("session", _session_id()), ("client", client_address()), ("account", role.key)]


# --- Configuration ----------------------------------------------------------------------


def _secret(key: str) -> Any:
    """A value from st.secrets, or None when there are no secrets (no secrets.toml)."""
    try:
        return st.secrets.get(key)
    except FileNotFoundError:  # StreamlitSecretNotFoundError subclasses it; also parse errors
        return None


def configured_password(role: Role = COORDINATOR) -> str | None:
    value = _secret(role.password_secret) or role.setting_password(load_settings())
    return str(value) if value else None


def oidc_configured() -> bool:
    auth = _secret("auth")
    return isinstance(auth, Mapping) and bool(auth)


def role_emails(role: Role = COORDINATOR) -> set[str]:
    emails: set[str] = set()
    for raw in (list(role.setting_emails(load_settings())), _secret(role.emails_secret)):
        if not raw:
            continue
        items = raw.split(",") if isinstance(raw, str) else [str(x) for x in raw]
        emails.update(e.strip().lower() for e in items if e.strip())
    return emails


def coordinator_emails() -> set[str]:
    return role_emails(COORDINATOR)


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


def _login_configured(role: Role) -> bool:
    return bool(configured_password(role)) or (oidc_configured() and bool(role_emails(role)))


def any_login_configured(roles: Sequence[Role]) -> bool:
    return any(_login_configured(role) for role in roles)


_told: set[str] = set()


def _tell_operator(roles: Sequence[Role]) -> None:
    """The configuration a role lacks, in the server log (once per process and role)."""
    for role in roles:
        if role.key not in _told and not _login_configured(role):
            _told.add(role.key)
            log.warning("No login for %s is configured: set %s (or %s in .streamlit/secrets.toml), or for OIDC "
                        "an [auth] section in the secrets and the e-mails in %s (or %s); see README, Roles.",
                        role.key, role.password_env, role.password_secret, role.emails_env, role.emails_secret)


# --- Who is logged in -------------------------------------------------------------------


def _digest(password: str, role: Role) -> str:
    return hashlib.sha256(f"assistant-{role.key}\0{password}".encode()).hexdigest()


def _password_session(role: Role) -> bool:
    password = configured_password(role)
    stored = st.session_state.get(_session_key(role))
    return bool(password and isinstance(stored, str) and hmac.compare_digest(stored, _digest(password, role)))


def _oidc_member(role: Role) -> bool:
    email = oidc_email()
    return bool(email and email in role_emails(role))


def has_role(role: Role) -> bool:
    """True for a session logged in with the role's password (as configured now:
    changing the password logs everyone out) or an OIDC user on the role's list."""
    return _password_session(role) or _oidc_member(role)


def is_coordinator() -> bool:
    return has_role(COORDINATOR)


def may_evaluate() -> bool:
    """Testers and coordinators may use Utvärdering."""
    return any(has_role(role) for role in EVALUATORS)


def coordinator_name() -> str | None:
    """Who the coordinator is, where the login tells (the OIDC e-mail); None for the
    shared password."""
    return oidc_email() if _oidc_member(COORDINATOR) else None


def who(role: Role = COORDINATOR) -> str:
    """Who acts, for the audit log: the OIDC e-mail, or "lösenord" for the shared one."""
    if not _password_session(role) and _oidc_member(role):
        return oidc_email() or audit.PASSWORD_WHO
    return audit.PASSWORD_WHO


def record(what: str, role: Role = COORDINATOR, *, file: str | None = None, sha256: str | None = None,
           detail: Mapping[str, Any] | None = None, actor: str | None = None) -> None:
    """Append an action to the audit log of the data folder; a failure to write is
    logged, not shown (the action itself has happened)."""
    try:
        data_dir = Path(load_settings().data_dir)
        audit.append(data_dir, what, actor or who(role), role=role.key, file=file, sha256=sha256, detail=detail)
    except Exception:  # noqa: BLE001 - the audit log must not break the page
        log.exception("could not write the audit log (%s)", what)


def check_password(entered: str, role: Role = COORDINATOR) -> bool:
    """Constant time: the digests of equal length are compared, never the strings."""
    password = configured_password(role)
    if not password or not entered:
        return False
    entered_digest = hashlib.sha256(entered.encode("utf-8")).digest()
    expected_digest = hashlib.sha256(password.encode("utf-8")).digest()
    return hmac.compare_digest(entered_digest, expected_digest)


def _seconds_sv(seconds: float) -> str:
    whole = max(1, math.ceil(seconds))
    if whole >= 120:
        return f"{math.ceil(whole / 60)} minuter"
    return "1 sekund" if whole == 1 else f"{whole} sekunder"


def _on_password_submit(roles: tuple[Role, ...]) -> None:
    form_role = roles[0]
    entered = st.session_state.get(_input_key(form_role)) or ""
    st.session_state[_input_key(form_role)] = ""  # never keep the password in the session
    keys = _throttle_keys(form_role)
    wait = THROTTLE.wait(keys)
    if wait > 0:  # not even compared: guessing gains nothing from trying faster
        st.session_state[_failed_key(form_role)] = f"För många försök. Vänta {_seconds_sv(wait)} och försök igen."
        return
    for role in roles:
        if check_password(entered, role):
            st.session_state[_session_key(role)] = _digest(entered, role)
            st.session_state.pop(_failed_key(form_role), None)
            THROTTLE.succeed(keys)
            record("login", role, actor=audit.PASSWORD_WHO, detail={"method": "lösenord"})
            return
    THROTTLE.fail(keys)
    record("login_failed", form_role, actor=audit.PASSWORD_WHO,
           detail={"method": "lösenord", "client": client_address()})
    wait = THROTTLE.wait(keys)
    if THROTTLE.locked_out(keys):
        st.session_state[_failed_key(form_role)] = ("Fel lösenord. För många misslyckade försök: försök igen om "
                                                    f"{_seconds_sv(wait)}.")
    else:
        st.session_state[_failed_key(form_role)] = f"Fel lösenord. Vänta {_seconds_sv(wait)} innan du försöker igen."


def _on_password_logout(roles: tuple[Role, ...]) -> None:
    for role in roles:
        st.session_state.pop(_session_key(role), None)


def _login_oidc() -> None:
    try:
        st.login()
    except Exception:  # noqa: BLE001 - e.g. Authlib missing or an incomplete [auth] section
        log.exception("st.login failed: check the [auth] section of the secrets")
        st.error("Inloggningen med organisationskonto fungerar inte just nu.")


def _record_oidc_logins(roles: Sequence[Role]) -> None:
    email = oidc_email()
    if not email:
        return
    seen: set[tuple[str, str]] = st.session_state.setdefault(_OIDC_SEEN, set())
    for role in roles:
        if (role.key, email) not in seen and _oidc_member(role):
            seen.add((role.key, email))
            record("login", role, actor=email, detail={"method": "organisationskonto"})


def login_panel(roles: tuple[Role, ...] = (COORDINATOR,)) -> None:
    """Login and logout for the page's roles (the first names the form), where the page
    calls it (e.g. the sidebar)."""
    form_role = roles[0]
    _tell_operator(roles)
    _record_oidc_logins(roles)
    st.subheader(form_role.name_sv.capitalize())
    by_password = [r for r in roles if _password_session(r)]
    held = [r for r in roles if has_role(r)]
    email = oidc_email()
    if held:
        via_oidc = f" ({email})" if email and not by_password else ""
        st.success(f"Inloggad som {held[0].name_sv}{via_oidc}.")
    if by_password:
        st.button("Logga ut", key=f"{form_role.key}_logout", on_click=_on_password_logout, args=(roles,))
    if email:
        if not held:
            st.caption(f"Inloggad som {email}. Kontot är inte {form_role.name_sv}.")
        if st.button("Logga ut från organisationskontot", key="oidc_logout"):
            st.logout()
    if held:
        return
    password = any(configured_password(r) for r in roles)
    oidc = oidc_configured() and any(role_emails(r) for r in roles)
    if not password and not oidc:
        st.caption(f"Ingen inloggning för {form_role.name_sv} är inställd.")
        return
    if oidc and not email:
        if st.button("Logga in", key="oidc_login"):
            _login_oidc()
    if password:
        names = " eller ".join(r.name_sv for r in roles if configured_password(r))
        with st.form(f"{form_role.key}_login_form", clear_on_submit=False, border=False):
            st.text_input(f"Lösenord för {names}", type="password", key=_input_key(form_role))
            st.form_submit_button(f"Logga in som {form_role.name_sv}", on_click=_on_password_submit,
                                  args=(roles,))
        failed = st.session_state.get(_failed_key(form_role))
        if failed:
            st.error(failed)
