"""Real tier: the fakes answer a task instance listing of run "~" (every run) and of dag "~"
(every DAG) as their live servers do: the same status, the same body keys (an error's whole
body), and on both the same rule for what is counted. The live servers hold other tests' runs,
so totals are compared by that rule rather than equal; the test adds runs of its own (two of
bridge_plain, one of bridge_failing, dated after the DAGs' start_date so they have task
instances), so the rule holds on fresh servers too."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from raw_http import raw, raw_fake, remove, seeded, trigger

pytestmark = pytest.mark.real

DAGS = ("bridge_plain", "~", "nosuch")


def answers(http: Any, api: str) -> dict[str, Any]:
    return {dag: http.get(f"/api/{api}/dags/{dag}/dagRuns/~/taskInstances") for dag in DAGS}


def shape(answer: Any) -> tuple[int, Any]:
    body = answer.json()
    return answer.status_code, sorted(body) if answer.status_code == 200 else body


@pytest.fixture
def live(live_server: dict[str, Any]) -> Iterator[httpx.Client]:
    """The live server, with two bridge_plain runs and one bridge_failing run of this test's
    own (January 2024, a random minute: a logical date is unique per DAG on 2.10.5)."""
    api = str(live_server["api"])
    prefix, minute = f"fakeevery-{secrets.token_hex(4)}", secrets.randbelow(30 * 24 * 60 - 3)
    runs = [("bridge_plain", 0), ("bridge_plain", 1), ("bridge_failing", 2)]
    created: list[tuple[str, str]] = []
    with raw(str(live_server["base_url"]), api) as http:
        try:
            for dag_id, n in runs:
                at = minute + n
                moment = f"2024-01-{1 + at // 1440:02d}T{at // 60 % 24:02d}:{at % 60:02d}:00+00:00"
                run_id = f"{prefix}-{n}"
                assert trigger(http, api, run_id, moment, dag_id).status_code == 200
                created.append((dag_id, run_id))
            yield http
        finally:
            for dag_id, run_id in created:
                remove(http, api, run_id, dag_id)


def test_every_run_listings_match_the_live_server(
    live_server: dict[str, Any], live: httpx.Client
) -> None:
    api, version = str(live_server["api"]), str(live_server["version"])
    with raw_fake(seeded(version)) as faked:
        seen, fake = answers(live, api), answers(faked, api)
    for dag in DAGS:
        assert shape(fake[dag]) == shape(seen[dag]), dag
    for side in (seen, fake):
        plain, every = side["bridge_plain"].json(), side["~"].json()
        listed = plain["task_instances"]
        assert {ti["dag_id"] for ti in listed} == {"bridge_plain"}
        assert len({ti["dag_run_id"] for ti in listed}) > 1  # more than one run
        assert every["total_entries"] >= plain["total_entries"] > 0
        assert len({ti["dag_id"] for ti in every["task_instances"]}) > 1
