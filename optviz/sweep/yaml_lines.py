"""YAML with line numbers: a safe loader that remembers where each key and item was written, and
``FILE:LINE: KEY: message`` errors that point there."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import yaml

from optviz.errors import ConfigError

#: YAML aliases can expand a small file into a huge document ("billion laughs")
MAX_NODES = 100_000


class _Map(dict):
    """A mapping that remembers the line (1-based) of each key."""

    lines: dict[Any, int]


class _Seq(list):
    """A list that remembers the line (1-based) of each item."""

    lines: list[int]


class _Loader(yaml.SafeLoader):
    """``yaml.safe_load``'s loader (no tags, no objects, no code), plus line numbers for keys and
    items, repeated keys refused (plain YAML keeps the last one silently), ``1e-6`` read as a
    number (YAML 1.1 wants ``1.0e-6``), and ``16:9`` kept as text (YAML 1.1 reads 969, base 60)."""


def _construct_map(loader: _Loader, node: yaml.MappingNode):
    data = _Map()
    yield data
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue  # "<<: *defaults" may be overridden by the keys that follow
        key = loader.construct_object(key_node, deep=True)
        try:
            first = seen.get(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "a list or mapping cannot be a key", key_node.start_mark
            ) from None
        if first is not None:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} is given twice (first on line {first})", key_node.start_mark
            )
        seen[key] = key_node.start_mark.line + 1
    data.update(loader.construct_mapping(node))
    data.lines = {loader.construct_object(k): k.start_mark.line + 1 for k, _ in node.value}


def _construct_seq(loader: _Loader, node: yaml.SequenceNode):
    data = _Seq()
    yield data
    data.extend(loader.construct_sequence(node))
    data.lines = [item.start_mark.line + 1 for item in node.value]


def _construct_number(kind: str) -> Callable[[_Loader, yaml.ScalarNode], Any]:
    base = getattr(yaml.constructor.SafeConstructor, f"construct_yaml_{kind}")

    def construct(loader: _Loader, node: yaml.ScalarNode) -> Any:
        if ":" in node.value:  # base 60 ("16:9" -> 969) is surely meant as text
            return loader.construct_scalar(node)
        return base(loader, node)

    return construct


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)
_Loader.add_constructor("tag:yaml.org,2002:int", _construct_number("int"))
_Loader.add_constructor("tag:yaml.org,2002:float", _construct_number("float"))
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9]+)[eE][-+]?[0-9]+$"),
    list("-+.0123456789"),
)


def parse_yaml(text: str, source: str) -> Any:
    """YAML text -> Python data with line numbers; any problem is a ConfigError naming the line."""
    try:
        data = yaml.load(text, Loader=_Loader)  # safe: _Loader is a SafeLoader subclass
    except yaml.constructor.ConstructorError as exc:  # the text parses; a value or key is refused
        line = f":{exc.problem_mark.line + 1}" if exc.problem_mark is not None else ""
        problem = str(exc.problem)
        if "could not determine a constructor" in problem:
            problem = f"the tag {problem.split('tag ', 1)[-1]} is not allowed; configs hold plain values only"
        raise ConfigError(f"{source}{line}: {problem}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        raise ConfigError(f"{source}{line}: YAML syntax error: {problem}; check the indentation and quoting") from None
    except yaml.YAMLError as exc:  # e.g. a control character, which has a position but no mark
        position = getattr(exc, "position", None)
        line = f":{text.count(chr(10), 0, position) + 1}" if isinstance(position, int) else ""
        reason = getattr(exc, "reason", None) or " ".join(str(exc).split())
        raise ConfigError(f"{source}{line}: YAML syntax error: {reason}") from None
    except RecursionError:
        raise ConfigError(f"{source}: the YAML is nested too deeply to be a config") from None
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. an impossible date, 2020-13-45
        raise ConfigError(f"{source}: cannot read a value: {exc}") from None
    _check_size(data, source)
    return data


def _check_size(data: Any, source: str) -> None:
    """Refuse documents that aliases blow up past MAX_NODES values (counting stops at the limit)."""
    budget, stack = MAX_NODES, [data]
    while stack:
        node = stack.pop()
        budget -= 1
        if budget < 0:
            raise ConfigError(
                f"{source}: the config expands to more than {MAX_NODES} values; does an alias refer to itself?"
            )
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def locate(doc: Any, path: Sequence[Any]) -> tuple[int, str]:
    """The line and dotted name (``sweep.lr[1]``) of ``path`` in ``doc``, as deep as it exists."""
    line, node, shown = 1, doc, ""
    for key in path:
        lines = getattr(node, "lines", None)
        if isinstance(node, dict) and lines is not None and key in lines:
            line, node = lines[key], node[key]
            shown += f".{key}" if shown else str(key)
        elif isinstance(node, list) and lines is not None and isinstance(key, int) and 0 <= key < len(lines):
            line, node = lines[key], node[key]
            shown += f"[{key}]"
        else:
            if isinstance(key, str) and isinstance(node, dict):  # a missing key: still name it
                shown += f".{key}" if shown else key
            break
    return line, shown


class Errors:
    """Makes ``FILE:LINE: KEY: message`` errors for one config."""

    def __init__(self, source: str, doc: Any):
        self.source = source
        self.doc = doc

    def __call__(self, path: Sequence[Any], message: str) -> ConfigError:
        line, shown = locate(self.doc, path)
        return ConfigError(f"{self.source}:{line}:{' ' + shown + ':' if shown else ''} {message}")
