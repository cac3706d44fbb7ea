"""What both API generations share: paths, bodies, parsing and capability checks.

An adapter is pure translation. For each operation it describes the request (`ApiRequest`) and
turns the reply into models or typed errors; it never sends anything. The v1 and v2 modules
only declare what differs (names, tables, a few bodies); everything else lives here once.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar, TypeVar, get_args
from urllib.parse import quote

import attrs

from airflow_bridge.errors import (
    ApiError,
    AuthenticationError,
    InvalidArgument,
    InvalidResponse,
    InvalidRunId,
    UnsupportedOperation,
    error_class,
)
from airflow_bridge.models import (
    DATE_FILTERS,
    ORDER_FIELDS,
    AssetEvent,
    Capability,
    ClearedTaskInstance,
    ClearResult,
    DagRun,
    Page,
    RunQuery,
    ServerInfo,
    parse_version,
)

from ._dates import format_datetime
from ._http import ApiRequest, Reply, check, error_message, json_or_text
from ._wire_model import WireModel

T = TypeVar("T")

#: Everything a server may or may not be able to do (`models.Capability`, in its order).
CAPABILITIES: tuple[Capability, ...] = get_args(Capability)


class Adapter(ABC):
    """Translation for one server; subclasses declare one API generation's differences."""

    api: ClassVar[str]
    prefix: ClassVar[str]
    major: ClassVar[int]
    first_release: ClassVar[str]
    #: capability -> the version that added it; None = this generation never has it.
    #: Capabilities not listed exist from the generation's first release.
    added_in: ClassVar[Mapping[str, str | None]]
    #: normalized date filter -> wire name, for the GET list and for the batch body.
    list_dates: ClassVar[Mapping[str, str]]
    batch_dates: ClassVar[Mapping[str, str]]
    #: normalized order_by field -> wire name.
    order_fields: ClassVar[Mapping[str, str]]
    #: order_by field -> the release from which keyset pages sorted by it are exact (fields
    #: whose value can be null); fields not listed: from `cursor_pagination`'s release.
    cursor_order_since: ClassVar[Mapping[str, str]] = {}
    #: date filters the GET list applies loosely: it also lists runs whose date is null.
    #: Such runs are dropped here (`run_filter`), and count() then counts by walking.
    loose_dates: ClassVar[frozenset[str]] = frozenset()
    #: The unauthenticated health endpoint (components -> status), which the fleet's probe reads.
    health_path: ClassVar[str]
    events_path: ClassVar[str]
    events_key: ClassVar[str]
    #: normalized run type -> this generation's name for it, where the two differ.
    run_type_names: ClassVar[Mapping[str, str]] = {}
    #: Airflow's default rules for a run_id given to trigger: the default
    #: `[scheduler] allowed_run_id_pattern`, the generated ids' pattern (either may match),
    #: and substrings refused whatever the pattern. A trigger answered `run_id_refusal`
    #: whose run_id breaks these rules is InvalidRunId (a server configured with a wider
    #: pattern accepts such ids and never answers so).
    run_id_patterns: ClassVar[tuple[str, str]]
    run_id_forbidden: ClassVar[tuple[str, ...]] = ()
    run_id_refusal: ClassVar[int]
    #: Whether an empty task instance list can hide a missing run: 2.10.5 answers a run's
    #: (or DAG's) that does not exist with 200 and no task instances, 3.3.2 with 404.
    missing_run_lists_no_task_instances: ClassVar[bool] = False
    run_model: WireModel[DagRun]
    event_model: WireModel[AssetEvent]

    def __init__(self, server: ServerInfo) -> None:
        self._version = server.version_info
        self.server = attrs.evolve(
            server, capabilities=frozenset(c for c in CAPABILITIES if self.supports(c))
        )

    # -- detection -----------------------------------------------------------------------

    @classmethod
    def probe(cls) -> ApiRequest:
        """The unauthenticated request that tells whether a server speaks this generation."""
        return ApiRequest("GET", f"{cls.prefix}/version")

    @classmethod
    def parse_probe(cls, reply: Reply, base_url: str) -> ServerInfo | None:
        """ServerInfo when the probe's reply is this generation's version document."""
        if reply.status != 200:
            return None
        try:
            body = reply.json()
        except InvalidResponse:
            return None
        version = body.get("version") if isinstance(body, dict) else None
        if not isinstance(version, str) or parse_version(version)[:1] != (cls.major,):
            return None
        git = body.get("git_version")
        return ServerInfo(base_url=base_url, api=cls.api, version=version, git_version=git or None)

    # -- capabilities --------------------------------------------------------------------

    def supports(self, capability: str) -> bool:
        """Whether this server can do it (a server of unknown version: its generation's newest)."""
        if capability not in self.added_in:
            return True
        added = self.added_in[capability]
        return added is not None and self._version_at_least(added)

    def _version_at_least(self, version: str) -> bool:
        return self._version is None or self._version >= parse_version(version)

    def require(self, capability: str) -> None:
        """UnsupportedOperation, before anything is sent, when this server lacks it."""
        if not self.supports(capability):
            raise UnsupportedOperation(
                capability,
                server_version=self.server.version,
                added_in=self.added_in.get(capability),
                api=self.api,
            )

    # -- auth ----------------------------------------------------------------------------

    def login_request(self, username: str, password: str) -> ApiRequest | None:
        """The token login to exchange credentials for; None means send them as HTTP Basic."""
        return None

    def check(self, reply: Reply) -> Reply:
        """The reply if it is a success, else its typed ApiError (see `error_class`)."""
        return check(reply, self.error_class)

    def error_class(self, reply: Reply) -> type[ApiError]:
        """The ApiError subclass for a failed reply; by status unless a generation says more."""
        return error_class(reply.status)

    def token_rejected(self, reply: Reply) -> bool:
        """Whether a reply means "your token is no good": log in again and retry once."""
        return reply.status == 401

    def parse_token(self, reply: Reply) -> str:
        body = check(reply, self._login_error_class).json()
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise InvalidResponse(
                "no access_token in the login answer", method=reply.method, url=reply.url
            )
        return token

    def _login_error_class(self, reply: Reply) -> type[ApiError]:
        # A login refused for its content (empty fields are a 400 on Airflow 3.3.2) is a
        # credentials problem like a 401, as Basic credentials are on Airflow 2.
        if reply.status in (400, 401, 422):
            return AuthenticationError
        return self.error_class(reply)

    # -- requests ------------------------------------------------------------------------

    def path(self, *segments: str) -> str:
        """Percent-encode each segment, so `?`, `#`, `%`, `:` or `+` in an id stay inside it.

        A segment of only dots is encoded too (`..` -> `%2E%2E`): URL normalization would
        otherwise remove it and send e.g. `get("dag", "..")` to the DAG's own endpoint.
        An id with `/` is refused (InvalidArgument): 2.10.5 and 3.3.2 decode `%2F` before
        routing, so `get("dag", "x/taskInstances")` would reach the task instances endpoint.
        """
        return self.prefix + "".join("/" + _segment(segment) for segment in segments)

    def run_path(self, dag_id: str, run_id: str, *rest: str) -> str:
        return self.path("dags", dag_id, "dagRuns", run_id, *rest)

    def trigger(
        self,
        dag_id: str,
        *,
        run_id: str | None,
        logical_date: datetime | None,
        conf: Mapping[str, Any] | None,
        note: str | None,
        data_interval: tuple[datetime, datetime] | None,
    ) -> ApiRequest:
        body: dict[str, Any] = {}
        if run_id is not None:
            body["dag_run_id"] = run_id
        self._put_logical_date(body, logical_date)
        if conf is not None:
            body["conf"] = dict(conf)
        if note is not None:
            self.require("note")
            body["note"] = note
        if data_interval is not None:
            self.require("data_interval")
            start, end = _interval(data_interval)
            body["data_interval_start"] = format_datetime("data_interval start", start)
            body["data_interval_end"] = format_datetime("data_interval end", end)
        return ApiRequest("POST", self.path("dags", dag_id, "dagRuns"), json=body)

    def _put_logical_date(self, body: dict[str, Any], logical_date: datetime | None) -> None:
        if logical_date is not None:
            body["logical_date"] = format_datetime("logical_date", logical_date)

    def get(self, dag_id: str, run_id: str) -> ApiRequest:
        return ApiRequest("GET", self.run_path(dag_id, run_id))

    def list_runs(
        self, query: RunQuery, *, offset: int, limit: int, cursor: str | None = None
    ) -> ApiRequest:
        """One page of runs: the GET list for one DAG or `~`, the batch POST for dag_ids.

        With a `cursor` (`""` for the first page, then the last page's `next_cursor`) the page
        is a keyset page instead of an offset one; see `pages_by_cursor`.
        """
        if query.dag_ids is not None:
            return self._list_batch(query, offset, limit)
        params: list[tuple[str, str]] = [("limit", str(limit))]
        if cursor is None:
            params.append(("offset", str(offset)))
        else:
            self.require("cursor_pagination")
            params.append(("cursor", cursor))
        for name, value in query.dates.items():
            params.append((self._date_name(name, self.list_dates), format_datetime(name, value)))
        if query.states:
            self.require("states")
            params += [("state", state) for state in query.states]
        if query.run_types:
            self.require("run_types")
            params += [("run_type", self.run_type_names.get(t, t)) for t in query.run_types]
        params += [("order_by", field) for field in self._order_by(query.order_by, batch=False)]
        for pattern in ("run_id_pattern", "dag_id_pattern"):
            value = getattr(query, pattern)
            if value is not None:
                self.require(pattern)
                params.append((pattern, value))
        return ApiRequest("GET", self.path("dags", query.dag_id, "dagRuns"), tuple(params))

    def _list_batch(self, query: RunQuery, offset: int, limit: int) -> ApiRequest:
        unsupported = [
            name
            for name in ("run_types", "run_id_pattern", "dag_id_pattern")
            if getattr(query, name)
        ]
        if unsupported:
            raise UnsupportedOperation(
                f"the {unsupported[0]} filter together with dag_ids",
                server_version=self.server.version,
                added_in=None,
                api=self.api,
            )
        body: dict[str, Any] = {
            "page_offset": offset,
            "page_limit": limit,
            "dag_ids": list(query.dag_ids or ()),
        }
        if query.states:
            self.require("states")
            body["states"] = list(query.states)
        for name, value in query.dates.items():
            body[self._date_name(name, self.batch_dates, batch=True)] = format_datetime(name, value)
        order = self._order_by(query.order_by, batch=True)
        if order:
            body["order_by"] = order[0]
        return ApiRequest("POST", self.path("dags", "~", "dagRuns", "list"), json=body)

    def _date_name(self, name: str, table: Mapping[str, str], *, batch: bool = False) -> str:
        if name not in DATE_FILTERS:
            raise InvalidArgument(
                f"unknown date filter {name!r}; use one of {', '.join(DATE_FILTERS)}"
            )
        if name not in table:
            what = f"the {name} filter" + (" together with dag_ids" if batch else "")
            raise UnsupportedOperation(
                what, server_version=self.server.version, added_in=None, api=self.api
            )
        self.require(name)
        return table[name]

    def _order_by(self, keys: Sequence[str], *, batch: bool) -> list[str]:
        if not keys:
            return []
        self.require("order_by")
        if len(keys) > 1:
            self.require("order_by_several" if not batch else "order_by_several_with_dag_ids")
        wire = []
        for key in keys:
            descending, name = key.startswith("-"), key.lstrip("-")
            if name not in ORDER_FIELDS:
                raise InvalidArgument(
                    f"order_by {name!r} is not a field runs can be ordered by; use one of "
                    f"{', '.join(ORDER_FIELDS)} (prefix '-' for descending)"
                )
            if name not in self.order_fields:
                raise UnsupportedOperation(
                    f"ordering by {name}",
                    server_version=self.server.version,
                    added_in=None,
                    api=self.api,
                )
            wire.append(("-" if descending else "") + self.order_fields[name])
        return wire

    def pages_by_cursor(self, query: RunQuery) -> bool:
        """Whether to walk this listing by keyset pages (`cursor`) rather than by offset.

        Keyset pages stay exact while runs are created or deleted during the walk. The batch
        POST (dag_ids) has no cursor; ordering by a nullable field needs the release that
        pages over null values correctly (`cursor_order_since`).
        """
        if query.dag_ids is not None or not self.supports("cursor_pagination"):
            return False
        fields = (key.lstrip("-") for key in query.order_by)
        since = (self.cursor_order_since.get(field) for field in fields)
        return all(version is None or self._version_at_least(version) for version in since)

    def run_filter(self, query: RunQuery) -> Callable[[DagRun], bool] | None:
        """The check a listed run must pass for the filters this server applies loosely
        (`loose_dates`); None when the server's answer is exact. A run whose date is null
        matches no bound on that date, as on Airflow 2 and in Airflow 3's batch POST."""
        if query.dag_ids is not None:
            return None
        fields = sorted({name[:-4] for name in query.dates if name in self.loose_dates})
        if not fields:
            return None
        return lambda run: all(getattr(run, field) is not None for field in fields)

    def confirm_dag(self, dag_id: str) -> ApiRequest | None:
        """A request that answers 404 for an unknown DAG, when an empty list cannot tell."""
        return None

    @abstractmethod
    def update(
        self, dag_id: str, run_id: str, *, state: str | None, note: str | None
    ) -> list[ApiRequest]:
        """The request(s) that set state and/or note; the last answer is the updated run."""

    def clear(self, dag_id: str, run_id: str, *, dry_run: bool, only_failed: bool) -> ApiRequest:
        self.require("clear")
        body: dict[str, Any] = {"dry_run": dry_run}
        if only_failed:
            self.require("only_failed")
            body["only_failed"] = True
        return ApiRequest("POST", self.run_path(dag_id, run_id, "clear"), json=body)

    def delete(self, dag_id: str, run_id: str) -> ApiRequest:
        return ApiRequest("DELETE", self.run_path(dag_id, run_id))

    def upstream_events(self, dag_id: str, run_id: str) -> ApiRequest:
        self.require("upstream_events")
        return ApiRequest("GET", self.run_path(dag_id, run_id, self.events_path))

    # -- replies -------------------------------------------------------------------------

    def parse_run(self, reply: Reply) -> DagRun:
        body = self.check(reply).json()
        return self._structure(
            reply, lambda: self.run_model(body, api=self.api, server=self.server.base_url)
        )

    def parse_trigger(self, reply: Reply, *, run_id: str | None) -> DagRun:
        """`parse_run`, except that a run_id the server refused is InvalidRunId on every
        generation (Airflow 2 answers a 500 page, Airflow 3 a 400)."""
        if run_id is not None and reply.status == self.run_id_refusal:
            broken = self.run_id_rule_broken(run_id)
            if broken is not None:
                said = error_message(json_or_text(reply)) if reply.status < 500 else ""
                raise InvalidRunId(
                    f"run_id {run_id!r} {broken}" + (f" (the server said: {said})" if said else ""),
                    run_id=run_id,
                    pattern=self.run_id_patterns[0],
                    status=reply.status,
                    method=reply.method,
                    url=reply.url,
                    body=json_or_text(reply),
                    headers=reply.headers,
                )
        return self.parse_run(reply)

    def run_id_rule_broken(self, run_id: str) -> str | None:
        """How run_id breaks this generation's default rules (see `run_id_patterns`), or None."""
        for part in self.run_id_forbidden:
            if part in run_id:
                return f"contains {part!r}, which Airflow {self.major} refuses in a run id"
        if any(re.fullmatch(p.strip("^$"), run_id) for p in self.run_id_patterns):
            return None
        return (
            f"does not match {self.run_id_patterns[0]!r}, Airflow's default "
            "[scheduler] allowed_run_id_pattern: use letters, digits and _ . ~ : + - only, "
            "or widen the pattern in the server's configuration"
        )

    def parse_page(self, reply: Reply) -> Page:
        context = {"api": self.api, "server": self.server.base_url}
        body = self.check(reply).json(
            lambda content: self.run_model.decode_list(content, "dag_runs", **context)
        )

        def page() -> Page:
            runs = tuple(self.run_model.many(body["dag_runs"], **context))
            total = body.get("total_entries")  # null on cursor pages of some 3.x releases
            return Page(
                runs=runs,
                total_entries=None if total is None else int(total),
                next_cursor=body.get("next_cursor"),
                has_cursors="next_cursor" in body,
            )

        return self._structure(reply, page)

    def parse_clear(self, reply: Reply, *, dry_run: bool) -> ClearResult:
        if not dry_run:
            return ClearResult(dry_run=False, dag_run=self.parse_run(reply))
        body = self.check(reply).json()

        def cleared() -> ClearResult:
            raws = body["task_instances"]
            listed = Counter((ti["dag_id"], ti["task_id"]) for ti in raws)
            return ClearResult(
                dry_run=True, task_instances=tuple(_cleared_ti(ti, listed) for ti in raws)
            )

        return self._structure(reply, cleared)

    def parse_events(self, reply: Reply) -> list[AssetEvent]:
        body = self.check(reply).json()
        return self._structure(
            reply, lambda: [self.event_model(raw) for raw in body[self.events_key]]
        )

    def parse_empty(self, reply: Reply) -> None:
        self.check(reply)

    @staticmethod
    def _structure(reply: Reply, build: Callable[[], T]) -> T:
        """Run `build`, turning a body that does not match the API into InvalidResponse."""
        try:
            return build()
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
            said = str(exc)  # may quote a huge value: cut, the body is kept whole
            said = said if len(said) <= 300 else f"{said[:300]}..."
            raise InvalidResponse(
                f"unexpected body shape ({type(exc).__name__}: {said})",
                method=reply.method,
                url=reply.url,
                body=reply.text(),
            ) from exc


