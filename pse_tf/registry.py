"""Model registry: the paper's model names mapped to classes.

Each model file registers its class (`@register`); importing `pse_tf.models` imports them all,
so look models up through it (`from pse_tf.models import get_model_class`): this module imports
no model, and a lookup before that import finds none."""

from __future__ import annotations

MODELS: dict[str, type] = {}


def register(name: str):
    """Class decorator that records a model class under `name` (the paper's spelling), and
    registers it with Keras (`pse_tf>ClassName`), so `keras.models.load_model` finds it."""

    def wrap(cls):
        import keras  # here, so that importing the registry (for the CLI's choices) stays light

        if name in MODELS:
            raise KeyError(f"model {name!r} is already registered to {MODELS[name].__name__}")
        if hasattr(cls, "get_config"):  # a Keras model (a test may register a plain class)
            keras.saving.register_keras_serializable(package="pse_tf")(cls)
        MODELS[name] = cls
        cls.registry_name = name
        return cls

    return wrap


def get_model_class(name: str) -> type:
    try:
        return MODELS[name]
    except KeyError:
        raise KeyError(f"unknown model {name!r}; registered: {sorted(MODELS)}") from None


def model_names() -> list[str]:
    return sorted(MODELS)


def create_model(config, encoding):
    """The registered model for a TrainConfig, with every weight created (no optimizer).

    Args:
        config: TrainConfig. Its `model` section picks and shapes the model.
        encoding: LabelEncoding. The training labels' vectors and class names.
    """
    cls = get_model_class(config.model.name)
    return cls(config.model, encoding.vectors, encoding.class_names, config.label_encoding,
               seed=config.seed).build_all()
