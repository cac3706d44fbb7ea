"""Dependencies declared for what they do at run time, not only for what we import."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import requires

_PROBE = """
import asyncio, sys
from httpcore._synchronization import current_async_library
async def main():
    return current_async_library()
print(asyncio.run(main()), "sniffio" in sys.modules)
"""


def test_sniffio_is_installed_so_httpcore_does_not_search_for_it_on_every_request() -> None:
    """httpcore 1.0.9 imports sniffio inside each async request; without it installed, every
    failed import searches sys.path again (encode/httpcore#1103)."""
    declared = {
        line.split(">")[0].split("=")[0].strip() for line in requires("airflow-bridge") or []
    }
    assert "sniffio" in declared
    probe = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True)
    assert probe.returncode == 0, probe.stderr
    # In a fresh interpreter: httpcore itself imported it, and found it.
    assert probe.stdout.split() == ["asyncio", "True"], (
        "httpcore no longer imports sniffio on a request: drop the dependency"
    )
