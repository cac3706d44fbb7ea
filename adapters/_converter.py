"""The cattrs converter each adapter owns, with the hooks both wire formats share.

The hooks run once per field of every run in a list, so each is a plain function doing the
least work: enums are one dict lookup (not `Enum.__call__`, several times slower), and the
common date shapes are read by `datetime.fromisoformat` alone.

The converter is built, and cattrs imported (about 7 ms), on the first parse rather than by
`import airflow_bridge`: a short script or `--help` that never parses a run does not pay it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, cast

from airflow_bridge.models import DagRunState, RunType

from ._dates import UTC, fromisoformat, parse_datetime

if TYPE_CHECKING:
    from cattrs import Converter


class LazyConverter:
    """A cattrs `Converter`, built by `get()` on first use (see the module docstring)."""

    def __init__(self, build: Callable[[], Converter]) -> None:
        self._build = build
        self._converter: Converter | None = None

    def get(self) -> Converter:
        # Two threads may both build one on first use: equal converters, one is kept.
        if self._converter is None:
            self._converter = self._build()
        return self._converter


def make_converter(
    *,
    run_type_aliases: Mapping[str, RunType] | None = None,
    renames: Mapping[type, Mapping[str, str]] | None = None,
) -> LazyConverter:
    """A converter for one wire format.

    `run_type_aliases` maps old run type names to today's; `renames` gives, per model class,
    the wire names of fields the wire spells differently.
    """
    return LazyConverter(lambda: _build(run_type_aliases or {}, renames or {}))


def _build(
    run_type_aliases: Mapping[str, RunType], renames: Mapping[type, Mapping[str, str]]
) -> Converter:
    from cattrs import Converter
    from cattrs.gen import make_dict_structure_fn, override

    converter = Converter(detailed_validation=False)
    states = _members(DagRunState)
    run_types = {**_members(RunType), **run_type_aliases}

    def optional_date(value: str | None, _: Any) -> datetime | None:
        if value is None:
            return None
        try:  # parse_datetime's common case inline: one call less for each of 8 dates a run
            parsed = fromisoformat(value)
        except ValueError:
            return parse_datetime(value)
        return parsed if parsed.tzinfo is UTC else parse_datetime(value)

    def required_date(value: str, _: Any) -> datetime:
        return parse_datetime(value)

    def state(value: Any, _: Any) -> Any:  # DagRunState | str | None
        try:
            return states.get(value, value)  # None and unknown states stay as sent
        except TypeError:  # unhashable: kept as sent, as an unknown state would be
            return value

    def run_type(value: Any, _: Any) -> Any:  # RunType | str | None
        try:
            return run_types.get(value, value)
        except TypeError:
            return value

    def text(value: Any, _: Any) -> str | None:
        return value if value is None or value.__class__ is str else str(value)

    def mapping(value: Mapping[str, Any] | None, _: Any) -> Mapping[str, Any]:
        return {} if value is None else value

    converter.register_structure_hook(datetime, required_date)
    converter.register_structure_hook_func(lambda t: t == datetime | None, optional_date)
    converter.register_structure_hook_func(lambda t: t == DagRunState | str | None, state)
    converter.register_structure_hook_func(lambda t: t == RunType | str | None, run_type)
    converter.register_structure_hook_func(lambda t: t == str | None, text)
    converter.register_structure_hook_func(lambda t: t == Mapping[str, Any], mapping)
    for cls, fields in renames.items():
        wire = {name: override(rename=key) for name, key in fields.items()}
        converter.register_structure_hook(
            cls, make_dict_structure_fn(cls, converter, **cast(Any, wire))
        )
    return converter


def _members(enum: type[Enum]) -> dict[str, Any]:
    """An enum's members by wire value: what `enum(value)` finds, as a dict lookup."""
    return {member.value: member for member in enum}
