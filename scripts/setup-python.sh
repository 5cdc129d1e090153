#!/usr/bin/env bash
# The Python venv (target/python-venv) the oauthkit Python package is built
# and tested in: cffi, pytest, mypy, setuptools/wheel, and for the interop tests
# globus-sdk 4.10.0 and pywry 2.0.6. Idempotent and non-interactive.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
venv="${PYTHON_VENV:-target/python-venv}"
if "$venv/bin/python" -c "import cffi, pytest, mypy, wheel, setuptools, globus_sdk, jwt, requests, pywry.auth" 2>/dev/null; then exit 0; fi
command -v python3 >/dev/null || apt_install python3 python3-venv
python3 -m venv "$venv" 2>/dev/null || { apt_install python3-venv; python3 -m venv "$venv"; }
pip=("$venv/bin/pip" install -q --disable-pip-version-check)
"${pip[@]}" cffi pytest mypy wheel 'setuptools>=61'
# globus-sdk 4.10.0 pins a certifi newer than the registry may have; its
# token storage needs none of certifi's data, so it is installed without
# deps (as scripts/setup-python-interop.sh does) after the deps it imports.
# pywry 2.0.6 (its RedisTokenStore, for the Redis interop test) likewise,
# without pytauri (the desktop window toolkit), which pywry.auth does not
# import. The --no-deps installs come last: pip checks the whole venv after
# an install with deps and prints an "ERROR: pip's dependency resolver ..."
# about those two (pytauri, certifi) although nothing failed.
"${pip[@]}" requests 'pyjwt[crypto]' typing_extensions
"${pip[@]}" redis pydantic pydantic-settings httpx anyio fastapi uvicorn websockets watchdog setproctitle
"${pip[@]}" --no-deps globus-sdk==4.10.0 pywry==2.0.6
"$venv/bin/python" -c "import pywry.auth" || { echo "setup-python: pywry.auth does not import" >&2; exit 1; }
"$venv/bin/python" -c "import cffi, pytest, globus_sdk; print('python venv: cffi', cffi.__version__, 'pytest', pytest.__version__, 'globus-sdk', globus_sdk.__version__)"
