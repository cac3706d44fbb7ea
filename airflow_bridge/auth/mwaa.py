"""Amazon MWAA (the `aws` extra: boto3), two ways in, both with the caller's AWS identity.

- `MWAAAuth`: `CreateWebLoginToken`, then the web server's login endpoint exchanges that
  60-second token for a session cookie, sent with every API request; a refused session (401)
  is replaced by a new login once. Use with the environment's web server URL as base URL.
- `MWAATransport`: `InvokeRestApi`, which proxies one REST API call through the MWAA service
  API (no network path to the web server needed). An httpx transport for `transport=`: each
  request becomes one `invoke_rest_api` call, and its status and JSON body come back as the
  response, so the facade and its error mapping work unchanged.

boto3 does its own (blocking) I/O; under `AsyncClient` it runs in a worker thread. Region,
profile and credentials resolve as boto3's do (arguments, then environment and config files).
"""

from __future__ import annotations

import json
from typing import Any

import anyio.to_thread
import httpx

from airflow_bridge.auth._extras import require
from airflow_bridge.auth._refresh import (
    Credential,
    CredentialsUnavailable,
    LoginFlow,
    Offload,
    RefreshingAuth,
)
from airflow_bridge.errors import AuthenticationError, InvalidArgument


def _mwaa_client(region: str | None, profile: str | None, client: Any) -> Any:
    if client is not None:
        return client
    boto3 = require("boto3", extra="aws", scheme="MWAA")
    return boto3.session.Session(profile_name=profile, region_name=region).client("mwaa")


def _check_name(environment: str) -> None:
    # MWAA's own pattern for environment names: refused before any AWS call
    if not environment or not environment[0].isalpha() or len(environment) > 80:
        raise InvalidArgument(f"not an MWAA environment name: {environment!r}")


def _aws_error(error: Exception, action: str, environment: str) -> CredentialsUnavailable:
    """An AWS failure named by its code (AccessDeniedException, ...), never a credential."""
    code = getattr(error, "response", {}).get("Error", {}).get("Code") or type(error).__name__
    return CredentialsUnavailable(
        f"AWS refused {action} for MWAA environment {environment!r}: {code}"
    )


class MWAAAuth(RefreshingAuth):
    """A session on an MWAA web server from a web login token (Airflow 2 environments).

    Args:
        environment: The MWAA environment name.
        region: The AWS region (default: boto3's resolution).
        profile: An AWS config/credentials profile (default: boto3's resolution).
        client: A ready boto3 MWAA client (instead of region/profile).
        login_url: Where to exchange the web login token (default:
            `https://{WebServerHostname}/aws_mwaa/login`, AWS's documented endpoint for
            Airflow 2 environments).
        cookie: The session cookie's name (`session` on Airflow 2 environments).

    A session has no known expiry: it is kept until the web server refuses it (401), then
    replaced once.

    Raises:
        MissingExtra: boto3 is not installed (`pip install 'airflow-bridge[aws]'`).
        InvalidArgument: Not an MWAA environment name.
    """

    def __init__(
        self,
        environment: str,
        *,
        region: str | None = None,
        profile: str | None = None,
        client: Any = None,
        login_url: str | None = None,
        cookie: str = "session",
    ) -> None:
        super().__init__()
        _check_name(environment)
        self.environment = environment
        self._client = _mwaa_client(region, profile, client)
        self._login_url = login_url
        self._cookie = cookie
        self.identity: str | None = None  # the IAM identity of the last login

    def __repr__(self) -> str:
        return f"MWAAAuth(environment={self.environment!r}, identity={self.identity!r})"

    def _web_login_token(self) -> dict[str, Any]:
        try:
            answer: dict[str, Any] = self._client.create_web_login_token(Name=self.environment)
        except Exception as error:
            raise _aws_error(error, "CreateWebLoginToken", self.environment) from error
        return answer

    def _login(self, current: Credential | None) -> LoginFlow:
        answer: dict[str, Any] = yield Offload(self._web_login_token)
        self.identity = answer.get("IamIdentity")
        url = self._login_url or f"https://{answer['WebServerHostname']}/aws_mwaa/login"
        response = yield httpx.Request("POST", url, data={"token": answer["WebToken"]})
        session = response.cookies.get(self._cookie)
        if response.status_code >= 400 or not session:
            raise AuthenticationError(
                f"the MWAA web server did not open a session for {self.identity or 'the caller'}"
                f" (no {self._cookie!r} cookie in the answer)",
                status=response.status_code,
                method="POST",
                url=url,
            )
        return Credential(session)

    def _apply(self, request: httpx.Request, credential: Credential) -> httpx.Request:
        request.headers["Cookie"] = f"{self._cookie}={credential.value}"
        return request


class MWAATransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Sends each API request through MWAA's `InvokeRestApi`, for `transport=`.

    Use `MWAATransport.base_url` as the client's base URL (a placeholder the transport
    intercepts; it is never resolved). The environment's Airflow version is read once
    (`GetEnvironment`): requests for the other API generation are answered 404, as that
    generation's servers do, so version detection works unchanged.

    Args:
        environment: The MWAA environment name.
        region: The AWS region (default: boto3's resolution).
        profile: An AWS config/credentials profile.
        client: A ready boto3 MWAA client (instead of region/profile).

    Raises:
        MissingExtra: boto3 is not installed.
        InvalidArgument: Not an MWAA environment name.
    """

    base_url = "https://invoke-rest-api.mwaa.invalid"

    def __init__(
        self,
        environment: str,
        *,
        region: str | None = None,
        profile: str | None = None,
        client: Any = None,
    ) -> None:
        _check_name(environment)
        self.environment = environment
        self._client = _mwaa_client(region, profile, client)
        self._prefix: str | None = None

    def __repr__(self) -> str:
        return f"MWAATransport(environment={self.environment!r})"

    def _api_prefix(self) -> str:
        if self._prefix is None:
            try:
                env = self._client.get_environment(Name=self.environment)["Environment"]
            except Exception as error:
                raise _aws_error(error, "GetEnvironment", self.environment) from error
            major = str(env.get("AirflowVersion", "2")).split(".")[0]
            self._prefix = "/api/v1" if major == "2" else "/api/v2"
        return self._prefix

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        return self._invoke(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        return await anyio.to_thread.run_sync(self._invoke, request)

    def _invoke(self, request: httpx.Request) -> httpx.Response:
        prefix = self._api_prefix()
        path = request.url.path
        if not path.startswith(prefix + "/"):
            return _response(request, 404, {"detail": "Not Found"})
        params: dict[str, Any] = {
            "Name": self.environment,
            "Path": path[len(prefix) :],
            "Method": request.method,
        }
        query: dict[str, Any] = {}
        for key, value in request.url.params.multi_items():
            query.setdefault(key, []).append(value)
        if query:
            params["QueryParameters"] = {k: v[0] if len(v) == 1 else v for k, v in query.items()}
        if request.content:
            params["Body"] = json.loads(request.content)
        try:
            answer = self._client.invoke_rest_api(**params)
        except Exception as error:
            reply = getattr(error, "response", None)
            if isinstance(reply, dict) and "RestApiStatusCode" in reply:
                # Airflow answered 4xx/5xx: pass its answer on as it was
                return _response(request, reply["RestApiStatusCode"], reply.get("RestApiResponse"))
            raise _aws_error(error, "InvokeRestApi", self.environment) from error
        return _response(request, answer["RestApiStatusCode"], answer.get("RestApiResponse"))


def _response(request: httpx.Request, status: int, body: Any) -> httpx.Response:
    content = b"" if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"} if content else {}
    return httpx.Response(status, content=content, headers=headers, request=request)
