"""HBM stacks, PIM units and the Duplex-style device choice; continuous-batching serving."""

from __future__ import annotations

import dataclasses
import textwrap

import numpy as np
import pytest

from arch.config import ConfigError, FieldError, from_dict, load_yaml, to_dict
from arch.design import load_design
from arch.hbm import HBM_DEVICES, SEGMENTS, HbmDevice, HbmStack, load_hbm_device
from arch.units.logic_pim import PimUnit
from arch.units.xpu import Link, Xpu
from arch.workloads import expand, load_model
from sim import simulate
from sim.energy import energy_by_component
from sim.iteration import Batch, iteration_cost, route_tokens
from sim.pim import TOTALS, System, Works, actions_of, place_op, schedule, simulate_workload_pim
from sim.serving import ServingConfig, load_trace, poisson_requests, simulate_serving


@pytest.fixture(scope="module")
def devices() -> dict[str, HbmDevice]:
    return {name: load_hbm_device(name) for name in HBM_DEVICES}


# --- HBM arithmetic ------------------------------------------------------------------------

def test_hbm3_stack_organization_and_bandwidths(devices):
    stack = devices["h100"].stack
    assert (stack.pseudo_channels, stack.bank_groups, stack.banks) == (32, 128, 512)
    assert stack.external_bandwidth_bytes_per_s == pytest.approx(670e9)
    assert devices["h100"].external_bandwidth_bytes_per_s == pytest.approx(3.35e12)
    assert devices["h100"].capacity_bytes == 80 * 2**30
    # every bank group of every PC: 128 x 32 B / 1.5 ns; every bank: 512 x 32 B / 1.5 ns
    assert stack.bandwidth_at("bank_group") == pytest.approx(128 * 32 / 1.5e-9)
    assert stack.bandwidth_at("bank") == pytest.approx(512 * 32 / 1.5e-9)
    # a standard stack's logic die sees what its 1024 TSVs carry: the external bandwidth
    assert stack.bandwidth_at("logic_die") == pytest.approx(670e9)


def test_logic_pim_tsvs_give_4x_bandwidth_and_op_per_byte_8(devices):
    duplex = devices["duplex"]
    stack = duplex.stack
    assert stack.data_tsvs == 4 * devices["h100"].stack.data_tsvs and stack.tsv_pitch_um == 22.0
    assert stack.bandwidth_at("logic_die") == pytest.approx(4 * 670e9)  # TSV-bound, below the BG cap
    assert stack.bandwidth_at("logic_die") < stack.bandwidth_at("bank_group")
    assert stack.external_bandwidth_bytes_per_s == pytest.approx(670e9)  # the DQ pins are unchanged
    assert stack.tsv_area_mm2 < devices["h100"].stack.tsv_area_mm2  # 4x the TSVs in less area
    assert duplex.pim.peak_flops == pytest.approx(32 * 512 * 2 * 650e6)  # 21.3 TFLOPS per stack
    # Op/B 8 at the TSV peak; the PIM sees it less all-bank refresh (tRFC 450 of tREFI 3900 ns)
    assert duplex.pim_limits.peak_bytes_per_s == pytest.approx(2.68e12)
    assert duplex.pim_op_per_byte == pytest.approx(21.2992e12 / (2.68e12 * (1 - 450 / 3900)))
    assert duplex.pim.area_share == pytest.approx(17.8 / 121)


def test_baseline_pims_match_their_descriptions(devices):
    bank, bg, duplex = devices["bank_pim"], devices["bg_pim"], devices["duplex"]
    peak = bank.pim_limits.peak_bytes_per_s / bank.stack.external_bandwidth_bytes_per_s
    assert peak == pytest.approx(16.3, abs=0.05)  # all banks at once, before the timing limits
    # as sized (the paper's Op/B 1 at the column-rate peak), before the DRAM process caps the clock
    assert bank.pim.peak_flops / bank.pim_limits.peak_bytes_per_s == pytest.approx(1.0, abs=0.03)
    # tFAW lets a PC open 4 rows per 30 ns; all-bank streaming wants 32.8 rows per 98.5 ns
    scale = bank.pim_bandwidth_bytes_per_s / bank.external_bandwidth_bytes_per_s
    assert scale == pytest.approx(16.3 * (1 - 450 / 3900) * (4 / 30 * 32 * 3.077) / 32.8, rel=0.01)
    assert bg.pim.peak_flops == duplex.pim.peak_flops  # sized as Logic-PIM ...
    assert bg.pim_flops == pytest.approx(duplex.pim_flops * 325 / 650, rel=0.001)  # ... run at 1/tCCD_L
    assert bg.pim_bandwidth_bytes_per_s == pytest.approx(duplex.pim_bandwidth_bytes_per_s, rel=0.02)


