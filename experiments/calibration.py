"""The energy table that ``bitplane calibrate`` writes from the gate-level results.

One entry per action the simulator prices (``arch/data/tech/*.yaml`` format), each with its
source: the design point it was measured on, the Liberty library and corner, the clock, the
data distribution and the tools. A block dot unit's energy (``energy_by_block_pj_per_op``)
is split into what the simulator charges apart:

- ``mx_pe.mac_<scheme>``: multipliers, element decoders and the top-level logic (alignment,
  adder tree, the scale exponent add or significand product written inline), per MAC;
- ``mx_scale.block_<scheme>``: the block's scale path, per block: the UE4M3 scale decoders
  and the normalisation that applies the scale exponent and rounds the block sum to FP32;
- ``mx_quant.element_<scheme>``: the FP32 -> MX quantizer, per quantized element.

A scheme with no unit of its own in RTL gets a stand-in: the nearest measured unit's figure,
and its source says so ("stand-in"). Nothing is guessed silently.
"""

from __future__ import annotations

import re

import yaml

DEFAULT_DISTRIBUTION = "gaussian"
SCALE_BLOCKS = ("normalisation", "scale decode")

# design point -> (scheme, kind) for the MX actions; the other rows price themselves by name
MX_ROWS = {
    "dot_mxfp8_e4m3_exact": ("mxfp8_e4m3", "dot"),
    "dot_mxfp4_exact": ("mxfp4", "dot"),
    "dot_mxint8_exact": ("mxint8", "dot"),
    "dot_nvfp4_exact": ("nvfp4", "dot"),
    "quant_mxfp8_e4m3": ("mxfp8_e4m3", "quant"),
    "quant_mxfp4": ("mxfp4", "quant"),
}
# scheme without its own RTL -> (scheme measured instead, why that one)
STAND_INS = {
    "mac": {"mxfp8_e5m2": ("mxfp8_e4m3", "same dot unit, other 8-bit float elements"),
            "mxfp6_e2m3": ("mxfp8_e4m3", "same dot unit with wider elements: an upper bound"),
            "mxfp6_e3m2": ("mxfp8_e4m3", "same dot unit with wider elements: an upper bound"),
            "mxint4": ("mxint8", "the MXINT8 dot unit: an upper bound"),
            "mxint6": ("mxint8", "the MXINT8 dot unit: an upper bound"),
            "nvint4": ("mxint8", "the MXINT8 dot unit: an upper bound")},
    "scale": {"mxfp8_e5m2": ("mxfp8_e4m3", "E8M0 scales"), "mxfp6_e2m3": ("mxfp8_e4m3", "E8M0"),
              "mxfp6_e3m2": ("mxfp8_e4m3", "E8M0"), "mxint4": ("mxint8", "E8M0"),
              "mxint6": ("mxint8", "E8M0"), "nvint4": ("nvfp4", "UE4M3 scales, 16-element blocks")},
    "quant": {s: ("mxfp8_e4m3", "an 8-bit MX quantizer") for s in
              ("mxint8", "mxfp8_e5m2", "mxfp6_e2m3", "mxfp6_e3m2", "mxint6")}
    | {s: ("mxfp4", "a 4-bit MX quantizer (the NV two-level scale is not in it)") for s in
       ("nvfp4", "nvint4", "mxint4")},
}
# a stand-in's own unit missing too: the next nearest measured one
SECOND_CHOICE = {"quant": {"mxfp4": ("mxfp8_e4m3", "the 8-bit MX quantizer (the 4-bit one "
                                                   "has no row): an upper bound")}}
ACTION = {"mac": "mx_pe.mac_{}", "scale": "mx_scale.block_{}", "quant": "mx_quant.element_{}"}


def node_nm(library: str) -> int:
    """The process node a library name states (sky130 -> 130); 0 when it states none."""
    m = re.search(r"(?:sky|gf|tsmc|n)(\d{2,3})", library, re.I)
    return int(m.group(1)) if m else 0


def _source(row: dict, tools: dict, dist: str, what: str) -> str:
    others = ", ".join(f"{d} {e:.4g}" for d, e in row["energy_pj_per_op"].items() if d != dist)
    mapping = f", {row['multipliers']} multipliers" if "multipliers" in row else ""
    return (f"gate-level: {row['name']} ({row['top']}{mapping}) on {row['library']} ({row['corner']}), "
            f"{what}; {row['clock_mhz']:g} MHz, {row['cycles']} cycles of {dist} operands "
            f"(whole unit on other data, pJ/{row['op']}: {others}); area {row['area_um2']:.0f} "
            f"um^2, fmax {row['fmax_mhz']:.0f} MHz; {tools['yosys'].split(' (')[0]}, "
            f"{tools['opensta']}, {tools['icarus'].split(' (')[0]}")


