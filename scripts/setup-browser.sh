#!/usr/bin/env bash
# Installs what tests/flow/browser.rs needs: Debian's chromium, Node.js and
# the playwright-core driver (npm ci against the committed lockfile in
# tests/browser). Idempotent and non-interactive.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."

command -v chromium >/dev/null 2>&1 || apt_install chromium
command -v node >/dev/null 2>&1 || apt_install nodejs
command -v npm >/dev/null 2>&1 || apt_install npm

if [ ! -f tests/browser/node_modules/playwright-core/package.json ]; then
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
fi
echo "setup-browser: $(chromium --version 2>/dev/null | head -1 | awk '{print $1, $2}'), playwright-core $(node -p "require('./tests/browser/node_modules/playwright-core/package.json').version")"
