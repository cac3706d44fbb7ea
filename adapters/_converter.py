"""The cattrs converter each adapter owns, with the hooks both wire formats share."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from cattrs import Converter
from cattrs.gen import make_dict_structure_fn, override

from airflow_bridge.models import DagRunState, RunType, coerce_enum

from ._dates import parse_datetime


def make_converter(
    *,
    run_type_aliases: Mapping[str, RunType] | None = None,
    renames: Mapping[type, Mapping[str, str]] | None = None,
) -> Converter:
    """A converter for one wire format.

    `run_type_aliases` maps old run type names to today's; `renames` gives, per model class,
    the wire names of fields the wire spells differently.
    """
    converter = Converter(detailed_validation=False)
    aliases = dict(run_type_aliases or {})

    def optional_date(value: str | None, _: Any) -> datetime | None:
        return None if value is None else parse_datetime(value)

    def required_date(value: str, _: Any) -> datetime:
        return parse_datetime(value)

    def state(value: str | None, _: Any) -> DagRunState | str | None:
        return None if value is None else coerce_enum(DagRunState, value)

    def run_type(value: str | None, _: Any) -> RunType | str | None:
        if value is None:
            return None
        return aliases.get(value) or coerce_enum(RunType, value)

    def mapping(value: Mapping[str, Any] | None, _: Any) -> Mapping[str, Any]:
        return {} if value is None else value

    converter.register_structure_hook(datetime, required_date)
    converter.register_structure_hook_func(lambda t: t == datetime | None, optional_date)
    converter.register_structure_hook_func(lambda t: t == DagRunState | str | None, state)
    converter.register_structure_hook_func(lambda t: t == RunType | str | None, run_type)
    converter.register_structure_hook_func(lambda t: t == Mapping[str, Any], mapping)
    for cls, fields in (renames or {}).items():
        wire = {name: override(rename=key) for name, key in fields.items()}
        converter.register_structure_hook(
            cls, make_dict_structure_fn(cls, converter, **cast(Any, wire))
        )
    return converter
