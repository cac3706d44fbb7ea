"""How each field type is read from the wire, written once for both structuring paths.

A `Conversion` is a few statements that turn the wire value `v` into the field's value.
They run once per field of every run in a list, so each does the least work: an enum is one
dict lookup (not `Enum.__call__`, several times slower), a date is `datetime.fromisoformat`
alone in the common case, and a text field that already is a `str` costs one class check.
From the same statements come both the cattrs hooks (the general path, for any model) and
the per-shape functions `_wire_model.compile_shape` inlines them into (the fast path for
flat models such as `DagRun`), so the two paths cannot read a value differently.

The converter is built, and cattrs imported (about 8 ms), on its first use rather than by
`import airflow_bridge`: a short script or `--help` that never needs it does not pay it.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, cast

import attrs

from airflow_bridge.models import DagRunState, RunType

from ._dates import UTC, fromisoformat, parse_datetime

if TYPE_CHECKING:
    from cattrs import Converter


@attrs.frozen
class Conversion:
    """Statements reading the wire value `v` into a field's value, left in `v`.

    `code` may use the names in `names` (module constants, prefixed `_c_` by convention so
    they cannot collide with generated names). A statement may raise: the caller turns
    that into InvalidResponse.
    """

    code: str
    names: Mapping[str, Any] = attrs.field(factory=dict)

    def hook(self) -> Callable[[Any, Any], Any]:
        """The same statements as a cattrs structure hook, `(value, type) -> value`."""
        source = f"def hook(v, _):\n{textwrap.indent(self.code, '    ')}\n    return v\n"
        scope = dict(self.names)
        exec(compile(source, f"<conversion {self.code.splitlines()[0]}>", "exec"), scope)
        hook: Callable[[Any, Any], Any] = scope["hook"]
        return hook


#: `str(v)` for a non-str, as cattrs reads `str`, without a call for what already is one.
_TEXT = Conversion("if v.__class__ is not str:\n    v = str(v)")
_OPTIONAL_TEXT = Conversion("if v is not None and v.__class__ is not str:\n    v = str(v)")
_MAPPING = Conversion("if v is None:\n    v = {}")
_DATE_CODE = """\
try:
    d = _c_fromisoformat(v)
except ValueError:
    d = _c_parse_datetime(v)
v = d if d.tzinfo is _c_UTC else _c_parse_datetime(v)"""
_DATE_NAMES = {
    "_c_fromisoformat": fromisoformat,
    "_c_parse_datetime": parse_datetime,
    "_c_UTC": UTC,
}
_DATE = Conversion(_DATE_CODE, _DATE_NAMES)
_OPTIONAL_DATE = Conversion(
    "if v is not None:\n" + textwrap.indent(_DATE_CODE, "    "), _DATE_NAMES
)


def _enum(name: str, members: Mapping[str, Any]) -> Conversion:
    """An enum member by wire value; None, unknown and unhashable values stay as sent."""
    code = f"try:\n    v = {name}(v, v)\nexcept TypeError:\n    pass"
    return Conversion(code, {name: members.get})


def conversions(run_type_aliases: Mapping[str, RunType]) -> list[tuple[Any, Conversion]]:
    """Each field type the models use, with how it is read from one wire format."""
    run_types = {**_members(RunType), **run_type_aliases}
    return [
        (str, _TEXT),
        (str | None, _OPTIONAL_TEXT),
        (Mapping[str, Any], _MAPPING),
        (datetime, _DATE),
        (datetime | None, _OPTIONAL_DATE),
        (DagRunState | str | None, _enum("_c_states", _members(DagRunState))),
        (RunType | str | None, _enum("_c_run_types", run_types)),
    ]


class WireFormat:
    """One wire format's conversions, and its cattrs `Converter` built on first use."""

    def __init__(
        self,
        *,
        run_type_aliases: Mapping[str, RunType] | None = None,
        renames: Mapping[type, Mapping[str, str]] | None = None,
    ) -> None:
        """`run_type_aliases` maps old run type names to today's; `renames` gives, per nested
        model class, the wire names of fields the wire spells differently."""
        self.conversions = conversions(run_type_aliases or {})
        self._renames = renames or {}
        self._converter: Converter | None = None

    def conversion(self, field_type: Any) -> Conversion | None:
        """How a field of this type is read, or None for a type cattrs alone handles."""
        for known, conversion in self.conversions:
            if field_type == known:
                return conversion
        return None

    def converter(self) -> Converter:
        """The cattrs converter, with a hook for each conversion (see the module docstring)."""
        # Two threads may both build one on first use: equal converters, one is kept.
        if self._converter is None:
            from cattrs import Converter
            from cattrs.gen import make_dict_structure_fn, override

            converter = Converter(detailed_validation=False)
            for field_type, conversion in self.conversions:
                hook = conversion.hook()
                converter.register_structure_hook_func(_equal_to(field_type), hook)
            for cls, fields in self._renames.items():
                wire = {name: override(rename=key) for name, key in fields.items()}
                converter.register_structure_hook(
                    cls, make_dict_structure_fn(cls, converter, **cast(Any, wire))
                )
            self._converter = converter
        return self._converter


def _equal_to(known: Any) -> Callable[[Any], bool]:
    """A cattrs hook predicate: the field type is `known`."""
    return lambda field_type: bool(field_type == known)


def _members(enum: type[Enum]) -> dict[str, Any]:
    """An enum's members by wire value: what `enum(value)` finds, as a dict lookup."""
    return {member.value: member for member in enum}
