"""The CLI's TLS options against a loopback HTTPS server that requires a client certificate
(test_tls.py's stand-in answering like Airflow 2.10.5, with a CA made for the test):
--ca-bundle, --cert/--key, --insecure, and the same in a fleet file and a context."""

from __future__ import annotations

import json
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from unit.test_tls import RUN_ID, serve

from airflow_bridge.cli import cli

trustme = pytest.importorskip("trustme")


@pytest.fixture
def pki(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A CA (its PEM), a client certificate and key it issued, and an HTTPS server that
    refuses clients without such a certificate."""
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    ca.configure_trust(context)
    context.verify_mode = ssl.CERT_REQUIRED
    server, seen = serve(context)
    client = ca.issue_cert("bridge-cli@example.com")
    files = {"ca": tmp_path / "ca.pem", "cert": tmp_path / "me.pem", "key": tmp_path / "me.key"}
    ca.cert_pem.write_to_path(str(files["ca"]))
    client.cert_chain_pems[0].write_to_path(str(files["cert"]))
    client.private_key_pem.write_to_path(str(files["key"]))
    yield {"url": f"https://127.0.0.1:{server.server_port}", "seen": seen, **files}
    server.shutdown()
    server.server_close()


def get(*options: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(
        cli, [*options, "--api", "v1", "-o", "json", "runs", "get", "bridge_plain", RUN_ID],
        env=env,
    )  # fmt: skip


def test_ca_bundle_and_client_certificate_flags(pki: dict[str, Any]) -> None:
    server = ["--server", pki["url"], "--token", "t"]
    tls = ["--ca-bundle", str(pki["ca"]), "--cert", str(pki["cert"]), "--key", str(pki["key"])]
    done = get(*server, *tls)
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)[0]["run_id"] == RUN_ID
    assert all("bridge-cli@example.com" in str(s["peer"]) for s in pki["seen"])
    answered = len(pki["seen"])
    no_cert = get(*server, "--ca-bundle", str(pki["ca"]))
    assert no_cert.exit_code == 1  # see the xfail below for how it fails
    untrusted = get(*server, "--cert", str(pki["cert"]), "--key", str(pki["key"]))
    assert untrusted.exit_code == 1 and "TransportError" in untrusted.stderr
    assert len(pki["seen"]) == answered  # neither reached the server
    insecure = get(*server, "--insecure", "--cert", str(pki["cert"]), "--key", str(pki["key"]))
    assert insecure.exit_code == 0 and "warning: --insecure" in insecure.stderr


def test_tls_from_a_fleet_file_and_from_the_environment(
    pki: dict[str, Any], tmp_path: Path
) -> None:
    fleet = tmp_path / "fleet.toml"
    fleet.write_text(
        f'[servers.secure]\nurl = "{pki["url"]}"\ntoken = "t"\nverify = "{pki["ca"]}"\n'
        f'cert = "{pki["cert"]}"\nkey = "{pki["key"]}"\n'
    )
    by_file = get("--fleet", str(fleet))
    assert by_file.exit_code == 0, by_file.output
    by_env = get(
        env={
            "AIRFLOW_BRIDGE_SERVER": pki["url"],
            "AIRFLOW_BRIDGE_TOKEN": "t",
            "AIRFLOW_BRIDGE_CA_BUNDLE": str(pki["ca"]),
            "AIRFLOW_BRIDGE_CERT": str(pki["cert"]),
            "AIRFLOW_BRIDGE_KEY": str(pki["key"]),
        }
    )
    assert by_env.exit_code == 0, by_env.output


def test_tls_from_a_context(pki: dict[str, Any], tmp_path: Path) -> None:
    env = {"AIRFLOW_BRIDGE_CONFIG": str(tmp_path / "config.yaml")}
    added = CliRunner().invoke(
        cli,
        ["config", "add", "secure", "--server", pki["url"], "--token-command", "echo t",
         "--ca-bundle", str(pki["ca"]), "--cert", str(pki["cert"]), "--key", str(pki["key"])],
        env=env,
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    done = get(env=env)
    assert done.exit_code == 0, done.output
    assert all("bridge-cli@example.com" in str(s["peer"]) for s in pki["seen"])


def test_a_missing_client_certificate_is_a_transport_error(pki: dict[str, Any]) -> None:
    for _ in range(3):  # the alert races the request: either way it must be a TransportError
        no_cert = get("--server", pki["url"], "--token", "t", "--ca-bundle", str(pki["ca"]))
        assert no_cert.exit_code == 1 and "TransportError" in no_cert.stderr
