"""Attributions against models whose answer is known: linear contributions, completeness, a naive ISM."""

from __future__ import annotations

import keras
import numpy as np
import pandas as pd
import pytest
from biodl.data.encode import one_hot
from biodl.interpret.attributions import (
    gradient_times_input,
    integrated_gradients,
    ism,
    logit_model,
    uniform_background,
)
from biodl.models import build
from biodl.models.layers import model_input, task_head
from biodl.specs import InputSpec, TaskSpec

WIDTH, LETTERS = 12, 4


def linear_sequence_model(weights: np.ndarray, bias: float) -> keras.Model:
    """tokens → one-hot → flatten → one linear output whose weights are ``weights`` (width × letters)."""
    spec = InputSpec("tokens", (WIDTH,), LETTERS, padded=True)
    inputs, x = model_input(spec)
    x = keras.layers.Flatten()(x)
    model = keras.Model(inputs, task_head(x, TaskSpec("regression", 1)))
    model.get_layer("values").set_weights([weights.reshape(-1, 1), np.array([bias], dtype=np.float32)])
    return model


def random_tokens(rng: np.random.Generator, n: int, padded_from: int | None = None) -> np.ndarray:
    tokens = rng.integers(1, LETTERS + 1, size=(n, WIDTH)).astype(np.uint8)
    if padded_from is not None:
        tokens[0, padded_from:] = 0  # the first item is shorter: right padding
    return tokens


def test_attributions_of_a_linear_model_are_its_contributions_and_ism_its_weight_differences():
    rng = np.random.default_rng(0)
    weights = rng.normal(size=(WIDTH, LETTERS)).astype(np.float32)
    logits = logit_model(linear_sequence_model(weights, 0.5))
    tokens = random_tokens(rng, 5, padded_from=9)
    inputs = one_hot(tokens, LETTERS)
    contributions = weights[None] * inputs  # the weight of each position's own letter
    np.testing.assert_allclose(gradient_times_input(logits, inputs, 0), contributions, atol=1e-6)
    np.testing.assert_allclose(integrated_gradients(logits, inputs, 0, steps=4), contributions, atol=1e-6)
    centred = weights[None] * (inputs - uniform_background(inputs))  # against the uniform background
    np.testing.assert_allclose(
        integrated_gradients(logits, inputs, 0, baseline=uniform_background(inputs)), centred, atol=1e-6
    )
    effects = ism(logits, tokens, LETTERS, 0)
    own = (weights[None] * inputs).sum(axis=2, keepdims=True)
    expected = np.where(tokens[..., None] > 0, weights[None] - own, 0.0)
    np.testing.assert_allclose(effects, expected, atol=1e-5)
    full = tokens[1:].astype(np.int64) - 1  # items without padding
    assert (effects[0, 9:] == 0).all()
    assert (effects[1:][np.arange(4)[:, None], np.arange(WIDTH), full] == 0).all()  # own letters


def test_on_a_linear_model_the_three_methods_rank_positions_alike():
    from biodl.interpret.attributions import ism_importance, profile_agreement

    rng = np.random.default_rng(11)
    weights = rng.normal(size=(WIDTH, LETTERS)).astype(np.float32)
    logits = logit_model(linear_sequence_model(weights, -1.0))
    tokens = random_tokens(rng, 6)
    inputs = one_hot(tokens, LETTERS)
    integrated = integrated_gradients(logits, inputs, 0, baseline=uniform_background(inputs)).sum(axis=2)
    every_output = ism(logits, tokens, LETTERS, None)
    np.testing.assert_array_equal(every_output[..., 0], ism(logits, tokens, LETTERS, 0))
    by_ism = ism_importance(every_output[..., 0], tokens)
    # own weight minus the mean of the other three = 4/3 × (own weight minus the mean of all four)
    np.testing.assert_allclose(by_ism, integrated * LETTERS / (LETTERS - 1), atol=1e-5)
    np.testing.assert_allclose(profile_agreement(integrated, by_ism), 1.0, atol=1e-5)
    np.testing.assert_allclose(profile_agreement(integrated, -by_ism), -1.0, atol=1e-5)
    assert np.isnan(profile_agreement(integrated, np.zeros_like(integrated))).all()


