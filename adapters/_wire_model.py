"""Structuring wire dicts into models, keeping what the model does not know, fast for long lists.

Every key without a model field is collected into the model's catch-all mapping instead of
being dropped, and values that come from the context rather than the body (which API, which
server) are filled in.

Speed (a list page holds up to thousands of runs, all with the same keys in the same order):
one structure function is made per *shape*, the tuple of a body's keys, and cached. Knowing
the shape, it reads every present field without an `in` test, leaves absent ones to the
model's defaults, and knows the unknown keys in advance, so `extra` is built without scanning
the body. A body of a shape not seen before pays one generation (about 0.5 ms).

Two makers of that function, giving the same models (tests/unit/test_wire_model.py):

* flat models that can be filled directly (`DagRun`: slots, no validators or converters,
  every field of a type `_converter` has a `Conversion` for) get a function compiled here,
  with each field's conversion inlined and each slot set directly: no hook call per field
  (16 of them) and no `__init__` keyword binding, which were most of the cattrs function's
  time. On the recorded 5,000-run pages the structuring step alone is 1.70x (Airflow 3)
  and 1.53x (Airflow 2) faster than the cattrs function, median of 15 paired rounds
  (whole `parse_page`, decoding included: benchmarks/README.md);
* every other model (nested ones such as `AssetEvent`) gets cattrs'
  `make_dict_structure_fn_from_attrs` with the same conversions as hooks.
"""

from __future__ import annotations

import inspect
import json
import types
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Generic, TypeVar, cast

import attrs

from ._converter import Conversion, WireFormat

T = TypeVar("T")
_CONTEXT = "@"  # prefix of the key the cattrs path adds; no Airflow field starts with it
#: Shapes kept per model: a server sends one or two; arbitrary bodies must not grow memory
#: (when full it is emptied, rather than keep forever the first odd shapes it met).
MAX_SHAPES = 64
#: Characters of keys a kept shape may have (Airflow's run has ~300): a body with huge keys
#: is read, but its keys are not kept for the life of the process (twice: tuple and code).
MAX_SHAPE_CHARS = 4096
#: A shape's structure function: the wire dict and the context values -> the model.
Structure = Callable[[dict[str, Any], Mapping[str, Any]], T]


def _as_is(value: Any) -> Any:  # pragma: no cover - never called, see `_shape_field`
    return value


