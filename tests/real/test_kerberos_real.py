"""Kerberos for real: an MIT KDC on loopback (scripts/kdc) and Airflow 2.10.5 with Airflow's
Kerberos API auth backend (scripts/airflow-servers' `2.10.5-kerberos`), driven through
`Client(url, auth=KerberosAuth(...))` with tickets from the realm's keytab.

The session fixture starts what it needs (installing the Debian packages on a fresh machine,
as root) and skips, saying why, when the KDC cannot be set up. The Kerberos server has its own
database; runs here still get unique ids and are deleted afterwards.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from airflow_bridge import AsyncClient, Client
from airflow_bridge.auth import KerberosAuth
from airflow_bridge.errors import AuthenticationError

pytestmark = pytest.mark.real

ROOT = Path(__file__).resolve().parent.parent.parent
VARIANT = "2.10.5-kerberos"


@pytest.fixture(scope="module")
def kerberos_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The KDC and the Kerberos Airflow server (started or reused; left running), with this
    process pointed at the realm's krb5.conf and an empty ticket cache of its own."""
    script = str(ROOT / "scripts" / "kdc")
    status = subprocess.run([script, "status"], capture_output=True, text=True)
    started_here = "answering=True" not in status.stdout
    kdc = subprocess.run([script, "up"], capture_output=True, text=True)
    if kdc.returncode:
        pytest.skip(f"no loopback KDC (scripts/kdc up failed): {kdc.stderr.strip()[-500:]}")
    install_kerberos_extra()
    subprocess.run(
        [str(ROOT / "scripts" / "airflow-servers"), "up", "--no-scheduler", VARIANT], check=True
    )
    info: dict[str, str] = json.loads((ROOT / ".airflow" / VARIANT / "server.json").read_text())
    saved = {name: os.environ.get(name) for name in ("KRB5_CONFIG", "KRB5CCNAME")}
    os.environ["KRB5_CONFIG"] = info["krb5_conf"]
    os.environ["KRB5CCNAME"] = f"FILE:{tmp_path_factory.mktemp('krb') / 'empty-ccache'}"
    yield info
    if started_here:  # the server keeps working without it: acceptors only read the keytab
        subprocess.run([script, "down"], check=False)
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def install_kerberos_extra() -> None:
    """The `kerberos` extra is not in `dev` (gssapi compiles against libkrb5-dev, which
    scripts/kdc has just installed): install it into this venv when missing, as pyproject
    declares it."""
    if importlib.util.find_spec("httpx_gssapi") and importlib.util.find_spec("gssapi"):
        return
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]["kerberos"]
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", *extra],
        check=True,
    )
    importlib.invalidate_caches()


def keytab_auth(info: dict[str, str], tmp_path: Path) -> KerberosAuth:
    return KerberosAuth(
        principal=info["principal"], keytab=info["keytab"], ccache=f"FILE:{tmp_path / 'cc'}"
    )


def test_trigger_and_list_with_a_ticket_from_the_keytab(
    kerberos_server: dict[str, str], tmp_path: Path
) -> None:
    run_id = f"kerberos-{uuid.uuid4().hex[:12]}"
    minute = uuid.uuid4().int % 400_000
    logical_date = datetime(2024, 2, 1, tzinfo=timezone.utc) + timedelta(minutes=minute)
    auth = keytab_auth(kerberos_server, tmp_path)
    with Client(kerberos_server["base_url"], auth=auth) as client:
        runs = client.dag_runs
        run = runs.trigger("bridge_plain", run_id=run_id, logical_date=logical_date)
        try:
            assert run.run_id == run_id
            listed = runs.list(
                "bridge_plain",
                logical_date_gte=logical_date - timedelta(seconds=1),
                logical_date_lte=logical_date + timedelta(seconds=1),
            )
            assert [r.run_id for r in listed] == [run_id]
        finally:
            runs.delete("bridge_plain", run_id)
    # the ticket really came from the keytab into the cache given
    assert (tmp_path / "cc").stat().st_size > 0


def test_a_kinit_ticket_in_the_cache_works_with_async_client_too(
    kerberos_server: dict[str, str], tmp_path: Path
) -> None:
    import anyio

    ccache = f"FILE:{tmp_path / 'kinit-cc'}"
    env = {**os.environ, "KRB5CCNAME": ccache}
    subprocess.run(
        ["kinit", "-kt", kerberos_server["keytab"], kerberos_server["principal"]],
        env=env,
        check=True,
    )

    async def count() -> int:
        auth = KerberosAuth(ccache=ccache)
        async with AsyncClient(kerberos_server["base_url"], auth=auth) as client:
            return await client.dag_runs.count("bridge_plain")

    assert anyio.run(count) >= 0


def test_without_a_ticket_the_server_refuses(kerberos_server: dict[str, str]) -> None:
    # KRB5CCNAME points at an empty cache: no ticket to send
    client = Client(kerberos_server["base_url"], auth=KerberosAuth())
    with client, pytest.raises(AuthenticationError) as refused:
        client.dag_runs.list("bridge_plain", limit=1)
    assert refused.value.status == 401
    with Client(kerberos_server["base_url"]) as client, pytest.raises(AuthenticationError):
        client.dag_runs.list("bridge_plain", limit=1)


def test_a_ticket_for_the_wrong_service_is_refused(
    kerberos_server: dict[str, str], tmp_path: Path
) -> None:
    """Airflow's backend accepts `airflow/<host>` only: a `HTTP/<host>` ticket (the SPNEGO
    default of most clients) is refused, which is why KerberosAuth defaults to `airflow`."""
    auth = KerberosAuth(
        service="HTTP",
        principal=kerberos_server["principal"],
        keytab=kerberos_server["keytab"],
        ccache=f"FILE:{tmp_path / 'cc'}",
    )
    client = Client(kerberos_server["base_url"], auth=auth)
    with client, pytest.raises(AuthenticationError):
        client.dag_runs.list("bridge_plain", limit=1)
