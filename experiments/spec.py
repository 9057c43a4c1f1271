"""Sweep specs: YAML -> a frozen, validated :class:`SweepSpec` (parse is validate).

    >>> spec = spec_from_dict({"schema_version": 1, "name": "tiny", "base": "systolic_32x32_ws",
    ...                        "axes": {"unit.rows": [16, 32], "phase": ["decode"]}})
    >>> spec.designs[0].base, spec.axes["unit.rows"], spec.objectives
    ('systolic_32x32_ws', (16, 32), ('latency_s', 'energy_pj'))

A spec names one or more base designs of any family (``base``: a built-in design, see
``arch.DESIGNS``, or a YAML path, or a list of them; or ``designs``: a list of ``{base,
axes}`` for per-family axes), a default ``workload``, ``axes`` to vary (any design field by
dotted path such as ``unit.rows``, ``dram.bandwidth_bytes_per_s``, ``pim.units`` or
``units``, or a workload field, bare or as ``workload.<field>``: model, phase, batch,
context, weight_format, activation_format, kv_format, scope: ``gemm`` or ``layer``, whole
layers with their norms, softmax and other vector ops, which accelerators price and the
PIM and LUT families skip), ``sampling`` (grid, or random with a
seed and count), ``constraints`` on result columns (``"latency_s <= 0.05"``),
``objectives`` and ``op_rows`` (false: no per-op rows, for sweeps of millions of points).
Every mistake is one :class:`arch.config.ConfigError` line ``file:line: field: message``;
nothing in the file is evaluated.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from arch import (
    Accelerator,
    ConfigError,
    Design,
    FieldError,
    from_dict,
    load_design,
    load_yaml,
    replace_path,
    to_dict,
)
from arch.config import MAX_COUNT, MAX_EDGE, check, non_negative_int, positive_int
from arch.design import has_path
from arch.workloads import MODELS, format_bits, load_model
from arch.workloads.expand import PHASES, SCOPES

from .pricing import check_priced

# A QSNR test tensor (and the qsnr command's --shape): 2^24 float32 elements, 64 MiB a copy.
MAX_QSNR_ELEMENTS = 1 << 24
MAX_SEED = 2**32 - 1

__all__ = ["CONSTRAINT_COLUMNS", "OBJECTIVES", "WORKLOAD_AXES", "Constraint", "DesignSpec", "QsnrSpec",
           "Sampling", "SweepSpec", "WorkloadSpec", "base_design", "load_spec", "spec_from_dict", "spec_hash",
           "workload_field"]

WORKLOAD_AXES: tuple[str, ...] = ("model", "phase", "batch", "context", "weight_format",
                                  "activation_format", "kv_format", "scope")
# Objective -> direction. QSNR (dB, higher is better) is the accuracy cost of the weight format.
OBJECTIVES: dict[str, str] = {"latency_s": "minimize", "energy_pj": "minimize", "edp_j_s": "minimize",
                              "area_mm2": "minimize",
                              "energy_per_token_j": "minimize", "qsnr_db": "maximize",
                              "tokens_per_s": "maximize"}
# Numeric result columns a constraint may bound. area_mm2 sums the parts that have a sourced
# or synthesized area; the row's area_missing column names the parts that have none.
CONSTRAINT_COLUMNS: tuple[str, ...] = (*OBJECTIVES, "cycles", "macs", "dram_bytes", "weight_bits",
                                       "peak_macs_per_s", "attained_macs_per_s")
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_CONSTRAINT = re.compile(rf"^\s*([A-Za-z_]\w*)\s*(<=|>=|<|>)\s*({_NUMBER})\s*$")


def _positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


@dataclass(frozen=True)
class Constraint:
    """``column op bound``, e.g. ``latency_s <= 0.05`` (parsed, never evaluated)."""

    column: str
    op: str
    bound: float

    def holds(self, values):
        """Elementwise truth for a number or numpy/pandas array (NaN never holds)."""
        return {"<=": values <= self.bound, ">=": values >= self.bound,
                "<": values < self.bound, ">": values > self.bound}[self.op]

    def violation(self, value: float) -> float:
        """How far ``value`` is outside the bound (<= 0 when it holds): optuna's convention."""
        return value - self.bound if self.op in ("<=", "<") else self.bound - value

    def __str__(self) -> str:
        return f"{self.column} {self.op} {self.bound:g}"


