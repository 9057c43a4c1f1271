"""The sweep's evaluator (sim.fleet) equals the scalar sim.simulate on every built-in design."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from arch import DESIGNS, family_of, load_design, unsupported
from arch.workloads import expand
from sim import simulate
from sim.fleet import prepare

# The formats each family runs (arch.support); every built-in design runs at least one.
FORMATS = [("fp16", "fp16"), ("mxfp4", "mxfp8_e4m3"), ("int4_group", "fp16"), ("bitmod3", "fp16"),
           ("nvfp4", "mxfp8_e4m3")]


def _workloads(design):
    for weights, kv in FORMATS:
        if unsupported(design, weights, "fp16", kv) is None:
            for phase, batch in (("decode", 1), ("prefill", 2)):
                yield expand("mixtral-8x7b", phase, batch=batch, context=64, weight_format=weights,
                             kv_format=kv)


def _assert_equal(many, i, ref):
    assert many.cycles[i].tolist() == [op.cycles for op in ref.ops]
    assert many.compute_cycles[i].tolist() == [op.compute_cycles for op in ref.ops]
    assert many.memory_cycles[i].tolist() == [op.memory_cycles for op in ref.ops]
    assert list(many.op_names[i]) == [op.name for op in ref.ops]
    np.testing.assert_allclose(many.dram_bytes[i], [op.dram_bytes for op in ref.ops], rtol=1e-12)
    np.testing.assert_allclose(many.macs, [op.macs for op in ref.ops], rtol=1e-12)
    for component, energy in ref.energy_pj.items():
        assert many.energy_pj[component][i].sum() == pytest.approx(energy, rel=1e-9), component
    extra = set(many.energy_pj) - set(ref.energy_pj)
    assert all(not many.energy_pj[c][i].any() for c in extra)
    assert many.latency_s[i] == pytest.approx(ref.latency_s, rel=1e-12)


@pytest.mark.parametrize("name", DESIGNS)
def test_fleet_equals_scalar_on_every_builtin_design(name):
    design = load_design(name)
    variants = [design]
    if family_of(design) in ("systolic", "mx_tensor_core", "bitserial"):
        variants += [replace(design, unit=replace(design.unit, rows=design.unit.rows * 2, cols=3)),
                     replace(design, dram=replace(design.dram, bandwidth_bytes_per_s=1e12))]
    workloads = list(_workloads(design))
    assert workloads, f"{name} runs none of the test formats"
    fleet = prepare(variants)
    for workload in workloads:
        many = fleet.run(workload)
        for i, variant in enumerate(variants):
            _assert_equal(many, i, simulate(variant, workload))


def test_fleet_rejects_an_unsupported_format_and_mixed_roots():
    with pytest.raises(ValueError, match="runs weight types int"):
        prepare([load_design("bitmod_ant")]).run(expand("opt-1.3b", "decode", weight_format="bitmod3"))
    with pytest.raises(ValueError, match="one root type"):
        prepare([load_design("duplex"), load_design("bitmod_ant")])


def _layer_workloads(design):
    """Whole layers (scope="layer"): vector ops, causal FlashAttention tiles with on-chip
    fractions, quantize steps where activations are a block format."""
    for weights, kv in FORMATS:
        for activations in ("fp16", "mxfp8_e4m3"):
            if unsupported(design, weights, activations, kv, "layer") is None:
                for phase, batch, context in (("decode", 2, 300), ("prefill", 1, 200)):
                    yield expand("mixtral-8x7b", phase, batch=batch, context=context, weight_format=weights,
                                 activation_format=activations, kv_format=kv, scope="layer")


ACCELERATORS = [n for n in DESIGNS if family_of(load_design(n)) not in ("logic_pim", "fpga_lut")]


@pytest.mark.parametrize("name", ACCELERATORS)
def test_fleet_equals_scalar_on_whole_layers(name):
    design = load_design(name)
    variants = [design, replace(design, dram=replace(design.dram, bandwidth_bytes_per_s=1e12))]
    workloads = list(_layer_workloads(design))
    assert workloads, f"{name} runs no whole layer of the test formats"
    fleet = prepare(variants)
    for workload in workloads:
        assert {"attn.softmax", "attn.norm"} <= {op.name for op in workload.vector_ops}
        many = fleet.run(workload)
        for i, variant in enumerate(variants):
            _assert_equal(many, i, simulate(variant, workload))


@pytest.mark.parametrize("name", ["duplex", "lutllm_v80"])
def test_pim_and_lut_fleets_refuse_whole_layers_as_simulate_does(name):
    workload = expand("opt-1.3b", "decode", scope="layer")
    for run in (prepare([load_design(name)]).run, lambda w: simulate(load_design(name), w)):
        with pytest.raises(ValueError, match="prices GEMM-level workloads only"):
            run(workload)