@pytest.mark.parametrize("location", ["bank", "bank_group", "logic_die", "xpu"])
def test_path_segments_split_at_the_reader(location):
    cell_side, io_side = HbmStack.path(location)
    assert cell_side + io_side == SEGMENTS
    with pytest.raises(ValueError, match="location must be one of"):
        HbmStack.path("dram")


def test_energy_per_bit_by_path(devices):
    table = devices["duplex"].energy
    per_bit = {s: table.energy_pj(f"{s}.bit") for s in SEGMENTS}
    assert sum(per_bit.values()) == pytest.approx(3.59)  # cells to xPU
    assert sum(per_bit[s] for s in HbmStack.path("logic_die")[0]) == pytest.approx(3.29)
    assert sum(per_bit[s] for s in HbmStack.path("bank_group")[0]) == pytest.approx(1.56)
    assert sum(per_bit[s] for s in HbmStack.path("bank")[0]) == pytest.approx(0.55)


def test_actions_of_one_gigabyte(devices):
    duplex = devices["duplex"]
    totals = dict.fromkeys(TOTALS, 0.0) | {"xpu_bytes": 1e9, "pim_cell_bytes": 1e9, "pim_io_bytes": 1e6}
    actions = actions_of(np.array(list(totals.values())), duplex)
    assert actions["hbm_cell.bit"] == 16e9  # both readers cross the cells
    assert actions["hbm_interposer.bit"] == 8e9 + 8e6  # the xPU's bytes, and PIM's activations
    assert actions["hbm_tsv.bit"] == 16e9
    energy = sum(actions[f"{s}.bit"] * duplex.energy.energy_pj(f"{s}.bit") for s in SEGMENTS)
    assert energy == pytest.approx(8e9 * (3.59 + 3.29) + 8e6 * 0.30)


# --- device selection by Op/B --------------------------------------------------------------

def _one(op_per_byte: float, nbytes: float = 1e9) -> Works:
    z = np.zeros((1, 1))
    return Works(np.full((1, 1), op_per_byte * nbytes), z, np.full((1, 1), nbytes), z, z, z)


def test_decode_attention_goes_to_pim_and_prefill_gemm_to_xpu(devices):
    system = System(devices["duplex"])
    decode = {op.name: op for op in expand("llama-3-70b", "decode", batch=64, context=2048).ops}
    prefill = {op.name: op for op in expand("llama-3-70b", "prefill", batch=8, context=1024).ops}
    assert place_op(decode["attn.score"], system) == "pim" == place_op(decode["attn.context"], system)
    assert place_op(prefill["mlp.up"], system) == "xpu"
    assert place_op(prefill["attn.score"], system) == "xpu"
    assert place_op(decode["attn.score"], System(devices["h100"])) == "xpu"  # no PIM, no choice


def test_the_boundary_is_where_the_rooflines_cross(devices):
    system = System(devices["duplex"], devices=2)
    crossover = system.crossover_op_per_byte
    assert crossover == pytest.approx(system.pim.flops / system.xpu.bandwidth_bytes_per_s)
    assert crossover == pytest.approx(5 * 21.2992e12 / (3.35e12 * 0.85))  # the same per device
    for op_per_byte, on_xpu in ((crossover * 0.99, False), (crossover * 1.01, True), (1.0, False),
                                (1000.0, True)):
        assert bool(schedule(_one(op_per_byte), system).on_xpu.all()) is on_xpu
    # at the crossing the times are equal, and ties go to the xPU
    flops, nbytes = crossover * 1e9, 1e9
    assert float(system.xpu.time_s(flops, nbytes)) == pytest.approx(float(system.pim.time_s(flops, nbytes)))
    tie = System(dataclasses.replace(devices["duplex"], xpu=dataclasses.replace(
        devices["duplex"].xpu, peak_flops=devices["duplex"].pim_flops, compute_efficiency=1.0)))
    assert tie.xpu.flops == tie.pim.flops and schedule(_one(1e6), tie).on_xpu.all()  # compute-bound tie


