"""Record real DagRun API exchanges from live Airflow servers as JSON fixtures.

Usage: .venv/bin/python scripts/record_fixtures.py [VERSION ...] [--out DIR]

Without VERSION it records every server that scripts/airflow-servers started (each
.airflow/<version>/server.json whose server answers). For each version it replaces
<DIR>/<version>/*.json (default DIR: fixtures/) with one file per exchange, so the files
are always the output of one recording. The fixtures are ground truth for the adapters'
tests; tests/real/test_fixture_drift.py re-runs `record()` to notice when servers drift.

The scenarios are data (`PLAN`): a `Step` is one recorded exchange, a `Prepare` creates a
run that later steps need without recording it, and the few plain functions handle what
needs polling or cleanup. Standard library and httpx only.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

ROOT = Path(__file__).resolve().parent.parent
SEED_RUNS = 105  # more than the servers' 100-row cap, so the cap shows in list responses
USER_AGENT = "airflow-bridge-fixture-recorder"
PRIVATE_REQUEST_HEADERS = {"authorization", "cookie"}
PRIVATE_RESPONSE_HEADERS = {"set-cookie"}
FINISHED = {"success", "failed"}
Query = Sequence[tuple[str, str]]  # pairs in order, repeats kept


@dataclass(frozen=True)
class PerApi:
    """A field whose value differs between /api/v1 and /api/v2."""

    v1: Any
    v2: Any


@dataclass(frozen=True)
class Step:
    """One recorded exchange.

    `path` is relative to the API prefix (/api/v1 or /api/v2) unless it starts with "/".
    `{name}` placeholders are filled from the recording context: percent-encoded in the
    path, verbatim in query values and body strings. `body=None` sends no body.
    """

    name: str
    description: str | PerApi
    method: str
    path: str | PerApi
    query: Query | PerApi = ()
    body: Any = None
    auth: str = "admin"  # admin | viewer | none | bad | empty (v1: Basic with an empty password)
    only: str | None = None  # "v1" or "v2" when the scenario exists in one generation
    save_run: str | None = None  # context key that receives the response's `saved` field
    saved: str = "dag_run_id"
    timeout: float = 30.0
    headers: Mapping[str, str] | None = None  # sent besides the auth headers


@dataclass(frozen=True)
class Prepare:
    """Trigger a run that later steps use (not recorded); optionally wait until it finished."""

    key: str
    run_id: str
    dag: str = "bridge_plain"
    finished: bool = False


def pick(value: Any, api: str) -> Any:
    return getattr(value, api) if isinstance(value, PerApi) else value


def fill(value: Any, ctx: Mapping[str, str]) -> Any:
    """Fill {placeholders} in every string of a JSON-like value."""
    if isinstance(value, str):
        return value.format_map(ctx)
    if isinstance(value, dict):
        return {k: fill(v, ctx) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [fill(v, ctx) for v in value]
    return value


class _Quoted(dict[str, str]):
    """Context view that percent-encodes values, for path segments such as run ids."""

    def __getitem__(self, key: str) -> str:
        return quote(super().__getitem__(key), safe="")


def iso(moment: datetime) -> str:
    return moment.isoformat()


class Recorder:
    """Sends requests to one server, recording the exchanges that are scenarios."""

    def __init__(
        self,
        base_url: str,
        users: Mapping[str, tuple[str, str]],
        api: str,
        version: str,
        log: Callable[[str], None],
    ) -> None:
        self.api = api
        self.version = version
        self.prefix = f"/api/{api}"
        self.users = users
        self.log = log
        self.client = httpx.Client(base_url=base_url, headers={"user-agent": USER_AGENT})
        self.tokens: dict[str, str] = {}
        self.exchanges: list[dict[str, Any]] = []
        start = datetime.now(timezone.utc).replace(microsecond=0)
        self.ctx: dict[str, str] = {
            "tok": secrets.token_hex(3),
            "other": "v2" if api == "v1" else "v1",
            "username": users["admin"][0],
            "password": users["admin"][1],
            "t0": iso(start - timedelta(seconds=5)),
            "t0_naive": iso(start.replace(tzinfo=None) - timedelta(seconds=5)),
        }
        # past logical dates new in every recording: v1 refuses two runs of one logical date
        for key, hours in {"ld1": 1, "ld2": 2, "ld2_start": 3, "ld3": 4}.items():
            self.ctx[key] = iso(start - timedelta(hours=hours))
        self.ctx["ld_naive"] = iso(start.replace(tzinfo=None) - timedelta(hours=5))

    def close(self) -> None:
        self.client.close()

    def _auth_headers(self, auth: str) -> tuple[dict[str, str], httpx.BasicAuth | None]:
        if auth == "none":
            return {}, None
        if self.api == "v1":
            user, password = self.users["admin" if auth in ("bad", "empty") else auth]
            password = {"bad": "wrong-password", "empty": ""}.get(auth, password)
            return {}, httpx.BasicAuth(user, password)
        if auth == "bad":
            return {"authorization": "Bearer not-a-valid-token"}, None
        if auth not in self.tokens:
            user, password = self.users[auth]
            resp = self.client.post("/auth/token", json={"username": user, "password": password})
            resp.raise_for_status()
            self.tokens[auth] = resp.json()["access_token"]
        return {"authorization": f"Bearer {self.tokens[auth]}"}, None

    def send(
        self,
        method: str,
        path: str,
        query: Query = (),
        body: Any = None,
        auth: str = "admin",
        timeout: float = 30.0,
        extra_headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """One request; cookies are dropped so every request authenticates on its own.

        Sent again once on a fresh connection if a kept-alive one was dropped: Airflow 3.1's
        server closes the connection after an unhandled 500, and the next request on it fails.
        """
        headers, basic = self._auth_headers(auth)
        headers.update(extra_headers or {})
        for attempt in (1, 2):
            self.client.cookies.clear()
            try:
                return self.client.request(
                    method,
                    path,
                    params=tuple(query) or None,
                    json=body,
                    headers=headers,
                    auth=basic or httpx.USE_CLIENT_DEFAULT,
                    timeout=timeout,
                )
            except (httpx.ReadError, httpx.RemoteProtocolError):
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """An unrecorded helper request under the API prefix that must succeed; its JSON body.

        A 404 is retried briefly: Airflow 3.0.x answers a trigger before its run is committed,
        so a request right after it can miss the run (seen on 3.0.6).
        """
        for _ in range(20):
            resp = self.send(method, self.prefix + path, **kwargs)
            if resp.status_code != 404:
                break
            time.sleep(0.1)
        if not resp.is_success:
            raise RuntimeError(f"{method} {path} -> {resp.status_code}: {resp.text[:300]}")
        return resp.json() if resp.content else None

    def record(
        self,
        name: str,
        description: str,
        method: str,
        path: str,
        query: Query = (),
        body: Any = None,
        auth: str = "admin",
        timeout: float = 30.0,
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """Send one request and keep the exchange in the fixture format."""
        resp = self.send(method, path, query, body, auth, timeout, headers)
        sent = resp.request
        exchange = {
            "meta": {
                "airflow_version": self.version,
                "api": self.api,
                "recorded_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "scenario": name,
                "description": description,
                "derived": False,
            },
            "request": {
                "method": method,
                "path": sent.url.raw_path.decode("ascii").split("?", 1)[0],
                "query": [list(pair) for pair in query],
                "headers": {
                    k: v for k, v in sent.headers.items() if k not in PRIVATE_REQUEST_HEADERS
                },
                "body": body,
            },
            "response": {
                "status": resp.status_code,
                "headers": {
                    k: v for k, v in resp.headers.items() if k not in PRIVATE_RESPONSE_HEADERS
                },
                "body": response_body(resp),
            },
        }
        self.exchanges.append(exchange)
        self.log(f"[{self.version}] {name}: {resp.status_code}")
        return exchange

    def run_step(self, step: Step) -> None:
        if step.only not in (None, self.api):
            return
        template = pick(step.path, self.api)
        try:
            path = template.format_map(_Quoted(self.ctx))
            query = [(k, v) for k, v in fill(pick(step.query, self.api), self.ctx)]
            body = fill(pick(step.body, self.api), self.ctx)
        except KeyError as exc:
            # an earlier step this release answered differently did not provide the value
            self.log(f"[{self.version}] {step.name}: no {exc} to use, skipped")
            return
        if not template.startswith("/"):
            path = f"{self.prefix}/{path}"
        try:
            exchange = self.record(
                step.name,
                pick(step.description, self.api),
                step.method,
                path,
                query,
                body,
                step.auth,
                step.timeout,
                step.headers,
            )
        except httpx.TransportError as exc:
            if step.save_run:
                raise
            # Some releases drop the connection instead of answering (3.1.8 on a naive date
            # filter): there is no answer to record, so the scenario is left out for them.
            self.log(f"[{self.version}] {step.name}: no answer ({type(exc).__name__}), skipped")
            return
        if step.save_run and exchange["response"]["status"] >= 400:
            # The release refuses it (e.g. a data interval on trigger before 2.9): the refusal
            # is the recording, and no later step of that release may need the run.
            self.log(f"[{self.version}] {step.name}: refused, so {step.save_run} is not set")
        elif step.save_run:
            answer = exchange["response"]["body"]
            value = answer.get(step.saved) if isinstance(answer, dict) else None
            if isinstance(value, str):
                self.ctx[step.save_run] = value
            else:  # no next_cursor before 3.2.2 (no keyset pagination): later steps skip
                self.log(f"[{self.version}] {step.name}: no {step.saved}, {step.save_run} unset")

    def trigger_body(self, **fields: Any) -> dict[str, Any]:
        """v2 needs an explicit logical_date; null asks for a run without one."""
        return {"logical_date": None, **fields} if self.api == "v2" else fields

    def wait_for(self, dag: str, run_id: str, timeout: float = 120.0) -> None:
        """Poll until the scheduler finished the run (2.10.5 may take ~30 s)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run = self.call("GET", f"/dags/{dag}/dagRuns/{quote(run_id, safe='')}")
            if run["state"] in FINISHED:
                return
            time.sleep(1)
        raise RuntimeError(f"{dag}/{run_id} did not finish within {timeout:.0f} s")

    def prepare(self, item: Prepare) -> None:
        run_id = item.run_id.format_map(self.ctx)
        self.call("POST", f"/dags/{item.dag}/dagRuns", body=self.trigger_body(dag_run_id=run_id))
        self.ctx[item.key] = run_id
        if item.finished:
            self.wait_for(item.dag, run_id)


