"""A flat gate-level netlist as Yosys writes it (cells only), and its per-net cut for power.

The 2019 OpenSTA build ignores activity set on internal pins: it propagates activity from
the input ports through each cell's function. ``cut`` therefore rewrites the netlist so that
every net is an input port (carrying the activity simulated on that net) feeding the net's
loads, and every driving output pin drives an output port loaded with the capacitance of the
input pins it drove. Each cell then sees its simulated input activity; only its own output
activity is derived by the tool, one gate deep, from its inputs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ._liberty import Liberty

_PORT = re.compile(r"^\s*(input|output)\s+(?:\[(\d+):(\d+)\]\s+)?(\S+?)\s*;", re.M)
_INST = re.compile(r"^\s*(\S+)\s+(\S+)\s*\((.*?)\);", re.M | re.S)
_CONN = re.compile(r"\.(\w+)\(([^()]*)\)")


@dataclass(frozen=True)
class Instance:
    cell: str
    name: str
    pins: tuple[tuple[str, str], ...]   # (pin, net bit); unconnected pins are absent


@dataclass(frozen=True)
class Netlist:
    module: str
    inputs: tuple[tuple[str, int], ...]   # (port, width)
    outputs: tuple[tuple[str, int], ...]
    instances: tuple[Instance, ...]

    def input_bits(self) -> list[str]:
        return [b for name, w in self.inputs for b in _bits(name, w)]


def _bits(name: str, width: int) -> list[str]:
    return [name] if width == 0 else [f"{name}[{i}]" for i in range(width)]


def parse_netlist(text: str) -> Netlist:
    """Ports and cell instances of the single module in ``text``."""
    module = re.search(r"^module\s+(\S+)\s*\(", text, re.M).group(1)
    ports: dict[str, list] = {"input": [], "output": []}
    for kind, msb, lsb, name in _PORT.findall(text):
        width = 0 if msb == "" else int(msb) - int(lsb) + 1
        if lsb not in ("", "0"):
            raise ValueError(f"port {name}: ranges must end at bit 0, not [{msb}:{lsb}]")
        ports[kind].append((name, width))
    if re.search(r"^\s*assign\s", text, re.M):
        raise ValueError("netlist has assign statements (no tie or buffer cell in the library?)")
    body = text[text.index(");") + 2:]
    instances = []
    for cell, name, conns in _INST.findall(body):
        if cell in ("input", "output", "wire", "module", "assign"):
            continue
        pins = tuple((p, n.strip()) for p, n in _CONN.findall(conns) if n.strip())
        instances.append(Instance(cell, name, pins))
    return Netlist(module, tuple(ports["input"]), tuple(ports["output"]), tuple(instances))


@dataclass(frozen=True)
class Cut:
    """The cut netlist's text, its input port per net and each output port's load (pF)."""

    text: str
    port_of_net: dict[str, str]
    loads_pf: dict[str, float]
    instance_names: dict[str, str]  # cut name (i<k>) -> netlist instance name


def cut(netlist: Netlist, lib: Liberty) -> Cut:
    """Every net becomes input port ``n<k>``; every driving pin drives output port ``d<k>``."""
    port_of_net: dict[str, str] = {}
    loads: dict[str, float] = {}
    lines = []
    names = {}
    for index, inst in enumerate(netlist.instances):
        cell = lib.cells[inst.cell]
        conns = []
        for pin, net in inst.pins:
            k = port_of_net.setdefault(net, f"n{len(port_of_net)}")
            if pin in cell.outputs:
                conns.append(f".{pin}(d{k[1:]})")
            else:
                conns.append(f".{pin}({k})")
                loads[k] = loads.get(k, 0.0) + cell.pin(pin).capacitance_pf
        names[f"i{index}"] = inst.name
        lines.append(f"  {inst.cell} i{index} ({', '.join(conns)});")
    driven = {f"d{k[1:]}" for inst in netlist.instances for pin, net in inst.pins
              if pin in lib.cells[inst.cell].outputs for k in [port_of_net[net]]}
    ins = sorted(port_of_net.values(), key=lambda p: int(p[1:]))
    outs = sorted(driven, key=lambda p: int(p[1:]))
    head = [f"module {netlist.module}_cut ({', '.join(ins + outs)});"]
    head += [f"  input {p};" for p in ins] + [f"  output {p};" for p in outs]
    out_loads = {d: loads.get(f"n{d[1:]}", 0.0) for d in outs}
    return Cut("\n".join(head + lines + ["endmodule", ""]), port_of_net, out_loads, names)