def test_an_ambiguity_code_is_read_by_the_model_and_given_no_nucleotide_attribution():
    from biodl.interpret.attributions import hypothetical_contributions, ism_importance

    rng = np.random.default_rng(12)
    spec = InputSpec("tokens", (WIDTH,), LETTERS + 1, padded=True)  # ACGTN
    inputs_, x = model_input(spec)
    model = keras.Model(inputs_, task_head(keras.layers.Flatten()(x), TaskSpec("regression", 1)))
    weights = rng.normal(size=(WIDTH, LETTERS + 1)).astype(np.float32)
    model.get_layer("values").set_weights([weights.reshape(-1, 1), np.zeros(1, dtype=np.float32)])
    logits = logit_model(model)
    tokens = rng.integers(1, LETTERS + 1, size=(4, WIDTH)).astype(np.uint8)
    tokens[:, 3] = LETTERS + 1  # an N at position 3 of every item
    inputs = one_hot(tokens, LETTERS + 1)
    hypothetical = hypothetical_contributions(logits, inputs, 0, steps=4, letters=LETTERS)
    assert hypothetical.shape == (4, WIDTH, LETTERS)
    nucleotides = weights[:, :LETTERS]
    np.testing.assert_allclose(  # the weights of A, C, G, T centred, at every position
        hypothetical,
        np.broadcast_to(nucleotides - nucleotides.mean(axis=1, keepdims=True), hypothetical.shape),
        atol=1e-5,
    )
    assert ((hypothetical * inputs[..., :LETTERS])[:, 3] == 0).all()
    effects = ism(logits, tokens, LETTERS + 1, 0, letters=LETTERS)
    assert effects.shape == (4, WIDTH, LETTERS)
    np.testing.assert_allclose(
        effects[:, 3], np.broadcast_to(nucleotides[3] - weights[3, LETTERS], (4, LETTERS)), atol=1e-5
    )
    assert (ism_importance(effects, tokens)[:, 3] == 0).all()


def test_one_hot_matches_the_models_own_encoding_layer():
    tokens = random_tokens(np.random.default_rng(1), 3, padded_from=5)
    layer = keras.Model(*model_input(InputSpec("tokens", (WIDTH,), LETTERS)))
    np.testing.assert_array_equal(one_hot(tokens, LETTERS), np.asarray(layer.predict(tokens, verbose=0)))


@pytest.mark.parametrize(("task", "n_outputs"), [("binary", 1), ("multiclass", 3)])
def test_logits_are_the_head_before_its_sigmoid_or_softmax(task, n_outputs):
    keras.utils.set_random_seed(3)
    spec = InputSpec("tokens", (WIDTH,), LETTERS, padded=False)
    model = build("cnn", spec, TaskSpec(task, n_outputs), filters=8, kernel_size=3)
    tokens = random_tokens(np.random.default_rng(2), 64)
    probabilities = np.asarray(model.predict(tokens, verbose=0), dtype=np.float64)
    logits = logit_model(model).predict(one_hot(tokens, LETTERS)).astype(np.float64)
    if task == "binary":
        np.testing.assert_allclose(1 / (1 + np.exp(-logits)), probabilities, rtol=1e-4)
    else:
        softmax = np.exp(logits - logits.max(axis=1, keepdims=True))
        np.testing.assert_allclose(softmax / softmax.sum(axis=1, keepdims=True), probabilities, rtol=1e-4)


@pytest.mark.parametrize("family", ["cnn", "lstm"])
def test_integrated_gradients_of_a_nonlinear_model_add_up_to_its_logit_change(family):
    keras.utils.set_random_seed(4)
    spec = InputSpec("tokens", (WIDTH,), LETTERS, padded=True)
    model = build(family, spec, TaskSpec("multiclass", 3), **({"filters": 8} if family == "cnn" else {}))
    logits = logit_model(model)
    tokens = random_tokens(np.random.default_rng(5), 6, padded_from=7)
    inputs = one_hot(tokens, LETTERS)
    background = uniform_background(inputs)
    attributions = integrated_gradients(logits, inputs, 2, baseline=background, steps=128)
    change = logits.predict(inputs)[:, 2] - logits.predict(background)[:, 2]
    np.testing.assert_allclose(attributions.sum(axis=(1, 2)), change, rtol=0.02, atol=2e-3)
    assert (attributions[0, 7:] == 0).all()  # padding gets nothing


