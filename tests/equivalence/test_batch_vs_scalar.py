"""The vectorized GEMM-level evaluator (sim.batch) equals the scalar simulate_gemm point by point."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from arch import Dram, load_accelerator
from arch.units import MXTensorCore, SystolicArray
from sim import simulate_gemm
from sim.batch import Gemms, designs_from_accelerators, evaluate_gemms

SHAPES = [(1, 4096, 4096), (16, 11008, 4096), (256, 128, 256), (7, 33, 1000), (512, 4096, 11008, 32.0),
          (1, 256, 128, 1024.0)]


def _random_accelerators(family: str, count: int, seed: int):
    rng = np.random.default_rng(seed)
    base = load_accelerator({"systolic": "systolic_32x32_ws", "mx": "mx_tensor_core",
                             "bitserial": "bitmod_bitmod"}[family])
    accs = []
    for _ in range(count):
        rows, cols = (int(v) for v in rng.choice([1, 3, 8, 16, 32, 64, 128], 2))
        if family == "systolic":
            unit = SystolicArray(rows, cols, str(rng.choice(["ws", "os", "is"])))
        elif family == "mx":
            unit = MXTensorCore(rows, cols, dot_width=int(rng.choice([8, 16, 32])))
        else:
            unit = replace(base.unit, rows=rows, cols=cols, dot_width=int(rng.choice([1, 2, 4])),
                           bits_per_cycle=int(rng.choice([0, 1, 2, 4])),
                           dequant_cycles_per_group=int(rng.choice([0, 1, 3])))
        sizes = [int(v) for v in rng.choice([4096, 65536, 262144, 1048576], 2)]
        accs.append(replace(base, unit=unit, clock_hz=float(rng.choice([5e8, 1e9, 1.8e9])),
                            weight_buffer=replace(base.weight_buffer, size_bytes=sizes[0]),
                            input_buffer=replace(base.input_buffer, size_bytes=sizes[1]),
                            dram=Dram(bandwidth_bytes_per_s=float(rng.choice([1.6e10, 6.4e10, 2e11])))))
    return accs


@pytest.mark.parametrize(("family", "b_format", "b_bits"), [
    ("systolic", "fp16", 16.0), ("mx", "mxfp4", 4.25), ("mx", "mxint8", 8.25), ("mx", "nvfp4", 4.5),
    ("bitserial", "bitmod3", 3.0625), ("bitserial", "int8_group", 8.125),
])
def test_batch_equals_scalar_on_random_points(family, b_format, b_bits):
    accs = _random_accelerators(family, 40, seed=sum(map(ord, b_format)))
    gemms = Gemms.of(SHAPES, a_bits=16, b_bits=b_bits, out_bits=16)
    batch = evaluate_gemms(designs_from_accelerators(accs, b_format, b_bits), gemms)
    for i, acc in enumerate(accs):
        for j, (m, n, k, *rep) in enumerate(SHAPES):
            ref = simulate_gemm(m, n, k, acc, a_bits=16, b_bits=b_bits, out_bits=16, b_format=b_format,
                                repeats=rep[0] if rep else 1.0)
            assert (batch.compute_cycles[i, j], batch.memory_cycles[i, j], batch.cycles[i, j]) == (
                ref.compute_cycles, ref.memory_cycles, ref.cycles), (acc.unit, m, n, k)
            assert batch.energy_pj[i, j] == pytest.approx(ref.total_energy_pj, rel=1e-9)


def test_batch_latency_sums_gemms():
    accs = _random_accelerators("systolic", 3, seed=1)
    result = evaluate_gemms(designs_from_accelerators(accs, "fp16", 16), Gemms.of(SHAPES))
    assert result.latency_s == pytest.approx(result.cycles.sum(axis=1) / [a.clock_hz for a in accs])
