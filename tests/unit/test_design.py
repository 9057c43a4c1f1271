"""One design type: loading any family, overrides on typed objects, the support rules."""

from __future__ import annotations

import pytest

from arch import (
    DESIGNS,
    FAMILIES,
    Accelerator,
    ConfigError,
    FieldError,
    HbmDevice,
    check_supported,
    family_of,
    load_design,
    replace_path,
    unsupported,
)
from arch.design import describe, has_path
from arch.support import weight_types_of
from arch.units import LutAccelerator
from arch.workloads import expand


def test_every_builtin_design_loads_and_every_family_has_one():
    designs = [load_design(name) for name in DESIGNS]
    assert {family_of(d) for d in designs} == set(FAMILIES)
    assert {type(d) for d in designs} == {Accelerator, HbmDevice, LutAccelerator}


def test_a_user_file_of_each_root_loads_by_its_keys(tmp_path):
    from arch.design import _FOLDERS
    for _, folder, names in _FOLDERS:
        source = (folder / f"{names[0]}.yaml").read_text()
        (tmp_path / f"{names[0]}.yaml").write_text(source)
        assert load_design(tmp_path / f"{names[0]}.yaml") == load_design(names[0])


def test_unknown_design_and_bad_file_are_one_line(tmp_path):
    with pytest.raises(ConfigError, match="unknown design 'nope'; built-in: b200, bank_pim"):
        load_design("nope")
    bad = tmp_path / "bad.yaml"
    bad.write_text("schema_version: 1\nname: x\nstack: {}\nxpu: 3\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml:\d+: "):
        load_design(bad)


def test_replace_path_converts_and_checks_like_the_loader():
    acc = load_design("systolic_32x32_ws")
    wider = replace_path(acc, "dram.bandwidth_bytes_per_s", 128000000000)
    assert wider.dram.bandwidth_bytes_per_s == 1.28e11 and isinstance(wider.dram.bandwidth_bytes_per_s, float)
    assert acc.dram.bandwidth_bytes_per_s == 6.4e10  # frozen: the base is untouched
    with pytest.raises(FieldError, match=r"^unit\.rows: must be a positive integer, not 0$"):
        replace_path(acc, "unit.rows", 0)
    with pytest.raises(FieldError, match=r"^unit\.rows: must be an integer, not 'x'$"):
        replace_path(acc, "unit.rows", "x")
    with pytest.raises(FieldError, match="SystolicArray has no field 'rowz'"):
        replace_path(acc, "unit.rowz", 1)
    assert replace_path(load_design("duplex"), "pim.units", 16).pim.units == 16
    assert has_path(acc, "unit.rows") and not has_path(acc, "unit") and not has_path(acc, "unit.nope")


def test_describe_names_the_design_after_its_overrides():
    acc = replace_path(replace_path(load_design("systolic_32x32_ws"), "unit.rows", 64), "unit.cols", 64)
    assert describe(acc) == "systolic 64x64 ws"
    assert describe(replace_path(load_design("lutllm_v80"), "units", 8)) == "lutllm_v80 8 units"
    assert describe(load_design("h100")) == "h100 (5 stacks)"


@pytest.mark.parametrize(("fmt", "types"), [
    ("fp16", ("fp16",)), ("bf16", ("fp16",)), ("int8", ("int",)), ("int4_group", ("int",)),
    ("mxint8", ("int",)), ("nvint4", ("int",)), ("mxfp4", ("fp4",)), ("nvfp4", ("fp4",)),
    ("fp8_e4m3fn", ("fp8",)), ("bitmod3", ("fp3_ea", "fp3_er")), ("bitmod4", ("fp4_ea", "fp4_er")),
])
def test_weight_types_of_formats(fmt, types):
    assert weight_types_of(fmt) == types


@pytest.mark.parametrize(("design", "formats", "reason"), [
    ("bitmod_ant", ("bitmod3", "fp16", "fp16"), "bitmod_ant runs weight types int; weight format 'bitmod3'"),
    ("bitmod_olive", ("fp16", "fp16", "fp16"), "needs fp16"),
    ("bitmod_fp16", ("int4_group", "fp16", "fp16"), "bitmod_fp16 runs weight types fp16"),
    ("mx_tensor_core", ("mxfp4", "fp16", "int4_group"), "has no rate for 'int4_group'"),
    ("mx_tensor_core", ("int8", "fp16", "mxfp8_e4m3"), "has no rate for 'int8'"),
    ("b200", ("mxfp4", "fp16", "fp16"), "no MMA kind for A fp16 x B mxfp4"),
    ("duplex", ("mxfp4", "fp16", "fp16"), "duplex computes in fp16, bf16; not 'mxfp4'"),
    ("lutllm_v80", ("fp16", "fp16", "int8"), "not 'int8'"),
    ("systolic_32x32_ws", ("fp5", "fp16", "fp16"), "unknown format 'fp5'"),
])
def test_unsupported_combinations_say_why(design, formats, reason):
    assert reason in unsupported(load_design(design), *formats)


@pytest.mark.parametrize(("design", "formats"), [
    ("bitmod_ant", ("int4_group", "fp16", "fp16")), ("bitmod_bitmod", ("bitmod3", "fp16", "fp16")),
    ("bitmod_bitmod", ("int4_group", "fp16", "fp16")), ("bitmod_fp16", ("fp16", "fp16", "fp16")),
    ("mx_tensor_core", ("nvfp4", "fp16", "mxfp8_e4m3")), ("systolic_32x32_ws", ("mxfp4", "fp16", "fp16")),
    ("duplex", ("bf16", "bf16", "fp16")), ("h100", ("fp16", "fp16", "fp16")),
])
def test_supported_combinations(design, formats):
    assert unsupported(load_design(design), *formats) is None


def test_check_supported_raises_the_reason():
    workload = expand("opt-1.3b", "decode", weight_format="bitmod3")
    with pytest.raises(ValueError, match="runs weight types int"):
        check_supported(load_design("bitmod_olive"), workload)
