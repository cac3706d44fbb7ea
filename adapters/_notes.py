"""A run's note on the wire: the same limit and the same "no note" on both generations.

Airflow 2.10.5 refuses a note over 1000 characters with a 400 (setNote and trigger), Airflow
3.3.2's PATCH with a 422 (its specs say maxLength 1000 since 3.0.0), while its trigger stored
a 1001-character note on SQLite. One rule for every call, checked before anything is sent:
at most `NOTE_MAX_LENGTH` characters.

An empty note reads back as `""` from Airflow 2 and as null from Airflow 3 (which stores
`""` as NULL); both read as None here, the one way to say "no note". `set_note(..., "")`
is how a note is removed on either generation.
"""

from __future__ import annotations

from airflow_bridge.errors import InvalidArgument

from ._converter import Conversion

NOTE_MAX_LENGTH = 1000


def check_note(note: object) -> None:
    """InvalidArgument unless `note` is None (leave it alone) or a str the servers take."""
    if note is None:
        return
    if not isinstance(note, str):
        raise InvalidArgument(f"note must be a str, not {type(note).__name__}")
    if len(note) > NOTE_MAX_LENGTH:
        raise InvalidArgument(
            f"note is {len(note)} characters long; Airflow keeps at most {NOTE_MAX_LENGTH}: "
            "shorten it"
        )


#: A note as the servers report it, with the empty note as None (then as any text field).
NOTE = Conversion(
    "if v == '':\n    v = None\nelif v is not None and v.__class__ is not str:\n    v = str(v)"
)
