#!/usr/bin/env python3
"""The C ABI only grows: compares include/oauthkit.h (and, when given, the
built library's exported symbols) with the released baseline header.

    scripts/check-abi.py BASELINE_HEADER CURRENT_HEADER [--library LIB]
                         [--baseline-major N --current-major M]

Every declaration of the baseline must still be there, unchanged:
functions (name, return type and parameter types; parameter names may
change), enumerators and `#define` constants (their values), callback and
struct typedefs (their whole text, so no field is added, removed, moved or
retyped), opaque handles. New declarations are fine. `OAK_ABI_VERSION` may
only grow. With --library, the library must export every function of the
baseline header. A removal or change is allowed only with a new ABI major
(the SONAME liboauthkit.so.N), which --current-major says.

Exits 0 and prints "PASS abi: ..." when the ABI grew or stayed; exits 1
listing each removed or changed declaration otherwise. Python 3 only, no
dependencies: the header is cbindgen's, so its shape is regular.
"""
import argparse
import re
import subprocess
import sys


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


def norm(text):
    """One spelling per declaration: single spaces, none inside brackets."""
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"\s*([(),;{}*\[\]])\s*", r"\1", text)
    return text


def param_types(params):
    """Parameter list without the parameter names (names may change)."""
    params = params.strip()
    if params in ("", "void"):
        return "void"
    out = []
    depth = 0
    cur = ""
    for ch in params:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    out.append(cur)
    types = []
    for p in out:
        p = norm(p)
        # drop the trailing identifier (the name) when something precedes it
        m = re.match(r"^(.*[\s*])([A-Za-z_][A-Za-z0-9_]*)$", p)
        types.append(norm(m.group(1)) if m else p)
    return ",".join(types)


def parse(path):
    """Maps 'kind name' to its normalised declaration."""
    raw = open(path, encoding="utf-8").read()
    decls = {}
    for m in re.finditer(r"^#define\s+(\w+)\s+(.+?)\s*$", raw, flags=re.M):
        if m.group(1) != "OAUTHKIT_H":
            decls["constant " + m.group(1)] = norm(m.group(2))
    text = strip_comments(raw)
    # drop preprocessor lines: the enum's C23/C++ underlying type and the
    # typedef choice around it are cbindgen's spelling of one int32_t enum
    text = "\n".join(l for l in text.splitlines() if not l.lstrip().startswith("#"))
    text = text.replace('extern "C" {', " ").replace('extern "C"', " ")
    for m in re.finditer(r"\benum\s+(\w+)\s*(?::\s*\w+\s*)?\{(.*?)\}\s*;", text, flags=re.S):
        for item in m.group(2).split(","):
            item = norm(item)
            if not item:
                continue
            name, _, value = item.partition("=")
            decls["enumerator " + name] = value
        decls["enum " + m.group(1)] = "int32_t"
    text = re.sub(r"\benum\s+\w+\s*(?::\s*\w+\s*)?\{.*?\}\s*;", " ", text, flags=re.S)
    # struct typedefs with a body: the whole text is the layout
    for m in re.finditer(r"typedef\s+struct\s*(\w*)\s*\{(.*?)\}\s*(\w+)\s*;", text, flags=re.S):
        fields = [norm(f) for f in m.group(2).split(";") if f.strip()]
        decls["struct " + m.group(3)] = ";".join(fields)
    text = re.sub(r"typedef\s+struct\s*\w*\s*\{.*?\}\s*\w+\s*;", " ", text, flags=re.S)
    for stmt in text.split(";"):
        s = norm(stmt)
        if not s or s == "}":
            continue
        s = s.lstrip("}")
        m = re.match(r"^typedef struct (\w+) (\w+)$", s)
        if m:
            decls["handle " + m.group(2)] = "opaque"
            continue
        m = re.match(r"^typedef (.+?)\(\*(\w+)\)\((.*)\)$", s)
        if m:
            decls["callback " + m.group(2)] = norm(m.group(1)) + "(" + param_types(m.group(3)) + ")"
            continue
        m = re.match(r"^typedef (?:enum )?(\w+) (\w+)$", s)
        if m:
            # `typedef int32_t OakStatus` / `typedef enum OakStatus OakStatus`
            continue
        m = re.match(r"^(.+?[\s*])(oak_\w+)\((.*)\)$", s)
        if m:
            decls["function " + m.group(2)] = norm(m.group(1)) + "(" + param_types(m.group(3)) + ")"
            continue
        raise SystemExit(f"check-abi: cannot read this declaration of {path}: {s[:120]}")
    return decls


