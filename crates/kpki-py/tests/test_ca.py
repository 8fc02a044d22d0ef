"""Certificate authorities (root, intermediate, bring-your-own, external, remote signer),
identities and SANs, checked with cryptography's verifier."""

from __future__ import annotations

import datetime
import ipaddress
from typing import List

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

import kpki
from conftest import cn, ekus, orgs, sans, verify_client, verify_server

UTC = datetime.timezone.utc


@pytest.fixture(scope="module")
def root() -> kpki.CertificateAuthority:
    return kpki.CertificateAuthority.root("kubernetes", algorithm="ecdsa-p256")


def test_identities_spell_kubernetes_users_and_groups() -> None:
    node = kpki.Identity.node("node01")
    assert (node.common_name, node.organizations) == ("system:node:node01", ["system:nodes"])
    alice = kpki.Identity.user("alice", groups=["dev", "ops", "dev"])
    assert alice.organizations == ["dev", "ops"]
    assert kpki.Identity.admin().organizations == ["kubeadm:cluster-admins"]
    assert kpki.Identity.admin("kubeadm-1.28").organizations == ["system:masters"]
    assert kpki.Identity.admin("kubeadm-1.28").is_system_masters
    assert kpki.Identity.component("kube-scheduler") == kpki.Identity.kube_scheduler()
    assert kpki.Identity("x", ["a"]) == kpki.Identity.user("x", ["a"])
    assert len({kpki.Identity.kube_proxy(), kpki.Identity.kube_proxy()}) == 1


def test_cluster_network_computes_the_apiserver_sans() -> None:
    net = kpki.ClusterNetwork(
        "node01",
        "10.0.0.10",
        control_plane_endpoint="[fd00::10]:6443",
        service_subnets="10.96.0.0/12,fd00:10:96::/112",
        dns_domain="example.local",
    )
    s = net.apiserver_sans()
    assert "kubernetes.default.svc.example.local" in s.dns_names
    assert ipaddress.ip_address("fd00::10") in s
    assert ipaddress.ip_address("fd00:10:96::1") in s.ip_addresses
    old = net.apiserver_sans("kubeadm-1.28")
    assert ipaddress.ip_address("fd00:10:96::1") not in old
    assert net.apiserver_url() == "https://[fd00::10]:6443"
    assert net.local_apiserver_url() == "https://10.0.0.10:6443"
    assert [str(i) for i in net.apiserver_service_ips()] == ["10.96.0.1", "fd00:10:96::1"]
    assert list(kpki.SubjectAltNames(["b.example", "10.0.0.1", "b.example"])) == [
        "b.example",
        ipaddress.ip_address("10.0.0.1"),
    ]


def test_leaf_profiles_subjects_and_sans(root: kpki.CertificateAuthority) -> None:
    ca = root.certificate.to_cryptography()
    ck = root.issue_with_new_key(
        kpki.Identity.user("alice", ["dev", "ops"]), algorithm="ecdsa-p256"
    )
    c = ck.certificate.to_cryptography()
    assert cn(c) == "alice" and orgs(c) == ["dev", "ops"] and ekus(c) == ["clientAuth"]
    verify_client(c, [ca])
    server = root.issue_with_new_key(
        kpki.Identity("web", []),
        algorithm="ed25519",
        profile="server",
        sans=["web.example.com", "*.apps.example.com", ipaddress.ip_address("192.0.2.1")],
    ).certificate.to_cryptography()
    assert ekus(server) == ["serverAuth"]
    for name in ("web.example.com", "x.apps.example.com"):
        verify_server(server, [ca], name)
    verify_server(server, [ca], ipaddress.ip_address("192.0.2.1"))
    both = root.issue_with_new_key(
        kpki.Identity.etcd_member("node01"),
        algorithm="ecdsa-p384",
        profile="server-and-client",
        sans=["localhost"],
    ).certificate.to_cryptography()
    assert ekus(both) == ["serverAuth", "clientAuth"]
    verify_server(both, [ca], "localhost")
    verify_client(both, [ca])


