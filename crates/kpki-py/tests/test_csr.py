"""CSRs signed under Kubernetes' signer policies and CertificateSigningRequest objects."""

from __future__ import annotations

import datetime

import pytest
import yaml

import kpki
from conftest import kubeconfig_parts, orgs, verify_client

from pathlib import Path


@pytest.fixture(scope="module")
def ca() -> kpki.CertificateAuthority:
    return kpki.CertificateAuthority.root("kubernetes", algorithm="ecdsa-p256")


def test_client_signer_issues_client_certificates(ca: kpki.CertificateAuthority) -> None:
    key = kpki.PrivateKey.generate("ecdsa-p256")
    csr = kpki.Csr.generate(kpki.Identity.user("dave", ["dev"]), key)
    assert csr.common_name == "dave" and csr.organizations == ["dev"] and csr.matches(key)
    cert = ca.sign_csr(csr.to_pem(), "kubernetes.io/kube-apiserver-client", expiration_seconds=3600)
    assert cert.extended_key_usages == ["client auth"]
    assert (cert.not_after - cert.not_before) == datetime.timedelta(hours=1, minutes=5)
    verify_client(cert.to_cryptography(), [ca.certificate.to_cryptography()])


def test_policies_refuse_with_kube_controller_managers_words(ca: kpki.CertificateAuthority) -> None:
    key = kpki.PrivateKey.generate("ecdsa-p256")
    masters = kpki.Csr.generate(kpki.Identity.user("eve", ["system:masters"]), key)
    with pytest.raises(kpki.PolicyRefusedError, match="system:masters"):
        ca.sign_csr(masters, kpki.SignerPolicy.kube_apiserver_client())
    allowed = kpki.SignerPolicy.kube_apiserver_client().allowing_privileged_group("system:masters")
    assert ca.sign_csr(masters, allowed).organizations == ["system:masters"]
    not_a_node = kpki.Csr.generate(kpki.Identity.user("mallory", ["system:nodes"]), key, ["x.example"])
    with pytest.raises(kpki.PolicyRefusedError) as info:
        ca.sign_csr(not_a_node, kpki.SignerPolicy.kubelet_serving())
    assert "kubernetes.io/kubelet-serving" in str(info.value)
    with pytest.raises(kpki.PolicyRefusedError):
        ca.sign_csr(masters, "kubernetes.io/kube-apiserver-client", usages=["server auth"])
    with pytest.raises(kpki.InvalidInputError, match="expirationSeconds"):
        ca.sign_csr(masters, allowed, expiration_seconds=60)


def test_custom_signer_policy(ca: kpki.CertificateAuthority) -> None:
    policy = kpki.SignerPolicy.custom(
        "example.com/ci",
        common_name="ci-*",
        usages=["digital signature", "client auth", "server auth"],
        dns_names=["*.ci.example.com"],
        ip_ranges=["10.20.0.0/16"],
    ).with_max_validity(datetime.timedelta(days=7))
    assert policy.signer_name == "example.com/ci" and policy.max_validity.days == 7
    key = kpki.PrivateKey.generate("ecdsa-p256")
    ok = kpki.Csr.generate(kpki.Identity("ci-runner-1", []), key, ["a.ci.example.com", "10.20.1.2"])
    cert = ca.sign_csr(ok, policy)
    assert cert.dns_names == ["a.ci.example.com"]
    assert (cert.not_after - cert.not_before) <= datetime.timedelta(days=7, minutes=5)
    bad = kpki.Csr.generate(kpki.Identity("ci-runner-1", []), key, ["a.b.ci.example.com"])
    with pytest.raises(kpki.PolicyRefusedError, match="a.b.ci.example.com"):
        ca.sign_csr(bad, policy)


def test_kube_csr_object_round_trip_and_approval(ca: kpki.CertificateAuthority) -> None:
    key = kpki.PrivateKey.generate("ecdsa-p256")
    csr = kpki.Csr.generate(kpki.Identity.node("node03"), key)
    obj = kpki.KubeCsr(
        "node-csr-node03",
        "kubernetes.io/kube-apiserver-client-kubelet",
        csr,
        ["digital signature", "client auth"],
    )
    doc = yaml.safe_load(obj.to_yaml())
    assert doc["kind"] == "CertificateSigningRequest"
    assert doc["spec"]["signerName"] == "kubernetes.io/kube-apiserver-client-kubelet"
    back = kpki.KubeCsr.from_yaml(obj.to_yaml())
    assert back.request == csr and back.usages == ["digital signature", "client auth"]
    signed = back.approve_and_sign(ca, kpki.SignerPolicy.kubelet_client())
    assert signed.is_approved and not signed.is_denied
    assert signed.certificate is not None
    assert signed.certificate.subject_common_name == "system:node:node03"
    assert yaml.safe_load(signed.to_yaml())["status"]["certificate"]
    denied = back.deny("not today")
    assert denied.is_denied
    with pytest.raises(kpki.PolicyRefusedError):
        denied.approve_and_sign(ca, kpki.SignerPolicy.kubelet_client())
    with pytest.raises(kpki.DecodeError):
        kpki.KubeCsr.from_yaml("kind: CertificateSigningRequest\nspec: {}\n")


def test_issue_user_gives_a_working_kubeconfig(ca: kpki.CertificateAuthority, tmp_path: Path) -> None:
    creds = ca.issue_user("frank", ["dev", "ops"], server="https://cp.example:6443")
    assert creds.certificate.organizations == ["dev", "ops"]
    assert creds.key.matches(creds.certificate)
    path = tmp_path / "frank.conf"
    path.write_text(creds.kubeconfig.to_yaml())
    parts = kubeconfig_parts(path)
    cert = parts["cert"]
    cas = parts["ca"]
    assert isinstance(cas, list)
    verify_client(cert, cas)  # type: ignore[arg-type]
    assert orgs(cert) == ["dev", "ops"]  # type: ignore[arg-type]
    with pytest.raises(kpki.PolicyRefusedError):
        ca.issue_user("root", ["system:masters"], server="https://cp.example:6443")
