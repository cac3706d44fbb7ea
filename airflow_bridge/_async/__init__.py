"""The hand-written async sources of the client; `_sync/` holds their generated twins."""
