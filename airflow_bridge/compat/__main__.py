"""`python -m airflow_bridge.compat [--layer v1|v2] SCRIPT [ARGS...]` (or `-m MODULE`): run a
program written for the official client, unchanged, with `airflow_client.client` resolving
to a compat layer."""

from __future__ import annotations

import argparse
import os
import runpy
import sys

from airflow_bridge.compat._install import install_as_airflow_client


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m airflow_bridge.compat", description=__doc__)
    parser.add_argument("--layer", choices=("v1", "v2"), default="v1", help="default: v1 (2.x)")
    parser.add_argument("-m", dest="module", help="run a module, as python -m does")
    parser.add_argument("target", nargs=argparse.REMAINDER, help="SCRIPT [ARGS...]")
    options = parser.parse_args(argv)
    if options.module is None and not options.target:
        parser.error("give a SCRIPT or -m MODULE")
    if options.module is None and not os.path.exists(options.target[0]):
        parser.exit(2, f"{parser.prog}: error: {options.target[0]}: the file does not exist\n")
    install_as_airflow_client(options.layer)
    if options.module is not None:
        sys.argv = [options.module, *options.target]
        runpy.run_module(options.module, run_name="__main__", alter_sys=True)
    else:
        sys.argv = list(options.target)
        runpy.run_path(options.target[0], run_name="__main__")


if __name__ == "__main__":
    main()
