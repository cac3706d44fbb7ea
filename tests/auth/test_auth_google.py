"""GoogleAuth with google-auth's own flows against a loopback Google token endpoint (a
service-account key whose token_uri is local), and an Airflow stand-in that checks each ID
token with google-auth's verifier (signature, audience, expiry) or each access token.

Nothing here reaches Google: which parts are proven only against these stand-ins is said in
docs/authentication.md.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from standins import Gateway, GoogleTokenEndpoint, serving

from airflow_bridge import AsyncClient, Client
from airflow_bridge.auth import CredentialsUnavailable, GoogleAuth, MissingExtra

AUDIENCE = "1234-iap-client.apps.googleusercontent.com"


@pytest.fixture
def google() -> Iterator[GoogleTokenEndpoint]:
    endpoint = GoogleTokenEndpoint()
    with serving(endpoint):
        yield endpoint


@pytest.fixture
def key_file(google: GoogleTokenEndpoint, tmp_path: Path) -> Path:
    path = tmp_path / "sa.json"
    path.write_text(json.dumps(google.service_account_info()))
    return path


def test_an_id_token_for_the_audience_is_fetched_cached_and_verified(
    google: GoogleTokenEndpoint, key_file: Path
) -> None:
    gateway = Gateway(google.verify_id_token(AUDIENCE))
    auth = GoogleAuth.id_token(AUDIENCE, service_account_file=key_file)
    with serving(gateway), Client(gateway.url, auth=auth) as client:
        run = client.dag_runs.trigger("bridge_plain")
        assert client.dag_runs.get("bridge_plain", run.run_id).run_id == run.run_id
    assert [a["target_audience"] for a in google.assertions] == [AUDIENCE]  # one fetch
    assert set(gateway.statuses) == {200}


def test_a_token_for_another_audience_is_refused_by_the_server(
    google: GoogleTokenEndpoint, key_file: Path
) -> None:
    from airflow_bridge.errors import AuthenticationError

    gateway = Gateway(google.verify_id_token(AUDIENCE))
    auth = GoogleAuth.id_token("https://other.example", service_account_file=key_file)
    client = Client(gateway.url, auth=auth)
    with serving(gateway), client, pytest.raises(AuthenticationError, match="version probe"):
        client.dag_runs.list("bridge_plain")
    # detection: refused without credentials, with the token, with a token fetched again
    assert gateway.probes == [("/api/v2/version", 401)] * 3
    assert gateway.statuses == []
    assert len(google.assertions) == 2


def test_an_id_token_is_refreshed_before_it_expires(
    google: GoogleTokenEndpoint, key_file: Path
) -> None:
    shift = [0.0]
    gateway = Gateway(google.verify_id_token(AUDIENCE))
    auth = GoogleAuth.id_token(
        AUDIENCE, service_account_file=key_file, clock=lambda: time.time() + shift[0]
    )
    with serving(gateway), Client(gateway.url, auth=auth) as client:
        run = client.dag_runs.trigger("bridge_plain")  # one request each, from here on
        shift[0] = google.lifetime - 40  # 10 s outside the margin: a slow machine's time too
        client.dag_runs.get("bridge_plain", run.run_id)
        assert len(google.assertions) == 1
        shift[0] = google.lifetime - 20  # within the 30 s margin of the token's exp
        client.dag_runs.get("bridge_plain", run.run_id)
    assert len(google.assertions) == 2
    assert 401 not in gateway.statuses


def test_access_tokens_for_composer_from_application_default_credentials(
    google: GoogleTokenEndpoint, key_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key_file))
    gateway = Gateway(google.verify_access_token)
    auth = GoogleAuth.access_token()

    async def main() -> None:
        client = AsyncClient(gateway.url, auth=auth)
        async with client, anyio.create_task_group() as tasks:
            for _ in range(6):
                tasks.start_soon(client.dag_runs.list, "bridge_plain")

    with serving(gateway):
        anyio.run(main)
    (assertion,) = google.assertions  # one fetch for six concurrent tasks
    assert assertion["scope"] == "https://www.googleapis.com/auth/cloud-platform"
    assert set(gateway.statuses) == {200}


def test_an_id_token_from_application_default_credentials(
    google: GoogleTokenEndpoint, key_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key_file))
    gateway = Gateway(google.verify_id_token(AUDIENCE))
    with serving(gateway), Client(gateway.url, auth=GoogleAuth.id_token(AUDIENCE)) as c:
        c.dag_runs.list("bridge_plain")
    assert [a["target_audience"] for a in google.assertions] == [AUDIENCE]


def test_a_refusal_by_google_names_the_account_not_the_key(
    google: GoogleTokenEndpoint, key_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    google.refuse = True
    gateway = Gateway(google.verify_id_token(AUDIENCE))
    auth = GoogleAuth.id_token(AUDIENCE, service_account_file=key_file)
    client = Client(gateway.url, auth=auth)
    with serving(gateway), client, pytest.raises(CredentialsUnavailable) as failed:
        client.dag_runs.list("bridge_plain")
    assert google.email in str(failed.value) and "RefreshError" in str(failed.value)
    key_line = google.sa_private.splitlines()[1]
    for text in (str(failed.value), repr(auth), caplog.text):
        assert key_line not in text
    assert gateway.statuses == []


def test_no_credentials_say_so(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with pytest.raises(CredentialsUnavailable, match="no Google credentials"):
        GoogleAuth.access_token(service_account_file=tmp_path / "missing.json")


def test_a_missing_extra_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "google.auth.transport.requests", None)
    monkeypatch.setitem(sys.modules, "google.oauth2.service_account", None)
    with pytest.raises(MissingExtra, match=r"airflow-bridge\[google\]"):
        GoogleAuth.id_token(AUDIENCE, service_account_file="sa.json")
