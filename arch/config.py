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
import types
import typing
from pathlib import Path
from typing import Any, Literal

import yaml

__all__ = ["ConfigError", "FieldError", "builtin_names", "check", "convert_field", "from_dict",
           "load_builtin",
           "load_yaml", "to_dict"]


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


# --- strict YAML --------------------------------------------------------------------------

class _LinedDict(dict):
    """A mapping that remembers the line (1-based) of its own start and of each key."""

    line: int = 0
    key_lines: dict

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class _StrictLoader(yaml.SafeLoader):
    pass


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
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    loader = _StrictLoader(text)
    loader.name = str(path)
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        raise ConfigError(f"{path}:{line}: invalid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from None
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
    if kind not in kinds:
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
