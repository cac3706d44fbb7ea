"""A faithful in-memory Airflow for tests: the DagRun API of Airflow 2 (`/api/v1`) or 3
(`/api/v2`), stateful, with a scheduler and a clock the test controls and injectable faults.

    from airflow_bridge import Client
    from airflow_bridge.testing import FakeAirflow

    fake = FakeAirflow("2.10.5")
    with Client(fake.base_url, username="admin", password="admin",
                transport=fake.transport()) as client:
        run = client.dag_runs.trigger("bridge_plain")
        fake.advance(run.run_id, to="success")
        assert client.dag_runs.get("bridge_plain", run.run_id).state == "success"

Use it through an httpx transport (`fake.transport()`, `fake.async_transport()`), the pytest
fixture `fake_airflow` (`airflow_bridge.testing.pytest_plugin`), or a loopback server
(`fake.serve()`, `serve_forever()`). It imports nothing else from airflow_bridge: it is the
oracle the library is tested against.
"""

from airflow_bridge.testing._auth_schemes import (
    GoogleScheme,
    KerberosScheme,
    MWAAScheme,
    OAuth2Scheme,
)
from airflow_bridge.testing._clock import Clock, ManualClock
from airflow_bridge.testing._fake import FakeAirflow
from airflow_bridge.testing._faults import Fault
from airflow_bridge.testing._server import FakeServer, serve_forever
from airflow_bridge.testing._state import BRIDGE_DAGS, DagSpec

__all__ = [
    "BRIDGE_DAGS",
    "Clock",
    "DagSpec",
    "FakeAirflow",
    "FakeServer",
    "Fault",
    "GoogleScheme",
    "KerberosScheme",
    "MWAAScheme",
    "ManualClock",
    "OAuth2Scheme",
    "serve_forever",
]
