"""Door parity: the same inputs through the CLI (`kpki init`), Python (`kpki.ClusterSpec`)
and C (`parity_c`, over include/kpki.h) give the same PKI — the same set of files with
the same modes, and certificates equal field by field as Python `cryptography` parses
them (keys, serials, signatures and absolute times aside; validity periods must agree).

Run by scripts/test-parity.sh, which builds the three doors and sets KPKI_BIN (the CLI)
and KPKI_PARITY_C (the C driver); the `kpki` module comes from the test venv.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

import kpki

KPKI_BIN = os.environ.get("KPKI_BIN", "kpki")
PARITY_C = os.environ.get("KPKI_PARITY_C", "parity_c")


@dataclass
class Case:
    """One set of inputs, given to every door."""

    name: str
    config: Optional[str] = None
    node: Optional[str] = None
    address: Optional[str] = None
    endpoint: Optional[str] = None
    service_cidr: Optional[str] = None
    extra_sans: List[str] = field(default_factory=list)
    key_algorithm: Optional[str] = None
    profile: Optional[str] = None
    workers: List[str] = field(default_factory=list)
    # What nobody gives comes from this host (its name, its default route's address),
    # as `kpki init` and `kubeadm init` take them: Python's host_defaults=True, C's
    # kpki_cluster_spec_new_for_host(). The CLI always does this.
    host: bool = False
    # Files placed in the directory before init (bring-your-own CA), by relative path.
    preplace: Callable[[Path], Dict[str, bytes]] = lambda work: {}


V1BETA3_ABSOLUTE_CERTIFICATES_DIR = """\
apiVersion: kubeadm.k8s.io/v1beta3
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: 192.168.50.11
  bindPort: 6443
nodeRegistration:
  name: cp-1
---
apiVersion: kubeadm.k8s.io/v1beta3
kind: ClusterConfiguration
clusterName: kubernetes
certificatesDir: /etc/kubernetes/pki
featureGates:
  PublicKeysECDSA: true
networking:
  serviceSubnet: 10.100.0.0/16
  dnsDomain: corp.local
apiServer:
  certSANs:
  - api.corp.example
"""

V1BETA4_P384_VALIDITY = """\
apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: 10.20.0.5
nodeRegistration:
  name: cp-a
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
clusterName: lab
controlPlaneEndpoint: lab.example.internal:6443
encryptionAlgorithm: ECDSA-P384
certificateValidityPeriod: 4380h0m0s
caCertificateValidityPeriod: 43800h0m0s
networking:
  serviceSubnet: 10.128.0.0/16
  dnsDomain: lab.local
etcd:
  local:
    serverCertSANs: [etcd.lab.example]
    peerCertSANs: [10.20.0.6]
"""


CLUSTER_CONFIG_ONLY = """\
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
certificatesDir: certs
clusterName: edge
networking:
  serviceSubnet: 10.150.0.0/16
apiServer:
  certSANs: [edge.example.com]
"""


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def byo_root(work: Path) -> Dict[str, bytes]:
    """A root CA made by openssl (kubeadm's bring-your-own CA: pki/ca.crt + pki/ca.key)."""
    if not (work / "root.crt").exists():
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-keyout", "root.key", "-out", "root.crt", "-days", "3650",
                "-subj", "/CN=kubernetes",
                "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,digitalSignature,keyCertSign", cwd=work)
    return {"pki/ca.crt": (work / "root.crt").read_bytes(),
            "pki/ca.key": (work / "root.key").read_bytes()}


def intermediate(work: Path) -> Dict[str, bytes]:
    """An intermediate cluster CA under a corporate root (ca.crt holds the chain)."""
    if not (work / "int.crt").exists():
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-keyout", "corp.key", "-out", "corp.crt", "-days", "7300",
                "-subj", "/O=Example Corp/CN=Example Corp Root",
                "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=work)
        openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-keyout", "int.key", "-out", "int.csr", "-subj", "/CN=kubernetes",
                cwd=work)
        (work / "int.ext").write_text(
            "basicConstraints=critical,CA:TRUE,pathlen:0\n"
            "keyUsage=critical,digitalSignature,keyCertSign\n"
            "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n")
        openssl("x509", "-req", "-in", "int.csr", "-CA", "corp.crt", "-CAkey", "corp.key",
                "-CAcreateserial", "-days", "3650", "-extfile", "int.ext", "-out", "int.crt",
                cwd=work)
    chain = (work / "int.crt").read_bytes() + (work / "corp.crt").read_bytes()
    return {"pki/ca.crt": chain, "pki/ca.key": (work / "int.key").read_bytes()}