def test_integrated_gradients_of_a_vector_model_start_from_the_given_baseline():
    keras.utils.set_random_seed(6)
    model = build("mlp", InputSpec("vector", (7,)), TaskSpec("multiclass", 2), units=[16])
    logits = logit_model(model)
    inputs = np.random.default_rng(7).normal(size=(5, 7)).astype(np.float32)
    mean = inputs.mean(axis=0)
    attributions = integrated_gradients(logits, inputs, 1, baseline=mean, steps=128)
    change = logits.predict(inputs)[:, 1] - logits.predict(mean[None])[0, 1]
    np.testing.assert_allclose(attributions.sum(axis=1), change, rtol=0.02, atol=2e-3)


def test_ism_equals_one_forward_pass_per_mutant_and_repeats_bit_for_bit():
    keras.utils.set_random_seed(8)
    spec = InputSpec("tokens", (WIDTH,), LETTERS, padded=True)
    logits = logit_model(build("cnn", spec, TaskSpec("binary", 1), filters=8, kernel_size=5))
    tokens = random_tokens(np.random.default_rng(9), 3, padded_from=10)
    effects = ism(logits, tokens, LETTERS, 0, batch_size=7)  # batches that split items
    reference = logits.predict(one_hot(tokens, LETTERS))[:, 0]
    for item in range(len(tokens)):
        for position in np.flatnonzero(tokens[item]):
            for letter in range(LETTERS):
                mutant = tokens[item : item + 1].copy()
                mutant[0, position] = letter + 1
                score = logits.predict(one_hot(mutant, LETTERS))[0, 0]
                assert effects[item, position, letter] == pytest.approx(score - reference[item], abs=1e-5)
    np.testing.assert_array_equal(ism(logits, tokens, LETTERS, 0, batch_size=7), effects)


def test_benjamini_hochberg_matches_scipy():
    from biodl.interpret.motifs import benjamini_hochberg
    from scipy.stats import false_discovery_control

    p_values = np.random.default_rng(10).uniform(size=(3, 50)) ** 3
    expected = np.stack([false_discovery_control(row) for row in p_values])
    np.testing.assert_allclose(benjamini_hochberg(p_values), expected, rtol=1e-12)


def test_motifs_are_trimmed_to_their_contributing_span_and_written_as_meme():
    from biodl.interpret.motifs import Motif, meme_text, trimmed
    from memelite.io import read_meme

    ppm = np.full((8, 4), 0.25)
    cwm = np.zeros((8, 4))
    cwm[[2, 3, 5], 0] = [1.0, 0.5, 0.31]
    cwm[6, 1] = 0.2  # below 30 % of the largest: cut with what follows
    kept_ppm, kept_cwm = trimmed(ppm, cwm)
    assert len(kept_ppm) == 4 and kept_cwm[0, 0] == 1.0 and kept_cwm[-1, 0] == 0.31
    motif = Motif("pos_0", np.eye(4)[[2, 0, 3, 0]] * 0.97 + 0.0075, kept_cwm, 42)
    assert motif.consensus == "GATA"
    path_text = meme_text([motif])
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".meme", delete=False) as handle:
        handle.write(path_text)
    read = read_meme(handle.name)
    (name,) = read
    assert name.startswith("pos_0")
    np.testing.assert_allclose(np.asarray(read[name]).T, motif.ppm, atol=1e-6)


def sampled_sites(rng: np.random.Generator, ppm: np.ndarray, n: int) -> list[str]:
    """``n`` sites drawn letter by letter from a (letter × position) probability matrix."""
    cumulative = ppm.cumsum(axis=0)
    draws = (rng.random((n, ppm.shape[1], 1)) > cumulative.T[None]).sum(axis=2)
    return ["".join("ACGT"[min(i, 3)] for i in row) for row in draws]


