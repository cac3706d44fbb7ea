"""KerberosAuth without a KDC: argument checks, the missing-extra error, reprs.

The exchange itself is proven against a real KDC and Airflow in
tests/real/test_kerberos_real.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from airflow_bridge.auth import CredentialsUnavailable, KerberosAuth, MissingExtra
from airflow_bridge.errors import InvalidArgument


def test_a_missing_extra_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "httpx_gssapi", None)  # import fails as if not installed
    with pytest.raises(MissingExtra, match=r"pip install 'airflow-bridge\[kerberos\]'"):
        KerberosAuth()


def test_a_keytab_needs_a_principal_before_anything_is_imported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "httpx_gssapi", None)
    with pytest.raises(InvalidArgument, match="principal"):
        KerberosAuth(keytab="/etc/user.keytab")


def test_repr_names_the_target() -> None:
    pytest.importorskip("httpx_gssapi", reason="the kerberos extra is not installed")
    auth = KerberosAuth(hostname="airflow.example.com")
    assert repr(auth) == "KerberosAuth(target='airflow@airflow.example.com', principal=None)"


def test_a_principal_without_a_ticket_says_to_kinit(tmp_path: Path) -> None:
    pytest.importorskip("httpx_gssapi", reason="the kerberos extra is not installed")
    empty = f"FILE:{tmp_path / 'cc'}"
    with pytest.raises(CredentialsUnavailable, match=r"kinit etl@EXAMPLE.COM.*keytab="):
        KerberosAuth(principal="etl@EXAMPLE.COM", ccache=empty)
