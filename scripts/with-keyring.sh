#!/usr/bin/env bash
# Runs a command with a real Secret Service: a private D-Bus session with an
# unlocked gnome-keyring, and a fresh kernel session keyring.
#   scripts/with-keyring.sh cargo test --features keyring
set -euo pipefail
if [ -n "${OAUTHKIT_IN_KEYRING_SESSION:-}" ]; then exec "$@"; fi
for bin in dbus-run-session gnome-keyring-daemon; do
  command -v "$bin" >/dev/null || { echo "missing $bin: run scripts/setup-keyring.sh" >&2; exit 1; }
done
export OAUTHKIT_IN_KEYRING_SESSION=1
exec dbus-run-session -- bash -c '
  echo -n oauthkit-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1
  exec "$@"' bash "$@"
