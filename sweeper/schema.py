"""The configuration's schema engine: frozen dataclasses as the schema, one YAML walker.

Each setting is a dataclass field whose metadata carries its help text and limits (see
:func:`setting`); its type hint says what kind of value it takes. One walker
(:class:`_Reader`) checks a composed YAML tree against the dataclasses, keeping line
numbers, so a typo is reported as ``FILE:LINE: key.path: problem (allowed: ...; did you
mean ...?)``. The same help text renders the example file (:func:`_emit_section`). The
sections themselves are in :mod:`sweeper.config`; nothing here knows them.

Why one module of over 400 lines: the walker and its messages are one engine; its
helpers exist only for it.
"""
from __future__ import annotations

import dataclasses
import difflib
import functools
import json
import math
import os
import textwrap
import typing
from dataclasses import MISSING, field
from types import MappingProxyType
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from sweeper.errors import ConfigError, terminal_safe

_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"


# --------------------------------------------------------------------------- schema


def setting(default: Any = MISSING, help: str = "", *, factory=None, choices=None,
            ranges=None, above=None, path: bool = False, example: Optional[str] = None):
    """A schema entry: a dataclass field carrying its help text and limits.

    ``choices`` restricts text; ``ranges`` is a tuple of inclusive ``(lo, hi)`` pairs
    (``None`` = open) a number must fall in one of; ``above`` is an exclusive lower
    bound; ``path`` resolves text relative to the config file's folder; ``example`` is a
    YAML line shown in the example file.
    """
    meta = {"help": help, "choices": tuple(choices) if choices else None,
            "ranges": tuple(ranges) if ranges else None, "above": above, "path": path,
            "example": example}
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


def section(cls, help: str):
    """A nested section whose defaults are its own fields' defaults."""
    return setting(help=help, factory=cls)


class ConfigProblem(ConfigError):
    """A rule between settings is broken. ``keys`` are relative to the section, most
    relevant first; the loader turns them into ``FILE:LINE: full.key``."""

    def __init__(self, keys, problem: str, allowed: Optional[str] = None,
                 suggestion: Optional[str] = None):
        self.keys = (keys,) if isinstance(keys, str) else tuple(keys)
        self.problem, self.allowed, self.suggestion = problem, allowed, suggestion
        super().__init__(_message(None, None, self.keys[0], problem, allowed, suggestion))


class _Section:
    """Shared behaviour of every config section."""

    def to_dict(self) -> Dict[str, Any]:
        """Plain dicts/lists/scalars, in schema order; loads back to an equal config."""
        return _plain(self)


def _plain(value):
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in _schema_fields(type(value))}
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


class _Mismatch(Exception):
    """A value does not fit one alternative; ``shaped`` when it was the right kind of value."""

    def __init__(self, problem: str, shaped: bool = False, suggestion: Optional[str] = None):
        super().__init__(problem)
        self.problem, self.shaped, self.suggestion = problem, shaped, suggestion


