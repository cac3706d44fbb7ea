"""Fleet members described as data: `Server` specs and the TOML file that lists them.

A spec is separate from a client so a fleet file can be read, checked and shown (`repr`,
error messages) without ever exposing a secret: passwords and tokens are read from the file or
from the environment variable a `*_env` key names, and never appear in a repr or a message.
"""

from __future__ import annotations

import importlib
import os
import shlex
import ssl
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, get_args
from urllib.parse import urlsplit, urlunsplit

import attrs
import httpx

from airflow_bridge import AsyncClient
from airflow_bridge._body_limit import DEFAULT_MAX_BODY, BodyLimit
from airflow_bridge._env import tls_context as tls_context  # re-exported for the CLI
from airflow_bridge._secrets import warn_if_plain_http
from airflow_bridge.errors import AirflowBridgeError, InvalidArgument
from airflow_bridge.errors import FleetConfigError as FleetConfigError  # re-exported
from airflow_bridge.retries import DEFAULT_MAX_CONCURRENCY, RetryPolicy
from airflow_bridge.types import ApiChoice

#: The `[fleet]` table's keys: fleet-wide defaults, passed to `AsyncFleet(...)`.
FLEET_KEYS = ("timeout", "max_concurrency", "per_server_concurrency", "retries")
#: What `retries` may be as a table: `RetryPolicy`'s numbers.
_RETRY_KEYS = ("attempts", "deadline", "backoff", "max_backoff", "max_retry_after")
#: A server's `api` values, as the client takes them: "auto" (detect) or a generation.
API_CHOICES: tuple[ApiChoice, ...] = get_args(ApiChoice)
_SECRET_KEYS = ("username", "password", "token")
#: The `auth` key's values: the schemes of `airflow_bridge.auth`, built when selected.
AUTH_SCHEMES = ("basic", "kerberos", "google", "keycloak", "mwaa", "token-command")
_SERVER_KEYS = frozenset(
    (
        "url",
        "api",
        "timeout",
        "verify",
        "cert",
        "key",
        "tags",
        "auth",
        "auth_options",
        "password_command",
        "token_command",
        "keyring",
        *_SECRET_KEYS,
        *(f"{k}_env" for k in _SECRET_KEYS),
    )
)
#: The keyring service a password is stored under: one entry per server URL and user.
KEYRING_SERVICE = "airflow-bridge {url}"


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
        cert: A client certificate (PEM path) for mutual TLS, or (certificate, key) paths.
        auth: An `httpx.Auth` (a scheme of `airflow_bridge.auth`) instead of a username and
            password or a token.
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
    cert: str | tuple[str, str] | None = attrs.field(default=None, kw_only=True)
    auth: httpx.Auth | None = attrs.field(default=None, kw_only=True, repr=False, eq=False)
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
        if self.auth is not None:
            shown.append(f"auth={type(self.auth).__name__}")
        if self.tags:
            shown.append(f"tags={self.tags!r}")
        return f"Server({', '.join(shown)})"

    def connect(
        self,
        default_timeout: float | None,
        *,
        retries: RetryPolicy | int | None = None,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
    ) -> tuple[AsyncClient, httpx.AsyncClient]:
        """A client for this server (what a fleet does with a `Server` member).

        Args:
            default_timeout: Seconds, used when this server has no `timeout` of its own.
            retries: The client's retry policy (`AsyncClient`'s `retries=`).
            max_concurrency: The client's bound on requests in flight to this server.

        Returns:
            An `AsyncClient` and the httpx client it sends through; the caller closes both
            (the fleet also uses the latter for the unauthenticated health check).
        """
        timeout = self.timeout if self.timeout is not None else default_timeout
        if self.transport is None and (self.username is not None or self.token is not None):
            warn_if_plain_http(self.url, self.username)
        http = httpx.AsyncClient(
            timeout=timeout,
            verify=tls_context(self.verify, self.cert),
            transport=self.transport,
            # the bound a client puts on its own httpx client (see AsyncClient's max_body);
            # a Content-Length is trusted only over httpx's own transport (h11 holds to it)
            event_hooks={
                "response": [BodyLimit(DEFAULT_MAX_BODY, trust_length=self.transport is None)]
            },
        )
        client = AsyncClient(
            self.url,
            username=self.username,
            password=self.password,
            token=self.token,
            auth=self.auth,
            api=self.api,
            http_client=http,
            retries=retries,
            max_concurrency=max_concurrency,
        )
        return client, http

    @property
    def auth_name(self) -> str:
        """How this server authenticates, for display: the `auth` scheme's class name,
        "token", "password" (HTTP Basic on Airflow 2, a token login on Airflow 3) or "none"."""
        if self.auth is not None:
            return type(self.auth).__name__
        if self.token is not None:
            return "token"
        in_url = urlsplit(self.url).username is not None  # http://user:password@host
        return "password" if self.username is not None or in_url else "none"


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
            `per_server_concurrency`, `retries`), as `AsyncFleet(...)` takes them.
    """

    servers: Mapping[str, Server]
    settings: Mapping[str, Any]


def load_fleet_file(
    path: str | os.PathLike[str],
    env: Mapping[str, str] | None = None,
    *,
    select: Sequence[str] = (),
) -> FleetFile:
    """Read and check a fleet file.

    Args:
        path: The TOML file.
        env: Where the `*_env` keys' variables are read; None (default): `os.environ`.
        select: Server names and `tag:TAG` selectors: only these servers are returned and
            only their secrets are read (environment, command, keyring) and their auth
            schemes built, so one server's unset secret cannot break a command aimed at
            another. Empty (default): every server.

    Returns:
        The (selected) servers and the `[fleet]` settings.

    Raises:
        FleetConfigError: The file cannot be read, is not TOML, or has a wrong or missing
            key, or a selected server's secret cannot be read (unset environment variable,
            failing command), or a selector names no server; the message names the file,
            the server and the key at fault (never a secret).

    The format:

    ```toml
    [fleet]                      # optional defaults
    timeout = 30                 # seconds each server may take per call
    max_concurrency = 64         # servers queried at once
    per_server_concurrency = 4   # calls in flight to one server
    retries = 3                  # or { attempts = 4, deadline = 60, backoff = 0.5 }; 0: none

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
    cert = "/etc/ssl/me.pem"     # a client certificate (and `key`, if separate)
    timeout = 10

    [servers.vault]
    url = "https://airflow.internal"
    username = "ops"
    password_command = "pass show airflow/ops"   # or keyring = true (the keyring extra)

    [servers.secure]
    url = "https://airflow.corp"
    auth = "kerberos"            # kerberos, google, keycloak, mwaa, token-command, basic
    auth_options = { service = "airflow" }       # the scheme's keyword arguments
    ```
    """
    env = os.environ if env is None else env
    settings, checked = _read(path)
    chosen = pick(server_tags(checked), select)
    servers = {
        name: _server(str(path), name, table, env)
        for name, table in checked.items()
        if name in chosen
    }
    return FleetFile(servers=servers, settings=settings)


def server_tags(
    source: str | os.PathLike[str] | Mapping[str, Mapping[str, Any]],
) -> dict[str, tuple[str, ...]]:
    """Each server's tags, from a fleet file (checked, but no secret is read) or from its
    checked tables; for shell completion and selection.

    Raises:
        FleetConfigError: As `load_fleet_file`, except for secrets.
    """
    tables = _read(source)[1] if isinstance(source, str | os.PathLike) else source
    return {name: tuple(table.get("tags", ())) for name, table in tables.items()}


def server_from_table(
    name: str, table: Mapping[str, Any], env: Mapping[str, str], where: str
) -> Server:
    """A `Server` from one `[servers.NAME]`-shaped table (the CLI's --server and contexts
    build one), checked and with its secrets read as a fleet file's are.

    Raises:
        FleetConfigError: A key is wrong or a secret cannot be read; the message starts
            with `where`.
    """
    return _server(where, name, _check_server(where, name, dict(table)), env)


def _read(path: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The `[fleet]` settings and every server's checked table (no secret read)."""
    where = str(path)
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
    return settings, {name: _check_server(where, name, table) for name, table in tables.items()}


