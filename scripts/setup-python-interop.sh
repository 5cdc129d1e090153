#!/usr/bin/env bash
# A Python venv with globus-sdk, used by tests/interop/globus.rs to prove
# that oauthkit and globus-sdk read each other's token files and databases.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
venv=target/interop-venv
if "$venv/bin/python" -c "import globus_sdk, jwt, requests" 2>/dev/null; then exit 0; fi
command -v python3 >/dev/null || apt_install python3 python3-venv
python3 -m venv "$venv" 2>/dev/null || { apt_install python3-venv; python3 -m venv "$venv"; }
# globus-sdk 4.10.0 pins a certifi newer than the registry may have; its
# token storage needs none of certifi's data, so install it without deps,
# last (pip checks the venv after an install with deps and would print an
# "ERROR: ... dependency conflicts" line about it).
"$venv/bin/pip" install -q --disable-pip-version-check requests 'pyjwt[crypto]' typing_extensions
"$venv/bin/pip" install -q --disable-pip-version-check --no-deps globus-sdk==4.10.0
"$venv/bin/python" -c "import globus_sdk; print('globus-sdk', globus_sdk.__version__)"
