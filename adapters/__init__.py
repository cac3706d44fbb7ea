"""Pure translation between the facade and each Airflow API generation (no I/O).

`GENERATIONS` is the detection order: the newest generation is probed first, since an
Airflow 3 server answers the v1 paths with a 404 that says /api/v1 was removed.
"""

from ._base import Adapter
from ._dates import format_datetime
from ._http import ApiRequest, Reply
from .v1 import V1Adapter
from .v2 import V2Adapter

GENERATIONS: tuple[type[Adapter], ...] = (V2Adapter, V1Adapter)
BY_API: dict[str, type[Adapter]] = {cls.api: cls for cls in GENERATIONS}

__all__ = [
    "BY_API",
    "GENERATIONS",
    "Adapter",
    "ApiRequest",
    "Reply",
    "V1Adapter",
    "V2Adapter",
    "format_datetime",
]