def pick(tags: Mapping[str, Iterable[str]], selectors: Sequence[str]) -> list[str]:
    """The names `selectors` choose (names and `tag:TAG`), in `tags`' order; all if none.

    Raises:
        FleetConfigError: A selector matches nothing (the message lists what exists).
    """
    if not selectors:
        return list(tags)
    chosen: set[str] = set()
    for selector in selectors:
        if selector.startswith("tag:"):
            tag = selector.removeprefix("tag:")
            hits = {name for name, has in tags.items() if tag in has}
            if not hits:
                known = sorted({t for has in tags.values() for t in has})
                raise FleetConfigError(
                    f"no server is tagged {tag!r} (tags: {', '.join(known) or 'none'})"
                )
            chosen |= hits
        elif selector in tags:
            chosen.add(selector)
        else:
            raise FleetConfigError(f"no server named {selector!r} (servers: {', '.join(tags)})")
    return [name for name in tags if name in chosen]


def _toml() -> Any:
    """The standard library's TOML reader; on Python 3.10, its backport `tomli` (same API)."""
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib
    return importlib.import_module("tomli")


def _fleet_settings(where: str, table: Any) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise FleetConfigError(f"{where}: [fleet] must be a table")
    settings = dict(table)
    for key, value in table.items():
        if key not in FLEET_KEYS:
            raise FleetConfigError(
                f"{where}: [fleet]: unknown key {key!r} (known: {', '.join(FLEET_KEYS)})"
            )
        if key == "retries":
            settings[key] = _retries(where, value)
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise FleetConfigError(f"{where}: [fleet]: key {key!r} must be a positive number")
        if key != "timeout" and not isinstance(value, int):
            raise FleetConfigError(f"{where}: [fleet]: key {key!r} must be a whole number")
    return settings


