"""cattrs structuring from a wire dict that keeps what it does not know.

cattrs' generated structure functions do the renames (`dag_run_id` -> `run_id`) and the
per-type hooks (dates, enums); this wrapper adds what they lack: every key without a model
field is collected into the model's catch-all mapping instead of being dropped, and values
that come from the context rather than the body (which API, which server) are filled in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Generic, TypeVar, cast

import attrs
from cattrs import Converter
from cattrs.gen import make_dict_structure_fn, override

T = TypeVar("T")
_CONTEXT = "@"  # prefix of keys this module adds; no Airflow field starts with it


class WireModel(Generic[T]):
    """Structures wire dicts into `cls`; see the module docstring."""

    def __init__(
        self,
        converter: Converter,
        cls: type[T],
        *,
        renames: Mapping[str, str],
        catch_all: str,
        consumed: Iterable[str] = (),
        context: Iterable[str] = (),
    ) -> None:
        self._cls = cls
        self._catch_all = _CONTEXT + catch_all
        from_context = {catch_all, *context}
        overrides = {name: override(rename=wire) for name, wire in renames.items()}
        overrides |= {name: override(rename=_CONTEXT + name) for name in from_context}
        self._structure = make_dict_structure_fn(cls, converter, **cast(Any, overrides))
        wire_names = {
            renames.get(f.name, f.name)
            for f in attrs.fields(cast(Any, cls))
            if f.name not in from_context
        }
        self._known = frozenset(
            wire_names | set(consumed) | {_CONTEXT + name for name in from_context}
        )

    def __call__(self, raw: dict[str, Any], **context: Any) -> T:
        """Structure `raw` (which it extends in place: it is a fresh decoded body)."""
        unknown = raw.keys() - self._known
        raw[self._catch_all] = {key: raw[key] for key in unknown} if unknown else {}
        for name, value in context.items():
            raw[_CONTEXT + name] = value
        return self._structure(raw, self._cls)
