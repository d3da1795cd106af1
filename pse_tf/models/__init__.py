"""Model classes; importing this package registers them all."""

from pse_tf.models.base import LatentModel, PriorLabelModel
from pse_tf.models.joint import JointModel
from pse_tf.models.cvae import CVAE
from pse_tf.models.jmvae import JMVAE
from pse_tf.models.options import Option
from pse_tf.models.pse import PSE, PSEStar
from pse_tf.models.scan import SCAN
from pse_tf.models.trelbo import TrELBO
from pse_tf.models.vae import VAE
# Looked up here, where every model above is registered.
from pse_tf.registry import create_model, get_model_class, model_names

__all__ = ["LatentModel", "Option", "PriorLabelModel", "PSE", "PSEStar", "VAE", "CVAE", "JointModel", "JMVAE", "TrELBO",
           "SCAN", "create_model", "get_model_class", "model_names"]
