"""Real tier: each fake takes or refuses the run ids near a trailing newline exactly as its
live server does (status, content type, the error's body), on runs dated in July 2023."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from raw_http import raw, raw_fake, remove, trigger

from airflow_bridge.testing import FakeAirflow

pytestmark = pytest.mark.real

SUFFIXES = ("-nl\n", "-cr\r", "-tab\t", "-mid\ny", "-plain")


def ids(prefix: str) -> list[str]:
    return [prefix + suffix for suffix in SUFFIXES] + ["\n" + prefix + "-lead"]


def shape(answer: Any) -> tuple[int, str, Any]:
    """What must agree: status, content type, and the body (a 200's keys only; the 500 page
    by the lines that say what happened and which release it is)."""
    kind = answer.headers.get("content-type", "")
    if answer.status_code == 200:
        return 200, kind, sorted(answer.json())
    if kind.startswith("text/html"):
        lines = [line.strip() for line in answer.text.splitlines()]
        said = [line for line in lines if line.startswith(("<h1>", "Something", "Airflow version"))]
        return answer.status_code, kind, said
    return answer.status_code, kind, answer.json()


def test_the_fake_refuses_and_takes_the_ids_its_live_server_does(
    live_server: dict[str, Any],
) -> None:
    api, version = str(live_server["api"]), str(live_server["version"])
    prefix = f"fakefix-{secrets.token_hex(4)}"
    minute = secrets.randbelow(60 * 24 * 20)
    fake = FakeAirflow(version)
    created: list[str] = []
    with raw(str(live_server["base_url"]), api) as live, raw_fake(fake) as faked:
        try:
            for n, run_id in enumerate(ids(prefix)):
                hour, rest = divmod(minute + n, 60)
                moment = f"2023-07-{1 + hour // 24:02d}T{hour % 24:02d}:{rest:02d}:00+00:00"
                seen = trigger(live, api, run_id, moment)
                if seen.status_code == 200:
                    created.append(run_id)
                assert shape(trigger(faked, api, run_id, moment)) == shape(seen), repr(run_id)
        finally:
            for run_id in created:
                remove(live, api, run_id)