def _mx_entries(row: dict, tools: dict, dist: str, node: int) -> dict[str, dict]:
    scheme, kind = MX_ROWS[row["name"]]
    total = row["energy_pj_per_op"][dist]
    if kind == "quant":
        return {ACTION["quant"].format(scheme): _entry(
            total, _source(row, tools, dist, "the whole quantizer per element"), node,
            row["fmax_mhz"])}
    blocks = row["energy_by_block_pj_per_op"][dist]
    scale = sum(blocks.get(b, 0.0) for b in SCALE_BLOCKS)
    per_block = row["ops_per_cycle"]
    return {
        ACTION["mac"].format(scheme): _entry(total - scale, _source(
            row, tools, dist, "dot unit less its scale path, per MAC"), node, row["fmax_mhz"]),
        ACTION["scale"].format(scheme): _entry(scale * per_block, _source(
            row, tools, dist, f"scale path ({' + '.join(SCALE_BLOCKS)}) per block of "
            f"{per_block:g}"), node, row["fmax_mhz"])}


def _entry(energy_pj: float, source: str, node: int, fmax_mhz: float) -> dict:
    return {"energy_pj": round(energy_pj, 6), "source": source, "node_nm": node,
            "fmax_mhz": fmax_mhz}


def supply_v(results: dict) -> float | None:
    """The supply the results were simulated at: the Liberty's nominal voltage, else the one
    its corner name states (tt_025C_1v80 -> 1.8); None when neither says."""
    if results.get("vdd_v"):
        return float(results["vdd_v"])
    m = re.search(r"_(\d+)v(\d+)$", results.get("corner", ""))
    return float(f"{m.group(1)}.{m.group(2)}") if m else None


def _stand_ins(entries: dict) -> None:
    for kind, table in SECOND_CHOICE.items():
        for scheme, (measured, why) in table.items():
            key, base = ACTION[kind].format(scheme), ACTION[kind].format(measured)
            if key not in entries and base in entries:
                entries[key] = {**entries[base],
                                "source": f"stand-in, no {scheme} row: {base} ({why}); "
                                          + entries[base]["source"]}
    for kind, table in STAND_INS.items():
        for scheme, (measured, why) in table.items():
            key, base = ACTION[kind].format(scheme), ACTION[kind].format(measured)
            if key not in entries and base in entries:
                entries[key] = {**entries[base],
                                "source": f"stand-in, no {scheme} unit in RTL: {base} ({why}); "
                                          + entries[base]["source"]}


def table(results: dict, name: str, distribution: str = DEFAULT_DISTRIBUTION,
          node_override: int | None = None) -> dict:
    """The energy table (a dict ready for YAML) from a ``rtl_models.physical`` results file."""
    node = node_override or node_nm(results["library"])
    entries = {}
    for row in results["rows"]:
        if distribution not in (row.get("energy_pj_per_op") or {}):
            continue
        mapping = row.get("multipliers")  # a non-default multiplier mapping: its own entry
        if row["name"] in MX_ROWS and mapping is None:
            entries.update(_mx_entries(row, results["tools"], distribution, node))
        else:
            suffix = f"_{mapping}" if mapping else ""
            entries[f"{row['unit']}.{row['op']}_{row['name']}{suffix}"] = _entry(
                row["energy_pj_per_op"][distribution],
                _source(row, results["tools"], distribution, f"whole unit per {row['op']}"), node,
                row["fmax_mhz"])
    _stand_ins(entries)
    vdd = supply_v(results)
    if vdd:  # node scaling starts from the supply the energy was measured at
        for entry in entries.values():
            entry["vdd_v"] = vdd
    return {"schema_version": 1, "name": name, "node_nm": node, **({"vdd_v": vdd} if vdd else {}),
            "entries": entries}


def write_table(results: dict, path, name: str, distribution: str = DEFAULT_DISTRIBUTION,
                node_override: int | None = None) -> dict:
    data = table(results, name, distribution, node_override)
    head = (f"# Energy per action from our own RTL on {results['library']} ({results['corner']}),\n"
            f"# written by `bitplane calibrate` from {results.get('results_file', 'its results')}"
            "; regenerate it with that command.\n"
            f"# Method: {results['method']}.\n"
            f"# Data distribution of every entry: {distribution} (each source lists the others).\n"
            "# mx_pe.mac_*: dot unit less its scale path, per MAC; mx_scale.block_*: the scale\n"
            "# path per block; mx_quant.element_*: the quantizer per element; stand-ins say so.\n")
    with open(path, "w") as f:
        f.write(head)
        yaml.safe_dump(data, f, sort_keys=False, width=1000)
    return data
