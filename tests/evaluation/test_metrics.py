"""The paper's three metrics against numbers worked out by hand on a tiny PSE whose weights are set
so that every distribution and every decoded pixel is a known number.

The tiny model: 2x2 images (D = 4), z in 2-d, one hidden layer of 3 units, labels one-hot over
3 classes. With x = (x0, x1, x2, x3) in [0, 1]:
- q(z|x): mean (2 x0 - 1, 3 x1), scale 1e-4 (the floor; softplus(-30) ~ 1e-13), so z = mean.
- q(z|l): means l0 (-1, 0), l1 (1, 0), l2 (0, 0); scales as each test sets them.
- decoder logits: (z0, ln 3, -ln 3, ln 3).
The three test images (uint8, 2x2): A = (0, 1, 1, 0), B = (1, 0, 0, 1), C = 0.2 everywhere
(51 / 255).
"""

import keras
import numpy as np
import pytest

from pse_tf.config import ModelConfig
from pse_tf.data import flat_float
from pse_tf.evaluation import metrics
from pse_tf.networks import MIN_SCALE
from pse_tf.models import get_model_class

IMAGES = np.array([[[0, 255], [255, 0]],       # A
                   [[255, 0], [0, 255]],       # B
                   [[51, 51], [51, 51]]],      # C
                  np.uint8)
LN3 = np.log(3.0)
FLOOR = -30.0  # raw scale whose softplus is ~1e-13: the scale is MIN_SCALE


def _raw(scale):
    """The encoder's raw scale output giving standard deviation `scale` (softplus + MIN_SCALE)."""
    return np.log(np.expm1(scale - MIN_SCALE)) if scale > MIN_SCALE else FLOOR


def _tiny_pse(label_scales, image_scale=MIN_SCALE, name="pse"):
    config = ModelConfig(name=name, latent_dim=2, image_dim=4, hidden_units=(3,),
                         classifier_units=(3,))
    model = get_model_class(name)(config, np.eye(3), ["zero", "one", "two"], "onehot")
    model.build_all()
    h0_h1 = [[1, 0, 0], [0, 1, 0], [0, 0, 0], [0, 0, 0]]  # hidden (x0, x1, 0)
    weights = {
        model.image_encoder.net: [(h0_h1, [0, 0, 0]),
                                  ([[2, 0, 0, 0], [0, 3, 0, 0], [0, 0, 0, 0]],
                                   [-1, 0, _raw(image_scale), _raw(image_scale)])],
        model.label_encoder.net: [([[-1, 0, _raw(label_scales[0]), _raw(label_scales[0])],
                                    [1, 0, _raw(label_scales[1]), _raw(label_scales[1])],
                                    [0, 0, _raw(label_scales[2]), _raw(label_scales[2])]],
                                   [0, 0, 0, 0])],
        # hidden (relu(z0), relu(-z0), 0); logit 0 = relu(z0) - relu(-z0) = z0
        model.decoder: [([[1, -1, 0], [0, 0, 0]], [0, 0, 0]),
                        ([[1, 0, 0, 0], [-1, 0, 0, 0], [0, 0, 0, 0]], [0, LN3, -LN3, LN3])],
    }
    if name == "pse_star":
        # Cla(x_hat): hidden (x_hat0, 0, 0), logits (0, 10 h - 6, 4 - 10 h): class 2 below
        # pixel 0.4, class 0 from 0.4 to 0.6, class 1 above.
        weights[model.classifier] = [([[1, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0]], [0, 0, 0]),
                                     ([[0, 10, -10], [0, 0, 0], [0, 0, 0]], [0, -6, 4])]
    for net, dense_weights in weights.items():
        for layer, (kernel, bias) in zip(net.layers, dense_weights, strict=True):
            layer.set_weights([np.array(kernel, np.float32), np.array(bias, np.float32)])
    return model


def test_reconstruction_error_is_the_mean_summed_bernoulli_nll_of_z_from_q_z_x():
    # Bernoulli NLL of grey level x under logit a: softplus(a) - x a. Pixels 1-3 have logits
    # (ln 3, -ln 3, ln 3): softplus(ln 3) = ln 4, softplus(-ln 3) = ln 4/3.
    #    pixel 0 (logit z0)                  pixels 1-3
    # A: softplus(-1) = 0.3132617             ln 4 - ln 3 + ln 4/3 + ln 3 + ln 4 = 6 ln 2 - ln 3
    #                                         = 3.0602708
    # B: softplus(1) - 1 = 0.3132617          ln 4 + ln 4/3 + ln 4 - ln 3 = 6 ln 2 - 2 ln 3
    #                                         = 1.9616585
    # C: softplus(-0.6) + 0.2 * 0.6           (ln 4 - 0.2 ln 3) + (ln 4/3 + 0.2 ln 3)
    #    = 0.4374880 + 0.12 = 0.5574880         + (ln 4 - 0.2 ln 3) = 6 ln 2 - 1.2 ln 3 = 2.8405483
    # A 3.3735325, B 2.2749202, C 3.3980363; mean 9.0464890 / 3 = 3.0154963.
    # The labels' q(z|l) means (z0 = 1, -1, 0 for labels 1, 0, 2) would give other numbers.
    model = _tiny_pse(label_scales=(1.0, 1.0, 2.0))
    got = metrics.reconstruction_error(model, IMAGES, np.array([1, 0, 2]), seed=3, batch_size=2)
    assert got == pytest.approx(3.0154963, abs=1e-4)  # z jitters by 1e-4


