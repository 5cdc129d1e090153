#!/usr/bin/env bash
# Runs a command with a real Secret Service: a private D-Bus session with a
# gnome-keyring whose keyrings live in a fresh temporary directory, so the
# login collection is always created anew, unlocked, with a known password.
#   scripts/with-keyring.sh cargo test --features keyring
set -euo pipefail
if [ -n "${OAUTHKIT_IN_KEYRING_SESSION:-}" ]; then exec "$@"; fi
for bin in dbus-run-session gnome-keyring-daemon; do
  command -v "$bin" >/dev/null || { echo "missing $bin: run scripts/setup-keyring.sh" >&2; exit 1; }
done
export OAUTHKIT_IN_KEYRING_SESSION=1
OAUTHKIT_KEYRING_DIR=$(mktemp -d)
export OAUTHKIT_KEYRING_DIR
trap 'rm -rf "$OAUTHKIT_KEYRING_DIR"' EXIT
dbus-run-session -- bash -c '
  echo -n oauthkit-test | XDG_DATA_HOME="$OAUTHKIT_KEYRING_DIR" \
    gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1
  exec "$@"' bash "$@"
