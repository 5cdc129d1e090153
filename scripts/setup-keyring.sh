#!/usr/bin/env bash
# Installs what the keyring store's tests need: D-Bus, gnome-keyring (a real
# Secret Service) and the libdbus headers the keyring crate links against.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
apt_install dbus dbus-daemon gnome-keyring libdbus-1-dev pkg-config
