"""`python -m airflow_bridge.compat` reports a SCRIPT that does not exist as a usage error
(exit 2, one line on stderr), as `python SCRIPT` and argparse do, not as a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_a_missing_script_is_a_one_line_usage_error(tmp_path: Path) -> None:
    missing = tmp_path / "missing.py"
    done = subprocess.run(
        [sys.executable, "-m", "airflow_bridge.compat", "--layer", "v1", str(missing)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"python -m airflow_bridge.compat: error: {missing}: the file does not exist"
    ]