class _Reader:
    """Checks a composed YAML tree against the schema, merging over defaults."""

    def __init__(self, filename: str):
        self.filename = filename
        self.folder = os.path.dirname(os.path.abspath(filename))
        self.lines: Dict[str, int] = {}  # full key path -> line it was set on
        self.constructor = yaml.constructor.SafeConstructor()

    def fail(self, path: str, line: Optional[int], problem: str, allowed=None, suggestion=None):
        raise ConfigError(_message(self.filename, line, path, problem, allowed, suggestion))

    def read(self, node: Node, hint, meta, default, path: str, line: int):
        """Convert ``node`` to a value of type ``hint``; ``default`` is merged under it."""
        self.lines[path] = line
        alts, nullable = _alternatives(hint)
        if nullable and isinstance(node, ScalarNode) and node.tag == _NULL:
            return None
        errors = []
        for alt in alts:
            try:
                return self._read_one(node, alt, meta, default, path, line)
            except _Mismatch as e:
                errors.append(e)
        best = errors[0] if len(errors) == 1 else next((e for e in errors if e.shaped), None)
        problem = best.problem if best else f"{_show(node)} is not allowed"
        self.fail(path, line, problem, _describe(hint, meta), best.suggestion if best else None)

    def _read_one(self, node, hint, meta, default, path, line):
        origin = typing.get_origin(hint)
        if dataclasses.is_dataclass(hint):
            if not isinstance(node, MappingNode):
                raise _Mismatch(f"{_show(node)} is not a mapping of settings")
            return self._section(node, hint, default, path, line)
        if origin is tuple:
            if not isinstance(node, SequenceNode):
                raise _Mismatch(f"{_show(node)} is not a list")
            item = typing.get_args(hint)[0]
            return tuple(self.read(n, item, meta, None, f"{path}[{i}]", _line(n))
                         for i, n in enumerate(node.value))
        if origin in (dict, Mapping, typing.get_origin(Mapping)):
            if not isinstance(node, MappingNode):
                raise _Mismatch(f"{_show(node)} is not a mapping of names")
            item = typing.get_args(hint)[1]
            result = dict(default or {})
            for key, (knode, vnode) in self._pairs(node, path).items():
                sub = _join(path, key)
                if isinstance(vnode, ScalarNode) and vnode.tag == _NULL:
                    self.lines[sub] = _line(knode)
                    result.pop(key, None)
                else:
                    result[key] = self.read(vnode, item, {}, result.get(key), sub, _line(knode))
            return MappingProxyType(result)
        if not isinstance(node, ScalarNode):
            raise _Mismatch(f"{_show(node)} is not {_noun(hint)}")
        if node.tag == _NULL:
            raise _Mismatch("has no value")
        return self._scalar(node, hint, meta)

    def _scalar(self, node: ScalarNode, kind, meta):
        if kind is bool:
            if node.tag != _BOOL:
                raise _Mismatch(f"{_show(node)} is not true or false")
            return self.constructor.construct_object(node)
        if kind is str:
            if node.tag not in (_STR, _INT, _FLOAT, _BOOL, "tag:yaml.org,2002:timestamp"):
                raise _Mismatch(f"{_show(node)} is not text")
            text = node.value  # as written: keeps serials like 00000001 intact
            choices = meta.get("choices")
            if choices is not None and text not in choices:
                raise _Mismatch(f"{_show(node)} is not one of the choices", shaped=node.tag == _STR,
                                suggestion=_closest(text, choices))
            if meta.get("path"):
                text = os.path.join(self.folder, os.path.expanduser(text))
            return text
        if kind is int:
            if node.tag != _INT:
                raise _Mismatch(f"{_show(node)} is not a whole number")
            value = self._construct(node)
        elif kind is float:
            if node.tag in (_INT, _FLOAT):
                value = float(self._construct(node))
            else:
                try:  # PyYAML reads 2.4e6 (no dot) as text
                    value = float(node.value.replace("_", ""))
                except ValueError:
                    raise _Mismatch(f"{_show(node)} is not a number") from None
            if not math.isfinite(value):
                raise _Mismatch(f"{_show(node)} is not a finite number")
        else:  # pragma: no cover - a schema bug, not a user error
            raise TypeError(f"unsupported setting type {kind!r}")
        if not _in_range(value, meta):
            raise _Mismatch(f"{_num(value)} is out of range", shaped=True)
        return value

    def _construct(self, node):
        try:
            return self.constructor.construct_object(node, deep=True)
        except yaml.YAMLError:
            raise _Mismatch(f"{_show(node)} cannot be read") from None
        except (ValueError, OverflowError):  # e.g. an integer of thousands of digits
            raise _Mismatch(f"{_show(node)[:20]}... is not a number that can be read") from None

    def _pairs(self, node: MappingNode, path: str) -> Dict[str, Tuple[Node, Node]]:
        """Key -> (key node, value node), rejecting duplicate keys and applying ``<<`` merges."""
        seen: Dict[str, int] = {}
        for knode, _ in node.value:
            if knode.tag == _MERGE:
                continue
            if not isinstance(knode, ScalarNode):
                self.fail(path, _line(knode), f"a key must be a plain name, not {_show(knode)}")
            key = knode.value
            if key in seen:
                self.fail(_join(path, key), _line(knode), f"set twice (also on line {seen[key]}); "
                          "keep one")
            seen[key] = _line(knode)
        try:
            self.constructor.flatten_mapping(node)
        except yaml.MarkedYAMLError as e:
            self.fail(path, _line(node), f"bad '<<' merge: {e.problem}")
        return {k.value: (k, v) for k, v in node.value}

    def _section(self, node: MappingNode, cls, default, path: str, line: int):
        pairs = self._pairs(node, path)
        fields = {f.name: f for f in _schema_fields(cls)}
        for key, (knode, _) in pairs.items():
            if key not in fields:
                self.fail(_join(path, key), _line(knode), "unknown key", ", ".join(fields),
                          _closest(key, fields) or _home_of(cls, key))
        hints = _hints(cls)
        values = {}
        for name, f in fields.items():
            base = getattr(default, name) if default is not None else _field_default(f)
            if name in pairs:
                knode, vnode = pairs[name]
                values[name] = self.read(vnode, hints[name], f.metadata, base, _join(path, name),
                                         _line(knode))
            elif base is not MISSING:
                values[name] = base
            else:
                self.fail(path, line, f"missing required key {name}",
                          f"{name}: {_describe(hints[name], f.metadata)}")
        try:
            return cls(**values)
        except ConfigProblem as p:
            full = [_join(path, k) for k in p.keys]
            where = next((k for k in full if k in self.lines), full[0])
            self.fail(where, self.lines.get(where, line), p.problem, p.allowed, p.suggestion)


