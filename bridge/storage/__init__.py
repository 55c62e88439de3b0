"""Everything the bridge keeps: the store (the only module with SQL), the outbox that runs on it,
and the data folder's files (every path in one place)."""