def response_body(resp: httpx.Response) -> Any:
    """Parsed JSON when the server sent JSON, else the text (null when empty)."""
    if not resp.content:
        return None
    if "json" in resp.headers.get("content-type", "").split(";")[0]:
        try:
            return resp.json()
        except ValueError:
            pass
    return resp.text


def seed_runs(rec: Recorder) -> None:
    """Top bridge_plain up to SEED_RUNS runs, marked success so they never occupy the scheduler."""
    total = rec.call("GET", "/dags/bridge_plain/dagRuns", query=[("limit", "1")])["total_entries"]
    for i in range(max(0, SEED_RUNS - total)):
        run_id = f"seed-{rec.ctx['tok']}-{i:03d}"
        rec.call("POST", "/dags/bridge_plain/dagRuns", body=rec.trigger_body(dag_run_id=run_id))
        rec.call("PATCH", f"/dags/bridge_plain/dagRuns/{run_id}", body={"state": "success"})


@contextmanager
def paused(rec: Recorder, dag: str) -> Iterator[None]:
    """Pause a DAG for the duration of the block; always unpaused again."""
    query = [("update_mask", "is_paused")] if rec.api == "v1" else []
    rec.call("PATCH", f"/dags/{dag}", query=query, body={"is_paused": True})
    try:
        yield
    finally:
        rec.call("PATCH", f"/dags/{dag}", query=query, body={"is_paused": False})


