"""Zero-delay levelized simulation of a combinational gate-level netlist from the Liberty
cells' own Boolean functions, vectorized over the operand vectors.

Every cell is evaluated once per vector, in topological order, on numpy Boolean arrays (one
element per vector): the logical value each net settles to, which is what the zero-delay
Icarus run (``_gatesim``) records in its VCD. Its activity (transitions per cycle and time at
1 of every net bit) follows the Icarus testbench's timeline exactly: vector 0 is the warm-up,
the dump starts with vector 1, and every later vector is one clock period.

It reads nothing but the Liberty file (``function`` of each output pin), so it is an
independent second simulator of the same netlist: ``tests/rtl/test_physical.py`` checks the
two agree net for net. A netlist with sequential cells needs Icarus.
"""

from __future__ import annotations

import re
from collections import defaultdict

import numpy as np

from ._gatesim import Activity, GateSimError
from ._liberty import Liberty
from ._netlist import Netlist

_TOKENS = re.compile(r"\s*(?:([A-Za-z_]\w*)|([01])|(.))")
_OPERATORS = {"!": "~", "&": "&", "*": "&", "|": "|", "+": "|", "^": "^", "(": "(", ")": ")"}


def _python(function: str, inputs: set[str]) -> str:
    """A Liberty function (``!``, ``&``/``*``, ``|``/``+``, ``^``, parentheses, pin names,
    0/1) as a Python expression over Boolean arrays; anything else is refused."""
    out = []
    for name, const, op in _TOKENS.findall(function):
        if name:
            if name not in inputs:
                raise GateSimError(f"Liberty function {function!r} names {name!r}, not an input")
            out.append(f"p[{name!r}]")
        elif const:
            out.append(f"k{const}")
        elif op.strip():
            if op not in _OPERATORS:
                raise GateSimError(f"Liberty function {function!r}: operator {op!r} not supported")
            out.append(_OPERATORS[op])
    return " ".join(out)


def _compiled(lib: Liberty, cell_name: str, cache: dict) -> dict:
    """Output pin -> code evaluating its function, for one cell type (compiled once)."""
    if cell_name not in cache:
        cell = lib.cells[cell_name]
        inputs = {p.name for p in cell.pins if p.direction == "input"}
        funcs = {}
        for pin in cell.pins:
            if pin.direction == "output":
                if not pin.function:
                    raise GateSimError(f"{cell_name}.{pin.name} has no Liberty function")
                funcs[pin.name] = compile(_python(pin.function, inputs), cell_name, "eval")
        cache[cell_name] = funcs
    return cache[cell_name]


def is_combinational(netlist: Netlist, lib: Liberty) -> bool:
    return not any(lib.cells[i.cell].sequential for i in netlist.instances)


def _input_values(netlist: Netlist, operands: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    values = {}
    for name, width in netlist.inputs:
        word = np.asarray(operands.get(name, np.zeros(len(next(iter(operands.values()))))),
                          dtype=object)
        for i in range(max(width, 1)):
            bit = name if width == 0 else f"{name}[{i}]"
            values[bit] = np.array([(int(v) >> i) & 1 for v in word], dtype=bool)
    return values


def settle(netlist: Netlist, lib: Liberty, operands: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Every net bit's value for each operand vector (port -> integer per vector)."""
    values = _input_values(netlist, operands)
    n = len(next(iter(values.values())))
    consts = {"k0": np.zeros(n, bool), "k1": np.ones(n, bool)}
    waiting: dict[str, list[int]] = defaultdict(list)
    missing = []
    cache: dict = {}
    for index, inst in enumerate(netlist.instances):
        outs = lib.cells[inst.cell].outputs
        pending = {net for pin, net in inst.pins if pin not in outs and net not in values}
        for net in pending:
            waiting[net].append(index)
        missing.append(len(pending))
    ready = [i for i, m in enumerate(missing) if m == 0]
    done = 0
    while ready:
        inst = netlist.instances[ready.pop()]
        done += 1
        funcs = _compiled(lib, inst.cell, cache)
        pins = {pin: values[net] for pin, net in inst.pins if pin not in funcs}
        for pin, net in inst.pins:
            if pin in funcs:
                values[net] = np.asarray(eval(funcs[pin], consts, {"p": pins}), dtype=bool)  # noqa: S307
                for j in waiting.pop(net, ()):
                    missing[j] -= 1
                    if missing[j] == 0:
                        ready.append(j)
    if done != len(netlist.instances):
        raise GateSimError(f"{len(netlist.instances) - done} cells are on a combinational loop "
                           "or read an undriven net")
    return values


def simulate(netlist: Netlist, lib: Liberty, operands: dict[str, np.ndarray]) -> Activity:
    """Per-net activity over vectors 1.. of ``operands`` (vector 0 is the warm-up)."""
    if not is_combinational(netlist, lib):
        raise GateSimError("the levelized simulator takes combinational netlists only")
    values = settle(netlist, lib, operands)
    cycles = len(next(iter(values.values()))) - 1
    toggles, duty = {}, {}
    for net, v in values.items():
        run = v[1:]
        toggles[net] = float(np.count_nonzero(run[1:] != run[:-1])) / cycles
        duty[net] = float(np.count_nonzero(run)) / cycles
    return Activity(cycles, toggles, duty)
