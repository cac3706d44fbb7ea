"""OAuth2 / Keycloak: the full token lifecycle against a loopback token endpoint and an
Airflow stand-in that verifies every token (signature, audience, expiry).

Proves: both grants; one login for many concurrent requests (threads and asyncio tasks);
renewal before expiry (with the margin) by the refresh grant, and a full login when the
refresh token is refused; one re-login on a 401 and no second retry; errors that name the
problem without the secrets; argument errors before anything is sent.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

import anyio
import jwt
import pytest
from standins import Gateway, TokenEndpoint, serving, verify_hs256

from airflow_bridge import AsyncClient, Client
from airflow_bridge.auth import KeycloakAuth, OAuth2Auth
from airflow_bridge.errors import AuthenticationError, InvalidArgument

SECRET = "client-secret-s3cr3t"
PASSWORD = "user-password-pa55"


class Clock:
    """Wall time plus a shift the test controls (the auth's view of time only)."""

    def __init__(self) -> None:
        self.shift = 0.0

    def __call__(self) -> float:
        return time.time() + self.shift


@pytest.fixture
def idp() -> Iterator[tuple[TokenEndpoint, Gateway]]:
    endpoint = TokenEndpoint(clients={"airflow-bridge": SECRET}, users={"ada": PASSWORD})
    gateway = Gateway(verify_hs256())
    with serving(endpoint, gateway):
        yield endpoint, gateway


def client(gateway: Gateway, auth: OAuth2Auth) -> Client:
    return Client(gateway.url, auth=auth)


def test_client_credentials_token_is_fetched_once_and_sent(
    idp: tuple[TokenEndpoint, Gateway],
) -> None:
    endpoint, gateway = idp
    auth = OAuth2Auth(endpoint.token_url, client_id="airflow-bridge", client_secret=SECRET)
    with client(gateway, auth) as c:
        run = c.dag_runs.trigger("bridge_plain")
        assert [r.run_id for r in c.dag_runs.list("bridge_plain")] == [run.run_id]
    assert endpoint.grants == ["client_credentials"]
    assert set(gateway.statuses) == {200}
    assert len(set(gateway.tokens)) == 1


def test_keycloak_password_grant_at_the_realm_endpoint(idp: tuple[TokenEndpoint, Gateway]) -> None:
    endpoint, gateway = idp
    auth = KeycloakAuth(
        endpoint.url,
        "ops",
        client_id="airflow-bridge",
        client_secret=SECRET,
        username="ada",
        password=PASSWORD,
        client_auth="post",
    )
    assert auth.token_url == f"{endpoint.url}/realms/ops/protocol/openid-connect/token"
    auth.token_url = endpoint.token_url  # the stand-in serves one path
    with client(gateway, auth) as c:
        c.dag_runs.list("bridge_plain")
    assert endpoint.grants == ["password"]
    assert endpoint.forms[0]["client_secret"] == SECRET  # client_auth="post"


def test_many_threads_share_one_login(idp: tuple[TokenEndpoint, Gateway]) -> None:
    endpoint, gateway = idp
    endpoint.delay = 0.3  # every thread arrives while the login is in flight
    auth = OAuth2Auth(endpoint.token_url, client_id="airflow-bridge", client_secret=SECRET)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            with client(gateway, auth) as c:
                c.dag_runs.list("bridge_plain")
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert endpoint.grants == ["client_credentials"]
    assert set(gateway.statuses) == {200}
    assert len(gateway.statuses) >= 8


def test_many_tasks_share_one_login(idp: tuple[TokenEndpoint, Gateway]) -> None:
    endpoint, gateway = idp
    endpoint.delay = 0.3
    auth = OAuth2Auth(endpoint.token_url, client_id="airflow-bridge", client_secret=SECRET)

    async def main() -> None:
        c = AsyncClient(gateway.url, auth=auth)
        async with c, anyio.create_task_group() as tasks:
            for _ in range(8):
                tasks.start_soon(c.dag_runs.list, "bridge_plain")

    anyio.run(main)
    assert endpoint.grants == ["client_credentials"]
    assert set(gateway.statuses) == {200}
    assert len(gateway.statuses) >= 8


def test_renewed_before_expiry_by_the_refresh_grant_then_by_a_login(
    idp: tuple[TokenEndpoint, Gateway],
) -> None:
    endpoint, gateway = idp
    clock = Clock()
    auth = OAuth2Auth(
        endpoint.token_url,
        client_id="airflow-bridge",
        client_secret=SECRET,
        username="ada",
        password=PASSWORD,
        refresh_margin=30,
        clock=clock,
    )
    with client(gateway, auth) as c:
        c.dag_runs.list("bridge_plain")
        clock.shift = endpoint.lifetime - 40  # 10 s outside the margin (a slow machine too)
        c.dag_runs.list("bridge_plain")
        assert endpoint.grants == ["password"]
        clock.shift = endpoint.lifetime - 20  # inside the margin: renewed before sending
        c.dag_runs.list("bridge_plain")
        assert endpoint.grants == ["password", "refresh_token"]
        clock.shift += endpoint.refresh_lifetime or 0  # the refresh token has expired too
        c.dag_runs.list("bridge_plain")
        assert endpoint.grants == ["password", "refresh_token", "password"]
    assert 401 not in gateway.statuses  # no request ever went out with an expiring token


def test_a_refused_refresh_token_falls_back_to_a_login(idp: tuple[TokenEndpoint, Gateway]) -> None:
    endpoint, gateway = idp
    clock = Clock()
    auth = OAuth2Auth(
        endpoint.token_url,
        client_id="airflow-bridge",
        client_secret=SECRET,
        username="ada",
        password=PASSWORD,
        clock=clock,
    )
    with client(gateway, auth) as c:
        c.dag_runs.list("bridge_plain")
        endpoint._refresh_tokens.clear()  # the server ended the session
        clock.shift = endpoint.lifetime
        c.dag_runs.list("bridge_plain")
    assert endpoint.refused == ["refresh_token"]
    assert endpoint.grants == ["password", "password"]


def test_a_401_logs_in_again_once_and_retries(idp: tuple[TokenEndpoint, Gateway]) -> None:
    endpoint, gateway = idp
    auth = OAuth2Auth(endpoint.token_url, client_id="airflow-bridge", client_secret=SECRET)
    with client(gateway, auth) as c:
        c.dag_runs.list("bridge_plain")
        gateway.revoke()
        c.dag_runs.list("bridge_plain")
    assert endpoint.grants == ["client_credentials", "client_credentials"]
    assert gateway.statuses.count(401) == 1
    assert gateway.statuses[gateway.statuses.index(401) + 1] == 200  # the same request, retried


def test_a_server_that_keeps_refusing_gets_one_retry_then_an_error(
    idp: tuple[TokenEndpoint, Gateway],
) -> None:
    endpoint, gateway = idp
    gateway.verify = lambda token: jwt.decode(token, "another key", algorithms=["HS256"])
    auth = OAuth2Auth(endpoint.token_url, client_id="airflow-bridge", client_secret=SECRET)
    # api= given: the API call's own retry (detection's is test_auth_google's audience test)
    c = Client(gateway.url, auth=auth, api="v1")
    with c, pytest.raises(AuthenticationError, match="check the credentials given as auth="):
        c.dag_runs.list("bridge_plain")
    assert gateway.statuses == [401, 401]
    assert len(endpoint.grants) == 2


def test_refused_client_credentials_name_the_error_not_the_secret(
    idp: tuple[TokenEndpoint, Gateway], caplog: pytest.LogCaptureFixture
) -> None:
    endpoint, gateway = idp
    wrong = "wrong-secret-w4t3r"
    auth = OAuth2Auth(endpoint.token_url, client_id="airflow-bridge", client_secret=wrong)
    caplog.set_level(logging.DEBUG)
    with client(gateway, auth) as c, pytest.raises(AuthenticationError) as refused:
        c.dag_runs.list("bridge_plain")
    assert refused.value.status == 401
    assert refused.value.url == endpoint.token_url
    assert "invalid_client" in str(refused.value)
    for text in (str(refused.value), repr(refused.value), repr(auth), caplog.text):
        assert wrong not in text
    assert gateway.statuses == []  # nothing reached the server without a token


def test_secrets_and_tokens_are_in_no_repr_or_log(
    idp: tuple[TokenEndpoint, Gateway], caplog: pytest.LogCaptureFixture
) -> None:
    endpoint, gateway = idp
    caplog.set_level(logging.DEBUG)
    auth = OAuth2Auth(
        endpoint.token_url,
        client_id="airflow-bridge",
        client_secret=SECRET,
        username="ada",
        password=PASSWORD,
    )
    with client(gateway, auth) as c:
        c.dag_runs.list("bridge_plain")
    token = gateway.tokens[-1]
    credential = auth._credential
    assert credential is not None and credential.value == token
    for text in (repr(auth), repr(credential), caplog.text):
        for secret in (SECRET, PASSWORD, token, credential.refresh_token or "?"):
            assert secret not in text


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"client_id": "c"}, "client_secret="),
        ({"client_id": "c", "username": "ada"}, "both username= and password="),
        ({"client_id": "c", "client_secret": "s", "client_auth": "jwt"}, "client_auth"),
    ],
)
def test_wrong_arguments_fail_before_anything_is_sent(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        OAuth2Auth("https://idp.example/token", **kwargs)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="absolute"):
        OAuth2Auth("idp.example/token", client_id="c", client_secret="s")
    with pytest.raises(InvalidArgument, match="realm"):
        KeycloakAuth("https://kc.example", "a/b", client_id="c", client_secret="s")