CASES = [
    # Nothing given: the README's first command.
    Case("defaults", host=True),
    Case("v1beta3-absolute-certificatesDir", config=V1BETA3_ABSOLUTE_CERTIFICATES_DIR),
    # A file without the node: this host's name and address, under the file's settings.
    Case("cluster-config-only-from-host", config=CLUSTER_CONFIG_ONLY, host=True),
    Case("v1beta4-p384-validity", config=V1BETA4_P384_VALIDITY),
    Case("dual-stack-workers", node="node01", address="10.0.0.10",
         endpoint="cp.example.internal:6443", service_cidr="10.96.0.0/12,fd00:10:96::/112",
         extra_sans=["extra.example.com", "192.0.2.7"], key_algorithm="ecdsa-p256",
         workers=["node02", "node03"]),
    Case("bring-your-own-ca", node="node01", address="10.0.0.10", key_algorithm="ecdsa-p256",
         profile="kubeadm-1.28", preplace=byo_root),
    Case("intermediate-ca", node="node01", address="10.0.0.10", key_algorithm="ecdsa-p256",
         workers=["node02"], preplace=intermediate),
]

# ---- the three doors -------------------------------------------------------------------


def run_cli(case: Case, out: Path, work: Path) -> None:
    args = [KPKI_BIN, "init", "--dir", str(out), "--quiet"]
    if case.config is not None:
        cfg = work / "kubeadm.yaml"
        cfg.write_text(case.config)
        args += ["--config", str(cfg)]
    for flag, value in [("--node-name", case.node), ("--advertise-address", case.address),
                        ("--control-plane-endpoint", case.endpoint),
                        ("--service-cidr", case.service_cidr),
                        ("--key-algorithm", case.key_algorithm), ("--profile", case.profile)]:
        if value is not None:
            args += [flag, value]
    if case.extra_sans:
        args += ["--apiserver-cert-extra-sans", ",".join(case.extra_sans)]
    if case.workers:
        args += ["--worker-nodes", ",".join(case.workers)]
    done = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{' '.join(args)}: {done.stderr}"


def run_python(case: Case, out: Path, work: Path) -> None:
    settings = dict(
        node_name=case.node, advertise_address=case.address, host_defaults=case.host,
        control_plane_endpoint=case.endpoint, service_subnets=case.service_cidr,
        apiserver_extra_sans=case.extra_sans or None, key_algorithm=case.key_algorithm,
        compatibility=case.profile, workers=case.workers or None)
    if case.config is not None:
        spec = kpki.ClusterSpec.from_kubeadm_config(case.config, **settings)
    else:
        spec = kpki.ClusterSpec(**settings)
    spec.init(out)


def run_c(case: Case, out: Path, work: Path) -> None:
    args = [PARITY_C, str(out)]
    if case.config is not None:
        cfg = work / "kubeadm.yaml"
        cfg.write_text(case.config)
        args.append(f"config={cfg}")
    for key, value in [("node", case.node), ("address", case.address),
                       ("endpoint", case.endpoint), ("service_cidr", case.service_cidr),
                       ("key_algorithm", case.key_algorithm), ("profile", case.profile)]:
        if value is not None:
            args.append(f"{key}={value}")
    args += [f"extra_san={s}" for s in case.extra_sans]
    args += [f"worker={w}" for w in case.workers]
    if case.host:
        args.append("host")
    done = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{' '.join(args)}: {done.stderr}"


DOORS: List[Tuple[str, Callable[[Case, Path, Path], None]]] = [
    ("cli", run_cli), ("python", run_python), ("c", run_c)]

# ---- what a directory holds, door-independently -----------------------------------------


def key_kind(key: object) -> str:
    if isinstance(key, rsa.RSAPublicKey) or isinstance(key, rsa.RSAPrivateKey):
        return f"rsa-{key.key_size}"
    if isinstance(key, ec.EllipticCurvePublicKey) or isinstance(key, ec.EllipticCurvePrivateKey):
        return f"ec-{key.curve.name}"
    if isinstance(key, ed25519.Ed25519PublicKey) or isinstance(key, ed25519.Ed25519PrivateKey):
        return "ed25519"
    return type(key).__name__


def cert_view(cert: x509.Certificate) -> dict:
    """The fields of a certificate that do not depend on keys, serials or the clock."""
    extensions = []
    for ext in cert.extensions:
        oid = ext.oid.dotted_string
        if ext.oid in (x509.ExtensionOID.SUBJECT_KEY_IDENTIFIER,
                       x509.ExtensionOID.AUTHORITY_KEY_IDENTIFIER):
            value = "<key-dependent>"
        else:
            value = ext.value.public_bytes().hex()
        extensions.append((oid, ext.critical, value))
    return {
        "version": cert.version.name,
        # The DER of the names: attribute order and string types count.
        "subject": cert.subject.rfc4514_string() + " " + cert.subject.public_bytes().hex(),
        "issuer": cert.issuer.rfc4514_string() + " " + cert.issuer.public_bytes().hex(),
        "signature_algorithm": cert.signature_algorithm_oid.dotted_string,
        "public_key": key_kind(cert.public_key()),
        "extensions": extensions,
        "validity_seconds": (cert.not_valid_after_utc - cert.not_valid_before_utc).total_seconds(),
    }