# --------------------------------------------------------------------------- helpers


@functools.lru_cache(maxsize=None)
def _hints(cls) -> Dict[str, Any]:
    return typing.get_type_hints(cls)


def _schema_fields(cls):
    return [f for f in dataclasses.fields(cls) if not f.metadata.get("internal")]


def _field_default(f):
    if f.default is not MISSING:
        return f.default
    if f.default_factory is not MISSING:
        return f.default_factory()
    return MISSING


def _alternatives(hint):
    """``Optional``/``Union`` split into (alternatives without None, whether None is allowed)."""
    if typing.get_origin(hint) is Union:
        args = typing.get_args(hint)
        alts = tuple(a for a in args if a is not type(None))
        return alts, len(alts) != len(args)
    return (hint,), False


def _in_range(value, meta) -> bool:
    above = meta.get("above")
    if above is not None and not value > above:
        return False
    ranges = meta.get("ranges")
    return not ranges or any((lo is None or value >= lo) and (hi is None or value <= hi)
                             for lo, hi in ranges)


def _noun(kind) -> str:
    return {bool: "true or false", int: "a whole number", float: "a number", str: "text"}[kind]


def _describe(hint, meta) -> str:
    """What a setting accepts, for error messages and the example file."""
    alts, nullable = _alternatives(hint)
    parts = [_describe_one(a, meta) for a in alts] + (["null"] if nullable else [])
    return " or ".join(parts)


def _describe_one(hint, meta) -> str:
    if dataclasses.is_dataclass(hint):
        return "a mapping with keys " + ", ".join(f.name for f in _schema_fields(hint))
    origin = typing.get_origin(hint)
    if origin is tuple:
        return "a list of: " + _describe(typing.get_args(hint)[0], meta)
    if origin in (dict, Mapping, typing.get_origin(Mapping)):
        return "a mapping of names to " + _describe(typing.get_args(hint)[1], {})
    if hint is str:
        if meta.get("choices"):
            return ", ".join(meta["choices"])
        return "a file path" if meta.get("path") else "text"
    if hint in (int, float):
        limits = []
        for lo, hi in meta.get("ranges") or ():
            if lo is not None and hi is not None:
                limits.append(f"from {_num(lo)} to {_num(hi)}")
            elif lo is not None:
                limits.append(f"{_num(lo)} or more")
            else:
                limits.append(f"{_num(hi)} or less")
        if meta.get("above") is not None:
            limits.append(f"above {_num(meta['above'])}")
        return " ".join([_noun(hint)] + [" or ".join(limits)] if limits else [_noun(hint)])
    return _noun(hint)


def _num(x) -> str:
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e16:
        return str(int(x))
    return repr(x) if isinstance(x, float) else str(x)


def _line(node: Node) -> int:
    return node.start_mark.line + 1


def _join(path: str, key: str) -> str:
    """A key's dotted path, printable: a key holding a newline or an escape sequence is
    shown with codes, so a message about it stays one safe line."""
    key = terminal_safe(key)
    return f"{path}.{key}" if path else key


