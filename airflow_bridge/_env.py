"""The `AIRFLOW_BRIDGE_*` environment variables as client arguments: what
`Client.from_env()` / `AsyncClient.from_env()` read, with the same names and meaning as the
command line's options (`airflow-bridge --help` lists them):

| variable | argument |
| --- | --- |
| `AIRFLOW_BRIDGE_SERVER` | `base_url` (required) |
| `AIRFLOW_BRIDGE_USERNAME`, `AIRFLOW_BRIDGE_PASSWORD` | `username`, `password` |
| `AIRFLOW_BRIDGE_TOKEN` | `token` |
| `AIRFLOW_BRIDGE_API` | `api` (`auto`, `v1`, `v2`) |
| `AIRFLOW_BRIDGE_TIMEOUT` | `timeout` (seconds) |
| `AIRFLOW_BRIDGE_CA_BUNDLE` | `verify` (a CA bundle) |
| `AIRFLOW_BRIDGE_INSECURE` | `verify=False` when `1`/`true`/`yes`/`on` |
| `AIRFLOW_BRIDGE_CERT`, `AIRFLOW_BRIDGE_KEY` | `verify` (a context with the client certificate) |
"""

from __future__ import annotations

import functools
import os
import ssl
from collections.abc import Mapping
from typing import Any

from airflow_bridge.errors import InvalidArgument

PREFIX = "AIRFLOW_BRIDGE_"
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


def client_arguments(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The client's keyword arguments from the environment (only those that are set).

    Args:
        env: Where to read; None (default): `os.environ`.

    Returns:
        `base_url` and whichever of username, password, token, api, timeout, verify are set.

    Raises:
        InvalidArgument: AIRFLOW_BRIDGE_SERVER is not set, or a value is malformed (the
            message names the variable, never a secret's value).
    """
    env = os.environ if env is None else env

    def get(name: str) -> str | None:
        value = env.get(PREFIX + name)
        return value if value else None

    server = get("SERVER")
    if server is None:
        raise InvalidArgument(f"{PREFIX}SERVER is not set: export the server's base URL")
    arguments: dict[str, Any] = {"base_url": server}
    for name in ("username", "password", "token"):
        value = get(name.upper())
        if value is not None:
            arguments[name] = value
    api = get("API")
    if api is not None:
        if api not in ("auto", "v1", "v2"):
            raise InvalidArgument(f"{PREFIX}API must be auto, v1 or v2, not {api!r}")
        arguments["api"] = api
    timeout = get("TIMEOUT")
    if timeout is not None:
        try:
            arguments["timeout"] = float(timeout)
        except ValueError:
            raise InvalidArgument(f"{PREFIX}TIMEOUT must be seconds, not {timeout!r}") from None
        if not arguments["timeout"] > 0:
            raise InvalidArgument(f"{PREFIX}TIMEOUT must be > 0, not {timeout!r}")
    insecure = (env.get(PREFIX + "INSECURE") or "").lower()
    if insecure not in _TRUE + _FALSE:
        raise InvalidArgument(f"{PREFIX}INSECURE must be 1/true or 0/false, not {insecure!r}")
    cert, key = get("CERT"), get("KEY")
    if key is not None and cert is None:
        raise InvalidArgument(f"{PREFIX}KEY needs {PREFIX}CERT (the certificate it belongs to)")
    verify: bool | str = insecure not in _TRUE
    bundle = get("CA_BUNDLE")
    if bundle is not None and verify:
        verify = bundle
    if verify is not True or cert is not None:
        try:
            arguments["verify"] = tls_context(verify, (cert, key) if cert and key else cert)
        except (OSError, ssl.SSLError) as exc:
            given = ", ".join(PREFIX + n for n in ("CA_BUNDLE", "CERT", "KEY") if get(n))
            raise InvalidArgument(f"{given}: the TLS files do not load ({exc})") from None
    return arguments


def tls_context(
    verify: bool | str | ssl.SSLContext, cert: str | tuple[str, str] | None
) -> bool | ssl.SSLContext:
    """What httpx takes as `verify=`: a CA bundle path or a client certificate become an
    `ssl.SSLContext` (httpx 0.28 deprecates paths and `cert=`).

    Args:
        verify: True, False, a CA bundle's path, or a ready context.
        cert: A client certificate path (key included), or (certificate, key) paths.

    Returns:
        `verify` itself (False, or a context given), one shared context for True (httpx's
        default trust, built once: `shared_default_context`), or a context with the CA
        bundle and the certificate loaded.

    Raises:
        OSError: A file cannot be read; ssl.SSLError: it holds no certificate or key.
    """
    if cert is None and not isinstance(verify, str):
        return shared_default_context() if verify is True else verify
    if isinstance(verify, ssl.SSLContext):
        context = verify
    elif isinstance(verify, str):
        context = ssl.create_default_context(cafile=verify)
    else:
        context = ssl.create_default_context()
        if not verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
    if cert is not None:
        certfile, keyfile = (cert, None) if isinstance(cert, str) else cert
        context.load_cert_chain(certfile, keyfile)
    return context


@functools.cache
def shared_default_context() -> ssl.SSLContext:
    """httpx's default `verify=True` context (certifi's bundle, or SSL_CERT_FILE/SSL_CERT_DIR
    as set when first asked), made once for every client built through `tls_context`: each
    httpx client given True loads the CA bundle again, about 0.8 MB and 17 ms a client
    (benchmarks/fleet_scale.py), which a fleet of 1,000 servers paid 1,000 times."""
    import httpx

    return httpx.create_ssl_context()
