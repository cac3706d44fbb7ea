"""FakeAirflow(auth=...): each scheme of airflow_bridge.auth works against a fake requiring it,
and a request without it is refused as that server refuses (status, body, headers).

The refusal shapes come from the servers' sources: the FAB provider's `kerberos_auth`
(401 "Unauthorized" + `WWW-Authenticate: Negotiate`, 403 "Forbidden"), the Google provider's
`google_openid` (403 "Forbidden" for every refusal), Airflow 2's session backend (401
"Unauthorized"), both plain text; the OAuth2 scheme answers in each generation's own API
shapes (recorded on 2.10.5 and 3.3.2 for the generations' own credentials).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from botocore.stub import Stubber
from standins import GoogleTokenEndpoint, serving
from test_auth_mwaa import ENV, mwaa_client

from airflow_bridge import AsyncClient, Client
from airflow_bridge.auth import GoogleAuth, KerberosAuth, KeycloakAuth, MWAAAuth, OAuth2Auth
from airflow_bridge.errors import AuthenticationError, PermissionDenied
from airflow_bridge.testing import (
    FakeAirflow,
    GoogleScheme,
    KerberosScheme,
    MWAAScheme,
    OAuth2Scheme,
)

SECRET = "bridge-secret"


def raw(fake: FakeAirflow, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
    """One GET straight to the fake (no client library in between)."""
    with httpx.Client(transport=fake.transport(), base_url=fake.base_url) as http:
        return http.get(path, headers=headers or {})


def scheme(fake: FakeAirflow, kind: type[Any]) -> Any:
    assert isinstance(fake.auth_scheme, kind)
    return fake.auth_scheme


# -- choosing a scheme ---------------------------------------------------------------------


def test_airflow_2_backends_are_refused_on_an_airflow_3_fake() -> None:
    for name in ("kerberos", "google", "mwaa"):
        with pytest.raises(ValueError, match="Airflow 2 API auth backend"):
            FakeAirflow("3.3.2", auth=name)
    with pytest.raises(ValueError, match="basic, google, kerberos, mwaa, oauth2"):
        FakeAirflow("2.10.5", auth="ntlm")
    assert FakeAirflow("2.10.5", auth="basic").auth_scheme is None


def test_the_version_endpoint_stays_public_so_detection_needs_no_credentials() -> None:
    for version, name in (("2.10.5", "kerberos"), ("2.10.5", "google"), ("3.3.2", "oauth2")):
        fake = FakeAirflow(version, auth=name)
        assert raw(fake, f"/api/{fake.api}/version").status_code == 200


# -- Kerberos ------------------------------------------------------------------------------


def test_kerberos_refusals_are_the_backends() -> None:
    fake = FakeAirflow("2.10.5", auth="kerberos")
    missing = raw(fake, "/api/v1/dags")
    assert (missing.status_code, missing.text) == (401, "Unauthorized")
    assert missing.headers["www-authenticate"] == "Negotiate"
    assert missing.headers["content-type"] == "text/html; charset=utf-8"
    for header in ("Negotiate bm90IGEgdGlja2V0", "Basic YWRtaW46YWRtaW4=", "Negotiate"):
        refused = raw(fake, "/api/v1/dags", {"Authorization": header})
        assert (refused.status_code, refused.text) == (403, "Forbidden"), header


def test_a_well_formed_negotiate_token_is_accepted_as_the_configured_user() -> None:
    fake = FakeAirflow("2.10.5", auth=KerberosScheme(user="viewer"))
    token = scheme(fake, KerberosScheme).token()
    assert raw(fake, "/api/v1/dags", {"Authorization": f"Negotiate {token}"}).status_code == 200
    negotiate = {"Authorization": f"Negotiate {token}"}
    with Client(fake.base_url, transport=fake.transport(), headers=negotiate) as c:
        c.dag_runs.list("bridge_plain")
        with pytest.raises(PermissionDenied):  # the viewer may only read
            c.dag_runs.trigger("bridge_plain")


def test_kerberos_auth_without_a_ticket_is_refused_with_the_negotiate_challenge(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("httpx_gssapi", reason="the kerberos extra is not installed")
    monkeypatch.setenv("KRB5CCNAME", f"FILE:{tmp_path / 'no-tickets'}")
    fake = FakeAirflow("2.10.5", auth="kerberos")
    with Client(fake.base_url, auth=KerberosAuth(), transport=fake.transport()) as c:
        assert c.server_info().version == "2.10.5"  # detection: /version is public
        with pytest.raises(AuthenticationError) as refused:
            c.dag_runs.list("bridge_plain")
    assert refused.value.status == 401
    sent = [r.headers.get("authorization") for r in fake.requests[1:]]
    assert sent and set(sent) == {None}  # no ticket to send, so none was ever sent


# -- Google --------------------------------------------------------------------------------


@pytest.fixture
def google_fake(tmp_path: Path) -> Iterator[tuple[FakeAirflow, Path, GoogleTokenEndpoint]]:
    fake = FakeAirflow("2.10.5", auth=GoogleScheme(audience="https://airflow.example"))
    google = scheme(fake, GoogleScheme)
    endpoint = GoogleTokenEndpoint(
        mint_id_token=lambda email, audience: google.mint(email, audience=audience)
    )
    key_file = tmp_path / "sa.json"
    key_file.write_text(json.dumps(endpoint.service_account_info()))
    with serving(endpoint):
        yield fake, key_file, endpoint


def test_google_auth_id_tokens_against_the_google_openid_fake(
    google_fake: tuple[FakeAirflow, Path, GoogleTokenEndpoint],
) -> None:
    fake, key_file, endpoint = google_fake
    auth = GoogleAuth.id_token("https://airflow.example", service_account_file=key_file)
    with Client(fake.base_url, auth=auth, transport=fake.transport()) as c:
        run = c.dag_runs.trigger("bridge_plain")
        assert [r.run_id for r in c.dag_runs.list("bridge_plain")] == [run.run_id]
    assert len(endpoint.assertions) == 1


def test_google_refusals_are_403_forbidden_whatever_the_reason(
    google_fake: tuple[FakeAirflow, Path, GoogleTokenEndpoint],
) -> None:
    fake, _, _ = google_fake
    google = scheme(fake, GoogleScheme)
    email = "bridge@airflow-bridge-test.iam.gserviceaccount.com"
    other = FakeAirflow("2.10.5", auth=GoogleScheme(audience=google.audience))
    cases = {
        "no token": None,
        "another audience": google.mint(email, audience="https://other.example"),
        "unverified email": google.mint(email, verified=False),
        "another signer": scheme(other, GoogleScheme).mint(email),
        "expired": google.mint(email, lifetime=-1),
    }
    for reason, token in cases.items():
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        refused = raw(fake, "/api/v1/dags", headers)
        assert (refused.status_code, refused.text) == (403, "Forbidden"), reason
    good = google.mint(email)
    assert raw(fake, "/api/v1/dags", {"Authorization": f"Bearer {good}"}).status_code == 200
    fake.clock.advance(timedelta(hours=2))  # the fake's clock decides expiry
    assert raw(fake, "/api/v1/dags", {"Authorization": f"Bearer {good}"}).status_code == 403


def test_google_emails_map_to_users() -> None:
    fake = FakeAirflow("2.10.5", auth=GoogleScheme(emails={"ops@example.com": "viewer"}))
    google = scheme(fake, GoogleScheme)
    viewer = {"Authorization": f"Bearer {google.mint('ops@example.com')}"}
    stranger = {"Authorization": f"Bearer {google.mint('who@example.com')}"}
    assert raw(fake, "/api/v1/dags", viewer).status_code == 200
    assert raw(fake, "/api/v1/dags", stranger).status_code == 403


# -- OAuth2 / Keycloak ---------------------------------------------------------------------


@pytest.mark.parametrize("version", ["2.10.5", "3.3.2"])
def test_keycloak_client_credentials_against_the_fakes_token_endpoint(version: str) -> None:
    fake = FakeAirflow(version, auth="oauth2")
    oauth = scheme(fake, OAuth2Scheme)
    auth = KeycloakAuth(fake.base_url, "airflow", client_id="airflow-bridge", client_secret=SECRET)
    with Client(fake.base_url, auth=auth, transport=fake.transport()) as c:
        run = c.dag_runs.trigger("bridge_plain")
        c.dag_runs.get("bridge_plain", run.run_id)
    assert oauth.grants == ["client_credentials"]


def test_oauth2_refusals_in_each_generations_shape() -> None:
    v1 = FakeAirflow("2.10.5", auth="oauth2")
    missing = raw(v1, "/api/v1/dags").json()
    assert (missing["status"], missing["title"]) == (401, "Unauthorized")
    assert raw(v1, "/api/v1/dags", {"Authorization": "Bearer x.y.z"}).status_code == 401
    v2 = FakeAirflow("3.3.2", auth="oauth2")
    assert raw(v2, "/api/v2/dags").json() == {"detail": "Not authenticated"}
    forged = raw(v2, "/api/v2/dags", {"Authorization": "Bearer x.y.z"})
    assert (forged.status_code, forged.json()) == (403, {"detail": "Invalid JWT token"})


def test_an_expired_token_is_refused_and_the_client_logs_in_again_async() -> None:
    fake = FakeAirflow("3.3.2", auth=OAuth2Scheme(lifetime=60, refresh_lifetime=None))
    oauth = scheme(fake, OAuth2Scheme)
    auth = OAuth2Auth(
        fake.base_url + oauth.token_path,
        client_id="airflow-bridge",
        client_secret=SECRET,
        username="admin",
        password="admin",
    )

    async def main() -> None:
        async with AsyncClient(fake.base_url, auth=auth, transport=fake.async_transport()) as c:
            await c.dag_runs.list("bridge_plain")
            fake.clock.advance(timedelta(minutes=5))  # the server's clock: the token expired
            await c.dag_runs.list("bridge_plain")

    anyio.run(main)
    assert oauth.grants == ["password", "password"]  # refused as expired, logged in again


def test_oauth2_token_endpoint_refusals_are_keycloaks() -> None:
    fake = FakeAirflow("3.3.2", auth="oauth2")
    oauth = scheme(fake, OAuth2Scheme)
    with httpx.Client(transport=fake.transport(), base_url=fake.base_url) as http:
        bad_client = http.post(oauth.token_path, data={"grant_type": "client_credentials"})
        bad_user = http.post(
            oauth.token_path,
            data={"grant_type": "password", "username": "admin", "password": "no"},
            auth=("airflow-bridge", SECRET),
        )
    assert (bad_client.status_code, bad_client.json()["error"]) == (401, "invalid_client")
    assert (bad_user.status_code, bad_user.json()["error"]) == (401, "invalid_grant")
    auth = KeycloakAuth(fake.base_url, "airflow", client_id="airflow-bridge", client_secret="no")
    c = Client(fake.base_url, auth=auth, transport=fake.transport())
    with c, pytest.raises(AuthenticationError, match="invalid_client"):
        c.dag_runs.list("bridge_plain")


# -- MWAA ----------------------------------------------------------------------------------


def test_mwaa_auth_exchanges_a_web_login_token_for_a_session() -> None:
    fake = FakeAirflow("2.10.5", auth="mwaa")
    mwaa = scheme(fake, MWAAScheme)
    client = mwaa_client()
    stubber = Stubber(client)
    for _ in range(2):
        stubber.add_response("create_web_login_token", mwaa.web_login_token(), {"Name": ENV})
    stubber.activate()
    auth = MWAAAuth(ENV, client=client)  # the default login URL: https://airflow.fake/...
    with Client(fake.base_url, auth=auth, transport=fake.transport()) as c:
        run = c.dag_runs.trigger("bridge_plain")
        mwaa.end_sessions()  # the web server forgot the session: one new login
        assert c.dag_runs.get("bridge_plain", run.run_id).run_id == run.run_id
    stubber.assert_no_pending_responses()
    assert mwaa.logins == 2


def test_mwaa_refusals_are_the_session_backends() -> None:
    fake = FakeAirflow("2.10.5", auth="mwaa")
    mwaa = scheme(fake, MWAAScheme)
    missing = raw(fake, "/api/v1/dags", {"Cookie": "session=forged"})
    assert (missing.status_code, missing.text) == (401, "Unauthorized")
    token = mwaa.web_login_token()["WebToken"]
    with httpx.Client(transport=fake.transport(), base_url=fake.base_url) as http:
        first = http.post("/aws_mwaa/login", data={"token": token})
        again = http.post("/aws_mwaa/login", data={"token": token})  # single use
    assert first.status_code == 302 and "session" in first.cookies
    assert again.status_code == 401
    late = mwaa.web_login_token()["WebToken"]
    fake.clock.advance(timedelta(seconds=61))
    with httpx.Client(transport=fake.transport(), base_url=fake.base_url) as http:
        assert http.post("/aws_mwaa/login", data={"token": late}).status_code == 401


@pytest.mark.real
def test_a_real_ticket_from_the_loopback_kdc_is_accepted_by_the_kerberos_fake(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What httpx-gssapi sends with a real ticket (scripts/kdc) is what the fake's format
    check takes: the fake is a fair stand-in for the backend's first step."""
    pytest.importorskip("httpx_gssapi", reason="the kerberos extra is not installed")
    root = Path(__file__).resolve().parents[2]
    script = str(root / "scripts" / "kdc")
    answering = (
        "answering=True"
        in subprocess.run([script, "status"], capture_output=True, text=True).stdout
    )
    if not answering and subprocess.run([script, "up"], capture_output=True).returncode:
        pytest.skip("no loopback KDC (scripts/kdc up failed)")
    try:
        info = json.loads((root / ".airflow" / "kerberos" / "kdc.json").read_text())
        monkeypatch.setenv("KRB5_CONFIG", info["krb5_conf"])
        auth = KerberosAuth(
            principal=info["user_principal"],
            keytab=info["user_keytab"],
            ccache=f"FILE:{tmp_path / 'cc'}",
        )
        fake = FakeAirflow("2.10.5", auth="kerberos")
        with fake.serve() as server, Client(server.url, auth=auth) as c:
            run = c.dag_runs.trigger("bridge_plain")
            assert c.dag_runs.get("bridge_plain", run.run_id).run_id == run.run_id
        api_calls = [r for r in fake.requests if not r.path.endswith("/version")]
        sent = [r.headers.get("authorization", "") for r in api_calls]
        assert sent and all(h.startswith("Negotiate ") for h in sent)
    finally:
        if not answering:
            subprocess.run([script, "down"], check=False)
