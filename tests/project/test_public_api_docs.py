"""Every public callable documents its parameters, what it returns and what it raises.

The public surface is what `airflow_bridge`, `airflow_bridge.fleet` and
`airflow_bridge.testing` export in `__all__`: their functions, the constructors they write by
hand, and the public methods of their classes (inherited ones from our own bases included).
Docstrings are Google style, as mkdocstrings renders them on the documentation site:

- `Args:` names every parameter (`*args`/`**filters` by their starred names) when there are any;
- `Returns:` (or `Yields:` for a generator) when the return annotation is not None;
- `Raises:` always, naming real exception classes (ours or builtins). A callable that can raise
  nothing is listed in RAISES_NOTHING instead, and its source is checked to have no `raise`.

Data classes (attrs classes, dataclasses, enums, TypedDicts) and Protocols need a docstring but
no constructor Args: their fields are their documentation, and a Protocol is never built.
Properties need a docstring. Dunder methods are left out (the reference site hides them too).
"""

from __future__ import annotations

import ast
import builtins
import dataclasses
import enum
import importlib
import inspect
import re
import textwrap
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pytest

from airflow_bridge import errors

MODULES = ("airflow_bridge", "airflow_bridge.fleet", "airflow_bridge.testing")

#: Public callables that raise nothing of their own (checked: no `raise` in their source).
RAISES_NOTHING = {
    "airflow_bridge.AsyncClient.aclose",
    "airflow_bridge.Client.close",
    "airflow_bridge.AsyncDagRuns.__init__",
    "airflow_bridge.DagRuns.__init__",
    *(f"airflow_bridge.{name}.__init__" for name in ("AsyncDags", "Dags")),
    *(f"airflow_bridge.{name}.__init__" for name in ("AsyncTaskInstances", "TaskInstances")),
    # the fake's auth schemes: settings kept, tokens minted from random bytes
    *(
        f"airflow_bridge.testing.{name}"
        for name in (
            "KerberosScheme.__init__",
            "KerberosScheme.token",
            "GoogleScheme.__init__",
            "OAuth2Scheme.__init__",
            "MWAAScheme.__init__",
            "MWAAScheme.end_sessions",
        )
    ),
    # the fake's clocks (reading and moving time), fault bookkeeping, transports and server
    # lifecycle: no checks of their own
    *(
        f"airflow_bridge.testing.{name}"
        for name in (
            "Clock.__init__",
            "Clock.now",
            "Clock.advance",
            "Clock.tick",
            "ManualClock.now",
            "ManualClock.advance",
            "ManualClock.sleep",
            "ManualClock.tick",
            "FakeAirflow.clear_faults",
            "FakeAirflow.plan",
            "FakeAirflow.transport",
            "FakeAirflow.async_transport",
            "FakeServer.close",
            "FakeServer.wait",
        )
    ),
    # the fleet: views and the objects it builds for its callers, and its errors
    *(
        f"airflow_bridge.fleet.{name}"
        for name in (
            "AsyncFleet.with_progress",
            "Fleet.with_progress",
            "AsyncFleetDagRuns.__init__",
            "FleetDagRuns.__init__",
            "AsyncFleetDags.__init__",
            "FleetDags.__init__",
            "AsyncFleetTaskInstances.__init__",
            "FleetTaskInstances.__init__",
            "AsyncRunStream.__init__",
            "RunStream.__init__",
            "FleetError.__init__",
            "ServerTimeout.__init__",
        )
    ),
}

SECTION = re.compile(r"^(\s*)(Args|Arguments|Parameters|Returns|Yields|Raises|Attributes):\s*$")
NO_VALUE = {"None", "NoReturn", "Never", None, type(None), inspect.Signature.empty}


def sections(doc: str) -> dict[str, list[str]]:
    """Google-style sections of a docstring: name -> the entry names (or the lines, for
    Returns/Yields)."""
    found: dict[str, list[str]] = {}
    lines = inspect.cleandoc(doc).splitlines()
    for i, line in enumerate(lines):
        match = SECTION.match(line)
        if not match:
            continue
        indent = len(match.group(1))
        body = []
        for following in lines[i + 1 :]:
            if following.strip() and len(following) - len(following.lstrip()) <= indent:
                break
            body.append(following)
        body = textwrap.dedent("\n".join(body)).splitlines()
        name = {"Arguments": "Args", "Parameters": "Args"}.get(match.group(2), match.group(2))
        if name in ("Args", "Raises", "Attributes"):
            entries = [re.match(r"(\*{0,2}\w+)", b) for b in body if b and not b[0].isspace()]
            found[name] = [m.group(1) for m in entries if m]
        else:
            found[name] = [b for b in body if b.strip()]
    return found


def is_data_class(cls: type) -> bool:
    return (
        attrs.has(cls)
        or dataclasses.is_dataclass(cls)
        or issubclass(cls, enum.Enum)
        or hasattr(cls, "__required_keys__")  # a TypedDict
        or getattr(cls, "_is_protocol", False)  # an interface: never built itself
    )


def own_init(cls: type) -> Any:
    """The hand-written __init__ of `cls` or of one of our bases, if any."""
    for klass in cls.__mro__:
        if not klass.__module__.startswith("airflow_bridge"):
            return None
        if "__init__" in vars(klass):
            return vars(klass)["__init__"]
    return None


