"""YAML (or plain dict) -> frozen, validated dataclasses.

Example::

    >>> from arch import SystolicArray
    >>> from arch.config import from_dict
    >>> from_dict(SystolicArray, {"rows": 32, "cols": 32, "dataflow": "ws"})
    SystolicArray(rows=32, cols=32, dataflow='ws', component='pe', pe_area_um2=None)

Parse is validate: a mapping becomes a dataclass only through :func:`from_dict`, which
checks every key against the dataclass's typed fields (unknown, missing, wrong type) and
then runs the dataclass's own range checks. Every failure is one :class:`ConfigError`
line naming the file, the line and the dotted field, e.g.
``arch.yaml:7: unit.rows: must be a positive integer, not 0``. YAML is loaded with a
safe loader that also rejects duplicate keys; nothing is ever evaluated.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import types
import typing
from pathlib import Path
from typing import Any, Literal

import yaml

__all__ = ["MAX_BANDWIDTH_BYTES_PER_S", "MAX_BYTES", "MAX_CLOCK_HZ", "MAX_COUNT", "MAX_EDGE",
           "MAX_FILE_BYTES", "MAX_SRAM_BYTES", "ConfigError", "FieldError", "builtin_names", "check",
           "convert_field", "finite_non_negative", "finite_positive", "fraction", "from_dict", "load_builtin",
           "load_yaml", "non_negative_int", "positive_int", "read_user_file", "to_dict"]


class FieldError(ValueError):
    """A value out of range, raised by a dataclass's own checks: ``field: message``."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class ConfigError(ValueError):
    """An invalid configuration: one line ``source:line: field: message``."""


def check(condition: bool, field: str, message: str) -> None:
    """Raise :class:`FieldError` for ``field`` unless ``condition`` holds."""
    if not condition:
        raise FieldError(field, message)


# --- declared bounds: the one set of numeric validators -----------------------------------

# Upper limits for counts (LUTs, units, tiles), array edges, sizes in bytes, clocks and
# bandwidths. They are far above any real part (a 65,536-PE edge, a pebibyte, 100 GHz,
# 10 PB/s) and far below what makes the arithmetic meaningless (10^12 layers, an infinite
# bandwidth that makes memory time 0); the error message states them.
MAX_COUNT = 1 << 31
MAX_EDGE = 1 << 16  # one edge of a PE array, layers, heads, batch
MAX_BYTES = 1 << 50
MAX_SRAM_BYTES = 1 << 36  # on-chip: 64 GiB (a wafer-scale part holds 44 GB)
MAX_CLOCK_HZ = 1e11
MAX_BANDWIDTH_BYTES_PER_S = 1e16


