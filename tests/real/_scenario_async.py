"""The live facade scenario, written once: `_scenario_async.py` is the source and drives the
async client; scripts/unasync.py generates `_scenario_sync.py` from it, which drives the
sync client step for step. Comments here serve both ("returns", not "awaits").

`run_scenario` uses every `dag_runs` method and meets every error type. Each step records a
normalized result and, instead of stopping the scenario, its failure (`Outcome.step`).
"""

from __future__ import annotations

import time
from typing import Any

import anyio
import httpx
import pytest
from _scenario_common import (
    CONF,
    CONSUMER,
    ERROR_CALLS,
    EXPECTED_ERRORS,
    EXPECTED_LOCAL_ERRORS,
    FULL_MINUTE,
    LOCAL_ERROR_CALLS,
    ODD_ID_MINUTE,
    PAGE_RUNS,
    PLAIN,
    PRODUCER,
    PRODUCER_MINUTE,
    STUCK_MINUTE,
    TRAVERSALS,
    WAIT_TIMEOUT,
    Call,
    Ids,
    Outcome,
    Sent,
    Server,
    check_run,
    client_options,
    closed_port,
    expect_bare,
    expect_clear_dry,
    expect_clear_real,
    expect_event,
    expect_finished,
    expect_full,
    expect_listing,
    expect_path,
    expect_wait_timeout,
    full_interval,
    normal,
    page_confs,
    pages_sent,
    state_name,
)

from airflow_bridge import AssetEvent, AsyncClient, DagRun, DagRunState, RunType
from airflow_bridge.errors import (
    AirflowBridgeError,
    Conflict,
    InvalidArgument,
    InvalidRunId,
    NotFound,
    UnsupportedOperation,
    WaitTimeout,
)

DRIVER = AsyncClient.__name__
HTTP_TIMEOUT = 120.0  # seconds: the shared 3.3.2 server stalls up to ~55 s at times
LOG_TAIL = 20  # records of a failed task's log shown when a run that should succeed failed


class AsyncRecorder:
    """Every request the scenario's httpx client sends (its request hook)."""

    def __init__(self) -> None:
        self._sent: list[Sent] = []

    async def hook(self, request: httpx.Request) -> None:
        self._sent.append(Sent.of(request))

    def take(self) -> list[Sent]:
        """What was sent since the last take."""
        sent, self._sent = self._sent, []
        return sent


async def run_scenario(server: Server) -> Outcome:
    """One scenario run on `server`, with this module's client; deletes what it created."""
    ids, out, sent = Ids.new(DRIVER), Outcome(f"{server.version} {DRIVER}"), AsyncRecorder()
    created: list[tuple[str, str]] = []
    hooks = {"request": [sent.hook]}
    async with httpx.AsyncClient(timeout=HTTP_TIMEOUT, event_hooks=hooks) as http:
        client = AsyncClient(
            server.base_url, username=server.username, password=server.password, http_client=http
        )
        try:
            await scenario(client, server, ids, sent, out, created)
        finally:
            with out.step("cleanup"):
                for dag_id, run_id in reversed(created):
                    await remove(client, dag_id, run_id)
    return out


async def remove(client: AsyncClient, dag_id: str, run_id: str, attempts: int = 5) -> None:
    """Delete a run if it exists, failing it first if it is unfinished: Airflow 3 refuses
    (409) to delete a running run, and the scheduler may start it again meanwhile."""
    for attempt in range(attempts):
        try:
            if not (await client.dag_runs.get(dag_id, run_id)).is_finished:
                await client.dag_runs.set_state(dag_id, run_id, DagRunState.FAILED)
            await client.dag_runs.delete(dag_id, run_id)
            return
        except NotFound:
            return
        except Conflict:
            if attempt == attempts - 1:
                raise
            await anyio.sleep(1.0)


async def raised(call: Call, runs: Any, ids: Ids) -> str:
    """The name of what `call` raised, or "nothing raised"."""
    try:
        await call(runs, ids)
    except (AirflowBridgeError, ValueError, TypeError) as exc:
        return type(exc).__name__
    return "nothing raised"


