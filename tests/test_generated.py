"""Generated-sequence metrics separate real-like from structureless sets; latent metrics see clusters."""

from __future__ import annotations

import json
import sys
import tracemalloc
import types
from itertools import pairwise

import numpy as np
import pandas as pd
import pytest
from biodl.alphabets import decode, get_alphabet
from biodl.errors import InputError
from biodl.generative.metrics import (
    background_control,
    classifier_scores,
    evaluate_generated,
    evaluate_latent,
    gc_content,
    kmer_spectrum,
    latent_metrics,
    motif_fraction,
    nearest_identity,
    reconstruction_error,
    shuffled_control,
    spectrum_divergence,
)
from scipy import stats

DNA = get_alphabet("dna")
KS = (1, 2, 3, 4, 5, 6)


def encode(sequences: list[str], width: int | None = None) -> np.ndarray:
    """Right-padded token matrix of DNA strings."""
    width = width or max(len(s) for s in sequences)
    tokens = np.zeros((len(sequences), width), dtype=np.uint8)
    for row, text in enumerate(sequences):
        tokens[row, : len(text)] = [DNA.letters.index(letter) + 1 for letter in text]
    return tokens


def pad_after(tokens: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Zero every position at or past each row's length."""
    tokens = tokens.copy()
    tokens[np.arange(tokens.shape[1])[None, :] >= lengths[:, None]] = 0
    return tokens


def random_tokens(rng, n, width, gc=0.5, min_length=None):
    """i.i.d. DNA letters with the given GC fraction and lengths in [min_length, width]."""
    p = [(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2]
    tokens = (rng.choice(4, size=(n, width), p=p) + 1).astype(np.uint8)
    lengths = rng.integers(min_length or width, width + 1, size=n)
    return pad_after(tokens, lengths)


def markov_tokens(rng, n, width=60, min_length=40):
    """First-order Markov DNA where each letter is mostly followed by one preferred letter."""
    transition = np.full((4, 4), 0.1)
    transition[np.arange(4), [2, 0, 3, 1]] = 0.7
    cumulative = transition.cumsum(axis=1)
    tokens = np.zeros((n, width), dtype=np.uint8)
    state = rng.integers(0, 4, size=n)
    for column in range(width):
        tokens[:, column] = state + 1
        state = np.minimum((rng.random(n)[:, None] > cumulative[state]).sum(axis=1), 3)
    return pad_after(tokens, rng.integers(min_length, width + 1, size=n))


def write_fasta(path, tokens: np.ndarray):
    path.write_text("".join(f">s{i}\n{decode(row, DNA)}\n" for i, row in enumerate(tokens)))
    return path


# --- k-mer spectra ---------------------------------------------------------------------------


def test_kmer_spectrum_sums_to_one_and_matches_a_naive_count():
    sequences = ["ACGAC", "TTA", "GG"]
    spectrum = kmer_spectrum(encode(sequences), 2, 4)
    expected = np.zeros(16)
    for text in sequences:
        for first, second in pairwise(text):
            expected["ACGT".index(first) * 4 + "ACGT".index(second)] += 1
    assert spectrum.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(spectrum, expected / expected.sum())


def test_kmer_spectrum_without_any_kmer_is_an_error():
    with pytest.raises(ValueError, match="no 4-mers"):
        kmer_spectrum(encode(["ACG", "TT"]), 4, 4)


def test_divergence_of_a_set_with_itself_is_zero():
    tokens = markov_tokens(np.random.default_rng(0), 50)
    assert spectrum_divergence(tokens, tokens, KS) == {k: 0.0 for k in KS}


def test_shuffled_control_keeps_composition_and_loses_order():
    tokens = markov_tokens(np.random.default_rng(1), 300)
    shuffled = shuffled_control(tokens, seed=3)
    for row, mixed in zip(tokens, shuffled):
        assert sorted(row[row > 0]) == sorted(mixed[mixed > 0])
        assert np.count_nonzero(row) == np.count_nonzero(mixed[: np.count_nonzero(row)])
    divergence = spectrum_divergence(tokens, shuffled, KS)
    assert divergence[1] == pytest.approx(0.0, abs=1e-12)
    assert all(divergence[k] > 0.02 for k in KS[1:])
    np.testing.assert_array_equal(shuffled, shuffled_control(tokens, seed=3))


def test_divergence_matches_scipy_on_hand_made_spectra():
    a, b = encode(["AAC", "AG"]), encode(["CCA", "TTTT"])
    p, q = np.array([3, 1, 1, 0]) / 5, np.array([1, 2, 0, 4]) / 7
    m = (p + q) / 2
    kl = lambda x: np.sum(x[x > 0] * np.log2(x[x > 0] / m[x > 0]))  # noqa: E731
    divergence = spectrum_divergence(a, b, ks=(1,))[1]
    assert divergence == pytest.approx((kl(p) + kl(q)) / 2)
    assert divergence == pytest.approx(
        stats.entropy(m, base=2) - (stats.entropy(p, base=2) + stats.entropy(q, base=2)) / 2
    )


def test_background_control_draws_lengths_and_letters_from_the_training_set():
    rng = np.random.default_rng(2)
    training = random_tokens(rng, 400, 50, gc=0.7, min_length=30)
    background = background_control(training, 2000, seed=4)
    lengths = np.count_nonzero(background, axis=1)
    assert set(lengths) <= set(np.count_nonzero(training, axis=1))
    assert np.all(background[np.arange(50)[None, :] >= lengths[:, None]] == 0)
    assert np.all(background[np.arange(50)[None, :] < lengths[:, None]] > 0)
    assert np.nanmean(gc_content(background, "ACGT")) == pytest.approx(0.7, abs=0.01)


# --- composition and motifs --------------------------------------------------------------------


def test_gc_content_equals_a_direct_count():
    sequences = ["GGCA", "ATATAT", "CGCGCGCG", "ACGTN"]
    tokens = np.zeros((4, 8), dtype=np.uint8)
    for row, text in enumerate(sequences):
        tokens[row, : len(text)] = ["ACGTN".index(letter) + 1 for letter in text]
    expected = [3 / 4, 0.0, 1.0, 2 / 4]  # the ambiguity letter is not counted
    np.testing.assert_allclose(gc_content(tokens, "ACGTN"), expected)


def test_ks_test_on_gc_content_tells_generators_apart():
    rng = np.random.default_rng(20)
    same = [gc_content(random_tokens(rng, 300, 80, gc=0.5), "ACGT") for _ in range(2)]
    assert stats.ks_2samp(*same).pvalue > 0.05  # below 0.05 for about 3 seeds in 100
    low, high = (gc_content(random_tokens(rng, 300, 80, gc=gc), "ACGT") for gc in (0.4, 0.6))
    assert stats.ks_2samp(low, high).pvalue < 1e-10


def test_motif_fraction_exact_numbers_on_either_strand():
    tokens = encode(["AACGAA", "TTCGTT", "AAAAAA", "ACG", "GATC"])
    assert motif_fraction(tokens, "ACGT", "ACG") == pytest.approx(3 / 5)
    assert motif_fraction(tokens, "ACGT", "acg", both_strands=False) == pytest.approx(2 / 5)
    assert motif_fraction(tokens, "ACGT", "GATC") == pytest.approx(1 / 5)  # palindrome
    assert motif_fraction(tokens, "ACGT", "AAAAAAA") == 0.0  # longer than every sequence


def test_planted_motif_is_found_and_absent_when_not_planted():
    rng = np.random.default_rng(6)
    tokens = random_tokens(rng, 200, 40, gc=0.0)  # only A and T: the motif cannot occur by chance
    motif, reverse = encode(["GGCGAC"])[0], encode(["GTCGCC"])[0]
    assert motif_fraction(tokens, "ACGT", "GGCGAC") == 0.0
    planted = tokens.copy()
    planted[:50, 10:16] = motif
    planted[50:80, 30:36] = reverse
    assert motif_fraction(planted, "ACGT", "GGCGAC") == pytest.approx(80 / 200)
    assert motif_fraction(planted, "ACGT", "GGCGAC", both_strands=False) == pytest.approx(50 / 200)


def test_motif_with_letters_outside_the_vocabulary_is_an_error():
    with pytest.raises(ValueError, match="only the letters"):
        motif_fraction(encode(["ACGT"]), "ACGT", "ACGN")


# --- memorisation ------------------------------------------------------------------------------


def test_copies_and_substitutions_have_the_expected_identity():
    rng = np.random.default_rng(7)
    training = random_tokens(rng, 100, 100)
    substituted = training[3].copy()
    substituted[10] = substituted[10] % 4 + 1
    generated = np.vstack([training[5], substituted, random_tokens(rng, 200, 100)])
    result = nearest_identity(generated, training)
    assert result.identity[0] == 1.0 and result.exact[0]
    assert result.identity[1] == pytest.approx(99 / 100) and not result.exact[1]
    assert np.all((result.identity[2:] > 0.25) & (result.identity[2:] < 0.5))
    assert not result.exact[2:].any()
    assert result.summary()["exact_copies"] == pytest.approx(1 / 202)


def test_unequal_lengths_count_the_length_difference_as_mismatches():
    result = nearest_identity(encode(["ACGT", "ACG", "TTTTTT"]), encode(["ACG", "TTTT"], width=6))
    np.testing.assert_allclose(result.identity, [3 / 4, 1.0, 4 / 6])
    np.testing.assert_array_equal(result.exact, [False, True, False])


def test_chunk_size_does_not_change_the_identities():
    rng = np.random.default_rng(8)
    generated, training = (
        random_tokens(rng, 57, 30, min_length=20),
        random_tokens(rng, 131, 30, min_length=20),
    )
    small, large = nearest_identity(generated, training, 4), nearest_identity(generated, training)
    np.testing.assert_array_equal(small.identity, large.identity)
    np.testing.assert_array_equal(small.exact, large.exact)


def test_nearest_identity_memory_stays_bounded():
    rng = np.random.default_rng(9)
    generated, training = random_tokens(rng, 300, 100), random_tokens(rng, 4000, 100)
    tracemalloc.start()
    nearest_identity(generated, training)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 200e6


# --- classifier --------------------------------------------------------------------------------


class FakeModel:
    """A stand-in for a Keras classifier: output depends on the first token."""

    input_shape = (None, 8)

    def __init__(self, columns: int):
        self.columns = columns

    def predict(self, inputs, batch_size, verbose):
        assert inputs.shape[1] == 8
        first = (inputs[:, :1] == 1).astype(float)
        if self.columns == 1:
            return 0.1 + 0.8 * first
        return np.hstack([first, 1 - first, np.zeros_like(first)])


@pytest.fixture
def fake_keras(monkeypatch):
    models = {}
    keras = types.SimpleNamespace(models=types.SimpleNamespace(load_model=lambda path: models[str(path)]))
    monkeypatch.setitem(sys.modules, "keras", keras)
    monkeypatch.setitem(sys.modules, "biodl.models.layers", types.ModuleType("biodl.models.layers"))
    return models


def test_classifier_scores_for_binary_and_multiclass_models(fake_keras):
    fake_keras["binary"], fake_keras["multi"] = FakeModel(1), FakeModel(3)
    tokens = encode(["AC", "AG", "CA", "GGGGGGGGGG"])
    assert classifier_scores(None, tokens) is None
    binary = classifier_scores("binary", tokens)
    assert binary["mean"] == pytest.approx(0.5) and binary["fraction_above_half"] == 0.5
    negative = classifier_scores("binary", tokens, class_name="bound", classes=["bound", "unbound"])
    assert negative["mean"] == pytest.approx(0.5) and negative["q95"] == pytest.approx(0.9)
    multi = classifier_scores("multi", tokens, class_name="b", classes=["a", "b", "c"])
    assert multi["mean"] == pytest.approx(0.5) and multi["class"] == "b"
    with pytest.raises(ValueError, match="class_name"):
        classifier_scores("multi", tokens)


# --- evaluation of a generated set -------------------------------------------------------------


def test_evaluate_generated_is_reproducible_and_complete(tmp_path, fake_keras):
    fake_keras["model"] = FakeModel(1)
    rng = np.random.default_rng(10)
    train, heldout = markov_tokens(rng, 200), markov_tokens(rng, 100)
    samples = write_fasta(tmp_path / "samples.fasta", markov_tokens(rng, 80))
    outputs = [tmp_path / "first.json", tmp_path / "second.json"]
    for output in outputs:
        evaluate_generated(
            samples, train, heldout, "ACGT", output, seed=1, motifs=("ACG",), classifier={"model": "model"}
        )
    assert outputs[0].read_bytes() == outputs[1].read_bytes()
    report = json.loads(outputs[0].read_text())
    assert set(report) == {
        "samples",
        "reference_size",
        "kmer_jsd",
        "gc",
        "motifs",
        "nearest_identity",
        "classifier",
    }
    assert report["samples"] == 80
    assert set(report["kmer_jsd"]) == {"generated", "train_floor", "shuffled_ceiling", "background_ceiling"}
    assert all(list(per_k) == [str(k) for k in KS] for per_k in report["kmer_jsd"].values())
    assert set(report["gc"]) == {"generated", "heldout", "ks_statistic", "ks_pvalue"}
    assert set(report["motifs"]["ACG"]) == {"generated", "heldout", "train"}
    assert set(report["nearest_identity"]) == {"mean", "median", "max", "exact_copies"}
    assert set(report["classifier"]) == {"generated", "heldout"}


def test_structureless_generator_scores_above_the_floor_and_real_like_one_near_it(tmp_path):
    rng = np.random.default_rng(11)
    train, heldout = markov_tokens(rng, 600), markov_tokens(rng, 300)
    real_like = write_fasta(tmp_path / "real.fasta", markov_tokens(rng, 300))
    structureless = write_fasta(tmp_path / "background.fasta", background_control(train, 300, seed=12))
    good = evaluate_generated(real_like, train, heldout, "ACGT", tmp_path / "good.json", seed=1)["kmer_jsd"]
    bad = evaluate_generated(structureless, train, heldout, "ACGT", tmp_path / "bad.json", seed=1)["kmer_jsd"]
    for k in KS[1:4]:
        floor, ceiling = good["train_floor"][k], good["background_ceiling"][k]
        assert bad["generated"][k] > 3 * floor
        assert bad["generated"][k] == pytest.approx(ceiling, rel=0.3)
        assert good["generated"][k] < 1.5 * floor + 1e-3


def test_evaluate_generated_leaves_no_report_on_error(tmp_path):
    samples = write_fasta(tmp_path / "samples.fasta", encode(["ACGT", "AC"]))
    output = tmp_path / "report.json"
    output.write_text("stale report of an earlier run")
    with pytest.raises(ValueError, match="no 5-mers"):
        evaluate_generated(samples, encode(["ACGTAC"]), encode(["ACGTAC"]), "ACGT", output, seed=0)
    assert not output.exists()


# --- expression VAE latent space ---------------------------------------------------------------


def clusters(rng, per_class=40, spread=0.3):
    centres = np.array([[0.0, 0.0, 0.0], [5.0, 0.0, 0.0], [0.0, 5.0, 0.0]])
    labels = np.repeat(np.array(["a", "b", "c"]), per_class)
    latent = centres[np.repeat(np.arange(3), per_class)] + rng.normal(scale=spread, size=(3 * per_class, 3))
    return latent, labels


def test_separated_clusters_score_high():
    latent, labels = clusters(np.random.default_rng(13))
    metrics = latent_metrics(latent, labels, seed=0)
    assert metrics["knn_accuracy"] == pytest.approx(1.0)
    assert metrics["silhouette"] > 0.8
    assert metrics["chance"] == pytest.approx(1 / 3) and metrics["knn_folds"] == 5


def test_random_latent_is_near_chance():
    rng = np.random.default_rng(14)
    _, labels = clusters(rng, per_class=100)
    metrics = latent_metrics(rng.normal(size=(300, 4)), labels, seed=0)
    assert abs(metrics["knn_accuracy"] - metrics["chance"]) < 0.1
    assert abs(metrics["silhouette"]) < 0.1


def test_small_classes_use_fewer_folds_and_singletons_give_no_accuracy():
    latent, labels = clusters(np.random.default_rng(15), per_class=3)
    assert latent_metrics(latent, labels, seed=0)["knn_folds"] == 3
    single = latent_metrics(latent[:7], labels[:7], seed=0)
    assert single["knn_accuracy"] is None and single["silhouette"] is not None


def test_reconstruction_error_matches_a_direct_computation():
    rng = np.random.default_rng(16)
    truth = rng.normal(size=(20, 6))
    reconstructed = truth + rng.normal(scale=np.arange(1, 7), size=(20, 6))
    errors = reconstruction_error(truth, reconstructed)
    assert errors["mse"] == pytest.approx(np.mean((truth - reconstructed) ** 2))
    assert errors["per_gene_mse_median"] == pytest.approx(
        np.median(((truth - reconstructed) ** 2).mean(axis=0))
    )


def test_evaluate_latent_reads_labels_from_the_ingest_ids(tmp_path):
    latent, labels = clusters(np.random.default_rng(17), per_class=20)
    ids = [f"cell{i}" for i in range(len(labels))]
    table = pd.DataFrame({"id": ids, "partition": np.where(np.arange(len(ids)) % 3 == 0, "test", "train")})
    for dimension in range(3):
        table[f"z{dimension + 1}"] = latent[:, dimension]
    table.to_csv(tmp_path / "latent.tsv", sep="\t", index=False)
    pd.DataFrame({"id": ids[::-1], "label": labels[::-1], "group": "g"}).to_csv(
        tmp_path / "ids.tsv", sep="\t", index=False
    )
    truth = np.ones((5, 4))
    np.save(tmp_path / "truth.npy", truth)
    np.save(tmp_path / "reconstructed.npy", truth + 0.5)
    output = tmp_path / "latent.json"
    evaluate_latent(
        tmp_path / "latent.tsv",
        tmp_path / "ids.tsv",
        "label",
        output,
        seed=0,
        truth_npy=tmp_path / "truth.npy",
        reconstructed_npy=tmp_path / "reconstructed.npy",
    )
    report = json.loads(output.read_text())
    assert report["latent"]["knn_accuracy"] == pytest.approx(1.0)
    assert set(report["latent_by_partition"]) == {"test", "train"}
    assert report["latent_dimensions"] == 3
    assert report["reconstruction"] == {"mse": 0.25, "per_gene_mse_median": 0.25}
    pd.DataFrame({"id": ids[1:], "label": labels[1:]}).to_csv(tmp_path / "ids.tsv", sep="\t", index=False)
    with pytest.raises(InputError, match="cell0"):
        evaluate_latent(tmp_path / "latent.tsv", tmp_path / "ids.tsv", "label", tmp_path / "other.json", 0)
