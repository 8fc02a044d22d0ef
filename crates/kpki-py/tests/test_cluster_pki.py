"""The whole cluster PKI, written to disk and read back with independent tools:
cryptography's X.509 verification and PyYAML. Every file's CN, O, EKU and SANs are
checked against SPEC.md (profile current = kubeadm >= 1.31)."""

from __future__ import annotations

import ipaddress
import stat
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

import kpki
from conftest import cn, ekus, kubeconfig_parts, load_cert, orgs, sans, verify_client, verify_server

ip = ipaddress.ip_address

# path stem -> (CN, O, issuing CA file, EKUs)
LEAVES: Dict[str, Tuple[str, List[str], str, List[str]]] = {
    "pki/apiserver": ("kube-apiserver", [], "pki/ca", ["serverAuth"]),
    "pki/apiserver-kubelet-client": (
        "kube-apiserver-kubelet-client",
        ["kubeadm:cluster-admins"],
        "pki/ca",
        ["clientAuth"],
    ),
    "pki/apiserver-etcd-client": ("kube-apiserver-etcd-client", [], "pki/etcd/ca", ["clientAuth"]),
    "pki/front-proxy-client": ("front-proxy-client", [], "pki/front-proxy-ca", ["clientAuth"]),
    "pki/etcd/server": ("node01", [], "pki/etcd/ca", ["serverAuth", "clientAuth"]),
    "pki/etcd/peer": ("node01", [], "pki/etcd/ca", ["serverAuth", "clientAuth"]),
    "pki/etcd/healthcheck-client": ("kube-etcd-healthcheck-client", [], "pki/etcd/ca", ["clientAuth"]),
    "nodes/node02": ("system:node:node02", ["system:nodes"], "pki/ca", ["clientAuth"]),
    "nodes/serving/node02": ("system:node:node02", ["system:nodes"], "pki/ca", ["serverAuth"]),
}

CAS = {"pki/ca": "kubernetes", "pki/etcd/ca": "etcd-ca", "pki/front-proxy-ca": "front-proxy-ca"}

# kubeconfig -> (CN, O, server)
KUBECONFIGS = {
    "admin.conf": ("kubernetes-admin", ["kubeadm:cluster-admins"], "https://cp.example.internal:6443"),
    "super-admin.conf": ("kubernetes-super-admin", ["system:masters"], "https://cp.example.internal:6443"),
    "kubelet.conf": ("system:node:node01", ["system:nodes"], "https://cp.example.internal:6443"),
    "controller-manager.conf": ("system:kube-controller-manager", [], "https://10.0.0.10:6443"),
    "scheduler.conf": ("system:kube-scheduler", [], "https://10.0.0.10:6443"),
    "nodes/node02.conf": ("system:node:node02", ["system:nodes"], "https://cp.example.internal:6443"),
}

APISERVER_DNS = {
    "node01",
    "kubernetes",
    "kubernetes.default",
    "kubernetes.default.svc",
    "kubernetes.default.svc.cluster.local",
    "cp.example.internal",
    "extra.example.com",
}
APISERVER_IPS = {ip("10.96.0.1"), ip("fd00:10:96::1"), ip("10.0.0.10"), ip("192.0.2.7")}
ETCD_DNS = {"localhost", "node01"}
ETCD_IPS = {ip("10.0.0.10"), ip("127.0.0.1"), ip("::1")}


def test_every_ca_is_self_signed_kubeadm_style(pki_dir: Path) -> None:
    for stem, name in CAS.items():
        ca = load_cert(pki_dir / f"{stem}.crt")
        assert cn(ca) == name and orgs(ca) == []
        assert ca.issuer == ca.subject
        bc = ca.extensions.get_extension_for_class(x509.BasicConstraints)
        assert bc.critical and bc.value.ca and bc.value.path_length is None
        ku = ca.extensions.get_extension_for_class(x509.KeyUsage)
        assert ku.critical and ku.value.key_cert_sign and ku.value.digital_signature
        assert ekus(ca) == []
        assert sans(ca) == ([name], [])
        ca.verify_directly_issued_by(ca)
        assert ca.not_valid_after_utc - ca.not_valid_before_utc > __import__("datetime").timedelta(days=3649)
        key = serialization.load_pem_private_key((pki_dir / f"{stem}.key").read_bytes(), None)
        assert isinstance(key, rsa.RSAPrivateKey) and key.key_size == 2048
        assert key.public_key().public_numbers() == ca.public_key().public_numbers()  # type: ignore[union-attr]


