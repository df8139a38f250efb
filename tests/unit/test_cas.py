import numpy as np
import pytest

from synthscope.errors import DataError
from synthscope.metrics.cas import (
    CasSettings,
    LabelledSet,
    RealSplit,
    classification_accuracy_score,
    resolve_classifier,
    stratified_split,
)
from synthscope.metrics.classifier import CnnSettings, choose_probe_c
from synthscope.metrics.cnn import cnn_probabilities, train_cnn
from synthscope.metrics.fits import FitCache

CLASSES = np.array(["red", "green", "blue"])


def colour_images(n: int, seed: int, cue: float = 1.0, size: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """Noise images whose class shows as a brighter channel (strength ``cue``; 0 = no signal)."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    img = rng.normal(110, 30, size=(n, size, size, 3))
    img[np.arange(n), :, :, y] += 60 * cue
    return np.clip(img, 0, 255).astype(np.uint8), y


def labelled(images: np.ndarray, y: np.ndarray, prefix: str) -> LabelledSet:
    return LabelledSet(ids=np.array([f"{prefix}{i}" for i in range(len(y))]), labels=CLASSES[y], x=images)


def test_stratified_split_is_seeded_and_keeps_every_class():
    labels = np.array(["a"] * 10 + ["b"] * 3 + ["c"] * 2)
    train, test = stratified_split(labels, 0.3, seed=4)
    assert set(labels[test]) == set(labels[train]) == {"a", "b", "c"}
    assert not set(train) & set(test) and len(train) + len(test) == 15
    np.testing.assert_array_equal(stratified_split(labels, 0.3, seed=4)[1], test)
    with pytest.raises(DataError, match="at least 2"):
        stratified_split(np.array(["a", "a", "b"]), 0.3, 0)


def test_small_cnn_learns_a_colour_cue_deterministically():
    x, y = colour_images(90, 0)
    xt, yt = colour_images(60, 1)
    settings = CnnSettings(epochs=4, batch_size=16, width=8, min_steps=0)
    model = train_cnn(x, y, 3, settings, seed=0)
    probs = cnn_probabilities(model, xt)
    assert probs.shape == (60, 3) and np.allclose(probs.sum(axis=1), 1)
    assert (probs.argmax(axis=1) == yt).mean() > 0.9
    again = cnn_probabilities(train_cnn(x, y, 3, settings, seed=0), xt)
    np.testing.assert_allclose(again, probs, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("model", ["cnn", "linear"])
def test_cas_orders_useful_above_useless_synthetic(model):
    real_x, real_y = colour_images(150, 0)
    good_x, good_y = colour_images(90, 1)
    bad_x, bad_y = colour_images(90, 2, cue=0.0)  # labels carry no signal
    settings = CasSettings(
        model=model, bootstrap_reps=200, is_splits=2, cnn=CnnSettings(epochs=4, batch_size=16, width=8, min_steps=0),
        orientation_invariant=True, augmentation=model == "linear",  # the comparison is model-agnostic code
    )
    feats = (lambda im: im.reshape(len(im), -1).astype(float)) if model == "linear" else (lambda im: im)
    real = labelled(feats(real_x), real_y, "r")
    cache = FitCache()
    good = classification_accuracy_score(labelled(feats(good_x), good_y, "g"), real, settings, cache)
    trained = cache.misses
    bad = classification_accuracy_score(labelled(feats(bad_x), bad_y, "b"), real, settings, cache)
    # the bad set's CAS (and augmentation); real->real (and C) are served
    assert cache.misses == trained + (2 if model == "linear" else 1)
    g, b = good["cas"], bad["cas"]
    assert g.value > 0.85 > 0.6 > b.value
    assert g.real_to_real.value == b.real_to_real.value  # same split, same baseline model
    assert g.split == b.split
    assert g.ci95[0] <= g.value <= g.ci95[1]
    assert set(g.per_class) == set(CLASSES)
    assert b.gap.value == pytest.approx(b.real_to_real.value - b.value)
    if model == "linear":
        aug = good["augmentation"]
        assert aug.real_plus_synthetic.n_train == aug.real_only.n_train + 90
        assert aug.real_only.train_seconds > 0
    # a classifier trained on real data finds the good set's classes clearly, the bad set's barely
    assert good["domain_inception_score"].value > bad["domain_inception_score"].value


def blob_features(n: int, seed: int, shift: float = 0.0, d: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Three Gaussian classes in (n, d) features that overlap enough for real->real to be ~0.8."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    centres = np.random.default_rng(99).normal(size=(3, d))
    return centres[y] + shift + rng.normal(scale=3.0, size=(n, d)), y


def test_copies_of_the_real_data_cannot_beat_real_to_real():
    """Issue 12: a colour-biased set plus copies of real images scored CAS 1.000 vs 0.911 real->real.

    Here the synthetic set is a biased set plus exact copies (same sha256) and near copies
    (tiny feature noise: cosine >= mem_cosine) of *every* real image. Copies of test images are
    left out of training and counted; the rest cannot lift CAS above real->real's interval.
    """
    settings = CasSettings(model="linear", probe_c=1.0, bootstrap_reps=300, augmentation=True)  # a probe that can memorise
    real_x, real_y = blob_features(150, 0)
    real = LabelledSet(np.array([f"r{i}" for i in range(150)]), CLASSES[real_y], real_x, emb=real_x)
    biased_x, biased_y = blob_features(75, 1, shift=1.5)
    near = real_x + np.random.default_rng(2).normal(scale=1e-3, size=real_x.shape)
    syn_x = np.concatenate([biased_x, real_x, near])
    syn_ids = np.array([f"b{i}" for i in range(75)] + list(real.ids) + [f"n{i}" for i in range(150)])
    syn = LabelledSet(syn_ids, CLASSES[np.concatenate([biased_y, real_y, real_y])], syn_x, emb=syn_x)
    out = classification_accuracy_score(syn, real, settings)
    cas, n_test = out["cas"], out["cas"].split.n_test_real
    assert cas.excluded_copies_of_test == 2 * n_test  # the exact and the near copy of each test image
    assert out["augmentation"].excluded_copies_of_test == 2 * n_test
    assert cas.split.n_train_synthetic == 375 - 2 * n_test
    assert cas.value <= cas.real_to_real.ci95[1], (cas.value, cas.real_to_real)
    # Without the exclusion (no copy keys, other ids) the same data does leak: the check has teeth.
    blind = LabelledSet(np.array([f"x{i}" for i in range(375)]), syn.labels, syn_x)
    leaky = classification_accuracy_score(blind, real, settings)["cas"]
    assert leaky.excluded_copies_of_test == 0
    assert leaky.value > cas.real_to_real.ci95[1], (leaky.value, cas.real_to_real)


def test_probe_c_is_chosen_by_cross_validation_on_the_training_side_only():
    """Reference: scikit-learn's GridSearchCV over a scaler + logistic regression pipeline, same folds."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV, StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, y = blob_features(150, 3)
    grid = (1e-4, 1e-3, 1e-2, 1e-1, 1.0)
    choice = choose_probe_c(x, y, grid, 3, seed=5)
    ref = GridSearchCV(make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
                       {"logisticregression__C": list(grid)}, cv=StratifiedKFold(3, shuffle=True, random_state=5),
                       scoring="accuracy").fit(x, y)
    np.testing.assert_allclose(choice.cv_accuracy, ref.cv_results_["mean_test_score"], atol=0.02)
    assert choice.c == ref.best_params_["logisticregression__C"]
    assert choice.c < 1.0  # these overlapping classes want regularising: the grid's largest C is not the best
    # The choice reads only the real training split: other test images, the same C.
    real = LabelledSet(np.array([f"r{i}" for i in range(150)]), CLASSES[y], x)
    train, test = stratified_split(real.labels, 0.3, 0)
    split = RealSplit(real, list(CLASSES), train, test)
    noisy = LabelledSet(real.ids, real.labels, x.copy())
    noisy.x[test] = np.random.default_rng(0).normal(size=(len(test), x.shape[1]))
    settings = CasSettings(model="linear")
    _, record = resolve_classifier(split, settings)
    _, again = resolve_classifier(RealSplit(noisy, list(CLASSES), train, test), settings)
    assert record == again and record.c.method.startswith("3-fold stratified cross-validation")
    assert record.augmentation.transforms == "none"
    tiny = choose_probe_c(x[:4], np.array([0, 1, 2, 0]), grid, 3, seed=0)  # one image of a class: no CV
    assert tiny.cv_accuracy is None and tiny.c == 1e-2 and "fewer than 2" in tiny.method


def arrows(n: int, seed: int, size: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """Bright wedges on noise pointing left (class 0) or right (class 1): a mirror image swaps the label."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    img = rng.normal(80, 20, size=(n, size, size, 3))
    rows, cols = np.mgrid[0:size, 0:size]
    for i in range(n):
        r0 = rng.integers(5, size - 5)
        c0 = rng.integers(2, 5)
        wedge = (np.abs(rows - r0) <= (cols - c0) / 2) & (cols - c0 >= 0) & (cols - c0 < 9)
        img[i][wedge if y[i] == 0 else wedge[:, ::-1]] = 230
    return np.clip(img, 0, 255).astype(np.uint8), y


def test_cnn_flips_and_rotations_are_decided_from_the_real_data_or_declared():
    x, y = arrows(160, 0)
    real = LabelledSet(np.array([f"a{i}" for i in range(160)]), CLASSES[y], x)
    train, test = stratified_split(real.labels, 0.3, 0)
    split = RealSplit(real, list(CLASSES[:2]), train, test)
    cnn = CnnSettings(epochs=6, batch_size=16, width=8, min_steps=0)
    resolved, record = resolve_classifier(split, CasSettings(model="cnn", cnn=cnn))
    decision = record.augmentation
    assert decision.transforms == "none" and not (resolved.cnn.flip or resolved.cnn.rotate)
    assert set(decision.validation) == {"none", "flip", "flip+rot90"}
    assert decision.validation["none"] > decision.validation["flip"] + 0.15, decision  # flips swap labels
    assert "80% of the real training split" in decision.decided_by
    resolved, record = resolve_classifier(split, CasSettings(model="cnn", cnn=cnn, orientation_invariant=True))
    assert resolved.cnn.flip and resolved.cnn.rotate and record.augmentation.validation is None
    assert record.augmentation.decided_by == "declared: score.orientation_invariant is true"


def test_reading_or_probing_cas_does_not_import_torch():
    """The compare stage reads CAS and the score stage trains the default probe: neither needs
    torch (1.5 s a stage process) unless the CNN runs (``metrics.cnn``)."""
    import subprocess
    import sys

    code = ("import sys, synthscope.metrics.cas, synthscope.debias.evaluate, synthscope.stages.compare; "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stderr[-2000:]
