"""Duplex (MICRO 2024): an H100-like xPU plus Logic-PIM, against the GPU, Bank-PIM and BG-PIM.

``reproduce(out_dir)`` writes ``duplex.csv`` (model, system, batch, throughput_tok_s,
tbt_median_ms, energy_per_token_j), ``duplex_ratios.png`` (throughput and energy per token
of every system relative to the GPU, per model and batch size) and ``duplex_summary.md``
(our ratios next to the paper's claims, and where we differ).

Configuration (docs/sources.md [duplex]; the device files ``arch/data/pim/{h100,duplex,
bank_pim,bg_pim}.yaml``): every system is the same H100-like xPU on 5 HBM3 stacks, with
Logic-PIM (duplex), PIM units at every bank (bank_pim) or every bank group (bg_pim), or none
(gpu). Each model runs on the fewest devices (a power of two) whose memory holds its FP16
weights in at most 75 % of it, in tensor parallel over NVLink. Serving: continuous batching
(:mod:`sim.serving`) of ``REQUESTS_PER_SLOT x batch`` requests all waiting at time 0,
prompts of 256-512 and outputs of 64-256 tokens drawn uniformly (seed 0), expected-value
MoE routing; ``batch`` is the scheduler's maximum batch size.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from arch.hbm import load_hbm_device  # noqa: E402
from arch.workloads import load_model  # noqa: E402
from sim.pim import System  # noqa: E402
from sim.serving import ServingConfig, ServingResult, poisson_requests, simulate_serving  # noqa: E402

MODELS: tuple[str, ...] = ("mixtral-8x7b", "glam", "grok-1", "opt-66b", "llama-3-70b")
SYSTEMS: dict[str, str] = {"gpu": "h100", "duplex": "duplex", "bank_pim": "bank_pim", "bg_pim": "bg_pim"}
BATCHES: tuple[int, ...] = (32, 64, 128)
REQUESTS_PER_SLOT = 3
PROMPT_TOKENS = (256, 512)
OUTPUT_TOKENS = (64, 256)
SEED = 0
WEIGHT_SHARE = 0.75  # weights may fill at most this share of the devices' memory
COLUMNS = ["model", "system", "batch", "throughput_tok_s", "tbt_median_ms", "energy_per_token_j"]

# The paper's claims (docs/sources.md [duplex]).
PAPER = {"throughput_max": 2.67, "throughput_mean": 2.07, "latency_max": 2.57, "energy_max": 0.42,
         "energy_mean": 0.2819, "bank_pim_mixtral_max": 1.80, "bank_pim_mixtral_mean": 1.49}


def devices_for(model: str) -> int:
    """The fewest devices (a power of two) whose memory holds the weights in ``WEIGHT_SHARE``."""
    weights = 2.0 * load_model(model).params
    capacity = load_hbm_device("h100").capacity_bytes
    devices = 1
    while weights > WEIGHT_SHARE * devices * capacity:
        devices *= 2
    return devices


@cache
def _requests(batch: int):
    return poisson_requests(REQUESTS_PER_SLOT * batch, None, PROMPT_TOKENS, OUTPUT_TOKENS, seed=SEED)


def run(model: str, system: str, batch: int) -> ServingResult:
    """One serving run of the reproduction."""
    target = System(load_hbm_device(SYSTEMS[system]), devices_for(model))
    return simulate_serving(model, target, _requests(batch), ServingConfig(max_batch=batch, seed=SEED))


def results(models=None, systems=None, batches=None) -> pd.DataFrame:
    """One row per (model, system, batch); by default :data:`MODELS` x :data:`SYSTEMS` x :data:`BATCHES`."""
    rows = []
    for model in models or MODELS:
        for batch in batches or BATCHES:
            for system in systems or SYSTEMS:
                r = run(model, system, batch)
                rows.append({"model": model, "system": system, "batch": batch,
                             "throughput_tok_s": r.throughput_tok_s, "tbt_median_ms": r.tbt_median_ns / 1e6,
                             "energy_per_token_j": r.energy_per_token_j})
    return pd.DataFrame(rows, columns=COLUMNS)


def ratios(table: pd.DataFrame) -> pd.DataFrame:
    """Per (model, batch): each PIM system's throughput, TBT and energy relative to the GPU,
    and Duplex's throughput over Bank-PIM."""
    wide = table.pivot_table(index=["model", "batch"], columns="system",
                             values=["throughput_tok_s", "tbt_median_ms", "energy_per_token_j"])
    out = pd.DataFrame(index=wide.index)
    speed, energy = wide["throughput_tok_s"], wide["energy_per_token_j"]
    for system in ("duplex", "bank_pim", "bg_pim"):
        out[f"{system}_speedup"] = speed[system] / speed["gpu"]
        out[f"{system}_energy_saving"] = 1 - energy[system] / energy["gpu"]
    out["duplex_tbt_lower"] = wide["tbt_median_ms"]["gpu"] / wide["tbt_median_ms"]["duplex"]
    out["duplex_over_bank_pim"] = wide["throughput_tok_s"]["duplex"] / wide["throughput_tok_s"]["bank_pim"]
    present = [m for m in MODELS if m in out.index.get_level_values("model")]
    return out.reindex(present, level="model")


