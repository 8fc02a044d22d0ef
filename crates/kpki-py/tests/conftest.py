"""Shared fixtures and independent checks (cryptography's X.509 verification, PyYAML)."""

from __future__ import annotations

import base64
import datetime
import ipaddress
from pathlib import Path
from typing import Dict, List, Sequence, Union

import pytest
import yaml
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from cryptography.x509.verification import Criticality, ExtensionPolicy, PolicyBuilder, Store

import kpki

NOW = datetime.datetime.now(datetime.timezone.utc)

# Measurements tests report; printed at the end of the run (pytest_terminal_summary).
FIGURES: List[str] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if FIGURES:
        terminalreporter.section("kpki figures")
        for line in FIGURES:
            terminalreporter.write_line(line)

IpAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]


def cn(cert: x509.Certificate) -> str:
    values = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    assert len(values) == 1, cert.subject
    return str(values[0].value)


def orgs(cert: x509.Certificate) -> List[str]:
    return [str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)]


def ekus(cert: x509.Certificate) -> List[str]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    except x509.ExtensionNotFound:
        return []
    names = {
        ExtendedKeyUsageOID.SERVER_AUTH: "serverAuth",
        ExtendedKeyUsageOID.CLIENT_AUTH: "clientAuth",
    }
    return [names.get(oid, oid.dotted_string) for oid in ext.value]


def sans(cert: x509.Certificate) -> tuple[List[str], List[IpAddress]]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return [], []
    ips = [i for i in ext.value.get_values_for_type(x509.IPAddress) if not isinstance(i, (ipaddress.IPv4Network, ipaddress.IPv6Network))]
    return ext.value.get_values_for_type(x509.DNSName), ips


def verify_server(
    leaf: x509.Certificate,
    roots: Sequence[x509.Certificate],
    name: Union[str, IpAddress],
    intermediates: Sequence[x509.Certificate] = (),
) -> None:
    """cryptography's server verification (RFC 5280 + CA/B profile, serverAuth EKU)."""
    subject: x509.GeneralName
    if isinstance(name, str):
        subject = x509.DNSName(name)
    else:
        subject = x509.IPAddress(name)
    verifier = PolicyBuilder().store(Store(list(roots))).time(NOW).build_server_verifier(subject)
    verifier.verify(leaf, list(intermediates))


def verify_client(
    leaf: x509.Certificate,
    roots: Sequence[x509.Certificate],
    intermediates: Sequence[x509.Certificate] = (),
) -> None:
    """cryptography's client verification (clientAuth EKU and the rest of its web-PKI
    profile), except that the leaf may lack a subjectAltName: Kubernetes client
    certificates carry their identity in CN/O and have none (SPEC.md), while the default
    client policy demands one."""
    ee = ExtensionPolicy.webpki_defaults_ee().may_be_present(
        x509.SubjectAlternativeName, Criticality.AGNOSTIC, None
    )
    verifier = (
        PolicyBuilder()
        .store(Store(list(roots)))
        .time(NOW)
        .extension_policies(ca_policy=ExtensionPolicy.webpki_defaults_ca(), ee_policy=ee)
        .build_client_verifier()
    )
    verifier.verify(leaf, list(intermediates))


def load_cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def kubeconfig_parts(path: Path) -> Dict[str, object]:
    """A kubeconfig read with PyYAML; the embedded PEMs decoded with base64."""
    doc = yaml.safe_load(path.read_text())
    cluster = doc["clusters"][0]["cluster"]
    user = doc["users"][0]["user"]
    return {
        "doc": doc,
        "server": cluster["server"],
        "ca": x509.load_pem_x509_certificates(base64.b64decode(cluster["certificate-authority-data"])),
        "cert": x509.load_pem_x509_certificate(base64.b64decode(user["client-certificate-data"])),
        "key_pem": base64.b64decode(user["client-key-data"]),
    }


@pytest.fixture(scope="session")
def spec() -> kpki.ClusterSpec:
    # kubeadm's default algorithm (RSA-2048): the case that matters most.
    return kpki.ClusterSpec(
        "node01",
        ipaddress.ip_address("10.0.0.10"),
        control_plane_endpoint="cp.example.internal:6443",
        apiserver_extra_sans=["extra.example.com", ipaddress.ip_address("192.0.2.7")],
        service_subnets=["10.96.0.0/12", ipaddress.ip_network("fd00:10:96::/112")],
        workers=["node02"],
    )


@pytest.fixture(scope="session")
def pki(spec: kpki.ClusterSpec) -> kpki.ClusterPki:
    return spec.generate()


@pytest.fixture(scope="session")
def pki_dir(pki: kpki.ClusterPki, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("kubernetes")
    pki.write(root)
    return root