@pytest.mark.slow
def test_a_planted_jaspar_motif_is_discovered_from_attributions_and_matched_to_its_family():
    """GATA sites drawn from JASPAR's GATA1 matrix in half of 1,200 random sequences: a CNN learns
    them, TF-MoDISco finds the motif in its attributions, and Tomtom's best JASPAR match is in the
    GATA family with q < 0.05."""
    from biodl.interpret.attributions import hypothetical_contributions
    from biodl.interpret.motifs import discover_motifs, jaspar_matrices, match_to_jaspar

    matrices = jaspar_matrices()
    (gata,) = [matrix for matrix in matrices if matrix.name == "GATA1"]
    rng = np.random.default_rng(11)
    n, width = 1200, 100
    tokens = rng.integers(1, 5, size=(n, width)).astype(np.uint8)
    labels = (np.arange(n) % 2).astype(np.float32)
    sites = sampled_sites(rng, gata.ppm, n)
    for item in np.flatnonzero(labels):
        start = int(rng.integers(0, width - len(sites[item])))
        tokens[item, start : start + len(sites[item])] = ["ACGT".index(c) + 1 for c in sites[item]]
    keras.utils.set_random_seed(12)
    model = build("cnn", InputSpec("tokens", (width,), 4, padded=False), TaskSpec("binary", 1), filters=16)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="binary_crossentropy")
    model.fit(tokens[:1000], labels[:1000], epochs=6, batch_size=64, verbose=0)
    accuracy = ((model.predict(tokens[1000:], verbose=0)[:, 0] > 0.5) == labels[1000:]).mean()
    assert accuracy > 0.85
    inputs = one_hot(tokens, 4)
    motifs = discover_motifs(inputs, hypothetical_contributions(logit_model(model), inputs, 0))
    matches = match_to_jaspar(motifs, matrices)
    best = matches[matches["rank"] == 1].sort_values("seqlets", ascending=False).iloc[0]
    assert best["motif"].startswith("pos_") and best["q_value"] < 0.05
    assert best["tf_family"] == gata.tf_family, matches.to_string()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda c: c["interpret"].update(models=["cnn", "resnet"]), "interpret.models: 'resnet' is not one"),
        (lambda c: c["interpret"].update(datasets=["dna_bin"]), "interpret.datasets: 'dna_bin' is not one"),
    ],
)
def test_interpreting_a_model_or_dataset_the_config_lacks_is_refused(edit, message):
    import yaml
    from biodl.errors import InputError
    from biodl.workflow.config import check_config
    from conftest import ROOT

    config = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    edit(config)
    with pytest.raises(InputError, match=f"^config: {message} of the config's"):
        check_config(config)


def test_a_model_of_protein_sequences_is_refused_motifs_with_one_line():
    from biodl.errors import InputError
    from biodl.interpret.runs import check_letters

    check_letters({"vocabulary": "ACGTN"}, "m.keras")  # N is read by the model, left out of motifs
    with pytest.raises(
        InputError,
        match=r"^m\.keras: cannot be interpreted: its input letters \(ACDEFGHIKLMNPQRSTVWY\) are not "
        r"nucleotides, motifs are read over ACGT or ACGU$",
    ):
        check_letters({"vocabulary": "ACDEFGHIKLMNPQRSTVWY"}, "m.keras")


def test_the_demo_interprets_four_models_and_a_config_without_lists_every_model_it_can():
    import yaml
    from biodl.workflow.config import check_config
    from biodl.workflow.layout import Layout
    from conftest import ROOT

    config = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    check_config(config)
    assert Layout(config).interpreted_runs() == [
        ("dna_binary", "cnn", "holdout", 1),
        ("protein_ss", "cnn", "holdout", 1),
        ("expression", "mlp", "fold0", 1),
        ("timecourse_classes", "mlp", "holdout", 1),
    ]
    config["interpret"] = {}
    check_config(config)
    layout = Layout(config)
    runs = layout.interpreted_runs()
    assert {(dataset, model) for dataset, model, _, _ in runs} == {
        ("dna_binary", "cnn"),
        ("dna_multiclass", "cnn"),
        ("dna_multilabel", "cnn_lstm"),
        ("dna_regression", "lstm"),
        ("dna_regression", "gru"),
        ("protein_ss", "cnn"),
        ("expression", "mlp"),
        ("timecourse_classes", "mlp"),
        ("timecourse_classes", "bilstm"),
    }  # not the forecasts (timecourse_forecast) nor the generative models
    assert layout.interpret_baselines("expression") == ["logistic"]  # not the shuffled-label control
    inputs = layout.interpret_inputs("timecourse_classes", "bilstm", "holdout", "1")
    assert inputs["genes"] == "results/timecourse_classes/ingest/genes.tsv"
    assert inputs["estimator_logistic"] == "results/timecourse_classes/logistic/holdout-s1/model.skops"


