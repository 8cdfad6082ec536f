"""CLI commands of the exact reference: ``train`` (example models) and ``evaluate`` (accuracy on a dataset)."""
from __future__ import annotations

import json
import sys

import click

from snn_deploy.cli.options import model_argument, reset_mode_option
from snn_deploy.reference.datasets import DATASETS


@click.command("train")
@click.argument("dataset", type=click.Choice(DATASETS))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=str),
              help="Model file to write (.onnx or .nir; written atomically).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of initialisation and minibatch order.")
@click.option("--epochs", type=click.IntRange(min=1), default=None, help="Epochs (default: the dataset's preset).")
def train_command(dataset: str, output: str, seed: int, epochs: int | None) -> None:
    """Train the example network for DATASET with exact spike-time gradients; print one JSON line.

    The epoch is selected on the validation split and the line reports train and validation accuracy; the
    test split is not read (measure it once with 'snn-deploy evaluate')."""
    from tqdm import tqdm

    import snn_deploy as sd
    from snn_deploy.reference.trainer import PRESETS

    config = PRESETS[dataset]
    total = config.epochs if epochs is None else epochs
    robust_epochs = 0 if config.robust is None else config.robust.epochs
    with tqdm(total=total + robust_epochs, file=sys.stderr, desc=f"train {dataset}", unit="epoch") as bar:
        def progress(epoch: int, history, network) -> None:
            bar.set_postfix(loss=f"{history.loss[-1]:.4f}", train=f"{history.train_accuracy[-1]:.3f}",
                            validation=f"{history.validation_accuracy[-1]:.3f}")
            bar.update(1)

        result = sd.train(dataset, seed, epochs=total, progress=progress)
    sd.write(result.graph, output)
    click.echo(json.dumps({
        "dataset": dataset, "seed": seed, "epochs": total, "selected_epoch": result.graph.metadata["selected_epoch"],
        "train_accuracy": result.train_accuracy, "validation_accuracy": result.validation_accuracy,
        "seconds": round(result.seconds, 3),
    }, sort_keys=True))


@click.command("evaluate")
@model_argument
@reset_mode_option
@click.option("--dataset", type=click.Choice(DATASETS), default=None,
              help="Dataset (default: the one in the model's metadata).")
@click.option("--engine", type=click.Choice(["reference"]), default="reference", show_default=True,
              help="Simulator: the exact event-driven reference.")
def evaluate_command(model: str, reset_mode: str | None, spike_step_s: float | None, dataset: str | None,
                     engine: str) -> None:
    """Train, validation and test accuracy of MODEL on a dataset (one JSON line, with how each split is made):
    the output neuron that fires first is the class (silence, ties: wrong)."""
    import snn_deploy as sd

    result = sd.evaluate(sd.read(model, reset_mode=reset_mode, spike_step_s=spike_step_s), dataset, source=model)
    click.echo(json.dumps({"model": model, **result}, sort_keys=True))


COMMANDS: list[click.Command] = [train_command, evaluate_command]
