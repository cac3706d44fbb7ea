"""Fault injection: what the network or a proxy in front of Airflow does to some requests.

A rule targets an operation by its generation-neutral name ("trigger", "get", "list",
"token"...), a path glob ("/api/v2/dags/*/dagRuns"), either with a method ("POST /api/v2/*"),
or everything ("*"). Faults act before the fake's API sees the request: a refused request
never reaches the scheduler or the store.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from fnmatch import fnmatchcase
from http import HTTPStatus

#: Error codes the fake can answer with a reason phrase (the servers' own wording needs one).
_NAMED_STATUSES = frozenset(int(status) for status in HTTPStatus)

DROP_KINDS = ("disconnect", "refuse")


@dataclass
class Fault:
    """One rule; `hits` counts the requests it has affected."""

    target: str
    status: int | None = None
    times: int | None = 1  # None: every matching request, forever
    delay: float = 0.0
    retry_after: int | None = None
    drop: str | None = None  # "disconnect" (server hangs up) or "refuse" (cannot connect)
    html: bool = False  # the error as a proxy's HTML page instead of Airflow's own shape
    hits: int = 0

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.hits >= self.times

    def matches(self, method: str, path: str, operation: str | None) -> bool:
        target = self.target
        if target in ("*", operation):
            return True
        verb, _, glob = target.partition(" ")
        if glob:
            return verb.upper() == method and fnmatchcase(path, glob)
        return target.startswith("/") and fnmatchcase(path, target)


@dataclass(frozen=True)
class Outcome:
    """What the faults decided for one request: wait, then hang up or answer `status`."""

    delay: float = 0.0
    drop: str | None = None
    status: int | None = None
    retry_after: int | None = None
    html: bool = False


class Faults:
    """The active rules; every matching rule counts a hit, the first failure wins."""

    def __init__(self) -> None:
        self._rules: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> Fault:
        if fault.drop is not None and fault.drop not in DROP_KINDS:
            raise ValueError(f"drop must be one of {DROP_KINDS}, not {fault.drop!r}")
        if fault.status is not None and not (
            400 <= fault.status <= 599 and fault.status in _NAMED_STATUSES
        ):
            raise ValueError(
                f"status must be an HTTP error status (400-599) that http.HTTPStatus names, "
                f"not {fault.status!r}"
            )
        with self._lock:
            self._rules.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def outcome(self, method: str, path: str, operation: str | None) -> Outcome:
        delay = 0.0
        failure: Fault | None = None
        with self._lock:
            for rule in self._rules:
                if rule.exhausted or not rule.matches(method, path, operation):
                    continue
                rule.hits += 1
                delay += rule.delay
                if failure is None and (rule.drop or rule.status):
                    failure = rule
        if failure is None:
            return Outcome(delay=delay)
        return Outcome(
            delay=delay,
            drop=failure.drop,
            status=failure.status,
            retry_after=failure.retry_after,
            html=failure.html,
        )