def _retries(where: str, value: Any) -> RetryPolicy | int:
    """`[fleet] retries`: a number of retries (0: none) or a table of `RetryPolicy`'s
    numbers, for the clients the fleet builds."""
    fail = f"{where}: [fleet]: key 'retries'"
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if not isinstance(value, dict):
        raise FleetConfigError(
            f"{fail} must be a number of retries >= 0 or a table of {', '.join(_RETRY_KEYS)}"
        )
    unknown = sorted(set(value) - set(_RETRY_KEYS))
    if unknown:
        raise FleetConfigError(f"{fail}: unknown {unknown[0]!r} (known: {', '.join(_RETRY_KEYS)})")
    try:
        return RetryPolicy(**value)
    except InvalidArgument as exc:
        raise FleetConfigError(f"{fail}: {exc}") from None


def _failer(where: str, name: str) -> Callable[[str, str], FleetConfigError]:
    def fail(key: str, problem: str) -> FleetConfigError:
        return FleetConfigError(f"{where}: server {name!r}: key {key!r}: {problem}")

    return fail


def _check_server(where: str, name: str, table: Any) -> dict[str, Any]:
    """Every check that needs no secret: keys, types, URL, which credentials go together."""
    fail = _failer(where, name)
    if not isinstance(table, dict):
        raise FleetConfigError(f"{where}: server {name!r}: must be a table ([servers.{name}])")
    for key in table:
        if key not in _SERVER_KEYS:
            raise fail(key, f"unknown key (known: {', '.join(sorted(_SERVER_KEYS))})")
    url = table.get("url")
    if not isinstance(url, str) or not url:
        raise fail("url", "required: the server's base URL, e.g. https://airflow.example.com")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise fail("url", "must be an http(s) URL such as https://airflow.example.com")
    if table.get("api", "auto") not in API_CHOICES:
        *others, last = map(repr, API_CHOICES)
        raise fail("api", f"must be {', '.join(others)} or {last}")
    if "timeout" in table:
        timeout = table["timeout"]
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
            raise fail("timeout", "must be a positive number of seconds")
    if "verify" in table and not isinstance(table["verify"], bool | str):
        raise fail("verify", "must be true, false or the path of a CA bundle")
    for key in ("cert", "key", "password_command", "token_command"):
        if key in table and (not isinstance(table[key], str) or not table[key]):
            raise fail(key, "must be a non-empty string")
    if "key" in table and "cert" not in table:
        raise fail("key", "a client key needs its certificate (cert)")
    if "keyring" in table and not isinstance(table["keyring"], bool):
        raise fail("keyring", "must be true or false")
    if "tags" in table:
        tags = table["tags"]
        if not isinstance(tags, list) or not all(isinstance(t, str) and t for t in tags):
            raise fail("tags", "must be a list of strings")
    scheme = table.get("auth", "basic")
    if scheme not in AUTH_SCHEMES:
        raise fail("auth", f"must be one of {', '.join(AUTH_SCHEMES)}")
    if not isinstance(table.get("auth_options", {}), dict):
        raise fail("auth_options", "must be a table of the scheme's keyword arguments")
    if scheme == "token-command" and "token_command" not in table:
        raise fail("token_command", 'required by auth = "token-command"')
    sources = {
        key: [s for s in (key, f"{key}_env", f"{key}_command") if s in table]
        for key in _SECRET_KEYS
    }
    if table.get("keyring"):
        sources["password"].append("keyring")
    for given in sources.values():
        if len(given) > 1:
            *others, last = given
            raise fail(given[0], f"give {' or '.join([', '.join(others), last])}, not both")
    has_user, has_password = bool(sources["username"]), bool(sources["password"])
    if has_password and not has_user:
        raise fail("username", "username and password go together")
    if sources["token"] and has_user:
        raise fail("token", "give username/password or a token, not both")
    return table


