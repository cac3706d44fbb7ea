"""The zero-edit path: `install_as_airflow_client` aliases the official module names to a
layer, refuses once the official client (or another layer) is imported, and names what the
layers do not cover. Each case runs in a fresh interpreter, since it changes sys.modules."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest


def python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("layer", "module", "name"),
    [
        ("v1", "airflow_client.client.model.dag_run", "DAGRun"),
        ("v1", "airflow_client.client.api.dag_run_api", "DAGRunApi"),
        ("v2", "airflow_client.client.models.trigger_dag_run_post_body", "TriggerDAGRunPostBody"),
        ("v2", "airflow_client.client", "DagRunApi"),
    ],
)
def test_official_names_resolve_to_the_layer(layer: str, module: str, name: str) -> None:
    done = python(f"""
        from airflow_bridge.compat import install_as_airflow_client
        install_as_airflow_client({layer!r})
        import airflow_client.client
        from {module} import {name}
        print({name}.__module__, airflow_client.client.__name__)
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [
        f"airflow_bridge.compat.{layer}._{'api' if 'Api' in name else 'models'}",
        f"airflow_bridge.compat.{layer}",
    ]


def test_refuses_when_the_official_client_is_already_imported() -> None:
    done = python("""
        import sys, types
        sys.modules["airflow_client"] = types.ModuleType("airflow_client")  # as if imported
        from airflow_bridge.compat import install_as_airflow_client
        install_as_airflow_client("v1")
    """)
    assert done.returncode == 1
    assert "RuntimeError: airflow_client is already imported (the official client" in done.stderr


def test_refuses_a_second_layer_but_accepts_the_same_one_again() -> None:
    done = python("""
        from airflow_bridge.compat import install_as_airflow_client
        install_as_airflow_client("v1")
        install_as_airflow_client("v1")
        install_as_airflow_client("v2")
    """)
    assert "already imported (airflow_bridge's v1 layer" in done.stderr


def test_uncovered_modules_say_so() -> None:
    done = python("""
        from airflow_bridge.compat import install_as_airflow_client
        install_as_airflow_client("v1")
        import airflow_client.client.api.dag_api
    """)
    assert "ModuleNotFoundError: airflow_client.client.api.dag_api is not provided" in done.stderr


def test_the_runner_needs_a_target() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "airflow_bridge.compat", "--layer", "v2"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and "give a SCRIPT or -m MODULE" in done.stderr
