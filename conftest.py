"""Test ordering for `make test` (pytest -n 2 --dist loadfile): files holding slow tests are
handed out first, so the two workers do not end with one long file while the other idles."""

from collections import Counter


def pytest_collection_modifyitems(session, config, items):
    slow = Counter(item.nodeid.split("::")[0] for item in items
                   if item.get_closest_marker("slow") is not None)
    order = {path: index for index, path in enumerate(dict.fromkeys(
        item.nodeid.split("::")[0] for item in items))}
    # The most slow tests first; otherwise the collection order. Every worker sorts alike.
    items.sort(key=lambda item: (-slow[item.nodeid.split("::")[0]],
                                 order[item.nodeid.split("::")[0]]))
