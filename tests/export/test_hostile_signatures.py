"""Hostile requests against every signature of a reloaded SavedModel (hypothesis).

Random ranks, shapes, dtypes, NaN/inf, values outside [0, 1], empty and large batches, wrong label
widths and extreme int64 seeds. Every request gets either a valid answer (right shapes, images in
[0, 1], probabilities summing to 1, equal to the Keras model, the same again for the same seed) or
a refusal that says what was expected (`hostile.Refusal`); the process never crashes.
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given
from hypothesis import strategies as st

from . import hostile_requests as hr
from .conftest import TOL, keras_images, keras_probs


def _check_annotation(hostile, images, out):
    n, classes = len(images), hostile.model.num_classes
    probs = out["label_probs"].numpy()
    assert probs.shape == (n, classes) and probs.dtype == np.float32
    assert np.all(np.isfinite(probs)) and np.all((probs >= 0) & (probs <= 1))
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    index = out["label_index"].numpy()
    assert index.shape == (n,) and np.all((index >= 0) & (index < classes))
    np.testing.assert_array_equal(probs[np.arange(n), index], probs.max(axis=1, initial=0))
    assert [s.decode() for s in out["label_name"].numpy()] == [
        hostile.model.class_names[i] for i in index]
    if n:
        np.testing.assert_allclose(probs, keras_probs(hostile.model, images)[0], atol=TOL)


def _check_encoding(hostile, images, out):
    n, latent = len(images), hostile.model.model_config.latent_dim
    mean, stddev = out["mean"].numpy(), out["stddev"].numpy()
    assert mean.shape == stddev.shape == (n, latent)
    assert np.all(np.isfinite(mean)) and np.all(np.isfinite(stddev)) and np.all(stddev > 0)
    if n:
        q_z_x = hostile.model.encode(images.reshape(n, -1))
        np.testing.assert_allclose(mean, q_z_x.mean().numpy(), atol=TOL)
        np.testing.assert_allclose(stddev, q_z_x.stddev().numpy(), atol=TOL)


CHECK = {"serving_default": _check_annotation, "annotate": _check_annotation,
         "encode": _check_encoding}


@pytest.mark.parametrize("budget", hr.BUDGETS)
@pytest.mark.parametrize("key", sorted(CHECK))
def test_image_signatures_answer_or_refuse(hostile, key, budget):
    signature = hostile.loaded.signatures[key]

    @hr.hostile_settings(budget)
    @given(request=hr.image_requests(hostile.height, hostile.width))
    def check(request):
        out = hr.answer(lambda: signature(images=request.value), request)
        if out is None:
            return
        CHECK[key](hostile, request.array, out)
        again = signature(images=request.value)
        for name, value in out.items():
            np.testing.assert_array_equal(again[name].numpy(), value.numpy())

    check()


@pytest.mark.parametrize("budget", hr.BUDGETS)
def test_generate_answers_or_refuses(hostile, budget):
    signature = hostile.loaded.signatures["generate"]
    num_classes = hostile.model.num_classes

    @hr.hostile_settings(budget)
    @given(vectors=hr.label_requests(hostile.label_dim, num_classes), seed=hr.seed_requests())
    def check(vectors, seed):
        out = hr.answer(lambda: signature(label_vectors=vectors.value, seed=seed.value),
                        vectors, seed)
        if out is None:
            return
        images = out["images"].numpy()
        assert images.shape == (len(vectors.array), hostile.height, hostile.width)
        assert images.dtype == np.float32
        assert np.all(np.isfinite(images)) and np.all((images >= 0) & (images <= 1))
        np.testing.assert_array_equal(
            signature(label_vectors=vectors.value, seed=seed.value)["images"].numpy(), images)
        if len(images):
            np.testing.assert_allclose(
                images, keras_images(hostile.model, vectors.array, int(seed.array)),
                atol=hr.generation_tolerance(vectors.array))

    check()


@pytest.mark.parametrize("budget", hr.BUDGETS)
def test_label_distributions_takes_no_input(hostile, budget):
    signature = hostile.loaded.signatures["label_distributions"]
    first = {k: v.numpy() for k, v in signature().items()}
    model = hostile.model
    assert [n.decode() for n in first["names"]] == list(model.class_names)
    np.testing.assert_allclose(first["vectors"], model.label_vectors.numpy(), atol=TOL)
    q_z_l = model.label_distribution()
    np.testing.assert_allclose(first["mean"], q_z_l.mean().numpy(), atol=TOL)
    np.testing.assert_allclose(first["stddev"], q_z_l.stddev().numpy(), atol=TOL)
    assert np.all(first["stddev"] > 0)

    extra = st.dictionaries(st.text(st.characters(categories=("L", "N")), min_size=1,
                                    max_size=8).map(lambda s: f"x{s}"),
                            st.sampled_from((np.zeros(3, np.float32), 1, "images")), max_size=2)

    @hr.hostile_settings(budget)
    @given(inputs=extra)
    def check(inputs):
        out, error = hr.outcome(lambda: signature(**inputs))
        if inputs:
            assert isinstance(error, TypeError) and "unexpected keyword argument" in str(error)
            return
        for name, value in first.items():
            np.testing.assert_array_equal(out[name].numpy(), value)

    check()


def test_missing_or_unknown_inputs_are_type_errors(hostile):
    """What a Python client sees; TF Serving answers InvalidArgument for the same requests."""
    signatures = hostile.loaded.signatures
    images = np.zeros((1, hostile.height, hostile.width), np.float32)
    with pytest.raises(TypeError, match="missing a required argument: 'images'"):
        signatures["annotate"]()
    with pytest.raises(TypeError, match="missing a required argument: 'seed'"):
        signatures["generate"](label_vectors=np.zeros((1, hostile.label_dim), np.float32))
    with pytest.raises(TypeError, match="missing a required argument: 'images'"):
        signatures["encode"](image=images)  # a misspelt name is a missing one
    with pytest.raises(TypeError, match="unexpected keyword argument 'labels'"):
        signatures["annotate"](images=images, labels=np.zeros(1))


def test_high_rank_shapes_are_printed_whole(hostile):
    shape = (1, 2, 3, 1, 2, 3, 1, 2)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"got shape \[1 2 3 1 2 3 1 2\]"):
        hostile.loaded.signatures["annotate"](images=np.zeros(shape, np.float32))
