#!/usr/bin/env bash
# Runs every test of ferrodis on a fresh machine.
#
# The interop and differential tests compare ferrodis with the real Redis 7.0, so this
# installs Debian's redis-server and redis-tools first when they are missing (as root,
# or through sudo). Extra arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."

need_redis() {
  for tool in redis-server redis-cli redis-benchmark; do
    command -v "$tool" >/dev/null 2>&1 || return 0
  done
  return 1
}

if need_redis; then
  echo "Installing redis-server and redis-tools (the reference the tests compare against)..."
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server redis-tools >/dev/null
fi
redis-server --version

cargo test --workspace --locked "$@"
