"""The GIL is released during RSA key generation and whole-PKI generation, and the
objects are safe to share between threads."""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import List

import pytest

import kpki
from conftest import FIGURES

N = 4
KEYS_PER_THREAD = 4  # RSA-2048: ~0.1 s each in a release build, varying (prime search)
ROUNDS = 3


def _generate(n: int) -> List[kpki.PrivateKey]:
    return [kpki.PrivateKey.generate("rsa-2048") for _ in range(n)]


def test_four_threads_generate_rsa_keys_concurrently() -> None:
    """4 threads x K keys against 1 thread x K keys: with the GIL held the 4 threads
    would take 4x as long; released, they share the cores. Best of a few rounds, since
    the machine may be busy and RSA keygen time varies from key to key."""
    _generate(1)  # warm up
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    best = 0.0
    for _ in range(ROUNDS):
        start = time.perf_counter()
        _generate(KEYS_PER_THREAD)
        one = time.perf_counter() - start
        start = time.perf_counter()
        with ThreadPoolExecutor(N) as pool:
            keys = [k for ks in pool.map(_generate, [KEYS_PER_THREAD] * N) for k in ks]
        four = time.perf_counter() - start
        assert len({k.public_key.to_der() for k in keys}) == N * KEYS_PER_THREAD
        speedup = N * one / four
        FIGURES.append(
            f"RSA-2048 keygen: 1 thread x {KEYS_PER_THREAD} keys {one:.2f} s; "
            f"{N} threads x {KEYS_PER_THREAD} keys {four:.2f} s = {four / one:.2f}x the time "
            f"of one (speedup {speedup:.2f}x, {cores} cores)"
        )
        best = max(best, speedup)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    FIGURES.append(f"RSA-2048 keygen best speedup of {N} threads: {best:.2f}x (load average {load:.1f})")
    # Serialised by the GIL, 4 threads take 4x the time of one (speedup 1.0). The bound
    # is loose; with one core there is nothing to gain.
    if cores >= 2 and best <= 1.3:
        if load > cores:
            # Other processes hold the cores: wall time says nothing about the GIL here
            # (test_gil_is_free_while_a_pki_is_generated still checks that it is free).
            pytest.skip(f"machine busy (load {load:.1f} on {cores} cores): speedup {best:.2f}x")
        pytest.fail(f"4 threads took {N / best:.2f}x the time of one: is the GIL released?")


def test_gil_is_free_while_a_pki_is_generated() -> None:
    spec = kpki.ClusterSpec("node01", "10.0.0.10", workers=[f"w{i}" for i in range(6)])
    done = threading.Event()
    ticks = 0

    def generate() -> None:
        spec.generate()
        done.set()

    t = threading.Thread(target=generate)
    t.start()
    while not done.is_set():
        ticks += 1  # pure-Python work: only runs if generate() let go of the GIL
        time.sleep(0)
    t.join()
    FIGURES.append(f"main thread ran {ticks} Python iterations while spec.generate() ran")
    assert ticks > 100


def test_shared_objects_from_many_threads() -> None:
    ca = kpki.CertificateAuthority.root("kubernetes", algorithm="ecdsa-p256")
    key = kpki.PrivateKey.generate("ecdsa-p256")
    identity = kpki.Identity.user("shared", ["g"])

    def issue(i: int) -> str:
        cert = ca.issue(identity, key, sans=[f"n{i}.example"])
        ca.verify_issued(cert)
        return cert.serial_hex

    with ThreadPoolExecutor(8) as pool:
        serials = list(pool.map(issue, range(200)))
    assert len(set(serials)) == 200