def parse_constraint(text: str) -> Constraint:
    match = _CONSTRAINT.match(text)
    check(match is not None, "constraints",
          f"must look like 'column <= number' (<=, >=, <, >), not {text!r}")
    column, op, bound = match.groups()
    check(column in CONSTRAINT_COLUMNS, "constraints",
          f"unknown column {column!r}; allowed: {', '.join(CONSTRAINT_COLUMNS)}")
    return Constraint(column, op, float(bound))


@dataclass(frozen=True)
class WorkloadSpec:
    """The workload every design point runs unless an axis varies a field."""

    model: str = "llama-2-7b"
    phase: Literal["prefill", "decode"] = "decode"
    batch: int = 1
    context: int = 256
    weight_format: str = "fp16"
    activation_format: str = "fp16"
    kv_format: str = "fp16"
    scope: Literal["gemm", "layer"] = "gemm"  # layer: norms, softmax, ... beside the GEMMs

    def __post_init__(self):
        for name in WORKLOAD_AXES:
            _check_workload_value(name, getattr(self, name), name)


def _check_workload_value(axis: str, value: Any, field_name: str) -> None:
    if axis in ("batch", "context"):
        positive_int(value, field_name, MAX_EDGE if axis == "batch" else MAX_COUNT)
    elif axis in ("phase", "scope"):
        allowed = PHASES if axis == "phase" else SCOPES
        check(value in allowed, field_name, f"must be one of {', '.join(allowed)}, not {value!r}")
    elif axis == "model":
        ok = isinstance(value, str) and (value in MODELS or Path(value).suffix in (".yaml", ".yml"))
        check(ok, field_name, f"must be a built-in model ({', '.join(MODELS)}) or a YAML path, not {value!r}")
    else:
        check(isinstance(value, str), field_name, f"must be a format name, not {value!r}")
        try:
            format_bits(value)
        except ValueError:
            raise FieldError(field_name, f"unknown format {value!r}") from None


def _check_axes(axes: dict, prefix: str) -> None:
    for name, values in axes.items():
        where = f"{prefix}.{name}"
        check(bool(values), where, "must list at least one value")
        for value in values:
            check(isinstance(value, int | float | str) and not isinstance(value, dict | list), where,
                  f"values must be numbers, strings or booleans, not {value!r}")
        check(len(set(map(repr, values))) == len(values), where, "lists a value twice")
        if workload_field(name):
            for value in values:
                _check_workload_value(workload_field(name), value, where)


@dataclass(frozen=True)
class DesignSpec:
    """One base design of any family (name or YAML path) and axes of its own."""

    base: str
    axes: dict[str, tuple[Any, ...]] = field(default_factory=dict)

    def __post_init__(self):
        check(bool(self.base.strip()), "base", "must name a design")
        _check_axes(self.axes, "axes")


@dataclass(frozen=True)
class Sampling:
    """``grid``: every combination. ``random``: ``count`` distinct points drawn with ``seed``."""

    method: Literal["grid", "random"] = "grid"
    count: int = 0
    seed: int = 0

    def __post_init__(self):
        if self.method == "random":
            check(_positive_int(self.count), "count", f"must be a positive integer, not {self.count!r}")
        else:
            check(self.count == 0, "count", "only applies to random sampling")
        non_negative_int(self.seed, "seed", MAX_SEED)


