"""``bitplane simulate DESIGN MODEL``: one design point on one workload, op by op.

    bitplane simulate bitmod_fp16 llama-2-7b --phase decode
    bitplane simulate path/to/my_design.yaml qwen3-1.7b --phase prefill --context 512 --fidelity event
    bitplane designs            (the built-in designs, models and energy tables)
"""

from __future__ import annotations

from pathlib import Path

from arch import ACCELERATORS, TABLES, load_accelerator
from arch.workloads import MODELS, expand
from sim import simulate_workload
from sim.energy import timing_flags
from sim.events import simulate_workload_events

from .errors import UserError

_COLUMNS = ["op", "repeats", "compute_cycles", "memory_cycles", "cycles", "bound", "utilization", "energy_pj"]


def cmd_simulate(args) -> int:
    acc = load_accelerator(args.design)
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
          f"{result.total_energy_pj / 1e6:.3f} uJ, {result.macs / 1e9:.3f} GMAC")
    energy = ", ".join(f"{c} {v / 1e6:.4g}" for c, v in sorted(result.energy_pj.items()))
    print(f"energy by component (uJ): {energy}")
    for flag in timing_flags({k for op in result.ops for k in op.actions}, acc.energy, acc.clock_hz):
        print(f"timing: {flag} (the unit needs pipelining this table does not price)")
    if acc.area_missing:
        print(f"area: {acc.area_mm2:.4g} mm^2 without {', '.join(acc.area_missing)} (no sourced "
              "or synthesized figure)")
    if args.csv:
        args.csv.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(args.csv, index=False)
        print(f"wrote {args.csv}")
    return 0


def cmd_designs(args) -> int:
    for title, names in (("designs", ACCELERATORS), ("models", MODELS), ("energy tables", TABLES)):
        print(f"{title}: {', '.join(names)}")
    return 0


def register(sub) -> None:
    p = sub.add_parser("simulate", help="one design point on one LLM workload, op by op")
    p.add_argument("design", help="built-in design name or a YAML file")
    p.add_argument("model", help="built-in model name or a YAML file")
    p.add_argument("--phase", choices=["prefill", "decode"], default="decode")
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--context", type=int, default=256)
    p.add_argument("--weight-format", default="fp16")
    p.add_argument("--activation-format", default="fp16")
    p.add_argument("--kv-format", default="fp16")
    p.add_argument("--fidelity", choices=["analytic", "event"], default="analytic")
    p.add_argument("--csv", type=Path, help="also write the per-op table here")
    p.set_defaults(func=cmd_simulate)
    p = sub.add_parser("designs", help="list the built-in designs, models and energy tables")
    p.set_defaults(func=cmd_designs)
