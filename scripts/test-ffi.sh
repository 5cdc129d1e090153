#!/usr/bin/env bash
# Builds liboauthkit (cdylib + staticlib), checks the committed header, then
# builds and runs the C, C++ and Go programs and tests against the library:
#   - header: include/oauthkit.h equals what build.rs generates
#   - C example: plain cc (shared and static) and CMake
#   - C test: plain cc, under valgrind (no leaks, no invalid access), with
#     AddressSanitizer/UBSan, each with a negative control that must fail
#   - C++: GoogleTest tests of ffi/cpp/oauthkit.hpp, built with CMake
#   - Go: go vet and go test of ffi/go
#   - Swift: swift build/test of ffi/swift when a toolchain exists
# Prints one PASS/FAIL line per step and exits non-zero if any step failed.
# Needs what scripts/setup-ffi.sh installs. Environment: PROFILE
# (release|debug, default release), FEATURES (cargo features for the
# library, default "dev-provider" when the crate has it).
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export PATH="/usr/local/go/bin:$HOME/.cargo/bin:$PATH"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
dist="$target_dir/dist"
build="$target_dir/ffi"
logs="$build/logs"
rm -rf "$build"
mkdir -p "$logs"
if [ -z "${FEATURES+x}" ]; then
    FEATURES=""
    grep -q '^dev-provider *=' Cargo.toml && FEATURES="dev-provider"
fi
export FEATURES

failed=()
# step NAME COMMAND...: runs the command with its output in a log; prints
# PASS or FAIL (with the log's tail).
step() {
    local name="$1"
    shift
    local log="$logs/$(echo "$name" | tr ' /:' '___').log"
    if "$@" >"$log" 2>&1; then
        echo "PASS $name"
    else
        echo "FAIL $name (log: $log)"
        tail -n 40 "$log" | sed 's/^/    /'
        failed+=("$name")
    fi
}
# must_fail NAME COMMAND...: a negative control; passes when the command fails.
must_fail() {
    local name="$1"
    shift
    step "$name" bash -c '! "$@"' _ "$@"
}

need() {
    command -v "$1" >/dev/null 2>&1 || {
        echo "FAIL missing tool: $1 (run scripts/setup-ffi.sh)"
        failed+=("tool $1")
    }
}
for tool in cargo cc c++ cmake pkg-config valgrind go; do need "$tool"; done

step "header is up to date" scripts/check-header.sh
step "build cdylib + staticlib (${PROFILE:-release}${FEATURES:+, $FEATURES})" scripts/install-local.sh "$dist"
if [ ! -f "$dist/lib/liboauthkit.a" ]; then
    echo "FAIL nothing to test without the library"
    exit 1
fi
export PKG_CONFIG_PATH="$dist/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
cflags=(-std=c11 -Wall -Wextra -Werror -g)
shared_libs=($(pkg-config --libs oauthkit) "-Wl,-rpath,$dist/lib" -lpthread)
static_libs=($(pkg-config --static --libs oauthkit-static))
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

# --- C example
step "C example: cc, shared library" cc "${cflags[@]}" $(pkg-config --cflags oauthkit) ffi/c/example.c -o "$build/example" "${shared_libs[@]}"
step "C example: run (shared)" "$build/example" "$scratch/example-shared.json"
step "C device example: cc (built, not run: it needs a provider and a user)" cc "${cflags[@]}" $(pkg-config --cflags oauthkit) ffi/c/device_example.c -o "$build/device_example" "${shared_libs[@]}"
step "C example: cc, static library" cc "${cflags[@]}" $(pkg-config --cflags oauthkit-static) ffi/c/example.c -o "$build/example-static" "${static_libs[@]}"
step "C example: run (static)" "$build/example-static" "$scratch/example-static.json"
step "C example + test: CMake configure" cmake -S ffi/c -B "$build/c-cmake" -DCMAKE_PREFIX_PATH="$dist"
step "C example + test: CMake build" cmake --build "$build/c-cmake"
step "C example: run (CMake)" "$build/c-cmake/oak_example" "$scratch/example-cmake.json"
step "C test: ctest (CMake)" ctest --test-dir "$build/c-cmake" --output-on-failure

# --- C test: plain, valgrind, ASan (+ negative controls)
step "C test: cc" cc "${cflags[@]}" $(pkg-config --cflags oauthkit) ffi/c/test_capi.c -o "$build/test_capi" "${shared_libs[@]}"
step "C test: run" "$build/test_capi"
vg=(valgrind --quiet --suppressions=ffi/c/valgrind.supp --leak-check=full --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=1)
step "C test: valgrind (no leaks, no invalid access)" "${vg[@]}" "$build/test_capi"
step "C test: cc -DOAK_DELIBERATE_LEAK" cc "${cflags[@]}" -DOAK_DELIBERATE_LEAK $(pkg-config --cflags oauthkit) ffi/c/test_capi.c -o "$build/test_capi_leak" "${shared_libs[@]}"
must_fail "C test: valgrind catches a deliberate leak" "${vg[@]}" "$build/test_capi_leak"
asan=(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
step "C test: cc with ASan+UBSan (static library)" cc "${cflags[@]}" "${asan[@]}" $(pkg-config --cflags oauthkit-static) ffi/c/test_capi.c -o "$build/test_capi_asan" "${static_libs[@]}"
step "C test: run under ASan+UBSan" env ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 "$build/test_capi_asan"
step "C test: cc with ASan -DOAK_DELIBERATE_LEAK" cc "${cflags[@]}" "${asan[@]}" -DOAK_DELIBERATE_LEAK $(pkg-config --cflags oauthkit-static) ffi/c/test_capi.c -o "$build/test_capi_asan_leak" "${static_libs[@]}"
must_fail "C test: ASan catches a deliberate leak" env ASAN_OPTIONS=detect_leaks=1 "$build/test_capi_asan_leak"

# --- C++
step "C++: CMake configure (GoogleTest)" cmake -S ffi/cpp -B "$build/cpp" -DCMAKE_PREFIX_PATH="$dist"
step "C++: CMake build" cmake --build "$build/cpp"
step "C++: GoogleTest" ctest --test-dir "$build/cpp" --output-on-failure

# --- Go
export LD_LIBRARY_PATH="$dist/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
step "Go: gofmt" bash -c 'test -z "$(gofmt -l ffi/go)"'
step "Go: go vet" bash -c 'cd ffi/go && go vet ./...'
step "Go: go test" bash -c 'cd ffi/go && go test -count=1 -v ./...'

# --- Swift
if command -v swift >/dev/null 2>&1; then
    step "Swift: swift build" bash -c "cd ffi/swift && swift build -Xcc -I$dist/include -Xlinker -L$dist/lib"
    step "Swift: swift test" bash -c "cd ffi/swift && swift test -Xcc -I$dist/include -Xlinker -L$dist/lib"
else
    echo "NOTE Swift: no toolchain (swift not on PATH); ffi/swift was not built"
fi

if [ ${#failed[@]} -eq 0 ]; then
    echo "ALL FFI CHECKS PASSED"
else
    echo "${#failed[@]} FFI CHECK(S) FAILED: ${failed[*]}"
    exit 1
fi
