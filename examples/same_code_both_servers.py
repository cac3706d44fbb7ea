"""The product claim in one script: the same code, unchanged, against Airflow 2 and Airflow 3.

Without arguments it uses the local servers of `scripts/airflow-servers up`; otherwise pass
base URLs. Credentials: admin/admin, or AIRFLOW_BRIDGE_USERNAME and AIRFLOW_BRIDGE_PASSWORD.
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from pathlib import Path

from airflow_bridge import Client, DagRunState

ROOT = Path(__file__).resolve().parent.parent


def local_servers() -> list[str]:
    """Base URLs of the servers `scripts/airflow-servers up` started."""
    found = sorted((ROOT / ".airflow").glob("*/server.json"))
    return [json.loads(path.read_text())["base_url"] for path in found]


def walk_through(client: Client, dag_id: str) -> None:
    info = client.server
    print(f"\n{client.base_url}: Airflow {info.version} speaks /api/{info.api}")
    runs = client.dag_runs
    run = runs.trigger(dag_id, run_id=f"bridge-demo-{uuid.uuid4().hex[:8]}", conf={"x": 1})
    print(f"  triggered {run.run_id}: {run.state}")
    run = runs.update(dag_id, run.run_id, state=DagRunState.FAILED, note="checked by the demo")
    print(f"  state {run.state}, note {run.note!r}")
    cleared = runs.clear(dag_id, run.run_id, dry_run=True)
    print(f"  a clear would touch {[ti.task_id for ti in cleared.task_instances]}")
    print(f"  {runs.count(dag_id, states=['failed'])} failed runs of {dag_id} in all")
    print("  as JSON:", json.dumps({k: v for k, v in run.to_dict().items() if k != "extra"})[:160])


def main() -> None:
    urls = sys.argv[1:] or local_servers()
    if not urls:
        sys.exit("no servers: start them with `scripts/airflow-servers up` or pass base URLs")
    user = os.environ.get("AIRFLOW_BRIDGE_USERNAME", "admin")
    password = os.environ.get("AIRFLOW_BRIDGE_PASSWORD", "admin")
    for url in urls:
        with Client(url, username=user, password=password) as client:
            walk_through(client, os.environ.get("AIRFLOW_BRIDGE_DAG", "bridge_plain"))


if __name__ == "__main__":
    main()
