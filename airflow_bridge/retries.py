"""Retries: the policy a client follows, which operations may be sent again, the events,
and what a listing that failed part-way had received (`PartialRuns`).

The retry loop itself is in the sans-I/O plans (`_plans.call`): a retry is a `Sleep` step and
a resend, so `Client`, `AsyncClient` and a fleet behave identically. What may be sent again
is ours, declared per operation in `OPERATION_RULES` (no retry library can know which Airflow
calls repeat safely). The policy is a small attrs class rather than stamina or tenacity: both
run the loop and the sleep themselves, while a plan must yield its sleep as a step for the
driver (sync or async) to carry out; the arithmetic they would contribute is three lines.

A failure is retried when all of these hold:

* it is a connect error or pool timeout (nothing reached the server: any operation), a 429
  (refused before processing: any operation), or a read timeout, a dropped connection, a 502,
  503 or 504 of an operation whose rule says `repeatable`;
* fewer than `attempts` attempts were made;
* the pause (the server's `Retry-After`, else full-jitter backoff) ends before `deadline`
  seconds after the first attempt, and a `Retry-After` is at most `max_retry_after`.
"""

from __future__ import annotations

import random as _random
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal

import attrs

from airflow_bridge.errors import InvalidArgument
from airflow_bridge.models import DagRun

#: The answers worth waiting out: rate limited, and a gateway or server that is restarting.
RETRY_STATUSES = frozenset({429, 502, 503, 504})
#: Requests one client has in flight at most, unless `max_concurrency=`: Airflow's API server
#: has no rate limit of its own, so the client keeps itself polite.
DEFAULT_MAX_CONCURRENCY = 10


def _positive(name: str, *, whole: bool = False, zero: bool = False) -> Callable[..., None]:
    def check(_instance: object, _attribute: object, value: object) -> None:
        kinds = int if whole else int | float
        if isinstance(value, bool) or not isinstance(value, kinds):
            raise InvalidArgument(f"RetryPolicy {name} must be a number, not {value!r}")
        if value < 0 or (value == 0 and not zero) or value != value:
            raise InvalidArgument(f"RetryPolicy {name} must be > 0, not {value!r}")

    return check


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """How often and how long a client retries a failed request (see the module docstring
    for what is retried at all).

    Pass one as `Client(..., retries=RetryPolicy(...))`; `retries=0` is `NO_RETRIES`, an int
    n is `RetryPolicy(attempts=n + 1)`. The pause before retry n (1-based) is the server's
    `Retry-After` when it sent one, else a random time in [0, min(max_backoff,
    backoff * 2 ** (n - 1))] seconds ("full jitter", which spreads the retries of many clients
    apart).

    Attributes:
        attempts: Attempts in all, the first included (default 4; 1 disables retries).
        deadline: Seconds from the first attempt after which no retry starts (default 60):
            a pause that would end later is not taken and the last failure is raised.
        backoff: Seconds; the first retry's largest jittered pause (default 0.5).
        max_backoff: Seconds; no jittered pause is longer (default 30).
        max_retry_after: Seconds; a `Retry-After` asking for longer is not waited out: the
            error is raised at once with its `retry_after` (default 60).
        clock: Seconds of a monotonic clock (default `time.monotonic`); for tests.
        random: A float in [0, 1) (default `random.random`); for tests.
    """

    attempts: int = attrs.field(default=4, validator=_positive("attempts", whole=True))
    deadline: float = attrs.field(default=60.0, validator=_positive("deadline"))
    backoff: float = attrs.field(default=0.5, validator=_positive("backoff", zero=True))
    max_backoff: float = attrs.field(default=30.0, validator=_positive("max_backoff", zero=True))
    max_retry_after: float = attrs.field(
        default=60.0, validator=_positive("max_retry_after", zero=True)
    )
    clock: Callable[[], float] = attrs.field(default=time.monotonic, eq=False, repr=False)
    random: Callable[[], float] = attrs.field(default=_random.random, eq=False, repr=False)

    def pause(self, retry: int, retry_after: float | None) -> float | None:
        """Seconds to wait before retry number `retry` (1-based).

        Args:
            retry: Which retry this is: 1 after the first attempt failed.
            retry_after: The server's `Retry-After` in seconds, if it sent one.

        Returns:
            The pause, or None when a `Retry-After` exceeds `max_retry_after` (no retry).
        """
        if retry_after is not None:
            return retry_after if retry_after <= self.max_retry_after else None
        return self.random() * min(self.max_backoff, self.backoff * 2.0 ** (retry - 1))


#: No retries at all: `retries=0`.
NO_RETRIES = RetryPolicy(attempts=1)
#: What a client follows unless given `retries=`.
DEFAULT_RETRIES = RetryPolicy()


def retry_policy(retries: RetryPolicy | int | None) -> RetryPolicy:
    """The policy for a `retries=` argument.

    Args:
        retries: A `RetryPolicy`; an int n >= 0 for n retries with the default pauses (0
            disables retries); None for `DEFAULT_RETRIES`.

    Returns:
        The policy to follow.

    Raises:
        InvalidArgument: Anything else, or a negative int.
    """
    if retries is None:
        return DEFAULT_RETRIES
    if isinstance(retries, RetryPolicy):
        return retries
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise InvalidArgument(
            f"retries must be a RetryPolicy or a number of retries >= 0, not {retries!r}"
        )
    return NO_RETRIES if retries == 0 else RetryPolicy(attempts=retries + 1)


@attrs.frozen
class Rule:
    """Whether an operation may be sent again after it may have reached the server.

    Attributes:
        repeatable: A read timeout, dropped connection, 502, 503 or 504 is retried.
        why: Why, in one line (the README's retry table is this text).
        resent_404_is_success: A 404 to a resend means an earlier attempt did it (DELETE).
        resent_409_is_checked: A 409 to a resend is checked against what was sent (trigger).
    """

    repeatable: bool
    why: str
    resent_404_is_success: bool = False
    resent_409_is_checked: bool = False