@pytest.mark.parametrize("stem", sorted(LEAVES))
def test_every_leaf_has_the_right_subject_usages_and_chain(pki_dir: Path, stem: str) -> None:
    want_cn, want_o, ca_stem, want_ekus = LEAVES[stem]
    leaf = load_cert(pki_dir / f"{stem}.crt")
    ca = load_cert(pki_dir / f"{ca_stem}.crt")
    assert cn(leaf) == want_cn
    assert orgs(leaf) == want_o
    assert ekus(leaf) == want_ekus
    assert leaf.issuer == ca.subject
    bc = leaf.extensions.get_extension_for_class(x509.BasicConstraints)
    assert bc.critical and not bc.value.ca
    ku = leaf.extensions.get_extension_for_class(x509.KeyUsage)
    assert ku.critical and ku.value.digital_signature and ku.value.key_encipherment  # RSA keys
    assert not ku.value.key_cert_sign
    # The key on disk is the certificate's, PKCS#1 like kubeadm's, mode 0600.
    key_path = pki_dir / f"{stem}.key"
    assert key_path.read_text().startswith("-----BEGIN RSA PRIVATE KEY-----")
    key = serialization.load_pem_private_key(key_path.read_bytes(), None)
    assert key.public_key() == leaf.public_key()
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    assert stat.S_IMODE((pki_dir / f"{stem}.crt").stat().st_mode) == 0o644
    if "clientAuth" in want_ekus:
        verify_client(leaf, [ca])
        assert sans(leaf) == ([], []) or stem.startswith("pki/etcd/")


def test_apiserver_serves_every_service_name_and_address(pki_dir: Path) -> None:
    leaf = load_cert(pki_dir / "pki/apiserver.crt")
    ca = load_cert(pki_dir / "pki/ca.crt")
    dns, ips = sans(leaf)
    assert set(dns) == APISERVER_DNS and len(dns) == len(APISERVER_DNS)
    assert dns == sorted(dns)  # kubeadm sorts them
    assert set(ips) == APISERVER_IPS
    for name in sorted(APISERVER_DNS):
        verify_server(leaf, [ca], name)
    for address in sorted(APISERVER_IPS, key=str):
        verify_server(leaf, [ca], address)
    with pytest.raises(x509.verification.VerificationError):
        verify_server(leaf, [ca], "not-the-apiserver.example")
    with pytest.raises(x509.verification.VerificationError):
        # Signed by the cluster CA, not by etcd's.
        verify_server(leaf, [load_cert(pki_dir / "pki/etcd/ca.crt")], "kubernetes")


def test_etcd_serves_localhost_node_and_advertise_address(pki_dir: Path) -> None:
    etcd_ca = load_cert(pki_dir / "pki/etcd/ca.crt")
    for stem in ("pki/etcd/server", "pki/etcd/peer"):
        leaf = load_cert(pki_dir / f"{stem}.crt")
        dns, ips = sans(leaf)
        assert set(dns) == ETCD_DNS and set(ips) == ETCD_IPS
        for name in ("localhost", "node01", ip("127.0.0.1"), ip("::1"), ip("10.0.0.10")):
            verify_server(leaf, [etcd_ca], name)
        verify_client(leaf, [etcd_ca])


def test_worker_kubelet_serving_certificate_verifies_for_its_node(pki_dir: Path) -> None:
    leaf = load_cert(pki_dir / "nodes/serving/node02.crt")
    verify_server(leaf, [load_cert(pki_dir / "pki/ca.crt")], "node02")
    with pytest.raises(x509.verification.VerificationError):
        verify_client(leaf, [load_cert(pki_dir / "pki/ca.crt")])  # serverAuth only


@pytest.mark.parametrize("conf", sorted(KUBECONFIGS))
def test_every_kubeconfig_embeds_a_verified_client_certificate(pki_dir: Path, conf: str) -> None:
    want_cn, want_o, want_server = KUBECONFIGS[conf]
    path = pki_dir / conf
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    parts = kubeconfig_parts(path)
    doc = parts["doc"]
    assert isinstance(doc, dict)
    assert doc["current-context"] == f"{want_cn}@kubernetes"
    assert doc["clusters"][0]["name"] == "kubernetes"
    assert parts["server"] == want_server
    cert = parts["cert"]
    assert isinstance(cert, x509.Certificate)
    assert cn(cert) == want_cn and orgs(cert) == want_o and ekus(cert) == ["clientAuth"]
    assert sans(cert) == ([], [])
    cas = parts["ca"]
    assert isinstance(cas, list)
    assert cas == [load_cert(pki_dir / "pki/ca.crt")]
    verify_client(cert, cas)
    key_pem = parts["key_pem"]
    assert isinstance(key_pem, bytes)
    key = serialization.load_pem_private_key(key_pem, None)
    assert key.public_key() == cert.public_key()


