"""Model classes; importing this package registers them all."""

from pse_tf.models.base import LatentModel
from pse_tf.models.pse import PSE, PSEStar

__all__ = ["LatentModel", "PSE", "PSEStar"]
