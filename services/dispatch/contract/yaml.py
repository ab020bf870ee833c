"""A small, deterministic YAML writer for the contract (dicts, lists, strings, numbers, booleans, null).

The project has no YAML library, and the contract needs only block style: a string is written plain
when no YAML 1.1 or 1.2 reader could take it for anything else, otherwise double-quoted with JSON's
escapes (valid YAML); a string of several lines becomes a literal block.
"""

import json
import re
from typing import Any

PLAIN = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$./-]*$")
RESERVED = {"y", "n", "yes", "no", "true", "false", "on", "off", "null"}


def dump(value: Any) -> str:
    return "\n".join(_block(value, 0)) + "\n"


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, str):
        if PLAIN.match(value) and value.lower() not in RESERVED:
            return value
        return json.dumps(value, ensure_ascii=False)
    raise TypeError(f"cannot write {type(value).__name__} as YAML")


def _is_block_text(value: Any) -> bool:
    return (
        isinstance(value, str)
        and "\n" in value
        and not value.endswith("\n")
        and not value.startswith((" ", "\n"))
        and not any(line != line.rstrip() or "\t" in line for line in value.split("\n"))
    )


def _block(value: Any, indent: int) -> list[str]:
    pad = " " * indent
    if isinstance(value, dict):
        if not value:
            return [pad + "{}"]
        lines = []
        for key, item in value.items():
            lines.extend(_entry(f"{pad}{_scalar(str(key))}:", item, indent))
        return lines
    if isinstance(value, list):
        if not value:
            return [pad + "[]"]
        lines = []
        for item in value:
            if isinstance(item, dict) and item:
                # The first key shares the dash's line; the others line up under it.
                inner = _block(item, indent + 2)
                lines.append(f"{pad}- {inner[0][indent + 2 :]}")
                lines.extend(inner[1:])
            else:
                lines.extend(_entry(f"{pad}-", item, indent))
        return lines
    return [pad + _scalar(value)]


def _entry(head: str, item: Any, indent: int) -> list[str]:
    if _is_block_text(item):
        return [f"{head} |-", *(f"{' ' * (indent + 2)}{line}" if line else "" for line in item.split("\n"))]
    if isinstance(item, dict | list) and item:
        return [head, *_block(item, indent + 2)]
    if isinstance(item, dict | list):
        return [f"{head} {'{}' if isinstance(item, dict) else '[]'}"]
    return [f"{head} {_scalar(item)}"]
