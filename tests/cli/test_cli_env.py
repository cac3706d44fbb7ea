"""`Client.from_env()` / `AsyncClient.from_env()`: the command line's AIRFLOW_BRIDGE_*
variables for the library, read by airflow_bridge/_env.py."""

from __future__ import annotations

import ssl
import subprocess
from pathlib import Path

import pytest
from fleet_fakes import PASSWORD, V1_RUNS, V2_RUNS, fake

from airflow_bridge import AsyncClient, Client
from airflow_bridge._env import client_arguments
from airflow_bridge.errors import InvalidArgument


def test_from_env_talks_to_the_server_the_variables_name() -> None:
    af2 = fake("2.10.5", V1_RUNS)
    env = {
        "AIRFLOW_BRIDGE_SERVER": "http://airflow2:8080",
        "AIRFLOW_BRIDGE_USERNAME": "admin",
        "AIRFLOW_BRIDGE_PASSWORD": PASSWORD,
        "AIRFLOW_BRIDGE_API": "v1",
        "AIRFLOW_BRIDGE_TIMEOUT": "7.5",
    }
    with Client.from_env(env, transport=af2.transport()) as client:
        assert client.base_url == "http://airflow2:8080"
        assert {run.run_id for run in client.dag_runs.list("etl")} == {"v1-mid", "v1-newest"}
    assert af2.requests[0].path.startswith("/api/v1/")  # api=v1: no detection probe
    assert client_arguments(env)["timeout"] == 7.5


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_async_from_env_and_options_win(monkeypatch: pytest.MonkeyPatch) -> None:
    af3 = fake("3.3.2", V2_RUNS)
    monkeypatch.setenv("AIRFLOW_BRIDGE_SERVER", "http://airflow3:8080")
    monkeypatch.setenv("AIRFLOW_BRIDGE_USERNAME", "admin")
    monkeypatch.setenv("AIRFLOW_BRIDGE_PASSWORD", "wrong")
    async with AsyncClient.from_env(password=PASSWORD, transport=af3.async_transport()) as c:
        assert await c.dag_runs.count("etl") == 3


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "AIRFLOW_BRIDGE_SERVER is not set"),
        ({"AIRFLOW_BRIDGE_TIMEOUT": "soon"}, "AIRFLOW_BRIDGE_TIMEOUT must be seconds"),
        ({"AIRFLOW_BRIDGE_API": "v3"}, "AIRFLOW_BRIDGE_API must be auto, v1 or v2"),
        ({"AIRFLOW_BRIDGE_INSECURE": "maybe"}, "AIRFLOW_BRIDGE_INSECURE must be"),
        ({"AIRFLOW_BRIDGE_KEY": "k.pem"}, "AIRFLOW_BRIDGE_KEY needs AIRFLOW_BRIDGE_CERT"),
        ({"AIRFLOW_BRIDGE_CA_BUNDLE": "/nonexistent.pem"}, "AIRFLOW_BRIDGE_CA_BUNDLE: the TLS"),
    ],
)
def test_bad_variables_are_invalid_arguments_before_any_request(
    env: dict[str, str], message: str
) -> None:
    if env:
        env = {"AIRFLOW_BRIDGE_SERVER": "http://x:8080", **env}
    with pytest.raises(InvalidArgument, match=message):
        Client.from_env(env)


def test_tls_variables_build_a_context(tmp_path: Path) -> None:
    cert, key = tmp_path / "client.pem", tmp_path / "client.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=airflow-bridge-test", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    server = {"AIRFLOW_BRIDGE_SERVER": "https://x"}
    insecure = client_arguments({**server, "AIRFLOW_BRIDGE_INSECURE": "1"})
    assert insecure["verify"] is False
    bundled = client_arguments(
        {**server, "AIRFLOW_BRIDGE_CA_BUNDLE": str(cert), "AIRFLOW_BRIDGE_CERT": str(cert),
         "AIRFLOW_BRIDGE_KEY": str(key)}
    )  # fmt: skip
    context = bundled["verify"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert [c["subject"] for c in context.get_ca_certs()] == [
        ((("commonName", "airflow-bridge-test"),),)
    ]
    assert "verify" not in client_arguments(server)  # the default: verified, no context