def test_a_filter_that_detects_gata_becomes_a_gata_matrix_of_its_activating_windows():
    """A filter of width 8 that fires on AGATAA (its last two taps blind): the windows that activate
    it, trimmed to their informative positions, are the site; a filter that never fires is left out."""
    from biodl.interpret.motifs import filter_motifs

    width = 16
    spec = InputSpec("tokens", (width,), LETTERS, padded=True)
    inputs, x = model_input(spec)
    x = keras.layers.Conv1D(2, 8, padding="same", activation="relu", name="conv0")(x)
    x = keras.layers.GlobalMaxPooling1D()(x)
    model = keras.Model(inputs, task_head(x, TaskSpec("regression", 1)))
    kernel = np.zeros((8, LETTERS, 2), dtype=np.float32)
    kernel[:6, :, 0] = -1.0
    kernel[np.arange(6), [0, 2, 0, 3, 0, 0], 0] = 1.0  # filter 0: +1 for A, G, A, T, A, A; -1 otherwise
    kernel[:, :, 1] = -1.0  # filter 1 never fires
    model.get_layer("conv0").set_weights([kernel, np.array([-5.0, 0.0], dtype=np.float32)])
    code = {letter: index + 1 for index, letter in enumerate("ACGT")}
    rows = ["AGATAACACCCCCCCC", "CCCCAGATAAGGCCCC", "CCCCCAGATAATTCCC", "CCCAGATTCCCCCCCC", "AGATAAACAGATAA"]
    tokens = np.zeros((len(rows), width), dtype=np.uint8)
    for row, text in enumerate(rows):
        tokens[row, : len(text)] = [code[letter] for letter in text]
    (motif,) = filter_motifs(model, tokens, share=0.5, pseudocount=0.0)
    assert motif.name == "filter_0" and motif.consensus == "AGATAA"
    # every AGATAA whose window of 8 lies inside its sequence: rows 0-2 and the first site of row 4
    # (the second one's window reaches into the padding); none in AGATT
    assert motif.seqlets == 4
    np.testing.assert_array_equal(motif.ppm, np.eye(4)[[0, 2, 0, 3, 0, 0]])


@pytest.mark.slow
def test_an_mlp_its_logistic_baseline_and_a_forest_rank_the_informative_genes_first():
    """Three classes whose means differ in 6 of 60 genes: integrated gradients of an MLP against the
    training mean, the logistic coefficients and the forest's permutation importance all put those
    6 genes first, agree with each other there far beyond chance, and the forest's ranking is the
    one scikit-learn's permutation importance gives."""
    from biodl.interpret.genes import (
        attribution_importance,
        coefficient_importance,
        permutation_importance_by_gene,
        rank_agreement,
        ranking_table,
        top,
    )
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.inspection import permutation_importance
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(13)
    n, n_genes, informative = 600, 60, [3, 11, 20, 31, 44, 58]
    labels = np.arange(n) % 3
    values = rng.normal(size=(n, n_genes)).astype(np.float32)
    shifts = np.zeros((3, n_genes), dtype=np.float32)
    for place, gene in enumerate(informative):  # each separates two classes from the third
        shifts[:, gene] = np.roll([1.5, -1.5, 0.0], place)
    values += shifts[labels]
    train, test = slice(0, 450), slice(450, None)
    keras.utils.set_random_seed(14)
    model = build("mlp", InputSpec("vector", (n_genes,)), TaskSpec("multiclass", 3), units=[32])
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy")
    model.fit(values[train], labels[train], epochs=30, batch_size=32, verbose=0)
    mean = values[train].mean(axis=0)
    attributions, importance = attribution_importance(logit_model(model), values[test], mean, 3, steps=32)
    assert attributions.shape == (3, 150, n_genes)
    logistic = LogisticRegression(max_iter=2000).fit(values[train], labels[train])
    forest = RandomForestClassifier(n_estimators=200, random_state=0).fit(values[train], labels[train])
    rankings = {
        "mlp": importance,
        "logistic": coefficient_importance(logistic, n_genes),
        "forest": permutation_importance_by_gene(
            forest.predict_proba, values[test], labels[test], "multiclass", repeats=5
        ),
    }
    genes = [f"g{index}" for index in range(n_genes)]
    for name, ranking in rankings.items():
        assert set(top(ranking, 6)) == set(informative), name
    reference = permutation_importance(
        forest, values[test], labels[test], scoring="neg_log_loss", n_repeats=5, random_state=0
    )
    assert set(top(reference.importances_mean, 6)) == set(informative)
    agreement = rank_agreement(rankings, genes, 6)
    assert list(agreement["overlap"]) == [6, 6, 6]
    assert (agreement["expected"] == 0.6).all() and (agreement["p_overlap"] < 1e-7).all()
    table = ranking_table(rankings, genes)
    assert set(table["gene"][:6]) == {f"g{index}" for index in informative}
    assert list(table.columns[:3]) == ["gene", "importance:mlp", "rank:mlp"]