def public_callables() -> Iterator[tuple[str, Any, str]]:
    """(qualified name, the callable, its kind) for the whole public surface."""
    seen: set[int] = set()
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            qualified = f"{module_name}.{name}"
            if inspect.isfunction(obj):
                yield qualified, obj, "function"
            elif inspect.isclass(obj) and id(obj) not in seen:
                seen.add(id(obj))
                yield qualified, obj, "class"
                if is_data_class(obj):
                    continue
                members: dict[str, Any] = {}
                for klass in reversed(obj.__mro__):
                    if klass.__module__.startswith("airflow_bridge"):
                        members.update(vars(klass))
                for member, value in members.items():
                    if member.startswith("_"):
                        continue
                    if isinstance(value, property):
                        yield f"{qualified}.{member}", value, "property"
                    elif isinstance(value, staticmethod | classmethod):
                        yield f"{qualified}.{member}", value.__func__, "method"
                    elif inspect.isfunction(value):
                        yield f"{qualified}.{member}", value, "method"


SURFACE = list(public_callables())


def parameters(func: Callable[..., Any], *, method: bool) -> list[str]:
    names = []
    for i, param in enumerate(inspect.signature(func).parameters.values()):
        if method and i == 0:
            continue
        star = {param.VAR_POSITIONAL: "*", param.VAR_KEYWORD: "**"}.get(param.kind, "")
        names.append(star + param.name)
    return names


def problems_of(qualified: str, func: Callable[..., Any], doc: str, *, method: bool) -> list[str]:
    """What the docstring of `func` lacks; `doc` is the text to read (a class's own docstring
    plus its __init__'s, for a constructor)."""
    found = sections(doc)
    problems = []
    params = parameters(func, method=method)
    if params:
        missing = [p for p in params if p not in found.get("Args", [])]
        if missing:
            problems.append(f"Args lacks {', '.join(missing)}")
    returns = inspect.signature(func).return_annotation
    if func.__name__ != "__init__" and returns not in NO_VALUE:
        wanted = "Yields" if inspect.isgeneratorfunction(func) else "Returns"
        if not found.get(wanted) and not found.get("Returns"):
            problems.append(f"no {wanted} section")
    if qualified in RAISES_NOTHING:
        if any(isinstance(node, ast.Raise) for node in ast.walk(source_tree(func))):
            problems.append("listed in RAISES_NOTHING but raises")
    elif "Raises" not in found:
        problems.append("no Raises section")
    for name in found.get("Raises", []):
        exc = getattr(errors, name, None) or getattr(builtins, name, None)
        exc = exc or _exported(name)
        if not (inspect.isclass(exc) and issubclass(exc, BaseException)):
            problems.append(f"Raises names {name}, which is no exception class we export")
    return problems


def _exported(name: str) -> Any:
    for module_name in MODULES:
        found = getattr(importlib.import_module(module_name), name, None)
        if found is not None:
            return found
    return None


def source_tree(func: Callable[..., Any]) -> ast.AST:
    return ast.parse(textwrap.dedent(inspect.getsource(func)))


@pytest.mark.parametrize(("qualified", "obj", "kind"), SURFACE, ids=[s[0] for s in SURFACE])
def test_public_callable_is_documented(qualified: str, obj: Any, kind: str) -> None:
    doc = obj.__doc__ if kind != "class" else inspect.getdoc(obj)
    assert doc and doc.strip(), f"{qualified} has no docstring"
    if kind == "property":
        return
    if kind == "class":
        init = None if is_data_class(obj) else own_init(obj)
        if init is None:
            return
        doc = (inspect.getdoc(obj) or "") + "\n\n" + (inspect.getdoc(init) or "")
        problems = problems_of(f"{qualified}.__init__", init, doc, method=True)
    else:
        problems = problems_of(qualified, obj, doc, method=kind == "method")
    assert problems == [], f"{qualified}: {'; '.join(problems)}"


def test_the_surface_includes_the_facade() -> None:
    """The walk itself works: it finds the client's constructor and every DagRuns method."""
    names = {qualified for qualified, _, _ in SURFACE}
    for method in ("trigger", "get", "iter", "list", "count", "update", "clear", "wait"):
        assert f"airflow_bridge.DagRuns.{method}" in names
        assert f"airflow_bridge.AsyncDagRuns.{method}" in names
    assert {"airflow_bridge.Client", "airflow_bridge.Client.server_info"} <= names
    assert names >= {name.removesuffix(".__init__") for name in RAISES_NOTHING}


def test_the_section_reader_finds_what_a_docstring_lacks() -> None:
    def documented(a: int, *rest: int, **more: int) -> int:
        """Add.

        Args:
            a: One.
            *rest: More.

        Returns:
            The sum.
        """
        return a

    assert problems_of("x", documented, documented.__doc__ or "", method=False) == [
        "Args lacks **more",
        "no Raises section",
    ]


def test_the_types_are_typed_sets() -> None:
    """`api` and capability names are Literal sets, not free strings."""
    from typing import get_args

    from airflow_bridge.adapters._base import CAPABILITIES

    from airflow_bridge import ApiChoice, Capability
    from airflow_bridge.models import DATE_FILTERS

    assert get_args(ApiChoice) == ("auto", "v1", "v2")
    assert get_args(Capability) == CAPABILITIES
    assert set(DATE_FILTERS) <= set(get_args(Capability))
