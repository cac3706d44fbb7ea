"""The facade's logic, written once for sync and async as generator "plans".

A plan yields steps (a `Send` of an `ApiRequest`, or a `Sleep`) and receives the answer to
each: a `Reply`, or `Lost` when no answer came (the driver never raises for a transport
failure, so the plan decides whether to retry). Its return value is the operation's result.
`Client` and `AsyncClient` each drive plans with their own I/O, so detection, paging,
two-call updates, polling and retries exist in one place only, and nothing here knows which
Airflow generation is on the other side: the adapter does.

Every request goes through `call`, the retry loop: a retry is a `Sleep` step and the same
`Send` again, as the client's `RetryPolicy` and the operation's `Rule` (`retries`) allow.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping, Sequence
from datetime import datetime
from enum import Enum
from typing import Any, TypeVar

import attrs

from airflow_bridge import _arguments as arguments
from airflow_bridge import _prefetch
from airflow_bridge.adapters import GENERATIONS, Adapter, ApiRequest, Reply, format_datetime
from airflow_bridge.errors import (
    ApiError,
    AuthenticationError,
    InvalidArgument,
    PartialUpdate,
    TransportError,
    VersionDetectionError,
    WaitTimeout,
    parse_retry_after,
)
from airflow_bridge.models import DATE_FILTERS, DagRun, DagRunState, Page, RunQuery
from airflow_bridge.retries import OPERATION_RULES, RETRY_STATUSES, Event, RetryPolicy, Rule
from airflow_bridge.types import RunFilters

T = TypeVar("T")
COUNT_PAGE_SIZE = 100  # the largest page both generations serve
#: wait()'s polling interval grows by this factor after each poll, up to its cap.
WAIT_GROWTH = 1.5


@attrs.frozen
class Send:
    """Send `request` (attempt `attempt` of operation `operation`) and answer with what came.

    `authenticate`: send it with the given credentials although the generation is not known
    yet (a version probe the server refused without them)."""

    request: ApiRequest
    operation: str
    attempt: int = 1
    authenticate: bool = False


@attrs.frozen
class Sleep:
    """A pause, between polls or before a retry (`retry` then says why, for the event hook);
    the driver sleeps the way its side (sync or async) should."""

    seconds: float
    retry: Event | None = None


@attrs.frozen
class Lost:
    """The driver's answer when no reply came: the typed error, and whether the request may
    have reached the server (False for a refused connection or a connect/pool timeout)."""

    error: TransportError
    sent: bool


@attrs.frozen
class Unsent:
    """The driver's answer when a step before the request failed with an answer and the
    request itself was never sent: the token login answered 429, 502, 503 or 504 (`reply`
    is the login's). Retried for every operation, like a 429 (nothing reached the API)."""

    reply: Reply


@attrs.frozen
class Parallel:
    """Drive these plans concurrently (each within the client's `max_concurrency`), put
    their results in `results` in order, and answer None; the first failure in order is
    raised into the plan once all are done. Used by offset walks to fetch pages ahead
    (`_prefetch`)."""

    plans: tuple[Generator[Any, Any, Any], ...]
    results: list[Any] = attrs.field(factory=list, eq=False)


Step = Send | Sleep | Parallel
Answer = Reply | Lost | Unsent
Plan = Generator[Step, Answer | None, T]


@attrs.frozen
class Retrying:
    """What a plan's requests follow: the client's policy and the operation's declared rule."""

    policy: RetryPolicy
    operation: str

    @property
    def rule(self) -> Rule:
        return OPERATION_RULES[self.operation]

    def to(self, operation: str) -> Retrying:
        """The same policy for another operation (a trigger's follow-up GET is a "get")."""
        return Retrying(self.policy, operation)


@attrs.frozen
class Sent:
    """A request's final reply; `resent` when an earlier attempt may have been processed
    (its answer was lost, or was a 502/503/504), so a 404 or 409 may be our own doing."""

    reply: Reply
    resent: bool


def call(
    retrying: Retrying, request: ApiRequest, *, authenticate: bool = False
) -> Generator[Step, Answer | None, Sent]:
    """Send `request`, retrying as the policy and the operation's rule allow (see
    `retries`); the last failure without an answer is raised as its `TransportError`."""
    policy = retrying.policy
    started = policy.clock()
    resent = False
    attempt = 1
    while True:
        answer = yield Send(request, retrying.operation, attempt, authenticate)
        assert answer is not None, "a driver answered a Send step with None"
        if isinstance(answer, Reply) and answer.status not in RETRY_STATUSES:
            return Sent(answer, resent)  # most answers: nothing to retry, `_pause` says None
        pause = _pause(retrying, answer, attempt, started)
        if pause is None:
            if isinstance(answer, Lost):
                raise answer.error
            # an Unsent's login reply (429/5xx) is raised by the operation's parse, which
            # checks the status first: RateLimited or ServerError naming the login URL
            return Sent(answer.reply if isinstance(answer, Unsent) else answer, resent)
        if isinstance(answer, Lost):
            resent = resent or answer.sent
        elif isinstance(answer, Reply):
            resent = resent or answer.status != 429
        yield Sleep(pause, retry=_retry_event(retrying.operation, request, attempt, answer, pause))
        attempt += 1


def _pause(retrying: Retrying, answer: Answer, attempt: int, started: float) -> float | None:
    """Seconds to wait before the next attempt, or None: do not retry this answer."""
    policy, rule = retrying.policy, retrying.rule
    if attempt >= policy.attempts:
        return None
    retry_after = None
    unsent = isinstance(answer, Unsent)
    if isinstance(answer, Unsent):
        answer = answer.reply
    if isinstance(answer, Lost):
        if answer.sent and not rule.repeatable:
            return None
    elif answer.status in RETRY_STATUSES and (answer.status == 429 or rule.repeatable or unsent):
        value = answer.headers.get("retry-after")
        if value is not None:
            retry_after = parse_retry_after(value, date=answer.headers.get("date"))
    else:
        return None
    pause = policy.pause(attempt, retry_after)
    if pause is None or policy.clock() - started + pause > policy.deadline:
        return None
    return pause


def _retry_event(
    operation: str, request: ApiRequest, attempt: int, answer: Answer, pause: float
) -> Event:
    return Event(
        kind="retry",
        operation=operation,
        method=request.method,
        path=request.path,
        attempt=attempt,
        status=None
        if isinstance(answer, Lost)
        else (answer.reply if isinstance(answer, Unsent) else answer).status,
        error=type(answer.error.__cause__ or answer.error).__name__
        if isinstance(answer, Lost)
        else None,  # the httpx exception's name, as on the request event
        pause=pause,
    )


def send(
    retrying: Retrying, request: ApiRequest, *, authenticate: bool = False
) -> Generator[Step, Answer | None, Reply]:
    """`call`, when only the reply matters."""
    return (yield from call(retrying, request, authenticate=authenticate)).reply


def one_request(retrying: Retrying, request: ApiRequest, parse: Callable[[Reply], T]) -> Plan[T]:
    """The plan of most operations: one request (retried as allowed), one parsed answer."""
    return parse((yield from call(retrying, request)).reply)


def trigger(
    retrying: Retrying,
    adapter: Adapter,
    request: ApiRequest,
    *,
    dag_id: str,
    run_id: str,
    logical_date: datetime | None,
    conf: Mapping[str, Any] | None,
) -> Plan[DagRun]:
    """Trigger with a run id, so a resend cannot make a second run. A 409 to a resend may be
    our own first attempt: the run is fetched and returned when its dag_id, logical date (if
    one was sent) and conf are what was sent; anything else stays `Conflict`."""
    sent = yield from call(retrying, request)
    if sent.resent and sent.reply.status == 409 and retrying.rule.resent_409_is_checked:
        found = yield from send(retrying.to("get"), adapter.get(dag_id, run_id))
        if found.ok:
            run = adapter.parse_run(found)
            if _same_run(run, dag_id, logical_date, conf):
                return run
    return adapter.parse_trigger(sent.reply, run_id=run_id)


def _same_run(
    run: DagRun, dag_id: str, logical_date: datetime | None, conf: Mapping[str, Any] | None
) -> bool:
    same_date = logical_date is None or run.logical_date == logical_date
    return run.dag_id == dag_id and same_date and dict(run.conf) == dict(conf or {})


def delete(retrying: Retrying, adapter: Adapter, dag_id: str, run_id: str) -> Plan[None]:
    """Delete; a 404 to a resend means an earlier attempt deleted the run: success."""
    sent = yield from call(retrying, adapter.delete(dag_id, run_id))
    if sent.resent and sent.reply.status == 404 and retrying.rule.resent_404_is_success:
        return None
    adapter.parse_empty(sent.reply)
    return None


def detect(retrying: Retrying, base_url: str, *, credentials: bool = False) -> Plan[Adapter]:
    """Probe each generation's version endpoint, newest first, unauthenticated (Airflow's is
    public). When a probe is refused (401/403: a managed service or a gateway guarding every
    path) and the client has generation-independent `credentials`, it is sent again with
    them, and so are the probes after it; refused again, that is AuthenticationError."""
    answers: list[str] = []
    refused = authenticate = False
    for generation in GENERATIONS:
        reply = yield from send(retrying, generation.probe(), authenticate=authenticate)
        if reply.status in (401, 403) and credentials and not authenticate:
            authenticate = True
            reply = yield from send(retrying, generation.probe(), authenticate=True)
            if reply.status in (401, 403):
                raise AuthenticationError(
                    f"the version probe was refused with the credentials given ({reply.status})",
                    status=reply.status,
                    method=reply.method,
                    url=reply.url,
                    body=reply.text(),
                    headers=reply.headers,
                )
        info = generation.parse_probe(reply, base_url)
        if info is not None:
            return generation(info)
        answers.append(f"{reply.method} {reply.url} answered {reply.status} {_gist(reply)}")
        refused = refused or reply.status in (401, 403)
    raise VersionDetectionError(
        f"{base_url} does not look like an Airflow 2 or 3 API server ("
        + "; ".join(answers)
        + "). "
        + (
            "The version endpoint wants credentials here: pass auth= or token= (or api='v1' "
            "or api='v2' to skip detection)."
            if refused and not credentials
            else "Check the URL (and any proxy prefix), or pass api='v1' or api='v2'."
        )
    )


def _gist(reply: Reply) -> str:
    kind = reply.headers.get("content-type", "no content type").split(";")[0]
    return f"({kind}: {reply.text()[:80]!r})"


def update(
    retrying: Retrying,
    adapter: Adapter,
    dag_id: str,
    run_id: str,
    *,
    state: str | None,
    note: str | None,
) -> Plan[DagRun]:
    """Set state and/or note (`_dag_runs.check_update` has checked that one is given): one
    request on some generations, several on others.

    The requests go in the adapter's order, the one likelier to be refused first. When a
    later one is refused after an earlier one was applied, PartialUpdate says what was.
    """
    run: DagRun | None = None
    applied: dict[str, Any] = {}
    for request in adapter.update(dag_id, run_id, state=state, note=note):
        fields = dict(request.json or {})
        try:
            run = adapter.parse_run((yield from send(retrying, request)))
        except ApiError as error:
            if run is None:
                raise
            raise PartialUpdate(
                error, applied=applied, not_applied=tuple(fields), run=run
            ) from error
        applied.update(fields)
    assert run is not None
    return run


def page(
    retrying: Retrying,
    adapter: Adapter,
    query: RunQuery,
    *,
    offset: int,
    limit: int,
    cursor: str | None = None,
) -> Plan[Page]:
    """One page; an empty first page of a named DAG is checked so unknown DAGs are NotFound
    on every generation (some list an unknown DAG as an empty 200)."""
    request = adapter.list_runs(query, offset=offset, limit=limit, cursor=cursor)
    result = adapter.parse_page((yield from send(retrying, request)))
    if offset == 0 and not result.runs and query.dag_ids is None:
        confirm = adapter.confirm_dag(query.dag_id)
        if confirm is not None:
            adapter.parse_empty((yield from send(retrying, confirm)))
    return result


def count(retrying: Retrying, adapter: Adapter, query: RunQuery) -> Plan[int]:
    """The server's `total_entries` from one small page, unless the server applies one of the
    filters more loosely than its runs are checked here (`Adapter.run_filter`, e.g. Airflow
    3's start/end date bounds letting runs with no such date through): then the matching
    pages are walked and the runs that pass are counted. (A query with an empty list filter
    never gets here: the facade answers it, `_dag_runs.check_listing`.)"""
    if adapter.run_filter(query) is None:
        total = (yield from page(retrying, adapter, query, offset=0, limit=1)).total_entries
        if total is not None:
            return total
    pager = Pager(query, limit=None, page_size=COUNT_PAGE_SIZE)
    counted = 0
    while (plan := pager.next_page(retrying, adapter)) is not None:
        counted += len(pager.accept((yield from plan)))
    return counted


def wait(
    retrying: Retrying,
    adapter: Adapter,
    dag_id: str,
    run_id: str,
    *,
    timeout: float,
    interval: float,
    max_interval: float,
) -> Plan[DagRun]:
    """Poll until the run is success or failed; WaitTimeout (with the last run seen) once
    `timeout` seconds have passed. The pause starts at `interval` and grows by `WAIT_GROWTH`
    after each poll up to `max_interval`, so a long run costs the server few requests; a
    pause that would pass the deadline is cut short so the last poll comes at the deadline.
    Time is read from the policy's clock. Polling works on every server version."""
    if interval <= 0:
        raise InvalidArgument("interval must be a positive number of seconds")
    clock = retrying.policy.clock
    deadline = clock() + timeout
    pause = interval
    while True:
        run = adapter.parse_run((yield from send(retrying, adapter.get(dag_id, run_id))))
        if run.is_finished:
            return run
        left = deadline - clock()
        if left <= 0:
            raise WaitTimeout(
                f"{dag_id}/{run_id} is still {_value(run.state)} after {timeout:g} s",
                last=run,
            )
        yield Sleep(min(pause, left))
        pause = max(interval, min(pause * WAIT_GROWTH, max_interval))


class Pager:
    """Walks the pages of a listing, never yielding the same run twice.

    Where the adapter says the server has keyset pages (`Adapter.pages_by_cursor`), the walk
    follows each page's `next_cursor`, so runs created or deleted meanwhile shift nothing.
    Elsewhere it pages by offset, by what the server actually returned: servers silently
    cap a page (maximum_page_limit) and default differently (100 on v1, 50 on v2), so the
    next offset is what came back and the end is `total_entries`. Runs created during an
    offset walk shift the later pages (newest first, the runs at a page's end come again):
    a run already yielded is dropped, not repeated. Runs deleted during an offset walk can
    still make it miss runs; keyset pages cannot. Runs that a server lets through a filter
    it applies too loosely are dropped (`Adapter.run_filter`), and `limit` counts the runs
    yielded. A limit of 0 is never sent (v1 would answer a full default page).

    What is remembered to drop repeats depends on the order. In the servers' default order
    (`id` ascending: the 2.10.5 and 3.3.2 servers list the same runs with and without
    `order_by=id`) a new run sorts after every run already listed, so a yielded run can only
    come again when runs land ahead of it between two page requests (a transaction that
    committed out of id order), which moves it to the next page unless more than a page of
    runs lands ahead of it between two requests: only the previous page's runs are
    remembered (pages fetched ahead together, `_prefetch`, count as one page), so an
    `iter()` of any length holds a bounded number of pages. In any other
    order (newest first, by state or date, which a run's update can change) and in the
    several-DAG batch list, every run yielded is remembered (about 150 bytes a run).
    """

    def __init__(self, query: RunQuery, *, limit: int | None, page_size: int) -> None:
        if limit is not None and limit < 0:
            raise InvalidArgument("limit must be None (all runs) or a number >= 0")
        if page_size < 1:
            raise InvalidArgument("page_size must be at least 1")
        self._query = query
        self._remaining = limit
        self._page_size = page_size
        self._offset = 0
        self._cursor: str | None = None  # None: offset pages; "" asks for the first keyset page
        self._step = 0  # offset pages: runs served for the first page; then pages go ahead
        self._total: int | None = None
        self._ahead = 1  # pages per batch: doubled for each batch, up to _prefetch.AHEAD
        self._keep: Callable[[DagRun], bool] | None = None
        self._seen: set[tuple[str, str]] = set()
        # the previous page's runs, when only they can come again (see the docstring)
        self._window = query.dag_ids is None and query.order_by in ((), ("id",))
        self._previous: set[tuple[str, str]] = set()
        self._done = limit == 0

    def next_page(self, retrying: Retrying, adapter: Adapter) -> Plan[Page] | None:
        """The plan for the next page, or None when the listing is complete."""
        if self._done:
            return None
        if self._offset == 0:
            self._cursor = "" if adapter.pages_by_cursor(self._query) else None
            self._keep = adapter.run_filter(self._query)
        if self._cursor is None and self._step and self._total is not None:
            ahead = self._ahead = min(2 * self._ahead, _prefetch.AHEAD)
            return _prefetch.batch(
                retrying,
                adapter,
                self._query,
                offset=self._offset,
                step=self._step,
                total=self._total,
                pages=ahead,
                wanted=self._remaining,
            )
        size = self._page_size
        if self._remaining is not None:
            size = min(size, self._remaining)
        return page(
            retrying, adapter, self._query, offset=self._offset, limit=size, cursor=self._cursor
        )

    def accept(self, result: Page) -> Sequence[DagRun]:
        """The runs of `result` to yield; decides whether there is a next page."""
        self._offset += len(result.runs)
        if self._cursor is not None and result.has_cursors:
            self._cursor = result.next_cursor
            self._done = not result.runs or self._cursor is None
        else:  # offset pages (also when a server of unknown version ignored the cursor)
            self._cursor = None
            total = self._total = result.total_entries
            self._step = self._step or len(result.runs)
            self._done = not result.runs or (total is not None and self._offset >= total)
        if self._window:
            self._previous, self._seen = self._seen, set()
        runs = [run for run in result.runs if self._new(run)]
        if self._remaining is not None:
            runs = runs[: self._remaining]
            self._remaining -= len(runs)
            self._done = self._done or self._remaining == 0
        return runs

    def _new(self, run: DagRun) -> bool:
        if self._keep is not None and not self._keep(run):
            return False
        key = (run.dag_id, run.run_id)
        if key in self._seen or key in self._previous:
            return False
        self._seen.add(key)
        return True


_FILTER_NAMES = frozenset(RunFilters.__annotations__)


def make_query(dag_id: str, filters: RunFilters) -> RunQuery:
    """Normalize and check the user's filters before anything is sent (InvalidArgument, a
    TypeError too, for an unknown name, like any bad keyword; see `_arguments`)."""
    unknown = set(filters) - _FILTER_NAMES
    if unknown:
        raise InvalidArgument(
            f"unknown filter(s) {', '.join(sorted(unknown))}; "
            f"known: {', '.join(sorted(_FILTER_NAMES))}"
        )
    loose: Mapping[str, Any] = filters  # the date filters, looked up by computed names
    check_dates({name: loose.get(name) for name in DATE_FILTERS})
    return RunQuery(
        dag_id=arguments.identifier("dag_id", dag_id),
        dag_ids=arguments.dag_ids(filters.get("dag_ids")),
        states=arguments.states(filters.get("states")),
        run_types=arguments.run_types(filters.get("run_types")),
        dates={name: loose[name] for name in DATE_FILTERS if loose.get(name) is not None},
        order_by=arguments.order_by(filters.get("order_by")),
        run_id_pattern=arguments.optional_text("run_id_pattern", filters.get("run_id_pattern")),
        dag_id_pattern=arguments.optional_text("dag_id_pattern", filters.get("dag_id_pattern")),
    )


def check_dates(dates: Mapping[str, datetime | None]) -> None:
    """Refuse naive datetimes up front, before even the version probe is sent."""
    for name, value in dates.items():
        if value is not None:
            format_datetime(name, value)


def _value(item: Enum | str | None) -> str:
    if isinstance(item, Enum):
        return str(item.value)
    return str(item)


def state_value(state: DagRunState | str) -> str:
    """A state to set, as the wire wants it: queued, success or failed (any case, or a
    DagRunState); anything else is InvalidArgument before any request."""
    return arguments.settable_state(state)
