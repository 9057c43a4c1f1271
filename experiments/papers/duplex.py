"""Duplex (MICRO 2024): an H100-like xPU plus Logic-PIM, against the GPU, Bank-PIM and BG-PIM.

``reproduce(out_dir, profile)`` writes ``duplex.csv`` (model, system, batch, throughput_tok_s,
tbt_median_ms, energy_per_token_j and its dynamic and static parts), ``duplex_ratios.png``
(throughput and energy per token of every system relative to the GPU, per model and batch
size) and ``duplex_summary.md`` (our ratios next to the paper's claims, how they move with
the request trace, and where we differ); a profile other than the default adds its name to
the file names.

Configuration (docs/sources.md [duplex]; the device files ``arch/data/pim/{h100,duplex,
bank_pim,bg_pim}.yaml``): every system is the same H100-like xPU on 5 HBM3 stacks, with
Logic-PIM (duplex), PIM units at every bank (bank_pim) or every bank group (bg_pim), or none
(gpu). Each model runs on the fewest devices (a power of two) whose memory holds its FP16
weights in at most 75 % of it, in tensor parallel over NVLink. Serving: continuous batching
(:mod:`sim.serving`) of ``REQUESTS_PER_SLOT x batch`` requests all waiting at time 0,
expected-value MoE routing; ``batch`` is the scheduler's maximum batch size. Request lengths
(:data:`PROFILES`): ``azure-conv`` (default) takes them in order from the Azure LLM inference
trace 2023, conversation service (``data/azure_llm_conv_2023_head384.csv``, cited there);
``uniform`` draws prompts of 256-512 and outputs of 64-256 tokens uniformly (seed 0).
The xPU (the GPU baseline's and every PIM system's) is a roofline at AttAcc's 80 % of peak
FLOPs and 85 % of HBM bandwidth; ``calibrated`` keeps the Azure requests and sets its HBM
efficiency to what DeepGEMM's measured memory-bound H800 GEMMs reach
(:func:`calibrated_memory_efficiency`). PIM units on a DRAM die (Bank-PIM, BG-PIM) run at the
die's column rate, priced from Samsung's HBM-PIM (:mod:`arch.hbm`); the summary shows the
cells they would displace. A request longer than a model's context window is cut to it
(GLaM's 1,024 tokens cut 217 of the first 384 Azure requests).
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from arch import load_accelerator  # noqa: E402
from arch.hbm import load_hbm_device  # noqa: E402
from arch.workloads import load_model  # noqa: E402
from experiments.papers.gemm_validation import load_sets, min_bytes  # noqa: E402
from experiments.plots import save_png  # noqa: E402
from sim.pim import System  # noqa: E402
from sim.serving import ServingConfig, ServingResult, load_trace, poisson_requests, simulate_serving  # noqa: E402

MODELS: tuple[str, ...] = ("mixtral-8x7b", "glam", "grok-1", "opt-66b", "llama-3-70b")
SYSTEMS: dict[str, str] = {"gpu": "h100", "duplex": "duplex", "bank_pim": "bank_pim", "bg_pim": "bg_pim"}
BATCHES: tuple[int, ...] = (32, 64, 128)
REQUESTS_PER_SLOT = 3
PROMPT_TOKENS = (256, 512)
OUTPUT_TOKENS = (64, 256)
SEED = 0
WEIGHT_SHARE = 0.75  # weights may fill at most this share of the devices' memory
COLUMNS = ["model", "system", "batch", "throughput_tok_s", "tbt_median_ms", "energy_per_token_j",
           "dynamic_energy_per_token_j", "static_energy_per_token_j"]
TRACE = Path(__file__).parent / "data" / "azure_llm_conv_2023_head384.csv"
PROFILES: dict[str, str] = {
    "azure-conv": "request lengths of the Azure LLM inference trace 2023 (conversation), in trace order",
    "uniform": "synthetic request lengths: prompts 256-512, outputs 64-256 tokens, uniform (seed 0)",
    "calibrated": "request lengths of the Azure trace; every system's xPU (the GPU's too) at the HBM "
                  "efficiency fitted to DeepGEMM's measured H800 GEMMs instead of AttAcc's 0.85",
}
TRACE_PROFILES: tuple[str, ...] = ("azure-conv", "uniform")  # the profiles that only change requests
DEFAULT_PROFILE = "azure-conv"

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


# The measured set the calibrated xPU is fitted to: Hopper (the H800 has the H100's SMs and
# HBM3 stacks; Duplex's xPU is an H100), not the Blackwell sets beside it in the file.
CALIBRATION_SET = "deepgemm_h800"


@cache
def calibrated_memory_efficiency() -> float:
    """The mean share of HBM bandwidth that the memory-bound GEMMs of the measured DeepGEMM
    set reach on an H800 (``data/gemm_measurements.yaml``; memory-bound: Op/B below the
    design's FP8 ridge). The bytes are A, B (with their FP32 scales) and the output; the
    bandwidth share does not depend on the element format, the compute share does (DeepGEMM
    promotes FP8 partial sums on CUDA cores), so only the bandwidth is taken."""
    shares = []
    for s in (s for s in load_sets() if s.name == CALIBRATION_SET):
        acc = load_accelerator(s.design)
        bw = acc.dram.bandwidth_bytes_per_s
        ridge = 2 * acc.unit.macs_per_cycle(s.a_format, s.b_format) * acc.clock_hz / bw
        for g in s.gemms:
            nbytes = min_bytes(s, g)
            if g.flops / nbytes < ridge:
                shares.append(nbytes * g.tflops * 1e12 / g.flops / bw)
    return sum(shares) / len(shares)


def _device(system: str, profile: str):
    device = load_hbm_device(SYSTEMS[system])
    if profile != "calibrated":
        return device
    return replace(device, xpu=replace(device.xpu, memory_efficiency=calibrated_memory_efficiency()))


@cache
def _requests(batch: int, trace: str):
    count = REQUESTS_PER_SLOT * batch
    if trace == "uniform":
        return poisson_requests(count, None, PROMPT_TOKENS, OUTPUT_TOKENS, seed=SEED)
    requests = load_trace(TRACE)
    if len(requests) < count:
        raise ValueError(f"{TRACE} holds {len(requests)} requests; batch {batch} needs {count}")
    return tuple(replace(r, arrival_ns=0) for r in requests[:count])


def fit_context(requests, max_context: int) -> tuple:
    """``requests`` cut to a context window of ``max_context`` tokens: a request longer than it
    keeps its output (at most half the window) and loses the start of its prompt, as a
    server truncates an over-long prompt."""
    fitted = []
    for r in requests:
        if r.prompt_tokens + r.output_tokens > max_context:
            output = min(r.output_tokens, max_context // 2)
            r = replace(r, prompt_tokens=min(r.prompt_tokens, max_context - output), output_tokens=output)
        fitted.append(r)
    return tuple(fitted)


def run(model: str, system: str, batch: int, trace: str = DEFAULT_PROFILE) -> ServingResult:
    """One serving run of the reproduction under profile ``trace`` (:data:`PROFILES`: its request
    lengths, cut to the model's context window by :func:`fit_context`, and its xPU)."""
    target = System(_device(system, trace), devices_for(model))
    requests = fit_context(_requests(batch, trace), load_model(model).max_context)
    return simulate_serving(model, target, requests, ServingConfig(max_batch=batch, seed=SEED))


def results(models=None, systems=None, batches=None, trace: str = DEFAULT_PROFILE) -> pd.DataFrame:
    """One row per (model, system, batch); by default :data:`MODELS` x :data:`SYSTEMS` x :data:`BATCHES`."""
    rows, chosen = [], models or MODELS
    for i, model in enumerate(chosen, 1):
        print(f"  duplex ({trace}): serving {model} ({i} of {len(chosen)})", flush=True)
        for batch in batches or BATCHES:
            for system in systems or SYSTEMS:
                r = run(model, system, batch, trace)
                rows.append({"model": model, "system": system, "batch": batch,
                             "throughput_tok_s": r.throughput_tok_s, "tbt_median_ms": r.tbt_median_ns / 1e6,
                             "energy_per_token_j": r.energy_per_token_j,
                             "dynamic_energy_per_token_j": r.dynamic_energy_per_token_j,
                             "static_energy_per_token_j": r.static_energy_per_token_j})
    return pd.DataFrame(rows, columns=COLUMNS)


def sensitivity(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The headline figures (rows) under each request trace (columns), beside the paper's."""
    frame = pd.DataFrame({trace: pd.Series(headline(table)) for trace, table in tables.items()})
    return frame.assign(paper=pd.Series(PAPER))


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
    return save_png(fig, path, dpi=110)


_NAMES = {"throughput_max": "throughput over GPU, max (x)",
          "throughput_mean": "throughput over GPU, mean (x)",
          "latency_max": "median time between tokens lower than GPU, max (x)",
          "energy_max": "energy per token saved vs GPU, max",
          "energy_mean": "energy per token saved vs GPU, mean",
          "bank_pim_mixtral_max": "over Bank-PIM on Mixtral, max (x)",
          "bank_pim_mixtral_mean": "over Bank-PIM on Mixtral, mean (x)"}


def pim_limits() -> pd.DataFrame:
    """Per PIM system: what each limit leaves of the column-rate peak, without and with the
    rated power budget (:mod:`arch.hbm_timing`), as multiples of the external bandwidth."""
    rows = {}
    for system in ("duplex", "bg_pim", "bank_pim"):
        device = load_hbm_device(SYSTEMS[system])
        rated = replace(device, pim_power_budget="rated").pim_limits
        limits, external = device.pim_limits, device.stack.external_bandwidth_bytes_per_s
        rows[system] = {"peak (x)": limits.peak_bytes_per_s / external, "refresh": limits.refresh_factor,
                        "activation": limits.activation_factor,
                        "sustained (x)": limits.achievable_bytes_per_s / external,
                        "power, rated budget": rated.power_factor,
                        "sustained, rated budget (x)": rated.achievable_bytes_per_s / external}
    return pd.DataFrame(rows).T


def dram_logic() -> pd.DataFrame:
    """Per PIM system: its units' clock as sized and as its process runs them, the FLOPs per
    stack that leaves, and the share of a stack's cells the units displace (:mod:`arch.hbm`:
    logic on a DRAM die priced from Samsung's HBM-PIM; Logic-PIM on the logic die pays none)."""
    rows = {}
    for system in ("duplex", "bg_pim", "bank_pim"):
        d = load_hbm_device(SYSTEMS[system])
        rows[system] = {"location": d.pim.location, "MAC lanes": d.pim.macs_per_cycle,
                        "clock as sized (MHz)": d.pim.clock_hz / 1e6, "clock run (MHz)": d.pim_clock_hz / 1e6,
                        "TFLOPS per stack": d.pim_flops / d.stacks / 1e12,
                        "Op/B sustained": d.pim_op_per_byte,
                        "cells displaced (share of stack)": d.pim_capacity_share}
    return pd.DataFrame(rows).T


def _gpu_baseline(profile: str) -> str:
    used, fit = _device("gpu", profile).xpu.memory_efficiency, calibrated_memory_efficiency()
    if profile == "calibrated":
        return (f"measured-calibrated, HBM efficiency {used:.3f} (the mean of DeepGEMM's measured "
                f"memory-bound H800 GEMMs)")
    return (f"roofline, HBM efficiency {used:.3f} (AttAcc's derate); DeepGEMM's measured memory-bound "
            f"H800 GEMMs reach {fit:.3f} on average (`--profile calibrated` uses that)")


def _energy_split(table: pd.DataFrame) -> pd.DataFrame:
    share = table.static_energy_per_token_j / table.energy_per_token_j
    return table.assign(static_share=share).pivot_table(index="system", values=[
        "dynamic_energy_per_token_j", "static_energy_per_token_j", "static_share"]).reindex(list(SYSTEMS))


def summary(table: pd.DataFrame, profile: str = DEFAULT_PROFILE,
            traces: dict[str, pd.DataFrame] | None = None) -> str:
    ours, r = headline(table), ratios(table)
    claims = pd.DataFrame({"ours": pd.Series(ours), "paper": pd.Series(PAPER)}).rename(index=_NAMES)
    devices = ", ".join(f"{m} {devices_for(m)}" for m in table.model.unique())
    lines = [f"# Duplex reproduction ({profile}: {PROFILES[profile]})", "",
             f"Devices per model (tensor parallel): {devices}.", "",
             f"GPU baseline and every system's xPU: {_gpu_baseline(profile)}.", "",
             "Duplex against the paper's claims (means are arithmetic over models x batch sizes):", "",
             claims.round(3).to_markdown(), "", "Per model and batch size:", "", r.round(3).to_markdown(), "",
             "Energy per output token, dynamic and static (mean over models x batch sizes, J):", "",
             _energy_split(table).round(4).to_markdown(), "",
             "PIM bandwidth per stack from HBM3 timing (multiples of the external 670 GB/s):", "",
             pim_limits().round(3).to_markdown(), "",
             "PIM logic and its process (DRAM-die units priced from Samsung's HBM-PIM; 1 or more: the "
             "units do not fit on the dies):", "", dram_logic().round(3).to_markdown(), ""]
    if traces:
        lines += ["How the headline figures move with the profile (request trace; the calibrated xPU):", "",
                  sensitivity(traces).rename(index=_NAMES).round(3).to_markdown(), ""]
    return "\n".join([*lines, _DIFFERENCES]) + "\n"


_DIFFERENCES = """## Where we differ from the paper and why

- Simulator: the paper uses a cycle-accurate simulator (Ramulator-based DRAM timing, GPU
  kernels profiled); ours is a roofline per op inside an event-driven continuous-batching
  loop. The xPU sees its peak FLOPs and the stacks' bandwidth derated by AttAcc's 0.8 / 0.85.
  PIM units see the column-rate peak at their location cut by HBM3 timing, derived once for
  every PIM kind (arch/hbm_timing.py, the table above): all-bank refresh (tRFC 450 ns of
  tREFI 3.9 us) and the activation window (four ACTs per tFAW of 30 ns per pseudo-channel),
  from AttAcc's Ramulator2 HBM3 model. Row misses, kernel launch and softmax/norm time are
  not modelled, so absolute tokens/s are upper bounds for every system.
- Energy per token is dynamic (FGDRAM segment energies per bit, AttAcc's on-chip and MAC
  energies, NVLink per bit) plus static power times the makespan on every device: the xPU's
  70 W [estimate: H100 idle board power], HBM3 standby and refresh from per-channel currents
  [estimate: DRAMsim3's HBM2 figures], PIM leakage [estimate: the xPU's W/mm^2 over
  Logic-PIM's 17.8 mm^2]. A large part of the saving vs the GPU is the xPU's static power:
  a faster system pays it for less time (the energy table above splits the two). The three
  static figures are estimates, not measurements, and the energy saving moves with them.
- Throughput over the GPU, max: our best case is Mixtral (and Grok-1) at batch 32, where
  the GPU streams every active expert's weights for a few tokens each at 85 % of the stacks'
  bandwidth while Logic-PIM reads them at 3.5x. It stays above the paper's 2.67x; the
  deciding inputs are the xPU's HBM efficiency and Logic-PIM's sustained 3.5x. A
  measured-calibrated xPU does not close the gap: DeepGEMM's measured memory-bound GEMMs
  on an H800 reach less of the HBM bandwidth than AttAcc's 0.85 (the line above), and the
  same xPU sits in every system, so `--profile calibrated` slows the GPU more than Duplex
  (whose xPU does the high-Op/B work) and raises the ratios. The paper profiles its GPU
  kernels, which we cannot; the xPU's 70 W static power stays an estimate (we found no
  primary source for an H100's idle power).
- Workload: the paper serves request traces with its own length distributions and device
  counts, which we do not have. The default takes request lengths in order from the Azure LLM
  inference trace 2023 (conversation; Splitwise, ISCA 2024), all requests waiting at time 0;
  the ``uniform`` profile draws synthetic lengths, and the table above shows both. Devices:
  the fewest powers of two whose memory holds the weights in 75 % of it. Requests longer
  than a model's context window are cut to it (GLaM's 1,024 tokens cut 217 of the first 384
  Azure requests). Attention in prefill counts the full (unmasked) score matrix, fused: the
  scores stay on chip.
- Placement: every op goes where its roofline is faster, and independent ops (experts, the
  attention of prefill and decode requests) are split between xPU and PIM at the Op/B order
  that minimizes the group's time, sharing the DRAM banks' bandwidth. The paper's scheduler
  may balance differently; expert routing here is expected-value (equal tokens per expert).
- Baselines: Bank-PIM has a unit per bank with 16 MACs each (sized by us so that its peak
  Op/B is 1 at the 16x column-rate peak, as the paper describes it); all-bank streaming
  needs four times the row activations tFAW allows, so it sustains 5.8x, not 16x. BG-PIM has
  Logic-PIM's MACs and bandwidth on the DRAM dies (docs/sources.md [duplex]). Both get the
  same Op/B placement and co-processing with the xPU as Duplex.
- Logic in the DRAM process (the table above; arch/data/pim/process/hbm2_pim.yaml): PIM units
  on a DRAM die are priced from the one HBM PIM built in silicon, Samsung's HBM-PIM (Kwon et
  al., ISSCC 2021; its organisation from Samsung's PIMSimulator). Its PCUs run at 300 MHz,
  one vector operation per same-bank-group column access of the HBM2 they sit in (1 / tCCD_L),
  so our bank and bank-group units run at 1 / tCCD_L of HBM3, half of Logic-PIM's 650 MHz on
  the logic die: BG-PIM keeps Logic-PIM's bandwidth with half its FLOPs, an Op/B below the
  GQA attention of Mixtral and Llama-3 (4-8), and Bank-PIM's Op/B drops as far. This is what
  moves Duplex's lead over Bank-PIM on Mixtral and puts BG-PIM behind Duplex in throughput.
  Area: a PIM die keeps half its cells for 512 FP16 lanes (6 GB stacks of four standard 8 Gb
  dies and four PIM dies), so a lane displaces 1/1024 of a die. At that density neither the
  paper's BG-PIM nor our Bank-PIM fits on an 8-high stack (the last column above), which is
  the paper's argument against BG-PIM in numbers. We still simulate both with their full
  capacity (there is none left to simulate), so their figures are upper bounds. Energy:
  BG-PIM still saves more energy per token than Duplex on average, since its bytes skip the
  bank-group-to-I/O and TSV segments (FGDRAM) and we found no sourced energy for a MAC in the
  DRAM process; the deciding inputs are the FGDRAM segment energies and AttAcc's 0.32 pJ per
  MAC, used at every location. On models with plain multi-head attention (GLaM, OPT-66B:
  attention at Op/B 1) Bank-PIM's bandwidth wins, as the paper's premise says it should.
- Power budget: under AttAcc's constraint (a PIM may draw what a standard stack draws at its
  rated bandwidth, ``pim_power_budget: rated``) Logic-PIM would sustain only about 1x and
  BG-PIM 2x (the table above): 4x TSVs move four times the bits across the DRAM dies' column
  and bank-group buses. The built-in devices carry no budget, as the paper assumes the stack
  delivers Logic-PIM's bandwidth; the table shows what that assumption is worth.
"""


def reproduce(out_dir: Path, profile: str | None = None) -> list[Path]:
    """Write the table, plot and summary of ``profile`` (:data:`PROFILES`), with every other
    trace's headline figures beside it in the summary."""
    profile = profile or DEFAULT_PROFILE
    stem = "duplex" if profile == DEFAULT_PROFILE else f"duplex_{profile}"
    out_dir = Path(out_dir)
    others = (t for t in TRACE_PROFILES if t != profile)
    tables = {trace: results(trace=trace) for trace in (profile, *others)}
    table = tables[profile]
    csv = out_dir / f"{stem}.csv"
    table.to_csv(csv, index=False)
    plot = plot_ratios(table, out_dir / f"{stem}_ratios.png")
    md = out_dir / f"{stem}_summary.md"
    md.write_text(summary(table, profile, tables))
    return [csv, plot, md]