def test_service_account_key_pair(pki_dir: Path, pki: kpki.ClusterPki) -> None:
    key = serialization.load_pem_private_key((pki_dir / "pki/sa.key").read_bytes(), None)
    pub = serialization.load_pem_public_key((pki_dir / "pki/sa.pub").read_bytes())
    assert isinstance(key, rsa.RSAPrivateKey)
    assert key.public_key() == pub
    assert (pki_dir / "pki/sa.pub").read_text() == pki.service_account_key.public_key.to_pem()
    for name in ("sa.key", "sa.pub"):
        assert stat.S_IMODE((pki_dir / "pki" / name).stat().st_mode) == 0o600


def test_in_memory_objects_match_the_files(pki_dir: Path, pki: kpki.ClusterPki) -> None:
    assert set(pki.certificates) == {
        "apiserver",
        "apiserver-kubelet-client",
        "apiserver-etcd-client",
        "front-proxy-client",
        "etcd/server",
        "etcd/peer",
        "etcd/healthcheck-client",
        "admin.conf",
        "super-admin.conf",
        "kubelet.conf",
        "controller-manager.conf",
        "scheduler.conf",
        "nodes/node02",
        "nodes/serving/node02",
    }
    apiserver = pki.certificate("apiserver")
    assert apiserver is not None
    assert apiserver.certificate.to_pem() == (pki_dir / "pki/apiserver.crt").read_text()
    assert apiserver.key.to_pem() == (pki_dir / "pki/apiserver.key").read_text()
    assert apiserver.certificate.extended_key_usages == ["server auth"]
    assert set(apiserver.certificate.ip_addresses) == APISERVER_IPS
    assert pki.certificate("no-such-thing") is None
    kc = pki.kubeconfig("admin.conf")
    assert kc is not None and kc.to_yaml() == (pki_dir / "admin.conf").read_text()
    ca = pki.ca("kubernetes")
    assert ca is not None and ca.certificate.to_pem() == (pki_dir / "pki/ca.crt").read_text()
    assert pki.cas["client"].certificate == ca.certificate  # shared by default


def test_writing_again_keeps_identical_files_and_refuses_to_clobber(
    pki_dir: Path, spec: kpki.ClusterSpec
) -> None:
    report = kpki.load(pki_dir)
    assert set(report.cas) == {"kubernetes", "etcd", "front-proxy"}
    other = kpki.ClusterSpec("node01", "10.0.0.10", key_algorithm="ecdsa-p256").generate()
    with pytest.raises(kpki.AlreadyExistsError) as info:
        other.write(pki_dir)
    assert isinstance(info.value, FileExistsError) and isinstance(info.value, kpki.IoError)
    assert info.value.filename and "already exists" in str(info.value)
    assert info.value.errno == 17


def test_load_and_expiration_report(pki_dir: Path) -> None:
    loaded = kpki.load(str(pki_dir))
    assert loaded.service_account_key is not None
    entries = {e.name: e for e in loaded.check_expiration()}
    assert "apiserver" in entries and "admin.conf" in entries
    e = entries["apiserver"]
    assert e.residual is not None and 363 <= e.residual.days <= 365
    assert not e.externally_managed
    table = loaded.expiration_table()
    assert "apiserver" in table and "CERTIFICATE AUTHORITY" in table.upper()
    apiserver = loaded.certificates["apiserver"]
    assert apiserver.key is not None and apiserver.certificate.subject_common_name == "kube-apiserver"


