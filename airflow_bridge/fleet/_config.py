"""Fleet members described as data: `Server` specs and the TOML file that lists them.

A spec is separate from a client so a fleet file can be read, checked and shown (`repr`,
error messages) without ever exposing a secret: passwords and tokens are read from the file or
from the environment variable a `*_env` key names, and never appear in a repr or a message.
"""

from __future__ import annotations

import importlib
import os
import ssl
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, get_args
from urllib.parse import urlsplit, urlunsplit

import attrs
import httpx

from airflow_bridge import AsyncClient
from airflow_bridge.errors import FleetConfigError as FleetConfigError  # re-exported
from airflow_bridge.types import ApiChoice

#: The `[fleet]` table's keys: fleet-wide defaults, passed to `AsyncFleet(...)`.
FLEET_KEYS = ("timeout", "max_concurrency", "per_server_concurrency")
#: A server's `api` values, as the client takes them: "auto" (detect) or a generation.
API_CHOICES: tuple[ApiChoice, ...] = get_args(ApiChoice)
_SECRET_KEYS = ("username", "password", "token")
_SERVER_KEYS = frozenset(
    ("url", "api", "timeout", "verify", "tags", *_SECRET_KEYS, *(f"{k}_env" for k in _SECRET_KEYS))
)


def _tags(value: Iterable[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


@attrs.frozen
class Server:
    """How to reach one Airflow server: what a fleet file's `[servers.NAME]` table holds.

    A spec, not a client: it can be shown (`repr` hides the password, the token and any
    credentials in the URL) and checked before anything connects. The fleet builds the
    client, and owns and closes it.

    Attributes:
        url: The server's base URL, e.g. `https://airflow.example.com`.
        api: `"auto"` (default) detects the API generation on first use; `"v1"` (Airflow 2)
            or `"v2"` (Airflow 3) skips the probe.
        username: For Airflow 2's basic auth or Airflow 3's token login, with `password`.
        password: The user's password.
        token: A ready-made bearer token, instead of a username and password.
        timeout: Seconds; both the HTTP timeout and this server's deadline for one fleet
            call. None (default): the fleet's timeout.
        verify: TLS verification: True (default), False, the path of a CA bundle, or an
            `ssl.SSLContext`.
        tags: Tags for `fleet.select("tag:NAME")`; a single string is one tag.
        transport: An httpx transport to send through (tests, in-process fakes).
    """

    url: str
    api: ApiChoice = attrs.field(default="auto", kw_only=True)
    username: str | None = attrs.field(default=None, kw_only=True)
    password: str | None = attrs.field(default=None, kw_only=True, repr=False)
    token: str | None = attrs.field(default=None, kw_only=True, repr=False)
    timeout: float | None = attrs.field(default=None, kw_only=True)
    verify: bool | str | ssl.SSLContext = attrs.field(default=True, kw_only=True)
    tags: tuple[str, ...] = attrs.field(default=(), kw_only=True, converter=_tags)
    transport: httpx.AsyncBaseTransport | None = attrs.field(
        default=None, kw_only=True, repr=False, eq=False
    )

    def __repr__(self) -> str:
        shown = [repr(redact_url(self.url))]
        if self.api != "auto":
            shown.append(f"api={self.api!r}")
        if self.username is not None:
            shown.append(f"username={self.username!r}")
        shown += [f"{name}=<hidden>" for name in ("password", "token") if getattr(self, name)]
        if self.tags:
            shown.append(f"tags={self.tags!r}")
        return f"Server({', '.join(shown)})"

    def connect(self, default_timeout: float | None) -> tuple[AsyncClient, httpx.AsyncClient]:
        """A client for this server (what a fleet does with a `Server` member).

        Args:
            default_timeout: Seconds, used when this server has no `timeout` of its own.

        Returns:
            An `AsyncClient` and the httpx client it sends through; the caller closes both
            (the fleet also uses the latter for the unauthenticated health check).
        """
        timeout = self.timeout if self.timeout is not None else default_timeout
        verify = self.verify
        if isinstance(verify, str):  # httpx 0.28 deprecates a path here: a context instead
            verify = ssl.create_default_context(cafile=verify)
        http = httpx.AsyncClient(timeout=timeout, verify=verify, transport=self.transport)
        client = AsyncClient(
            self.url,
            username=self.username,
            password=self.password,
            token=self.token,
            api=self.api,
            http_client=http,
        )
        return client, http


def redact_url(url: str) -> str:
    """The URL without any `user:password@` part, for display.

    Args:
        url: A URL, with or without credentials.

    Returns:
        The same URL without them.
    """
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


@attrs.frozen
class FleetFile:
    """A parsed fleet file.

    Attributes:
        servers: Server name -> its `Server` spec, in file order.
        settings: The `[fleet]` table's defaults (`timeout`, `max_concurrency`,
            `per_server_concurrency`), as `AsyncFleet(...)` takes them.
    """

    servers: Mapping[str, Server]
    settings: Mapping[str, Any]


def load_fleet_file(
    path: str | os.PathLike[str], env: Mapping[str, str] | None = None
) -> FleetFile:
    """Read and check a fleet file.

    Args:
        path: The TOML file.
        env: Where the `*_env` keys' variables are read; None (default): `os.environ`.

    Returns:
        The servers and the `[fleet]` settings.

    Raises:
        FleetConfigError: The file cannot be read, is not TOML, or has a wrong or missing
            key, or names an environment variable that is not set; the message names the
            file, the server and the key at fault (never a secret).

    The format:

    ```toml
    [fleet]                      # optional defaults
    timeout = 30                 # seconds each server may take per call
    max_concurrency = 64         # servers queried at once
    per_server_concurrency = 4   # calls in flight to one server

    [servers.legacy]
    url = "https://airflow2.example.com"
    username = "admin"
    password_env = "LEGACY_AIRFLOW_PASSWORD"   # the secret stays out of the file
    tags = ["eu", "airflow2"]

    [servers.prod]
    url = "https://airflow3.example.com"
    api = "v2"                   # skip detection
    token_env = "PROD_AIRFLOW_TOKEN"
    verify = "/etc/ssl/company-ca.pem"
    timeout = 10
    ```
    """
    where = str(path)
    env = os.environ if env is None else env
    toml = _toml()
    try:
        data = toml.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise FleetConfigError(f"{where}: cannot read the fleet file ({exc.strerror})") from exc
    except (toml.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise FleetConfigError(f"{where}: not valid TOML ({exc})") from exc
    unknown = set(data) - {"fleet", "servers"}
    if unknown:
        raise FleetConfigError(
            f"{where}: unknown top-level key {sorted(unknown)[0]!r} (expected [fleet], [servers])"
        )
    settings = _fleet_settings(where, data.get("fleet", {}))
    tables = data.get("servers")
    if not isinstance(tables, dict) or not tables:
        raise FleetConfigError(f"{where}: no servers (add a [servers.NAME] table with a url)")
    servers = {name: _server(where, name, table, env) for name, table in tables.items()}
    return FleetFile(servers=servers, settings=settings)


def _toml() -> Any:
    """The standard library's TOML reader; on Python 3.10, its backport `tomli` (same API)."""
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib
    return importlib.import_module("tomli")


def _fleet_settings(where: str, table: Any) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise FleetConfigError(f"{where}: [fleet] must be a table")
    for key, value in table.items():
        if key not in FLEET_KEYS:
            raise FleetConfigError(
                f"{where}: [fleet]: unknown key {key!r} (known: {', '.join(FLEET_KEYS)})"
            )
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise FleetConfigError(f"{where}: [fleet]: key {key!r} must be a positive number")
        if key != "timeout" and not isinstance(value, int):
            raise FleetConfigError(f"{where}: [fleet]: key {key!r} must be a whole number")
    return dict(table)


def _server(where: str, name: str, table: Any, env: Mapping[str, str]) -> Server:
    def fail(key: str, problem: str) -> FleetConfigError:
        return FleetConfigError(f"{where}: server {name!r}: key {key!r}: {problem}")

    if not isinstance(table, dict):
        raise FleetConfigError(f"{where}: server {name!r}: must be a table ([servers.{name}])")
    for key in table:
        if key not in _SERVER_KEYS:
            raise fail(key, f"unknown key (known: {', '.join(sorted(_SERVER_KEYS))})")
    url = table.get("url")
    if not isinstance(url, str) or not url:
        raise fail("url", "required: the server's base URL, e.g. https://airflow.example.com")
    secrets = {key: _secret(table, key, env, fail) for key in _SECRET_KEYS}
    values: dict[str, Any] = {"api": table.get("api", "auto"), **secrets}
    if values["api"] not in API_CHOICES:
        *others, last = map(repr, API_CHOICES)
        raise fail("api", f"must be {', '.join(others)} or {last}")
    if "timeout" in table:
        timeout = table["timeout"]
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
            raise fail("timeout", "must be a positive number of seconds")
        values["timeout"] = float(timeout)
    if "verify" in table:
        if not isinstance(table["verify"], bool | str):
            raise fail("verify", "must be true, false or the path of a CA bundle")
        values["verify"] = table["verify"]
    if "tags" in table:
        tags = table["tags"]
        if not isinstance(tags, list) or not all(isinstance(t, str) and t for t in tags):
            raise fail("tags", "must be a list of strings")
        values["tags"] = tags
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise fail("url", "must be an http(s) URL such as https://airflow.example.com")
    if (secrets["username"] is None) != (secrets["password"] is None):
        raise fail(
            "password" if secrets["username"] else "username", "username and password go together"
        )
    if secrets["token"] is not None and secrets["username"] is not None:
        raise fail("token", "give username/password or a token, not both")
    return Server(url, **values)


def _secret(
    table: Mapping[str, Any],
    key: str,
    env: Mapping[str, str],
    fail: Callable[[str, str], FleetConfigError],
) -> str | None:
    """`key` from the table, or from the environment variable `key_env` names (not both)."""
    env_key = f"{key}_env"
    if key in table and env_key in table:
        raise fail(key, f"give {key} or {env_key}, not both")
    if env_key in table:
        variable = table[env_key]
        if not isinstance(variable, str) or not variable:
            raise fail(env_key, "must name an environment variable")
        if variable not in env:
            raise fail(env_key, f"environment variable {variable} is not set")
        return env[variable]
    value = table.get(key)
    if value is not None and not isinstance(value, str):
        raise fail(key, "must be a string")
    return value
