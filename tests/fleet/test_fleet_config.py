"""Fleet files: TOML read with the standard library, secrets from the environment, exact errors."""

from __future__ import annotations

import warnings
from pathlib import Path

import certifi
import httpx
import pytest

from airflow_bridge._body_limit import BodyLimit
from airflow_bridge.errors import InsecureCredentialsWarning
from airflow_bridge.fleet import AsyncFleet, Fleet, FleetConfigError, Server, load_fleet_file

GOOD = """
[fleet]
timeout = 12.5
max_concurrency = 8

[servers.legacy]
url = "http://airflow2.internal:8080"
username = "admin"
password_env = "LEGACY_PW"
tags = ["eu", "airflow2"]

[servers.prod]
url = "https://airflow3.internal"
api = "v2"
token_env = "PROD_TOKEN"
verify = false
timeout = 3
tags = ["eu"]
"""
ENV = {"LEGACY_PW": "pw-from-env", "PROD_TOKEN": "tok-from-env"}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "fleet.toml"
    path.write_text(text)
    return path


def test_reads_servers_settings_and_secrets_from_the_environment(tmp_path: Path) -> None:
    parsed = load_fleet_file(write(tmp_path, GOOD), ENV)
    assert parsed.settings == {"timeout": 12.5, "max_concurrency": 8}
    assert list(parsed.servers) == ["legacy", "prod"]
    legacy, prod = parsed.servers["legacy"], parsed.servers["prod"]
    assert (legacy.username, legacy.password, legacy.tags) == (
        "admin",
        "pw-from-env",
        ("eu", "airflow2"),
    )
    assert (prod.token, prod.api, prod.verify, prod.timeout) == ("tok-from-env", "v2", False, 3.0)
    shown = repr(parsed)
    assert "pw-from-env" not in shown and "tok-from-env" not in shown
    assert "password=<hidden>" in repr(legacy)


def test_fleet_from_file_keeps_order_tags_and_deadlines(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    with pytest.warns(InsecureCredentialsWarning, match="airflow2.internal"):
        fleet = AsyncFleet.from_file(path, env=ENV)
    assert fleet.names == ("legacy", "prod")
    assert fleet.tags == {"legacy": ("eu", "airflow2"), "prod": ("eu",)}
    assert fleet.urls["prod"] == "https://airflow3.internal"
    assert [m.timeout for m in fleet._core.members] == [12.5, 3.0]
    # legacy's password goes over plain http to another host: the fleet says so when it
    # connects (InsecureCredentialsWarning), as a Client would
    with (
        pytest.warns(InsecureCredentialsWarning, match="airflow2.internal"),
        Fleet.from_file(path, env=ENV) as sync_fleet,
    ):
        assert sync_fleet.select("tag:airflow2").names == ("legacy",)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[servers.a]\nurl = 'http://a'\ncolour = 1", "server 'a': key 'colour': unknown key"),
        ("[servers.a]\napi = 'v2'", "server 'a': key 'url': required"),
        ("[servers.a]\nurl = 'ftp://a'", "server 'a': key 'url': must be an http(s) URL"),
        ("[servers.a]\nurl = 'http://a'\napi = 'v3'", "key 'api': must be 'auto', 'v1' or 'v2'"),
        (
            "[servers.a]\nurl = 'http://a'\npassword = 'x'\npassword_env = 'Y'",
            "key 'password': give password or password_env, not both",
        ),
        (
            "[servers.a]\nurl = 'http://a'\ntoken_env = 'NOT_SET_ANYWHERE'",
            "key 'token_env': environment variable NOT_SET_ANYWHERE is not set",
        ),
        (
            "[servers.a]\nurl = 'http://a'\nusername = 'u'",
            "key 'password': username and password go together",
        ),
        (
            "[servers.a]\nurl = 'http://a'\ntoken = 't'\nusername = 'u'\npassword = 'p'",
            "key 'token': give username/password or a token, not both",
        ),
        ("[servers.a]\nurl = 'http://a'\ntags = 'eu'", "key 'tags': must be a list of strings"),
        ("[servers.a]\nurl = 'http://a'\ntimeout = -1", "key 'timeout': must be a positive"),
        ("[servers.a]\nurl = 'http://a'\nverify = 3", "key 'verify': must be true, false"),
        ("[fleet]\nretry = 3\n[servers.a]\nurl = 'http://a'", "[fleet]: unknown key 'retry'"),
        ("[fleet]\nretries = -1\n[servers.a]\nurl = 'http://a'", "[fleet]: key 'retries' must"),
        ("[fleet]\nmax_concurrency = 2.5\n[servers.a]\nurl='http://a'", "must be a whole number"),
        ("[fleet]\ntimeout = 5", "no servers"),
        ("servers = 3", "no servers"),
        ("[servers.a]\nurl = ", "not valid TOML"),
        ("[server.a]\nurl = 'http://a'", "unknown top-level key 'server'"),
    ],
)
def test_errors_name_the_file_the_server_and_the_key(
    tmp_path: Path, text: str, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(FleetConfigError) as caught:
        load_fleet_file(path, {})
    assert str(caught.value).startswith(str(path))
    assert message in str(caught.value)


def test_secret_values_never_appear_in_errors(tmp_path: Path) -> None:
    text = "[servers.a]\nurl = 'http://a'\npassword = 'hunter2'\ntoken = 'tok-secret'"
    with pytest.raises(FleetConfigError) as caught:
        load_fleet_file(write(tmp_path, text), {})
    assert "hunter2" not in str(caught.value) and "tok-secret" not in str(caught.value)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(FleetConfigError, match="cannot read the fleet file"):
        load_fleet_file(tmp_path / "nope.toml")


def test_server_spec_tags_accept_one_string() -> None:
    assert Server("http://a", tags="eu").tags == ("eu",)


@pytest.mark.anyio
async def test_a_ca_bundle_path_becomes_an_ssl_context_without_httpx_deprecation() -> None:
    """httpx 0.28 deprecates `verify="path"` (a warning, an error under this suite's
    filterwarnings); a fleet file's CA bundle path is loaded into an SSLContext instead."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        client, http = Server("https://a.example", verify=certifi.where()).connect(5.0)
    async with client, http:
        pass
    with pytest.raises(FileNotFoundError):
        Server("https://a.example", verify="/nonexistent/ca.pem").connect(5.0)


def test_credentials_in_the_url_show_as_password_auth() -> None:
    from airflow_bridge.fleet import Server

    assert Server(url="https://admin:admin@airflow.example").auth_name == "password"
    assert Server(url="https://airflow.example").auth_name == "none"


def test_a_member_trusts_content_length_only_over_httpx_own_transport() -> None:
    """As a Client does (tests/unit/test_bodies.py): h11 holds a body to its declared length,
    a transport the caller gives need not."""
    given = httpx.MockTransport(lambda request: httpx.Response(200))
    for transport, trusted in ((None, True), (given, False)):
        member = Server("http://airflow.example:8080", transport=transport)
        _, http = member.connect(10)
        (hook,) = http.event_hooks["response"]
        assert isinstance(hook, BodyLimit) and hook.trust_length is trusted
