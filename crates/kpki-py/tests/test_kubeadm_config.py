"""kubeadm's configuration file as input."""

from __future__ import annotations

import datetime
import ipaddress
import re
from pathlib import Path

import pytest

import kpki
from conftest import load_cert, sans, verify_server

CONFIG = """\
apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: 10.0.0.20
  bindPort: 6443
nodeRegistration:
  name: cp-1
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
controlPlaneEndpoint: api.cluster.example:443
certificatesDir: certs
networking:
  serviceSubnet: 10.100.0.0/16
  dnsDomain: corp.local
apiServer:
  certSANs: [extra.example.com, 192.0.2.7]
encryptionAlgorithm: ECDSA-P256
certificateValidityPeriod: 720h0m0s
"""


def test_config_file_drives_sans_algorithm_validity_and_layout(tmp_path: Path) -> None:
    spec = kpki.ClusterSpec.from_kubeadm_config(CONFIG)
    assert spec.key_algorithm == "ecdsa-p256"
    assert spec.network.node_name == "cp-1"
    assert spec.network.service_subnets == ["10.100.0.0/16"]
    assert spec.leaf_validity.days == 30
    pki = spec.generate()
    pki.write(tmp_path)
    # certificatesDir: certs -> the PKI lands in <root>/certs.
    leaf = load_cert(tmp_path / "certs/apiserver.crt")
    ca = load_cert(tmp_path / "certs/ca.crt")
    dns, ips = sans(leaf)
    assert "kubernetes.default.svc.corp.local" in dns and "api.cluster.example" in dns
    assert ipaddress.ip_address("10.100.0.1") in ips
    for name in ("api.cluster.example", "extra.example.com", "cp-1"):
        verify_server(leaf, [ca], name)
    verify_server(leaf, [ca], ipaddress.ip_address("192.0.2.7"))
    assert (leaf.not_valid_after_utc - leaf.not_valid_before_utc).days == 30
    kc = pki.kubeconfig("admin.conf")
    assert kc is not None and kc.server == "https://api.cluster.example:443"


def test_config_bytes_and_overrides(tmp_path: Path) -> None:
    text = CONFIG.replace("  name: cp-1\n", "").encode()
    with pytest.raises(kpki.InvalidInputError, match="nodeRegistration.name"):
        kpki.ClusterSpec.from_kubeadm_config(text)
    spec = kpki.ClusterSpec.from_kubeadm_config(
        text, node_name="cp-2", key_algorithm="ed25519", workers=["w1"]
    )
    assert spec.network.node_name == "cp-2" and spec.key_algorithm == "ed25519"
    assert "nodes/w1" in spec.certificate_names()


def test_bad_field_names_the_field() -> None:
    with pytest.raises(kpki.InvalidInputError, match="networking.serviceSubnet"):
        kpki.ClusterSpec.from_kubeadm_config(CONFIG.replace("10.100.0.0/16", "10.100.0.0/40"))
    with pytest.raises(kpki.InvalidInputError, match="apiServer.certSANs"):
        kpki.ClusterSpec.from_kubeadm_config(CONFIG.replace("[extra.example.com,", "[bad_san!,"))


def test_a_setting_beats_the_file_which_beats_kubeadms_default() -> None:
    spec = kpki.ClusterSpec.from_kubeadm_config(
        CONFIG, leaf_validity=datetime.timedelta(days=10), cluster_name="lab"
    )
    assert spec.leaf_validity == datetime.timedelta(days=10)  # the file says 30 days
    assert spec.cluster_name == "lab"  # the file says nothing: kubeadm's is "kubernetes"
    assert spec.network.dns_domain == "corp.local"  # the file's
    assert spec.ca_validity == datetime.timedelta(days=3650)  # kubeadm's
    # Extra SANs from both are kept.
    spec = kpki.ClusterSpec.from_kubeadm_config(CONFIG, apiserver_extra_sans=["more.example.com"])
    assert "extra.example.com" in spec.network.apiserver_extra_sans
    assert "more.example.com" in spec.network.apiserver_extra_sans


def test_missing_node_says_which_field_and_which_keyword() -> None:
    text = CONFIG.replace("  name: cp-1\n", "")
    with pytest.raises(kpki.InvalidInputError) as e:
        kpki.ClusterSpec.from_kubeadm_config(text)
    assert str(e.value) == (
        "kubeadm configuration: field nodeRegistration.name: missing; pass node_name=..."
    )
    with pytest.raises(kpki.InvalidInputError, match=r"^no node name was given; pass node_name="):
        kpki.ClusterSpec()
    with pytest.raises(kpki.InvalidInputError, match="^no advertise address was given; pass advertise_address="):
        kpki.ClusterSpec("node01")


PARTIAL = """\
apiVersion: kubeadm.k8s.io/v1beta3
kind: ClusterConfiguration
certificatesDir: /etc/kubernetes/certs
"""


def test_host_defaults_fill_what_nobody_gave(tmp_path: Path) -> None:
    hostname = Path("/proc/sys/kernel/hostname").read_text().strip().lower()
    if re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*", hostname) and len(hostname) <= 52:
        spec = kpki.ClusterSpec(host_defaults=True)
        assert spec.network.node_name == hostname
        assert "(this host's name)" in spec.resolution
    else:
        with pytest.raises(kpki.InvalidInputError, match="is not a valid one"):
            kpki.ClusterSpec(host_defaults=True)

    # Given values win over the host's; the file's certificatesDir is placed under the
    # directory written to.
    spec = kpki.ClusterSpec.from_kubeadm_config(
        PARTIAL, host_defaults=True, node_name="hostnode", advertise_address="10.9.9.9"
    )
    assert spec.resolution == (
        "node name hostnode, advertise address 10.9.9.9, API server https://10.9.9.9:6443"
    )
    assert spec.certificates_dir == Path("certs")
    spec.init(tmp_path)
    assert (tmp_path / "certs/ca.crt").is_file() and not (tmp_path / "pki").exists()
    with pytest.raises(kpki.AlreadyExistsError, match=r"; pass overwrite=True to replace it$"):
        spec.init(tmp_path)