def _limit(upper: float) -> str:
    return f"{upper:,}" if isinstance(upper, int) else f"{upper:g}"


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _finite(value: float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an int beyond float range
        return False


def positive_int(value: object, field: str, upper: int = MAX_COUNT) -> None:
    """An ``int`` (not a bool) in ``[1, upper]``."""
    ok = isinstance(value, int) and not isinstance(value, bool) and value > 0
    check(ok, field, f"must be a positive integer, not {value!r}")
    check(value <= upper, field, f"must be at most {_limit(upper)}, not {value!r}")


def non_negative_int(value: object, field: str, upper: int = MAX_COUNT) -> None:
    """An ``int`` (not a bool) in ``[0, upper]``."""
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    check(ok, field, f"must be an integer >= 0, not {value!r}")
    check(value <= upper, field, f"must be at most {_limit(upper)}, not {value!r}")


def finite_positive(value: object, field: str, upper: float | None = None) -> None:
    """A finite number > 0 (and <= ``upper`` when given)."""
    check(_is_number(value) and value > 0, field, f"must be positive, not {value!r}")
    check(_finite(value), field, f"must be a finite number, not {value!r}")
    if upper is not None:
        check(value <= upper, field, f"must be at most {_limit(upper)}, not {value!r}")


def finite_non_negative(value: object, field: str, upper: float | None = None) -> None:
    """A finite number >= 0 (and <= ``upper`` when given)."""
    check(_is_number(value) and value >= 0, field, f"must be zero or positive, not {value!r}")
    check(_finite(value), field, f"must be a finite number, not {value!r}")
    if upper is not None:
        check(value <= upper, field, f"must be at most {_limit(upper)}, not {value!r}")


def fraction(value: object, field: str) -> None:
    """A number in (0, 1]."""
    check(_is_number(value) and 0 < value <= 1, field, f"must be in (0, 1], not {value!r}")


# --- the one way in for a user file -------------------------------------------------------

# No design, spec, table, model, trace or Liberty file comes near this; a bigger one is a
# mistake (a results file or a disk image given as a spec), refused before it is read.
MAX_FILE_BYTES = 64 << 20


def read_user_file(path: str | Path, what: str = "file", max_bytes: int = MAX_FILE_BYTES) -> str:
    """The text of a UTF-8 file; every OS, size and decoding problem is one :class:`ConfigError`."""
    path = Path(path)
    try:
        if path.is_dir():
            raise ConfigError(f"{path}: is a directory, not a {what}")
        size = path.stat().st_size
        if size > max_bytes:
            raise ConfigError(f"{path}: {size:,} bytes is too large for a {what} "
                              f"(at most {max_bytes:,})")
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except ValueError as exc:  # a NUL character in the path
        raise ConfigError(f"{str(path)!r}: cannot read: {exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x} "
                          f"at offset {exc.start})") from None
    if "\x00" in text:
        raise ConfigError(f"{path}:{text[:text.index(chr(0))].count(chr(10)) + 1}: not a text file "
                          "(contains a NUL byte)")
    return text


# --- strict YAML --------------------------------------------------------------------------

class _LinedDict(dict):
    """A mapping that remembers the line (1-based) of its own start and of each key."""

    line: int = 0
    key_lines: dict

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class _StrictLoader(yaml.SafeLoader):
    def compose_node(self, parent, index):
        # Aliases let a few lines expand into gigabytes ("billion laughs"); no file needs them.
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise ConfigError(f"{self.name}:{event.start_mark.line + 1}: YAML aliases "
                              f"(*{event.anchor}) are not supported; write the value out")
        return super().compose_node(parent, index)


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> _LinedDict:
    loader.flatten_mapping(node)
    result = _LinedDict()
    result.line, result.key_lines = node.start_mark.line + 1, {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, str):
            raise ConfigError(f"{loader.name}:{line}: keys must be strings, not {key!r}")
        if key in result:
            raise ConfigError(f"{loader.name}:{line}: duplicate key {key!r} "
                              f"(first at line {result.key_lines[key]})")
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = line
    return result


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(path: str | Path) -> Any:
    """Load one YAML document strictly; errors are :class:`ConfigError` naming file and line."""
    path = Path(path)
    text = read_user_file(path, "YAML file")
    try:
        loader = _StrictLoader(text)  # the reader rejects control characters right here
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {' '.join(str(exc).split())}") from None
    loader.name = str(path)
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        raise ConfigError(f"{path}:{line}: invalid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {' '.join(str(exc).split())}") from None
    except ConfigError:
        raise
    except RecursionError:
        raise ConfigError(f"{path}: invalid YAML: nested too deeply") from None
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. a timestamp with month 13
        raise ConfigError(f"{path}: invalid YAML value: {' '.join(str(exc).split())}") from None
    finally:
        loader.dispose()


# --- mapping -> dataclass -----------------------------------------------------------------

def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _type_name(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if origin is Literal:
        return "one of " + ", ".join(map(str, typing.get_args(hint)))
    if dataclasses.is_dataclass(hint):
        return f"a mapping ({hint.__name__})"
    return {int: "an integer", float: "a number", str: "a string", bool: "true or false",
            tuple: "a list", dict: "a mapping"}.get(origin or hint, str(hint))


class _Context:
    """Where we are: the source name, the nearest line and the dotted field path."""

    def __init__(self, source: str, line: int, field: str):
        self.source, self.line, self.field = source, line, field

    def child(self, data: Any, key: str | int) -> _Context:
        line = data.line_of(key) if isinstance(data, _LinedDict) else self.line
        name = f"{self.field}[{key}]" if isinstance(key, int) else (
            f"{self.field}.{key}" if self.field else key)
        return type(self)(self.source, line, name)

    def error(self, message: str, field: str | None = None) -> ConfigError:
        where = f"{self.source}:{self.line}" if self.line else self.source
        name = field if field is not None else self.field
        return ConfigError(f"{where}: {name}: {message}" if name else f"{where}: {message}")


def _convert(hint: Any, value: Any, ctx: _Context) -> Any:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        choices = [a for a in args if a is not type(None)]
        if len(choices) > 1:
            return _build_tagged(choices, value, ctx)
        return _convert(choices[0], value, ctx)
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, ctx)
    if origin is Literal:
        if value not in args or isinstance(value, bool):
            raise ctx.error(f"must be {_type_name(hint)}, not {_describe(value)}")
        return value
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise ctx.error(f"must be a list, not {_describe(value)}")
        inner = args[0]
        return tuple(_convert(inner, v, ctx.child(value, i)) for i, v in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict):
            raise ctx.error(f"must be a mapping, not {_describe(value)}")
        return {k: _convert(args[1], v, ctx.child(value, k)) for k, v in value.items()}
    return _scalar(hint, value, ctx)


def _scalar(hint: Any, value: Any, ctx: _Context) -> Any:
    if hint is float and isinstance(value, int | float) and not isinstance(value, bool):
        if not _finite(value):
            raise ctx.error(f"must be a finite number, not {_describe(value)}")
        return float(value)
    if hint is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if hint in (str, bool) and isinstance(value, hint):
        return value
    if hint is Any:
        return value
    raise ctx.error(f"must be {_type_name(hint)}, not {_describe(value)}")


def _build(cls: type, data: Any, ctx: _Context) -> Any:
    if isinstance(data, cls):
        return data
    if not isinstance(data, dict):
        raise ctx.error(f"must be {_type_name(cls)}, not {_describe(data)}")
    hints = _hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        bad = ctx.child(data, unknown[0])
        raise bad.error(f"unknown field; allowed: {', '.join(sorted(fields))}")
    missing = [n for n, f in fields.items() if n not in data and f.default is dataclasses.MISSING
               and f.default_factory is dataclasses.MISSING]
    if missing:
        raise ctx.child(data, missing[0]).error("missing required field")
    kwargs = {k: _convert(hints[k], v, ctx.child(data, k)) for k, v in data.items()}
    try:
        return cls(**kwargs)
    except FieldError as exc:
        raise ctx.child(data, exc.field.split(".")[0]).error(exc.message) from None


def _build_tagged(classes: list[type], data: Any, ctx: _Context) -> Any:
    """One of several dataclasses, chosen by the mapping's ``type`` key (each class's TYPE)."""
    if isinstance(data, tuple(classes)):
        return data
    kinds = {cls.TYPE: cls for cls in classes}
    if not isinstance(data, dict):
        raise ctx.error(f"must be a mapping with a type ({', '.join(kinds)}), not {_describe(data)}")
    kind = data.get("type")
    if not isinstance(kind, str) or kind not in kinds:
        raise ctx.child(data, "type").error(f"must be one of {', '.join(kinds)}, not {_describe(kind)}")
    rest = _LinedDict({k: v for k, v in data.items() if k != "type"})
    rest.line, rest.key_lines = getattr(data, "line", 0), getattr(data, "key_lines", {})
    return _build(kinds[kind], rest, ctx)


class _FieldContext(_Context):
    """Errors as :class:`FieldError` (a value set in Python, with no file or line)."""

    def error(self, message: str, field: str | None = None) -> FieldError:
        return FieldError(field if field is not None else self.field, message)


def convert_field(cls: type, name: str, value: Any) -> Any:
    """``value`` as field ``name`` of dataclass ``cls`` holds it (an int for a float field
    becomes a float, a mapping a dataclass), type-checked like :func:`from_dict` does; a
    wrong type is a :class:`FieldError` naming ``name``."""
    return _convert(_hints(cls)[name], value, _FieldContext("", 0, name))


@functools.lru_cache(maxsize=256)
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def from_dict(cls: type, data: Any, source: str = "<python>", field: str = "") -> Any:
    """Build the frozen dataclass ``cls`` from ``data`` (a mapping, e.g. from :func:`load_yaml`).

    Nested dataclass fields are built from nested mappings; tuples from lists. Raises
    :class:`ConfigError` (one line: ``source:line: field: message``) on any invalid input.
    """
    line = data.line if isinstance(data, _LinedDict) else 0
    return _build(cls, data, _Context(source, line, field))


def to_dict(obj: Any) -> Any:
    """The plain-data form of a config dataclass (what :func:`from_dict` reads back)."""
    if dataclasses.is_dataclass(obj):
        tag = {"type": obj.TYPE} if hasattr(obj, "TYPE") else {}
        return tag | {f.name: to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj) if f.init}
    if isinstance(obj, tuple | list):
        return [to_dict(v) for v in obj]
    if isinstance(obj, dict):
        return {k: to_dict(v) for k, v in obj.items()}
    return obj


# --- built-in data files ------------------------------------------------------------------

def builtin_names(folder: Path) -> tuple[str, ...]:
    """The names (file stems) of the YAML files in a data folder, sorted."""
    return tuple(sorted(p.stem for p in folder.glob("*.yaml")))


def load_builtin(cls: type, name_or_path: str | Path, folder: Path, what: str) -> Any:
    """``cls`` from the built-in ``folder/<name>.yaml``, or from a user YAML file by path.

    An unknown built-in name is one ConfigError line listing the built-in names."""
    path = Path(name_or_path)
    if not path.suffix:
        names = builtin_names(folder)
        if str(name_or_path) not in names:
            raise ConfigError(f"unknown {what} {str(name_or_path)!r}; built-in: {', '.join(names)} "
                              "(or give a path to a YAML file)")
        path = folder / f"{name_or_path}.yaml"
    return from_dict(cls, load_yaml(path), source=str(path))
