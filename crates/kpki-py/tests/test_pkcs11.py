"""CA keys in a PKCS#11 token from Python, on SoftHSM (Debian's softhsm2, installed by the
test script): a root made in the token, a CA loaded from its certificate and URI, a
cluster PKI whose three CAs are in the token (no CA key file), each checked with
`cryptography`; faults raise kpki.Pkcs11Error; signing in threads works with the GIL
released."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

import kpki

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
PIN = "4321"

pytestmark = pytest.mark.skipif(
    not (os.path.exists(MODULE) and shutil.which("softhsm2-util")),
    reason="SoftHSM (Debian softhsm2) is installed by scripts/install-test-deps.sh",
)


@pytest.fixture(scope="module")
def token(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A throw-away token "kpki-py" under its own SOFTHSM2_CONF, set before the module is
    first loaded in this process (SoftHSM reads it at C_Initialize)."""
    base = tmp_path_factory.mktemp("softhsm")
    (base / "tokens").mkdir()
    conf = base / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {base / 'tokens'}\nobjectstore.backend = file\n")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    for label in ("kpki-py", "kpki-py-faults"):
        subprocess.run(
            ["softhsm2-util", "--init-token", "--free", "--label", label, "--pin", PIN, "--so-pin", "87654321"],
            check=True,
            capture_output=True,
            env=os.environ,
        )
    (base / "pin").write_text(PIN + "\n")
    return base


def uri(base: Path, obj: str, token_label: str = "kpki-py") -> str:
    return f"pkcs11:token={token_label};object={obj}?module-path={MODULE}&pin-source=file:{base / 'pin'}"


def test_a_root_made_in_the_token_issues_what_cryptography_verifies(token: Path) -> None:
    ca = kpki.CertificateAuthority.root_pkcs11("kubernetes", uri(token, "py-root"), algorithm="ecdsa-p256")
    assert ca.can_issue
    leaf = ca.issue_with_new_key(kpki.Identity.user("alice", ["dev"]))
    ca_cert = ca.certificate.to_cryptography()
    cert = leaf.certificate.to_cryptography()
    cert.verify_directly_issued_by(ca_cert)
    ca_cert.verify_directly_issued_by(ca_cert)
    assert isinstance(ca_cert.public_key(), ec.EllipticCurvePublicKey)
    # Loaded again from its certificate and URI: the same key, signing through the token.
    again = kpki.CertificateAuthority.from_pkcs11(uri(token, "py-root"), ca.certificate.to_pem())
    other = again.issue_with_new_key(kpki.Identity.user("bob", ["ops"]))
    other.certificate.to_cryptography().verify_directly_issued_by(ca_cert)


def test_signing_in_threads_through_the_token(token: Path) -> None:
    ca = kpki.CertificateAuthority.root_pkcs11("etcd-ca", uri(token, "py-threads"), algorithm="ecdsa-p256")
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(10):
                leaf = ca.issue_with_new_key(kpki.Identity.user("t", ["g"]))
                ca.verify_issued(leaf.certificate)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


def test_a_cluster_pki_with_its_cas_in_the_token(token: Path, tmp_path: Path) -> None:
    spec = kpki.ClusterSpec(
        "node01",
        "10.0.0.10",
        key_algorithm="ecdsa-p256",
        cas={role: kpki.CaSource.pkcs11(uri(token, f"py-cluster-{role}")) for role in ("kubernetes", "etcd", "front-proxy")},
    )
    spec.generate().write(str(tmp_path))
    pki = tmp_path / "pki"
    for absent in ("ca.key", "etcd/ca.key", "front-proxy-ca.key"):
        assert not (pki / absent).exists(), absent
    for ca, leaf in (("ca.crt", "apiserver.crt"), ("etcd/ca.crt", "etcd/server.crt"), ("front-proxy-ca.crt", "front-proxy-client.crt")):
        ca_cert = x509.load_pem_x509_certificate((pki / ca).read_bytes())
        x509.load_pem_x509_certificate((pki / leaf).read_bytes()).verify_directly_issued_by(ca_cert)


