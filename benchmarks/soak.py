"""Soak: minutes of mixed DagRun operations against the live servers through the fault proxy.

    .venv/bin/python benchmarks/soak.py --minutes 10             # both servers, 10 minutes
    .venv/bin/python benchmarks/soak.py --seconds 60 --json      # the real tier's smoke

Not in CI by default (tests/real/test_faults_real.py runs a 60-second smoke of it). One thread
per server (`scripts/airflow-servers` versions, 2.10.5 and 3.3.2 by default) drives a `Client`
through `tests/faultproxy.py`; before each operation a fault is armed with probability
`--fault-rate` (connection reset before or after the server acts, half-written or slow body,
429/502/503 with or without `Retry-After`). Triggers carry a unique conf token and a logical
date in the soak's own window, so afterwards a client that bypasses the proxy can count, per
token, the runs on the server. It prints operations, retries, errors by type, duplicates
(a token with two runs), lost results (a trigger that answered with a run the server does not
have) and untyped exceptions (anything not an `AirflowBridgeError`), and exits 1 unless the
last three are all 0. Every run it made is deleted at the end.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from faultproxy import FaultProxy, Rule  # noqa: E402

from airflow_bridge import Client  # noqa: E402
from airflow_bridge.errors import AirflowBridgeError, NotFound  # noqa: E402
from airflow_bridge.retries import Event, RetryPolicy  # noqa: E402

PLAIN = "bridge_plain"
FAULTS: list[Rule] = [
    Rule("reset"),
    Rule("reset_after"),
    Rule("half"),
    Rule("slow", delay=0.5),
    Rule("status", status=429, retry_after="1"),
    Rule("status", status=429),
    Rule("status", status=502),
    Rule("status", status=503, retry_after="0"),
]
OPERATIONS = ["trigger"] * 4 + ["get", "list", "count", "update", "clear", "events", "delete"]


class Soak:
    """One server's soak: the client through the proxy, the tallies, the triggers made."""

    def __init__(self, server: dict[str, Any], seconds: float, fault_rate: float, seed: int):
        self.server = server
        self.version = str(server["version"])
        self.seconds = seconds
        self.fault_rate = fault_rate
        self.random = random.Random(seed)
        start = datetime(2023, 1, 1, tzinfo=timezone.utc)
        self.base = start + timedelta(
            days=self.random.randrange(300), hours=self.random.randrange(24)
        )
        self.gte, self.lte = self.base, self.base + timedelta(hours=1)  # the soak's window
        self.operations: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.untyped: Counter[str] = Counter()
        self.retries = 0
        self.answered: dict[str, str] = {}  # conf token -> run id the trigger returned
        self.unanswered: set[str] = set()  # tokens whose trigger raised
        self.deleted: set[str] = set()
        self.made: list[str] = []
        self.triggers = 0

    def count_event(self, event: Event) -> None:
        if event.kind == "retry":
            self.retries += 1

    def run(self) -> None:
        """Soak until the time is up; a crash of the loop itself counts as untyped."""
        try:
            self._soak()
        except Exception as error:  # the soak reports it instead of dying silently in a thread
            self.untyped[f"soak loop: {type(error).__name__}: {error}"[:200]] += 1

    def _soak(self) -> None:
        user, password = str(self.server["username"]), str(self.server["password"])
        policy = RetryPolicy(attempts=4, deadline=20, backoff=0.1, max_backoff=1)
        with (
            FaultProxy(str(self.server["base_url"])) as proxy,
            Client(
                proxy.url,
                username=user,
                password=password,
                timeout=15,
                retries=policy,
                on_event=self.count_event,
            ) as client,
        ):
            client.server_info()
            deadline = time.monotonic() + self.seconds
            while time.monotonic() < deadline:
                proxy.clear()
                if self.random.random() < self.fault_rate:
                    chosen = self.random.choice(FAULTS)
                    armed = Rule(chosen.fault, "/api/*", status=chosen.status, delay=chosen.delay)
                    armed.retry_after = chosen.retry_after
                    proxy.add(armed)
                self.step(client, self.random.choice(OPERATIONS))

    def step(self, client: Client, operation: str) -> None:
        self.operations[operation] += 1
        runs = client.dag_runs
        live = [run_id for run_id in self.made if run_id not in self.deleted]
        try:
            if operation == "trigger" or not live:
                self.trigger(client)
            elif operation == "get":
                runs.get(PLAIN, self.random.choice(live))
            elif operation == "list":
                runs.list(PLAIN, logical_date_gte=self.gte, logical_date_lte=self.lte)
            elif operation == "count":
                runs.count(PLAIN, logical_date_gte=self.gte, logical_date_lte=self.lte)
            elif operation == "update":
                runs.update(PLAIN, self.random.choice(live), state="failed", note="soak")
            elif operation == "clear":
                runs.clear(PLAIN, self.random.choice(live))
            elif operation == "events":
                runs.upstream_events(PLAIN, self.random.choice(live))
            else:
                run_id = self.random.choice(live)
                runs.set_state(PLAIN, run_id, "failed")  # 3.3.2 refuses to delete a running run
                runs.delete(PLAIN, run_id)
                self.deleted.add(run_id)
        except AirflowBridgeError as error:
            self.errors[type(error).__name__] += 1
        except Exception as error:  # the soak counts anything untyped
            self.untyped[f"{type(error).__name__}: {error}"[:200]] += 1

    def trigger(self, client: Client) -> None:
        token = uuid.uuid4().hex
        self.triggers += 1
        when = self.base + timedelta(seconds=self.triggers)
        try:
            run = client.dag_runs.trigger(PLAIN, logical_date=when, conf={"soak": token})
        except BaseException:
            self.unanswered.add(token)
            raise
        self.answered[token] = run.run_id
        self.made.append(run.run_id)

    def reckon(self) -> dict[str, Any]:
        """Count on the server, bypassing the proxy; then delete every run made."""
        user, password = str(self.server["username"]), str(self.server["password"])
        with Client(
            str(self.server["base_url"]), username=user, password=password, timeout=120
        ) as direct:
            on_server = direct.dag_runs.list(
                PLAIN, logical_date_gte=self.gte, logical_date_lte=self.lte
            )
            by_token: dict[str, list[str]] = {}
            for run in on_server:
                token = (run.conf or {}).get("soak")
                if isinstance(token, str):
                    by_token.setdefault(token, []).append(run.run_id)
            present = {run.run_id for run in on_server}
            duplicates = {t: ids for t, ids in by_token.items() if len(ids) > 1}
            lost = [
                run_id
                for run_id in self.answered.values()
                if run_id not in present and run_id not in self.deleted
            ]
            made_anyway = sum(1 for token in self.unanswered if token in by_token)
            cleanup_errors: Counter[str] = Counter()
            for run in on_server:
                try:
                    direct.dag_runs.set_state(PLAIN, run.run_id, "failed")
                    direct.dag_runs.delete(PLAIN, run.run_id)
                except NotFound:
                    pass
                except AirflowBridgeError as error:  # reported; the soak's verdict stands
                    cleanup_errors[type(error).__name__] += 1
        return {
            "version": self.version,
            "seconds": self.seconds,
            "operations": dict(self.operations),
            "operations_total": sum(self.operations.values()),
            "triggers": self.triggers,
            "retries": self.retries,
            "errors": dict(self.errors),
            "untyped": dict(self.untyped),
            "duplicates": len(duplicates),
            "duplicate_examples": dict(list(duplicates.items())[:3]),
            "lost": len(lost),
            "failed_triggers_made_anyway": made_anyway,
            "runs_cleaned": len(on_server),
            "cleanup_errors": dict(cleanup_errors),
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--seconds", type=float, help="overrides --minutes")
    parser.add_argument("--versions", nargs="+", default=["2.10.5", "3.3.2"])
    parser.add_argument("--fault-rate", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--json", action="store_true", help="one JSON summary line per server")
    args = parser.parse_args(argv)
    seconds = args.seconds if args.seconds is not None else args.minutes * 60
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    soaks = []
    for index, version in enumerate(args.versions):
        server = json.loads((ROOT / ".airflow" / version / "server.json").read_text())
        soaks.append(Soak(server, seconds, args.fault_rate, seed + index))
    threads = [threading.Thread(target=soak.run) for soak in soaks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    failed = False
    for soak in soaks:
        try:
            summary = soak.reckon() | {"seed": seed}
        except AirflowBridgeError as error:  # could not count: a failed soak, said plainly
            print(f"Airflow {soak.version}: could not count the runs: {error}", file=sys.stderr)
            failed = True
            continue
        failed |= bool(summary["duplicates"] or summary["lost"] or summary["untyped"])
        if args.json:
            print(json.dumps(summary))
        else:
            print(f"Airflow {summary['version']}, {seconds:g} s, seed {seed}")
            for key in ("operations_total", "triggers", "retries", "duplicates", "lost"):
                print(f"  {key:<28} {summary[key]}")
            print(f"  {'errors by type':<28} {summary['errors'] or 'none'}")
            print(f"  {'untyped exceptions':<28} {summary['untyped'] or 'none'}")
            print(f"  {'failed triggers made anyway':<28} {summary['failed_triggers_made_anyway']}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