def _show(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    if node.tag == _NULL:
        return "null"
    return repr(node.value) if node.tag == _STR else node.value


def _home_of(cls, key: str) -> Optional[str]:
    """``sub.key`` when ``key`` is a setting of one of ``cls``'s subsections (e.g.
    rtlsdr.ppm), or names one with the subsection as prefix (video_camera_score, the
    flat spelling of older configs, is video.camera_score)."""
    hints = _hints(cls)
    for f in _schema_fields(cls):
        sub = hints[f.name]
        if not dataclasses.is_dataclass(sub):
            continue
        names = {g.name for g in _schema_fields(sub)}
        if key in names:
            return f"{f.name}.{key}"
        rest = key[len(f.name) + 1:]
        if key.startswith(f.name + "_") and rest in names:
            return f"{f.name}.{rest}"
    return None


def _closest(word: str, options) -> Optional[str]:
    """The option ``word`` was probably meant to be (case-insensitive), if any."""
    lowered = {o.lower(): o for o in options}
    match = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[match[0]] if match else None


def _message(filename, line, path, problem, allowed=None, suggestion=None) -> str:
    where = f"{filename}:{line}: " if filename and line else (f"{filename}: " if filename else "")
    msg = f"{where}{path}: {problem}" if path else f"{where}{problem}"
    if suggestion:
        msg += f"; did you mean {suggestion}?"
    if allowed:
        msg += f" (allowed: {allowed})"
    return msg


# --------------------------------------------------------------------------- example file


def _emit_section(cls, obj, indent: int, out: List[str]) -> None:
    pad = " " * indent
    hints = _hints(cls)
    for i, f in enumerate(_schema_fields(cls)):
        hint, meta, value = hints[f.name], f.metadata, getattr(obj, f.name)
        if indent == 0 or i > 0:
            out.append("")
        _comment(out, pad, meta["help"])
        origin = typing.get_origin(hint)
        if dataclasses.is_dataclass(hint):
            out.append(f"{pad}{f.name}:")
            _emit_section(hint, value, indent + 2, out)
        elif origin in (dict, Mapping, typing.get_origin(Mapping)):
            item = typing.get_args(hint)[1]
            _item_keys(out, pad, item, "Each entry has:")
            out.append(f"{pad}{f.name}:" + ("" if value else " {}"))
            for name, entry in value.items():
                out.append(f"{pad}  {_yaml_scalar(name)}: {_flow(entry)}")
        elif origin is tuple:
            for alt in _alternatives(typing.get_args(hint)[0])[0]:
                if dataclasses.is_dataclass(alt):
                    _item_keys(out, pad, alt, "A custom entry is a mapping with:")
            if meta.get("example"):
                out.append(f"{pad}# For example: {meta['example']}")
            out.append(f"{pad}{f.name}:" + ("" if value else " []"))
            for item in value:
                out.append(f"{pad}  - {_flow(item)}")
        else:
            _comment(out, pad, f"Allowed: {_describe(hint, meta)}.")
            out.append(f"{pad}{f.name}: {_yaml_scalar(value)}")


def _comment(out: List[str], pad: str, text: str, hang: str = "") -> None:
    """Wrapped ``# text``; continuation lines indented by ``hang``."""
    width = max(40, 88 - len(pad) - 2)
    for line in textwrap.wrap(text, width=width, subsequent_indent=hang,
                              break_on_hyphens=False):
        out.append(f"{pad}# {line}")


def _item_keys(out: List[str], pad: str, cls, intro: str) -> None:
    """Document the keys of a list or mapping entry once, above the entries."""
    _comment(out, pad, intro)
    hints = _hints(cls)
    for f in _schema_fields(cls):
        _comment(out, pad, f"  {f.name}: {f.metadata['help']} Allowed: "
                 f"{_describe(hints[f.name], f.metadata)}.", hang="    ")


def _flow(value) -> str:
    """A value on one line: a scalar, or a section as a ``{key: value}`` flow mapping."""
    if dataclasses.is_dataclass(value):
        return "{" + ", ".join(f"{k}: {_yaml_scalar(v)}" for k, v in value.to_dict().items()) + "}"
    return _yaml_scalar(value)


def _yaml_scalar(value) -> str:
    """``value`` as YAML text that reads back as the same value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _num(value)
    text = str(value)
    try:
        plain = bool(text) and yaml.safe_load(text) == text and "#" not in text
    except yaml.YAMLError:
        plain = False
    return text if plain else json.dumps(text)