def trigger_paused_dag(rec: Recorder) -> None:
    """Pausing needs an unrecorded PATCH before and after, so this one is not a plain Step."""
    with paused(rec, "bridge_consumer"):
        rec.record(
            "trigger_paused_dag",
            "Trigger a paused DAG (bridge_consumer): the run is created and stays queued",
            "POST",
            f"{rec.prefix}/dags/bridge_consumer/dagRuns",
            body=rec.trigger_body(dag_run_id=f"bridge-{rec.ctx['tok']}-paused"),
        )


def upstream_events_consumer(rec: Recorder) -> None:
    """Run the producer, find the consumer run its event created, and record its events."""
    since = iso(datetime.now(timezone.utc) - timedelta(seconds=2))
    producer = f"bridge-{rec.ctx['tok']}-producer"
    rec.call("POST", "/dags/bridge_producer/dagRuns", body=rec.trigger_body(dag_run_id=producer))
    events_path, events_key = (
        ("upstreamDatasetEvents", "dataset_events")
        if rec.api == "v1"
        else ("upstreamAssetEvents", "asset_events")
    )
    since_param = "execution_date_gte" if rec.api == "v1" else "run_after_gte"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        runs = rec.call(
            "GET", "/dags/bridge_consumer/dagRuns", query=[(since_param, since), ("limit", "100")]
        )["dag_runs"]
        for run in runs:
            if run["run_type"] not in ("dataset_triggered", "asset_triggered"):
                continue
            if run["start_date"] is None:
                # 3.3.2 answers this endpoint with a 500 while a created run has not started
                # (its response model requires created_dagruns[].start_date): wait for it.
                continue
            path = f"/dags/bridge_consumer/dagRuns/{quote(run['dag_run_id'], safe='')}"
            events = rec.call("GET", f"{path}/{events_path}")
            if any(e.get("source_run_id") == producer for e in events[events_key]):
                rec.ctx["run_consumer"] = run["dag_run_id"]
                rec.record(
                    "upstream_events_consumer",
                    "Upstream events of a consumer run created by a producer's "
                    f"{'dataset' if rec.api == 'v1' else 'asset'} event",
                    "GET",
                    f"{rec.prefix}{path}/{events_path}",
                )
                return
        time.sleep(2)
    raise RuntimeError("no consumer run with the producer's event appeared within 120 s")


def upstream_events_not_started(rec: Recorder) -> None:
    """The consumer run set back to queued (no start date), then asked for its events at once:
    3.3.2's response model requires created_dagruns[].start_date, so it answers 500."""
    path = f"/dags/bridge_consumer/dagRuns/{quote(rec.ctx['run_consumer'], safe='')}"
    query = [("update_mask", "state")] if rec.api == "v2" else []
    rec.call("PATCH", path, query=query, body={"state": "queued"})
    events = "upstreamDatasetEvents" if rec.api == "v1" else "upstreamAssetEvents"
    rec.record(
        "upstream_events_not_started",
        "Upstream events of a consumer run just set back to queued (no start date)",
        "GET",
        f"{rec.prefix}{path}/{events}",
    )


def delete_future_run(rec: Recorder) -> None:
    """The run whose run_after is in 2099 would stay queued on the shared server forever."""
    if "run_future" in rec.ctx:
        rec.call("DELETE", f"/dags/bridge_plain/dagRuns/{quote(rec.ctx['run_future'], safe='')}")


STATE_MASK = PerApi(v1=(), v2=(("update_mask", "state"),))
NOTE_MASK = PerApi(v1=(), v2=(("update_mask", "note"),))
RUN = "dags/bridge_plain/dagRuns"
NOTE_PATH = PerApi(v1=RUN + "/{run_note}/setNote", v2=RUN + "/{run_note}")
LIMIT5 = ("limit", "5")
LONG_NOTE = "n" * 1001  # one more than the 1000 characters both generations store


def trigger(body: dict[str, Any]) -> PerApi:
    """A trigger body; v2 also needs an explicit logical_date (null: none)."""
    return PerApi(v1=body, v2={**body, "logical_date": None})


