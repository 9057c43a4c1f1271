"""``bitplane simulate DESIGN MODEL``: one design point on one workload, op by op.

    bitplane simulate bitmod_fp16 llama-2-7b --phase decode
    bitplane simulate duplex mixtral-8x7b --batch 64 --context 1024
    bitplane simulate path/to/my_design.yaml qwen3-1.7b --phase prefill --context 512 --fidelity event
    bitplane simulate b200 llama-2-7b --weight-format mxfp4 --activation-format mxfp8_e4m3
    bitplane simulate bitmod_fp16 llama-2-7b --scope gemm   (GEMMs only, dense attention)
    bitplane designs            (the built-in designs, models and energy tables)
"""

from __future__ import annotations

import pandas as pd

from arch import DESIGNS, TABLES, Accelerator, family_of, load_design
from arch.design import describe
from arch.units import BitSerialArray, MXTensorCore, SmTensorCore
from arch.workloads import MODELS, expand
from sim import simulate
from sim.energy import timing_flags
from sim.run import design_facts

from .errors import UserError
from .options import MAX_BATCH, MAX_CONTEXT, bounded_int, limits, out_file
from .pricing import check_priced
from .store import write_csv

_COLUMNS = ["op", "repeats", "compute_cycles", "memory_cycles", "cycles", "bound", "utilization", "energy_pj",
            "mapping"]


def _scope(asked: str | None, design) -> str:
    """Whole layers where the family prices vector ops (accelerators), else GEMMs only."""
    return asked or ("layer" if isinstance(design, Accelerator) else "gemm")


def cmd_simulate(args) -> int:
    design = load_design(args.design)
    if isinstance(design, Accelerator):
        check_priced(design, str(args.design))
    try:
        workload = expand(args.model, args.phase, args.batch, args.context, args.weight_format,
                          args.activation_format, args.kv_format, scope=_scope(args.scope, design))
        result = simulate(design, workload, args.fidelity)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    frame = result.to_frame()
    print(f"{design.name} ({family_of(design)}) | {workload.model} {workload.phase} "
          f"batch {workload.batch} context {workload.context} "
          f"| weights {workload.weight_format} | {args.fidelity}")
    print(frame[_COLUMNS].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    print(f"total: {result.cycles:,} cycles = {result.latency_s * 1e3:.3f} ms, "
          f"{result.total_energy_pj:.4g} pJ, {result.macs / 1e9:.3f} GMAC")
    energy = ", ".join(f"{c} {v:.4g}" for c, v in sorted(result.energy_pj.items()))
    print(f"energy by component (pJ): {energy}")
    if isinstance(design, Accelerator):
        _physical_notes(design, result)
    write_csv(frame, args.csv)
    return 0


def _physical_notes(acc: Accelerator, result) -> None:
    """Units that cannot close timing at the design's clock, and parts without an area figure."""
    for flag in timing_flags({k for op in result.ops for k in op.actions}, acc.energy, acc.clock_hz):
        print(f"timing: {flag} (the unit needs pipelining this table does not price)")
    if acc.area_missing:
        print(f"area: {acc.area_mm2:.4g} mm^2 without {', '.join(acc.area_missing)} (no sourced "
              "or synthesized figure)")


def _formats(design) -> str:
    """What a design's datapath runs (the rules of :mod:`arch.support`)."""
    unit = getattr(design, "unit", None)
    if not isinstance(design, Accelerator):
        return "fp16, bf16"
    if isinstance(unit, MXTensorCore):
        return ", ".join(sorted(unit.rates))
    if isinstance(unit, SmTensorCore):
        return "MMA kinds " + ", ".join(k.name for k in unit.kind_table.kinds)
    if isinstance(unit, BitSerialArray):
        return f"any (priced by bits); weight types {', '.join(unit.weight_types)}"
    return "any element or block format (priced by bits)"


def designs_table() -> pd.DataFrame:
    """One row per built-in design: family, what it is, clock, memory bandwidth, formats."""
    rows = []
    for name in DESIGNS:
        design = load_design(name)
        facts = design_facts(design, "fp16")
        rows.append({"design": name, "family": family_of(design), "what": describe(design),
                     "clock_hz": f"{facts.clock_hz:.4g}",
                     "memory_bytes_per_s": f"{facts.memory_bandwidth_bytes_per_s:.4g}",
                     "formats": _formats(design)})
    return pd.DataFrame(rows)


def cmd_designs(args) -> int:
    print(designs_table().to_string(index=False))
    for title, names in (("models", MODELS), ("energy tables", TABLES)):
        print(f"{title}: {', '.join(names)}")
    return 0


def register(sub) -> None:
    p = sub.add_parser("simulate", help="one design point on one LLM workload, op by op")
    p.add_argument("design", help="built-in design of any family (bitplane designs) or a YAML file")
    p.add_argument("model", help="built-in model name or a YAML file")
    p.add_argument("--phase", choices=["prefill", "decode"], default="decode")
    p.add_argument("--batch", type=bounded_int(1, MAX_BATCH), default=1, help=f"({limits(1, MAX_BATCH)})")
    p.add_argument("--context", type=bounded_int(1, MAX_CONTEXT), default=256,
                   help=f"tokens ({limits(1, MAX_CONTEXT)}, and at most the model's max_context)")
    p.add_argument("--weight-format", default="fp16")
    p.add_argument("--activation-format", default="fp16")
    p.add_argument("--kv-format", default="fp16")
    p.add_argument("--fidelity", choices=["analytic", "event"], default="analytic")
    p.add_argument("--scope", choices=["layer", "gemm"], default=None,
                   help="whole layers (vector ops, causal FlashAttention tiles) or GEMMs only; "
                        "default: layer for accelerators, gemm for PIM and FPGA designs")
    p.add_argument("--csv", type=out_file, help="also write the per-op table to this CSV file")
    p.set_defaults(func=cmd_simulate)
    p = sub.add_parser("designs", help="list the built-in designs, models and energy tables")
    p.set_defaults(func=cmd_designs)
