"""The fast structuring path: per-shape functions, compiled or from cattrs, and runs built
while a page is decoded give the same models as the general rules (unknown keys kept,
defaults, context values)."""

from __future__ import annotations

import copy
import gc
import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import attrs
import pytest
from airflow_bridge.adapters import Reply, V1Adapter, V2Adapter
from airflow_bridge.adapters._wire_model import MAX_SHAPES, WireModel
from hypothesis import given, settings
from hypothesis import strategies as st
from mockserver import v1_run, v2_run

from airflow_bridge import DagRun, DagRunState, RunType
from airflow_bridge.errors import InvalidResponse
from airflow_bridge.models import DagRunRef, ServerInfo

V2 = V2Adapter(ServerInfo(base_url="http://b", api="v2", version="3.3.2"))
V1 = V1Adapter(ServerInfo(base_url="http://a", api="v1", version="2.10.5"))


def page(adapter: Any, runs: list[dict[str, Any]]) -> Any:
    body = {"dag_runs": runs, "total_entries": len(runs)}
    return adapter.parse_page(Reply(200, {}, json.dumps(body).encode()))


def test_runs_of_different_shapes_in_one_page_each_keep_their_own_fields() -> None:
    full = v2_run("r1", state="failed", note="n")
    reordered = dict(reversed(list(v2_run("r2").items())))
    sparse = {"dag_run_id": "r3", "dag_id": "etl", "state": "running"}  # an old release
    extra = v2_run("r4", brand_new={"x": 1}, api="wire api", server="wire server")
    runs = page(V2, [full, reordered, sparse, extra]).runs
    assert [r.run_id for r in runs] == ["r1", "r2", "r3", "r4"]
    assert (runs[0].state, runs[0].note) == (DagRunState.FAILED, "n")
    assert runs[1].queued_at == datetime(2024, 1, 1, 0, 0, 1, tzinfo=timezone.utc)
    assert (runs[2].conf, runs[2].logical_date, runs[2].extra) == ({}, None, {})
    # Wire keys that share a name with a context field are unknown fields, kept in extra.
    assert runs[3].extra == {
        "dag_versions": [],
        "partition_key": None,
        "partition_date": None,
        "brand_new": {"x": 1},
        "api": "wire api",
        "server": "wire server",
    }
    assert (runs[3].api, runs[3].server) == ("v2", "http://b")


def test_a_run_parsed_alone_equals_the_same_run_in_a_page() -> None:
    for adapter, sample in ((V2, v2_run), (V1, v1_run)):
        alone = adapter.parse_run(Reply(200, {}, json.dumps(sample("r9")).encode()))
        assert page(adapter, [sample("r8"), sample("r9")]).runs[1] == alone


def test_more_shapes_than_the_cache_holds_still_parse() -> None:
    runs = [v2_run(f"r{i}", **{f"new_{i}": i}) for i in range(MAX_SHAPES + 5)]
    parsed = page(V2, runs).runs
    assert [r.extra[f"new_{i}"] for i, r in enumerate(parsed)] == list(range(MAX_SHAPES + 5))
    assert len(V2.run_model._shapes) <= MAX_SHAPES


@pytest.mark.parametrize(
    ("state", "expected"),
    [("success", DagRunState.SUCCESS), ("restarting", "restarting"), (["odd"], ["odd"])],
)
def test_states_unknown_or_odd_are_kept_as_sent(state: Any, expected: Any) -> None:
    (run,) = page(V2, [v2_run(state=state)]).runs
    assert run.state == expected
    assert type(run.state) is type(expected)


def test_run_types_map_by_value_and_airflow_2_names() -> None:
    (v1,) = page(V1, [v1_run(run_type="dataset_triggered")]).runs
    (v2,) = page(V2, [v2_run(run_type="a_new_kind")]).runs
    assert (v1.run_type, v2.run_type) == (RunType.ASSET_TRIGGERED, "a_new_kind")


