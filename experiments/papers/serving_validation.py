"""Prefill and decode steps predicted on a GPU design against published end-to-end measurements.

Each run of ``experiments/papers/data/serving_measurements.yaml`` is a static batch of
``batch`` requests, ``input_len`` prompt tokens each, generating ``output_len`` tokens. The
model simulates whole layers (``scope="layer"``: GEMMs, vector ops, causal attention):

- ``first_token_ms``: one prefill step of ``batch x input_len`` tokens;
- ``output_tokens_per_s``: ``batch x output_len`` tokens over one prefill plus
  ``output_len - 1`` decode steps, each priced as the step at the mean context
  ``input_len + output_len // 2`` (the steps' GEMMs do not change with context; attention grows
  linearly with it, so the mean step stands for the sum).

The measurements include the serving runtime (scheduling, kernel launches between ops on the
host, sampling) that the model leaves out, so a prediction faster than the measurement is
expected there; the table reports the error either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from arch import load_design
from arch.config import check, from_dict, load_yaml
from arch.workloads import expand
from sim import simulate

MEASUREMENTS = Path(__file__).parent / "data" / "serving_measurements.yaml"
METRICS = ("first_token_ms", "output_tokens_per_s")
COLUMNS = ["run", "design", "model", "batch", "input_len", "output_len", "metric", "measured", "predicted",
           "error", "source"]


@dataclass(frozen=True)
class ServingRun:
    name: str
    design: str
    model: str
    format: str
    batch: int
    input_len: int
    output_len: int
    metric: str
    measured: float
    source: str

    def __post_init__(self):
        check(self.metric in METRICS, "metric", f"must be one of {', '.join(METRICS)}, not {self.metric!r}")
        check(bool(self.source.strip()), "source", "must cite where the figure was published")


@dataclass(frozen=True)
class _File:
    schema_version: int
    runs: tuple[ServingRun, ...]


def load_runs(path: Path = MEASUREMENTS) -> tuple[ServingRun, ...]:
    return from_dict(_File, load_yaml(path), source=str(path)).runs


def _step_s(run: ServingRun, phase: str, context: int) -> float:
    workload = expand(run.model, phase, batch=run.batch, context=context, weight_format=run.format,
                      activation_format=run.format, kv_format=run.format, scope="layer")
    return simulate(load_design(run.design), workload).latency_s


def predict(run: ServingRun) -> float:
    """The model's figure for ``run`` in the unit of its metric."""
    prefill_s = _step_s(run, "prefill", run.input_len)
    if run.metric == "first_token_ms":
        return 1e3 * prefill_s
    decode_s = _step_s(run, "decode", run.input_len + run.output_len // 2)
    return run.batch * run.output_len / (prefill_s + (run.output_len - 1) * decode_s)


def results(path: Path = MEASUREMENTS) -> pd.DataFrame:
    rows = []
    for run in load_runs(path):
        predicted = predict(run)
        rows.append({"run": run.name, "design": run.design, "model": run.model, "batch": run.batch,
                     "input_len": run.input_len, "output_len": run.output_len, "metric": run.metric,
                     "measured": run.measured, "predicted": predicted,
                     "error": predicted / run.measured - 1, "source": run.source})
    return pd.DataFrame(rows, columns=COLUMNS)


def summary(table: pd.DataFrame) -> str:
    """A markdown section: the error per run (for a latency, negative is faster than measured)."""
    shown = table.drop(columns=["source"]).assign(error=table.error.map(lambda e: f"{e:+.1%}"),
                                                  predicted=table.predicted.round(1))
    sources = sorted(set(table.source))
    return "\n".join(["## End to end: prefill and decode steps against measured serving figures", "",
                      *[f"- {src}" for src in sources], "", shown.to_markdown(index=False), "",
                      "For first-token latency a negative error is a prediction faster than measured; "
                      "for throughput a positive one is. The model leaves out the serving runtime.", ""])
