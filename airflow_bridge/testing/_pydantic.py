"""Pydantic-style validation for the Airflow 3 fake: the 422 error entries FastAPI returns.

Each entry is {"type", "loc", "msg", "input"} (plus "ctx" for some types), with the same
type names and messages pydantic 2 uses, so clients that read them see real ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from airflow_bridge.testing._query import parse_datetime

ErrorList = list[dict[str, Any]]
_TRUE = {"1", "on", "t", "true", "y", "yes"}
_FALSE = {"0", "off", "f", "false", "n", "no"}


def entry(kind: str, loc: Sequence[str | int], msg: str, value: Any, **ctx: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"type": kind, "loc": list(loc), "msg": msg, "input": value}
    if ctx:
        out["ctx"] = ctx
    return out


def choices(values: Sequence[str]) -> str:
    quoted = [f"'{v}'" for v in values]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


@dataclass(frozen=True)
class Field:
    """A model field: its kind, whether it may be omitted or null, and its limits.

    Kinds: str, datetime (naive allowed), aware (AwareDatetime), dict, bool, int (>= 0),
    float, enum, str_list, enum_list.
    """

    kind: str
    required: bool = False
    nullable: bool = True
    enum: tuple[str, ...] = ()
    max_length: int | None = None
    gt: float | None = None

    def check(self, value: Any, loc: Sequence[str | int]) -> tuple[Any, ErrorList]:
        """The parsed value and the errors (empty when valid)."""
        if value is None and self.nullable:
            return None, []
        kind = self.kind
        if kind == "str":
            if not isinstance(value, str):
                return value, [entry("string_type", loc, "Input should be a valid string", value)]
            if self.max_length is not None and len(value) > self.max_length:
                message = f"String should have at most {self.max_length} characters"
                error = entry("string_too_long", loc, message, value, max_length=self.max_length)
                return value, [error]
            return value, []
        if kind in ("datetime", "aware"):
            return _datetime(value, loc, aware=kind == "aware")
        if kind == "dict":
            if isinstance(value, dict):
                return value, []
            return value, [entry("dict_type", loc, "Input should be a valid dictionary", value)]
        if kind == "bool":
            return _bool(value, loc)
        if kind == "int":
            return _int(value, loc)
        if kind == "float":
            return _float(value, loc, self.gt)
        if kind == "enum":
            if isinstance(value, str) and value in self.enum:
                return value, []
            expected = choices(self.enum)
            return value, [
                entry("enum", loc, f"Input should be {expected}", value, expected=expected)
            ]
        if not isinstance(value, list):
            return value, [entry("list_type", loc, "Input should be a valid list", value)]
        item = Field("enum" if kind == "enum_list" else "str", enum=self.enum, nullable=False)
        errors: ErrorList = []
        for i, element in enumerate(value):
            errors += item.check(element, [*loc, i])[1]
        return value, errors


def _datetime(value: Any, loc: Sequence[str | int], *, aware: bool) -> tuple[Any, ErrorList]:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, timezone.utc), []
    if not isinstance(value, str):
        return value, [entry("datetime_type", loc, "Input should be a valid datetime", value)]
    moment = parse_datetime(value)
    if moment is None:
        message = "Input should be a valid datetime or date, invalid character in year"
        return value, [entry("datetime_from_date_parsing", loc, message, value)]
    if aware and moment.tzinfo is None:
        return value, [entry("timezone_aware", loc, "Input should have timezone info", value)]
    return moment, []


def _bool(value: Any, loc: Sequence[str | int]) -> tuple[Any, ErrorList]:
    if isinstance(value, bool):
        return value, []
    if isinstance(value, int) and value in (0, 1):
        return bool(value), []
    if isinstance(value, str):
        if value.lower() in _TRUE | _FALSE:
            return value.lower() in _TRUE, []
        message = "Input should be a valid boolean, unable to interpret input"
        return value, [entry("bool_parsing", loc, message, value)]
    return value, [entry("bool_type", loc, "Input should be a valid boolean", value)]


def _int(value: Any, loc: Sequence[str | int]) -> tuple[Any, ErrorList]:
    number = value
    if isinstance(value, str):
        try:
            number = int(value.strip())
        except ValueError:
            message = "Input should be a valid integer, unable to parse string as an integer"
            return value, [entry("int_parsing", loc, message, value)]
    if not isinstance(number, int) or isinstance(number, bool):
        return value, [entry("int_type", loc, "Input should be a valid integer", value)]
    if number < 0:
        message = "Input should be greater than or equal to 0"
        return value, [entry("greater_than_equal", loc, message, value, ge=0)]
    return number, []


def _float(value: Any, loc: Sequence[str | int], gt: float | None) -> tuple[Any, ErrorList]:
    try:
        number = float(value)
    except (TypeError, ValueError):
        message = "Input should be a valid number, unable to parse string as a number"
        return value, [entry("float_parsing", loc, message, value)]
    if gt is not None and not number > gt:
        message = f"Input should be greater than {gt}"
        return value, [entry("greater_than", loc, message, value, gt=gt)]
    return number, []


def validate_model(
    body: Any, fields: Mapping[str, Field], *, missing_body: bool = False
) -> tuple[dict[str, Any], ErrorList]:
    """A StrictBaseModel body (extra keys forbidden): parsed values and all errors."""
    if missing_body:
        return {}, [entry("missing", ["body"], "Field required", None)]
    if not isinstance(body, dict):
        message = "Input should be a valid dictionary or object to extract fields from"
        return {}, [entry("model_attributes_type", ["body"], message, body)]
    values: dict[str, Any] = {}
    errors: ErrorList = []
    for name, field in fields.items():
        if name not in body:
            if field.required:
                errors.append(entry("missing", ["body", name], "Field required", body))
            continue
        values[name], problems = field.check(body[name], ["body", name])
        errors += problems
    for name, value in body.items():
        if name not in fields:
            errors.append(
                entry("extra_forbidden", ["body", name], "Extra inputs are not permitted", value)
            )
    return values, errors


def validation_repr(model: str, errors: ErrorList) -> str:
    """`repr(ValidationError)` of a model's errors (the token endpoint's 422 from 3.1 on)."""
    count = len(errors)
    lines = [f"{count} validation error{'s' if count != 1 else ''} for {model}"]
    for error in errors:
        value = error["input"]
        lines += [
            ".".join(str(part) for part in error["loc"][1:]),
            f"  {error['msg']} [type={error['type']}, input_value={value!r}, "
            f"input_type={type(value).__name__}]",
            f"    For further information visit https://errors.pydantic.dev/2.14/v/{error['type']}",
        ]
    return "\n".join(lines)