async def why_failed(client: AsyncClient, dag_id: str, run_id: str) -> str:
    """The last records of each failed task's log: whether the task or the server failed."""
    lines = []
    for task in await client.task_instances.failed(dag_id, run_id):
        records = await client.task_instances.logs(dag_id, run_id, task.task_id)
        lines += [f"{task.task_id}: {record.message}" for record in records[-LOG_TAIL:]]
    return "\n".join(lines) or "no failed task instance"


async def find_consumer(client: AsyncClient, producer: str) -> tuple[DagRun, list[AssetEvent]]:
    """The consumer run whose upstream events include the producer run's event."""
    deadline, checked = time.monotonic() + WAIT_TIMEOUT, set()
    while True:
        for run in await client.dag_runs.list(CONSUMER, order_by="-id", limit=20):
            if run.run_id not in checked:
                events = await client.dag_runs.upstream_events(CONSUMER, run.run_id)
                if any(event.source_run_id == producer for event in events):
                    return run, events
                checked.add(run.run_id)  # a run's upstream events never change
        assert time.monotonic() < deadline, f"no {CONSUMER} run was triggered by {producer}"
        await anyio.sleep(1.0)


async def scenario(
    client: AsyncClient,
    server: Server,
    ids: Ids,
    sent: AsyncRecorder,
    out: Outcome,
    created: list[tuple[str, str]],
) -> None:
    runs, r = client.dag_runs, out.results
    full, producer, stuck = ids.run("full"), ids.run("producer"), ids.run("stuck")
    window = ids.window(0, 11)  # the 12 page runs

    with out.step("server is detected"):
        info = await client.server
        assert (info.api, info.version, info.base_url) == (
            server.api,
            server.version,
            server.base_url,
        )

    with out.step("trigger the producer"):  # first: the scheduler works while the rest runs
        created.append((PRODUCER, producer))
        run = await runs.trigger(PRODUCER, run_id=producer, logical_date=ids.at(PRODUCER_MINUTE))
        check_run(run, server)
        r["trigger the producer"] = normal(run, ids)

    with out.step("trigger with logical_date, conf, note and data_interval"):
        created.append((PLAIN, full))
        interval = full_interval(ids) if info.supports("data_interval") else None
        if interval is None:  # before Airflow 2.9: refused before sending
            with pytest.raises(UnsupportedOperation, match="data_interval"):
                await runs.trigger(PLAIN, run_id=full, data_interval=full_interval(ids))
        run = await runs.trigger(
            PLAIN,
            run_id=full,
            logical_date=ids.at(FULL_MINUTE),
            conf=CONF,
            note="made by the facade scenario",
            data_interval=interval,
        )
        r["trigger with every option"] = expect_full(run, server, ids, interval)

    with out.step("get returns the triggered run"):
        run = await runs.get(PLAIN, full)
        check_run(run, server)
        r["get"] = normal(run, ids, state=False)
        assert r["get"] == {k: v for k, v in r["trigger with every option"].items() if k != "state"}

    with out.step("trigger without run_id or logical_date"):
        run = await runs.trigger(PLAIN)
        created.append((PLAIN, run.run_id))
        r["trigger bare"] = expect_bare(run, server)

    with out.step("wait raises WaitTimeout on a run that has not finished in time"):
        # A just-triggered run is still queued at the first poll, so timeout=0 must raise.
        # (A run dated in the future would never finish, but it keeps the Airflow 3
        # scheduler failing every loop, and the SQLite lock waits that follow break the
        # requests after it.)
        created.append((PLAIN, stuck))
        await runs.trigger(PLAIN, run_id=stuck, logical_date=ids.at(STUCK_MINUTE))
        with pytest.raises(WaitTimeout) as caught:
            await runs.wait(PLAIN, stuck, timeout=0, interval=0.25)
        r["wait timeout"] = expect_wait_timeout(caught.value, ids)

    with out.step("trigger 12 runs and set their states (enum and string)"):
        for k, page in enumerate(PAGE_RUNS):
            created.append((PLAIN, ids.page(page)))
            await runs.trigger(
                PLAIN, run_id=ids.page(page), logical_date=ids.at(page.minute), conf={"k": k}
            )
        # Only finished runs are changed: a run the scheduler is starting can lose the change.
        for page in PAGE_RUNS:
            done = await runs.wait(PLAIN, ids.page(page), timeout=WAIT_TIMEOUT)
            assert done.state is DagRunState.SUCCESS
        states = []
        for k, page in enumerate(PAGE_RUNS):
            if page.state is DagRunState.FAILED:
                target = DagRunState.FAILED if k % 4 == 1 else "failed"
                run = await runs.set_state(PLAIN, ids.page(page), target)
                check_run(run, server)
                states.append(run.state)
        assert states == [DagRunState.FAILED] * 6
        r["set_state on 6 of them"] = [state_name(state) for state in states]

    with out.step("iter walks three pages of 5, each run once"):
        sent.take()
        listed = [run async for run in runs.iter(PLAIN, page_size=5, **window)]
        seen = [run.run_id for run in listed]
        r["iter pages"] = sorted(expect_listing(ids, seen, sent.take(), ids.pages(), [5, 5, 5]))
        assert {run.run_id: run.conf for run in listed} == page_confs(ids)

    with out.step("list stops at limit, ordered by run_id"):
        sent.take()
        limited = await runs.list(PLAIN, limit=7, page_size=5, order_by="run_id", **window)
        seen = [run.run_id for run in limited]
        assert seen == sorted(ids.pages())[:7]  # the first 7 by run_id, in order
        r["list limit"] = expect_listing(ids, seen, sent.take(), seen, [5, 2])

    with out.step("list orders by -logical_date and by run_id"):
        by_date = [run.run_id for run in await runs.list(PLAIN, order_by="-logical_date", **window)]
        by_id = [run.run_id for run in await runs.list(PLAIN, order_by="run_id", **window)]
        assert by_date == [ids.page(p) for p in sorted(PAGE_RUNS, key=lambda p: -p.minute)]
        assert by_id == sorted(ids.pages())
        assert len({tuple(by_date), tuple(by_id), tuple(ids.pages())}) == 3
        r["list order_by"] = [[ids.local(i) for i in by_date], [ids.local(i) for i in by_id]]

    with out.step("list filters by states"):
        failed = [run.run_id for run in await runs.list(PLAIN, states=["failed"], **window)]
        succeeded = [
            run.run_id for run in await runs.list(PLAIN, states=DagRunState.SUCCESS, **window)
        ]
        both = await runs.list(PLAIN, states=[DagRunState.SUCCESS, "failed"], **window)
        assert sorted(failed) == sorted(ids.pages(state=DagRunState.FAILED))
        assert sorted(succeeded) == sorted(ids.pages(state=DagRunState.SUCCESS))
        assert len(both) == 12
        r["list states"] = [sorted(ids.local(i) for i in failed), len(succeeded), len(both)]

    with out.step("list filters by a logical_date range"):
        seen = [run.run_id for run in await runs.list(PLAIN, **ids.window(3, 8))]
        assert sorted(seen) == sorted(ids.page(p) for p in PAGE_RUNS if 3 <= p.minute <= 8)
        r["list date range"] = sorted(ids.local(i) for i in seen)

    with out.step("count matches the listing"):
        counts = [
            await runs.count(PLAIN, **window),
            await runs.count(PLAIN, states="failed", **window),
            await runs.count(PLAIN, **ids.window(3, 8)),
        ]
        assert counts == [12, 6, 6]
        assert await runs.count(PLAIN) >= 15  # ours alone: 12 pages, full, bare, stuck
        assert await runs.count() >= await runs.count(PLAIN)
        r["count"] = counts

    with out.step("dag_ids lists two DAGs at once, in pages"):
        wide = ids.window(0, PRODUCER_MINUTE)
        sent.take()
        pairs = [
            (run.dag_id, run.run_id)
            async for run in runs.iter(dag_ids=[PLAIN, PRODUCER], page_size=5, **wide)
        ]
        expected_pairs = [(PLAIN, i) for i in [*ids.pages(), full]] + [(PRODUCER, producer)]
        assert sorted(pairs) == sorted(expected_pairs)
        assert pages_sent(sent.take()) == [5, 5, 5]
        assert await runs.count(dag_ids=[PLAIN, PRODUCER], **wide) == 14
        everywhere = sorted((run.dag_id, run.run_id) for run in await runs.list("~", **wide))
        assert everywhere == sorted(expected_pairs)
        r["dag_ids"] = sorted(f"{dag_id}/{ids.local(run_id)}" for dag_id, run_id in pairs)

    with out.step("wait returns the finished run"):
        run = await runs.wait(PLAIN, full, timeout=WAIT_TIMEOUT, interval=1.0)
        r["wait"] = expect_finished(run, server, ids, DagRunState.SUCCESS)

    with out.step("clear, dry run, reports the task instances and changes nothing"):
        r["clear dry"] = expect_clear_dry(await runs.clear(PLAIN, full), ids)
        assert (await runs.get(PLAIN, full)).state is DagRunState.SUCCESS

    with out.step("clear for real queues the run again, and it reruns"):
        r["clear"] = expect_clear_real(await runs.clear(PLAIN, full, dry_run=False), server, ids)
        rerun = await runs.wait(PLAIN, full, timeout=WAIT_TIMEOUT, interval=1.0)
        r["rerun"] = expect_finished(rerun, server, ids, DagRunState.SUCCESS)

    with out.step("set_state sets failed, success and queued"):
        states = [
            (await runs.set_state(PLAIN, full, DagRunState.FAILED)).state,
            (await runs.set_state(PLAIN, full, "success")).state,
            (await runs.set_state(PLAIN, stuck, "failed")).state,
            (await runs.set_state(PLAIN, stuck, DagRunState.QUEUED)).state,
        ]
        assert states == [
            DagRunState.FAILED,
            DagRunState.SUCCESS,
            DagRunState.FAILED,
            DagRunState.QUEUED,
        ]
        assert (await runs.get(PLAIN, full)).state is DagRunState.SUCCESS
        r["set_state"] = [state_name(state) for state in states]

    with out.step("update sets state and note together"):
        run = await runs.update(PLAIN, full, state="failed", note="updated")
        assert (run.state, run.note) == (DagRunState.FAILED, "updated")
        again = await runs.get(PLAIN, full)
        assert (again.state, again.note) == (DagRunState.FAILED, "updated")
        r["update"] = normal(run, ids)

    with out.step("set_note changes the note only"):
        run = await runs.set_note(PLAIN, full, "noted")
        assert (run.state, run.note) == (DagRunState.FAILED, "noted")
        r["set_note"] = normal(run, ids)

    with out.step("get shows every change"):
        run = await runs.get(PLAIN, full)
        check_run(run, server)
        r["get at the end"] = normal(run, ids)
        changed = {"state": "failed", "note": "noted"}
        assert r["get at the end"] == {**r["trigger with every option"], **changed}

    with out.step("a manual run has no upstream events"):
        assert await runs.upstream_events(PLAIN, full) == []
        r["upstream_events, manual run"] = []

    with out.step("delete removes the run"):
        bare = next(run_id for _, run_id in created if run_id.startswith("manual__"))
        await runs.wait(PLAIN, bare, timeout=WAIT_TIMEOUT)  # Airflow 3 refuses to delete it running
        await runs.delete(PLAIN, bare)
        with pytest.raises(NotFound):
            await runs.get(PLAIN, bare)
        with pytest.raises(NotFound):
            await runs.delete(PLAIN, bare)
        r["delete"] = "NotFound after delete"

    with out.step("errors are the same typed errors on both generations"):
        errors, port = {}, closed_port()
        for (kind, _), calls in ERROR_CALLS.items():
            if kind == "admin":
                errors |= {name: await raised(call, runs, ids) for name, call in calls.items()}
                continue
            async with AsyncClient(**client_options(server, kind, port)) as other:
                for name, call in calls.items():
                    errors[name] = await raised(call, other.dag_runs, ids)
        r["errors"] = errors
        assert errors == EXPECTED_ERRORS
        assert (await runs.get(PLAIN, full)).state is DagRunState.FAILED  # refusals changed nothing

    with out.step("wrong arguments are refused before any request"):
        created.append((PLAIN, ids.run("naive")))  # in case one is not refused
        sent.take()
        local = {name: await raised(call, runs, ids) for name, call in LOCAL_ERROR_CALLS.items()}
        r["local errors"] = local
        assert local == EXPECTED_LOCAL_ERRORS
        assert sent.take() == []

    with out.step("a filter the server lacks is UnsupportedOperation, before any request"):
        sent.take()
        if (await client.server_info()).supports("run_types"):  # Airflow 3 has it, 2 does not
            assert await runs.count(PLAIN, run_types=RunType.MANUAL, **window) == 12
        else:
            with pytest.raises(UnsupportedOperation):
                await runs.count(PLAIN, run_types=RunType.MANUAL, **window)
            assert sent.take() == []

    with out.step("run ids with ':', '+', '.', '~' round-trip"):
        odd = f"{ids.tag}:a+b.c~d_e"
        created.append((PLAIN, odd))
        run = await runs.trigger(PLAIN, run_id=odd, logical_date=ids.at(ODD_ID_MINUTE))
        assert run.run_id == odd
        sent.take()
        assert (await runs.get(PLAIN, odd)).run_id == odd
        expect_path(sent.take(), server, PLAIN, odd)
        assert (await runs.set_note(PLAIN, odd, "odd")).note == "odd"
        minute = ids.window(ODD_ID_MINUTE, ODD_ID_MINUTE)
        assert [run.run_id for run in await runs.list(PLAIN, **minute)] == [odd]
        r["odd run id"] = ids.local(odd)

    with out.step("run ids with '..' or '/' are created or refused, never misrouted"):
        outcomes: dict[str, str] = {}
        for name in ("dots..id", "slash/id"):
            run_id = f"{ids.tag}-{name}"
            slash = "/" in name
            if not slash:  # an id with '/' cannot be addressed at all (see below)
                created.append((PLAIN, run_id))
            try:
                at = ids.at(20 + len(outcomes))
                run = await runs.trigger(PLAIN, run_id=run_id, logical_date=at)
            except InvalidRunId:  # Airflow 2.10.5 answers a 500 page, 3.3.2 a 400
                outcomes[name] = "refused"
                sent.take()
                # both servers decode %2F before routing: refused before sending
                with pytest.raises(InvalidArgument if slash else NotFound):
                    await runs.get(PLAIN, run_id)
                if slash:
                    assert not sent.take(), "an id with '/' was sent in a path"
            else:
                outcomes[name] = "created"
                assert run.run_id == run_id
                sent.take()
                assert (await runs.get(PLAIN, run_id)).run_id == run_id
                expect_path(sent.take(), server, PLAIN, run_id)
        # Airflow 2 accepts '..' in a run id, Airflow 3 refuses it; neither accepts '/'.
        assert outcomes["slash/id"] == "refused"
        r["slash in run id"] = outcomes["slash/id"]

    for run_id in TRAVERSALS:
        with out.step(f"get({PLAIN!r}, {run_id!r}) is NotFound, on the run's own endpoint"):
            sent.take()
            with pytest.raises(NotFound):
                await runs.get(PLAIN, run_id)
            expect_path(sent.take(), server, PLAIN, run_id)
            r[f"traversal {run_id}"] = "NotFound"

    with out.step("a dag_id of '..' stays inside its segment"):
        sent.take()
        with pytest.raises(NotFound):
            await runs.get("..", "dags")
        expect_path(sent.take(), server, "..", "dags")

    with out.step("the producer's event triggers the consumer, listed as its upstream event"):
        produced = await runs.wait(PRODUCER, producer, timeout=WAIT_TIMEOUT, interval=1.0)
        if produced.state is not DagRunState.SUCCESS:
            pytest.fail(
                f"the producer run ended {produced.state}; its failed tasks logged:\n"
                + await why_failed(client, PRODUCER, producer)
            )
        r["producer"] = expect_finished(produced, server, ids, DagRunState.SUCCESS)
        consumer, events = await find_consumer(client, producer)
        r["upstream_events"] = expect_event(consumer, events, server, ids)
        done = await runs.wait(CONSUMER, consumer.run_id, timeout=WAIT_TIMEOUT, interval=1.0)
        assert done.is_finished
        assert await runs.upstream_events(CONSUMER, consumer.run_id) == events
