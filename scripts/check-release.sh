#!/usr/bin/env bash
# Installs and tries the artifacts scripts/release.sh made, as a user would,
# outside the repository (every build and run in `mktemp -d` directories):
#
#   scripts/check-release.sh DIR          (default target/release-artifacts)
#
#   - SHA256SUMS verifies and names exactly the tarball and the wheel
#   - the C tarball unpacks into a fresh prefix (--strip-components=1) with
#     relocatable pkg-config files
#   - C: share/oauthkit/examples/c/store_example.c built with pkg-config and
#     an rpath (shared) and with oauthkit-static; it checks
#     oak_abi_version() and saves and loads a token set in a file store
#   - C++: share/oauthkit/examples/cpp with CMake find_package(oauthkit) and
#     oauthkit.hpp, the same round trip
#   - Go: a module of its own (go.mod made here) requiring the shipped
#     package through `replace`, cgo through PKG_CONFIG_PATH, GOPROXY=off
#   - Python: `pip install` of the wheel into a fresh venv, then, with no
#     Rust toolchain on the PATH and a throwaway HOME: store round trips,
#     Store.default() without a keyring (a clear UnavailableError) and with
#     plain text allowed (scripts/check-release-wheel.py), Store.default()
#     with a real Secret Service (scripts/with-keyring.sh), and the offline
#     example of docs/python.md as printed
# Prints one PASS/FAIL line per step, then "release: N passed, N failed".
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export PATH="/usr/local/go/bin:$PATH"
dir="${1:-$root/target/release-artifacts}"
dir="$(cd "$dir" && pwd)" || exit 2

