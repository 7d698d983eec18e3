"""Reading the project's YAML files (configuration, scenes) as node trees, so every
error can name the file and the line. Messages say what is wrong in one line."""
from __future__ import annotations

from typing import Optional, Type

import yaml
from yaml.nodes import Node


def read_text(path: str, what: str, error: Type[Exception]) -> str:
    """The file's text; ``what`` ("config file", "scene file") names it in errors."""
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
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


def compose(text: str, filename: str, error: Type[Exception]) -> Optional[Node]:
    """The YAML node tree (marks give line numbers), or ``error`` naming file:line:col."""
    try:
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
