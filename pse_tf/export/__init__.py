"""Serving export: a versioned SavedModel with named signatures, TFLite annotator and generator.

`export_model(model, name)` writes the TF Serving layout

    exported/<name>/<version>/          integer version directory (TF Serving picks the largest)
        saved_model.pb, variables/      signatures: serving_default, annotate, generate, encode,
                                        label_distributions (see `SIGNATURES`)
        annotator.tflite                images -> label_probs, label_index, label_name
        generator.tflite                label_vectors, seed -> images
        export_metadata.json            names, label encoding, dimensions, input/output spec

A model whose `encode` or `label_distribution` raises NotImplementedError (CVAE) is exported
without that signature and the metadata lists it under `omitted_signatures`.

Modules, one job each:
    sampler     int64 seed -> TFP's seed pair; a sampler and softplus from TFLite builtin ops
    signatures  the signature spec and the serving functions, with in-graph input validation
    text        the text signatures of a word-vector export: vocabulary, phrases, annotation
    algebra     the query grammar (`pse_tf.inference.query`) in tf.strings ops, for `text`
    archive     versions, SavedModel and TFLite writing, metadata, `export_model`
    tflite      `TFLiteModel`: the TFLite files run with the input checks TFLite cannot make
"""

from pse_tf.export.archive import (ANNOTATOR_FILE, GENERATOR_FILE, METADATA_FILE, METADATA_FORMAT,
                                   TFLITE_FILES, ExportResult, existing_versions, export_model)
from pse_tf.export.sampler import philox_stateless_normal, seed_pair
from pse_tf.export.signatures import (LABEL_VALUE_LIMIT, OPTIONAL_SIGNATURES, SIGNATURES,
                                      image_shape, images_spec, label_vectors_spec, seed_spec)
from pse_tf.export.tflite import TFLiteModel

__all__ = ["ANNOTATOR_FILE", "GENERATOR_FILE", "LABEL_VALUE_LIMIT", "METADATA_FILE",
           "METADATA_FORMAT", "OPTIONAL_SIGNATURES", "SIGNATURES", "TFLITE_FILES", "ExportResult",
           "TFLiteModel", "existing_versions", "export_model", "image_shape", "images_spec",
           "label_vectors_spec", "philox_stateless_normal", "seed_pair", "seed_spec"]
