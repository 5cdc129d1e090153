#!/usr/bin/env bash
# The CLI tests (tests/command_line/commands.rs) use curl as the "browser" against the dev
# provider's auto-approve and the real git for the credential helper test;
# hyperfine measures the cold start of `oauthkit token` (docs/cli.md); a
# real kubectl runs the exec credential plugin (Debian's kubernetes-client
# when no kubectl is installed).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
apt_install curl git hyperfine
command -v kubectl >/dev/null 2>&1 || apt_install kubernetes-client