def certs_view(pem: bytes) -> list:
    return [cert_view(c) for c in x509.load_pem_x509_certificates(pem)]


def private_key_view(pem: bytes) -> str:
    first = pem.split(b"\n", 1)[0].decode()
    return f"{first} {key_kind(serialization.load_pem_private_key(pem, None))}"


def kubeconfig_view(text: bytes) -> dict:
    doc = yaml.safe_load(text)

    def walk(value: object, key: str = "") -> object:
        if isinstance(value, dict):
            return {k: walk(v, k) for k, v in sorted(value.items())}
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, str) and key.endswith("-data"):
            import base64
            raw = base64.b64decode(value)
            if key == "client-key-data":
                return private_key_view(raw)
            return certs_view(raw)
        return value

    return walk(doc)  # type: ignore[return-value]


def tree_view(root: Path) -> Dict[str, object]:
    """Every file and directory under root: its mode and a comparable view of it."""
    view: Dict[str, object] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        mode = oct(stat.S_IMODE(path.lstat().st_mode))
        if path.is_dir():
            view[rel + "/"] = mode
            continue
        data = path.read_bytes()
        if rel.endswith(".crt"):
            content: object = certs_view(data)
        elif rel.endswith(".key"):
            content = private_key_view(data)
        elif rel.endswith(".pub"):
            content = key_kind(serialization.load_pem_public_key(data))
        elif rel.endswith(".conf"):
            content = kubeconfig_view(data)
        else:
            content = data.hex()
        view[rel] = (mode, content)
    return view


def differences(a: Dict[str, object], b: Dict[str, object], tolerance: float = 300.0) -> List[str]:
    """What differs between two tree views (validity periods within `tolerance` seconds:
    the doors run one after another, and a leaf's period can end at 'now + 1 year' while
    it starts at a CA's fixed notBefore)."""
    out = []
    for path in sorted(set(a) | set(b)):
        if path not in a or path not in b:
            out.append(f"{path}: only in {'the first' if path in a else 'the second'}")
            continue
        if not same(a[path], b[path], tolerance):
            out.append(f"{path}: {a[path]!r} != {b[path]!r}"[:2000])
    return out


def same(x: object, y: object, tolerance: float) -> bool:
    if isinstance(x, dict) and isinstance(y, dict):
        return x.keys() == y.keys() and all(same(x[k], y[k], tolerance) for k in x)
    if isinstance(x, (list, tuple)) and isinstance(y, (list, tuple)):
        return len(x) == len(y) and all(same(p, q, tolerance) for p, q in zip(x, y))
    if isinstance(x, float) and isinstance(y, float):
        return abs(x - y) <= tolerance
    return x == y


# ---- the test ----------------------------------------------------------------------------

OUTSIDE = Path("/etc/kubernetes")


HOSTNAME = Path("/proc/sys/kernel/hostname").read_text().strip().lower()
VALID_NODE_NAME = re.fullmatch(
    r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*", HOSTNAME
) is not None and len(HOSTNAME) <= 52


def case_id(case: object) -> str:
    return case.name if isinstance(case, Case) else str(case)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_every_door_writes_the_same_pki(case: Case) -> None:
    if case.host and case.node is None and not VALID_NODE_NAME:
        pytest.skip(f"this host's name {HOSTNAME!r} is not a valid node name")
    outside_existed = OUTSIDE.exists()
    if outside_existed and case.config is not None:
        # A door that misreads certificatesDir would write into a real cluster's
        # /etc/kubernetes/pki: never risk it on a machine that has one.
        pytest.skip(f"{OUTSIDE} exists on this machine")
    work = Path(tempfile.mkdtemp(prefix=f"kpki-parity-{case.name}-"))
    try:
        views = {}
        for door, run in DOORS:
            out = work / door
            for rel, data in case.preplace(work).items():
                target = out / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
                target.chmod(0o600 if rel.endswith(".key") else 0o644)
                target.parent.chmod(0o755)
            run(case, out, work)
            assert outside_existed or not OUTSIDE.exists(), \
                f"{door}: wrote outside the directory it was given ({OUTSIDE})"
            views[door] = tree_view(out)
        assert views["cli"], "the CLI wrote nothing"
        report = []
        for door in ("python", "c"):
            diff = differences(views["cli"], views[door])
            report.append(f"{case.name}: cli vs {door}: {len(views['cli'])} entries, "
                          f"{len(diff)} differences")
            assert not diff, "\n".join([f"cli vs {door}:"] + diff[:20])
        print("\n".join(report))
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if not outside_existed and OUTSIDE.exists():
            shutil.rmtree(OUTSIDE, ignore_errors=True)
