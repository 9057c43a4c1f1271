"""Many designs of one family on one workload at once: the evaluator sweeps run.

    >>> from dataclasses import replace
    >>> from arch import load_design
    >>> from arch.workloads import expand
    >>> base = load_design("systolic_32x32_ws")
    >>> fleet = prepare([replace(base, unit=replace(base.unit, rows=r)) for r in (16, 32)])
    >>> many = fleet.run(expand("opt-1.3b", "decode", context=128))
    >>> many.cycles.shape[0], bool(many.total_cycles[0] >= many.total_cycles[1])
    (2, True)

:func:`prepare` takes designs of one root type and returns a fleet whose ``run(workload)``
gives a :class:`ManyResult`: ``(designs, ops)`` arrays with what a
:class:`sim.WorkloadResult` holds per op. Accelerators (systolic, MX tensor core,
bit-serial) run vectorized through :func:`sim.batch.evaluate_gemms`, the scalar
:func:`sim.simulate_gemm` formulas broadcast over design points; the per-format design
arrays are built once per fleet and reused for every workload. A whole-layer workload's
vector ops (``scope="layer"``) run through :func:`sim.vector.simulate_vector_op` once per
distinct vector unit and memory among the designs. HBM/PIM systems, LUT
accelerators and GPU tensor cores (``SmTensorCore``) run their one evaluator
(:data:`sim.run.EVALUATORS`) design by design (a sweep holds few of them; each is itself
vectorized over an op's pieces). Either way the scalar
path, :func:`sim.simulate`, is the reference: tests/equivalence holds the two equal on every
built-in design. Support for the workload's formats is checked for every design first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from arch import Accelerator
from arch.support import check_supported
from arch.units import SmTensorCore
from arch.workloads import Op, VectorOp, Workload

from .analytic import _quantizes_a, op_a_format, op_format
from .batch import BatchDesigns, Gemms, designs_from_accelerators, evaluate_gemms
from .result import WorkloadResult
from .run import EVALUATORS
from .vector import simulate_vector_op

__all__ = ["AcceleratorFleet", "ManyResult", "ScalarFleet", "gather", "prepare"]


@dataclass(frozen=True)
class ManyResult:
    """``designs x ops`` results of one workload: cycles (int64) and bytes are totals over an
    op's repeats, as :class:`sim.OpResult` holds them; ``energy_pj`` maps a component to its
    ``(designs, ops)`` energy; ``op_names`` may differ by design (a PIM op's placement)."""

    op_names: np.ndarray
    repeats: np.ndarray
    macs: np.ndarray
    compute_cycles: np.ndarray
    memory_cycles: np.ndarray
    cycles: np.ndarray
    dram_bytes: np.ndarray
    energy_pj: dict[str, np.ndarray]
    clock_hz: np.ndarray

    @property
    def total_cycles(self) -> np.ndarray:
        return self.cycles.sum(axis=1)

    @property
    def latency_s(self) -> np.ndarray:
        return self.total_cycles / self.clock_hz

    @property
    def total_energy_pj(self) -> np.ndarray:
        return sum(e.sum(axis=1) for e in self.energy_pj.values())


_SLOTS = ("compute", "scale", "quant", "dram", "weight", "input", "output")


def _slot_names(acc: Accelerator) -> tuple[str, ...]:
    unit = acc.unit  # an MX core's scale path and quantizer are components of their own
    return (unit.component, getattr(unit, "scale_component", unit.component),
            getattr(unit, "quant_component", unit.component), acc.dram.name, acc.weight_buffer.name,
            acc.input_buffer.name, acc.output_buffer.name)


@dataclass
class AcceleratorFleet:
    """Accelerators evaluated as arrays (see the module docstring)."""

    designs: tuple[Accelerator, ...]
    _arrays: dict = field(default_factory=dict, repr=False)
    _checked: set = field(default_factory=set, repr=False)  # formats + scope every design runs

    def _designs(self, b_format: str, b_bits: float, a_format: str) -> BatchDesigns:
        key = (b_format, b_bits, a_format)
        if key not in self._arrays:
            self._arrays[key] = designs_from_accelerators(self.designs, b_format, b_bits, a_format)
        return self._arrays[key]

    def run(self, workload: Workload) -> ManyResult:
        checked = (workload.weight_format, workload.activation_format, workload.kv_format,
                   workload.scope)
        if checked not in self._checked:  # support depends on the (frozen) design and these only
            for design in self.designs:
                check_supported(design, workload)
            self._checked.add(checked)
        ops, count = workload.ops, len(self.designs)
        shape = (count, len(ops))
        out = {k: np.zeros(shape, np.int64) for k in ("compute", "memory", "cycles")}
        dram, slots = np.zeros(shape), {s: np.zeros(shape) for s in _SLOTS}
        groups: dict[tuple[str, float, str], list[int]] = {}
        for j, op in enumerate(ops):
            if isinstance(op, Op):
                key = (op_format(workload, op), op.b_bits, op_a_format(workload, op))
                groups.setdefault(key, []).append(j)
        for (b_format, b_bits, a_format), cols in groups.items():
            fields = [(ops[j].m, ops[j].n, ops[j].k, ops[j].a_bits, ops[j].b_bits, ops[j].out_bits,
                       ops[j].repeats, ops[j].a_dram_fraction, ops[j].out_dram_fraction,
                       float(_quantizes_a(workload, ops[j]))) for j in cols]
            gemms = Gemms(*(np.array(v) for v in zip(*fields, strict=True)))
            r = evaluate_gemms(self._designs(b_format, b_bits, a_format), gemms)
            out["compute"][:, cols], out["memory"][:, cols], out["cycles"][:, cols] = (
                r.compute_cycles, r.memory_cycles, r.cycles)
            dram[:, cols] = r.dram_bytes
            for s in _SLOTS:
                slots[s][:, cols] = r.energy_by_slot_pj[s]
        energy = self._by_component(slots)
        self._vector_ops(ops, out, dram, energy)
        return ManyResult(np.broadcast_to(np.array([op.name for op in ops], object), shape),
                          np.array([op.repeats for op in ops]), np.array([op.macs for op in ops]),
                          out["compute"], out["memory"], out["cycles"], dram, energy,
                          np.array([d.clock_hz for d in self.designs]))

    def _vector_ops(self, ops, out: dict, dram: np.ndarray, energy: dict[str, np.ndarray]) -> None:
        """A whole layer's vector ops (norms, softmax, ...): the scalar model once per distinct
        vector unit, DRAM and price table among the designs (a block shares a few)."""
        cols = [j for j, op in enumerate(ops) if isinstance(op, VectorOp)]
        done: dict[tuple, list] = {}
        for i, d in enumerate(self.designs):
            key = (d.vector_unit, d.dram_bytes_per_cycle, d.dram, id(d.energy), id(d.price_aliases))
            if key not in done:
                done[key] = [simulate_vector_op(ops[j], d) for j in cols]
            for j, r in zip(cols, done[key], strict=True):
                out["compute"][i, j], out["memory"][i, j], out["cycles"][i, j] = (
                    r.compute_cycles, r.memory_cycles, r.cycles)
                dram[i, j] = r.dram_bytes
                for component, pj in r.energy_pj.items():
                    energy.setdefault(component, np.zeros(dram.shape))[i, j] += pj

    def _by_component(self, slots: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        if "names" not in self._arrays:
            self._arrays["names"] = np.array([_slot_names(d) for d in self.designs],
                                             object).reshape(-1, len(_SLOTS))
        names = self._arrays["names"]
        energy: dict[str, np.ndarray] = {}
        for i, slot in enumerate(_SLOTS):
            for name in dict.fromkeys(names[:, i]):
                mine = (names[:, i] == name)[:, None]
                part = np.where(mine, slots[slot], 0.0)
                energy[name] = energy[name] + part if name in energy else part
        return energy


def gather(results: Sequence[WorkloadResult]) -> ManyResult:
    """Scalar results of one workload (one per design, same ops) as one :class:`ManyResult`."""
    ops = [r.ops for r in results]
    grid = lambda f: np.array([[f(op) for op in row] for row in ops])  # noqa: E731
    names = sorted({c for r in results for c in r.energy_pj})
    energy = {c: grid(lambda op, c=c: op.energy_pj.get(c, 0.0)) for c in names}
    return ManyResult(np.array([[op.name for op in row] for row in ops], object),
                      np.array([op.repeats for op in ops[0]]), np.array([op.macs for op in ops[0]]),
                      grid(lambda op: op.compute_cycles).astype(np.int64),
                      grid(lambda op: op.memory_cycles).astype(np.int64),
                      grid(lambda op: op.cycles).astype(np.int64),
                      grid(lambda op: op.dram_bytes).astype(float), energy,
                      np.array([r.clock_hz for r in results], float))


@dataclass
class ScalarFleet:
    """Designs run one by one through their family's evaluator, gathered into arrays."""

    designs: tuple

    def run(self, workload: Workload) -> ManyResult:
        for design in self.designs:
            check_supported(design, workload)
        return gather([EVALUATORS[type(d)](d, workload, "analytic") for d in self.designs])


def prepare(designs: Sequence) -> AcceleratorFleet | ScalarFleet:
    """A fleet of ``designs`` (all of one root type: accelerators, HBM devices or LUT designs)."""
    designs = tuple(designs)
    kinds = {type(d) for d in designs}
    if len(kinds) != 1:
        raise ValueError(f"a fleet holds designs of one root type, not {sorted(k.__name__ for k in kinds)}")
    if kinds == {Accelerator} and all(_batchable(d) for d in designs):
        return AcceleratorFleet(designs)
    return ScalarFleet(designs)


def _batchable(acc: Accelerator) -> bool:
    """GPU tensor cores (tiles, waves, MMA kinds) run through the scalar model only."""
    return not isinstance(acc.unit, SmTensorCore)
