"""One page of a listing as the official clients return it: an offset, a limit and the
server's total, built on the facade's `count` and `iter` (shared by both layers)."""

from __future__ import annotations

from itertools import islice
from typing import Any

from airflow_bridge import Client, DagRun
from airflow_bridge.compat._errors import ApiValueError


def page(
    client: Client,
    dag_id: str,
    *,
    offset: int | None,
    limit: int,
    filters: dict[str, Any],
    names: tuple[str, str] = ("offset", "limit"),
) -> tuple[list[DagRun], int]:
    """Runs `offset` to `offset + limit` and the total that match `filters` (`limit` is the
    layer's default page size when the caller gave none: 100 on 2.x, 50 on 3.x). `names` are
    the caller's names for offset and limit (a batch body's page_offset and page_limit).

    The facade pages from the start, so the runs before `offset` are fetched and skipped: a
    listing walked by offsets costs more requests than with the official client.
    """
    offset = offset or 0
    if offset < 0 or limit < 0:
        raise ApiValueError(f"{names[0]} and {names[1]} must be >= 0")
    filters = {name: value for name, value in filters.items() if value is not None}
    total = client.dag_runs.count(dag_id, **filters)
    wanted = client.dag_runs.iter(
        dag_id, limit=offset + limit, page_size=min(100, max(offset + limit, 1)), **filters
    )
    return list(islice(wanted, offset, None)), total
