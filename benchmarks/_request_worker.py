"""Sequential GETs of one run through the official 3.x client and raw urllib3 (stdlib + the
client's venv only; never imports airflow_bridge). Run by request_overhead.py:

    python _request_worker.py BASE_URL DAG_ID RUN_ID

It prints one JSON line naming its contenders, then answers each stdin line
`<contender> <count>` with `{"seconds": ...}` for `count` sequential calls; an empty line
ends it.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any


def contenders(base_url: str, dag_id: str, run_id: str) -> dict[str, Callable[[], Any]]:
    import urllib3
    from airflow_client.client import ApiClient, Configuration  # type: ignore[import-not-found]
    from airflow_client.client.api.dag_run_api import (  # type: ignore[import-not-found]
        DagRunApi,
    )

    api = DagRunApi(ApiClient(Configuration(host=base_url, access_token="t")))
    pool = urllib3.PoolManager()
    url = f"{base_url}/api/v2/dags/{dag_id}/dagRuns/{run_id}"
    headers = {"Authorization": "Bearer t", "Accept": "application/json"}

    def official() -> Any:
        return api.get_dag_run(dag_id, run_id)

    def raw_urllib3() -> Any:
        return json.loads(pool.request("GET", url, headers=headers).data)

    return {"DagRunApi.get_dag_run": official, "urllib3 GET + json.loads": raw_urllib3}


def main() -> None:
    calls = contenders(*sys.argv[1:4])
    print(json.dumps({"contenders": list(calls)}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            break
        name, count = line.rsplit(" ", 1)
        call = calls[name]
        start = time.perf_counter()
        for _ in range(int(count)):
            call()
        print(json.dumps({"seconds": time.perf_counter() - start}), flush=True)


if __name__ == "__main__":
    main()
