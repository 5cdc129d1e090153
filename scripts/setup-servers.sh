#!/usr/bin/env bash
# Installs what the Redis and memcached store tests and the network-store
# benchmark need: redis-server, redis-tools (redis-cli, redis-benchmark),
# memcached, and openssl (makes the TLS test's throwaway certificates).
# The tests start their own instances on free loopback ports; nothing is
# started here.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
apt_install redis-server redis-tools memcached openssl
