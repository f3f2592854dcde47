"""The config: schema with defaults, typos rejected by name, cross-key rules."""

from __future__ import annotations

import copy

import pytest
import yaml
from biodl.errors import InputError
from biodl.workflow.config import check_config
from conftest import with_datasets
from snakemake.utils import validate


@pytest.fixture
def demo(root):
    return yaml.safe_load((root / "config/config.yaml").read_text())


@pytest.fixture
def schema(root):
    return root / "config/schema.yaml"


def test_the_demo_trains_every_supervised_family_with_its_default_settings(demo):
    """The demo's end-to-end test asserts that every family learns: with the library's defaults."""
    from biodl.vocabulary import SUPERVISED_FAMILIES

    supervised = [model for model in demo["models"].values() if model["family"] in SUPERVISED_FAMILIES]
    assert len(supervised) >= 7
    assert [model for model in supervised if model.get("training")] == []


def test_demo_config_is_valid_and_gets_defaults(demo, schema):
    check_config(demo, schema)
    validate(demo, str(schema))
    dataset = demo["datasets"]["dna_regression"]
    assert dataset["split"] == {
        "valid": 0.1,
        "test": 0.2,
        "column": None,
        "folds": None,
        "repeats": 1,
        "stratify": True,
        "seed": 0,
        "by": "items",
        "empty_partitions": "error",
        "audit": {"identity": 0.95, "correlation": 0.9, "on_finding": "warn"},
    }
    assert dataset["length"] == {"mode": "variable", "pad": "right", "trim": "right"}
    assert dataset["allow_ambiguous"] is False
    assert demo["resources"]["ingest"]["threads"] == 1
    assert demo["baselines"]["ridge_ar"] == {"method": "ridge_ar", "hparams": {}}
    assert demo["evaluation"] == {"resamples": 1000, "paired_resamples": 2000, "seed": 0}