def _server(where: str, name: str, table: dict[str, Any], env: Mapping[str, str]) -> Server:
    """The spec of a checked, selected server: secrets read and the auth scheme built now."""
    fail = _failer(where, name)
    secrets = {key: _secret(table, key, env, fail) for key in _SECRET_KEYS}
    url = table["url"]
    if table.get("keyring"):
        secrets["password"] = keyring_secret(url, secrets["username"] or "", fail)
    if secrets["username"] is not None and secrets["password"] is None:
        raise fail("password", "username and password go together")
    values: dict[str, Any] = {"api": table.get("api", "auto"), **secrets}
    if "timeout" in table:
        values["timeout"] = float(table["timeout"])
    for key in ("verify", "tags"):
        if key in table:
            values[key] = table[key]
    if "cert" in table:
        values["cert"] = (table["cert"], table["key"]) if "key" in table else table["cert"]
    scheme = table.get("auth", "basic")
    if scheme != "basic":
        try:
            values["auth"] = build_auth(
                scheme, dict(table.get("auth_options", {})), table.get("token_command")
            )
        except (TypeError, ValueError, ImportError, AirflowBridgeError) as exc:
            raise fail("auth", f"{scheme}: {exc}") from None
    return Server(url, **values)


def _secret(
    table: Mapping[str, Any],
    key: str,
    env: Mapping[str, str],
    fail: Callable[[str, str], FleetConfigError],
) -> str | None:
    """`key` from the table, the environment variable `key_env` names, or the output of the
    command `key_command` (checked: only one of them is given)."""
    env_key, command_key = f"{key}_env", f"{key}_command"
    if env_key in table:
        variable = table[env_key]
        if not isinstance(variable, str) or not variable:
            raise fail(env_key, "must name an environment variable")
        if variable not in env:
            raise fail(env_key, f"environment variable {variable} is not set")
        return env[variable]
    if command_key in table and not (key == "token" and table.get("auth") == "token-command"):
        try:
            return command_secret(table[command_key])
        except OSError as exc:
            raise fail(command_key, str(exc)) from None
    value = table.get(key)
    if value is not None and not isinstance(value, str):
        raise fail(key, "must be a string")
    return value


