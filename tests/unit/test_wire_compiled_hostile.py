"""The compiled DagRun reader against bodies a hostile or broken server could send: keys that
look like source code or generated names, keys and shapes meant to grow memory, and bodies
that are not runs at all. Each is read as the cattrs path reads it, or refused."""

from __future__ import annotations

import copy
import gc
import json
import pickle
import weakref
from typing import Any

import attrs
import pytest
from airflow_bridge.adapters import Reply, V1Adapter, V2Adapter
from airflow_bridge.adapters._wire_model import MAX_SHAPE_CHARS, MAX_SHAPES, WireModel
from mockserver import v1_run, v2_run

from airflow_bridge import DagRun
from airflow_bridge.errors import InvalidResponse
from airflow_bridge.models import ServerInfo

ADAPTERS = {
    "v1": (V1Adapter(ServerInfo(base_url="http://a", api="v1", version="2.10.5")), v1_run),
    "v2": (V2Adapter(ServerInfo(base_url="http://b", api="v2", version="3.3.2")), v2_run),
}


def fresh(model: WireModel[Any], *, compiled: bool = True) -> WireModel[Any]:
    """`model` with an empty shape cache (on the cattrs path unless `compiled`)."""
    twin = copy.copy(model)
    twin._compiled = compiled and model._compiled
    twin._shapes = {}
    return twin


def read_both(api: str, body: bytes) -> tuple[Any, Any]:
    """The runs of a page body as each path reads them, or "refused" (InvalidResponse)."""
    adapter, _ = ADAPTERS[api]
    outcomes = []
    for compiled in (True, False):
        reader = copy.copy(adapter)
        reader.run_model = fresh(adapter.run_model, compiled=compiled)
        try:
            outcomes.append(reader.parse_page(Reply(200, {}, body)).runs)
        except InvalidResponse:
            outcomes.append("refused")
    return outcomes[0], outcomes[1]


HOSTILE_KEYS = [
    *("'", '"', "\\", "'''", '"""', "\\'", "\n", "\r\n", "\x00", "\u2028", "\ufeff", "", " "),
    "'); import os; os.system('echo injected') #",
    "a'b\"c\\d\ne",
    *("o", "c", "r", "v", "d", "_new", "_cls", "_set_dag_id", "_c_states", "_c_UTC"),
    *("_default_note", "_default_conf", "__builtins__", "structure", "None", "{0}"),
    *("@extra", "extra", "api", "server", "run_id", "x" * 100_000),
]


@pytest.mark.parametrize("api", ["v1", "v2"])
@pytest.mark.parametrize("key", HOSTILE_KEYS, ids=lambda key: repr(key)[:30])
def test_a_key_is_only_ever_data_kept_in_extra(api: str, key: str) -> None:
    _, run = ADAPTERS[api]
    body = json.dumps({"dag_runs": [{**run("r1"), key: [key]}], "total_entries": 1}).encode()
    compiled, general = read_both(api, body)
    assert compiled == general
    (parsed,) = compiled
    assert (parsed.extra[key], parsed.api, parsed.run_id) == ([key], api, "r1")


@pytest.mark.parametrize("api", ["v1", "v2"])
def test_lone_surrogates_in_keys_and_values_are_kept(api: str) -> None:
    body = (
        b'{"dag_runs": [{"dag_id": "\\ud800", "dag_run_id": "r\\udfff", "\\udc00": "\\ud801"}],'
        b' "total_entries": 1}'
    )
    compiled, general = read_both(api, body)
    assert compiled == general
    (parsed,) = compiled
    assert (parsed.dag_id, parsed.run_id, parsed.extra) == (
        "\ud800",
        "r\udfff",
        {"\udc00": "\ud801"},
    )


@pytest.mark.parametrize("api", ["v1", "v2"])
@pytest.mark.parametrize(
    "runs",
    [
        *([{}], [{"dag_id": "d"}], ["dag_id"], [["dag_id", "dag_run_id"]], [[1, 2.5, None]]),
        *([[{}]], [1], [None], {"dag_id": "d", "dag_run_id": "r"}, "dag_id"),
    ],
    ids=repr,
)
def test_a_body_that_is_not_a_list_of_runs_is_refused(api: str, runs: Any) -> None:
    body = json.dumps({"dag_runs": runs, "total_entries": 1}).encode()
    assert read_both(api, body) == ("refused", "refused")
    assert gc.isenabled()


