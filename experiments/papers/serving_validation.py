"""Prefill and decode steps predicted on a GPU design against published end-to-end measurements.

Each run of ``experiments/papers/data/serving_measurements.yaml`` is a static batch of
``batch`` requests, ``input_len`` prompt tokens each, generating ``output_len`` tokens. The
model simulates whole layers (``scope="layer"``: GEMMs, vector ops, causal attention):

- ``first_token_ms``: one prefill step of ``batch x input_len`` tokens;
- ``output_tokens_per_s``: ``batch x output_len`` tokens over one prefill plus
  ``output_len - 1`` decode steps, step ``j`` priced at its own context ``input_len + j`` (the
  keys it attends to) and the steps summed (:func:`decode_s`). Only the ops whose shape depends
  on the context (attention and its softmax) are simulated per step; the rest of a step is
  simulated once, which gives the same sum because the analytic step time is the sum of its
  ops' times (a test checks it against whole steps). The table keeps the older estimate, every
  step priced at the mean context ``input_len + output_len // 2``, in ``predicted_mean_context``:
  attention's time is not linear in the context (tiles, waves and the max of compute and
  memory terms), so the two differ.

The measurements include the serving runtime (scheduling, kernel launches between ops on the
host, sampling) that the model leaves out, so a prediction faster than the measurement is
expected there; the table reports the error either way.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from arch import load_design
from arch.config import check, from_dict, load_yaml
from arch.workloads import expand
from sim import simulate

MEASUREMENTS = Path(__file__).parent / "data" / "serving_measurements.yaml"
METRICS = ("first_token_ms", "output_tokens_per_s")
COLUMNS = ["run", "design", "model", "batch", "input_len", "output_len", "metric", "measured", "predicted",
           "error", "predicted_mean_context", "error_mean_context", "source"]


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


def _workload(run: ServingRun, phase: str, context: int):
    return expand(run.model, phase, batch=run.batch, context=context, weight_format=run.format,
                  activation_format=run.format, kv_format=run.format, scope="layer")


@functools.lru_cache(maxsize=64)  # predict and predict_mean_context share the prefill step
def _step_s(run: ServingRun, phase: str, context: int) -> float:
    return simulate(load_design(run.design), _workload(run, phase, context)).latency_s


def decode_contexts(run: ServingRun) -> range:
    """The context (keys attended to) of each of the ``output_len - 1`` decode steps."""
    return range(run.input_len + 1, run.input_len + run.output_len)


def decode_s(run: ServingRun) -> float:
    """Seconds of all decode steps of ``run``, each priced at its own context and summed."""
    contexts = decode_contexts(run)
    if not contexts:
        return 0.0
    design = load_design(run.design)
    first, second = _workload(run, "decode", contexts[0]), _workload(run, "decode", contexts[0] + 1)
    fixed = tuple(a for a, b in zip(first.ops, second.ops, strict=True) if a == b)
    varying = [i for i, (a, b) in enumerate(zip(first.ops, second.ops, strict=True)) if a != b]
    total = len(contexts) * simulate(design, replace(first, ops=fixed)).latency_s if fixed else 0.0
    for context in contexts:
        step = _workload(run, "decode", context)
        total += simulate(design, replace(step, ops=tuple(step.ops[i] for i in varying))).latency_s
    return total


def _throughput(run: ServingRun, prefill_s: float, decode_total_s: float) -> float:
    return run.batch * run.output_len / (prefill_s + decode_total_s)


def predict(run: ServingRun) -> float:
    """The model's figure for ``run`` in the unit of its metric (decode steps priced per step)."""
    prefill_s = _step_s(run, "prefill", run.input_len)
    if run.metric == "first_token_ms":
        return 1e3 * prefill_s
    return _throughput(run, prefill_s, decode_s(run))


def predict_mean_context(run: ServingRun) -> float:
    """The older estimate: every decode step priced as the step at the mean context."""
    prefill_s = _step_s(run, "prefill", run.input_len)
    if run.metric == "first_token_ms":
        return 1e3 * prefill_s
    mean_step_s = _step_s(run, "decode", run.input_len + run.output_len // 2)
    return _throughput(run, prefill_s, (run.output_len - 1) * mean_step_s)


@functools.lru_cache(maxsize=4)
def _results(path: Path) -> pd.DataFrame:
    rows = []
    for run in load_runs(path):
        predicted, mean = predict(run), predict_mean_context(run)
        rows.append({"run": run.name, "design": run.design, "model": run.model, "batch": run.batch,
                     "input_len": run.input_len, "output_len": run.output_len, "metric": run.metric,
                     "measured": run.measured, "predicted": predicted, "error": predicted / run.measured - 1,
                     "predicted_mean_context": mean, "error_mean_context": mean / run.measured - 1,
                     "source": run.source})
    return pd.DataFrame(rows, columns=COLUMNS)


def results(path: Path = MEASUREMENTS) -> pd.DataFrame:
    """One row per run (cached per file: a decode run prices each of its steps)."""
    return _results(Path(path)).copy()


def summary(table: pd.DataFrame) -> str:
    """A markdown section: the error per run (for a latency, negative is faster than measured)."""
    shown = table.drop(columns=["source"]).assign(
        error=table.error.map(lambda e: f"{e:+.1%}"), predicted=table.predicted.round(1),
        predicted_mean_context=table.predicted_mean_context.round(1),
        error_mean_context=table.error_mean_context.map(lambda e: f"{e:+.1%}"))
    sources = sorted(set(table.source))
    return "\n".join(["## End to end: prefill and decode steps against measured serving figures", "",
                      *[f"- {src}" for src in sources], "", shown.to_markdown(index=False), "",
                      "For first-token latency a negative error is a prediction faster than measured; "
                      "for throughput a positive one is. The model leaves out the serving runtime. "
                      "`predicted` prices each decode step at its own context; `predicted_mean_context` "
                      "prices every step at the mean context, as this comparison did before.", ""])
