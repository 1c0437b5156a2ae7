"""Roles on each page (staff, testers, coordinators) through AppTest on the real app,
model and store; the login throttle and the constant-time compare."""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from core import audit
from tests.conftest import REPO, ingested_corpus_copy, site_copy
from ui import auth
from ui.auth import COORDINATOR, TESTER, Throttle
from ui.evaluation import DENIED, DENIED_LOGIN, RUN_LABEL

TESTER_PASSWORD = "testa-sökningen-2024"
COORDINATOR_PASSWORD = "tolk-och-samråd-2024"
ENV_NAMES = ("ASSISTANT_", "secrets", "[auth]")


# --- Plain functions ------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_delay_grows_and_a_client_is_locked_out() -> None:
    clock = Clock()
    throttle = Throttle(clock)
    keys = [("session", "s1"), ("client", "10.0.0.7"), ("account", "coordinator")]
    waits = []
    for _ in range(9):
        throttle.fail(keys)
        waits.append(throttle.wait(keys))
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60, 60]  # capped
    throttle.fail(keys)  # the tenth failure: locked out
    assert throttle.locked_out(keys) and throttle.wait(keys) == Throttle.LOCK_SECONDS
    # Another session from the same address is locked out too; another address only
    # waits the role's delay (guessing from many addresses is slowed, nobody locked out).
    assert throttle.wait([("session", "s2"), ("client", "10.0.0.7"), ("account", "coordinator")]) == 900
    other = [("session", "s3"), ("client", "10.0.0.8"), ("account", "coordinator")]
    assert throttle.wait(other) == 60 and not throttle.locked_out(other)
    clock.now += 61
    assert throttle.wait(other) == 0
    clock.now += Throttle.FORGET_SECONDS
    assert throttle.wait(keys) == 0  # forgotten after a quiet quarter of an hour


def test_success_resets_the_session_and_client_not_the_role() -> None:
    clock = Clock()
    throttle = Throttle(clock)
    keys = [("session", "s1"), ("client", "lokal"), ("account", "tester")]
    throttle.fail(keys)
    throttle.fail(keys)
    throttle.succeed(keys)
    assert throttle.wait(keys[:2]) == 0 and throttle.wait(keys) == 2


def test_passwords_are_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(COORDINATOR.password_env, COORDINATOR_PASSWORD)
    calls: list[tuple[Any, Any]] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(auth.hmac, "compare_digest", spy)
    assert auth.check_password(COORDINATOR_PASSWORD, COORDINATOR)
    assert not auth.check_password("kort", COORDINATOR)
    assert not auth.check_password(COORDINATOR_PASSWORD, TESTER)  # no tester password configured
    assert len(calls) == 2
    assert all(isinstance(a, bytes) and len(a) == len(b) == 32 for a, b in calls)  # digests, never the text


# --- The pages ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ingested_corpus_copy(tmp_path_factory, "roles-template")


