#!/usr/bin/env bash
# Installs (idempotently) what the test suites need on a fresh Debian machine.
set -euo pipefail

need_apt=()
command -v openssl >/dev/null || need_apt+=(openssl)
# A real etcd for crates/kpki-cli/tests/etcd.rs (the test starts and stops it itself).
command -v etcd >/dev/null || need_apt+=(etcd-server)
command -v etcdctl >/dev/null || need_apt+=(etcd-client)
# kubectl reads the kubeconfigs back in the oracle tests and check-layout.sh (the machine
# image ships one; Debian's kubernetes-client is the fallback).
command -v kubectl >/dev/null || need_apt+=(kubernetes-client)
# SoftHSM: the PKCS#11 token of crates/kpki-verify-tests/tests/pkcs11.rs.
{ [ -e /usr/lib/softhsm/libsofthsm2.so ] && command -v softhsm2-util >/dev/null; } || need_apt+=(softhsm2)
# pkcs11-tool (OpenSC): a second reader of the token's key attributes in the PKCS#11 tests.
command -v pkcs11-tool >/dev/null || need_apt+=(opensc)
if [ ${#need_apt[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
fi

# Python `cryptography` and PyYAML: the independent CSR maker/checker and YAML reader of
# crates/kpki-core/tests/csr_signing.rs and crates/kpki-cli/tests/csr_cli.rs.
if ! python3 -c 'import cryptography, yaml' 2>/dev/null; then
  python3 -m pip install -q cryptography pyyaml 2>/dev/null \
    || python3 -m pip install -q --break-system-packages cryptography pyyaml 2>/dev/null \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
           python3 python3-cryptography python3-yaml; }
fi