def test_coefficients_of_a_series_model_are_ranked_per_gene_over_its_time_points():
    """A flattened series is time point × gene: a gene's importance is its largest coefficient over
    time and classes, wherever in the series it lies."""
    from biodl.interpret.genes import coefficient_importance

    class Linear:
        coef_ = np.zeros((2, 4 * 3))

    Linear.coef_[1, 2 * 3 + 1] = -5.0  # class 1, time point 2, gene 1
    Linear.coef_[0, 0 * 3 + 2] = 2.0  # class 0, time point 0, gene 2
    np.testing.assert_array_equal(coefficient_importance(Linear(), 3), [0.0, 5.0, 2.0])
    np.testing.assert_array_equal(coefficient_importance([Linear(), Linear()], 3), [0.0, 5.0, 2.0])


def test_shuffling_a_gene_of_a_time_course_moves_its_whole_series_and_nothing_else():
    """A model that reads gene 1 at the last time point only: shuffling gene 1 raises its loss,
    shuffling the others changes nothing."""
    from biodl.interpret.genes import permutation_importance_by_gene

    rng = np.random.default_rng(3)
    series = rng.normal(size=(40, 5, 3))
    truth = (series[:, -1, 1] > 0).astype(np.int64)

    def predict(inputs: np.ndarray) -> np.ndarray:
        return 1 / (1 + np.exp(-4 * inputs[:, -1, 1:2]))

    rises = permutation_importance_by_gene(predict, series, truth, "binary", repeats=3, values_per_batch=100)
    assert rises[1] > 0.5 and rises[0] == 0.0 and rises[2] == 0.0


def test_a_course_model_that_reads_two_time_points_is_attributed_there_only():
    """A linear model of 6 time points × 2 genes whose class 1 logit reads gene 0 at times 20 and 30
    (class 0 nothing): the class 1 series get all their attribution at those times, signed as the
    weights times each value's distance from the training mean."""
    from biodl.interpret.genes import attribution_importance, time_profile

    inputs_, x = model_input(InputSpec("vector", (6, 2)))
    model = keras.Model(inputs_, task_head(keras.layers.Flatten()(x), TaskSpec("multiclass", 2)))
    kernel = np.zeros((6 * 2, 2), dtype=np.float32)
    kernel[2 * 2 + 0, 1], kernel[3 * 2 + 0, 1] = 1.5, -0.5  # time points 2 and 3, gene 0, class 1
    model.get_layer("probabilities").set_weights([kernel, np.zeros(2, dtype=np.float32)])
    rng = np.random.default_rng(4)
    series = rng.normal(size=(30, 6, 2)).astype(np.float32)
    classes = np.arange(30) % 2
    mean = np.zeros((6, 2), dtype=np.float32)
    attributions, _ = attribution_importance(logit_model(model), series, mean, 2, steps=4)
    times = np.array([0.0, 10.0, 20.0, 30.0, 40.0, 50.0])
    profile = time_profile(attributions, classes, ["slow", "fast"], times).set_index(["output", "time"])
    fast = profile.loc["fast"]
    assert (fast["items"] == 15).all()
    np.testing.assert_allclose(fast["share"].loc[[0.0, 10.0, 40.0, 50.0]], 0.0)
    np.testing.assert_allclose(fast["share"].loc[[20.0, 30.0]].sum(), 1.0, rtol=1e-6)
    own = series[classes == 1]
    np.testing.assert_allclose(fast.loc[20.0, "attribution"], 1.5 * own[:, 2, 0].mean(), rtol=1e-5)
    np.testing.assert_allclose(fast.loc[30.0, "attribution"], -0.5 * own[:, 3, 0].mean(), rtol=1e-5)
    assert profile.loc["slow", "absolute"].eq(0).all() and profile.loc["slow", "share"].isna().all()