PLAN: list[Step | Prepare | Callable[[Recorder], None]] = [
    # --- server identity and routing
    Step("version", "Server version", "GET", "version"),
    Step(
        "health",
        "Health of metadatabase and scheduler",
        "GET",
        PerApi(v1="health", v2="monitor/health"),
    ),
    Step(
        "other_generation_version",
        "The other API generation's version path does not exist on this server",
        "GET",
        "/api/{other}/version",
    ),
    Step(
        "other_generation_dagruns",
        "The other API generation's dagRuns list path does not exist on this server",
        "GET",
        "/api/{other}/dags/bridge_plain/dagRuns",
    ),
    # --- authentication and permissions
    Step(
        "token_ok",
        "Log in with username and password: a JWT access token",
        "POST",
        "/auth/token",
        body={"username": "{username}", "password": "{password}"},
        auth="none",
        only="v2",
    ),
    Step(
        "token_bad_credentials",
        "Token request with a wrong password",
        "POST",
        "/auth/token",
        body={"username": "{username}", "password": "wrong-password"},
        auth="none",
        only="v2",
    ),
    Step(
        "token_missing_fields",
        "Token request without username and password",
        "POST",
        "/auth/token",
        body={},
        auth="none",
        only="v2",
    ),
    Step(
        "token_empty_password",
        "Token request with an empty password",
        "POST",
        "/auth/token",
        body={"username": "{username}", "password": ""},
        auth="none",
        only="v2",
    ),
    Step("auth_missing", "List runs without credentials", "GET", RUN, auth="none"),
    Step(
        "auth_empty_password",
        "List runs with Basic credentials whose password is empty",
        "GET",
        RUN,
        auth="empty",
        only="v1",
    ),
    Step(
        "auth_bad_token_or_password",
        PerApi(
            v1="List runs with a wrong Basic password",
            v2="List runs with a bearer token that is not a JWT: 403 here, not 401",
        ),
        "GET",
        RUN,
        auth="bad",
    ),
    Step(
        "forbidden_viewer_trigger",
        "A Viewer-role user tries to trigger a run",
        "POST",
        RUN,
        body=PerApi(v1={}, v2={"logical_date": None}),
        auth="viewer",
    ),
    seed_runs,
    # --- trigger
    Step(
        "trigger_minimal",
        PerApi(
            v1="Trigger with an empty body: server picks run id and logical date",
            v2="Trigger with logical_date null: a run without a logical date",
        ),
        "POST",
        RUN,
        body=PerApi(v1={}, v2={"logical_date": None}),
        save_run="run_min",
    ),
    Step(
        "trigger_with_logical_date",
        "Trigger with an aware logical date and explicit run id",
        "POST",
        RUN,
        body={"dag_run_id": "bridge-{tok}-explicit", "logical_date": "{ld1}"},
        save_run="run_explicit",
    ),
    Step(
        "trigger_with_conf_and_note",
        "Trigger with a nested conf and a note",
        "POST",
        RUN,
        body=PerApi(
            v1={
                "dag_run_id": "bridge-{tok}-conf",
                "conf": {"x": 1, "nested": {"a": [1, 2]}},
                "note": "triggered with conf",
            },
            v2={
                "dag_run_id": "bridge-{tok}-conf",
                "logical_date": None,
                "conf": {"x": 1, "nested": {"a": [1, 2]}},
                "note": "triggered with conf",
            },
        ),
        save_run="run_conf",
    ),
    Step(
        "trigger_with_data_interval",
        "Trigger with logical date and explicit data interval",
        "POST",
        RUN,
        body={
            "dag_run_id": "bridge-{tok}-interval",
            "logical_date": "{ld2}",
            "data_interval_start": "{ld2_start}",
            "data_interval_end": "{ld2}",
        },
        save_run="run_interval",
    ),
    Step(
        "trigger_data_interval_half",
        "Trigger with data_interval_start but no end",
        "POST",
        RUN,
        body={
            "dag_run_id": "bridge-{tok}-half",
            "logical_date": "{ld3}",
            "data_interval_start": "{ld2_start}",
        },
    ),
    Step(
        "trigger_duplicate_run_id",
        "Trigger again with an existing run id",
        "POST",
        RUN,
        body={"dag_run_id": "{run_explicit}", "logical_date": "{ld3}"},
    ),
    Step(
        "trigger_naive_logical_date",
        "Trigger with a logical date without timezone",
        "POST",
        RUN,
        body={"dag_run_id": "bridge-{tok}-naive", "logical_date": "{ld_naive}"},
    ),
    Step(
        "trigger_unknown_dag",
        "Trigger a DAG that does not exist",
        "POST",
        "dags/bridge_missing/dagRuns",
        body=PerApi(v1={}, v2={"logical_date": None}),
    ),
    Step(
        "trigger_unknown_field",
        "Trigger with a body key the schema does not define",
        "POST",
        RUN,
        body=PerApi(v1={"bogus_field": 1}, v2={"logical_date": None, "bogus_field": 1}),
    ),
    Step(
        "trigger_missing_logical_date",
        "Trigger with an empty body (logical_date omitted)",
        "POST",
        RUN,
        body={},
        only="v2",
    ),
    Step(
        "trigger_null_logical_date",
        "Trigger with logical_date null",
        "POST",
        RUN,
        body={"logical_date": None},
        only="v1",
    ),
    trigger_paused_dag,
    Step(
        "trigger_special_run_id",
        "Trigger with a run id containing ':' and '+'",
        "POST",
        RUN,
        body=PerApi(
            v1={"dag_run_id": "manual__2024-01-01T00:00:00+00:00-{tok}"},
            v2={"dag_run_id": "manual__2024-01-01T00:00:00+00:00-{tok}", "logical_date": None},
        ),
        save_run="run_special",
    ),
    Step(
        "trigger_slash_run_id",
        PerApi(
            v1="Trigger with a run id containing '/': an HTML 500 page",
            v2="Trigger with a run id containing '/': 400 naming the allowed pattern",
        ),
        "POST",
        RUN,
        body=PerApi(
            v1={"dag_run_id": "bridge/{tok}/slash"},
            v2={"dag_run_id": "bridge/{tok}/slash", "logical_date": None},
        ),
    ),
    Step(
        "trigger_run_id_space",
        PerApi(
            v1="Trigger with a run id containing a space: an HTML 500 page",
            v2="Trigger with a run id containing a space: 400 naming the allowed pattern",
        ),
        "POST",
        RUN,
        body=trigger({"dag_run_id": "bridge-{tok} space"}),
    ),
    Step(
        "trigger_run_id_dotdot",
        PerApi(
            v1="Trigger with a run id containing '..': accepted",
            v2="Trigger with a run id containing '..': 3.3 refuses it (path traversal)",
        ),
        "POST",
        RUN,
        body=trigger({"dag_run_id": "bridge-{tok}-a..b"}),
    ),
    Step(
        "trigger_run_id_too_long",
        PerApi(
            v1="Trigger with a 257-character run id: refused, at most 250",
            v2="Trigger with a 257-character run id: accepted (SQLite does not check the length)",
        ),
        "POST",
        RUN,
        body=trigger({"dag_run_id": "bridge-{tok}-" + "x" * 243}),
    ),
    Step(
        "trigger_note_too_long",
        PerApi(
            v1="Trigger with a 1001-character note: refused, at most 1000",
            v2="Trigger with a 1001-character note: accepted (only PATCH checks the length)",
        ),
        "POST",
        RUN,
        body=trigger({"dag_run_id": "bridge-{tok}-longnote", "note": LONG_NOTE}),
    ),
    Step(
        "trigger_future_run_after",
        "Trigger with run_after in 2099: the run stays queued, without start or end date",
        "POST",
        RUN,
        body={
            "dag_run_id": "bridge-{tok}-future",
            "logical_date": None,
            "run_after": "2099-01-01T00:00:00Z",
        },
        only="v2",
        save_run="run_future",
    ),
    # --- get
    Step("get", "Get one run by id", "GET", RUN + "/{run_explicit}"),
    Step("get_not_found", "Get a run id that does not exist", "GET", RUN + "/bridge-{tok}-missing"),
    Step(
        "get_special_run_id",
        "Get a run whose id has ':' and '+', percent-encoded",
        "GET",
        RUN + "/{run_special}",
    ),
    Step(
        "get_slash_run_id",
        "Get a run id containing '/' sent as %2F: the router decodes it, route not found",
        "GET",
        RUN + "/bridge%2F{tok}%2Fslash",
    ),
    # --- patch and notes (v2 names the patched field in update_mask, as clients should)
    Step(
        "patch_state_success",
        "Mark a queued run success",
        "PATCH",
        RUN + "/{run_min}",
        body={"state": "success"},
        query=STATE_MASK,
    ),
    Step(
        "patch_state_failed",
        "Mark a run failed",
        "PATCH",
        RUN + "/{run_conf}",
        body={"state": "failed"},
        query=STATE_MASK,
    ),
    Step(
        "patch_state_queued",
        "Set a finished run back to queued",
        "PATCH",
        RUN + "/{run_min}",
        body={"state": "queued"},
        query=STATE_MASK,
    ),
    Step(
        "patch_state_running",
        "Try to set state running (not a settable state)",
        "PATCH",
        RUN + "/{run_conf}",
        body={"state": "running"},
        query=STATE_MASK,
    ),
    Step(
        "patch_state_invalid",
        "Try to set an unknown state",
        "PATCH",
        RUN + "/{run_conf}",
        body={"state": "bogus"},
        query=STATE_MASK,
    ),
    Step(
        "patch_not_found",
        "Patch a run id that does not exist",
        "PATCH",
        RUN + "/bridge-{tok}-missing",
        body={"state": "success"},
        query=STATE_MASK,
    ),
    Step(
        "set_note",
        PerApi(
            v1="Set a run's note through the setNote endpoint",
            v2="Set a run's note with PATCH update_mask=note",
        ),
        "PATCH",
        PerApi(v1=RUN + "/{run_explicit}/setNote", v2=RUN + "/{run_explicit}"),
        query=NOTE_MASK,
        body={"note": "note set"},
    ),
    Prepare("run_note", "bridge-{tok}-note"),
    Step(
        "set_note_empty",
        PerApi(
            v1="Set an empty note: stored as the empty string",
            v2="Set an empty note: 3.3 removes the note (null)",
        ),
        "PATCH",
        NOTE_PATH,
        query=NOTE_MASK,
        body={"note": ""},
    ),
    Step(
        "set_note_too_long",
        "Set a note of 1001 characters: refused",
        "PATCH",
        NOTE_PATH,
        query=NOTE_MASK,
        body={"note": LONG_NOTE},
    ),
    Step(
        "patch_state_and_long_note",
        "PATCH state and a 1001-character note together: refused, nothing applied",
        "PATCH",
        RUN + "/{run_interval}",
        query=(("update_mask", "state"), ("update_mask", "note")),
        body={"state": "success", "note": LONG_NOTE},
        only="v2",
    ),
    Step(
        "patch_state_and_note",
        "PATCH with update_mask repeated for state and note",
        "PATCH",
        RUN + "/{run_interval}",
        query=(("update_mask", "state"), ("update_mask", "note")),
        body={"state": "failed", "note": "state and note"},
        only="v2",
    ),
    Step(
        "patch_mask_comma_joined",
        "PATCH with update_mask=state,note as one value: 200 but nothing is updated",
        "PATCH",
        RUN + "/{run_special}",
        query=(("update_mask", "state,note"),),
        body={"state": "failed", "note": "comma mask"},
        only="v2",
    ),
    Step(
        "get_after_comma_mask",
        "The run after the comma-joined update_mask PATCH",
        "GET",
        RUN + "/{run_special}",
        only="v2",
    ),
    # --- list
    Step("list_dag", "List one DAG's runs (limit 5)", "GET", RUN, query=(LIMIT5,)),
    Step(
        "list_all",
        "List runs of every DAG with dag_id '~' (limit 5)",
        "GET",
        "dags/~/dagRuns",
        query=(LIMIT5,),
    ),
    Step(
        "list_state_filter",
        "Filter by two states with the state parameter repeated (compare total_entries)",
        "GET",
        RUN,
        query=(("state", "failed"), ("state", "success"), LIMIT5),
    ),
    Step(
        "list_state_comma",
        "Filter by two states comma-joined in one state parameter",
        "GET",
        RUN,
        query=(("state", "failed,success"), LIMIT5),
        only="v1",
    ),
    Step(
        "list_order_by",
        "Order by logical date descending",
        "GET",
        RUN,
        query=PerApi(
            v1=(("order_by", "-execution_date"), LIMIT5), v2=(("order_by", "-logical_date"), LIMIT5)
        ),
    ),
    Step(
        "list_order_by_repeated",
        PerApi(
            v1="order_by given twice: only the last one is applied",
            v2="order_by given twice: a multi-column sort",
        ),
        "GET",
        RUN,
        query=PerApi(
            v1=(("order_by", "-execution_date"), ("order_by", "dag_run_id"), LIMIT5),
            v2=(("order_by", "-logical_date"), ("order_by", "run_id"), LIMIT5),
        ),
    ),
    Step(
        "list_page",
        "Second page of size 2 (limit=2, offset=1)",
        "GET",
        RUN,
        query=(("limit", "2"), ("offset", "1")),
    ),
    Step(
        "list_limit_zero",
        PerApi(
            v1="limit=0 is ignored: the default 100 rows come back",
            v2="limit=0: an empty page that still carries total_entries",
        ),
        "GET",
        RUN,
        query=(("limit", "0"),),
    ),
    Step(
        "list_limit_over_max",
        "limit=1000 with more than 100 runs: the page size cap",
        "GET",
        RUN,
        query=(("limit", "1000"),),
    ),
    Step(
        "list_default_limit",
        PerApi(
            v1="No limit parameter: 100 rows by default",
            v2="No limit parameter: 50 rows by default",
        ),
        "GET",
        RUN,
    ),
    Step(
        "list_date_filter",
        "start_date_gte with an aware date",
        "GET",
        RUN,
        query=(("start_date_gte", "{t0}"), LIMIT5),
    ),
    Step(
        "list_naive_date_filter",
        PerApi(
            v1="start_date_gte without timezone: refused as not a date-time",
            v2="start_date_gte without timezone: a database error (500)",
        ),
        "GET",
        RUN,
        query=(("start_date_gte", "{t0_naive}"), LIMIT5),
    ),
    Step(
        "list_updated_at_filter",
        "updated_at_gte with an aware date",
        "GET",
        RUN,
        query=(("updated_at_gte", "{t0}"), LIMIT5),
    ),
    Step(
        "list_unknown_dag",
        PerApi(
            v1="List runs of a DAG that does not exist: an empty page, not 404",
            v2="List runs of a DAG that does not exist: 404",
        ),
        "GET",
        "dags/bridge_missing/dagRuns",
    ),
    Step(
        "list_run_type_filter",
        "Filter by run_type=manual",
        "GET",
        RUN,
        query=(("run_type", "manual"), LIMIT5),
        only="v2",
    ),
    Step(
        "list_run_type_legacy",
        "Filter by Airflow 2's run type name dataset_triggered: 422",
        "GET",
        RUN,
        query=(("run_type", "dataset_triggered"), LIMIT5),
        only="v2",
    ),
    Step(
        "list_unknown_query_parameter",
        "A query parameter the release does not define (run_type): 400 with a null title",
        "GET",
        RUN,
        query=(("run_type", "manual"), LIMIT5),
        only="v1",
    ),
    Step(
        "list_state_unknown",
        PerApi(
            v1="Filter by an unknown state: an empty page",
            v2="Filter by an unknown state: 422 naming the valid states",
        ),
        "GET",
        RUN,
        query=(("state", "bogus"), LIMIT5),
    ),
    Step(
        "list_null_end_date",
        PerApi(
            v1="end_date_gte in 2099: runs without an end date never match",
            v2="end_date_gte in 2099: a queued run without an end date matches",
        ),
        "GET",
        RUN,
        query=PerApi(
            v1=(("end_date_gte", "2099-01-01T00:00:00+00:00"), LIMIT5),
            v2=(
                ("end_date_gte", "2099-01-01T00:00:00+00:00"),
                ("run_id_pattern", "{run_future}"),
                LIMIT5,
            ),
        ),
    ),
    Step(
        "list_duration_zero",
        "duration_lte=0: a zero bound is ignored, every run matches",
        "GET",
        RUN,
        query=(("duration_lte", "0"), LIMIT5),
        only="v2",
    ),
    Step(
        "list_cursor_first",
        "Keyset pagination: cursor='' asks for the first page and a next_cursor",
        "GET",
        RUN,
        query=(("cursor", ""), ("limit", "2")),
        only="v2",
        save_run="cursor1",
        saved="next_cursor",
    ),
    Step(
        "list_cursor_next",
        "Keyset pagination: the page after next_cursor, with a previous_cursor",
        "GET",
        RUN,
        query=(("cursor", "{cursor1}"), ("limit", "2")),
        only="v2",
    ),
    Step(
        "list_cursor_invalid",
        "A cursor that is not a token: 400",
        "GET",
        RUN,
        query=(("cursor", "!!!"), ("limit", "2")),
        only="v2",
    ),
    Step(
        "list_cursor_other_order",
        "A cursor used with another order_by than the one that made it: 400",
        "GET",
        RUN,
        query=(("cursor", "{cursor1}"), ("order_by", "-logical_date"), ("limit", "2")),
        only="v2",
    ),
    # --- batch list
    Step(
        "batch_list",
        "Batch list for two DAG ids, page_limit 5",
        "POST",
        "dags/~/dagRuns/list",
        body={"dag_ids": ["bridge_plain", "bridge_producer"], "page_limit": 5},
    ),
    Step(
        "batch_list_large_page",
        "Batch list with page_limit 200: more than 100 rows, no cap as on GET",
        "POST",
        "dags/~/dagRuns/list",
        body={"dag_ids": ["bridge_plain"], "page_limit": 200},
    ),
    Step(
        "batch_list_states",
        "Batch list filtered by states",
        "POST",
        "dags/~/dagRuns/list",
        body={"dag_ids": ["bridge_plain"], "states": ["failed", "success"], "page_limit": 5},
    ),
    Step(
        "batch_list_null_end_date",
        "Batch list with end_date_gte in 2099: runs without an end date never match",
        "POST",
        "dags/~/dagRuns/list",
        body={"dag_ids": ["bridge_plain"], "end_date_gte": "2099-01-01T00:00:00+00:00"},
    ),
    # --- clear
    Prepare("run_done", "bridge-{tok}-done", finished=True),
    Step(
        "clear_dry_run",
        "Dry-run clear of a finished run: the task instances it would clear",
        "POST",
        RUN + "/{run_done}/clear",
        body={"dry_run": True},
    ),
    Step(
        "clear_default",
        "Clear with an empty body (dry_run defaults to true)",
        "POST",
        RUN + "/{run_done}/clear",
        body={},
    ),
    Step(
        "clear_only_failed",
        PerApi(
            v1="Dry-run clear with only_failed: not a field of the v1 clear body",
            v2="Dry-run clear with only_failed on a successful run: nothing to clear",
        ),
        "POST",
        RUN + "/{run_done}/clear",
        body={"dry_run": True, "only_failed": True},
    ),
    Step(
        "clear_real",
        "Clear a finished run for real: it is queued again",
        "POST",
        RUN + "/{run_done}/clear",
        body={"dry_run": False},
    ),
    Step(
        "clear_not_found",
        "Clear a run id that does not exist",
        "POST",
        RUN + "/bridge-{tok}-missing/clear",
        body={"dry_run": True},
    ),
    # --- upstream events
    upstream_events_consumer,
    upstream_events_not_started,
    Step(
        "upstream_events_manual",
        "Upstream events of a manual run: an empty list",
        "GET",
        PerApi(
            v1=RUN + "/{run_explicit}/upstreamDatasetEvents",
            v2=RUN + "/{run_explicit}/upstreamAssetEvents",
        ),
    ),
    # --- wait (v2, experimental NDJSON stream)
    Prepare("run_wait", "bridge-{tok}-wait"),
    Step(
        "wait_stream",
        "Wait for a run to finish: NDJSON lines of its state, streamed until it ends",
        "GET",
        RUN + "/{run_wait}/wait",
        query=(("interval", "1"),),
        only="v2",
        timeout=180.0,
    ),
    # --- delete
    Prepare("run_delete", "bridge-{tok}-delete"),
    Step("delete", "Delete a run", "DELETE", RUN + "/{run_delete}"),
    Step(
        "delete_not_found",
        "Delete a run id that does not exist",
        "DELETE",
        RUN + "/bridge-{tok}-missing",
    ),
    delete_future_run,
]

