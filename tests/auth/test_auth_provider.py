"""TokenProvider: tokens from a callable, a file or an environment variable, asked again
before expiry (a JWT's `exp`, or `lifetime`) and once after a refusal, against the verifying
Airflow stand-in."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import jwt
import pytest
from standins import SIGNING_KEY, Gateway, serving, verify_hs256

from airflow_bridge import AsyncClient, Client
from airflow_bridge.auth import Credential, CredentialsUnavailable, TokenProvider
from airflow_bridge.errors import InvalidArgument, VersionDetectionError
from airflow_bridge.testing import FakeAirflow


def mint(lifetime: int = 300) -> str:
    now = int(time.time())
    claims = {"aud": "airflow", "iat": now, "exp": now + lifetime, "n": time.monotonic_ns()}
    return jwt.encode(claims, SIGNING_KEY, algorithm="HS256")


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    server = Gateway(verify_hs256())
    with serving(server):
        yield server


def test_a_rotated_file_is_read_again_after_a_refusal(gateway: Gateway, tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text(mint() + "\n")
    auth = TokenProvider.from_file(path)
    with Client(gateway.url, auth=auth) as client:
        client.dag_runs.list("bridge_plain")
        gateway.revoke()  # the old token no longer works ...
        path.write_text(mint())  # ... and the sidecar has written a new one
        client.dag_runs.list("bridge_plain")
    assert auth.acquisitions == 2
    assert gateway.statuses.count(401) == 1


def test_an_environment_variable(gateway: Gateway, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_TOKEN", mint())
    with Client(gateway.url, auth=TokenProvider.from_env("AIRFLOW_TOKEN")) as client:
        client.dag_runs.list("bridge_plain")
    assert set(gateway.statuses) == {200}
    monkeypatch.delenv("AIRFLOW_TOKEN")
    auth = TokenProvider.from_env("AIRFLOW_TOKEN")
    client = Client(gateway.url, auth=auth)
    with client, pytest.raises(CredentialsUnavailable, match=r"AIRFLOW_TOKEN.*KeyError"):
        client.dag_runs.list("bridge_plain")


def test_a_jwt_is_renewed_before_its_exp(gateway: Gateway) -> None:
    shift = [0.0]
    calls: list[str] = []

    def source() -> str:
        calls.append(mint(lifetime=100))
        return calls[-1]

    auth = TokenProvider(source, clock=lambda: time.time() + shift[0])
    with Client(gateway.url, auth=auth) as client:
        run = client.dag_runs.trigger("bridge_plain")
        shift[0] = 69
        client.dag_runs.get("bridge_plain", run.run_id)
        assert len(calls) == 1
        shift[0] = 71  # within 30 s of exp
        client.dag_runs.get("bridge_plain", run.run_id)
    assert len(calls) == 2
    assert 401 not in gateway.statuses


def test_an_opaque_token_lives_for_lifetime_or_what_the_source_says() -> None:
    now = [1000.0]
    auth = TokenProvider(lambda: "opaque", lifetime=60, clock=lambda: now[0])
    assert auth._fetch() == Credential("opaque", expires_at=1060.0)
    told = Credential("opaque", expires_at=5.0)
    assert TokenProvider(lambda: told)._fetch() is told
    assert TokenProvider(lambda: "opaque")._fetch().expires_at is None


def test_concurrent_tasks_share_one_call_of_a_slow_source(gateway: Gateway) -> None:
    calls: list[str] = []

    def slow() -> str:
        time.sleep(0.3)
        calls.append(threading.current_thread().name)
        return mint()

    auth = TokenProvider(slow)

    async def main() -> None:
        client = AsyncClient(gateway.url, auth=auth)
        async with client, anyio.create_task_group() as tasks:
            for _ in range(6):
                tasks.start_soon(client.dag_runs.list, "bridge_plain")

    anyio.run(main)
    assert len(calls) == 1
    assert calls[0] != threading.main_thread().name  # run in a worker, the loop never blocked
    assert set(gateway.statuses) == {200}


def test_a_failing_source_is_named_without_its_message(
    gateway: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    def vault() -> str:
        raise PermissionError("vault said no for token hvs.S3CR3T")

    auth = TokenProvider(vault, name="vault secret/airflow")
    client = Client(gateway.url, auth=auth)
    with client, pytest.raises(CredentialsUnavailable) as failed:
        client.dag_runs.list("bridge_plain")
    assert str(failed.value) == (
        "the token provider (vault secret/airflow) failed: PermissionError"
    )
    assert "S3CR3T" not in caplog.text and "S3CR3T" not in repr(auth)


def test_an_empty_or_wrong_answer_is_no_token() -> None:
    with pytest.raises(CredentialsUnavailable, match=r"returned str \(empty\), not a token"):
        TokenProvider(lambda: "")._fetch()
    with pytest.raises(CredentialsUnavailable, match="returned NoneType, not a token"):
        TokenProvider(lambda: None)._fetch()  # type: ignore[arg-type,return-value]


def test_the_token_is_in_no_repr_or_log(gateway: Gateway, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    token = mint()
    auth = TokenProvider(lambda: token, name="static")
    with Client(gateway.url, auth=auth) as client:
        client.dag_runs.list("bridge_plain")
    assert repr(auth) == "TokenProvider(static)"
    assert token not in caplog.text and token not in repr(auth._credential)


def test_wrong_arguments() -> None:
    with pytest.raises(InvalidArgument, match="callable"):
        TokenProvider("a-token")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="lifetime"):
        TokenProvider(lambda: "t", lifetime=0)
    with pytest.raises(InvalidArgument, match="refresh_margin"):
        TokenProvider(lambda: "t", refresh_margin=-1)


# -- token= takes a source too; detection with credentials -----------------------------------


def test_token_takes_a_callable_that_is_asked_again_after_a_refusal(gateway: Gateway) -> None:
    calls: list[str] = []

    def vault() -> str:
        calls.append(mint())
        return calls[-1]

    with Client(gateway.url, token=vault) as client:
        assert client.server_info().api == "v1"
        client.dag_runs.list("bridge_plain")
        gateway.revoke()
        client.dag_runs.list("bridge_plain")
    assert len(calls) == 2  # one token for detection and the first call, one after the 401
    assert gateway.statuses.count(401) == 1 and gateway.statuses[-1] == 200


def test_token_takes_a_token_provider_async(gateway: Gateway, tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text(mint())
    provider = TokenProvider.from_file(path)

    async def main() -> None:
        async with AsyncClient(gateway.url, token=provider) as client:
            await client.dag_runs.list("bridge_plain")

    anyio.run(main)
    assert provider.acquisitions == 1 and set(gateway.statuses) == {200}


def test_a_guarded_version_endpoint_is_probed_again_with_the_credentials(
    gateway: Gateway,
) -> None:
    with Client(gateway.url, token=mint()) as client:
        assert client.server_info().version == "2.10.5"
    assert gateway.probes == [
        ("/api/v2/version", 401),  # unauthenticated: refused
        ("/api/v2/version", 404),  # with the token: the gateway's Airflow 2 has no /api/v2
        ("/api/v1/version", 200),  # the token kept for the next probe
    ]


def test_a_guarded_version_endpoint_without_credentials_says_to_pass_them(
    gateway: Gateway,
) -> None:
    with Client(gateway.url) as client, pytest.raises(VersionDetectionError) as failed:
        client.server_info()
    assert "wants credentials here: pass auth= or token=" in str(failed.value)
    assert [status for _, status in gateway.probes] == [401, 401]


def test_a_public_version_endpoint_is_never_sent_credentials() -> None:
    fake = FakeAirflow("3.3.2")
    with Client(fake.base_url, token=lambda: "t0k3n", transport=fake.transport()) as client:
        client.server_info()
    assert [r.headers.get("authorization") for r in fake.requests] == [None]


def test_a_token_that_is_no_token_source_is_refused_before_sending() -> None:
    with pytest.raises(InvalidArgument, match="token must be a str, a callable"):
        Client("http://127.0.0.1:9", token=42)  # type: ignore[arg-type]
