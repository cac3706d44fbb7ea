"""Dependencies declared for what they do at run time, not only for what we import."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from importlib.metadata import requires


def test_sniffio_is_installed_so_httpcore_does_not_search_for_it_on_every_request() -> None:
    """httpcore 1.0.9 imports sniffio inside each async request; without it installed, every
    failed import searches sys.path again (encode/httpcore#1103)."""
    declared = {
        line.split(">")[0].split("=")[0].strip() for line in requires("airflow-bridge") or []
    }
    assert "sniffio" in declared
    assert importlib.util.find_spec("sniffio") is not None

    async def detected() -> str:
        from httpcore._synchronization import current_async_library

        return current_async_library()

    assert asyncio.run(detected()) == "asyncio"
    assert "sniffio" in sys.modules, "httpcore no longer imports sniffio: drop the dependency"
