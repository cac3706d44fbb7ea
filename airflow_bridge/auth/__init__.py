"""Authentication schemes beyond Basic and Airflow 3's login, each an `httpx.Auth` for
`Client(url, auth=...)` and `AsyncClient(url, auth=...)`.

Importing this package imports no optional dependency: a scheme that needs one (`kerberos`,
`google`, `aws` extras) imports it when constructed, and raises `MissingExtra` naming the
extra to install when it is missing. See docs/authentication.md for a guide per scheme.
"""

from airflow_bridge.auth._extras import MissingExtra
from airflow_bridge.auth._refresh import Credential, CredentialsUnavailable, RefreshingAuth
from airflow_bridge.auth.google import GoogleAuth
from airflow_bridge.auth.kerberos import KerberosAuth
from airflow_bridge.auth.mwaa import MWAAAuth, MWAATransport
from airflow_bridge.auth.oauth2 import KeycloakAuth, OAuth2Auth
from airflow_bridge.auth.provider import TokenProvider

__all__ = [
    "Credential",
    "CredentialsUnavailable",
    "GoogleAuth",
    "KerberosAuth",
    "KeycloakAuth",
    "MWAAAuth",
    "MWAATransport",
    "MissingExtra",
    "OAuth2Auth",
    "RefreshingAuth",
    "TokenProvider",
]
