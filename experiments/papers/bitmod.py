"""BitMoD (HPCA 2025): bit-serial mixture-of-datatype PEs against FP16, ANT and OliVe.

``reproduce(out_dir)`` writes ``bitmod.csv`` (model, design, phase, cycles, energy_pj),
``bitmod_speedup.png`` (speedup over FP16 per model, one panel per phase, as the paper's
Fig. 7 draws it) and ``bitmod_summary.md`` (our figures next to the paper's claims).

Configurations are docs/sources.md [bitmod] (the BitMoD repository's current simulator):
prefill is the "discriminative" task (one 256-token prompt on the discriminative array
shape and weight precision), decode the "generative" one (one token at a 256-entry KV
cache on the generative shape). Every linear layer including the LM head (on all 256
prompt tokens, as BitMoD's simulator does) and both attention matmuls run on the PE array.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from arch import Accelerator, load_accelerator  # noqa: E402
from arch.workloads import expand  # noqa: E402
from sim import simulate_workload  # noqa: E402

MODELS: tuple[str, ...] = ("opt-1.3b", "phi-2", "yi-6b", "llama-2-7b", "llama-2-13b", "llama-3-8b")
CONTEXT = 256


@dataclass(frozen=True)
class Design:
    """One column of the BitMoD configuration table (docs/sources.md [bitmod])."""

    name: str
    accelerator: str
    prefill_shape: tuple[int, int]  # discriminative rows x cols
    decode_shape: tuple[int, int]  # generative rows x cols
    prefill_bits: tuple[float, ...]  # weight bits per model (MODELS order)
    decode_bits: tuple[float, ...]
    kv_bits: int


def _same(bits: float) -> tuple[float, ...]:
    return (bits,) * len(MODELS)


# ANT and OliVe widths per model are those of the BitMoD simulator's run scripts.
DESIGNS: tuple[Design, ...] = (
    Design("fp16", "bitmod_fp16", (32, 24), (64, 12), _same(16), _same(16), 16),
    Design("ant", "bitmod_ant", (32, 32), (64, 16), (5, 5, 5.25, 5, 4, 5), (5, 5, 5.25, 5, 4, 5), 16),
    Design("olive", "bitmod_olive", (36, 32), (72, 16), (4, 4, 4, 4, 4, 4.5), (4, 4, 4, 4, 4, 4.5), 16),
    Design("bitmod_lossless", "bitmod_bitmod", (32, 32), (64, 16), _same(6.0625), _same(6.0625), 8),
    Design("bitmod_lossy", "bitmod_bitmod", (32, 32), (64, 16), _same(4.0625), _same(3.0625), 8),
)

# The paper's abstract: BitMoD lossy over ANT and OliVe, averaged over both tasks.
PAPER_SPEEDUP = {"ant": 1.69, "olive": 1.48}
# The paper's tasks: discriminative = one prefill; generative = prefill + 20 decode steps.
GENERATED_TOKENS = 20


def _shaped(acc: Accelerator, shape: tuple[int, int]) -> Accelerator:
    return replace(acc, unit=replace(acc.unit, rows=shape[0], cols=shape[1]))


def evaluate(design: Design, model_index: int, phase: str) -> dict:
    """Cycles and energy of one (design, model, phase) point."""
    prefill = phase == "prefill"
    shape = design.prefill_shape if prefill else design.decode_shape
    acc = _shaped(load_accelerator(design.accelerator), shape)
    bits = (design.prefill_bits if prefill else design.decode_bits)[model_index]
    workload = expand(MODELS[model_index], phase, batch=1, context=CONTEXT, weight_bits=bits,
                      kv_bits=design.kv_bits, prefill_logits="all")
    result = simulate_workload(workload, acc)
    return {"model": MODELS[model_index], "design": design.name, "phase": phase,
            "cycles": result.cycles, "energy_pj": result.total_energy_pj}


def results() -> pd.DataFrame:
    """The whole table: 6 models x 5 designs x 2 phases."""
    rows = [evaluate(d, i, phase) for i in range(len(MODELS)) for d in DESIGNS
            for phase in ("prefill", "decode")]
    return pd.DataFrame(rows)


def speedups(table: pd.DataFrame) -> pd.DataFrame:
    """Speedup of every design over FP16, per model and phase."""
    cycles = table.pivot_table(index=["phase", "model"], columns="design", values="cycles")
    return cycles.rdiv(cycles["fp16"], axis=0)


def plot_speedup(table: pd.DataFrame, path: Path) -> Path:
    ratio = speedups(table)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4), sharey=True)
    for ax, phase in zip(axes, ("prefill", "decode"), strict=True):
        ratio.loc[phase].reindex(MODELS)[[d.name for d in DESIGNS]].plot.bar(ax=ax, rot=30, width=0.8,
                                                                             legend=False)
        ax.set_title(f"{phase} ({'discriminative' if phase == 'prefill' else 'generative'})")
        ax.set_ylabel("speedup over FP16")
        ax.grid(axis="y", alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", ncol=len(DESIGNS), frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 0.92))
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def task_speedups(table: pd.DataFrame) -> pd.DataFrame:
    """Mean speedup over FP16 per paper task: discriminative (prefill) and generative
    (prefill + 20 decode steps), arithmetic mean over the models as the paper's plots take it."""
    cycles = table.pivot_table(index=["model"], columns=["phase", "design"], values="cycles")
    tasks = {"discriminative": cycles["prefill"],
             "generative": cycles["prefill"] + GENERATED_TOKENS * cycles["decode"]}
    return pd.DataFrame({task: c.rdiv(c["fp16"], axis=0).mean() for task, c in tasks.items()}).T


