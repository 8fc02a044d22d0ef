#!/usr/bin/env bash
# Installs (idempotently) what the test suites need on a fresh Debian machine.
set -euo pipefail

need_apt=()
command -v openssl >/dev/null || need_apt+=(openssl)
if [ ${#need_apt[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
fi