def headline(table: pd.DataFrame) -> dict[str, float]:
    """Our figures for the paper's claims (keys of :data:`PAPER`)."""
    r = ratios(table)
    on_mixtral = r.index.get_level_values("model") == "mixtral-8x7b"
    mixtral = r.duplex_over_bank_pim[on_mixtral] if on_mixtral.any() else pd.Series([float("nan")])
    return {"throughput_max": r.duplex_speedup.max(), "throughput_mean": r.duplex_speedup.mean(),
            "latency_max": r.duplex_tbt_lower.max(), "energy_max": r.duplex_energy_saving.max(),
            "energy_mean": r.duplex_energy_saving.mean(), "bank_pim_mixtral_max": mixtral.max(),
            "bank_pim_mixtral_mean": mixtral.mean()}


def plot_ratios(table: pd.DataFrame, path: Path) -> Path:
    r = ratios(table)
    labels = [f"{m}\nb={b}" for m, b in r.index]
    fig, axes = plt.subplots(2, 1, figsize=(13, 7), sharex=True)
    for ax, suffix, title in ((axes[0], "speedup", "throughput over GPU (x)"),
                              (axes[1], "energy_saving", "energy per token saved vs GPU")):
        r[[f"{s}_{suffix}" for s in ("duplex", "bank_pim", "bg_pim")]].set_axis(labels).plot.bar(
            ax=ax, rot=0, width=0.8)
        ax.set_ylabel(title)
        ax.grid(axis="y", alpha=0.3)
        ax.legend(["duplex", "bank_pim", "bg_pim"], fontsize=8)
    axes[0].axhline(PAPER["throughput_mean"], color="k", ls="--", lw=0.8)
    axes[1].axhline(PAPER["energy_mean"], color="k", ls="--", lw=0.8)
    axes[1].tick_params(axis="x", labelsize=7)
    fig.suptitle("Duplex reproduction (dashed: the paper's averages)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def summary(table: pd.DataFrame) -> str:
    ours, r = headline(table), ratios(table)
    names = {"throughput_max": "throughput over GPU, max (x)",
             "throughput_mean": "throughput over GPU, mean (x)",
             "latency_max": "median time between tokens lower than GPU, max (x)",
             "energy_max": "energy per token saved vs GPU, max",
             "energy_mean": "energy per token saved vs GPU, mean",
             "bank_pim_mixtral_max": "over Bank-PIM on Mixtral, max (x)",
             "bank_pim_mixtral_mean": "over Bank-PIM on Mixtral, mean (x)"}
    claims = pd.DataFrame({"ours": pd.Series(ours), "paper": pd.Series(PAPER)}).rename(index=names)
    devices = ", ".join(f"{m} {devices_for(m)}" for m in table.model.unique())
    return "\n".join([
        "# Duplex reproduction", "", f"Devices per model (tensor parallel): {devices}.", "",
        "Duplex against the paper's claims (means are arithmetic over models x batch sizes):", "",
        claims.round(3).to_markdown(), "", "Per model and batch size:", "", r.round(3).to_markdown(), "",
        _DIFFERENCES]) + "\n"


_DIFFERENCES = """## Where we differ from the paper and why

- Simulator: the paper uses a cycle-accurate simulator (Ramulator-based DRAM timing, GPU
  kernels profiled); ours is a roofline per op (FLOPs at derated peak, bytes at derated
  bandwidth, AttAcc's 0.8 / 0.85 for the xPU, none for PIM) inside an event-driven
  continuous-batching loop. No DRAM refresh, row misses, kernel launch, softmax/norm or
  activation-function time; so our absolute tokens/s are upper bounds for every system.
- Energy is dynamic only: FGDRAM segment energies per bit, AttAcc's on-chip and MAC energies
  and NVLink per bit. We count no static or idle power, so a system that finishes sooner
  saves nothing for it; that is the largest reason our energy savings are below the paper's
  (28 % on average), whose totals include time-proportional power.
- Workload: the paper serves request traces with its own length distributions and device
  counts, which we do not have; we use uniform synthetic lengths (prompts 256-512, outputs
  64-256), all requests waiting at time 0, and the fewest power-of-two devices whose memory
  holds the weights in 75 % of it. Attention in prefill counts the full score matrix.
- Placement: every op goes where its roofline is faster, and independent ops (experts, the
  attention of prefill and decode requests) are split between xPU and PIM at the Op/B order
  that minimizes the group's time, sharing the DRAM banks' bandwidth. The paper's scheduler
  may balance differently; expert routing here is expected-value (equal tokens per expert).
- Baselines: Bank-PIM is sized to 16x bandwidth at Op/B 1, BG-PIM to Logic-PIM's compute and
  bandwidth on the DRAM dies (docs/sources.md [duplex]). Both get the same Op/B placement and
  co-processing with the xPU as Duplex, so the xPU takes the work Bank-PIM is slow at (GQA
  attention at Op/B 4-8, experts with a few dozen tokens): that narrows Duplex's lead over
  Bank-PIM on Mixtral (ours 1.2-1.3x, the paper's 1.49x mean, 1.80x best). On models with
  plain multi-head attention (GLaM, OPT-66B: attention at Op/B 1) Bank-PIM's 16x bandwidth
  wins, as the paper's premise (Bank-PIM suits Op/B below one) says it should. With the same
  compute and bandwidth our BG-PIM matches Duplex in throughput and saves more energy (a
  shorter data path): we model neither the DRAM process's slower logic nor the capacity its
  area costs, which is where the paper's argument against BG-PIM lies.
"""


def reproduce(out_dir: Path) -> list[Path]:
    out_dir = Path(out_dir)
    table = results()
    csv = out_dir / "duplex.csv"
    table.to_csv(csv, index=False)
    plot = plot_ratios(table, out_dir / "duplex_ratios.png")
    md = out_dir / "duplex_summary.md"
    md.write_text(summary(table))
    return [csv, plot, md]
