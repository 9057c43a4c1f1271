"""``bitplane simulate DESIGN MODEL``: one design point on one workload, op by op.

    bitplane simulate bitmod_fp16 llama-2-7b --phase decode
    bitplane simulate path/to/my_design.yaml qwen3-1.7b --phase prefill --context 512 --fidelity event
    bitplane designs            (the built-in designs, models and energy tables)
"""

from __future__ import annotations

import pandas as pd

from arch import ACCELERATORS, TABLES, load_accelerator
from arch.units import BitSerialArray, MXTensorCore
from arch.workloads import MODELS, expand
from sim import simulate_workload
from sim.events import simulate_workload_events

from .errors import UserError
from .options import MAX_BATCH, MAX_CONTEXT, bounded_int, limits, out_file
from .pricing import check_priced
from .store import write_csv

_COLUMNS = ["op", "repeats", "compute_cycles", "memory_cycles", "cycles", "bound", "utilization", "energy_pj"]


def cmd_simulate(args) -> int:
    acc = load_accelerator(args.design)
    check_priced(acc, str(args.design))
    try:
        workload = expand(args.model, args.phase, args.batch, args.context, args.weight_format,
                          args.activation_format, args.kv_format)
        run = simulate_workload_events if args.fidelity == "event" else simulate_workload
        result = run(workload, acc)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    frame = result.to_frame()
    print(f"{acc.name} | {workload.model} {workload.phase} batch {workload.batch} context {workload.context} "
          f"| weights {workload.weight_format} | {args.fidelity}")
    print(frame[_COLUMNS].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    print(f"total: {result.cycles:,} cycles = {result.latency_s * 1e3:.3f} ms, "
          f"{result.total_energy_pj:.4g} pJ, {result.macs / 1e9:.3f} GMAC")
    write_csv(frame, args.csv)
    return 0


def _formats(unit) -> str:
    """What a unit's datapath runs: MX tensor cores only their rated schemes."""
    if isinstance(unit, MXTensorCore):
        return ", ".join(sorted(unit.rates))
    if isinstance(unit, BitSerialArray):
        return f"any (priced by bits); weight types {', '.join(unit.weight_types)}"
    return "any element or block format (priced by bits)"


def designs_table() -> pd.DataFrame:
    """One row per built-in design: family, array, clock, DRAM bandwidth, supported formats."""
    rows = []
    for name in ACCELERATORS:
        acc = load_accelerator(name)
        rows.append({"design": name, "family": acc.unit.TYPE, "array": f"{acc.unit.rows}x{acc.unit.cols}",
                     "clock_hz": f"{acc.clock_hz:.4g}",
                     "dram_bytes_per_s": f"{acc.dram.bandwidth_bytes_per_s:.4g}",
                     "formats": _formats(acc.unit)})
    return pd.DataFrame(rows)


def cmd_designs(args) -> int:
    print(designs_table().to_string(index=False))
    for title, names in (("models", MODELS), ("energy tables", TABLES)):
        print(f"{title}: {', '.join(names)}")
    return 0


def register(sub) -> None:
    p = sub.add_parser("simulate", help="one design point on one LLM workload, op by op")
    p.add_argument("design", help="built-in design name or a YAML file")
    p.add_argument("model", help="built-in model name or a YAML file")
    p.add_argument("--phase", choices=["prefill", "decode"], default="decode")
    p.add_argument("--batch", type=bounded_int(1, MAX_BATCH), default=1, help=f"({limits(1, MAX_BATCH)})")
    p.add_argument("--context", type=bounded_int(1, MAX_CONTEXT), default=256,
                   help=f"tokens ({limits(1, MAX_CONTEXT)}, and at most the model's max_context)")
    p.add_argument("--weight-format", default="fp16")
    p.add_argument("--activation-format", default="fp16")
    p.add_argument("--kv-format", default="fp16")
    p.add_argument("--fidelity", choices=["analytic", "event"], default="analytic")
    p.add_argument("--csv", type=out_file, help="also write the per-op table to this CSV file")
    p.set_defaults(func=cmd_simulate)
    p = sub.add_parser("designs", help="list the built-in designs, models and energy tables")
    p.set_defaults(func=cmd_designs)
