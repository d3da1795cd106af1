"""Test ordering for `make test` (pytest -n 2 --dist loadfile): files holding slow tests are
handed out first, so the two workers do not end with one long file while the other idles.

A property test runs with a small example budget ("fast", in `make test-fast`) and a large one
("full", marked slow); when both are selected, the full budget covers the small one, which is
deselected."""

import re
from collections import Counter

import pytest

_FAST_ID = re.compile(r"(?<=[\[-])fast(?=[\]-])")


@pytest.hookimpl(trylast=True)  # after `-m` has deselected what it deselects
def pytest_collection_modifyitems(session, config, items):
    ids = {item.nodeid for item in items}
    covered = [item for item in items
               if _FAST_ID.search(item.nodeid) and _FAST_ID.sub("full", item.nodeid) in ids]
    if covered:
        config.hook.pytest_deselected(items=covered)
        drop = {id(item) for item in covered}
        items[:] = [item for item in items if id(item) not in drop]
    slow = Counter(item.nodeid.split("::")[0] for item in items
                   if item.get_closest_marker("slow") is not None)
    order = {path: index for index, path in enumerate(dict.fromkeys(
        item.nodeid.split("::")[0] for item in items))}
    # The most slow tests first; otherwise the collection order. Every worker sorts alike.
    items.sort(key=lambda item: (-slow[item.nodeid.split("::")[0]],
                                 order[item.nodeid.split("::")[0]]))
