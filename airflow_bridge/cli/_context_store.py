"""Where contexts are kept: one YAML file in the platform's config directory (platformdirs:
`~/.config/airflow-bridge/config.yaml` on Linux), or where `AIRFLOW_BRIDGE_CONFIG` points.
The commands that edit it are in `_contexts`; `_targets` reads it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click
import yaml

#: The keys a context may hold: a fleet file's server keys (no plain secrets) or `fleet`.
CONTEXT_KEYS = (
    "server",
    "fleet",
    "username",
    "password_command",
    "keyring",
    "token_command",
    "api",
    "auth",
    "auth_options",
    "ca_bundle",
    "insecure",
    "cert",
    "key",
    "timeout",
)


class ContextProblem(click.ClickException):
    """The config file or a context is wrong: a usage error (exit 2)."""

    exit_code = 2


def config_path() -> Path:
    """AIRFLOW_BRIDGE_CONFIG, else config.yaml in the platform's user config directory."""
    given = os.environ.get("AIRFLOW_BRIDGE_CONFIG")
    if given:
        return Path(given)
    import platformdirs

    return platformdirs.user_config_path("airflow-bridge") / "config.yaml"


def load() -> dict[str, Any]:
    """The config file's contents ({"current": name, "contexts": {...}}); empty if none."""
    path = config_path()
    if not path.is_file():
        return {"current": None, "contexts": {}}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ContextProblem(f"{path}: cannot read the config file ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("contexts", {}), dict):
        raise ContextProblem(f"{path}: expected a mapping with 'current' and 'contexts'")
    data.setdefault("contexts", {})
    data.setdefault("current", None)
    return data


def save(data: dict[str, Any]) -> None:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def find(name: str | None) -> tuple[str, dict[str, Any]] | None:
    """The named context, else the current one; None when there is none to use."""
    data = load()
    chosen = name or data["current"]
    if chosen is None:
        return None
    context = data["contexts"].get(chosen)
    if context is None:
        known = ", ".join(data["contexts"]) or "none"
        raise ContextProblem(f"no context named {chosen!r} (contexts: {known})")
    unknown = sorted(set(context) - set(CONTEXT_KEYS)) if isinstance(context, dict) else ["?"]
    if unknown:
        raise ContextProblem(
            f"{config_path()}: context {chosen!r}: unknown key {unknown[0]!r} "
            f"(known: {', '.join(CONTEXT_KEYS)})"
        )
    return chosen, dict(context)