def test_validity_backdating_and_clamping(root: kpki.CertificateAuthority) -> None:
    now = datetime.datetime(2030, 1, 2, 3, 4, 5)  # naive: taken as UTC
    ca = kpki.CertificateAuthority.root(
        "short", algorithm="ecdsa-p256", validity=datetime.timedelta(days=30), now=now
    )
    assert ca.not_before == datetime.datetime(2030, 1, 2, 2, 59, 5, tzinfo=UTC)
    cert = ca.issue(
        kpki.Identity.kube_proxy(),
        kpki.PrivateKey.generate("ecdsa-p256"),
        validity=datetime.timedelta(days=365),
        backdate=datetime.timedelta(hours=1),
        now=now.replace(tzinfo=UTC),
    )
    assert cert.not_before == datetime.datetime(2030, 1, 2, 2, 4, 5, tzinfo=UTC)
    assert cert.not_after == ca.not_after  # never outlives its CA
    assert cert.authority_key_id == ca.certificate.subject_key_id
    assert cert.subject_key_id is None and not cert.is_ca


def test_explicit_usages(root: kpki.CertificateAuthority) -> None:
    cert = root.issue(
        kpki.Identity("signer", []),
        kpki.PrivateKey.generate("ecdsa-p256"),
        usages=["digital signature", "code signing"],
    )
    assert cert.key_usages == ["digital signature"]
    assert cert.extended_key_usages == ["1.3.6.1.5.5.7.3.3"]
    with pytest.raises(kpki.InvalidInputError, match="usages"):
        root.issue(kpki.Identity("x", []), cert, usages=["flying"])


def test_intermediate_chain_verifies(root: kpki.CertificateAuthority) -> None:
    inter = kpki.CertificateAuthority.intermediate(
        "kubernetes-intermediate", root, algorithm="ecdsa-p256", path_len=0
    )
    assert inter.chain == [root.certificate]
    assert inter.chain_pem() == inter.certificate.to_pem() + root.certificate.to_pem()
    assert inter.certificate.path_len == 0
    leaf = inter.issue(
        kpki.Identity.kube_apiserver(),
        kpki.PrivateKey.generate("ecdsa-p256"),
        profile="server",
        sans=["kubernetes"],
    ).to_cryptography()
    verify_server(
        leaf, [root.certificate.to_cryptography()], "kubernetes", [inter.certificate.to_cryptography()]
    )
    with pytest.raises(x509.verification.VerificationError):
        verify_server(leaf, [root.certificate.to_cryptography()], "kubernetes")  # no intermediate


def _cryptography_ca() -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "corp-root")])
    now = datetime.datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=10))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def test_bring_your_own_ca_from_pem() -> None:
    cert, key = _cryptography_ca()
    cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    ca = kpki.CertificateAuthority.from_pem(cert_pem, key_pem)
    assert ca.common_name == "corp-root" and ca.can_issue
    leaf = ca.issue(kpki.Identity.kube_controller_manager(), kpki.PrivateKey.generate("ed25519"))
    verify_client(leaf.to_cryptography(), [cert])
    # Refusals: a key that is not the CA's, a certificate that is not a CA.
    with pytest.raises(kpki.KeyMismatchError):
        kpki.CertificateAuthority.from_pem(cert_pem, kpki.PrivateKey.generate("ecdsa-p256"))
    with pytest.raises(kpki.NotACertificateAuthorityError):
        kpki.CertificateAuthority.from_pem(leaf, kpki.PrivateKey.generate("ecdsa-p256"))


