"""One design type for every hardware family, and one loader for all of them.

    >>> design = load_design("duplex")
    >>> family_of(design), family_of(load_design("bitmod_ant")), family_of(load_design("lutllm_v80"))
    ('logic_pim', 'bitserial', 'fpga_lut')
    >>> replace_path(load_design("systolic_32x32_ws"), "unit.rows", 64).unit.rows
    64

A :data:`Design` is one of three frozen roots, each validated by :mod:`arch.config`:

- :class:`arch.Accelerator`: a compute unit (systolic array, MX tensor core or bit-serial
  array) with on-chip buffers, DRAM and an energy table; its family is the unit's ``type``;
- :class:`arch.HbmDevice`: an xPU with HBM stacks and optional PIM units (family
  ``logic_pim``, whether or not it has PIM units: ``h100`` is the xPU-only baseline);
- :class:`arch.units.LutAccelerator`: LUT units on an FPGA (family ``fpga_lut``).

:func:`load_design` takes a built-in name (:data:`DESIGNS`) or a YAML path; a file's root is
told by its keys (``stack`` for an HBM device, ``device`` for a LUT design, otherwise an
accelerator), so the existing files need no new key. :func:`replace_path` is the one way a
sweep changes a design: ``dataclasses.replace`` along a dotted path, the dataclass checks
run again on every level it rebuilds.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from .accelerator import _DATA as _ACCELERATOR_DATA
from .accelerator import ACCELERATORS, Accelerator
from .config import ConfigError, FieldError, convert_field, from_dict, load_yaml
from .hbm import _DATA as _HBM_DATA
from .hbm import HBM_DEVICES, HbmDevice
from .units.fpga_lut import _DESIGNS as _LUT_DATA
from .units.fpga_lut import LUT_DESIGNS, LutAccelerator
from .units.systolic import SystolicArray
from .units.tensor_core import SmTensorCore

__all__ = ["DESIGNS", "FAMILIES", "Design", "describe", "family_of", "has_path", "load_design",
           "replace_path"]

Design = Accelerator | HbmDevice | LutAccelerator

#: Every family a design can belong to, in the order reports list them.
FAMILIES: tuple[str, ...] = ("systolic", "mx_tensor_core", "bitserial", "sm_tensor_core", "logic_pim",
                              "fpga_lut")

_FOLDERS: tuple[tuple[type, Path, tuple[str, ...]], ...] = (
    (Accelerator, _ACCELERATOR_DATA, ACCELERATORS), (HbmDevice, _HBM_DATA, HBM_DEVICES),
    (LutAccelerator, _LUT_DATA, LUT_DESIGNS))

#: The built-in designs of every family, sorted.
DESIGNS: tuple[str, ...] = tuple(sorted(n for _, _, names in _FOLDERS for n in names))


def family_of(design: Design) -> str:
    """The family name of ``design`` (one of :data:`FAMILIES`)."""
    if isinstance(design, Accelerator):
        return design.unit.TYPE
    if isinstance(design, HbmDevice):
        return "logic_pim"
    if isinstance(design, LutAccelerator):
        return "fpga_lut"
    raise TypeError(f"not a design: {type(design).__name__}")


def describe(design: Design) -> str:
    """A short name that says what a design is, axes applied included.

    >>> describe(replace_path(load_design("systolic_32x32_ws"), "unit.rows", 64))
    'systolic 64x32 ws'
    >>> describe(load_design("bitmod_ant")), describe(load_design("lutllm_v80"))
    ('bitmod_ant 64x16', 'lutllm_v80 16 units')
    """
    if isinstance(design, Accelerator):
        unit = design.unit
        if isinstance(unit, SystolicArray):
            return f"systolic {unit.rows}x{unit.cols} {unit.dataflow}"
        if isinstance(unit, SmTensorCore):
            return f"{design.name} {unit.sms} SMs"
        return f"{design.name} {unit.rows}x{unit.cols}"
    if isinstance(design, HbmDevice):
        pim = f" + {design.pim.units}x{design.pim.macs_per_unit} {design.pim.name}" if design.pim else ""
        return f"{design.name} ({design.stacks} stacks{pim})"
    return f"{design.name} {design.units} units"


def _root_of(data: Any) -> type:
    if isinstance(data, dict) and "stack" in data:
        return HbmDevice
    if isinstance(data, dict) and "device" in data:
        return LutAccelerator
    return Accelerator


def load_design(name_or_path: str | Path) -> Design:
    """A built-in design of any family (see :data:`DESIGNS`) by name, or a YAML file by path.

    An unknown name or an invalid file is one :class:`ConfigError` line."""
    path = Path(name_or_path)
    if not path.suffix:
        for cls, folder, names in _FOLDERS:
            if str(name_or_path) in names:
                path = folder / f"{name_or_path}.yaml"
                return from_dict(cls, load_yaml(path), source=str(path))
        raise ConfigError(f"unknown design {str(name_or_path)!r}; built-in: {', '.join(DESIGNS)} "
                          "(or give a path to a YAML file)")
    data = load_yaml(path)
    return from_dict(_root_of(data), data, source=str(path))


def has_path(obj: Any, path: str) -> bool:
    """True when the dotted ``path`` names a leaf field (not a nested dataclass) of ``obj``."""
    for key in path.split("."):
        names = {f.name for f in dataclasses.fields(obj) if f.init} if dataclasses.is_dataclass(obj) else ()
        if key not in names:
            return False
        obj = getattr(obj, key)
    return not dataclasses.is_dataclass(obj)


def replace_path(obj: Any, path: str, value: Any) -> Any:
    """``obj`` with the field at dotted ``path`` set to ``value``: ``dataclasses.replace`` on
    every level, the value type-checked and converted as the YAML loader does. Raises
    :class:`arch.FieldError` whose field is the dotted path from ``obj``."""
    head, _, rest = path.partition(".")
    names = {f.name for f in dataclasses.fields(obj) if f.init} if dataclasses.is_dataclass(obj) else ()
    if head not in names:
        raise FieldError(head, f"{type(obj).__name__} has no field {head!r}")
    try:
        new = replace_path(getattr(obj, head), rest, value) if rest else convert_field(type(obj), head, value)
    except FieldError as exc:
        raise FieldError(f"{head}.{exc.field}" if rest else exc.field, exc.message) from None
    return dataclasses.replace(obj, **{head: new})
