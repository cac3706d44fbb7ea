"""The scanner's rules: what breaks or changes meaning on Airflow 3, and what replaces it."""

from __future__ import annotations

import attrs


@attrs.frozen
class Rule:
    """One kind of finding: `breaks` and `replacement` may hold {placeholders} that each
    finding fills in."""

    id: str
    name: str
    breaks: str
    replacement: str


RULES: tuple[Rule, ...] = (
    Rule(
        "AB000",
        "unparsable",
        "the file is not valid Python 3, so it was not scanned",
        "fix the syntax, then scan again",
    ),
    Rule(
        "AB101",
        "legacy-client-import",
        "apache-airflow-client 2.x names (model.*, DAGRunApi, DAGRun, ...) do not exist in the "
        "3.x client, and the 2.x client speaks /api/v1, which Airflow 3 removed",
        "import from airflow_bridge.compat.v1 instead of airflow_client.client "
        "(the same names, on Airflow 2 and 3)",
    ),
    Rule(
        "AB102",
        "removed-method",
        "this 2.x client method is gone in the 3.x client (its endpoint is gone on Airflow 3)",
        "keep it through airflow_bridge.compat.v1, or call the facade: {facade}",
    ),
    Rule(
        "AB103",
        "execution-date",
        "Airflow 3 removed execution_date (fields, arguments and JSON keys): it is logical_date",
        "logical_date",
    ),
    Rule(
        "AB104",
        "execution-date-filter",
        "the execution_date_gte/_lte list filters are gone on Airflow 3 (logical_date_gte/_lte)",
        "logical_date_{bound} with the facade (client.dag_runs.list), or keep the 2.x call "
        "through airflow_bridge.compat.v1",
    ),
    Rule(
        "AB105",
        "api-v1-url",
        "a hard-coded /api/v1/ URL: Airflow 3 serves /api/v2 with other payloads and answers "
        "/api/v1 with 404",
        "airflow_bridge.Client(server_url), which detects the generation and translates",
    ),
    Rule(
        "AB106",
        "removed-endpoint",
        "{endpoint} does not exist on Airflow 3",
        "{replacement}",
    ),
    Rule(
        "AB107",
        "basic-auth",
        "Airflow 3's API refuses HTTP Basic: it wants a JWT from POST /auth/token",
        "airflow_bridge.Client(url, username=..., password=...), which logs in on Airflow 3 and "
        "uses Basic on Airflow 2 (or the compat layer's Configuration, which does the same)",
    ),
    Rule(
        "AB108",
        "dataset-triggered",
        "the run type dataset_triggered is asset_triggered on Airflow 3",
        "airflow_bridge.RunType.ASSET_TRIGGERED (the facade normalizes both)",
    ),
    Rule(
        "AB109",
        "dataset-event",
        "Airflow 3 renamed dataset events to asset events ({name} -> {new})",
        "the facade's AssetEvent ({new}), or keep the 2.x names through airflow_bridge.compat.v1",
    ),
    Rule(
        "AB110",
        "not-in-compat",
        "{name} is a 2.x client name that airflow_bridge.compat.v1 does not have (it covers the "
        "DAG run API: {covered}, its models and the client classes), so `fix` switches none of "
        "this file's imports",
        "port this file's other 2.x client calls by hand: DAG runs to airflow_bridge.Client "
        "(client.dag_runs), the rest to apache-airflow-client 3.x; then run `fix` again",
    ),
)

BY_ID = {rule.id: rule for rule in RULES}
