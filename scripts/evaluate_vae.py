from biodl.cli import run_step
from biodl.generative.metrics import evaluate_vae_run

files = dict(snakemake.input.items())
run_step(
    snakemake,
    evaluate_vae_run,
    latent=files["latent"],
    reconstruction=files["reconstruction"],
    truth=files.get("counts") or files["features"],
    ids=files["ids"],
    label_column=snakemake.params.label_column,
    output=snakemake.output.metrics,
    seed=snakemake.params.seed,
    log_scale=snakemake.params.log_scale,
)
