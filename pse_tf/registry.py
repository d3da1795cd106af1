"""Registries: the paper's model names mapped to classes, and the image networks by name.

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


# -- image networks ------------------------------------------------------------------------------
ARCHITECTURES: dict[str, type] = {}


def register_architecture(name: str):
    """Class decorator that records an `pse_tf.architectures.Architecture` under `name`, the
    value of `ModelConfig.architecture` (and `--architecture`) that selects it."""

    def wrap(cls):
        if name in ARCHITECTURES:
            raise KeyError(f"architecture {name!r} is already registered to "
                           f"{ARCHITECTURES[name].__name__}")
        ARCHITECTURES[name] = cls
        cls.registry_name = name
        return cls

    return wrap


def get_architecture(name: str):
    """An instance of the architecture registered under `name` (look it up through
    `pse_tf.architectures`, whose import registers the built-in ones)."""
    if name not in ARCHITECTURES:
        from pse_tf.config import ConfigError

        raise ConfigError(f"architecture must be one of {sorted(ARCHITECTURES)}, got {name!r}")
    return ARCHITECTURES[name]()


def architecture_names() -> list[str]:
    """The registered architectures (through `pse_tf.architectures`, as `get_architecture`)."""
    return sorted(ARCHITECTURES)