def test_faults_raise_pkcs11_error(token: Path) -> None:
    with pytest.raises(kpki.Pkcs11Error, match="the token refused the PIN") as info:
        kpki.CertificateAuthority.root_pkcs11(
            "x", f"pkcs11:token=kpki-py-faults;object=x?module-path={MODULE}&pin-value=0000"
        )
    assert "0000" not in str(info.value)
    with pytest.raises(kpki.Pkcs11Error, match="no initialised token"):
        kpki.CertificateAuthority.root_pkcs11("x", uri(token, "x", token_label="nope"))
    with pytest.raises(kpki.Pkcs11Error, match="no private key"):
        kpki.CertificateAuthority.from_pkcs11(uri(token, "absent"), kpki.CertificateAuthority.root("x").certificate)
    with pytest.raises(kpki.Pkcs11Error, match="/nonexistent.so"):
        kpki.CertificateAuthority.root_pkcs11("x", "pkcs11:object=x?module-path=/nonexistent.so")
    with pytest.raises(kpki.Pkcs11Error, match="manufacturer"):
        kpki.CaSource.pkcs11(f"pkcs11:object=x;manufacturer=y?module-path={MODULE}")
    kpki.CertificateAuthority.root_pkcs11("x", uri(token, "py-p256"), algorithm="ecdsa-p256")
    with pytest.raises(kpki.Pkcs11Error, match="not rsa-2048"):
        kpki.CertificateAuthority.root_pkcs11("x", uri(token, "py-p256"), algorithm="rsa-2048")


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_a_token_directory_loads_renews_and_rotates_with_ca_keys(token: Path, tmp_path: Path) -> None:
    keys = {role: uri(token, f"py-life-{role}") for role in ("kubernetes", "etcd", "front-proxy")}
    spec = kpki.ClusterSpec(
        "node01", "10.0.0.10", key_algorithm="ecdsa-p256", cas={r: kpki.CaSource.pkcs11(u) for r, u in keys.items()}
    )
    spec.generate().write(tmp_path)
    pki = tmp_path / "pki"

    # Loaded without the keys: the CAs are there and cannot issue; with them, they sign
    # through the token.
    assert not kpki.load(tmp_path).cas["kubernetes"].can_issue
    ca = kpki.load(tmp_path, ca_keys=keys).cas["kubernetes"]
    assert ca.can_issue
    user = ca.issue_user("alice", ["dev"], server="https://10.0.0.10:6443")
    ca_cert = x509.load_pem_x509_certificate((pki / "ca.crt").read_bytes())
    x509.load_pem_x509_certificate(user.certificate.to_pem().encode()).verify_directly_issued_by(ca_cert)

    # Renewing without the keys names the keyword and changes nothing.
    before = _snapshot(tmp_path)
    with pytest.raises(kpki.CaKeyUnavailableError, match=r'pass ca_keys=\{"kubernetes": "pkcs11:...'):
        kpki.renew(tmp_path)
    assert _snapshot(tmp_path) == before
    old_apiserver = (pki / "apiserver.crt").read_bytes()
    report = kpki.renew(tmp_path, ca_keys=keys)
    assert len(report.renewed) >= 10
    assert (pki / "apiserver.crt").read_bytes() != old_apiserver
    x509.load_pem_x509_certificate((pki / "apiserver.crt").read_bytes()).verify_directly_issued_by(ca_cert)

    # A rotation whose new CA key goes into the token: the old key's URI is refused.
    before = _snapshot(tmp_path)
    with pytest.raises(kpki.Pkcs11Error, match="name another object"):
        kpki.rotate_ca(tmp_path, "start", roles=["kubernetes"], ca_keys={"kubernetes": keys["kubernetes"]})
    assert _snapshot(tmp_path) == before
    new_key = uri(token, "py-life-kubernetes-2")
    assert kpki.rotate_ca(tmp_path, "start", roles=["kubernetes"], ca_keys={"kubernetes": new_key}).phase == "started"
    assert kpki.rotate_ca(tmp_path, "reissue").phase == "reissued"
    assert kpki.rotate_ca(tmp_path, "finish").phase == "finished"
    assert not (pki / "ca.key").exists() and not list(pki.rglob("rotation/*.key"))
    new_ca_cert = x509.load_pem_x509_certificate((pki / "ca.crt").read_bytes())
    assert new_ca_cert.public_key() != ca_cert.public_key()
    x509.load_pem_x509_certificate((pki / "apiserver.crt").read_bytes()).verify_directly_issued_by(new_ca_cert)
    with pytest.raises(kpki.KeyMismatchError):
        kpki.load(tmp_path, ca_keys={"kubernetes": keys["kubernetes"]})
    assert kpki.load(tmp_path, ca_keys={"kubernetes": new_key}).cas["kubernetes"].can_issue
