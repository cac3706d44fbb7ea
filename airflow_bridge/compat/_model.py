"""The model base of both compat layers: what code written for the official clients reads.

The official 2.x models (OpenAPI generator) are dict-backed: attribute and item access, an
`ApiAttributeError` for a field the server did not send, `to_dict()`, and fields they do not
declare kept from the server. The 3.x models (pydantic) read an unset field as None and leave
None values out of `to_dict()`. One base serves both, switched by two class flags.
"""

from __future__ import annotations

import json
import pprint
from collections.abc import Iterator, Mapping
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar

from airflow_bridge.compat._errors import ApiAttributeError, ApiTypeError, ApiValueError

if TYPE_CHECKING:
    from typing_extensions import Self


class WireValue(str):
    """A server string with `.value`, as the official enum models offer (`run.state.value`).

    Used for values a newer server may send that an enum of ours does not know yet: it stays
    the string the server sent instead of failing."""

    @property
    def value(self) -> str:
        return str(self)


class Model:
    """A request or response model: the fields of the official class, by attribute and by key.

    `_fields` are the official class's attribute names; `_allowed` maps a field to the values
    the official client accepts for it (checked when a caller builds a request).
    """

    _fields: ClassVar[tuple[str, ...]] = ()
    _allowed: ClassVar[Mapping[str, frozenset[str]]] = {}
    _unset_is_none: ClassVar[bool] = False  # 3.x (pydantic): an unset field reads as None
    _to_dict_drops_none: ClassVar[bool] = False  # 3.x: to_dict() leaves out None values

    def __init__(self, **kwargs: Any) -> None:
        object.__setattr__(self, "_data", {})
        for name, value in kwargs.items():
            setattr(self, name, value)

    @classmethod
    def from_server(cls, data: Mapping[str, Any]) -> Self:
        """A model of what a server said (every key kept, no request-side checks)."""
        model = cls.__new__(cls)
        object.__setattr__(model, "_data", dict(data))
        return model

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Self | None:
        return None if data is None else cls(**data)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        data: dict[str, Any] = self.__dict__["_data"]
        if name in data:
            return data[name]
        if self._unset_is_none and name in self._fields:
            return None
        raise ApiAttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        allowed = self._allowed.get(name)
        if allowed is not None and value is not None and str(_plain(value)) not in allowed:
            raise ApiValueError(
                f"Invalid value for `{name}` ({value}), must be one of {sorted(allowed)}"
            )
        self.__dict__["_data"][name] = value

    def __getitem__(self, name: str) -> Any:
        return self.__getattr__(name)

    def __setitem__(self, name: str, value: Any) -> None:
        setattr(self, name, value)

    def __contains__(self, name: object) -> bool:
        return name in self.__dict__["_data"]

    def __iter__(self) -> Iterator[str]:
        return iter(self.__dict__["_data"])

    def get(self, name: str, default: Any = None) -> Any:
        return self.__dict__["_data"].get(name, default)

    def set_fields(self) -> dict[str, Any]:
        """The fields a caller (or the server) set, as given."""
        return dict(self.__dict__["_data"])

    def to_dict(self) -> dict[str, Any]:
        """Nested models as dicts and enum-like values as their strings; dates stay datetimes."""
        return {
            name: _plain(value)
            for name, value in self.__dict__["_data"].items()
            if not (self._to_dict_drops_none and value is None)
        }

    def to_str(self) -> str:
        return pprint.pformat(self.to_dict())

    def to_json(self) -> str:
        return json.dumps(jsonable(self.to_dict()))

    def __repr__(self) -> str:
        return self.to_str()

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Model)
            and type(other) is type(self)
            and self.to_dict() == other.to_dict()
        )

    __hash__ = None  # type: ignore[assignment]  # mutable, like the official models


def check_fields(model: Any, cls: type[Model], *, can_send: tuple[str, ...], method: str) -> None:
    """Refuse a request model of the wrong class, or with fields this layer cannot send."""
    if not isinstance(model, cls):
        raise ApiTypeError(f"{method} needs a {cls.__name__}, not {type(model).__name__}")
    extra = sorted(name for name, value in model.set_fields().items() if name not in can_send)
    if extra:
        raise ApiTypeError(
            f"{method}: {cls.__name__} field(s) {', '.join(extra)} cannot be sent "
            f"(the server sets them, or airflow_bridge does not support them): remove them"
        )


def _plain(value: Any) -> Any:
    if isinstance(value, Model):
        return value.to_dict()
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, WireValue | Enum):
        return str(value.value)
    return value


def jsonable(value: Any) -> Any:
    """`to_dict()` output as JSON-ready values (dates as ISO 8601 strings)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    return value