def test_co_processing_beats_either_device_alone(devices):
    system = System(devices["duplex"])
    works = Works(*(np.array([[v] * 8]) for v in (16e9, 0.0, 1e9, 0.0, 0.0, 0.0)))  # 8 experts, Op/B 16
    placed = schedule(works, system)
    alone_xpu = 8 * float(system.xpu.time_s(16e9, 1e9))
    alone_pim = 8 * float(system.pim.time_s(16e9, 1e9))
    assert 0 < placed.on_xpu.sum() < 8
    assert float(placed.time_s[0]) < min(alone_xpu, alone_pim)
    assert float(placed.time_s[0]) >= 8e9 / system.pim.bandwidth_bytes_per_s


def test_simulate_workload_pim_reports_each_op_and_its_device(devices):
    result = simulate_workload_pim(expand("mixtral-8x7b", "decode", batch=64, context=512),
                                   System(devices["duplex"], 2))
    names = [op.name for op in result.ops]
    # the 64 sequences' attention and the 8 experts are co-processed groups: split by Op/B
    expected = {"attn.score@xpu+pim", "moe.up@xpu+pim", "attn.q@xpu", "moe.router@pim", "lm_head@xpu"}
    assert expected <= set(names)
    assert result.total_energy_pj > 0 and result.cycles == sum(op.cycles for op in result.ops)


@pytest.mark.parametrize("model, batch, phase, context", [
    ("mixtral-8x7b", Batch((), (512,) * 16), "decode", 512),  # MoE: the expert group
    ("llama-3-70b", Batch((), (2048,) * 8), "decode", 2048),  # GQA attention on PIM
    ("opt-66b", Batch((96,) * 3, ()), "prefill", 96),  # prompts: the xPU, LM head on 3 rows
])
def test_a_serving_iteration_costs_what_simulate_gives(devices, model, batch, phase, context):
    # the serving loop and sim.simulate price one iteration from the same expanded ops: a
    # different byte rule, grouping or LM-head row count in either breaks this
    design = load_design("duplex")
    cost = iteration_cost(load_model(model), System(design), batch)
    count = len(batch.prefill_tokens) + len(batch.decode_context)
    result = simulate(design, expand(model, phase, batch=count, context=context))
    assert cost.time_s * 1e9 == pytest.approx(result.cycles, abs=len(result.ops))  # ns, rounded per op
    energy = energy_by_component(actions_of(cost.totals, design), design.energy)
    assert sum(energy.values()) == pytest.approx(result.total_energy_pj, rel=1e-9)
    totals = dict(zip(TOTALS, cost.totals, strict=True))
    assert totals["xpu_macs"] + totals["pim_macs"] == pytest.approx(result.macs, rel=1e-12)


def test_a_mixed_iteration_is_its_prompts_plus_its_decodes(devices):
    # attention is per sequence, the linear ops see every token once and the LM head one row
    # per sequence: the same MACs as the prefill and decode parts apart, in less time than
    # two iterations take (the weights are read once)
    model, system = load_model("llama-3-70b"), System(devices["duplex"], 4)
    mixed = iteration_cost(model, system, Batch((300,), (700, 900)))
    apart = [iteration_cost(model, system, b) for b in (Batch((300,), ()), Batch((), (700, 900)))]
    macs = lambda c: c.totals[TOTALS.index("xpu_macs")] + c.totals[TOTALS.index("pim_macs")]  # noqa: E731
    assert macs(mixed) == pytest.approx(macs(apart[0]) + macs(apart[1]), rel=1e-12)
    assert mixed.time_s < apart[0].time_s + apart[1].time_s


