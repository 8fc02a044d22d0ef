#!/usr/bin/env python3
"""kpki.tls_certificates vs the charm library it stands in for
(charmlibs-interfaces-tls-certificates, on pyca/cryptography), side by side in one run.

For RSA-2048 and ECDSA P-256, the job a requirer and a provider do for one certificate:
generate the key, make the CSR (CertificateRequestAttributes with a CN and two DNS SANs),
sign it with a CA of the same algorithm for 90 days. Also the same without the key
generation (a key made outside the loop), since RSA key generation dominates the whole
and is random in length.

Rounds alternate the two sides (A B A B ...) so that load from elsewhere hits both
alike; each round times BATCH operations; the figure is the median per-operation time
over ROUNDS rounds. Run with the Python that has both installed (scripts/test-python.sh
makes one):

    target/py-venv/bin/python benches/charm-tls.py [ROUNDS] [BATCH]
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import timedelta
from types import ModuleType
from typing import Any, Callable

from charmlibs.interfaces import tls_certificates as lib

from kpki import tls_certificates as kp

ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 7
BATCH = int(sys.argv[2]) if len(sys.argv) > 2 else 20
ALGORITHMS = [("rsa", 2048), ("ecdsa", 256)]


def setup(side: ModuleType, algorithm: str, size: int) -> dict[str, Any]:
    ca_key = side.PrivateKey.generate(key_algorithm=algorithm, key_size=size)
    ca = side.Certificate.generate_self_signed_ca(
        side.CertificateRequestAttributes(common_name="bench-ca"), ca_key, timedelta(days=365)
    )
    attrs = side.CertificateRequestAttributes(
        common_name="unit-0.example", sans_dns=["unit-0.example", "app.example"]
    )
    key = side.PrivateKey.generate(key_algorithm=algorithm, key_size=size)
    return {"side": side, "ca": ca, "ca_key": ca_key, "attrs": attrs, "key": key,
            "algorithm": algorithm, "size": size}


def whole(s: dict[str, Any]) -> None:
    key = s["side"].PrivateKey.generate(key_algorithm=s["algorithm"], key_size=s["size"])
    s["attrs"].generate_csr(key).sign(s["ca"], s["ca_key"], timedelta(days=90))


def csr_and_sign(s: dict[str, Any]) -> None:
    s["attrs"].generate_csr(s["key"]).sign(s["ca"], s["ca_key"], timedelta(days=90))


def keygen(s: dict[str, Any]) -> None:
    s["side"].PrivateKey.generate(key_algorithm=s["algorithm"], key_size=s["size"])


def timed(job: Callable[[dict[str, Any]], None], s: dict[str, Any]) -> float:
    start = time.perf_counter()
    for _ in range(BATCH):
        job(s)
    return (time.perf_counter() - start) / BATCH


def main() -> None:
    print(f"charmlibs-interfaces-tls-certificates vs kpki.tls_certificates, "
          f"{ROUNDS} rounds x {BATCH} ops, medians; load {os.getloadavg()[0]:.2f}")
    print(f"{'job':<42} {'library':>12} {'kpki':>12} {'kpki/library':>13}")
    for algorithm, size in ALGORITHMS:
        sides = {"library": setup(lib, algorithm, size), "kpki": setup(kp, algorithm, size)}
        for name, job in (("key + CSR + signed certificate", whole),
                          ("CSR + signed certificate", csr_and_sign),
                          ("key generation", keygen)):
            times: dict[str, list[float]] = {"library": [], "kpki": []}
            for _ in range(ROUNDS):
                for who in ("library", "kpki"):
                    times[who].append(timed(job, sides[who]))
            med = {who: statistics.median(t) for who, t in times.items()}
            label = f"{algorithm}-{size} {name}"
            print(f"{label:<42} {med['library'] * 1e3:>9.3f} ms {med['kpki'] * 1e3:>9.3f} ms "
                  f"{med['kpki'] / med['library']:>13.2f}")
    print(f"load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
