"""Export tests. A package, so that its conftest is `export.conftest` and does not shadow the
top-level tests/conftest.py that other test modules import as `conftest`."""
