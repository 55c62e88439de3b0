"""The store the benches run on: SQLite (the default) or, when bench/backends.py says so through
OTKLIK_BENCH_PG_URL, PostgreSQL — through the product's own `[store]` settings, one schema per
temporary data folder (every measured child of one run opens the same)."""

from __future__ import annotations

import dataclasses
import hashlib
import os

URL_ENV = "OTKLIK_BENCH_PG_URL"
PASSWORD_ENV = "OTKLIK_BENCH_PG_PASSWORD"


def on_backend(config):
    url = os.environ.get(URL_ENV)
    if not url:
        return config
    schema = "b_" + hashlib.sha1(str(config.data_dir.resolve()).encode()).hexdigest()[:24]
    return dataclasses.replace(config, store_url=url, store_schema=schema, store_password_env=PASSWORD_ENV)
