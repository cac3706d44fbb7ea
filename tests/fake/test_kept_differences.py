"""Differences the facade keeps (README's differences table, rows marked kept), pinned on the
fake of each generation; the fake answers as the recordings from live 2.10.5 and 3.3.2 do."""

from __future__ import annotations

from airflow_bridge import Client
from airflow_bridge.testing import FakeAirflow


def client(version: str) -> Client:
    fake = FakeAirflow(version)
    return Client("http://airflow", username="admin", password="admin", transport=fake.transport())


def test_a_run_triggered_without_a_date_is_dated_now_on_2_and_undated_on_3() -> None:
    with client("2.10.5") as airflow2, client("3.3.2") as airflow3:
        dated = airflow2.dag_runs.trigger("bridge_plain")
        undated = airflow3.dag_runs.trigger("bridge_plain")
    assert dated.logical_date is not None and dated.data_interval_start == dated.logical_date
    assert undated.logical_date is None and undated.data_interval_start is None


def test_a_schedule_is_the_servers_own_description() -> None:
    with client("2.10.5") as airflow2, client("3.3.2") as airflow3:
        assert airflow2.dags.get("bridge_consumer").schedule == "Triggered by datasets"
        assert airflow3.dags.get("bridge_consumer").schedule == "Triggered by assets"
