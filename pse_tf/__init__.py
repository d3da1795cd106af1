"""pse_tf: Probabilistic Semantic Embedding (PSE, PSE*) and its baselines in TensorFlow/Keras 3."""

__version__ = "0.1.0"