def test_a_per_position_model_that_reads_two_residues_ahead_has_a_context_of_two():
    """Each residue's class logits read the letter two positions downstream and nothing else: all of
    the attribution lies at offset +2, so 90 % of it lies within ±2 and not within ±1."""
    from biodl.interpret.context import (
        context_table,
        context_width,
        drawn_residues,
        offset_profile,
        residue_attributions,
    )

    spec = InputSpec("tokens", (WIDTH,), LETTERS, padded=True)
    inputs, x = model_input(spec)
    x = keras.layers.Conv1D(3, 5, padding="same", use_bias=False, name="conv0")(x)
    model = keras.Model(inputs, task_head(x, TaskSpec("per_position", 3)))
    kernel = np.zeros((5, LETTERS, 3), dtype=np.float32)
    kernel[4] = np.random.default_rng(0).normal(size=(LETTERS, 3))  # tap 4 of 5: offset +2
    model.get_layer("conv0").set_weights([kernel])
    model.get_layer("probabilities").set_weights([np.eye(3, dtype=np.float32), np.zeros(3, np.float32)])
    rng = np.random.default_rng(1)
    tokens = random_tokens(rng, 64)
    labels = rng.integers(1, 4, size=tokens.shape) * (np.arange(WIDTH) < WIDTH - 2)  # +2 inside
    positions = drawn_residues(labels, seed=0)
    assert (labels[np.arange(64), positions] > 0).all()
    attributions = residue_attributions(
        logit_model(model), one_hot(tokens, LETTERS), labels, positions, steps=8
    )
    table = context_table(offset_profile(attributions, positions)).set_index("offset")
    assert table.loc[2, "share"] == pytest.approx(1.0)
    assert table.loc[1, "within"] == pytest.approx(0.0) and context_width(table.reset_index()) == 2
    assert len(table) == 2 * WIDTH - 1


def test_a_missing_model_or_data_of_another_width_or_alphabet_is_refused_with_one_line(tmp_path):
    from biodl.errors import InputError
    from biodl.interpret.runs import load_sequence_model

    path = tmp_path / "model.keras"
    with pytest.raises(InputError, match=rf"^{path}: no such model \(the run has not been trained\)$"):
        load_sequence_model(path, "ACGT", WIDTH)
    build("cnn", InputSpec("tokens", (WIDTH,), LETTERS), TaskSpec("binary", 1), filters=4).save(path)
    with pytest.raises(
        InputError, match=rf"^{path}: the model reads sequences of 12 positions, the data 20$"
    ):
        load_sequence_model(path, "ACGT", 20)
    with pytest.raises(
        InputError, match=rf"^{path}: the model reads 4 letters, the data 20 \(ACDEFGHIKLMNPQRSTVWY\)$"
    ):
        load_sequence_model(path, "ACDEFGHIKLMNPQRSTVWY", WIDTH)
    assert load_sequence_model(path, "ACGU", WIDTH).inputs[0].shape[1] == WIDTH


def test_residue_summaries_number_chains_from_their_n_terminus_and_skip_padding():
    from biodl.interpret.residues import chain_profile, letter_table, top_windows

    letters = "ACD"
    tokens = np.array([[0, 0, 1, 2, 3, 1], [1, 3, 3, 2, 0, 0]])  # left-padded, right-padded
    profile = np.array([[[9.0, 9.0, 1.0, -2.0, 4.0, 0.0], [0.5, 3.0, 2.0, -1.0, 9.0, 9.0]]])
    profile = np.where(tokens > 0, profile, 0.0)
    by_letter = letter_table(profile, tokens, letters, ["out"]).set_index("letter")
    assert list(by_letter.index) == ["D", "A", "C"]  # highest mean first
    assert by_letter.loc["D", "mean"] == pytest.approx(3.0)  # (4 + 3 + 2) / 3
    assert by_letter.loc["A", "residues"] == 3 and by_letter.loc["A", "frequency"] == pytest.approx(3 / 8)
    assert by_letter["share"].sum() == pytest.approx(1.0)
    assert by_letter.loc["C", "share"] == pytest.approx(3.0 / 13.5)
    windows = top_windows(profile, tokens, np.array(["left", "right"]), letters, ["out"], width=2, count=5)
    assert windows[["id", "first", "last", "residues"]].values.tolist() == [
        ["right", 2, 3, "DD"],  # 3 + 2
        ["left", 3, 4, "DA"],  # 4 + 0: residues 3-4 of the chain, positions 5-6 of the array
    ]
    assert windows["attribution"].tolist() == pytest.approx([5.0, 4.0])
    assert windows["share"].tolist() == pytest.approx([5.0 / 6.5, 4.0 / 7.0])
    assert top_windows(profile, tokens, np.array(["l", "r"]), letters, ["out"], width=7, count=5).empty
    along = chain_profile(profile, tokens, ["out"], bins=2)
    assert along["share"].tolist() == pytest.approx([(1 + 2 + 0.5 + 3) / 13.5, (4 + 0 + 2 + 1) / 13.5])
    assert along["residues"].tolist() == pytest.approx([0.5, 0.5])


NLS = "PKKKRKV"  # the SV40 nuclear localisation signal


