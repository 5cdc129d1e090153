#!/usr/bin/env bash
# rustdoc, allowed to write its (unstable) JSON output on the stable
# toolchain. Used as RUSTDOC by scripts/check-rust-api.sh: setting
# RUSTC_BOOTSTRAP for rustdoc alone keeps cargo's fingerprints of the
# dependencies unchanged, so they are not compiled again.
RUSTC_BOOTSTRAP=1 exec rustdoc "$@"
