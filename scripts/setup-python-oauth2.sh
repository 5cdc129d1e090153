#!/usr/bin/env bash
# A Python venv with python-oauth2 1.1.1 and python-memcached, used by
# tests/interop/python_oauth2.rs to prove that oauthkit's memcache server
# store and python-oauth2's memcache store read each other's records.
# python-oauth2 1.1.1 imports on Python 3.11 as released (no patch needed).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
venv=target/python-oauth2-venv
if "$venv/bin/python" -c "import oauth2.store.memcache, memcache" 2>/dev/null; then exit 0; fi
command -v python3 >/dev/null || apt_install python3 python3-venv
python3 -m venv "$venv" 2>/dev/null || { apt_install python3-venv; python3 -m venv "$venv"; }
"$venv/bin/pip" install -q --disable-pip-version-check python-oauth2==1.1.1 python-memcached==1.62
"$venv/bin/python" -c "import oauth2.store.memcache, memcache; print('python-oauth2 ok, python-memcached', memcache.__version__)"