def test_homology_alignment_gets_two_threads_by_default(demo, schema):
    del demo["resources"]
    validate(demo, str(schema))
    assert demo["resources"]["homology"] == {"threads": 2, "mem_mb": 2000, "runtime": 30}
    assert demo["resources"]["split"]["threads"] == 1


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda c: c["datasets"]["dna_binary"]["length"].update(lenght=3),
            "config: datasets.dna_binary.length: unknown key 'lenght' (allowed: mode, pad, size, trim)",
        ),
        (
            lambda c: c["datasets"]["dna_binary"].update(fatsa="x.fa"),
            "config: datasets.dna_binary: unknown key 'fatsa'",
        ),
        (lambda c: c.update(seed=[1]), "config: (top level): unknown key 'seed'"),
        (
            lambda c: c["datasets"]["dna_binary"].update(alphabet="dan"),
            "config: datasets.dna_binary.alphabet: 'dan' is not one of ['dna', 'rna', 'protein']",
        ),
        (
            lambda c: c["datasets"]["expression"].update(kind="expresion"),
            "config: datasets.expression.kind: 'expresion' is not one of "
            "['sequences', 'intervals', 'expression', 'timecourse']",
        ),
        (
            lambda c: c["datasets"]["dna_binary"]["split"].update(test=0.9),
            "config: datasets.dna_binary.split.test: 0.9 is greater than the maximum of 0.5",
        ),
        (
            lambda c: c["datasets"]["expression"]["split"].update(column="batch"),
            "config: datasets.expression: split.column gives the partitions itself: it cannot be combined "
            "with split.folds or split.by",
        ),
        (
            lambda c: c["datasets"]["dna_binary"]["split"].update(repeats=3),
            "config: datasets.dna_binary: split.repeats needs split.folds (repeats of a K-fold split)",
        ),
        (
            lambda c: c["datasets"]["protein_ss"].pop("position_classes"),
            "config: datasets.protein_ss: task 'per_position' needs position_classes, e.g. 'HEC'",
        ),
        (
            lambda c: c["datasets"]["dna_binary"].update(label_columns=["a", "b"]),
            "config: datasets.dna_binary: task 'binary' takes exactly one label column "
            "(label_columns: ['a', 'b'])",
        ),
        (
            lambda c: c["datasets"]["dna_binary"]["length"].pop("size"),
            "config: datasets.dna_binary: length.mode 'fixed' needs length.size",
        ),
        (
            lambda c: c["datasets"]["expression"].update(split={"homology": {"identity": 0.9}}),
            "config: datasets.expression: split.homology applies to sequence datasets only",
        ),
        (
            lambda c: c.update(baselines={"cnn": {"method": "logistic"}}),
            "config: baselines.cnn: a model has the same name; results of both would land in one folder",
        ),
        (
            lambda c: c.update(baselines={"rf": {"method": "random_forest", "hparams": {"trees": 10}}}),
            "config: baselines.rf: unknown hyper-parameter 'trees' for method 'random_forest' "
            "(allowed: max_features, min_samples_leaf, n_estimators)",
        ),
        (
            lambda c: c.update(baselines={"ar": {"method": "ridge_ar", "datasets": ["dna_binary"]}}),
            "config: baselines.ar: method 'ridge_ar' does not apply to dataset 'dna_binary' (task 'binary')",
        ),
        (
            lambda c: c.update(baselines={"lr": {"method": "logistc"}}),
            "config: baselines.lr.method: 'logistc' is not one of ['logistic',",
        ),
        (
            lambda c: c["datasets"]["timecourse_forecast"].update(missing="fill"),
            "config: datasets.timecourse_forecast.missing: 'fill' is not one of ['reject', 'interpolate']",
        ),
        (
            lambda c: c["models"]["gan"].update(hparams={"units": 8}),
            "config: models.gan: unknown hyper-parameter 'units' for family 'gan' (allowed: blocks, "
            "critic_steps, filters, gp_weight, kernel_size, latent_dim)",
        ),
        (
            lambda c: c["models"]["gan"].update(training={"class_weights": "none"}),
            "config: models.gan: training setting 'class_weights' does not apply to family 'gan' "
            "(allowed: batch_size, beta_1, beta_2, ema, epochs, learning_rate)",
        ),
        (
            lambda c: c["models"]["cnn"].update(hparams={"pooling": "mean"}),
            "config: models.cnn: hyper-parameter 'pooling' of family 'cnn' is 'mean' (allowed: max, flatten)",
        ),
        (
            lambda c: c["models"]["lstm"].update(hparams={"pooling": "flatten"}),
            "config: models.lstm: hyper-parameter 'pooling' of family 'lstm' is 'flatten' "
            "(allowed: max, last)",
        ),
        (
            lambda c: c["models"]["cnn"].update(samples={"n": 10}),
            "config: models.cnn: 'samples' applies to the generative families (gan, vae), not to 'cnn'",
        ),
        (
            lambda c: c["models"]["gan"].update(datasets=["expression"]),
            "config: models.gan: family 'gan' cannot train on dataset 'expression' (expression)",
        ),
        (
            lambda c: c["models"]["vae"].update(
                hparams={"likelihood": "gaussian"}, datasets=["dna_generation"]
            ),
            "config: models.vae: hyper-parameter 'likelihood' of family 'vae' does not apply to sequences",
        ),
        (
            lambda c: c["models"]["gan"].update(samples={"mode": "greedy"}),
            "config: models.gan.samples.mode: 'greedy' is not one of ['argmax', 'sample']",
        ),
        (
            lambda c: c["datasets"]["dna_generation"]["generation"]["classifier"].update(model="cnnn"),
            "config: datasets.dna_generation.generation: classifier model 'cnnn' is not defined under models",
        ),
        (
            lambda c: c["datasets"]["dna_generation"]["generation"]["classifier"].update(
                dataset="dna_regression"
            ),
            "config: datasets.dna_generation.generation: the classifier's dataset 'dna_regression' must be a "
            "binary or multiclass task",
        ),
        (
            lambda c: c["models"]["cnn"].update(datasets=["protein_ss"]),
            "config: datasets.dna_generation.generation: model 'cnn' does not train on dataset 'dna_binary'",
        ),
    ],
)
def test_config_errors_name_the_key(demo, schema, edit, message):
    config = copy.deepcopy(demo)
    edit(config)
    with pytest.raises(InputError) as error:
        check_config(config, schema)
    assert str(error.value).startswith(message)
    assert "\n" not in str(error.value)


def test_generative_hyper_parameters_are_those_of_the_builders():
    from biodl.families import GENERATIVE
    from biodl.generative.gan import GAN_DEFAULTS
    from biodl.generative.vae import EXPRESSION_DEFAULTS, SEQUENCE_DEFAULTS

    assert GENERATIVE["gan"]["tokens"][1] == set(GAN_DEFAULTS)
    assert GENERATIVE["vae"]["tokens"][1] == set(SEQUENCE_DEFAULTS)
    assert GENERATIVE["vae"]["vector"][1] == set(EXPRESSION_DEFAULTS)


def test_the_schema_offers_exactly_the_training_settings_some_family_reads(schema):
    from biodl.families import TRAINING_KEYS

    schema = yaml.safe_load(schema.read_text(encoding="utf-8"))
    offered = set(schema["$defs"]["model"]["properties"]["training"]["properties"])
    assert offered == set().union(*TRAINING_KEYS.values())


@pytest.mark.parametrize(
    ("alphabet", "kmers", "expected"),
    [("protein", {}, 2), ("dna", {}, 4), ("rna", {}, 4), ("protein", {"k": 3}, 3), ("dna", {"k": 6}, 6)],
)
def test_kmer_size_defaults_to_the_alphabets_own(demo, schema, alphabet, kmers, expected):
    from biodl.workflow.layout import ingest_arguments

    peptides = {
        "kind": "sequences",
        "task": "binary",
        "alphabet": alphabet,
        "fasta": "p.fa",
        "labels": "p.tsv",
        "kmers": kmers,
    }
    with_datasets(demo, {"peptides": peptides})
    check_config(demo, schema)
    validate(demo, str(schema))
    assert ingest_arguments(demo["datasets"]["peptides"])["kmer_k"] == expected