# --- the runbook beyond the run (issue 16): DAGs, task instances, logs, clearTaskInstances
FAILING = "dags/bridge_failing"
TIS = FAILING + "/dagRuns/{run_failing}/taskInstances"
ACCEPT_JSON = {"accept": "application/json"}  # 2.x sends the log as text/plain otherwise
PAUSE_MASK = (("update_mask", "is_paused"),)


def failing_run(rec: Recorder) -> None:
    """Unpause bridge_failing (its pause state is put back by `failing_restore`), trigger a
    run whose `explode` task raises, and wait until the scheduler failed it."""
    rec.ctx["failing_was_paused"] = (
        "yes" if rec.call("GET", "/dags/bridge_failing")["is_paused"] else ""
    )
    rec.call("PATCH", "/dags/bridge_failing", query=PAUSE_MASK, body={"is_paused": False})
    run_id = f"bridge-{rec.ctx['tok']}-failing"
    rec.call("POST", "/dags/bridge_failing/dagRuns", body=rec.trigger_body(dag_run_id=run_id))
    rec.ctx["run_failing"] = run_id
    rec.wait_for("bridge_failing", run_id, timeout=180.0)


def failing_rerun(rec: Recorder) -> None:
    """Wait until the cleared run failed again (`explode` on its second try)."""
    rec.wait_for("bridge_failing", rec.ctx["run_failing"], timeout=180.0)