def _segment(value: str) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidArgument(f"a dag_id or run_id must be a non-empty string, not {value!r}")
    if "/" in value:  # the facade refuses it before detection; this guards direct use
        raise InvalidArgument(f"an id with '/' would address another endpoint: {value[:80]!r}")
    encoded = quote(value, safe="")
    return encoded.replace(".", "%2E") if encoded.strip(".") == "" else encoded


def _interval(value: tuple[datetime, datetime]) -> tuple[datetime, datetime]:
    if not isinstance(value, tuple | list) or len(value) != 2:
        raise InvalidArgument("data_interval must be a (start, end) pair of aware datetimes")
    return value[0], value[1]


def _cleared_ti(raw: Mapping[str, Any], listed: Counter[tuple[str, str]]) -> ClearedTaskInstance:
    """Airflow 2's references (2.10.5) have no map_index and no state. A task it lists once is
    taken as unmapped (-1, what Airflow 3 reports); the instances of a mapped task are listed
    once each, without their index, so theirs stays None. The state stays None."""
    map_index = raw.get("map_index")
    if "map_index" not in raw and listed[raw["dag_id"], raw["task_id"]] == 1:
        map_index = -1
    return ClearedTaskInstance(
        dag_id=raw["dag_id"],
        run_id=raw.get("dag_run_id") or raw["run_id"],
        task_id=raw["task_id"],
        map_index=map_index,
        state=raw.get("state"),
        extra={k: v for k, v in raw.items() if k not in _CLEARED_TI_KEYS},
    )


_CLEARED_TI_KEYS = frozenset({"dag_id", "dag_run_id", "run_id", "task_id", "map_index", "state"})