def test_a_shape_the_cache_lets_go_is_freed_without_the_gc() -> None:
    """Each shape's function is dropped when the cache is emptied (or at once, for huge
    keys); with the GC paused (as a fleet's fan-out does), a function in a reference cycle
    (through its own globals) stayed until the pause ended: 101 MB for a 5 MB page of
    10,000 shapes."""
    model = fresh(ADAPTERS["v2"][0].run_model)
    shapes = [(*v2_run("r"), f"k{i}") for i in range(MAX_SHAPES)]
    gc.disable()
    try:
        functions = [weakref.ref(model._new_shape(shape)) for shape in shapes]
        assert all(function() is not None for function in functions), "the cache keeps them"
        huge = weakref.ref(model._new_shape((*v2_run("r"), "k" * MAX_SHAPE_CHARS)))
        model._new_shape((*v2_run("r"), "one more"))
        assert huge() is None
        assert [function() for function in functions] == [None] * MAX_SHAPES
    finally:
        gc.enable()


def test_huge_keys_are_read_but_their_shape_is_not_kept() -> None:
    """Keys are kept in the cache as long as the process runs: 64 pages of one run with
    a 1 MB key each kept 128 MB."""
    adapter, run = ADAPTERS["v2"]
    reader = copy.copy(adapter)
    reader.run_model = fresh(adapter.run_model)
    key = "k" * (MAX_SHAPE_CHARS + 1)
    body = json.dumps({"dag_runs": [{**run("r1"), key: 1}] * 3, "total_entries": 3}).encode()
    runs = reader.parse_page(Reply(200, {}, body)).runs
    assert [parsed.extra[key] for parsed in runs] == [1, 1, 1]
    assert reader.run_model._shapes == {}
    reader.parse_page(Reply(200, {}, json.dumps({"dag_runs": [run("r2")]}).encode()))
    assert len(reader.run_model._shapes) == 1, "an ordinary shape is kept"


def test_a_page_of_runs_each_of_its_own_shape_reads_each_alike() -> None:
    runs = [{**v2_run(f"r{i}"), f"k{i}": i} for i in range(MAX_SHAPES * 2)]
    body = json.dumps({"dag_runs": runs, "total_entries": len(runs)}).encode()
    compiled, general = read_both("v2", body)
    assert compiled == general
    assert [run.extra[f"k{i}"] for i, run in enumerate(compiled)] == list(range(MAX_SHAPES * 2))
    assert all(type(run) is DagRun for run in compiled)


@pytest.mark.parametrize("api", ["v1", "v2"])
@pytest.mark.parametrize("full", [True, False], ids=["every field", "required only"])
def test_a_run_built_slot_by_slot_behaves_as_one_built_by_init(api: str, full: bool) -> None:
    adapter, run = ADAPTERS[api]
    raw = (
        run("r1", note="n", conf={"a": [1]}, new={"x": 1})
        if full
        else {"dag_id": "d", "dag_run_id": "r"}
    )
    (parsed,) = adapter.parse_page(Reply(200, {}, json.dumps({"dag_runs": [raw]}).encode())).runs
    by_init = DagRun(**{f.name: getattr(parsed, f.name) for f in attrs.fields(DagRun)})
    assert (parsed, hash(parsed), repr(parsed)) == (by_init, hash(by_init), repr(by_init))
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        assert pickle.loads(pickle.dumps(parsed, protocol)) == parsed
    assert copy.copy(parsed) == parsed == copy.deepcopy(parsed)
    assert DagRun.from_dict(json.loads(json.dumps(parsed.to_dict()))) == parsed
    assert attrs.evolve(parsed, note="z") == attrs.evolve(by_init, note="z")


def test_runs_of_one_page_share_no_mutable_default() -> None:
    adapter, _ = ADAPTERS["v2"]
    body = json.dumps({"dag_runs": [{"dag_id": "d", "dag_run_id": f"r{i}"} for i in (1, 2)]})
    first, second = adapter.parse_page(Reply(200, {}, body.encode())).runs
    assert first.conf == second.conf == {} and first.conf is not second.conf
    assert first.extra == second.extra == {} and first.extra is not second.extra


def test_odd_shapes_that_filled_the_cache_do_not_keep_a_new_shape_out() -> None:
    """Once full of a broken server's shapes, the cache took no new one: every run of a
    shape first seen later (another server, an upgrade) was compiled again, 60x slower."""
    adapter, run = ADAPTERS["v2"]
    reader = copy.copy(adapter)
    reader.run_model = fresh(adapter.run_model)
    odd = [{"dag_id": "d", "dag_run_id": "r", f"odd{i}": i} for i in range(MAX_SHAPES)]
    reader.parse_page(Reply(200, {}, json.dumps({"dag_runs": odd}).encode()))
    reader.parse_run(Reply(200, {}, json.dumps(run("r1")).encode()))
    assert tuple(run("r1")) in reader.run_model._shapes
    assert len(reader.run_model._shapes) <= MAX_SHAPES
