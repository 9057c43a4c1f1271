"""The energy table that ``bitplane calibrate`` writes from the gate-level results.

One entry per action the simulator prices (``arch/data/tech/*.yaml`` format), each with its
source: the design point it was measured on, the Liberty library and corner, the clock, the
data distribution and the tools. ``mx_pe.mac_<scheme>`` is a whole block dot unit's energy
per MAC (multipliers, alignment, adder tree, both block scales and the FP32 rounding of the
block sum: the dot units do all of it in one cycle), so ``mx_pe.block_scale`` is zero here:
the block-scale work is inside the MAC figure. Schemes without a dot unit in RTL get no
entry rather than a guess.
"""

from __future__ import annotations

import re

import yaml

DEFAULT_DISTRIBUTION = "gaussian"

# design point -> action it prices (dot units: per MAC; quantizers: per element)
ACTIONS = {
    "dot_mxfp8_e4m3_exact": "mx_pe.mac_mxfp8_e4m3",
    "dot_mxfp8_e4m3_trunc25": "mx_pe.mac_mxfp8_e4m3_trunc25",
    "dot_mxfp4_exact": "mx_pe.mac_mxfp4",
    "dot_mxint8_exact": "mx_pe.mac_mxint8",
    "dot_nvfp4_exact": "mx_pe.mac_nvfp4",
    "quant_mxfp8_e4m3": "mx_quant.element_mxfp8_e4m3",
    "quant_mxfp4": "mx_quant.element_mxfp4",
    "mul_fp8_e4m3": "elem_mul.mac_fp8_e4m3",
    "mul_fp8_e5m2": "elem_mul.mac_fp8_e5m2",
    "mul_fp6_e2m3": "elem_mul.mac_fp6_e2m3",
    "mul_fp4_e2m1": "elem_mul.mac_fp4_e2m1",
    "mul_int8": "elem_mul.mac_int8",
    "lmul_bf16": "lmul.mul_bf16",
    "lmul_fp8_e4m3": "lmul.mul_fp8_e4m3",
    "pim_mac_fp16_bf16": "pim_mac.mac_fp16",
    "pe_bitserial_2bpc": "bitserial_pe.mac_int4_2bpc",
    "pe_bitserial_1bpc": "bitserial_pe.mac_int4_1bpc",
}


def node_nm(library: str) -> int:
    """The process node a library name states (sky130 -> 130); 0 when it states none."""
    m = re.search(r"(?:sky|gf|tsmc|n)(\d{2,3})", library, re.I)
    return int(m.group(1)) if m else 0


def _source(row: dict, tools: dict, dist: str) -> str:
    others = ", ".join(f"{d} {e:.4g}" for d, e in row["energy_pj_per_op"].items() if d != dist)
    return (f"gate-level: {row['name']} ({row['top']}) on {row['library']} ({row['corner']}), "
            f"{row['clock_mhz']:g} MHz, {row['cycles']} cycles of {dist} operands "
            f"(other data: {others} pJ); area {row['area_um2']:.0f} um^2, fmax "
            f"{row['fmax_mhz']:.0f} MHz; {tools['yosys'].split(' (')[0]}, {tools['opensta']}, "
            f"{tools['icarus'].split(' (')[0]}")


def table(results: dict, name: str, distribution: str = DEFAULT_DISTRIBUTION,
          node_override: int | None = None) -> dict:
    """The energy table (a dict ready for YAML) from a ``rtl_models.physical`` results file."""
    node = node_override or node_nm(results["library"])
    entries = {}
    for row in results["rows"]:
        action = ACTIONS.get(row["name"], f"{row['unit']}.{row.get('op', 'op')}_{row['name']}")
        energies = row.get("energy_pj_per_op") or {}
        if distribution not in energies:
            continue
        entries[action] = {"energy_pj": round(energies[distribution], 6),
                           "source": _source(row, results["tools"], distribution), "node_nm": node}
    if any(k.startswith("mx_pe.mac_") for k in entries):
        entries["mx_pe.block_scale"] = {
            "energy_pj": 0.0, "node_nm": node,
            "source": "inside the mx_pe.mac_* gate-level figures: the dot units apply both block "
                      "scales and round the block sum in the same cycle"}
    return {"schema_version": 1, "name": name, "node_nm": node, "entries": entries}


def write_table(results: dict, path, name: str, distribution: str = DEFAULT_DISTRIBUTION,
                node_override: int | None = None) -> dict:
    data = table(results, name, distribution, node_override)
    head = (f"# Energy per action from our own RTL on {results['library']} ({results['corner']}):\n"
            f"# written by `bitplane calibrate` from {results.get('results_file', 'the results file')}"
            f"; regenerate it with that command.\n# Method: {results['method']}.\n"
            f"# Data distribution of every entry: {distribution} (each source lists the others).\n")
    with open(path, "w") as f:
        f.write(head)
        yaml.safe_dump(data, f, sort_keys=False, width=1000)
    return data