def summary(table: pd.DataFrame) -> str:
    per_phase = speedups(table).groupby(level="phase").mean()
    tasks = task_speedups(table)
    lines = ["# BitMoD reproduction", "",
             "Mean speedup over FP16 per phase (arithmetic mean over the six models):", "",
             per_phase.round(2).to_markdown(), "",
             f"Per paper task (generative = prefill + {GENERATED_TOKENS} decode steps):", "",
             tasks.round(2).to_markdown(), "",
             "BitMoD (lossy) against the baselines, mean of both tasks:", ""]
    for base, claim in PAPER_SPEEDUP.items():
        ours = (tasks["bitmod_lossy"] / tasks[base]).mean()
        lines.append(f"- over {base}: ours {ours:.2f}x, paper {claim:.2f}x")
    lines += ["", _DIFFERENCES]
    return "\n".join(lines) + "\n"


_DIFFERENCES = """## Where we differ from the paper and why

- Against BitMoD's own simulator (its current version, run by us on the same configuration):
  it reports BitMoD lossy at 3.07x (discriminative) and 4.37x (generative) over FP16, and
  1.79x / 1.67x over ANT, 1.60x / 1.44x over OliVe; the FP16 Llama-2-7B decode step is
  417,344,208 cycles there and here (tests/golden/test_bitmod.py pins it).

- Configuration: docs/sources.md [bitmod], i.e. the BitMoD repository's current simulator
  (ANT 4 to 5.25 and OliVe 4 to 4.5 weight bits, BitMoD's KV cache at 8 bits, attention
  with the KV cache streamed from DRAM). The paper's figures came from an earlier
  version of that simulator with other ANT/OliVe widths, a 16-bit KV cache for every
  design and an attention mapping that barely streams the KV cache in decode; its means
  (Fig. 7: BitMoD lossy 2.82x / 4.18x over FP16 for discriminative / generative) are
  therefore not what this configuration should give.
- Cycle model: ours is the general dot-dataflow model of sim/mapping.py (no fill or drain,
  as BitMoD's PE array), with bit-serial steps of ceil(floor(bits) / 2) cycles.
  Traffic: our operand bytes are K x N x bits / 8 without BitMoD's per-row byte rounding,
  and the re-read loop order is chosen the same way (the cheaper one when neither operand
  fits its 512 KB buffer).
- Energy: SRAM is priced per bit from one CACTI 7 point (512-bit reads, 64-bit writes)
  rather than per access at each design's port width; PE and DRAM energies are BitMoD's.
"""


def reproduce(out_dir: Path) -> list[Path]:
    out_dir = Path(out_dir)
    table = results()
    csv = out_dir / "bitmod.csv"
    table.to_csv(csv, index=False)
    plot = plot_speedup(table, out_dir / "bitmod_speedup.png")
    md = out_dir / "bitmod_summary.md"
    md.write_text(summary(table))
    return [csv, plot, md]