def test_kubeadm_128_profile_uses_system_masters_and_no_super_admin(tmp_path: Path) -> None:
    spec = kpki.ClusterSpec(
        "node01", "10.0.0.10", key_algorithm="ecdsa-p256", compatibility="kubeadm-1.28"
    )
    pki = spec.generate()
    pki.write(tmp_path)
    assert not (tmp_path / "super-admin.conf").exists()
    admin = kubeconfig_parts(tmp_path / "admin.conf")["cert"]
    assert isinstance(admin, x509.Certificate)
    assert orgs(admin) == ["system:masters"]
    ca = load_cert(tmp_path / "pki/ca.crt")
    kubelet_client = load_cert(tmp_path / "pki/apiserver-kubelet-client.crt")
    assert orgs(kubelet_client) == ["system:masters"]
    # 1.28: leaves start when their CA starts; keyEncipherment on EC keys too.
    assert kubelet_client.not_valid_before_utc == ca.not_valid_before_utc
    assert kubelet_client.extensions.get_extension_for_class(x509.KeyUsage).value.key_encipherment
    verify_client(kubelet_client, [ca])


def test_init_reuses_an_existing_ca(tmp_path: Path) -> None:
    first = kpki.ClusterSpec("node01", "10.0.0.10", key_algorithm="ecdsa-p256")
    pki1, report1 = first.init(tmp_path)
    assert all(action == "created" for _, action in report1.files)
    for path in tmp_path.glob("*.conf"):
        path.unlink()
    (tmp_path / "pki/apiserver.crt").unlink()
    (tmp_path / "pki/apiserver.key").unlink()
    pki2, report2 = first.init(tmp_path, overwrite=True)
    ca1 = pki1.ca("kubernetes")
    ca2 = pki2.ca("kubernetes")
    assert ca1 is not None and ca2 is not None and ca1.certificate == ca2.certificate
    actions: Dict[str, Optional[str]] = {p.name: a for p, a in report2.files}
    assert actions["ca.crt"] == "kept" and actions["apiserver.crt"] == "created"


def test_per_role_ca_sources_bring_your_own_intermediate_and_external(tmp_path: Path) -> None:
    corp = kpki.CertificateAuthority.root("corp-root", algorithm="ecdsa-p256")
    etcd = kpki.CertificateAuthority.root("etcd-ca", algorithm="ecdsa-p256")
    network = kpki.ClusterNetwork("node01", "10.0.0.10")
    # etcd's CA is external: its key stays elsewhere, so its certificates are supplied.
    supplied = {
        "etcd/server": etcd.issue_with_new_key(
            kpki.Identity.etcd_member("node01"), algorithm="ecdsa-p256",
            profile="server-and-client", sans=network.etcd_server_sans(),
        ),
        "etcd/peer": etcd.issue_with_new_key(
            kpki.Identity.etcd_member("node01"), algorithm="ecdsa-p256",
            profile="server-and-client", sans=network.etcd_peer_sans(),
        ),
        "etcd/healthcheck-client": etcd.issue_with_new_key(
            kpki.Identity.component("etcd-healthcheck-client"), algorithm="ecdsa-p256"
        ),
        "apiserver-etcd-client": etcd.issue_with_new_key(
            kpki.Identity.component("apiserver-etcd-client"), algorithm="ecdsa-p256"
        ),
    }
    spec = kpki.ClusterSpec(
        "node01",
        "10.0.0.10",
        key_algorithm="ecdsa-p256",
        cas={
            "kubernetes": kpki.CaSource.intermediate_of(corp),
            "front-proxy": corp,  # bring your own: this CA signs front-proxy-client
            "etcd": etcd.certificate.to_cryptography(),  # a certificate only: external
        },
        supplied=supplied,
    )
    pki = spec.generate()
    pki.write(tmp_path)
    root = corp.certificate.to_cryptography()
    inter = load_cert(tmp_path / "pki/ca.crt")
    assert cn(inter) == "kubernetes" and inter.issuer == root.subject
    verify_server(load_cert(tmp_path / "pki/apiserver.crt"), [root], "kubernetes", [inter])
    verify_client(load_cert(tmp_path / "pki/front-proxy-client.crt"), [root])
    assert load_cert(tmp_path / "pki/etcd/server.crt") == supplied["etcd/server"].certificate.to_cryptography()
    assert not (tmp_path / "pki/etcd/ca.key").exists()
    loaded = kpki.load(tmp_path)
    assert not loaded.cas["etcd"].can_issue
    assert any(e.externally_managed for e in loaded.check_expiration() if e.ca == "etcd")
    without = kpki.ClusterSpec("node01", "10.0.0.10", cas={"etcd": kpki.CaSource.external(etcd.certificate)})
    with pytest.raises(kpki.CaKeyUnavailableError, match="etcd/server must be supplied"):
        without.generate()
