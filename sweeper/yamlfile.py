"""Reading the project's YAML files (configuration, scenes) as node trees, so every
error can name the file and the line. Messages say what is wrong in one line.

A config or scene is a few kilobytes, a few levels deep, with a handful of anchors. A
file far beyond that is a mistake or an attack (a named pipe that never ends, nesting
that exhausts the parser's recursion, aliases that multiply into gigabytes), so size,
depth and aliases are limited before the tree is built.
"""
from __future__ import annotations

import os
import stat
from typing import Optional, Type

import yaml
from yaml.nodes import Node

#: limits far above any real config or scene
MAX_BYTES = 1 << 20
MAX_DEPTH = 64
MAX_ALIASES = 256


def read_text(path: str, what: str, error: Type[Exception]) -> str:
    """The file's text; ``what`` ("config file", "scene file") names it in errors. Only
    a regular file is read: a named pipe or a device would block or never end."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise error(f"{path}: {what} not found") from None
    except OSError as e:
        raise error(f"{path}: cannot read the {what}: {e.strerror or e}") from None
    if stat.S_ISDIR(st.st_mode):
        raise error(f"{path}: is a directory, not a {what}")
    if not stat.S_ISREG(st.st_mode):
        raise error(f"{path}: is not a regular file (a pipe or a device?), not a {what}")
    if st.st_size > MAX_BYTES:
        raise error(f"{path}: {st.st_size} bytes is too large for a {what} (at most {MAX_BYTES})")
    try:
        with open(path, encoding="utf-8") as f:
            return f.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise error(f"{path}: {what} not found") from None
    except IsADirectoryError:
        raise error(f"{path}: is a directory, not a {what}") from None
    except PermissionError:
        raise error(f"{path}: permission denied reading the {what}") from None
    except UnicodeDecodeError as e:
        raise error(f"{path}: not a text (UTF-8) file: byte {e.start} is invalid") from None
    except OSError as e:
        raise error(f"{path}: cannot read the {what}: {e.strerror or e}") from None


def _check_shape(text: str, filename: str, error: Type[Exception]) -> None:
    """Depth and alias limits, on the parser's event stream (iterative: no recursion)."""
    depth = aliases = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                line = event.start_mark.line + 1 if event.start_mark else 0
                raise error(f"{filename}:{line}: nested more than {MAX_DEPTH} levels deep")
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
        elif isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                raise error(f"{filename}: more than {MAX_ALIASES} aliases (*name)")


def compose(text: str, filename: str, error: Type[Exception]) -> Optional[Node]:
    """The YAML node tree (marks give line numbers), or ``error`` naming file:line:col."""
    if len(text) > MAX_BYTES:
        raise error(f"{filename}: too large for a YAML file here (at most {MAX_BYTES} bytes)")
    try:
        _check_shape(text, filename, error)
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f"{filename}:{mark.line + 1}:{mark.column + 1}" if mark else filename
        problem = e.problem or e.context or "syntax error"
        if "\\t" in problem or "\t" in problem:
            problem += " (indent with spaces, not tabs)"
        raise error(f"{where}: not valid YAML: {problem}") from None
    except yaml.YAMLError as e:
        raise error(f"{filename}: not valid YAML: {' '.join(str(e).split())}") from None
