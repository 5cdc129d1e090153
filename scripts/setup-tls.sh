#!/usr/bin/env bash
# Installs what the TLS trust tests (tests/provider_tls*.rs) need: the
# openssl command, which makes a throwaway CA and server certificate in each
# test, and ca-certificates (the OS trust store the default build uses).
# Idempotent and non-interactive.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
apt_install openssl ca-certificates
