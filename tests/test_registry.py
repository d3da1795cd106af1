"""The registry: the paper's names, one class each, clear errors."""

import pytest

from pse_tf import registry
from pse_tf.models import LatentModel
from pse_tf.models import get_model_class, model_names
from pse_tf.registry import register

PAPER_NAMES = {"vae", "cvae", "jmvae", "trelbo", "scan", "pse", "pse_star"}


def test_every_paper_model_is_registered_under_its_name():
    assert set(model_names()) == PAPER_NAMES
    for name in PAPER_NAMES:
        cls = get_model_class(name)
        assert issubclass(cls, LatentModel) and cls.registry_name == name


def test_unknown_name_lists_the_registered_ones():
    with pytest.raises(KeyError, match="pse_plus.*registered.*pse_star"):
        get_model_class("pse_plus")


def test_a_name_cannot_be_registered_twice(monkeypatch):
    monkeypatch.setattr(registry, "MODELS", dict(registry.MODELS))
    with pytest.raises(KeyError, match="already registered to PSE"):
        register("pse")(type("Other", (), {}))


def test_register_records_the_class(monkeypatch):
    monkeypatch.setattr(registry, "MODELS", dict(registry.MODELS))
    cls = register("my_model")(type("Mine", (), {}))
    assert registry.MODELS["my_model"] is cls and cls.registry_name == "my_model"


def test_the_registry_imports_no_model_and_models_register_on_their_own_import():
    """Dependencies point down: model files import the registry, never the other way round."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = ("import sys, pse_tf.registry as r; assert 'pse_tf.models' not in sys.modules; "
            "assert r.model_names() == []; import pse_tf.models; assert 'pse' in r.model_names()")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
    assert done.returncode == 0, done.stderr[-2000:]