def test_text_fields_stay_str() -> None:
    (run,) = page(V2, [v2_run(triggered_by=7, note="")]).runs
    assert (run.triggered_by, run.note) == ("7", None)


def test_a_page_that_fails_leaves_the_gc_on() -> None:
    with pytest.raises(Exception, match="unexpected body shape"):
        V2.parse_page(Reply(200, {}, b'{"dag_runs": [{"dag_id": "etl"}]}'))
    assert gc.isenabled()


def test_import_leaves_what_the_first_request_does_not_need_unloaded() -> None:
    """`import airflow_bridge` stays light (issue 13's import target): dateutil comes with
    the first date fromisoformat cannot read, cattrs with the first model that is not
    compiled (a run is, so parsing runs never imports it), and the CLI, the fleet and the
    testing package only when imported themselves. (With the `[cli]` extra installed, httpx
    itself imports click and rich for its own command line.)"""
    probe = (
        "import sys, airflow_bridge; "
        "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'cattrs', 'dateutil'} or m.startswith("
        "('airflow_bridge.cli', 'airflow_bridge.fleet', 'airflow_bridge.testing')))))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = set(done.stdout.split())
    assert not loaded, f"imported too early: {sorted(loaded)}"
    parsed = subprocess.run(
        [sys.executable, "-c", probe.replace("airflow_bridge; ", "airflow_bridge; " + _PARSE)],
        capture_output=True,
        text=True,
        check=True,
    )
    imported = {name.split(".")[0] for name in parsed.stdout.split()}
    assert imported == {"dateutil"}, "the probe cannot see a lazy import happen"


_PARSE = (
    "from airflow_bridge.adapters import Reply, V2Adapter; "
    "from airflow_bridge.models import ServerInfo; "
    "V2Adapter(ServerInfo(base_url='http://b', api='v2')).parse_run(Reply(200, {}, "
    'b\'{"dag_id": "d", "dag_run_id": "r", "start_date": "2024-03-01 12:00:00 UTC"}\')); '
)


# -- the compiled path and the cattrs path read every body alike ------------------------------

ADAPTERS_BY_API = {"v1": V1, "v2": V2}
REPO = Path(__file__).resolve().parents[2]


def cattrs_twin(model: WireModel[Any]) -> WireModel[Any]:
    """The same model on the cattrs path (the general one, for models that cannot compile)."""
    twin = copy.copy(model)
    twin._compiled = False
    twin._shapes = {}
    return twin


def both_paths(api: str, raws: list[dict[str, Any]]) -> tuple[Any, Any]:
    """Each path's runs, or the class of the error each raised (InvalidResponse's causes)."""
    model = ADAPTERS_BY_API[api].run_model
    assert model._compiled, "DagRun is meant to take the compiled path"
    outcomes = []
    for reader in (model, cattrs_twin(model)):
        try:
            outcomes.append(reader.many(copy.deepcopy(raws), api=api, server="http://s"))
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError):
            outcomes.append("refused")  # each becomes InvalidResponse (Adapter._structure)
    return outcomes[0], outcomes[1]


