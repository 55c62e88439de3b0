"""In a child of a `pytest --store=postgresql` run: once `bridge.app` is imported, its store is
the test cluster's (tests/storage_backend.py). Does nothing in any other process."""

import os
import sys

if os.environ.get("OTKLIK_TEST_PG_URL"):
    import importlib.abc
    import importlib.machinery
    from pathlib import Path

    _ROOT = str(Path(__file__).resolve().parents[2])

    class _AfterApp(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name != "bridge.app":
                return None
            sys.meta_path.remove(self)
            spec = importlib.machinery.PathFinder.find_spec(name, path)
            run = spec.loader.exec_module

            def exec_module(module):
                run(module)
                if _ROOT not in sys.path:
                    sys.path.append(_ROOT)
                from tests.storage_backend import install_into
                install_into(module)
            spec.loader.exec_module = exec_module
            return spec

    sys.meta_path.insert(0, _AfterApp())