def command_secret(command: str) -> str:
    """The first line a command prints (`password_command`, `token_command`), run without a
    shell.

    Args:
        command: The command line, split as a POSIX shell would (`shlex`).

    Returns:
        Its standard output's first line.

    Raises:
        OSError: The command is empty, not found, cannot run, or exits non-zero (the message
            says which, naming only the program: its exit status and the first line of its
            standard error; never its arguments or its output).
    """
    argv = shlex.split(command)
    if not argv:
        raise OSError("the command is empty")
    name = argv[0]  # only the program is named: the rest of a command line may hold a secret
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    except FileNotFoundError:
        raise OSError(f"command not found: {name!r}") from None
    except subprocess.TimeoutExpired:
        raise OSError(f"the command {name!r} did not finish in 60 s") from None
    except OSError as exc:
        raise OSError(f"the command {name!r} did not run ({exc.strerror})") from None
    if done.returncode != 0:
        said = done.stderr.strip().splitlines()
        raise OSError(
            f"the command {name!r} exited with status {done.returncode}"
            + (f": {said[0][:200]}" if said else "")
        )
    return done.stdout.strip().splitlines()[0] if done.stdout.strip() else ""


def keyring_secret(url: str, username: str, fail: Callable[[str, str], FleetConfigError]) -> str:
    """The password stored in the OS keyring for `username` on `url` (the keyring extra)."""
    try:
        keyring = importlib.import_module("keyring")
    except ImportError:
        raise fail(
            "keyring", "needs the keyring extra: pip install 'airflow-bridge[keyring]'"
        ) from None
    password = keyring.get_password(KEYRING_SERVICE.format(url=url), username)
    if password is None:
        raise fail(
            "keyring",
            f"no password for {username!r} in the keyring (store one with "
            f"`airflow-bridge config add NAME --server {url} -u {username} --keyring`)",
        )
    return str(password)


def build_auth(scheme: str, options: dict[str, Any], token_command: str | None) -> httpx.Auth:
    """The `httpx.Auth` of a scheme name, built from `airflow_bridge.auth` (imported now,
    so an uninstalled extra only matters to the servers that use it).

    Args:
        scheme: kerberos, google, keycloak, mwaa or token-command.
        options: The scheme's keyword arguments (google: `audience` for ID tokens, else
            access tokens with `service_account_file`/`scopes`).
        token_command: For token-command: the command printing a token.

    Returns:
        The auth object.

    Raises:
        ValueError: An unknown scheme, or the scheme refused its options.
        ImportError: The scheme's extra is not installed.
    """
    from airflow_bridge import auth

    if scheme == "kerberos":
        return auth.KerberosAuth(**options)
    if scheme == "keycloak":
        return auth.KeycloakAuth(**options)
    if scheme == "mwaa":
        return auth.MWAAAuth(**options)
    if scheme == "google":
        if "audience" in options:
            return auth.GoogleAuth.id_token(**options)
        return auth.GoogleAuth.access_token(**options)
    if scheme == "token-command" and token_command:
        command = token_command

        def run() -> str:
            try:
                return command_secret(command)
            except OSError as exc:  # its message holds no output, so it may be shown
                raise auth.CredentialsUnavailable(f"the token command failed: {exc}") from None

        return auth.TokenProvider(run, name=command, **options)
    raise ValueError(f"unknown auth scheme {scheme!r} (known: {', '.join(AUTH_SCHEMES)})")