def recorded_runs() -> list[tuple[str, str, list[dict[str, Any]]]]:
    """Every run body recorded from a live server (or derived, for 2.0-2.5), per file."""
    found = []
    for path in sorted((REPO / "fixtures").glob("*/*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        response = record.get("response") if isinstance(record, dict) else None
        body = response.get("body") if isinstance(response, dict) else None
        api = "v2" if path.parent.name.startswith("3.") else "v1"
        if isinstance(body, dict) and isinstance(body.get("dag_runs"), list) and body["dag_runs"]:
            found.append((api, f"{path.parent.name}/{path.name}", body["dag_runs"]))
        elif isinstance(body, dict) and "dag_run_id" in body and "dag_id" in body:
            found.append((api, f"{path.parent.name}/{path.name}", [body]))
    return found


RECORDED = recorded_runs()


def test_every_release_recorded_has_runs_to_compare() -> None:
    releases = {name.split("/")[0] for _, name, _ in RECORDED}
    assert len(RECORDED) > 100
    assert {"2.0.2", "2.10.5", "3.0.6", "3.3.2"} <= releases


@pytest.mark.parametrize(("api", "name", "raws"), RECORDED, ids=[n for _, n, _ in RECORDED])
def test_recorded_runs_read_the_same_on_both_paths(
    api: str, name: str, raws: list[dict[str, Any]]
) -> None:
    compiled, general = both_paths(api, raws)
    assert compiled == general
    assert all(type(run) is DagRun for run in compiled)


odd_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.sampled_from(
        [
            *("", "success", "queued", "dataset_triggered", "asset_triggered", "a_new_kind"),
            *("2024-03-01T12:00:00Z", "2024-03-01T14:00:00+02:00", "2024-03-01T12:00:00"),
            *("2024-03-01 12:00:00 UTC", "not a date", "2024-02-30T00:00:00Z"),
        ]
    ),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@settings(max_examples=300, deadline=None)
@given(api=st.sampled_from(["v1", "v2"]), data=st.data())
def test_bodies_changed_at_random_read_the_same_on_both_paths(api: str, data: Any) -> None:
    """Keys dropped, nulled, given odd values or added, and reordered: the two paths agree
    on the model, or both refuse the body."""
    base = (v1_run if api == "v1" else v2_run)("r1", note="n")
    body: dict[str, Any] = {}
    for key, value in base.items():
        change = data.draw(st.sampled_from(["keep", "keep", "drop", "odd"]))
        if change != "drop":
            body[key] = data.draw(odd_values) if change == "odd" else value
    body.update(data.draw(st.dictionaries(st.text(min_size=1, max_size=8), odd_values)))
    keys = data.draw(st.permutations(list(body)))
    twice = [{key: body[key] for key in keys}, dict(body)]  # two shapes, one page
    compiled, general = both_paths(api, twice)
    assert compiled == general


def test_a_model_that_cannot_be_filled_directly_takes_the_cattrs_path() -> None:
    @attrs.frozen(kw_only=True)
    class Checked:
        dag_id: str = attrs.field(validator=attrs.validators.min_len(1))
        extra: dict[str, Any] = attrs.field(factory=dict)

    @attrs.frozen(kw_only=True)
    class Nested:
        dag_id: str
        ref: DagRunRef | None = None
        extra: dict[str, Any] = attrs.field(factory=dict)

    for cls in (Checked, Nested):
        model = WireModel(V2.run_model._wire, cls, renames={}, catch_all="extra")
        assert not model._compiled
    with pytest.raises(ValueError, match="dag_id"):  # the validator ran: __init__ was called
        WireModel(V2.run_model._wire, Checked, renames={}, catch_all="extra")({"dag_id": ""})


def test_airflow_2_execution_date_is_read_only_where_logical_date_is_absent() -> None:
    both = v1_run("r1", logical_date="2024-01-02T00:00:00+00:00")
    both["execution_date"] = "2023-01-01T00:00:00+00:00"
    before_2_2 = {k: v for k, v in both.items() if k != "logical_date"}
    for path in (V1.run_model, cattrs_twin(V1.run_model)):
        newer, older = path.many([dict(both), dict(before_2_2)], api="v1", server="s")
        assert newer.logical_date == datetime(2024, 1, 2, tzinfo=timezone.utc)
        assert older.logical_date == datetime(2023, 1, 1, tzinfo=timezone.utc)
        assert "execution_date" not in newer.extra and "execution_date" not in older.extra


# -- runs built while the page is decoded (decode_list) --------------------------------------


def fresh_v2() -> V2Adapter:
    """An adapter whose run model has no shapes yet (the class's model is shared)."""
    adapter = V2Adapter(ServerInfo(base_url="http://b", api="v2", version="3.3.2"))
    adapter.run_model = copy.copy(V2.run_model)
    adapter.run_model._shapes = {}
    return adapter


def page_bytes(runs: list[Any]) -> bytes:
    return json.dumps({"dag_runs": runs, "total_entries": len(runs)}).encode()


def test_a_second_page_is_built_while_decoding_and_equals_the_plain_reading() -> None:
    adapter = fresh_v2()
    content = page_bytes([v2_run(f"r{i}", note="n") for i in range(5)])
    first = adapter.parse_page(Reply(200, {}, content))  # learns the shape
    model = adapter.run_model
    body = model.decode_list(content, "dag_runs", api="v2", server="http://b")
    assert all(type(run) is DagRun for run in body["dag_runs"]), "not built while decoding"
    assert adapter.parse_page(Reply(200, {}, content)) == first


def test_a_run_shaped_object_inside_conf_stays_a_dict() -> None:
    adapter = fresh_v2()
    adapter.parse_page(Reply(200, {}, page_bytes([v2_run("r0")])))
    upstream = v2_run("upstream")  # e.g. another system's run, passed on in conf
    content = page_bytes([v2_run("r1", conf={"upstream": upstream}), v2_run("r2")])
    (r1, r2) = adapter.parse_page(Reply(200, {}, content)).runs
    assert r1.conf == {"upstream": upstream} and type(r1.conf["upstream"]) is dict
    assert r2.run_id == "r2"


def test_a_page_the_hook_cannot_build_reads_and_fails_as_the_plain_path_does() -> None:
    adapter = fresh_v2()
    adapter.parse_page(Reply(200, {}, page_bytes([v2_run("r0")])))
    broken = page_bytes([v2_run("r1"), v2_run("r2", start_date="not a date")])
    with pytest.raises(InvalidResponse, match="unexpected body shape") as hooked:
        adapter.parse_page(Reply(200, {}, broken))
    with pytest.raises(InvalidResponse, match="unexpected body shape") as plain:
        fresh_v2().parse_page(Reply(200, {}, broken))
    assert str(hooked.value) == str(plain.value)
    with pytest.raises(InvalidResponse, match="expected JSON"):
        adapter.parse_page(Reply(200, {}, b'{"dag_runs": [' + json.dumps(v2_run()).encode()))


def test_pages_of_mixed_and_odd_shapes_read_as_without_the_hook() -> None:
    adapter = fresh_v2()
    adapter.parse_page(Reply(200, {}, page_bytes([v2_run("r0")])))
    mixed = [v2_run("r1"), {"dag_run_id": "r2", "dag_id": "etl"}, v2_run("r3", brand_new=1)]
    expected = fresh_v2().parse_page(Reply(200, {}, page_bytes(mixed)))
    assert adapter.parse_page(Reply(200, {}, page_bytes(mixed))) == expected
    for odd in (b'{"dag_runs": {}}', b"[]", b'{"total_entries": 1}', b'{"dag_runs": [1]}'):
        assert outcome(adapter, odd) == outcome(fresh_v2(), odd)


def outcome(adapter: V2Adapter, content: bytes) -> Any:
    try:
        return adapter.parse_page(Reply(200, {}, content))
    except InvalidResponse as error:
        return str(error)


PAGES = [recorded for recorded in RECORDED if len(recorded[2]) > 1]


@pytest.mark.parametrize(("api", "name", "raws"), PAGES, ids=[name for _, name, _ in PAGES])
def test_recorded_pages_built_while_decoding_equal_the_plain_reading(
    api: str, name: str, raws: list[dict[str, Any]]
) -> None:
    model = ADAPTERS_BY_API[api].run_model
    content = page_bytes(raws)
    model.many(json.loads(content)["dag_runs"], api=api, server="s")  # the shapes are known
    decoded = model.decode_list(content, "dag_runs", api=api, server="s")["dag_runs"]
    assert any(type(item) is DagRun for item in decoded)
    plain = model.many(json.loads(content)["dag_runs"], api=api, server="s")
    assert model.many(decoded, api=api, server="s") == plain
