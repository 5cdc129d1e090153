"""The cffi declarations come from include/oauthkit.h and cannot drift from
it; these tests fail when the header, the declarations, the library and the
Python wrapper disagree."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, List

import pytest

import oauthkit
from oauthkit import errors
from oauthkit._cdef import HeaderError, cdef_from_header, header_functions
from oauthkit._ffi import ffi, lib

from conftest import HEADER

PACKAGE = Path(oauthkit.__file__).resolve().parent


def header_text() -> str:
    assert HEADER.is_file(), f"run the tests from a clone: {HEADER} is missing"
    return HEADER.read_text(encoding="utf-8")


def disagreements(header: str, cdef_names: Iterable[str]) -> List[str]:
    declared = set(header_functions(header))
    names = set(cdef_names)
    return sorted(f"only in header: {n}" for n in declared - names) + sorted(
        f"only in cdef: {n}" for n in names - declared
    )


def test_the_loaded_header_is_the_repository_header() -> None:
    assert oauthkit.header_path().read_text(encoding="utf-8") == header_text(), (
        f"{oauthkit.header_path()} differs from include/oauthkit.h: rebuild with scripts/build-python.sh"
    )


def test_every_header_function_is_declared_and_in_the_library() -> None:
    names = [n for n in dir(lib) if n.startswith("oak_")]
    assert disagreements(header_text(), names) == []
    for name in header_functions(header_text()):
        # ABI mode resolves the symbol here: a missing one raises.
        assert callable(getattr(lib, name)), name
        assert ffi.typeof(getattr(lib, name)).kind == "function", name


def test_a_function_added_to_the_header_is_noticed() -> None:
    """Negative control for the check above."""
    doctored = header_text().replace(
        "#ifdef __cplusplus\n}", "OakStatus oak_new_thing(int32_t x);\n\n#ifdef __cplusplus\n}"
    )
    assert "oak_new_thing" in doctored
    names = [n for n in dir(lib) if n.startswith("oak_")]
    assert disagreements(doctored, names) == ["only in header: oak_new_thing"]
    # ... and the generated cdef picks it up with its signature.
    assert "OakStatus oak_new_thing(int32_t x);" in cdef_from_header(doctored)


# C ABI functions the Python package does not wrap (none now). The set must
# match exactly: a new function without a wrapper fails.
NOT_WRAPPED_YET: set[str] = set()


def test_every_header_function_is_used_by_the_python_api() -> None:
    source = "\n".join(p.read_text(encoding="utf-8") for p in PACKAGE.glob("*.py"))
    unused = {n for n in header_functions(header_text()) if f"lib.{n}" not in source}
    assert unused == NOT_WRAPPED_YET, (
        f"C ABI functions without a Python wrapper: {sorted(unused - NOT_WRAPPED_YET)}; "
        f"wrapped but still listed as not wrapped: {sorted(NOT_WRAPPED_YET - unused)}"
    )


def test_every_status_has_its_own_exception_class() -> None:
    statuses = errors.status_values()
    assert statuses["OAK_OK"] == 0
    for name, value in statuses.items():
        if name == "OAK_OK":
            continue
        cls = errors.BY_STATUS.get(value)
        assert cls is not None and cls is not oauthkit.OAuthKitError, f"{name} has no exception class"
        assert cls.__doc__ and name in cls.__doc__


def test_python_enums_equal_the_header_enums() -> None:
    flow = {k[len("OAK_FLOW_"):]: v for k, v in ffi.typeof("enum OakFlowState").relements.items()}
    assert flow == {m.name: m.value for m in oauthkit.FlowState}
    hint = {k[len("OAK_TOKEN_HINT_"):]: v for k, v in ffi.typeof("enum OakTokenHint").relements.items()}
    assert hint == {m.name: m.value for m in oauthkit.TokenHint}


def test_abi_and_version() -> None:
    assert oauthkit.abi_version() >= lib.OAK_ABI_VERSION >= 1
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", oauthkit.version())


@pytest.mark.parametrize(
    "text",
    [
        "#if FOO\nint x;\n",  # unterminated
        "#endif\n",
        "#pragma once\n",
        "#if __import__('os')\n#endif\n",
    ],
)
def test_the_header_reader_refuses_what_it_does_not_understand(text: str) -> None:
    with pytest.raises(HeaderError):
        cdef_from_header(text)


def test_the_header_reader_takes_the_c11_branches() -> None:
    text = (
        "#ifndef G\n#define G\n#define ABI 3\n"
        "#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L\ncxx_or_c23;\n#else\nc11;\n#endif\n"
        "#ifdef __cplusplus\nextern_c;\n#elif __STDC_VERSION__ >= 201112L\nelif_c11;\n#endif\n"
        "#endif\n"
    )
    assert cdef_from_header(text).split() == ["#define", "ABI", "3", "c11;", "elif_c11;"]
