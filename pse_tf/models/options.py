"""Model options (`ModelConfig.options`): what each model declares, and the one check of a
config's options against it."""

from __future__ import annotations

import dataclasses
from typing import Any

from pse_tf.config import ConfigError


@dataclasses.dataclass(frozen=True)
class Option:
    """One model option (`ModelConfig.options`): its default, type, and its allowed range or
    values."""

    default: Any
    type: type
    minimum: float | None = None
    doc: str = ""
    choices: tuple | None = None
    maximum: float | None = None


def resolve_options(model_name: str, declared: dict, given: dict) -> dict:
    """`given` completed with the declared defaults, each value checked and cast to its type.

    Raises ConfigError naming the model and its allowed keys for an unknown key, and the option
    for a value of the wrong type or outside its range.
    """
    unknown = sorted(set(given) - set(declared))
    if unknown:
        allowed = ", ".join(sorted(declared)) or "none"
        raise ConfigError(f"model {model_name!r}: unknown option(s) {unknown}; "
                          f"allowed: {allowed}")
    values = {}
    for key, option in declared.items():
        value = given.get(key, option.default)
        if value is not None:
            # bool is an int in Python, and a float option takes an int; nothing else converts.
            accepted = (int, float) if option.type is float else (option.type,)
            if isinstance(value, bool) and option.type is not bool or \
                    not isinstance(value, accepted):
                raise ConfigError(f"model {model_name!r}: option {key!r} must be "
                                  f"{option.type.__name__}, got {value!r}")
            value = option.type(value)
            if option.minimum is not None and value < option.minimum:
                raise ConfigError(f"model {model_name!r}: option {key!r} must be >= "
                                  f"{option.minimum}, got {value!r}")
            if option.maximum is not None and value > option.maximum:
                raise ConfigError(f"model {model_name!r}: option {key!r} must be <= "
                                  f"{option.maximum}, got {value!r}")
            if option.choices is not None and value not in option.choices:
                raise ConfigError(f"model {model_name!r}: option {key!r} must be one of "
                                  f"{list(option.choices)}, got {value!r}")
        values[key] = value
    return values


LABEL_DISTRIBUTIONS = ("diag", "full")

# Declared by every model with a label encoder q(z|l) (PSE, PSE*, JMVAE, TrELBO, SCAN).
LABEL_DISTRIBUTION = {
    "label_covariance": Option(
        "diag", str, choices=LABEL_DISTRIBUTIONS,
        doc="q(z|l)'s covariance: diag (the paper's MultivariateNormalDiag) or full "
            "(MultivariateNormalTriL, beyond the paper)"),
    # The upper bounds keep a typo from asking for a label encoder of gigabytes.
    "label_components": Option(
        1, int, minimum=1, maximum=64,
        doc="Gaussians in q(z|l): 1 (the paper's) or K > 1, a MixtureSameFamily with per-label "
            "weights (beyond the paper; pse_tf.mixtures)"),
    "kl_samples": Option(
        1, int, minimum=1, maximum=1024,
        doc="reparameterised draws of the Monte Carlo KL against a mixture q(z|l) (unused with "
            "one component, whose KL is closed-form)"),
}