def test_sampled_routing_counts(devices):
    counts = route_tokens(np.random.default_rng(3), tokens=37, experts=8, top_k=2, layers=5)
    assert counts.shape == (5, 8) and (counts.sum(axis=1) == 74).all() and counts.max() <= 37
    assert (route_tokens(np.random.default_rng(3), 37, 8, 2, 5) == counts).all()


# --- serving -------------------------------------------------------------------------------

def _serve(seed: int = 7, routing: str = "sampled", count: int = 40, system: str = "duplex"):
    requests = poisson_requests(count, rate_per_s=400.0, prompt_tokens=(32, 256), output_tokens=(1, 24),
                                seed=seed)
    config = ServingConfig(max_batch=8, max_prefill_tokens=512, routing=routing, seed=seed)
    return requests, simulate_serving("mixtral-8x7b", System(load_hbm_device(system), 2), requests, config)


def test_a_fixed_seed_gives_the_same_timeline():
    _, first = _serve()
    _, again = _serve()
    assert first == again
    _, other = _serve(seed=8)
    assert other.iterations != first.iterations


def test_every_request_finishes_and_tokens_are_counted_once():
    requests, result = _serve()
    assert len(result.finish_ns) == len(requests)
    assert result.tokens_emitted == result.output_tokens == sum(r.output_tokens for r in requests)
    decoded = sum(it.decode_tokens for it in result.iterations)
    prefilled = sum(it.prefill_requests for it in result.iterations)
    assert prefilled == len(requests) and decoded + prefilled == result.output_tokens
    assert all(it.prefill_requests + it.decode_tokens <= 8 for it in result.iterations)
    for r, first, finish in zip(requests, result.first_token_ns, result.finish_ns, strict=True):
        assert r.arrival_ns < first <= finish


def test_throughput_is_tokens_over_makespan():
    requests, result = _serve(routing="expected")
    makespan = max(result.finish_ns) - min(r.arrival_ns for r in requests)
    assert result.makespan_ns == makespan
    assert result.throughput_tok_s == pytest.approx(result.output_tokens / (makespan * 1e-9))
    assert 0 < result.tbt_median_ns <= result.tbt_p99_ns
    joules = (sum(result.energy_pj.values()) + sum(result.static_energy_pj.values())) * 1e-12
    assert result.energy_per_token_j == pytest.approx(joules / result.output_tokens)


def test_iterations_run_back_to_back_in_integer_nanoseconds():
    _, result = _serve()
    for before, after in zip(result.iterations, result.iterations[1:], strict=False):
        assert isinstance(after.start_ns, int) and after.start_ns >= before.start_ns + before.duration_ns


def test_duplex_serves_faster_than_the_gpu():
    _, gpu = _serve(routing="expected", system="h100")
    _, duplex = _serve(routing="expected", system="duplex")
    assert duplex.throughput_tok_s > gpu.throughput_tok_s and duplex.tbt_median_ns < gpu.tbt_median_ns


def test_trace_from_list_and_csv(tmp_path):
    rows = [(0.0, 16, 2), (0.5e-3, 8, 3), (0.5e-3, 4, 1)]
    path = tmp_path / "trace.csv"
    path.write_text("arrival_s,prompt_tokens,output_tokens\n" + "".join(f"{a},{p},{o}\n" for a, p, o in rows))
    requests = load_trace(rows)
    assert requests == load_trace(path)
    assert [r.arrival_ns for r in requests] == [0, 500_000, 500_000]
    result = simulate_serving("mixtral-8x7b", System(load_hbm_device("duplex"), 2), requests)
    assert result.tokens_emitted == 6


def test_serving_rejects_what_cannot_run():
    with pytest.raises(ValueError, match="does not fit"):
        simulate_serving("grok-1", System(load_hbm_device("duplex"), 1), load_trace([(0.0, 8, 1)]))
    with pytest.raises(ValueError, match="routing must be one of expected, sampled"):
        ServingConfig(routing="greedy")
    with pytest.raises(ValueError, match="output_tokens must be a positive integer"):
        load_trace([(0.0, 8, 0)])


# --- configuration -------------------------------------------------------------------------

