"""Kerberos (SPNEGO / HTTP Negotiate) for Airflow's Kerberos API auth backend.

Built on httpx-gssapi (the `kerberos` extra) rather than on gssapi alone: it is an
`httpx.Auth` already, maintained in the pythongssapi organisation next to gssapi itself, and its
`auth_flow` is a plain generator, so one object serves `Client` and `AsyncClient`. What this
module adds is Airflow's defaults: the service name `airflow` (Airflow's backend accepts tickets
for `airflow/<its FQDN>`, not the usual `HTTP/...`), a ticket from a keytab without `kinit`, and
sending the ticket with the first request (one round trip instead of two).

The ticket for the server is obtained from the KDC when the first request is prepared (a
short blocking call, also under `AsyncClient`); GSSAPI caches it for the ticket's lifetime.

Seen on Airflow 2.10.5 with `airflow.providers.fab.auth_manager.api.auth.backend.kerberos_auth`
(FAB provider 1.5.3): no or a wrong ticket is answered 401 `WWW-Authenticate: Negotiate`, a
ticket for `HTTP/<host>` is refused, one for `airflow/<host>` is accepted, and the user is the
Airflow user named after the full principal (`bridge@REALM`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Generator
from pathlib import Path
from typing import Any

import httpx

from airflow_bridge.auth._extras import require
from airflow_bridge.auth._refresh import CredentialsUnavailable


class KerberosAuth(httpx.Auth):
    """Authenticates each request with a Kerberos ticket (SPNEGO), for `Client(auth=...)`.

    Args:
        service: The service part of the server's principal (`service/host@REALM`); Airflow's
            backend uses `airflow`. Use `HTTP` for a Negotiate-speaking proxy in front.
        hostname: The host part of the server's principal, when it differs from the URL's host
            (a load balancer, an alias): Airflow's backend names its principal after the
            server machine's FQDN (or the Flask `SERVER_NAME`).
        principal: The client principal (`user@REALM`). Without `keytab`, a ticket of this
            principal is looked up in the credential cache; with neither, the cache's default.
        keytab: A client keytab (path) to obtain tickets from, so no `kinit` is needed;
            requires `principal`. MIT Kerberos only (its credential store extension).
        ccache: The credential cache to use (e.g. `FILE:/tmp/krb5cc_airflow`); default: the
            one `KRB5CCNAME` names, or the system default.
        opportunistic: Send a ticket with the first request instead of waiting for a 401.
        mutual: Require the server to prove its identity in its answer (Airflow's backend
            does send the token for it).
        delegate: Forward the ticket-granting ticket to the server.

    Raises:
        MissingExtra: httpx-gssapi or gssapi is not installed (`pip install
            'airflow-bridge[kerberos]'`).
        InvalidArgument: `keytab` without `principal`.
        CredentialsUnavailable: `principal` or `ccache` given, and no ticket can be had from
            the cache or the keytab (the message says to `kinit` or pass a keytab).
    """

    def __init__(
        self,
        *,
        service: str = "airflow",
        hostname: str | None = None,
        principal: str | None = None,
        keytab: str | Path | None = None,
        ccache: str | None = None,
        opportunistic: bool = True,
        mutual: bool = False,
        delegate: bool = False,
    ) -> None:
        from airflow_bridge.errors import InvalidArgument

        if keytab is not None and principal is None:
            raise InvalidArgument("KerberosAuth(keytab=...) needs principal= (user@REALM) too")
        httpx_gssapi = require("httpx_gssapi", extra="kerberos", scheme="KerberosAuth")
        gssapi = require("gssapi", extra="kerberos", scheme="KerberosAuth")
        self._description = f"{service}@{hostname or '<url host>'}"
        self._principal = principal
        self._opportunistic = opportunistic
        self._exchange_error: type[Exception] = httpx_gssapi.exceptions.SPNEGOExchangeError
        target: Any = service if hostname is None else f"{service}@{hostname}"
        self._inner: Any = httpx_gssapi.HTTPSPNEGOAuth(
            target_name=target,
            creds=_credentials(gssapi, principal, keytab, ccache),
            opportunistic_auth=False,  # done in auth_flow, tolerating a missing ticket
            mutual_authentication=httpx_gssapi.REQUIRED if mutual else httpx_gssapi.DISABLED,
            delegate=delegate,
        )

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        context = None
        if self._opportunistic:
            # without a ticket the request goes out without one, and the server's 401 says so
            with contextlib.suppress(self._exchange_error):
                context = self._inner.set_auth_header(request)
        response = yield request
        yield from self._inner.handle_response(response, context)

    def __repr__(self) -> str:
        return f"KerberosAuth(target={self._description!r}, principal={self._principal!r})"


def _credentials(
    gssapi: Any, principal: str | None, keytab: str | Path | None, ccache: str | None
) -> Any:
    """gssapi initiator credentials for the options given; None lets GSSAPI pick the default
    ticket of the default cache when the first request needs it."""
    if principal is None and ccache is None:
        return None
    name = None if principal is None else gssapi.Name(principal, gssapi.NameType.kerberos_principal)
    store = {}
    if keytab is not None:
        store["client_keytab"] = str(keytab)
    if ccache is not None:
        store["ccache"] = ccache
    try:
        if not store:
            return gssapi.Credentials(name=name, usage="initiate")
        return gssapi.Credentials(name=name, usage="initiate", store=store)
    except gssapi.exceptions.GSSError as error:
        source = f"keytab {keytab}" if keytab else f"credential cache {ccache or '(default)'}"
        advice = "" if keytab else f": run `kinit {principal or ''}`".rstrip() + " or pass keytab="
        raise CredentialsUnavailable(
            f"no Kerberos ticket for {principal or 'the default principal'} from {source}"
            f"{advice} ({type(error).__name__})"
        ) from error
