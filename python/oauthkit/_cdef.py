"""Turns ``include/oauthkit.h`` into declarations cffi can read.

The header is the single source of truth: nothing here lists a function.
The header is read as a C11 compiler would see it (``__cplusplus`` not
defined, ``__STDC_VERSION__`` 201112): comments are removed, ``#if`` /
``#ifdef`` / ``#ifndef`` / ``#elif`` / ``#else`` / ``#endif`` are evaluated,
``#include`` lines are dropped (cffi knows ``stdint``/``stdbool``/``stddef``
types), and ``#define NAME <integer>`` lines are kept (cffi turns them into
integer constants).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List

#: The macros a C11 (not C++) compiler defines that the header tests.
C11_MACROS: Dict[str, int] = {"__STDC_VERSION__": 201112}

_BLOCK_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_LINE_COMMENT = re.compile(r"//[^\n]*")
_DEFINE = re.compile(r"#\s*define\s+(\w+)(?:\s+(.*))?$")
_INT = re.compile(r"^\(?\s*(-?(?:0x[0-9a-fA-F]+|\d+))[uUlL]*\s*\)?$")
_FUNCTION = re.compile(r"\b(oak_\w+)\s*\(")


class HeaderError(ValueError):
    """The header uses preprocessor syntax this reader does not handle."""


def _eval_condition(expr: str, macros: Dict[str, int]) -> bool:
    """Evaluates a ``#if`` expression over integer macros (unknown names are 0)."""
    expr = re.sub(
        r"\bdefined\s*\(\s*(\w+)\s*\)|\bdefined\s+(\w+)",
        lambda m: "1" if (m.group(1) or m.group(2)) in macros else "0",
        expr,
    )
    expr = re.sub(r"\b(0x[0-9a-fA-F]+|\d+)[uUlL]+\b", r"\1", expr)
    expr = expr.replace("&&", " and ").replace("||", " or ")
    expr = re.sub(r"!(?!=)", " not ", expr)
    expr = re.sub(
        r"\b([A-Za-z_]\w*)\b",
        lambda m: m.group(1)
        if m.group(1) in ("and", "or", "not")
        else str(macros.get(m.group(1), 0)),
        expr,
    )
    if not re.fullmatch(r"[\d\s()<>=!+\-*/%andortx]*", expr):
        raise HeaderError(f"unsupported #if expression: {expr!r}")
    return bool(eval(expr, {"__builtins__": {}}, {}))  # noqa: S307 - digits and operators only


def cdef_from_header(text: str, macros: Dict[str, int] | None = None) -> str:
    """The cffi ``cdef`` source for the header ``text``."""
    defined: Dict[str, int] = dict(C11_MACROS if macros is None else macros)
    text = _BLOCK_COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    text = _LINE_COMMENT.sub("", text)
    out: List[str] = []
    # Each frame: (this branch is active, some branch was taken, parent active).
    stack: List[List[bool]] = []
    active = True
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line.startswith("#"):
            if active and line:
                out.append(raw)
            continue
        directive = line[1:].strip()
        word = directive.split(None, 1)[0] if directive else ""
        rest = directive[len(word):].strip()
        if word in ("if", "ifdef", "ifndef"):
            if word == "if":
                cond = _eval_condition(rest, defined) if active else False
            elif word == "ifdef":
                cond = rest in defined
            else:
                cond = rest not in defined
            stack.append([active and cond, cond, active])
            active = active and cond
        elif word == "elif":
            if not stack:
                raise HeaderError(f"line {lineno}: #elif without #if")
            frame = stack[-1]
            cond = (not frame[1]) and frame[2] and _eval_condition(rest, defined)
            frame[0] = cond
            frame[1] = frame[1] or cond
            active = cond
        elif word == "else":
            if not stack:
                raise HeaderError(f"line {lineno}: #else without #if")
            frame = stack[-1]
            frame[0] = frame[2] and not frame[1]
            frame[1] = True
            active = frame[0]
        elif word == "endif":
            if not stack:
                raise HeaderError(f"line {lineno}: #endif without #if")
            active = stack.pop()[2]
        elif not active:
            continue
        elif word == "define":
            m = _DEFINE.match(line)
            if not m:
                raise HeaderError(f"line {lineno}: unreadable #define")
            name, value = m.group(1), (m.group(2) or "").strip()
            num = _INT.match(value)
            defined[name] = int(num.group(1), 0) if num else 1
            if num:
                out.append(f"#define {name} {num.group(1)}")
        elif word == "include":
            continue
        elif word in ("undef",):
            defined.pop(rest, None)
        else:
            raise HeaderError(f"line {lineno}: unsupported directive #{word}")
    if stack:
        raise HeaderError("unterminated #if")
    return "\n".join(out) + "\n"


def header_functions(text: str) -> List[str]:
    """The ``oak_`` functions the header declares, found independently of
    :func:`cdef_from_header` (used by the drift test)."""
    text = _BLOCK_COMMENT.sub("", text)
    text = _LINE_COMMENT.sub("", text)
    return sorted(set(_FUNCTION.findall(text)))


def read_cdef(path: Path) -> str:
    """The cffi ``cdef`` for the header file at ``path``."""
    return cdef_from_header(path.read_text(encoding="utf-8"))