def failing_restore(rec: Recorder) -> None:
    """Delete the failing run (the server is shared) and put bridge_failing's pause back."""
    rec.call("DELETE", f"/dags/bridge_failing/dagRuns/{quote(rec.ctx['run_failing'], safe='')}")
    if rec.ctx.get("failing_was_paused"):
        rec.call("PATCH", "/dags/bridge_failing", query=PAUSE_MASK, body={"is_paused": True})


def clear_body(**fields: Any) -> dict[str, Any]:
    return {"dry_run": True, "dag_run_id": "{run_failing}", **fields}


RUNBOOK: list[Step | Prepare | Callable[[Recorder], None]] = [
    Step("dag_get", "One DAG", "GET", "dags/bridge_plain"),
    Step("dag_get_not_found", "A DAG id that does not exist", "GET", "dags/bridge-{tok}-nosuch"),
    Step(
        "dags_list_pattern",
        "DAGs whose id contains 'bridge_pl' (dag_id_pattern), limit 5",
        "GET",
        "dags",
        query=(("dag_id_pattern", "bridge_pl"), LIMIT5),
    ),
    Step(
        "dags_list_tags_unpaused",
        "Unpaused DAGs tagged 'bridge', limit 2",
        "GET",
        "dags",
        query=(("tags", "bridge"), ("paused", "false"), ("limit", "2")),
    ),
    Step(
        "dags_list_unknown_tag",
        "DAGs with a tag no DAG has: an empty page",
        "GET",
        "dags",
        query=(("tags", "bridge-{tok}-none"),),
    ),
    Step(
        "dag_pause",
        "Pause a DAG: PATCH ?update_mask=is_paused",
        "PATCH",
        "dags/bridge_consumer",
        query=PAUSE_MASK,
        body={"is_paused": True},
    ),
    Step(
        "dag_unpause",
        "Unpause it again",
        "PATCH",
        "dags/bridge_consumer",
        query=PAUSE_MASK,
        body={"is_paused": False},
    ),
    Step(
        "dag_patch_not_found",
        "Pause a DAG id that does not exist",
        "PATCH",
        "dags/bridge-{tok}-nosuch",
        query=PAUSE_MASK,
        body={"is_paused": True},
    ),
    Step(
        "dag_patch_other_mask",
        "PATCH a DAG with update_mask=description: only is_paused may change",
        "PATCH",
        "dags/bridge_consumer",
        query=(("update_mask", "description"),),
        body={"is_paused": False},
    ),
    failing_run,
    Step("ti_list", "Task instances of a failed bridge_failing run", "GET", TIS),
    Step(
        "ti_list_failed",
        "Its failed task instances (state=failed)",
        "GET",
        TIS,
        query=(("state", "failed"),),
    ),
    Step(
        "ti_list_unknown_run",
        "Task instances of a run id that does not exist",
        "GET",
        FAILING + "/dagRuns/bridge-{tok}-missing/taskInstances",
    ),
    Step("ti_get", "The failed task instance (explode, try 1)", "GET", TIS + "/explode"),
    Step(
        "ti_get_upstream_failed",
        "A task that never ran (after: upstream_failed, try_number 0)",
        "GET",
        TIS + "/after",
    ),
    Step("ti_get_not_found", "A task id the DAG does not have", "GET", TIS + "/nosuch"),
    Step(
        "ti_logs",
        "The failed try's log (Accept: application/json)",
        "GET",
        TIS + "/explode/logs/1",
        headers=ACCEPT_JSON,
        save_run="log_token",
        saved="continuation_token",
    ),
    Step(
        "ti_logs_continued",
        "The same log from its continuation token (2.x; 3.x sends none for a finished try)",
        "GET",
        TIS + "/explode/logs/1",
        query=(("token", "{log_token}"),),
        headers=ACCEPT_JSON,
    ),
    Step("ti_logs_try_zero", "Log of try 0", "GET", TIS + "/after/logs/0", headers=ACCEPT_JSON),
    Step(
        "ti_logs_never_ran",
        "Log of try 1 of a task that never ran",
        "GET",
        TIS + "/after/logs/1",
        headers=ACCEPT_JSON,
    ),
    Step(
        "ti_logs_no_such_try",
        "Log of a try that did not happen yet (explode, try 2)",
        "GET",
        TIS + "/explode/logs/2",
        headers=ACCEPT_JSON,
    ),
    Step(
        "ti_logs_unknown_task",
        "Log of a task id the DAG does not have",
        "GET",
        TIS + "/nosuch/logs/1",
        headers=ACCEPT_JSON,
    ),
    Step(
        "clear_ti_dry_run",
        "clearTaskInstances dry run, only_failed: the failed and upstream_failed instances",
        "POST",
        FAILING + "/clearTaskInstances",
        body=clear_body(only_failed=True),
    ),
    Step(
        "clear_ti_downstream",
        "clearTaskInstances dry run of task_ids [explode] with include_downstream",
        "POST",
        FAILING + "/clearTaskInstances",
        body=clear_body(task_ids=["explode"], include_downstream=True),
    ),
    Step(
        "clear_ti_unknown_run",
        "clearTaskInstances dry run for a run id that does not exist",
        "POST",
        FAILING + "/clearTaskInstances",
        body={"dry_run": True, "dag_run_id": "bridge-{tok}-missing"},
    ),
    Step(
        "clear_ti_real",
        "clearTaskInstances for real, only_failed, reset_dag_runs: the run is queued again",
        "POST",
        FAILING + "/clearTaskInstances",
        body=clear_body(dry_run=False, only_failed=True, reset_dag_runs=True),
    ),
    failing_rerun,
    Step(
        "ti_get_second_try",
        "The cleared task after it failed again (try 2)",
        "GET",
        TIS + "/explode",
    ),
    Step(
        "ti_logs_second_try",
        "The second try's log",
        "GET",
        TIS + "/explode/logs/2",
        headers=ACCEPT_JSON,
    ),
    failing_restore,
]
PLAN += RUNBOOK