def compare(old, new):
    """The baseline's declarations that the new header removed or changed."""
    problems = []
    for key, value in sorted(old.items()):
        if key == "constant OAK_ABI_VERSION":
            now = new.get(key, "-1")
            if not now.isdigit() or int(now) < int(value):
                problems.append(f"{key}: {value} -> {new.get(key, 'removed')} (it only grows)")
        elif key not in new:
            problems.append(f"{key}: removed")
        elif new[key] != value:
            problems.append(f"{key}: changed\n    was: {value}\n    now: {new[key]}")
    return problems


def exported(library):
    out = subprocess.run(
        ["nm", "-D", "--defined-only", library], check=True, capture_output=True, text=True
    ).stdout
    return {line.split()[-1] for line in out.splitlines() if line.split()}


def self_test(header):
    """Each kind of breaking edit of the header is caught; harmless ones pass."""
    import os
    import tempfile
    text = open(header, encoding="utf-8").read()
    first_fn = re.search(r"^OakStatus (oak_\w+)\(", text, flags=re.M).group(1)
    cases = [
        ("a function removed", re.sub(r"\b" + first_fn + r"\(", first_fn + "_renamed(", text, count=1), True),
        ("an enumerator's value", text.replace("OAK_OK = 0,", "OAK_OK = 100,"), True),
        ("a parameter's type", text.replace("uint32_t checks,", "uint64_t checks,"), True),
        ("a return type", text.replace("uint32_t oak_abi_version(void)", "uint64_t oak_abi_version(void)"), True),
        ("a struct field", text.replace("bool tokens_revoked;", "int tokens_revoked;"), True),
        ("a callback's parameter", text.replace("(*OakOpenBrowserFn)(const char *url,", "(*OakOpenBrowserFn)(char *url,"), True),
        ("a constant", text.replace("#define OAK_VALIDATE_NOT_EXPIRED 1", "#define OAK_VALIDATE_NOT_EXPIRED 8"), True),
        ("the ABI version going down", re.sub(r"#define OAK_ABI_VERSION \d+", "#define OAK_ABI_VERSION 1", text), True),
        ("a parameter renamed", text.replace("uint32_t checks,", "uint32_t check_bits,"), False),
        ("a function added", text.replace("#ifdef __cplusplus\n}", "OakStatus oak_new_thing(int32_t x);\n#ifdef __cplusplus\n}"), False),
    ]
    failures = 0
    with tempfile.TemporaryDirectory() as d:
        for name, mutated, breaking in cases:
            assert mutated != text or not breaking, f"self-test edit did not apply: {name}"
            path = os.path.join(d, "h.h")
            open(path, "w", encoding="utf-8").write(mutated)
            broken = bool(compare(parse(header), parse(path)))
            if broken != breaking:
                failures += 1
                print(f"FAIL abi self-test: {name}: reported {'breaking' if broken else 'compatible'}",
                      file=sys.stderr)
    if failures:
        return 1
    print(f"PASS abi self-test: {len(cases)} edits judged right")
    return 0


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--self-test":
        return self_test(sys.argv[2])
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("baseline")
    ap.add_argument("current")
    ap.add_argument("--library")
    ap.add_argument("--baseline-major", type=int, default=0)
    ap.add_argument("--current-major", type=int, default=0)
    args = ap.parse_args()
    old, new = parse(args.baseline), parse(args.current)
    problems = compare(old, new)
    if args.library:
        symbols = exported(args.library)
        for key in sorted(old):
            kind, name = key.split(" ", 1)
            if kind == "function" and name not in symbols:
                problems.append(f"{key}: not exported by {args.library}")
    added = sorted(set(new) - set(old))
    functions = sum(1 for k in old if k.startswith("function "))
    if problems and args.current_major > args.baseline_major:
        print(f"abi: major {args.baseline_major} -> {args.current_major} (SONAME bump); "
              f"{len(problems)} breaking change(s) allowed:")
        for p in problems:
            print("  " + p)
        return 0
    if problems:
        print(f"FAIL abi: {len(problems)} removed or changed declaration(s) of the baseline "
              f"{args.baseline} without a new ABI major (the SONAME):", file=sys.stderr)
        for p in problems:
            print("  " + p, file=sys.stderr)
        return 1
    print(f"PASS abi: all {len(old)} declarations of the baseline ({functions} functions) "
          f"unchanged{', exported' if args.library else ''}; {len(added)} added")
    for a in added:
        print("  added " + a)
    return 0


if __name__ == "__main__":
    sys.exit(main())