def test_yaml_and_python_build_equal_devices(devices, tmp_path):
    for device in devices.values():
        assert from_dict(HbmDevice, to_dict(device)) == device
    pim = PimUnit(name="p", location="logic_die", units=32, macs_per_unit=512, clock_hz=650e6)
    built = HbmDevice(name="d", xpu=Xpu(name="x", peak_flops=1e15), stack=devices["h100"].stack, stacks=5,
                      link=Link(name="l", bandwidth_bytes_per_s=1e11, energy_pj_per_bit=1.0), pim=pim)
    assert dataclasses.replace(built, name="d") == built


@pytest.mark.parametrize("change, expected", [
    (("    units: 32\n", "    units: 0\n"), "dev.yaml:{line}: pim.units: must be a positive integer, not 0"),
    (("    location: logic_die\n", "    location: dram\n"),
     "dev.yaml:{line}: pim.location: must be one of logic_die, bank_group, bank, not 'dram'"),
    (("    tsv_pitch_um: 22.0\n", "    tsv_pitch: 22.0\n"),
     "dev.yaml:{line}: stack.tsv_pitch: unknown field"),
    (("    channels: 16\n", "    channels: 16\n    channels: 8\n"),
     "dev.yaml:{line}: duplicate key 'channels'"),
    (("  memory_efficiency: 0.85\n", "  memory_efficiency: 1.5\n"),
     "dev.yaml:{line}: xpu.memory_efficiency: must be in (0, 1], not 1.5"),
])
def test_each_mistake_is_one_line_with_file_line_and_field(tmp_path, change, expected):
    good = textwrap.dedent("""\
        schema_version: 1
        name: dev
        xpu:
          name: x
          peak_flops: 989.0e+12
          memory_efficiency: 0.85
        stack:
            name: s
            capacity_bytes: 17179869184
            pin_rate_bps: 5.234375e+9
            channels: 16
            data_tsvs: 4096
            tsv_pitch_um: 22.0
        stacks: 5
        link: {name: nvlink4, bandwidth_bytes_per_s: 450.0e+9, energy_pj_per_bit: 1.3}
        pim:
            name: logic_pim
            location: logic_die
            units: 32
            macs_per_unit: 512
            clock_hz: 650.0e+6
        """)
    path = tmp_path / "dev.yaml"
    path.write_text(good)
    assert load_hbm_device(path).pim_op_per_byte == pytest.approx(7.95, abs=0.01)
    bad = good.replace(*change)
    line = bad.splitlines().index(change[1].splitlines()[-1]) + 1
    path.write_text(bad)
    with pytest.raises(ConfigError) as info:
        load_hbm_device(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(str(path) + expected.format(line=line).removeprefix("dev.yaml"))


def test_python_constructors_validate_too(devices):
    with pytest.raises(FieldError, match="macs_per_unit: must be a positive integer, not -1"):
        PimUnit(name="p", location="bank", units=1, macs_per_unit=-1, clock_hz=1e9)
    with pytest.raises(FieldError, match="area_mm2: must fit on the die"):
        PimUnit(name="p", location="logic_die", units=1, macs_per_unit=1, clock_hz=1e9, area_mm2=200,
                die_area_mm2=121)
    with pytest.raises(FieldError, match="tccd_s_ps: must be a positive integer"):
        dataclasses.replace(devices["h100"].stack, tccd_s_ps=1.5)
    with pytest.raises(FieldError, match="compute_efficiency: must be in"):
        Xpu(name="x", peak_flops=1e15, compute_efficiency=0)
    with pytest.raises(ConfigError, match="unknown HBM device 'h200'"):
        load_hbm_device("h200")


def test_every_builtin_device_loads_and_prices_every_action(devices):
    model = load_model("mixtral-8x7b")
    for device in devices.values():
        raw = load_yaml(f"arch/data/pim/{device.name}.yaml")
        assert raw["source"].strip() and raw["xpu"]["source"].strip() and raw["stack"]["source"].strip()
        cost = iteration_cost(model, System(device, 2), Batch((64,), (100, 200)))
        for action in actions_of(cost.totals, device):
            assert device.energy.energy_pj(action) >= 0
        for entry in device.energy.entries.values():
            assert entry.source.strip() and entry.node_nm > 0