def record(
    base_url: str,
    username: str,
    password: str,
    viewer_username: str,
    viewer_password: str,
    api: str,
    version: str,
    log: Callable[[str], None] | None = None,
) -> list[dict[str, Any]]:
    """Run every scenario of `api` against one live server; returns the exchanges in order."""
    users = {"admin": (username, password), "viewer": (viewer_username, viewer_password)}
    rec = Recorder(base_url, users, api, version, log or (lambda _msg: None))
    try:
        for item in PLAN:
            if isinstance(item, Step):
                rec.run_step(item)
            elif isinstance(item, Prepare):
                rec.prepare(item)
            else:
                item(rec)
    finally:
        rec.close()
    return rec.exchanges


def write(exchanges: list[dict[str, Any]], out: Path, version: str) -> Path:
    """Replace out/<version>/*.json with one file per exchange."""
    folder = out / version
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.json"):
        old.unlink()
    for exchange in exchanges:
        path = folder / f"{exchange['meta']['scenario']}.json"
        path.write_text(json.dumps(exchange, indent=2, ensure_ascii=False) + "\n")
    return folder


def running_servers(versions: list[str]) -> list[dict[str, Any]]:
    """server.json of each requested version (default: all), skipping silent default ones."""
    state = ROOT / ".airflow"
    paths = [state / v / "server.json" for v in versions] or sorted(state.glob("*/server.json"))
    servers = []
    for path in paths:
        if not path.exists():
            sys.exit(f"no {path}: start it with scripts/airflow-servers up {path.parent.name}")
        info = json.loads(path.read_text())
        try:
            httpx.get(info["base_url"], timeout=5)
        except httpx.TransportError:
            if versions:
                sys.exit(f"Airflow {info['version']} at {info['base_url']} does not answer")
            print(f"skipping {info['version']}: not answering", file=sys.stderr)
            continue
        servers.append(info)
    return servers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("versions", nargs="*", help="default: every running server")
    parser.add_argument("--out", type=Path, default=ROOT / "fixtures")
    args = parser.parse_args()
    servers = running_servers(args.versions)
    if not servers:
        sys.exit("no running servers: scripts/airflow-servers up")
    for info in servers:
        exchanges = record(
            info["base_url"],
            info["username"],
            info["password"],
            info["viewer_username"],
            info["viewer_password"],
            info["api"],
            info["version"],
            log=lambda msg: print(msg, file=sys.stderr, flush=True),
        )
        folder = write(exchanges, args.out, info["version"])
        print(f"{info['version']}: {len(exchanges)} fixtures in {folder}")


if __name__ == "__main__":
    main()