@dataclass(frozen=True)
class QsnrSpec:
    """The seeded test tensor on which each weight format's QSNR (dB) is measured."""

    distribution: str = "gaussian"
    rows: int = 64
    cols: int = 1024
    seed: int = 0

    def __post_init__(self):
        positive_int(self.rows, "rows", MAX_EDGE)
        check(_positive_int(self.cols) and self.cols % 128 == 0, "cols",
              f"must be a positive multiple of 128, not {self.cols!r}")
        check(self.rows * self.cols <= MAX_QSNR_ELEMENTS, "cols",
              f"rows x cols must be at most {MAX_QSNR_ELEMENTS:,} elements, not {self.rows * self.cols:,}")
        base = self.distribution.partition("+")[0]
        check(base in ("gaussian", "laplace", "student_t3", "outliers"), "distribution",
              f"must be gaussian, laplace, student_t3 or outliers (optionally +hadamard), "
              f"not {self.distribution!r}")
        non_negative_int(self.seed, "seed", MAX_SEED)


@dataclass(frozen=True)
class SweepSpec:
    """A whole sweep (see the module docstring). ``base`` is shorthand for ``designs``."""

    schema_version: int
    name: str
    base: tuple[str, ...] = ()
    designs: tuple[DesignSpec, ...] = ()
    workload: WorkloadSpec = WorkloadSpec()
    axes: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    sampling: Sampling = Sampling()
    constraints: tuple[str, ...] = ()
    objectives: tuple[str, ...] = ("latency_s", "energy_pj")
    qsnr: QsnrSpec = QsnrSpec()
    op_rows: bool = True  # keep one row per op of every point (ops.parquet); off for huge sweeps
    description: str = ""

    def __post_init__(self):
        check(self.schema_version == 1, "schema_version", f"must be 1, not {self.schema_version!r}")
        check(bool(re.fullmatch(r"[\w.-]+", self.name)), "name",
              f"must be letters, digits, '_', '.' or '-', not {self.name!r}")
        check(bool(self.base or self.designs), "base", "give base (one or a list) or designs")
        designs = tuple(DesignSpec(b) for b in self.base) + self.designs
        object.__setattr__(self, "designs", designs)
        object.__setattr__(self, "base", ())
        _check_axes(self.axes, "axes")
        for text in self.constraints:
            parse_constraint(text)
        check(bool(self.objectives), "objectives", "must list at least one objective")
        for name in self.objectives:
            check(name in OBJECTIVES, "objectives",
                  f"unknown objective {name!r}; allowed: {', '.join(OBJECTIVES)}")
        check(len(set(self.objectives)) == len(self.objectives), "objectives", "lists an objective twice")

    @property
    def parsed_constraints(self) -> tuple[Constraint, ...]:
        return tuple(parse_constraint(text) for text in self.constraints)

    def design_axes(self, index: int) -> dict[str, tuple[Any, ...]]:
        """The axes of design ``index``: the shared ones, overridden by its own."""
        return {**self.axes, **self.designs[index].axes}


# --- semantic checks that need the base designs --------------------------------------------

@lru_cache(maxsize=64)
def base_design(base: str) -> Design:
    """The design a spec's ``base`` names (built-in name or YAML path), loaded once."""
    return load_design(base)


def workload_field(axis: str) -> str | None:
    """The :class:`WorkloadSpec` field an axis sets (``context`` or ``workload.context``), or None."""
    name = axis.removeprefix("workload.")
    return name if name in WORKLOAD_AXES else None


def resolve_base(base: str, spec_dir: Path | None) -> str:
    """A base path relative to the spec's folder; built-in names are kept."""
    if Path(base).suffix and spec_dir is not None and not Path(base).is_absolute():
        return str(spec_dir / base)
    return base


def _line(data: Any, *keys: str | int) -> int:
    """The line of the innermost of ``keys`` that the YAML mappings remember."""
    line, node = getattr(data, "line", 0), data
    for key in keys:
        if isinstance(node, dict) and key in node:
            line = node.line_of(key) if hasattr(node, "line_of") else line
            node = node[key]
        elif isinstance(node, list) and isinstance(key, int) and key < len(node):
            node = node[key]
            line = getattr(node, "line", line)
        else:
            break
    return line