def test_external_ca_cannot_issue_but_verifies(root: kpki.CertificateAuthority) -> None:
    ext = kpki.CertificateAuthority.external(root.certificate.to_pem())
    assert not ext.can_issue and ext.private_key is None
    with pytest.raises(kpki.CaKeyUnavailableError):
        ext.issue(kpki.Identity.kube_proxy(), kpki.PrivateKey.generate("ecdsa-p256"))
    good = root.issue(kpki.Identity.kube_proxy(), kpki.PrivateKey.generate("ecdsa-p256"))
    ext.verify_issued(good)
    other = kpki.CertificateAuthority.root("kubernetes", algorithm="ecdsa-p256")
    bad = other.issue(kpki.Identity.kube_proxy(), kpki.PrivateKey.generate("ecdsa-p256"))
    with pytest.raises(kpki.VerificationError):
        ext.verify_issued(bad)


def test_remote_signer_is_called_for_every_signature() -> None:
    cert, key = _cryptography_ca()
    calls: List[int] = []

    class Hsm:
        public_key = key.public_key()

        def sign(self, message: bytes) -> bytes:
            calls.append(len(message))
            return key.sign(message, ec.ECDSA(hashes.SHA256()))

    ca = kpki.CertificateAuthority.with_signer(cert, Hsm())
    assert ca.private_key is None and ca.can_issue
    leaf = ca.issue(kpki.Identity.kube_scheduler(), kpki.PrivateKey.generate("ecdsa-p256"))
    assert len(calls) == 1
    verify_client(leaf.to_cryptography(), [cert])

    class BrokenHsm(Hsm):
        def sign(self, message: bytes) -> bytes:
            raise RuntimeError("token removed")

    broken = kpki.CertificateAuthority.with_signer(cert, BrokenHsm())
    with pytest.raises(kpki.CryptoError, match="sign"):
        broken.issue(kpki.Identity.kube_scheduler(), kpki.PrivateKey.generate("ecdsa-p256"))


def test_renew_rotate_and_trust_bundle(root: kpki.CertificateAuthority) -> None:
    key = kpki.PrivateKey.generate("ecdsa-p256")
    old = root.issue(kpki.Identity.user("bob", ["dev"]), key, profile="server-and-client", sans=["bob.example"])
    kept, new_key = root.renew(old)
    assert new_key is None and kept.public_key == old.public_key
    assert (kept.subject_common_name, kept.organizations, kept.dns_names) == ("bob", ["dev"], ["bob.example"])
    assert kept.extended_key_usages == old.extended_key_usages and kept.serial_number != old.serial_number
    rotated, rotated_key = root.renew(old, key="rsa-2048")
    assert rotated_key is not None and rotated_key.algorithm == "rsa-2048"
    assert rotated_key.matches(rotated) and "key encipherment" in (rotated.key_usages or [])
    successor = root.rotate()
    assert successor.common_name == root.common_name and successor.public_key != root.public_key
    bundle = kpki.trust_bundle([root, successor.certificate, root])
    assert kpki.Certificate.list_from_pem(bundle) == [root.certificate, successor.certificate]
    renewed, _ = successor.renew(old)
    verify_client(renewed.to_cryptography(), [c.to_cryptography() for c in kpki.Certificate.list_from_pem(bundle)])


def test_kubeconfig_for_a_client(root: kpki.CertificateAuthority) -> None:
    ck = root.issue_with_new_key(kpki.Identity.user("carol", ["ops"]), algorithm="ecdsa-p256")
    kc = kpki.Kubeconfig.for_client(
        server="https://cp.example:6443", ca=root, certificate=ck.certificate, key=ck.key
    )
    assert kc.current_context == "carol@kubernetes" and kc.user_name == "carol"
    back = kpki.Kubeconfig.from_yaml(kc.to_yaml())
    assert back.client_certificate == ck.certificate and back.client_key == ck.key
    assert back.server == "https://cp.example:6443"
    assert back.certificate_authority_data == root.certificate.to_pem()
    with pytest.raises(kpki.KeyMismatchError):
        kpki.Kubeconfig.for_client(
            server="https://x", ca=root, certificate=ck.certificate, key=kpki.PrivateKey.generate("ecdsa-p256")
        )