class WireModel(Generic[T]):
    """Structures wire dicts into `cls`; see the module docstring.

    `renames` maps field names to the wire's names, `catch_all` names the mapping field that
    receives unknown keys, `consumed` lists wire keys that are neither fields nor unknown
    (derived values), and `context` the fields given as keyword arguments on each call.
    `conversions` overrides how given fields are read (rather than by their type), and
    `fallbacks` names, per field, the wire key read when the field's own key is absent (an
    older release's name). `compiled=False` keeps to the cattrs path (the tests compare).
    """

    def __init__(
        self,
        wire: WireFormat,
        cls: type[T],
        *,
        renames: Mapping[str, str],
        catch_all: str,
        consumed: Iterable[str] = (),
        context: Iterable[str] = (),
        conversions: Mapping[str, Conversion] | None = None,
        fallbacks: Mapping[str, str] | None = None,
        compiled: bool = True,
    ) -> None:
        self._wire = wire
        self._cls = cls
        self._catch_all = catch_all
        from_context = {catch_all, *context}
        self._from_context = from_context
        fields = attrs.fields(attrs.resolve_types(cast(Any, cls)))  # as cattrs would
        self._fields = fields
        self._by_wire: dict[str, attrs.Attribute[Any]] = {
            renames.get(f.name, f.name): f for f in fields if f.name not in from_context
        }
        self._consumed = frozenset(consumed)
        self._conversions = conversions or {}
        self._fallbacks = fallbacks or {}
        self._compiled = (
            compiled
            and _fillable(cls, fields)
            and all(self._conversion(f) for f in fields if f.name not in from_context)
        )
        self._shapes: dict[tuple[str, ...], Structure[T]] = {}

    def __call__(self, raw: dict[str, Any], **context: Any) -> T:
        """Structure `raw` (a fresh decoded body, which the cattrs path extends in place)."""
        keys = tuple(raw)
        structure = self._shapes.get(keys)
        if structure is None:
            structure = self._new_shape(keys)
        return structure(raw, context)

    def many(self, raws: Iterable[dict[str, Any] | T], **context: Any) -> list[T]:
        """`[self(raw, **context) for raw in raws]`, with the shape looked up once per run of
        bodies of the same shape (a list page's runs all have one). An item that already is
        a `cls` (built while decoding: `decode_list`) is taken as it is."""
        cls = self._cls
        built: list[T] = []
        keys: tuple[str, ...] | None = None
        structure: Structure[T] | None = None
        for raw in raws:
            if raw.__class__ is cls:
                built.append(raw)
                continue
            raw = cast(dict[str, Any], raw)
            shape = tuple(raw)
            if shape != keys or structure is None:  # equal keys are the same objects: cheap
                keys = shape
                structure = self._shapes.get(shape) or self._new_shape(shape)
            built.append(structure(raw, context))
        return built

    def decode_list(self, content: bytes, key: str, **context: Any) -> Any:
        """`json.loads(content)`, with the objects of a shape this model has read before
        already built into models as they are decoded (json's `object_hook`); the list under
        `key` may still hold dicts of new shapes, for `many`.

        Building each object while it is fresh from the decoder saves a pass over the
        decoded page, and its dicts are freed while still in the CPU's cache: the whole
        `parse_page` 1.10x (Airflow 3) and 1.19x (Airflow 2) faster on the recorded 5,000-run
        pages, median of 15 paired rounds. A model built anywhere but in that list (say,
        a run-shaped object inside a `conf`) makes the counts differ, and the body is
        decoded again without the hook, as is one whose hook failed: whatever the plain
        path reads or refuses is read or refused the same. Raises what `json.loads` does.
        """
        shapes = self._shapes
        sizes = {len(shape) for shape in list(shapes)}  # most objects are ruled out by size
        cls = self._cls
        built = 0
        last: tuple[tuple[str, ...], Structure[T]] | None = None

        def hook(raw: dict[str, Any]) -> Any:
            nonlocal built, last
            if len(raw) not in sizes:
                return raw
            keys = tuple(raw)
            if last is None or keys != last[0]:  # a page's runs share one shape: compared,
                structure = shapes.get(keys)  # not hashed, once it is known
                if structure is None:
                    return raw
                last = (keys, structure)
            built += 1
            return last[1](raw, context)

        try:
            body = json.loads(content, object_hook=hook)
        except Exception:  # a hook that failed, or not JSON: the plain decoding decides
            return json.loads(content)
        if built:
            listed = body.get(key) if isinstance(body, dict) else None
            if not isinstance(listed, list) or built != sum(r.__class__ is cls for r in listed):
                return json.loads(content)
        return body

    def _wire_names(self, keys: tuple[str, ...]) -> dict[str, str]:
        """Each field's wire key in bodies of this shape (a fallback where its own is absent)."""
        names = {f.name: key for key, f in self._by_wire.items()}
        for name, fallback in self._fallbacks.items():
            if names[name] not in keys and fallback in keys:
                names[name] = fallback
        return names

    def _conversion(self, field: attrs.Attribute[Any]) -> Conversion | None:
        return self._conversions.get(field.name) or self._wire.conversion(field.type)

    def _new_shape(self, keys: tuple[str, ...]) -> Structure[T]:
        read = set(self._wire_names(keys).values())
        unknown = tuple(
            key
            for key in keys
            if key not in read and key not in self._consumed and key not in self._fallbacks.values()
        )
        maker = self._compile if self._compiled else self._cattrs
        structure = maker(keys, unknown)
        if sum(len(str(key)) for key in keys) <= MAX_SHAPE_CHARS:
            if len(self._shapes) >= MAX_SHAPES:  # odd bodies filled it: start again, so
                self._shapes.clear()  # a server's own shape is not compiled on every call
            self._shapes[keys] = structure
        return structure

    def _compile(self, keys: tuple[str, ...], unknown: tuple[str, ...]) -> Structure[T]:
        """A function reading bodies of this shape with every conversion inlined."""
        wire_names = self._wire_names(keys)
        scope: dict[str, Any] = {"_new": object.__new__, "_cls": self._cls}
        lines = ["def structure(o, c):", "    r = _new(_cls)"]
        for field in self._fields:
            setter = f"_set_{field.name}"
            scope[setter] = inspect.getattr_static(self._cls, field.name).__set__
            if field.name == self._catch_all:
                items = ", ".join(f"{key!r}: o[{key!r}]" for key in unknown)
                lines.append(f"    {setter}(r, {{{items}}})")
                continue
            if field.name in self._from_context:
                lines.append(f"    {setter}(r, c[{field.name!r}])")
                continue
            key = wire_names[field.name]
            if key not in keys and field.default is not attrs.NOTHING:
                default = f"_default_{field.name}"
                factory = _factory(field)
                if factory is not None:
                    scope[default] = factory
                    lines.append(f"    {setter}(r, {default}())")
                else:
                    scope[default] = field.default
                    lines.append(f"    {setter}(r, {default})")
                continue
            conversion = cast(Conversion, self._conversion(field))
            scope.update(conversion.names)
            lines.append(f"    v = o[{key!r}]")  # a required key the body lacks: KeyError
            lines.extend(f"    {line}" for line in conversion.code.splitlines())
            lines.append(f"    {setter}(r, v)")
        lines.append("    return r")
        source = "\n".join(lines) + "\n"
        exec(compile(source, f"<structure {self._cls.__name__} {len(keys)} keys>", "exec"), scope)
        # Out of its own globals: no reference cycle, so a shape the cache does not keep is
        # freed at once, not left to the cyclic GC (which a fleet's fan-out may hold off).
        return cast(Structure[T], scope.pop("structure"))

    def _cattrs(self, keys: tuple[str, ...], unknown: tuple[str, ...]) -> Structure[T]:
        """cattrs' function for bodies of this shape, after the catch-all and context."""
        from cattrs.gen import make_dict_structure_fn_from_attrs, override

        wire_names = self._wire_names(keys)
        present = [f for f in self._fields if wire_names.get(f.name) in keys]
        from_context = [f for f in self._fields if f.name in self._from_context]
        overrides = {}
        for field in present:
            by_name = self._conversions.get(field.name)
            hook = None if by_name is None else by_name.hook()
            overrides[field.name] = override(rename=wire_names[field.name], struct_hook=hook)
        catch_all = _CONTEXT + self._catch_all
        overrides[self._catch_all] = override(rename=catch_all)
        structure = make_dict_structure_fn_from_attrs(
            [self._shape_field(f) for f in (*present, *from_context)],
            self._cls,
            self._wire.converter(),
            _cattrs_forbid_extra_keys=False,
            _cattrs_prefer_attrib_converters=True,
            _cattrs_detailed_validation=False,
            **cast(Any, overrides),
        )
        extract = _extractor(unknown)

        def shape(raw: dict[str, Any], context: Mapping[str, Any]) -> T:
            raw[catch_all] = extract(raw)  # before `context` may shadow an unknown key
            raw.update(context)
            return structure(raw)

        return shape

    def _shape_field(self, field: attrs.Attribute[Any]) -> attrs.Attribute[Any]:
        """The field as this shape's cattrs function sees it: always present in the body
        (no default to fall back on), and without a hook when its value is used as it is.

        cattrs passes a value straight to `__init__` for a field that carries an attrs
        converter when `_cattrs_prefer_attrib_converters` is set; the marker converter is
        only ever seen by cattrs (the model class itself has none, and is what is called).
        """
        changes: dict[str, Any] = {"default": attrs.NOTHING}
        if field.name in self._from_context:
            changes["converter"] = _as_is
        return field.evolve(**changes)


