"""The public types of the facade's arguments: list filters, API choice, capability names."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from airflow_bridge.models import Capability, DagRunState, RunType

if TYPE_CHECKING:
    from typing_extensions import TypedDict
else:
    from typing import TypedDict

__all__ = ["ApiChoice", "Capability", "RunFilters"]

#: Which API generation a client speaks: "auto" probes the server once on first use;
#: "v1" (Airflow 2, `/api/v1`) and "v2" (Airflow 3, `/api/v2`) skip the probe.
ApiChoice = Literal["auto", "v1", "v2"]


class RunFilters(TypedDict, total=False):
    """The filters `iter`, `list` and `count` accept, the same for both generations.

    `states` and `run_types` take members or names in any case, one or several; a run type
    may be either generation's name (`dataset_triggered` or `asset_triggered`). Dates are
    aware datetimes, bounds inclusive. `order_by` names fields of `models.ORDER_FIELDS`,
    "-" first for descending. `run_id_pattern`/`dag_id_pattern` are SQL LIKE patterns
    (Airflow 3's `%`/`_`). `dag_ids` lists runs of several DAGs at once.
    """

    dag_ids: Iterable[str] | None
    states: Iterable[DagRunState | str] | DagRunState | str | None
    run_types: Iterable[RunType | str] | RunType | str | None
    logical_date_gte: datetime | None
    logical_date_lte: datetime | None
    start_date_gte: datetime | None
    start_date_lte: datetime | None
    end_date_gte: datetime | None
    end_date_lte: datetime | None
    updated_at_gte: datetime | None
    updated_at_lte: datetime | None
    run_after_gte: datetime | None
    run_after_lte: datetime | None
    order_by: Sequence[str] | str | None
    run_id_pattern: str | None
    dag_id_pattern: str | None
