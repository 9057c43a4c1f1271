"""``bitplane simulate DESIGN MODEL``: one design point on one workload, op by op.

    bitplane simulate bitmod_fp16 llama-2-7b --phase decode
    bitplane simulate duplex mixtral-8x7b --batch 64 --context 1024
    bitplane simulate path/to/my_design.yaml qwen3-1.7b --phase prefill --context 512 --fidelity event
    bitplane simulate b200 llama-2-7b --weight-format mxfp4 --activation-format mxfp8_e4m3
    bitplane simulate bitmod_fp16 llama-2-7b --scope gemm   (GEMMs only, dense attention)
    bitplane designs            (the built-in designs, models and energy tables)
"""

from __future__ import annotations

from pathlib import Path

from arch import DESIGNS, TABLES, Accelerator, family_of, load_design
from arch.workloads import MODELS, expand
from sim import simulate

from .errors import UserError

_COLUMNS = ["op", "repeats", "compute_cycles", "memory_cycles", "cycles", "bound", "utilization", "energy_pj",
            "mapping"]


def _scope(asked: str | None, design) -> str:
    """Whole layers where the family prices vector ops (accelerators), else GEMMs only."""
    return asked or ("layer" if isinstance(design, Accelerator) else "gemm")


def cmd_simulate(args) -> int:
    design = load_design(args.design)
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
          f"{result.total_energy_pj / 1e6:.3f} uJ, {result.macs / 1e9:.3f} GMAC")
    if args.csv:
        args.csv.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(args.csv, index=False)
        print(f"wrote {args.csv}")
    return 0


def cmd_designs(args) -> int:
    for title, names in (("designs", DESIGNS), ("models", MODELS), ("energy tables", TABLES)):
        print(f"{title}: {', '.join(names)}")
    return 0


def register(sub) -> None:
    p = sub.add_parser("simulate", help="one design point on one LLM workload, op by op")
    p.add_argument("design", help="built-in design of any family (bitplane designs) or a YAML file")
    p.add_argument("model", help="built-in model name or a YAML file")
    p.add_argument("--phase", choices=["prefill", "decode"], default="decode")
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--context", type=int, default=256)
    p.add_argument("--weight-format", default="fp16")
    p.add_argument("--activation-format", default="fp16")
    p.add_argument("--kv-format", default="fp16")
    p.add_argument("--fidelity", choices=["analytic", "event"], default="analytic")
    p.add_argument("--scope", choices=["layer", "gemm"], default=None,
                   help="whole layers (vector ops, causal FlashAttention tiles) or GEMMs only; "
                        "default: layer for accelerators, gemm for PIM and FPGA designs")
    p.add_argument("--csv", type=Path, help="also write the per-op table here")
    p.set_defaults(func=cmd_simulate)
    p = sub.add_parser("designs", help="list the built-in designs, models and energy tables")
    p.set_defaults(func=cmd_designs)