@pytest.fixture
def data(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for role in (COORDINATOR, TESTER):
        monkeypatch.delenv(role.password_env, raising=False)
        monkeypatch.delenv(role.emails_env, raising=False)
    with site_copy(template, tmp_path, monkeypatch) as (_corpus, data):
        yield data


def page(at: AppTest, path: str, title: str) -> AppTest:
    at.run()
    at.switch_page(path).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == title
    return at


def app() -> AppTest:
    return AppTest.from_file(str(REPO / "app.py"), default_timeout=300)


def texts(at: AppTest) -> list[str]:
    """Every text element shown, main and sidebar."""
    out: list[str] = []
    for kind in ("markdown", "caption", "info", "warning", "error", "success", "text"):
        out += [str(e.value) for e in getattr(at, kind)]
    out += [str(e.label) for e in at.text_input] + [str(b.label) for b in at.button]
    return out


def log_in(at: AppTest, role_key: str, password: str) -> None:
    at.sidebar.text_input(key=f"{role_key}_password_input").input(password)
    label = {"tester": "Logga in som testare", "coordinator": "Logga in som samordnare"}[role_key]
    next(b for b in at.sidebar.button if b.label == label).click().run()
    assert not at.exception, [e.value for e in at.exception]


def can_evaluate(at: AppTest) -> bool:
    return any(b.label == RUN_LABEL for b in at.button)


def can_change_documents(at: AppTest) -> bool:
    return bool(at.file_uploader) or any(b.label == "Uppdatera index" for b in at.button)


def audit_records(data: Path) -> list[dict[str, Any]]:
    return audit.parse(audit.read_lines(data))


@pytest.mark.slow
def test_staff_without_any_login_configured(data: Path) -> None:
    at = page(app(), "ui/evaluation.py", "Utvärdering")
    assert not can_evaluate(at)
    assert [i.value for i in at.main.info] == [DENIED]
    assert not at.sidebar.text_input
    shown = texts(at)
    assert not [t for t in shown if any(n in t for n in ENV_NAMES) or str(data.parent) in t]
    at = page(app(), "ui/documents.py", "Dokument")
    assert not can_change_documents(at)
    shown = texts(at)
    assert not [t for t in shown if any(n in t for n in ENV_NAMES) or str(data.parent) in t]
    assert "Ingen inloggning för samordnare är inställd." in [c.value for c in at.sidebar.caption]


@pytest.mark.slow
def test_a_tester_evaluates_but_does_not_change_documents(data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TESTER.password_env, TESTER_PASSWORD)
    monkeypatch.setenv(COORDINATOR.password_env, COORDINATOR_PASSWORD)
    at = page(app(), "ui/evaluation.py", "Utvärdering")
    assert not can_evaluate(at) and [i.value for i in at.main.info] == [DENIED_LOGIN]
    assert at.sidebar.text_input[0].label == "Lösenord för testare eller samordnare"

    log_in(at, "tester", "gissning")
    assert [e.value for e in at.sidebar.error] == ["Fel lösenord. Vänta 1 sekund innan du försöker igen."]
    log_in(at, "tester", TESTER_PASSWORD)  # at once: refused without being compared
    assert [e.value for e in at.sidebar.error] == ["För många försök. Vänta 1 sekund och försök igen."]
    assert not can_evaluate(at)
    monkeypatch.setattr(auth.THROTTLE, "clock", lambda: auth.time.monotonic() + 1.5)
    log_in(at, "tester", TESTER_PASSWORD)
    assert can_evaluate(at)
    assert "Inloggad som testare." in [s.value for s in at.sidebar.success]
    assert all(TESTER_PASSWORD not in str(v) for v in at.session_state.values())

    at.switch_page("ui/documents.py").run()
    assert not at.exception and not can_change_documents(at)  # a tester is not a coordinator

    records = [r for r in audit_records(data) if r["what"] in ("login", "login_failed")]
    assert [(r["what"], r["who"], r["role"]) for r in records] == [
        ("login_failed", "lösenord", "tester"), ("login", "lösenord", "tester")]
    raw = (data / audit.AUDIT_FILE).read_text(encoding="utf-8")
    assert TESTER_PASSWORD not in raw and "gissning" not in raw
    assert audit.verify(data).ok


@pytest.mark.slow
def test_a_coordinator_may_also_evaluate(data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TESTER.password_env, TESTER_PASSWORD)
    monkeypatch.setenv(COORDINATOR.password_env, COORDINATOR_PASSWORD)
    at = page(app(), "ui/evaluation.py", "Utvärdering")
    log_in(at, "tester", COORDINATOR_PASSWORD)  # the Utvärdering form takes either password
    assert can_evaluate(at) and "Inloggad som samordnare." in [s.value for s in at.sidebar.success]
    at.switch_page("ui/documents.py").run()
    assert can_change_documents(at)  # the same session, logged in as coordinator
    [login] = [r for r in audit_records(data) if r["what"] == "login"]
    assert login["role"] == "coordinator" and login["who"] == "lösenord"


@pytest.mark.slow
def test_an_oidc_tester(data: Path) -> None:
    at = app()
    at.secrets["auth"] = {
        "redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "hemlig",
        "client_id": "assistent", "client_secret": "hemlig",
        "server_metadata_url": "https://login.example.se/.well-known/openid-configuration",
    }
    at.secrets["tester_emails"] = ["testare@stockholm.se"]
    at.user = {"is_logged_in": True, "email": "Testare@Stockholm.se"}
    page(at, "ui/evaluation.py", "Utvärdering")
    assert can_evaluate(at)
    at.run()  # a second run does not log the login again
    at.switch_page("ui/documents.py").run()
    assert not can_change_documents(at)
    at.user = {"is_logged_in": True, "email": "handlaggare@stockholm.se"}
    at.switch_page("ui/evaluation.py").run()
    assert not can_evaluate(at) and [i.value for i in at.main.info] == [DENIED_LOGIN]
    logins = [r for r in audit_records(data) if r["what"] == "login"]
    assert [(r["who"], r["role"], r["detail"]["method"]) for r in logins] == [
        ("testare@stockholm.se", "tester", "organisationskonto")]
    assert json.dumps(logins).count("handlaggare") == 0


@pytest.mark.slow
def test_the_documents_page_shows_a_broken_chain(data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(COORDINATOR.password_env, COORDINATOR_PASSWORD)
    for i in range(3):
        audit.append(data, "upload", "lösenord", role="coordinator", file=f"dok-{i}.md", sha256="ab" * 32)
    at = page(app(), "ui/documents.py", "Dokument")
    assert not any(e.label == "Ändringslogg" for e in at.expander)  # staff do not see it
    log_in(at, "coordinator", COORDINATOR_PASSWORD)
    assert any(c.value.startswith("Kedjan är obruten: 5 rader") for c in at.caption)  # CLI ingest, 3, login
    lines = audit.read_lines(data)
    (data / audit.AUDIT_FILE).write_text("\n".join(lines[:2] + lines[3:]) + "\n", encoding="utf-8")
    at.run()
    assert "Ändringsloggen är inte intakt: rad 3 hänger inte ihop med raden före (en rad före den är borttagen, " \
           "ändrad eller flyttad)." in [e.value for e in at.error]