def planted_chains(rng: np.random.Generator, n: int, width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Chains of 40 residues to ``width`` (right-padded) with uniform residues; half of them carry the
    NLS at a random place. Returns tokens, labels and where each site starts (-1 without)."""
    from biodl.alphabets import PROTEIN

    site = np.array([PROTEIN.letters.index(letter) + 1 for letter in NLS])
    tokens = np.zeros((n, width), dtype=np.uint8)
    labels, starts = rng.random(n) < 0.5, np.full(n, -1)
    for item, length in enumerate(rng.integers(40, width + 1, size=n)):
        tokens[item, :length] = rng.integers(1, PROTEIN.size + 1, size=length)
        if labels[item]:
            starts[item] = rng.integers(0, length - len(site) + 1)
            tokens[item, starts[item] : starts[item] + len(site)] = site
    return tokens, labels, starts


def test_a_protein_model_is_read_at_its_planted_signal_by_residue_stretch_and_method(tmp_path):
    from biodl.alphabets import PROTEIN
    from biodl.interpret.runs import residues_run
    from biodl.io.outputs import save_json
    from biodl.workflow.layout import INTERPRET_FILES
    from conftest import item_dataset

    keras.utils.set_random_seed(0)
    width = 60
    tokens, labels, starts = planted_chains(np.random.default_rng(1), 800, width)
    model = build("cnn", InputSpec("tokens", (width,), PROTEIN.size, padded=True), TaskSpec("binary", 1))
    model.compile(optimizer=keras.optimizers.Adam(0.003), loss="binary_crossentropy")
    train = np.arange(len(tokens)) % 10 < 6  # item_dataset's split: 6 train, 2 valid, 2 test of ten
    model.fit(tokens[train], labels[train].astype(np.float32), epochs=12, batch_size=32, verbose=0)
    model.save(tmp_path / "model.keras")
    files = item_dataset(
        tmp_path / "data",
        {"label": np.where(labels, "nls", "other")},
        {"alphabet": "protein", "vocabulary": PROTEIN.letters},
        {"inputs": tokens},
    )
    files["model"] = tmp_path / "model.keras"
    files["run"] = tmp_path / "run.json"  # binary: the second class is the one scored
    save_json(files["run"], {"task": {"task": "binary"}, "encoding": {"classes": ["other", "nls"]}})
    outputs = {key: tmp_path / name for key, name in INTERPRET_FILES["residues"].items()}
    residues_run(
        files=files,
        outputs=outputs,
        unit="holdout",
        items=500,
        ism_items=40,
        steps=16,
        seed=0,
        window=7,
        top_windows=20,
    )
    windows = pd.read_csv(outputs["windows"], sep="\t", keep_default_na=False)
    ids = pd.read_csv(files["ids"], sep="\t")["id"].tolist()
    site_of = {ids[item]: starts[item] + 1 for item in range(len(ids))}
    on_site = [abs(row["first"] - site_of[row["id"]]) < len(NLS) for _, row in windows.iterrows()]
    assert len(windows) == 20 and np.mean(on_site) >= 0.9, windows
    by_letter = pd.read_csv(outputs["residues"], sep="\t")
    assert by_letter["letter"].iloc[0] == "K", by_letter.head()  # four of the signal's seven residues
    assert len(by_letter) == PROTEIN.size and set(by_letter["output"]) == {"nls"}
    methods = pd.read_csv(outputs["methods"], sep="\t")
    assert methods["items"].tolist() == [160, 40]
    assert (methods["median_r"] > 0.5).all(), methods
    profile = pd.read_csv(outputs["profile"], sep="\t")
    assert profile["share"].sum() == pytest.approx(1.0) and len(profile) == 10
    saved = np.load(outputs["attributions"])
    assert saved["contributions"].shape == (1, 160, width, PROTEIN.size)
    assert saved["ism"].shape == (1, 40, width, PROTEIN.size) and len(saved["ism_rows"]) == 40
    from biodl.evaluate.report import interpretation_sections

    run = "chains/cnn/holdout-s1"
    shown = ("windows", "methods", "residues", "figure", "tracks")
    (section,) = interpretation_sections({f"residues|{key}|{run}": outputs[key] for key in shown})
    row = section["table"].rows[0][1]
    assert row[0] == "nls" and row[1].startswith("K ") and row[3].startswith("PKKKRKV (")
    assert "in-silico mutagenesis" in section["summary"] and len(section["figures"]) == 2
