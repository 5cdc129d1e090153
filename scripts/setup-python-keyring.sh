#!/usr/bin/env bash
# A Python venv with the `keyring` package (SecretStorage backend), used by
# tests/store/keyring.rs to write entries the way pywry's KeyringTokenStore
# does (keyring.set_password(service, key, json), no index) and check that
# oauthkit's keyring store lists them.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
venv=target/python-keyring-venv
if "$venv/bin/python" -c "import keyring, secretstorage" 2>/dev/null; then exit 0; fi
command -v python3 >/dev/null || apt_install python3 python3-venv
python3 -m venv "$venv" 2>/dev/null || { apt_install python3-venv; python3 -m venv "$venv"; }
"$venv/bin/pip" install -q --disable-pip-version-check keyring secretstorage
"$venv/bin/python" -c "import keyring; print('python keyring', keyring.__version__ if hasattr(keyring, '__version__') else 'ok')"