def _error(source: str, line: int, field_name: str, message: str) -> ConfigError:
    where = f"{source}:{line}" if line else source
    return ConfigError(f"{where}: {field_name}: {message}")


def _check_design_axis(source: str, line: int, prefix: str, base: str, path: str, values) -> None:
    design = base_design(base)
    if not has_path(design, path):
        raise _error(source, line, prefix, f"{base} has no field {path!r}")
    for value in values:
        try:
            changed = replace_path(design, path, value)
        except FieldError as exc:
            raise _error(source, line, prefix, f"value {value!r}: {exc}") from None
        if isinstance(changed, Accelerator):
            check_priced(changed, f"{source}:{line}: {prefix}: value {value!r}")


def _check_designs(spec: SweepSpec, data: Any, source: str, spec_dir: Path | None) -> None:
    shorthand = len(data.get("base") or ()) if isinstance(data, dict) else 0
    for i, design in enumerate(spec.designs):
        keys = ("base", i) if i < shorthand else ("designs", i - shorthand)
        line = _line(data, *keys)
        base = resolve_base(design.base, spec_dir)
        if Path(base).suffix and not Path(base).is_file():
            raise _error(source, line, keys[0], f"no design file {base}")
        try:
            loaded = base_design(base)
        except ConfigError as exc:
            text = str(exc) if str(exc).startswith(base) else f"{source}:{line}: {keys[0]}: {exc}"
            raise ConfigError(text) from None
        if isinstance(loaded, Accelerator):
            check_priced(loaded, base if Path(base).suffix else f"{source}:{line}: {keys[0]}")
        axes = spec.design_axes(i)
        for path, values in axes.items():
            if workload_field(path):
                continue
            own = path in design.axes
            where = (*keys, "axes", path) if own else ("axes", path)
            prefix = f"{keys[0]}[{keys[1]}].axes.{path}" if own else f"axes.{path}"
            _check_design_axis(source, _line(data, *where), prefix, base, path, values)


def _check_contexts(spec: SweepSpec, data: Any, source: str) -> None:
    """Every context the spec can pair with a model fits that model's max_context."""
    for i in range(len(spec.designs)):
        axes = {workload_field(k) or k: v for k, v in spec.design_axes(i).items()}
        for model_name in axes.get("model", (spec.workload.model,)):
            try:
                limit = load_model(model_name).max_context
            except (ConfigError, FieldError) as exc:
                raise _error(source, _line(data, "workload", "model"), "model", str(exc)) from None
            for context in axes.get("context", (spec.workload.context,)):
                if context > limit:
                    where = ("axes", "context") if "context" in axes else ("workload", "context")
                    raise _error(source, _line(data, *where), ".".join(where),
                                 f"{context} exceeds max_context ({limit}) of {model_name}")


def spec_from_dict(data: Any, source: str = "<python>", spec_dir: Path | None = None) -> SweepSpec:
    """Build and fully validate a spec from a mapping (e.g. from :func:`arch.load_yaml`)."""
    if isinstance(data, dict) and isinstance(data.get("base"), str):
        data["base"] = [data["base"]]  # a _LinedDict keeps the key's line
    spec = from_dict(SweepSpec, data, source=source)
    _check_designs(spec, data, source, spec_dir)
    _check_contexts(spec, data, source)
    designs = tuple(replace(d, base=resolve_base(d.base, spec_dir)) for d in spec.designs)
    return replace(spec, designs=designs)


def load_spec(path: str | Path) -> SweepSpec:
    """Load and validate a spec file; any mistake is one ``file:line: field: message`` line."""
    path = Path(path)
    data = load_yaml(path)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1: must be a mapping with schema_version, name, base/designs, ...")
    return spec_from_dict(data, source=str(path), spec_dir=path.parent)


def spec_hash(spec: SweepSpec) -> str:
    """sha256 of the spec's canonical JSON (its plain-data form, keys sorted)."""
    return hashlib.sha256(canonical_json(to_dict(spec)).encode()).hexdigest()


def canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
