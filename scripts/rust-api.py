#!/usr/bin/env python3
"""oauthkit's public Rust API, read from rustdoc's JSON output, and its check
against the released baseline (semver: a removal or change needs a new
semver-major version and a CHANGELOG "Breaking" entry).

    scripts/rust-api.py list JSON VERSION      one line per public item
    scripts/rust-api.py check JSON BASELINE CARGO_TOML CHANGELOG
    scripts/rust-api.py self-test JSON

Each line is `path kind digest`: every path a user can name (re-exports
included, so a type reachable two ways is listed twice), each public field,
variant, method, associated item and trait impl, and a digest of the
item's signature (types, generics, bounds, fields' visibility; not its docs
or where in the source it is). Python 3, no dependencies; scripts/check-rust-api.sh
makes the JSON.
"""
import hashlib
import json
import re
import sys

DROP = {"span", "docs", "links", "attrs", "deprecation", "crate_id", "id", "items", "impls",
        "variants", "fields", "implementations"}

# compiler-internal marker traits whose impls rustdoc lists but no user names
UNSTABLE_TRAITS = {"core::marker::Freeze", "core::marker::UnsafeUnpin",
                   "core::marker::StructuralPartialEq"}


class Api:
    def __init__(self, doc):
        self.index = doc["index"]
        self.paths = doc["paths"]
        self.root = str(doc["root"])
        self.lines = {}

    def name_of(self, ident):
        p = self.paths.get(str(ident))
        if p:
            # this crate's items by name: moving a type between modules
            # while its public path stays is no change of a signature
            return p["path"][-1] if p.get("crate_id") == 0 else "::".join(p["path"])
        item = self.index.get(str(ident))
        return item["name"] if item and item.get("name") else "?"

    def canon(self, value):
        """The item's JSON with ids replaced by the paths they name."""
        if isinstance(value, dict):
            out = {}
            for k, v in value.items():
                if k == "id" and isinstance(v, int):
                    out["path"] = self.name_of(v)
                elif k == "tuple" and isinstance(v, list):
                    # a tuple struct's or variant's fields, by id: their types
                    out[k] = [self.canon(self.index[str(f)]["inner"])
                              if f is not None and str(f) in self.index else None for f in v]
                elif k not in DROP:
                    out[k] = self.canon(v)
            return out
        if isinstance(value, list):
            return [self.canon(v) for v in value]
        return value

    def digest(self, item, extra=None):
        inner = dict(item["inner"])
        # a constant's value may change (OAK_ABI_VERSION grows); its type may not
        if "constant" in inner:
            inner["constant"] = {"type": inner["constant"]["type"]}
        if "assoc_const" in inner:
            inner["assoc_const"] = {"type": inner["assoc_const"]["type"]}
        body = {"inner": self.canon(inner), "visibility": item.get("visibility"),
                "non_exhaustive": "non_exhaustive" in json.dumps(item.get("attrs", [])),
                "extra": extra}
        text = json.dumps(body, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def add(self, path, kind, item, extra=None):
        self.lines[f"{path} {kind}"] = self.digest(item, extra)

    def walk_module(self, ident, path, seen):
        if ident in seen:
            return
        seen = seen | {ident}
        module = self.index[ident]["inner"]["module"]
        for child in module["items"]:
            item = self.index.get(str(child))
            if item is None:
                continue
            kind = next(iter(item["inner"]))
            if item.get("visibility") != "public":
                continue
            if kind == "use":
                use = item["inner"]["use"]
                target = self.index.get(str(use["id"])) if use["id"] is not None else None
                if use["is_glob"]:
                    if target and "module" in target["inner"]:
                        self.walk_module(str(use["id"]), path, seen)
                    continue
                name = path + "::" + use["name"]
                if target is None:
                    # a re-export of another crate's item: its path is the API
                    self.lines[f"{name} reexport"] = hashlib.sha256(
                        self.name_of(use["id"]).encode()).hexdigest()[:16] if use["id"] is not None \
                        else use["source"]
                    continue
                self.walk_item(str(use["id"]), target, name, seen)
            else:
                self.walk_item(str(child), item, path + "::" + item["name"], seen)

    def walk_item(self, ident, item, path, seen):
        kind = next(iter(item["inner"]))
        inner = item["inner"][kind]
        if kind == "module":
            self.lines[f"{path} module"] = "-"
            self.walk_module(ident, path, seen)
            return
        if kind == "struct":
            k = inner["kind"]
            fields = []
            if isinstance(k, dict) and "plain" in k:
                fields = k["plain"]["fields"]
                extra = {"stripped": k["plain"]["has_stripped_fields"]}
                if not k["plain"]["has_stripped_fields"] and not self.non_exhaustive(item):
                    # every field public: a new one breaks struct literals
                    extra["fields"] = sorted(self.index[str(f)]["name"] for f in fields)
            elif isinstance(k, dict) and "tuple" in k:
                fields = [f for f in k["tuple"] if f is not None]
                extra = {"tuple": len(k["tuple"]), "hidden": k["tuple"].count(None)}
            else:
                extra = {"unit": True}
            self.add(path, "struct", item, extra)
            for f in fields:
                fi = self.index[str(f)]
                if fi.get("visibility") == "public":
                    self.add(f"{path}.{fi['name']}", "field", fi)
            self.walk_impls(inner["impls"], path)
        elif kind == "enum":
            # a new variant breaks exhaustive matches, unless #[non_exhaustive]
            names = None if self.non_exhaustive(item) else \
                [self.index[str(v)]["name"] for v in inner["variants"]]
            self.add(path, "enum", item, {"variants": names})
            for v in inner["variants"]:
                vi = self.index[str(v)]
                self.add(f"{path}::{vi['name']}", "variant", vi,
                         self.variant_fields(vi))
            self.walk_impls(inner["impls"], path)
        elif kind == "union":
            self.add(path, "union", item)
            self.walk_impls(inner["impls"], path)
        elif kind == "trait":
            # a new provided (default) method breaks no implementor; a new
            # required one does
            members = sorted(self.index[str(i)]["name"] for i in inner["items"]
                             if not self.provided(self.index[str(i)]))
            self.add(path, "trait", item, {"required": members})
            for i in inner["items"]:
                ti = self.index[str(i)]
                self.add(f"{path}::{ti['name']}", next(iter(ti["inner"])), ti)
        else:
            self.add(path, kind, item)

    @staticmethod
    def non_exhaustive(item):
        return "non_exhaustive" in json.dumps(item.get("attrs", []))

    @staticmethod
    def provided(item):
        inner = item["inner"]
        if "function" in inner:
            return inner["function"].get("has_body", False)
        if "assoc_const" in inner:
            return inner["assoc_const"].get("value") is not None
        if "assoc_type" in inner:
            return inner["assoc_type"].get("type") is not None
        return False

    def variant_fields(self, vi):
        k = vi["inner"]["variant"]["kind"]
        if isinstance(k, dict) and "struct" in k:
            return [self.canon(self.index[str(f)]["inner"]) for f in k["struct"]["fields"]]
        if isinstance(k, dict) and "tuple" in k:
            return [self.canon(self.index[str(f)]["inner"]) if f is not None else None
                    for f in k["tuple"]]
        return None

    def walk_impls(self, impls, path):
        for i in impls:
            imp = self.index[str(i)]
            inner = imp["inner"]["impl"]
            if inner.get("blanket_impl") is not None:
                continue
            if inner["trait"] is None:
                for m in inner["items"]:
                    mi = self.index[str(m)]
                    if mi.get("visibility") == "public":
                        self.add(f"{path}::{mi['name']}", next(iter(mi["inner"])), mi)
            else:
                trait = self.name_of(inner["trait"]["id"])
                if trait in UNSTABLE_TRAITS:
                    continue
                args = json.dumps(self.canon(inner["trait"].get("args")), sort_keys=True)
                self.lines[f"{path} impl {trait}{'' if args == 'null' else args}"] = \
                    "negative" if inner.get("is_negative") else "-"


def listing(json_path):
    doc = json.load(open(json_path, encoding="utf-8"))
    api = Api(doc)
    root = api.index[api.root]
    api.walk_module(api.root, root["name"], frozenset())
    return api.lines


def read_baseline(path):
    out = {}
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if not line or line.startswith("#"):
            continue
        key, _, digest = line.rpartition(" ")
        out[key] = digest
    return out


def breaking(old, new):
    problems = []
    for key, digest in sorted(old.items()):
        if key not in new:
            problems.append(f"removed: {key}")
        elif new[key] != digest:
            problems.append(f"changed: {key}")
    return problems


def semver_major(version):
    major, minor, *_ = (int(x) for x in re.findall(r"\d+", version))
    return (major, 0) if major > 0 else (0, minor)


def check(json_path, baseline_path, cargo_toml, changelog):
    new = listing(json_path)
    text = open(baseline_path, encoding="utf-8").read()
    fmt = re.search(r"^# rustdoc-json-format (\d+)", text, flags=re.M).group(1)
    have = str(json.load(open(json_path, encoding="utf-8"))["format_version"])
    if fmt != have:
        print(f"FAIL rust api: the baseline was read from rustdoc JSON format {fmt}, this "
              f"toolchain writes {have}; regenerate the baseline from the baseline's commit "
              f"with this toolchain (scripts/check-rust-api.sh --bless there)", file=sys.stderr)
        return 1
    base_version = re.search(r"^# version (\S+)", text, flags=re.M).group(1)
    old = read_baseline(baseline_path)
    version = re.search(r'^version = "([^"]+)"', open(cargo_toml, encoding="utf-8").read(),
                        flags=re.M).group(1)
    problems = breaking(old, new)
    added = sorted(set(new) - set(old))
    if not problems:
        print(f"PASS rust api: the {len(old)} items of the {base_version} baseline unchanged; "
              f"{len(added)} added")
        return 0
    log = open(changelog, encoding="utf-8").read()
    unreleased = log.split("## [Unreleased]", 1)[-1].split("\n## ", 1)[0]
    bumped = semver_major(version) > semver_major(base_version)
    documented = "### Breaking" in unreleased
    if bumped and documented:
        print(f"PASS rust api: {len(problems)} breaking change(s) since {base_version}, "
              f"with version {version} and a CHANGELOG 'Breaking' section:")
        for p in problems:
            print("  " + p)
        return 0
    print(f"FAIL rust api: {len(problems)} breaking change(s) to the public Rust API of "
          f"{base_version}:", file=sys.stderr)
    for p in problems:
        print("  " + p, file=sys.stderr)
    if not bumped:
        print(f"  a breaking change needs a new semver-major version (Cargo.toml says {version})",
              file=sys.stderr)
    if not documented:
        print("  and a '### Breaking' section under [Unreleased] in CHANGELOG.md", file=sys.stderr)
    return 1


def self_test(json_path):
    """The comparison catches a removal and a change, and lets additions by."""
    new = listing(json_path)
    some = sorted(k for k in new if k.endswith(" function"))[0]
    cases = [
        ("an item removed", {k: v for k, v in new.items() if k != some}, True),
        ("an item changed", {**new, some: "0" * 16}, True),
        ("an item added", {**new, "oauthkit::brand_new function": "1" * 16}, False),
    ]
    bad = 0
    for name, edited, is_breaking in cases:
        if bool(breaking(new, edited)) != is_breaking:
            bad += 1
            print(f"FAIL rust api self-test: {name}", file=sys.stderr)
    if len(new) < 100:
        bad += 1
        print(f"FAIL rust api self-test: only {len(new)} items read", file=sys.stderr)
    if bad:
        return 1
    print(f"PASS rust api self-test: {len(cases)} edits judged right over {len(new)} items")
    return 0


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "list":
        doc = json.load(open(sys.argv[2], encoding="utf-8"))
        print("# oauthkit's public Rust API (scripts/rust-api.py list): path, kind, signature digest")
        print(f"# version {sys.argv[3]}")
        print(f"# rustdoc-json-format {doc['format_version']}")
        for key, digest in sorted(listing(sys.argv[2]).items()):
            print(f"{key} {digest}")
        return 0
    if len(sys.argv) == 6 and sys.argv[1] == "check":
        return check(*sys.argv[2:])
    if len(sys.argv) == 3 and sys.argv[1] == "self-test":
        return self_test(sys.argv[2])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