_READ = Rule(True, "GET: reads change nothing")

#: Every operation's retry rule, by the name the facade runs it under (`client.dag_runs`'
#: bare, `client.dags`' and `client.task_instances`' prefixed; the name `Event.operation`
#: and the DEBUG log show). Connect errors and 429 answers are retried for every operation:
#: neither reached Airflow's API.
OPERATION_RULES: Mapping[str, Rule] = {
    "detect": _READ,
    "get": _READ,
    "list": _READ,
    "count": _READ,
    "upstream_events": _READ,
    "wait": _READ,
    "trigger": Rule(
        True,
        "POST with a run id (the client makes one when none is given): a resend cannot make "
        "a second run; a 409 to a resend is the run we made if dag_id, logical date and conf "
        "match, else Conflict",
        resent_409_is_checked=True,
    ),
    "update": Rule(True, "PATCH of absolute values (state, note): applying twice is once"),
    "clear": Rule(
        True,
        "POST; a dry run changes nothing; a real clear sent twice leaves the same task "
        "instances cleared (one the scheduler started in between is cleared again)",
    ),
    "delete": Rule(
        True,
        "DELETE; a 404 to a resend means an earlier attempt deleted the run: success",
        resent_404_is_success=True,
    ),
    "dags.get": _READ,
    "dags.list": _READ,
    "dags.pause": Rule(True, "PATCH of an absolute `is_paused`: applying twice is once"),
    "task_instances.list": _READ,
    "task_instances.get": _READ,
    "task_instances.logs": _READ,
    "task_instances.clear_dry_run": Rule(True, "POST with `dry_run`: changes nothing"),
    "task_instances.clear": Rule(
        False,
        "POST that clears: not resent once it may have been processed, since a task the "
        "scheduler restarted after the first clear would be cleared again (its running try "
        "killed); only a refused connection or a 429 is retried. Re-check with a dry run",
    ),
}

#: The facade calls each rule covers, for the table.
_CALLS: Mapping[str, str] = {
    "detect": "the version probe (first use)",
    "get": "`get()`",
    "list": "`list()`, `iter()`",
    "count": "`count()`",
    "upstream_events": "`upstream_events()`",
    "wait": "`wait()` (each poll)",
    "trigger": "`trigger()`",
    "update": "`update()`, `set_state()`, `set_note()`",
    "clear": "`clear()`",
    "delete": "`delete()`",
    "dags.get": "`client.dags.get()`",
    "dags.list": "`client.dags.list()`, `iter()`",
    "dags.pause": "`client.dags.pause()`, `unpause()`",
    "task_instances.list": "`client.task_instances.list()`, `iter()`, `failed()`",
    "task_instances.get": "`client.task_instances.get()`",
    "task_instances.logs": "`client.task_instances.logs()`, `iter_logs()` (each chunk)",
    "task_instances.clear_dry_run": "`client.task_instances.clear(dry_run=True)`",
    "task_instances.clear": "`client.task_instances.clear(dry_run=False)`",
}


def retry_table() -> str:
    """Every operation's retry rule as a Markdown table (the README's, generated from
    `OPERATION_RULES`; a test keeps them equal).

    Returns:
        The table, one row per operation, ending with a newline.
    """
    rows = [
        "| Operation | Calls (`client.dag_runs` unless named) | Resent after a lost answer, "
        "502, 503, 504 | Why |",
        "|---|---|---|---|",
    ]
    for name, rule in OPERATION_RULES.items():
        resent = "yes" if rule.repeatable else "no"
        rows.append(f"| {name} | {_CALLS[name]} | {resent} | {rule.why} |")
    return "\n".join(rows) + "\n"


EventKind = Literal["request", "retry"]


@attrs.frozen(kw_only=True)
class Event:
    """What a client reports to its `on_event=` callback: each request sent, each retry.

    Attributes:
        kind: `"request"` after every attempt (answered or not), `"retry"` before the pause
            that precedes a resend.
        operation: The facade operation (`"trigger"`, `"list"`, `"detect"`...).
        method: The HTTP method.
        path: The request's path and query, relative to the server root (no credentials).
        attempt: 1 for the first attempt; on a retry event, the attempt that failed.
        status: The HTTP status, or None when no answer came.
        error: The transport failure's class name when no answer came (e.g. `ReadTimeout`).
        elapsed: Seconds the attempt took (request events).
        pause: Seconds until the resend (retry events).
    """

    kind: EventKind
    operation: str
    method: str
    path: str
    attempt: int
    status: int | None = None
    error: str | None = None
    elapsed: float | None = None
    pause: float | None = None


#: The `on_event=` callback: called in the thread or task that sends the request; what it
#: raises propagates out of the call.
EventHook = Callable[[Event], None]


class PartialRuns(list[DagRun]):
    """The runs a `list()` received before it failed: a list of `DagRun`, carried by the
    error as `error.partial` (an empty list when the first page failed).

    `rest` is the listing's `RunIterator` (`AsyncRunIterator` for an `AsyncClient`),
    positioned after these runs: iterating it asks for the failed page again and goes on,
    so `error.partial + list(error.partial.rest)` is the whole listing, no run twice. The
    iterator belongs to the client: a pickled copy of the error (another process) keeps the
    runs as a plain list, without `rest`.

    Attributes:
        rest: The resumable iterator over the runs not received yet.
    """

    def __init__(self, runs: Iterable[DagRun], rest: Any) -> None:
        super().__init__(runs)
        self.rest = rest

    def __reduce__(self) -> tuple[Any, ...]:
        return (list, (list(self),))
