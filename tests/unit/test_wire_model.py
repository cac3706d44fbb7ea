"""The fast structuring path: per-shape functions, the GC pause and the optional orjson decoder
give the same models as the general rules (unknown keys kept, defaults, context values)."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import threading
from datetime import datetime, timezone
from typing import Any

import pytest
from airflow_bridge.adapters import Reply, V1Adapter, V2Adapter, _json
from airflow_bridge.adapters._wire_model import MAX_SHAPES, gc_paused
from mockserver import v1_run, v2_run

from airflow_bridge import DagRunState, RunType
from airflow_bridge.models import ServerInfo

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


def test_gc_pause_nests_and_restores_what_it_found() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled(), "a GC the application disabled was turned on"
    finally:
        gc.enable()


def test_gc_pause_from_many_threads_ends_with_the_gc_on() -> None:
    start = threading.Barrier(8)
    parsed: list[int] = []

    def parse() -> None:
        start.wait()
        for _ in range(20):
            parsed.append(len(page(V2, [v2_run(f"r{i}") for i in range(50)]).runs))

    threads = [threading.Thread(target=parse) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert parsed == [50] * 160
    assert gc.isenabled()


def test_gc_is_back_on_after_a_page_that_fails() -> None:
    with pytest.raises(Exception, match="unexpected body shape"):
        V2.parse_page(Reply(200, {}, b'{"dag_runs": [{"dag_id": "etl"}]}'))
    assert gc.isenabled()


def strict_decoder(content: bytes) -> Any:
    """A stand-in for orjson: refuses what orjson refuses (NaN) and decodes the rest."""
    if b"NaN" in content:
        raise _StrictError("NaN")
    return json.loads(content)


class _StrictError(ValueError):
    pass


def test_bodies_a_strict_fast_decoder_refuses_are_decoded_by_the_stdlib(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_json, "_FAST", (strict_decoder, _StrictError))
    (run,) = page(V2, [v2_run(conf={"ok": 1})]).runs
    assert run.conf == {"ok": 1}
    nan = V2.parse_run(Reply(200, {}, json.dumps(v2_run(conf={"x": float("nan")})).encode()))
    assert str(nan.conf["x"]) == "nan"
    with pytest.raises(ValueError):
        _json.loads(b"{not json")


def test_orjson_when_installed_reads_pages_like_the_stdlib() -> None:
    orjson = pytest.importorskip("orjson")
    body = json.dumps({"dag_runs": [v2_run(f"r{i}") for i in range(3)], "total_entries": 3})
    assert orjson.loads(body) == json.loads(body)
    assert _json.DECODER == "orjson"


def test_import_leaves_what_the_first_request_does_not_need_unloaded() -> None:
    """`import airflow_bridge` stays light (issue 13's import target): cattrs comes with the
    first parse, dateutil with the first date fromisoformat cannot read, and the CLI, the
    fleet and the testing package only when imported themselves. (With the `[cli]` extra
    installed, httpx itself imports click and rich for its own command line.)"""
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
    assert "cattrs" in parsed.stdout.split(), "the probe cannot see a lazy import happen"


_PARSE = (
    "from airflow_bridge.adapters import Reply, V2Adapter; "
    "from airflow_bridge.models import ServerInfo; "
    "V2Adapter(ServerInfo(base_url='http://b', api='v2')).parse_run(Reply(200, {}, "
    'b\'{"dag_id": "d", "dag_run_id": "r"}\')); '
)


def test_integers_beyond_64_bits_are_kept_exact_with_or_without_orjson() -> None:
    # orjson 3.13 reads them as floats; the decoder sends such bodies to the stdlib
    from airflow_bridge.adapters._json import loads

    body = b'{"conf": {"big": -9223372036854775809, "bigger": 18446744073709551616}}'
    assert loads(body) == {"conf": {"big": -9223372036854775809, "bigger": 18446744073709551616}}
