"""Times the official Airflow client's deserialization of one list payload, call by call.

Run by parse_speed.py with the python of a venv holding one apache-airflow-client release:
both releases import as `airflow_client.client`, so each needs its own interpreter, and this
script must not import airflow_bridge. Usage: `python _client_worker.py PAYLOAD CLOCK`
(CLOCK: `cpu` or `wall`, see `_timing.py`). It prints
one JSON line describing itself (version, libraries, contenders), then answers each line
`<contender>` on stdin with one JSON line `{"seconds": ..., "runs": ...}` for one timed call,
so the parent can interleave these calls with its own contenders; an empty line ends it.

Each contender does what the client's generated API method does with a 200 list answer,
from the raw bytes on: decode them as UTF-8, then `ApiClient.deserialize` into the
collection model. For the 3.x (pydantic) client, `model_validate_json` on the bytes is timed
too: the client never calls it, but it is the fastest way a user could get the same models.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

from _timing import timed

Parse = Callable[[], Any]


def contenders_v3(payload: bytes) -> dict[str, Parse]:
    """apache-airflow-client 3.x: pydantic models, DAGRunCollectionResponse."""
    from airflow_client.client import ApiClient  # type: ignore[import-not-found]
    from airflow_client.client.models import (  # type: ignore[import-not-found]
        DAGRunCollectionResponse,
    )

    client = ApiClient()

    def api_client() -> Any:
        text = payload.decode("utf-8")
        return client.deserialize(text, "DAGRunCollectionResponse", "application/json")

    def validate_json() -> Any:
        return DAGRunCollectionResponse.model_validate_json(payload)

    return {"ApiClient.deserialize": api_client, "model_validate_json": validate_json}


class _Response:
    """The part of a urllib3 response that 2.x `ApiClient.deserialize` reads: `.data`."""

    def __init__(self, data: str) -> None:
        self.data = data

    def getheader(self, name: str, default: str | None = None) -> str | None:
        return default


def contenders_v2(payload: bytes) -> dict[str, Parse]:
    """apache-airflow-client 2.x: OpenAPI-generator model_utils models, DAGRunCollection.

    `_check_type=True` is what the generated API methods pass by default
    (`_check_return_type`); the deserializer itself always uses the spec's property names.
    """
    from airflow_client.client import ApiClient
    from airflow_client.client.model.dag_run_collection import (  # type: ignore[import-not-found]
        DAGRunCollection,
    )

    client = ApiClient()

    def api_client() -> Any:
        response = _Response(payload.decode("utf-8"))
        return client.deserialize(response, (DAGRunCollection,), True)

    return {"ApiClient.deserialize": api_client}


def main() -> None:
    payload, clock = Path(sys.argv[1]).read_bytes(), sys.argv[2]
    version = metadata.version("apache-airflow-client")
    contenders = (contenders_v3 if version.startswith("3.") else contenders_v2)(payload)
    hello = {
        "version": version,
        "libraries": _versions("pydantic", "pydantic-core"),
        "contenders": list(contenders),
    }
    print(json.dumps(hello), flush=True)
    for line in sys.stdin:
        name = line.strip()
        if not name:
            break
        seconds, runs = timed(contenders[name], clock)
        print(json.dumps({"seconds": seconds, "runs": runs}), flush=True)


def _versions(*names: str) -> dict[str, str]:
    """Installed versions of the model libraries a client release may build on."""
    found = {}
    for name in names:
        with contextlib.suppress(metadata.PackageNotFoundError):
            found[name] = metadata.version(name)
    return found


if __name__ == "__main__":
    main()
