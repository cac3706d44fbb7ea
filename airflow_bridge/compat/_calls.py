"""What both layers' API classes share: checking the official per-call options, and the
order_by names of each client generation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow_bridge.compat._errors import ApiTypeError

# Per-call options of the generated clients that change nothing about the result here.
HARMLESS_OPTIONS = frozenset(
    {"_check_input_type", "_check_return_type", "_request_timeout", "_headers", "_host_index"}
)


def options(method: str, given: Mapping[str, Any], accepted: tuple[str, ...]) -> dict[str, Any]:
    """The call's keyword arguments the layer knows; an unknown one (a typo, or an option
    such as async_req that cannot be honoured) is an ApiTypeError, as in the official client."""
    unknown = sorted(set(given) - set(accepted) - HARMLESS_OPTIONS)
    if unknown:
        raise ApiTypeError(
            f"Got an unexpected keyword argument {unknown[0]!r} to method {method}"
            f" (accepted: {', '.join(accepted)})"
        )
    return {name: given[name] for name in accepted if given.get(name) is not None}


def order_by(value: str | None, renames: Mapping[str, str]) -> list[str] | None:
    """A client's comma-free order_by (`-field`) in the facade's names."""
    if value is None:
        return None
    keys = [key.strip() for key in value.split(",") if key.strip()]
    result = []
    for key in keys:
        sign, name = ("-", key[1:]) if key.startswith("-") else ("", key)
        result.append(sign + renames.get(name, name))
    return result


def list_filter(values: Any) -> list[Any] | None:
    """A list filter as the official clients send it: [] (like None) is no filter. A GET
    cannot carry an empty list, and the batch list of 2.10.5 and 3.3.2 reads `dag_ids: []`
    as every DAG and `states: []` as no state filter; the facade's [] matches no run."""
    return list(values) if values else None