scratch="$(mktemp -d)"
trap 'chmod -R u+w "$scratch" 2>/dev/null; rm -rf "$scratch"' EXIT
case "$scratch/" in
    "$root"/*) echo "check-release: the temporary directory $scratch is inside the repository" >&2; exit 2 ;;
esac
logs="$scratch/logs"
mkdir -p "$logs"
passed=0
failed=()
# step NAME COMMAND...: runs the command with its output in a log; PASS, or
# FAIL with the log. The checks are functions whose bodies are subshells, so
# their cd and exports stay inside them.
step() {
    local name="$1"
    shift
    local log="$logs/$(echo "$name" | tr -c 'A-Za-z0-9\n' '_').log"
    if "$@" >"$log" 2>&1; then
        echo "PASS $name"
        passed=$((passed + 1))
    else
        echo "FAIL $name"
        sed 's/^/    /' "$log" | tail -n 60
        failed+=("$name")
    fi
}
# show NAME: the output of a passed step (what the program printed)
show() { sed 's/^/    /' "$logs/$(echo "$1" | tr -c 'A-Za-z0-9\n' '_').log"; }

version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n1)"
soname="liboauthkit.so.${version%%.*}"

# --- checksums
sums() (
    cd "$dir" || return 1
    sha256sum --check --strict SHA256SUMS || return 1
    local listed actual
    listed="$(awk '{print $2}' SHA256SUMS | sort)"
    actual="$(ls oauthkit-capi-*.tar.gz oauthkit-*.whl | sort)"
    [ "$listed" = "$actual" ] || { echo "SHA256SUMS lists [$listed], the directory has [$actual]"; return 1; }
    [ "$(echo "$actual" | wc -l)" = 2 ] || { echo "expected one tarball and one wheel: $actual"; return 1; }
)
step "SHA256SUMS verifies and lists the tarball and the wheel" sums
tarball="$(ls "$dir"/oauthkit-capi-*.tar.gz 2>/dev/null | head -n1)"
wheel="$(ls "$dir"/oauthkit-*.whl 2>/dev/null | grep -v capi | head -n1)"
[ -n "$tarball" ] && [ -n "$wheel" ] || { echo "FAIL no tarball or wheel in $dir"; exit 1; }

# --- the C library into a fresh prefix
prefix="$scratch/prefix"
unpack() (
    mkdir -p "$prefix" && tar -xzf "$tarball" -C "$prefix" --strip-components=1 || return 1
    local f
    for f in include/oauthkit.h include/oauthkit.hpp "lib/liboauthkit.so.$version" "lib/$soname" lib/liboauthkit.so \
        lib/liboauthkit.a lib/pkgconfig/oauthkit.pc lib/pkgconfig/oauthkit-static.pc \
        lib/cmake/oauthkit/oauthkitConfig.cmake lib/cmake/oauthkit/oauthkitConfigVersion.cmake \
        README.md LICENSE-MIT LICENSE-APACHE share/doc/oauthkit/capi.md share/oauthkit/go/go.mod \
        share/oauthkit/go/oauthkit.go share/oauthkit/examples/c/store_example.c share/oauthkit/examples/c/example.c \
        share/oauthkit/examples/cpp/CMakeLists.txt share/oauthkit/examples/go/main.go; do
        [ -e "$prefix/$f" ] || { echo "missing from the tarball: $f"; return 1; }
    done
    if ls "$prefix"/share/oauthkit/go/*_test.go >/dev/null 2>&1; then echo "the Go package ships its tests"; return 1; fi
    grep -q '^prefix=${pcfiledir}/../..$' "$prefix/lib/pkgconfig/oauthkit.pc" || { echo "oauthkit.pc is not relocatable"; return 1; }
    # the header shipped is the repository's
    cmp "$prefix/include/oauthkit.h" "$root/include/oauthkit.h"
)
step "tarball unpacks into a fresh prefix with every file" unpack
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
pc_dirs() (
    local libdir
    libdir="$(pkg-config --variable=libdir oauthkit)" || return 1
    echo "libdir: $libdir"
    [ "$(cd "$libdir" && pwd -P)" = "$(cd "$prefix/lib" && pwd -P)" ] || { echo "libdir is not $prefix/lib"; return 1; }
    pkg-config --cflags --libs oauthkit
    pkg-config --static --libs oauthkit-static
)
step "pkg-config finds the unpacked prefix (relocatable .pc)" pc_dirs

# --- C: pkg-config + rpath, shared and static
c_shared() (
    local d="$scratch/c"
    mkdir -p "$d/store" && cp "$prefix/share/oauthkit/examples/c/store_example.c" "$d/" && cd "$d" || return 1
    cc -std=c11 -Wall -Wextra -Werror store_example.c -o store_example $(pkg-config --cflags --libs oauthkit) \
        "-Wl,-rpath,$(pkg-config --variable=libdir oauthkit)" || return 1
    readelf -d store_example | grep -F '(NEEDED)' | grep -qF "[$soname]" || { echo "does not record $soname"; return 1; }
    env -u LD_LIBRARY_PATH ./store_example "$d/store"
)
step "C: store example, pkg-config + rpath, shared library" c_shared
show "C: store example, pkg-config + rpath, shared library" | tail -n1
c_static() (
    local d="$scratch/c-static"
    mkdir -p "$d/store" && cp "$prefix/share/oauthkit/examples/c/store_example.c" "$d/" && cd "$d" || return 1
    cc -std=c11 -Wall -Wextra -Werror store_example.c -o store_example \
        $(pkg-config --cflags --libs --static oauthkit-static) || return 1
    if readelf -d store_example | grep -F '(NEEDED)' | grep -qF liboauthkit; then echo "links the shared library"; return 1; fi
    ./store_example "$d/store"
)
step "C: store example, static library (oauthkit-static)" c_static

# --- C++: CMake find_package + oauthkit.hpp
cpp() (
    local d="$scratch/cpp"
    mkdir -p "$d/store" && cp -r "$prefix/share/oauthkit/examples/cpp" "$d/src" || return 1
    cmake -S "$d/src" -B "$d/build" -DCMAKE_PREFIX_PATH="$prefix" || return 1
    cmake --build "$d/build" || return 1
    readelf -d "$d/build/store_example" | grep -F '(NEEDED)' | grep -qF "[$soname]" || { echo "does not record $soname"; return 1; }
    env -u LD_LIBRARY_PATH "$d/build/store_example" "$d/store"
)
step "C++: CMake find_package(oauthkit), oauthkit.hpp" cpp
show "C++: CMake find_package(oauthkit), oauthkit.hpp" | tail -n1

# --- Go: a module of its own, the shipped package through replace
go_program() (
    local d="$scratch/go"
    mkdir -p "$d/app" "$d/store" && cp "$prefix/share/oauthkit/examples/go/main.go" "$d/app/" && cd "$d/app" || return 1
    export GOPROXY=off GOFLAGS=-mod=mod GOWORK=off
    go mod init example.test/release-check || return 1
    go mod edit -require=oauthkit.dev/ffi/go@v0.0.0 "-replace=oauthkit.dev/ffi/go=$prefix/share/oauthkit/go" || return 1
    cat go.mod
    CGO_ENABLED=1 CGO_LDFLAGS="-Wl,-rpath,$prefix/lib" go build -o "$d/store-check" . || return 1
    readelf -d "$d/store-check" | grep -F '(NEEDED)' | grep -qF "[$soname]" || { echo "does not record $soname"; return 1; }
    env -u LD_LIBRARY_PATH "$d/store-check" "$d/store"
)
step "Go: own go.mod, replace => the shipped package, cgo via pkg-config" go_program
show "Go: own go.mod, replace => the shipped package, cgo via pkg-config" | tail -n1

# --- Python: the wheel in a fresh venv, no Rust toolchain
# PATH without any directory holding cargo, rustc or rustup
no_rust_path=""
IFS=: read -r -a path_dirs <<<"$PATH"
for p in "${path_dirs[@]}"; do
    [ -n "$p" ] || continue
    [ -e "$p/cargo" ] || [ -e "$p/rustc" ] || [ -e "$p/rustup" ] && continue
    no_rust_path="${no_rust_path:+$no_rust_path:}$p"
done
venv="$scratch/venv"
home="$scratch/home"
mkdir -p "$home"
# a user's shell: this PATH, a throwaway HOME, nothing of the repository
as_user() {
    env -i PATH="$venv/bin:$no_rust_path" HOME="$home" LANG=C.UTF-8 ${DBUS_SESSION_BUS_ADDRESS:+DBUS_SESSION_BUS_ADDRESS="$DBUS_SESSION_BUS_ADDRESS"} "$@"
}
py_install() (
    cd "$scratch" || return 1
    as_user bash -c '! command -v cargo && ! command -v rustc && ! command -v rustup' || { echo "a Rust toolchain is on the PATH"; return 1; }
    as_user python3 -m venv "$venv" || return 1
    as_user pip install --disable-pip-version-check "$wheel" || return 1
    as_user pip show -f oauthkit | grep -E '^(Name|Version|Location)|liboauthkit|\.libs/' || return 1
    # every library the bundled liboauthkit.so needs resolves (auditwheel grafted the rest)
    local so
    so="$(as_user python -c 'import oauthkit; print(oauthkit.library_path())')" || return 1
    ldd "$so"
    ! ldd "$so" | grep -q "not found"
)
step "Python: pip install $(basename "$wheel") into a fresh venv (no Rust on PATH)" py_install
cp "$root/scripts/check-release-wheel.py" "$scratch/check_wheel.py"
py_no_keyring() (
    cd "$scratch" && as_user python check_wheel.py no-keyring
)
step "Python: store round trips, Store.default() without a keyring and with plain text" py_no_keyring
show "Python: store round trips, Store.default() without a keyring and with plain text"
py_keyring() (
    mkdir -p "$scratch/home-keyring" && cd "$scratch" || return 1
    "$root/scripts/with-keyring.sh" bash -c 'exec env -i PATH="$1" HOME="$2" LANG=C.UTF-8 \
        DBUS_SESSION_BUS_ADDRESS="$DBUS_SESSION_BUS_ADDRESS" python check_wheel.py keyring' \
        _ "$venv/bin:$no_rust_path" "$scratch/home-keyring"
)
step "Python: Store.default() with a Secret Service (scripts/with-keyring.sh)" py_keyring
show "Python: Store.default() with a Secret Service (scripts/with-keyring.sh)" | tail -n1
# the offline example of docs/python.md, as printed
py_docs_example() (
    local block
    block="$(awk '/runs as printed: python\/tests\/test_docs_example.py/ {found=1} found && /^```python$/ {inside=1; next} inside && /^```$/ {exit} inside {print}' "$root/docs/python.md")"
    [ -n "$block" ] || { echo "no marked example in docs/python.md"; return 1; }
    mkdir -p "$scratch/docs" && printf '%s\n' "$block" >"$scratch/docs/example.py" && cd "$scratch/docs" || return 1
    as_user python example.py
)
step "Python: the offline example of docs/python.md" py_docs_example
show "Python: the offline example of docs/python.md"
tag="$(python3 -c 'import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
print(" ".join(l.split(": ", 1)[1] for n in z.namelist() if n.endswith(".dist-info/WHEEL")
               for l in z.read(n).decode().splitlines() if l.startswith("Tag: ")))' "$wheel")"
# the glibc the release was built for (scripts/release.sh OAK_GLIBC, default
# 2.17): the wheel's tag says it and no library in it needs a newer glibc
want_glibc="${OAK_GLIBC-2.17}"
case "$tag" in
    *manylinux*) echo "NOTE wheel tag: $tag (pip installed it on this machine)" ;;
    *) echo "FAIL wheel tag is not manylinux: $tag"; failed+=("wheel tag") ;;
esac
if [ -n "$want_glibc" ]; then
    case "$tag" in
        *manylinux_${want_glibc/./_}_*) echo "ok   wheel tag names glibc $want_glibc" ;;
        *) echo "FAIL wheel tag does not say glibc $want_glibc: $tag"; failed+=("wheel glibc") ;;
    esac
    newest="$(cd "$scratch" && rm -rf whl && mkdir whl && cd whl && python3 -m zipfile -e "$wheel" . &&
        find . -name '*.so*' -type f -exec objdump -T {} + | grep -o 'GLIBC_2\.[0-9.]*' | sort -uV | tail -n1)"
    case "$(printf '%s\n%s\n' "${newest#GLIBC_}" "$want_glibc" | sort -V | tail -n1)" in
        "$want_glibc") echo "ok   the wheel's libraries need at most glibc $want_glibc (newest symbol $newest)" ;;
        *) echo "FAIL the wheel's libraries need $newest, newer than glibc $want_glibc"; failed+=("wheel glibc symbols") ;;
    esac
fi

echo "release: $passed passed, ${#failed[@]} failed"
[ ${#failed[@]} -eq 0 ]
