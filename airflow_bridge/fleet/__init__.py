"""Fleets: many Airflow servers, Airflow 2 and 3 mixed, queried concurrently as one.

from airflow_bridge.fleet import Fleet
with Fleet.from_file("fleet.toml") as fleet:
    failed = fleet.dag_runs.list(states="failed", order_by="-start_date", limit=50)
    for run in failed:                 # merged across servers, newest first
        print(run.server, run.dag_id, run.run_id)
    for name, error in failed.errors.items():   # servers that failed, with typed errors
        print(name, error)

`AsyncFleet` is the same API with `await`.
"""

from airflow_bridge.fleet._async import (
    AsyncFleet,
    AsyncFleetDagRuns,
    AsyncFleetDags,
    AsyncFleetTaskInstances,
    AsyncRunStream,
)
from airflow_bridge.fleet._config import FleetConfigError, FleetFile, Server, load_fleet_file
from airflow_bridge.fleet._members import ServerStatus
from airflow_bridge.fleet._order import MERGEABLE
from airflow_bridge.fleet._result import FleetError, FleetResult, ServerOutcome, ServerTimeout
from airflow_bridge.fleet._sync import Fleet, FleetDagRuns, FleetDags, FleetTaskInstances, RunStream

__all__ = [
    "MERGEABLE",
    "AsyncFleet",
    "AsyncFleetDagRuns",
    "AsyncFleetDags",
    "AsyncFleetTaskInstances",
    "AsyncRunStream",
    "Fleet",
    "FleetConfigError",
    "FleetDagRuns",
    "FleetDags",
    "FleetError",
    "FleetFile",
    "FleetResult",
    "FleetTaskInstances",
    "RunStream",
    "Server",
    "ServerOutcome",
    "ServerStatus",
    "ServerTimeout",
    "load_fleet_file",
]
