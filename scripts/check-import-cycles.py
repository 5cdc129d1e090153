#!/usr/bin/env python3
"""No import circles between the files of a crate (docs/ARCHITECTURE.md).

    scripts/check-import-cycles.py [ROOT ...]   (default: src src/bin/oauthkit)

Builds the file-level import graph of each crate root: every `crate::`,
`super::` and `self::` path in the code (unit tests excluded) is an arrow
from its file to the file of the deepest module the path names. An arrow
from a file to a module it is inside is not counted: a child may use what
its parent's mod.rs defines. Prints the strongly connected components and
exits 1 when there is one: files that import each other, directly or round
a longer loop, are one concept split in two or two concepts tangled.
"""
import os
import re
import sys

PATH = re.compile(r"\b((?:crate|super|self)(?:::[A-Za-z_][A-Za-z0-9_]*)+)")
TESTS = re.compile(r"#\[cfg\(test\)\]\s*mod tests\s*\{.*", re.S)


def modules(root, skip):
    files = {}
    for d, dirs, names in os.walk(root):
        dirs[:] = [x for x in dirs if os.path.join(d, x) not in skip]
        for f in names:
            if f.endswith(".rs"):
                p = os.path.join(d, f)
                parts = os.path.relpath(p, root)[:-3].split("/")
                if parts[-1] in ("mod", "lib", "main"):
                    parts = parts[:-1]
                files["::".join(parts)] = p
    return files


def target(files, module, path):
    segs = path.split("::")
    cur = module.split("::") if module else []
    if segs[0] == "crate":
        cur, segs = [], segs[1:]
    elif segs[0] == "self":
        segs = segs[1:]
    else:
        while segs and segs[0] == "super":
            cur, segs = cur[:-1], segs[1:]
    best = None
    for i in range(len(segs) + 1):
        m = "::".join(cur + segs[:i])
        if m in files:
            best = m
    return best


def circles(root, skip):
    files = modules(root, skip)
    edges = {m: set() for m in files}
    for m, p in files.items():
        with open(p, encoding="utf-8") as fh:
            src = TESTS.sub("", fh.read())
        for line in src.splitlines():
            if line.lstrip().startswith("//"):
                continue
            for x in PATH.findall(line):
                t = target(files, m, x)
                if t is not None and t != m and not (m + "::").startswith(t + "::" if t else ""):
                    edges[m].add(t)
    index, low, stack, on, found = {}, {}, [], set(), []
    counter = [0]
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in list(files):
        if v not in index:
            visit(v)
    arrows = sum(len(e) for e in edges.values())
    return len(files), arrows, found


def main():
    roots = sys.argv[1:] or ["src", "src/bin/oauthkit"]
    bad = 0
    for root in roots:
        skip = {os.path.join(root, "bin")}
        n, arrows, found = circles(root, skip)
        print(f"{root}: {n} files, {arrows} import arrows, {len(found)} circles")
        for comp in found:
            print("  circle: " + " <-> ".join(comp))
        bad += len(found)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
