"""Pure translation between the facade and each Airflow API generation (no I/O).

`GENERATIONS` is the detection order: the newest generation is probed first, since an
Airflow 3 server answers the v1 paths with a 404 that says /api/v1 was removed.
"""

from ._base import Adapter
from ._dates import format_datetime
from ._http import ApiRequest, Reply, redirected
from ._notes import NOTE_MAX_LENGTH, check_note
from .v1 import V1Adapter
from .v2 import V2Adapter

GENERATIONS: tuple[type[Adapter], ...] = (V2Adapter, V1Adapter)
BY_API: dict[str, type[Adapter]] = {cls.api: cls for cls in GENERATIONS}
#: Every generation's own name for a run type -> the normalized name, so a filter may use
#: either generation's word on any server (e.g. "dataset_triggered" -> "asset_triggered").
RUN_TYPE_ALIASES: dict[str, str] = {
    wire: name for cls in GENERATIONS for name, wire in cls.run_type_names.items()
}

__all__ = [
    "BY_API",
    "GENERATIONS",
    "NOTE_MAX_LENGTH",
    "RUN_TYPE_ALIASES",
    "Adapter",
    "ApiRequest",
    "Reply",
    "V1Adapter",
    "V2Adapter",
    "check_note",
    "format_datetime",
    "redirected",
]
