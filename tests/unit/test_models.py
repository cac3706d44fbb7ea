"""The models and the converters: robust to what servers add, drop or null; lossless to_dict."""

from __future__ import annotations

import json
import warnings
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from airflow_bridge.adapters import Reply, V1Adapter, V2Adapter
from hypothesis import given, settings
from hypothesis import strategies as st
from mockserver import v1_run, v2_run

from airflow_bridge import DagRun, DagRunState, RunType
from airflow_bridge.errors import InvalidResponse
from airflow_bridge.models import ServerInfo

UTC = timezone.utc
ADAPTERS = {
    "v1": (V1Adapter(ServerInfo(base_url="http://a", api="v1", version="2.10.5")), v1_run),
    "v2": (V2Adapter(ServerInfo(base_url="http://b", api="v2", version="3.3.2")), v2_run),
}
REQUIRED = {"dag_id", "dag_run_id"}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
dates = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
)


def parse(api: str, body: dict[str, Any]) -> DagRun:
    adapter, _ = ADAPTERS[api]
    return adapter.parse_run(Reply(200, {}, json.dumps(body).encode()))


@settings(max_examples=150, deadline=None)
@given(
    api=st.sampled_from(["v1", "v2"]),
    added=st.dictionaries(st.text(min_size=1, max_size=12), json_values, max_size=4),
    data=st.data(),
)
def test_converters_never_crash_on_fields_added_removed_or_null(
    api: str, added: dict[str, Any], data: st.DataObject
) -> None:
    _, sample = ADAPTERS[api]
    body = sample()
    optional = sorted(set(body) - REQUIRED)
    removed = data.draw(st.sets(st.sampled_from(optional)))
    nulled = data.draw(st.sets(st.sampled_from(optional)))
    wire = {k: (None if k in nulled else v) for k, v in body.items() if k not in removed}
    fresh = {k: v for k, v in added.items() if k not in body and not k.startswith("@")}
    wire.update(fresh)
    run = parse(api, wire)
    assert (run.dag_id, run.run_id, run.api) == ("etl", "r1", api)
    for key, value in fresh.items():
        assert run.extra[key] == value, "an unknown field was dropped"


@settings(max_examples=150, deadline=None)
@given(
    api=st.sampled_from(["v1", "v2"]),
    start=dates,
    took=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3)),
    state=st.sampled_from([*DagRunState, "future_state"]),
    conf=st.dictionaries(st.text(max_size=5), json_values, max_size=3),
    note=st.none() | st.text(max_size=20),
)
def test_to_dict_is_json_ready_and_round_trips(
    api: str, start: datetime, took: timedelta, state: Any, conf: dict[str, Any], note: str | None
) -> None:
    _, sample = ADAPTERS[api]
    body = sample(
        start_date=start.isoformat(),
        end_date=(start + took).isoformat(),
        state=getattr(state, "value", state),
        conf=conf,
        note=note,
    )
    run = parse(api, body)
    as_json = json.loads(json.dumps(run.to_dict()))
    assert DagRun.from_dict(as_json) == run
    assert run.duration == took


@pytest.mark.parametrize(
    "text",
    [
        "2024-03-01T12:00:00+00:00",
        "2024-03-01T12:00:00Z",
        "2024-03-01T12:00:00.123456Z",
        "2024-03-01T14:00:00+02:00",
        "2024-03-01T12:00:00",  # naive: Airflow means UTC
        "2024-03-01 12:00:00 UTC",  # not ISO: the dateutil fallback
    ],
)
def test_server_dates_become_aware_utc(text: str) -> None:
    run = parse("v2", v2_run(start_date=text))
    assert run.start_date is not None
    assert run.start_date.tzinfo is UTC
    assert run.start_date.replace(microsecond=0) == datetime(2024, 3, 1, 12, tzinfo=UTC)


def test_an_unreadable_date_is_invalid_response() -> None:
    with pytest.raises(InvalidResponse, match="unexpected body shape"):
        parse("v2", v2_run(start_date="yesterday-ish"))


def test_execution_date_warns_and_returns_logical_date() -> None:
    run = parse("v1", v1_run())
    with pytest.warns(DeprecationWarning, match="use logical_date"):
        assert run.execution_date == run.logical_date == datetime(2024, 1, 1, tzinfo=UTC)


def test_v1_and_v2_normalize_to_the_same_fields() -> None:
    v1 = parse("v1", v1_run(run_type="dataset_triggered", state="success"))
    v2 = parse("v2", v2_run(run_type="asset_triggered", state="success"))
    same = ("dag_id", "run_id", "state", "run_type", "logical_date", "conf", "note")
    assert {k: getattr(v1, k) for k in same} == {k: getattr(v2, k) for k in same}
    assert v1.run_type is RunType.ASSET_TRIGGERED


def test_models_are_immutable_and_hashable() -> None:
    run = parse("v2", v2_run(conf={"a": 1}))
    with pytest.raises(AttributeError):
        run.state = DagRunState.FAILED  # type: ignore[misc]
    assert hash(run) == hash(parse("v2", v2_run(conf={"a": 1})))


def test_structuring_warns_nothing() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        parse("v1", v1_run())
