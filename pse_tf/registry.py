"""Model registry: the paper's model names mapped to classes."""

from __future__ import annotations

MODELS: dict[str, type] = {}


def register(name: str):
    """Class decorator that records a model class under `name` (the paper's spelling)."""

    def wrap(cls):
        if name in MODELS:
            raise KeyError(f"model {name!r} is already registered to {MODELS[name].__name__}")
        MODELS[name] = cls
        cls.registry_name = name
        return cls

    return wrap


def get_model_class(name: str) -> type:
    import pse_tf.models  # noqa: F401  (importing registers every model)

    try:
        return MODELS[name]
    except KeyError:
        raise KeyError(f"unknown model {name!r}; registered: {sorted(MODELS)}") from None


def model_names() -> list[str]:
    import pse_tf.models  # noqa: F401

    return sorted(MODELS)
