"""Fake Airflow servers of both generations, seeded for the fleet and CLI tests.

Every server here is `airflow_bridge.testing.FakeAirflow` (the oracle the contract tests
check against the real servers), used in-process through its transports or on a loopback
port (`fake.serve()`); faults and latency are its own `inject()`. This module only seeds
runs at known dates: a manual clock in January 2024, so start dates are exact.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from airflow_bridge.testing import BRIDGE_DAGS, FakeAirflow, ManualClock

if TYPE_CHECKING:
    from airflow_bridge.testing._http import Request

PASSWORD = "s3cret-pw"
CREDS = {"username": "admin", "password": PASSWORD}
START = datetime(2024, 1, 1, tzinfo=timezone.utc)
#: Long enough that a token issued at the fake's 2024 clock is still valid by the client's
#: wall clock (it logs in again shortly before `exp`).
TOKEN_LIFETIME = 100 * 365 * 86400.0

#: (run_id, state, start day in January 2024, or None for a run not started yet), in the
#: order the server created them (its default listing order).
Seed = tuple[str, str, int | None]
V2_RUNS: list[Seed] = [
    ("v2-new", "failed", 5),
    ("v2-queued", "queued", None),
    ("v2-old", "success", 1),
]
V1_RUNS: list[Seed] = [("v1-mid", "failed", 3), ("v1-newest", "running", 6)]


def day(number: int) -> datetime:
    return START + timedelta(days=number - 1)


def fake(
    version: str = "3.3.2",
    runs: Iterable[Seed] = (),
    *,
    password: str = PASSWORD,
    assets: bool = False,
) -> FakeAirflow:
    """A fake of `version` with the DAG `etl` (and the asset DAGs when `assets`) and `runs`
    of etl, each with its own logical date (hours after START) and the given start date."""
    clock = ManualClock(START)
    airflow = FakeAirflow(
        version,
        users={"admin": password},
        dags=[*(BRIDGE_DAGS if assets else ()), "etl"],
        clock=clock,
        token_lifetime=TOKEN_LIFETIME,
    )
    for hour, (run_id, state, start) in enumerate(runs, start=1):
        seed(airflow, run_id, state=state, start=start, logical_date=START + timedelta(hours=hour))
    return airflow


def seed(
    airflow: FakeAirflow,
    run_id: str,
    *,
    state: str = "queued",
    start: int | None = None,
    logical_date: datetime = START,
) -> None:
    """Put a run of etl in place, started on January `start` 2024 (unless queued)."""
    clock = airflow.clock
    if start is not None:
        clock.advance(day(start) - clock.now())
    airflow.add_run("etl", run_id, state=state, logical_date=logical_date)


def broken(version: str = "3.3.2", *, password: str = PASSWORD) -> FakeAirflow:
    """A fake whose every DagRun endpoint answers 500 (version, login and health work)."""
    airflow = fake(version, password=password)
    prefix = "/api/v1" if version.startswith("2.") else "/api/v2"
    airflow.inject(f"{prefix}/dags/*", status=500, times=None)
    return airflow


def sent(airflow: FakeAirflow, method: str | None = None) -> list[Request]:
    """The requests the fake answered, minus version probes, health checks and logins."""
    return [
        r
        for r in airflow.requests
        if not r.path.endswith(("/version", "/health", "/auth/token"))
        and (method is None or r.method == method)
    ]