def test_annotation_is_the_label_whose_q_z_l_is_densest_at_the_mean_of_q_z_x():
    # log N(m; mu, s^2 I) in 2-d = -ln 2pi - 2 ln s - |m - mu|^2 / (2 s^2), ln 2pi = 1.8378771.
    # Label scales 1, 1, 2 (2 ln 2 = 1.3862944); q(z|x) means A (-1, 3), B (1, 0), C (-0.6, 0.6).
    # A: l0 -9/2 = -4.5, l1 -(4 + 9)/2 = -6.5, l2 -1.3862944 - 10/8 = -2.6362944
    # B: l0 -4/2 = -2,   l1 0,                l2 -1.3862944 - 1/8 = -1.5112944
    # C: l0 -(0.16 + 0.36)/2 = -0.26, l1 -(2.56 + 0.36)/2 = -1.46,
    #    l2 -1.3862944 - (0.36 + 0.36)/8 = -1.4762944
    model = _tiny_pse(label_scales=(1.0, 1.0, 2.0))
    expected = np.array([[-6.3378771, -8.3378771, -4.4741714],
                         [-3.8378771, -1.8378771, -3.3491714],
                         [-2.0978771, -3.2978771, -3.3141714]])
    np.testing.assert_allclose(model.annotation_log_likelihood(flat_float(IMAGES)), expected,
                               atol=1e-5)
    np.testing.assert_array_equal(metrics.annotate(model, IMAGES, batch_size=2), [2, 1, 0])
    # Among labels one and two only: A two (-2.64 > -6.5), B one (0), C one (-1.46 > -1.476).
    np.testing.assert_array_equal(metrics.annotate(model, IMAGES, np.eye(3)[[1, 2]]), [1, 0, 0])
    assert metrics.annotation_accuracy(model, IMAGES, [2, 1, 1], batch_size=2) == 2 / 3


def test_generation_accuracy_is_the_fraction_the_evaluator_gives_their_label():
    # Scales at the floor: z = the label's mean, so pixel 0 = sigmoid(z0) is
    # l0 sigmoid(-1) = 0.269, l1 sigmoid(1) = 0.731, l2 sigmoid(0) = 0.5.
    # The evaluator takes 2x2 images and scores the classes (0, pixel0 - 0.6, 0.4 - pixel0):
    # class 2 below 0.4, class 0 from 0.4 to 0.6, class 1 above.
    # l0 (0, -0.331, 0.131) -> 2 (wrong), l1 (0, 0.131, -0.331) -> 1 (right),
    # l2 (0, -0.1, -0.1) -> 0 (wrong): 1/3 in every repeat.
    model = _tiny_pse(label_scales=(MIN_SCALE,) * 3)
    evaluator = keras.Sequential([keras.Input((2, 2)), keras.layers.Flatten(),
                                  keras.layers.Dense(3)])
    kernel = np.zeros((4, 3), np.float32)
    kernel[0, 1:] = 1.0, -1.0
    evaluator.layers[-1].set_weights([kernel, np.array([0.0, -0.6, 0.4], np.float32)])
    result = metrics.generation_accuracy(model, evaluator, samples_per_label=50, repeats=3,
                                         batch_size=64)
    counts = result.pop("counts")
    assert result == {"mean": pytest.approx(1 / 3), "std": pytest.approx(0.0),
                      "repeats": [pytest.approx(1 / 3)] * 3}
    # how often each label's images went to each class, over the repeats
    np.testing.assert_array_equal(counts, [[0, 0, 150], [0, 150, 0], [150, 0, 0]])
    # the same images judged against groups of classes: l0 -> {0, 2} and l2 -> {0} hit
    grouped = metrics.generation_accuracy(model, evaluator, samples_per_label=50, repeats=3,
                                          batch_size=64, members=[(0, 2), (1,), (0,)])
    assert grouped["mean"] == pytest.approx(1.0)


def test_reconstruction_error_mean_reading_decodes_the_mean_of_q_z_x():
    # q(z|x) with scale 1: the literal reading draws z and misses the hand value by far more than
    # the jitter; z = the mean gives it exactly (see the reconstruction test above).
    model = _tiny_pse(label_scales=(1.0, 1.0, 2.0), image_scale=1.0)
    labels = np.array([1, 0, 2])
    assert metrics.reconstruction_error(model, IMAGES, labels, z="mean") == pytest.approx(
        3.0154963, abs=1e-5)
    assert abs(metrics.reconstruction_error(model, IMAGES, labels, seed=3) - 3.0154963) > 0.01
    with pytest.raises(ValueError, match="z must be one of"):
        metrics.reconstruction_error(model, IMAGES, labels, z="mode")