def _fillable(cls: type[Any], fields: Iterable[attrs.Attribute[Any]]) -> bool:
    """Whether setting `cls`'s slots directly builds what `__init__` would: its `__init__`
    does nothing but assign each field (no validator, converter or init hook)."""
    if any(hasattr(cls, hook) for hook in ("__attrs_pre_init__", "__attrs_post_init__")):
        return False
    for field in fields:
        if field.validator is not None or field.converter is not None:
            return False
        if _factory(field) is not None and getattr(field.default, "takes_self", False):
            return False
        slot = inspect.getattr_static(cls, field.name, None)
        if not isinstance(slot, types.MemberDescriptorType):
            return False
    return set(getattr(cls, "__slots__", ())) <= {f.name for f in fields} | {"__weakref__"}


def _factory(field: attrs.Attribute[Any]) -> Callable[[], Any] | None:
    """The factory of a field whose default is an `attrs.Factory`, else None."""
    factory: Callable[[], Any] | None = getattr(field.default, "factory", None)
    return factory


def _extractor(unknown: tuple[str, ...]) -> Callable[[Any], dict[str, Any]]:
    """A function building the catch-all mapping of a body whose unknown keys are `unknown`."""
    if not unknown:
        return lambda _: {}
    if len(unknown) == 1:
        (key,) = unknown
        return lambda raw: {key: raw[key]}
    return lambda raw: {key: raw[key] for key in unknown}
