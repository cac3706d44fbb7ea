"""`Configuration` and `ApiClient` of both compat layers: they only gather what the facade's
`Client` needs (URL, credentials, TLS, headers, timeout) and own one `Client`.

Credentials work on either generation, whichever layer is used: username/password become
HTTP Basic on Airflow 2 and a token login on Airflow 3 (the facade decides after detecting
the server); `access_token` is sent as a bearer token.
"""

from __future__ import annotations

import ssl
from types import TracebackType
from typing import TYPE_CHECKING, Any

import httpx

from airflow_bridge import Client
from airflow_bridge.compat._errors import ApiValueError

if TYPE_CHECKING:
    from typing_extensions import Self


class Configuration:
    """The connection settings, under the official clients' attribute names.

    `host` is the server URL; a trailing `/api/v1` or `/api/v2` is fine on either generation.
    """

    _default_host = "http://localhost"

    def __init__(
        self,
        host: str | None = None,
        api_key: Any = None,
        api_key_prefix: Any = None,
        access_token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        ssl_ca_cert: str | None = None,
        **_ignored: Any,
    ) -> None:
        if api_key:
            raise ApiValueError("api_key is not an Airflow auth scheme: use access_token")
        self.host = host or self._default_host
        self.access_token = access_token
        self.username = username
        self.password = password
        self.ssl_ca_cert = ssl_ca_cert
        self.verify_ssl = True
        # The official clients wait without a limit; this layer waits at most this long.
        self.timeout: float = 300.0
        #: airflow_bridge's own addition: an httpx transport for the client underneath, e.g.
        #: `FakeAirflow.transport()` in tests.
        self.transport: httpx.BaseTransport | None = None

    def __repr__(self) -> str:  # never the secrets
        return f"{type(self).__name__}(host={self.host!r}, username={self.username!r})"

    def client(self, headers: dict[str, str]) -> Client:
        """The facade client for these settings."""
        if self.access_token and self.username:
            raise ApiValueError("give access_token or username/password, not both")
        # a CA bundle as the SSLContext httpx wants (its path form is deprecated in 0.28)
        verify: bool | ssl.SSLContext = self.verify_ssl
        if self.ssl_ca_cert:
            verify = ssl.create_default_context(cafile=self.ssl_ca_cert)
        try:
            return Client(
                self.host,
                username=self.username,
                password=self.password,
                token=self.access_token or None,
                verify=verify,
                timeout=self.timeout,
                headers=headers or None,
                transport=self.transport,
            )
        except ValueError as exc:
            raise ApiValueError(f"Configuration: {exc}") from exc


class ApiClient:
    """Owns one facade `Client`; use it as a context manager (or call `close()`)."""

    def __init__(
        self,
        configuration: Configuration | None = None,
        header_name: str | None = None,
        header_value: str | None = None,
        cookie: str | None = None,
        **_ignored: Any,
    ) -> None:
        self.configuration = configuration or self._configuration_class()()
        self.default_headers: dict[str, str] = {}
        if header_name is not None and header_value is not None:
            self.default_headers[header_name] = header_value
        if cookie is not None:
            self.default_headers["Cookie"] = cookie
        self._client: Client | None = None

    @staticmethod
    def _configuration_class() -> type[Configuration]:
        return Configuration

    def set_default_header(self, header_name: str, header_value: str) -> None:
        if self._client is not None:
            raise ApiValueError("set headers before the first call")
        self.default_headers[header_name] = header_value

    @property
    def bridge(self) -> Client:
        """The airflow_bridge `Client` underneath (built on first use)."""
        if self._client is None:
            self._client = self.configuration.client(self.default_headers)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