def _pixel0_evaluator():
    """Scores (0, pixel0 - 0.6, 0.4 - pixel0): class 2 below 0.4, 0 up to 0.6, 1 above."""
    evaluator = keras.Sequential([keras.Input((2, 2)), keras.layers.Flatten(),
                                  keras.layers.Dense(3)])
    kernel = np.zeros((4, 3), np.float32)
    kernel[0, 1:] = 1.0, -1.0
    evaluator.layers[-1].set_weights([kernel, np.array([0.0, -0.6, 0.4], np.float32)])
    return evaluator


def test_generation_pixel_readings_threshold_and_sample_the_bernoulli_means():
    # Pixel 0's mean is 0.269 / 0.731 / 0.5 for labels 0 / 1 / 2 (test above).
    # Thresholded at 0.5: 0 and 1 -> classes 2 and 1 for labels 0 and 1 (label 1 right); label
    # 2's 0.5 +- the floor's jitter falls either side, right (0 -> class 2) half the time: 0.5.
    # (The means themselves give 1/3: label 2's 0.5 is class 0.)
    # Sampled: label 0 is wrong either way (1 -> class 1, 0 -> class 2); label 1 right when the
    # pixel is 1 (p 0.731), label 2 when it is 0 (p 0.5): (0 + 0.731 + 0.5) / 3 = 0.410.
    model = _tiny_pse(label_scales=(MIN_SCALE,) * 3)
    evaluator = _pixel0_evaluator()
    threshold = metrics.generation_accuracy(model, evaluator, samples_per_label=3000, repeats=2,
                                            pixels="threshold")
    assert threshold["mean"] == pytest.approx(0.5, abs=0.02)
    sampled = metrics.generation_accuracy(model, evaluator, samples_per_label=3000, repeats=2,
                                          pixels="sample")
    assert sampled["mean"] == pytest.approx((0.7310586 + 0.5) / 3, abs=0.02)
    assert sampled["std"] > 0  # fresh pixel noise in each repeat
    with pytest.raises(ValueError, match="pixels must be one of"):
        metrics.generation_accuracy(model, evaluator, pixels="binary")


def test_annotation_p_l_z_reading_is_pse_stars_classifier_on_the_decoded_mean():
    # Cla(Dec(mean of q(z|x))): pixel 0 = sigmoid(z0), z0 = -1, 1, -0.6 for A, B, C, so
    # h = 0.2689414, 0.7310586, 0.3543437 and logits (0, 10 h - 6, 4 - 10 h):
    # A (0, -3.3105858, 1.3105858), B (0, 1.3105858, -3.3105858), C (0, -2.4565631, 0.4565631);
    # minus their log-sum-exp (1.5570578, 1.5570578, 0.9799669) these are log p(l|z).
    # The paper's reading annotates C as label 0 (test above); this one as label 2.
    model = _tiny_pse(label_scales=(1.0, 1.0, 2.0), name="pse_star")
    expected = np.array([[-1.5570578, -4.8676435, -0.2464720],
                         [-1.5570578, -0.2464720, -4.8676435],
                         [-0.9799669, -3.4365300, -0.5234038]])
    np.testing.assert_allclose(model.decoded_label_log_likelihood(flat_float(IMAGES)), expected,
                               atol=1e-5)
    np.testing.assert_array_equal(metrics.annotate(model, IMAGES, reading="p_l_z"), [2, 1, 2])
    np.testing.assert_array_equal(metrics.annotate(model, IMAGES), [2, 1, 0])
    assert metrics.annotation_accuracy(model, IMAGES, [2, 1, 2], reading="p_l_z") == 1.0
    with pytest.raises(ValueError, match="reading must be one of"):
        metrics.annotate(model, IMAGES, reading="decoder")


@pytest.mark.parametrize("name", ["jmvae", "trelbo"])
def test_annotation_p_l_z_reading_of_joint_models_is_their_label_decoder(name):
    config = ModelConfig(name=name, latent_dim=2, image_dim=4, hidden_units=(3,))
    model = get_model_class(name)(config, np.eye(3), ["zero", "one", "two"], "onehot", seed=1)
    model.build_all()
    images = np.random.default_rng(0).integers(0, 256, (64, 2, 2)).astype(np.uint8)
    mean = model.encode(flat_float(images)).mean()
    # One-hot p(l|z) is categorical with the decoder's output as logits.
    expected = np.argmax(np.asarray(model.label_decoder(mean)), axis=-1)
    np.testing.assert_array_equal(metrics.annotate(model, images, reading="p_l_z"), expected)


@pytest.mark.parametrize("name", ["pse", "cvae", "vae", "scan"])
def test_annotation_p_l_z_reading_refuses_models_without_a_label_decoder(name):
    config = ModelConfig(name=name, latent_dim=2, image_dim=4, hidden_units=(3,))
    model = get_model_class(name)(config, np.eye(3), ["zero", "one", "two"], "onehot")
    model.build_all()
    with pytest.raises(ValueError, match=f"{name} has no p\\(l\\|z\\)"):
        metrics.annotate(model, IMAGES, reading="p_l_z")
