"""cattrs structuring from a wire dict that keeps what it does not know, fast for long lists.

cattrs generates the structure function (renames such as `dag_run_id` -> `run_id`, per-type
hooks for dates and enums); this module adds what cattrs lacks: every key without a model
field is collected into the model's catch-all mapping instead of being dropped, and values
that come from the context rather than the body (which API, which server) are filled in.

Speed (a list page holds up to thousands of runs, all with the same keys in the same order):
one structure function is generated per *shape*, the tuple of a body's keys, and cached.
Knowing the shape, the function reads every present field without an `in` test, leaves
absent ones to the model's defaults, hands values that need no conversion to `__init__`
untouched (no hook call), and the unknown keys are known in advance, so `extra` is built
without scanning the body. A body of a shape not seen before pays one generation (~1 ms).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Generic, TypeVar, cast

import attrs

from ._converter import LazyConverter

T = TypeVar("T")
_CONTEXT = "@"  # prefix of the key this module adds; no Airflow field starts with it
#: Shapes kept per model: a server sends one or two; arbitrary bodies must not grow memory.
MAX_SHAPES = 64


def _as_is(value: Any) -> Any:  # pragma: no cover - never called, see `_shape_fields`
    return value


class WireModel(Generic[T]):
    """Structures wire dicts into `cls`; see the module docstring.

    `renames` maps field names to the wire's names, `catch_all` names the mapping field that
    receives unknown keys, `consumed` lists wire keys that are neither fields nor unknown
    (derived values), and `context` the fields given as keyword arguments on each call.
    """

    def __init__(
        self,
        converter: LazyConverter,
        cls: type[T],
        *,
        renames: Mapping[str, str],
        catch_all: str,
        consumed: Iterable[str] = (),
        context: Iterable[str] = (),
    ) -> None:
        self._converter = converter
        self._cls = cls
        self._catch_all = _CONTEXT + catch_all
        from_context = {catch_all, *context}
        self._as_is = frozenset(from_context)  # values this class itself supplies
        fields = attrs.fields(attrs.resolve_types(cast(Any, cls)))  # as cattrs would
        self._by_wire: dict[str, attrs.Attribute[Any]] = {
            renames.get(f.name, f.name): f for f in fields if f.name not in from_context
        }
        self._from_context = [f for f in fields if f.name in from_context]
        self._consumed = frozenset(consumed)
        self._shapes: dict[tuple[str, ...], tuple[Callable[..., T], Callable[[Any], Any]]] = {}

    def __call__(self, raw: dict[str, Any], **context: Any) -> T:
        """Structure `raw` (which it extends in place: it is a fresh decoded body)."""
        keys = tuple(raw)
        shape = self._shapes.get(keys)
        if shape is None:
            shape = self._new_shape(keys)
        structure, unknown = shape
        raw[self._catch_all] = unknown(raw)  # before `context` may shadow an unknown key
        raw.update(context)
        return structure(raw)

    def _new_shape(self, keys: tuple[str, ...]) -> tuple[Callable[..., T], Callable[[Any], Any]]:
        """The structure function and the `extra` builder for bodies with these keys."""
        from cattrs.gen import make_dict_structure_fn_from_attrs, override

        present = [self._by_wire[key] for key in keys if key in self._by_wire]
        renames = {f.name: key for key, f in self._by_wire.items() if key in keys}
        overrides = {name: override(rename=key) for name, key in renames.items()}
        overrides[self._catch_all[1:]] = override(rename=self._catch_all)
        structure = make_dict_structure_fn_from_attrs(
            [self._shape_field(f) for f in (*present, *self._from_context)],
            self._cls,
            self._converter.get(),
            _cattrs_forbid_extra_keys=False,
            _cattrs_prefer_attrib_converters=True,
            _cattrs_detailed_validation=False,
            **cast(Any, overrides),
        )
        unknown = tuple(
            key
            for key in keys
            if key not in self._by_wire and key not in self._consumed and key != self._catch_all
        )
        shape = (structure, _extractor(unknown))
        if len(self._shapes) < MAX_SHAPES:
            self._shapes[keys] = shape
        return shape

    def _shape_field(self, field: attrs.Attribute[Any]) -> attrs.Attribute[Any]:
        """The field as this shape's function sees it: always present in the body (no
        default to fall back on), and without a hook when its value is used as it is.

        cattrs passes a value straight to `__init__` for a field that carries an attrs
        converter when `_cattrs_prefer_attrib_converters` is set; the marker converter is
        only ever seen by cattrs (the model class itself has none, and is what is called).
        """
        changes: dict[str, Any] = {"default": attrs.NOTHING}
        if field.name in self._as_is:
            changes["converter"] = _as_is
        return field.evolve(**changes)


def _extractor(unknown: tuple[str, ...]) -> Callable[[Any], dict[str, Any]]:
    """A function building the catch-all mapping of a body whose unknown keys are `unknown`."""
    if not unknown:
        return lambda _: {}
    if len(unknown) == 1:
        (key,) = unknown
        return lambda raw: {key: raw[key]}
    return lambda raw: {key: raw[key] for key in unknown}


class _GcPause:
    """Pauses the cyclic garbage collector while a list page is decoded and structured.

    A page of thousands of runs allocates tens of thousands of containers, which with the GC
    on sets off dozens of young-generation passes over objects that are all still alive; a
    page makes no reference cycles, so nothing is left for the GC to free. Paused, the GC
    sees these objects once, at the first allocation after the page. GC state is
    process-wide: pauses from several threads nest (the first one records whether the GC
    was on, the last one restores exactly that), and a GC the application disabled stays
    disabled.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._resume = False

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._depth == 0:
                self._resume = gc.isenabled()
                gc.disable()
            self._depth += 1
        try:
            yield
        finally:
            with self._lock:
                self._depth -= 1
                if self._depth == 0 and self._resume:
                    gc.enable()


gc_paused = _GcPause()
