"""The PKI after init, through the Python door: expiry reports as kubeadm's
`CertificateExpirationInfo` (output.kubeadm.k8s.io/v1alpha3) in JSON and YAML, read back
with the standard library's json and with PyYAML, dates checked with `cryptography`; and
`kpki.renew()` following a kubeadm configuration, skipping what is not due, renewing a CA
with its own key (checked with `cryptography`)."""

import base64
import datetime
import json
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from conftest import load_cert

import kpki

KUBEADM = [
    ("admin.conf", "ca"),
    ("apiserver", "ca"),
    ("apiserver-etcd-client", "etcd-ca"),
    ("apiserver-kubelet-client", "ca"),
    ("controller-manager.conf", "ca"),
    ("etcd-healthcheck-client", "etcd-ca"),
    ("etcd-peer", "etcd-ca"),
    ("etcd-server", "etcd-ca"),
    ("front-proxy-client", "front-proxy-ca"),
    ("scheduler.conf", "ca"),
    ("super-admin.conf", "ca"),
]
GO_CERTIFICATE = ["name", "expirationDate", "residualTime", "externallyManaged", "caName", "missing"]


def test_json_is_kubeadms_type_in_kubeadms_order(pki_dir: Path) -> None:
    report = kpki.load(pki_dir).expiry_report()
    text = report.to_json()
    assert text == report.render("json") and text.endswith("}\n")
    ordered = json.loads(text, object_pairs_hook=list)
    assert [k for k, _ in ordered] == ["kind", "apiVersion", "certificates", "certificateAuthorities"]
    doc = json.loads(text)
    assert doc["kind"] == "CertificateExpirationInfo"
    assert doc["apiVersion"] == "output.kubeadm.k8s.io/v1alpha3"
    certs = dict(ordered)["certificates"]
    for fields in certs:
        keys = [k for k, _ in fields]
        assert keys == GO_CERTIFICATE, keys
    by_name = {c["name"]: c for c in doc["certificates"]}
    for name, ca in KUBEADM:
        assert by_name[name]["caName"] == ca and by_name[name]["missing"] is False
    # The session's PKI has a worker: its certificates are listed under kpki's names,
    # among kubeadm's, sorted.
    names = [c["name"] for c in doc["certificates"]]
    assert "nodes/serving/node02" in names and names == sorted(names)
    apiserver = load_cert(pki_dir / "pki/apiserver.crt")
    expires = apiserver.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert by_name["apiserver"]["expirationDate"] == expires
    left = by_name["apiserver"]["residualTime"]
    want = (apiserver.not_valid_after_utc - report.now).total_seconds()
    assert abs(left - want) < 1
    assert [c["name"] for c in doc["certificateAuthorities"]] == ["ca", "etcd-ca", "front-proxy-ca"]
    assert all("caName" not in c for c in doc["certificateAuthorities"])


def test_yaml_reads_back_as_the_json(pki_dir: Path) -> None:
    report = kpki.load(pki_dir).expiry_report()
    assert yaml.safe_load(report.to_yaml()) == json.loads(report.to_json())
    assert report.render("yaml") == report.to_yaml()
    assert report.render() == report.to_table() == report.render("text")
    assert report.to_table().startswith("CERTIFICATE ")


def test_entries_expiring_within_and_missing_ones(tmp_path: Path) -> None:
    spec = kpki.ClusterSpec("node01", "10.0.0.10", key_algorithm="ecdsa-p256", compatibility="kubeadm-1.28")
    spec.generate().write(tmp_path)
    report = kpki.load(tmp_path).expiry_report()
    super_admin = next(e for e in report.certificates if e.name == "super-admin.conf")
    assert super_admin.missing and super_admin.not_after is None and super_admin.residual is None
    assert super_admin.path == tmp_path / "super-admin.conf"
    assert report.expiring_within(datetime.timedelta(days=30)) == []
    due = report.expiring_within(datetime.timedelta(days=366))
    assert sorted(e.name for e in due) == sorted(n for n, _ in KUBEADM if n != "super-admin.conf")
    etcd = next(e for e in due if e.name == "etcd-server")
    assert (etcd.certificate, etcd.ca, etcd.ca_name, etcd.role) == ("etcd/server", "etcd", "etcd-ca", "etcd")
    assert etcd.residual is not None and etcd.residual.days in (364, 365)
    assert etcd.residual_seconds == int(etcd.residual.total_seconds())
    # Ten years later everything has expired: residual times go negative.
    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=3660 + 1)
    old = kpki.load(tmp_path).expiry_report(now=later)
    assert all(e.residual_seconds < 0 for e in old.certificates + old.authorities if not e.missing)
    assert "<invalid>" in old.to_table()
    with pytest.raises(kpki.InvalidInputError, match="json"):
        report.render("xml")


GROWN = """apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: 10.0.0.10
nodeRegistration:
  name: node01
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
networking:
  serviceSubnet: 10.96.0.0/12,fd00:10:96::/112
apiServer:
  certSANs: [api.example.com]
"""


def sans(cert: x509.Certificate) -> list[str]:
    ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return [str(v) for v in ext.get_values_for_type(x509.DNSName)] + [
        str(v) for v in ext.get_values_for_type(x509.IPAddress)
    ]


def test_renew_follows_the_config_skips_what_is_not_due_and_renews_a_ca(tmp_path: Path) -> None:
    kpki.ClusterSpec("node01", "10.0.0.10", key_algorithm="ecdsa-p256").generate().write(tmp_path)
    before = sans(load_cert(tmp_path / "pki/apiserver.crt"))
    old_leaf = load_cert(tmp_path / "pki/front-proxy-client.crt")
    cluster = kpki.ClusterSpec.from_kubeadm_config(GROWN)
    report = kpki.renew(tmp_path, within=datetime.timedelta(days=30), cluster=cluster)
    assert [r.name for r in report.renewed] == ["apiserver"]
    r = report.renewed[0]
    assert r.reason == "drift" and r.added_sans == ["DNS:api.example.com", "IP:fd00:10:96::1"]
    after = sans(load_cert(tmp_path / "pki/apiserver.crt"))
    assert set(after) - set(before) == {"api.example.com", "fd00:10:96::1"}
    assert "etcd-server" in {s.name for s in report.skipped}
    # A CA renewed with its own key: the leaf it issued before still verifies.
    ca_report = kpki.renew(tmp_path, ["front-proxy-ca"])
    assert [c.name for c in ca_report.authorities] == ["front-proxy-ca"] and ca_report.renewed == []
    new_ca = load_cert(tmp_path / "pki/front-proxy-ca.crt")
    assert new_ca.serial_number != old_leaf.serial_number
    old_leaf.verify_directly_issued_by(new_ca)
    with pytest.raises(kpki.InvalidInputError, match="no certificate named"):
        kpki.renew(tmp_path, ["nope"])


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(key: kpki.PrivateKey, subject: str) -> str:
    """A service-account-style RS256 JWT, signed with the core's key."""
    header = b64url(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    claims = b64url(json.dumps({"iss": "kubernetes/serviceaccount", "sub": subject}).encode())
    signing_input = f"{header}.{claims}".encode()
    return f"{header}.{claims}.{b64url(key.sign(signing_input))}"


def verifies_against(token: str, sa_pub: Path) -> bool:
    """Whether any key in sa.pub verifies the token (kube-apiserver's --service-account-key-file)."""
    header, claims, sig = token.split(".")
    signature = base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4))
    blocks = sa_pub.read_text().split("-----END PUBLIC KEY-----")
    for block in (b + "-----END PUBLIC KEY-----\n" for b in blocks if "BEGIN" in b):
        public = serialization.load_pem_public_key(block.strip().encode() + b"\n")
        assert isinstance(public, rsa.RSAPublicKey)
        try:
            public.verify(signature, f"{header}.{claims}".encode(), padding.PKCS1v15(), hashes.SHA256())
            return True
        except InvalidSignature:
            continue
    return False


def test_a_whole_ca_rotation_from_python(tmp_path: Path) -> None:
    kpki.ClusterSpec("node01", "10.0.0.10").generate().write(tmp_path)  # RSA-2048, kubeadm's default
    pki = tmp_path / "pki"
    old_sa = kpki.PrivateKey.from_pem((pki / "sa.key").read_text())
    old_leaf = load_cert(pki / "apiserver.crt")
    assert kpki.rotation_status(tmp_path).phase is None

    r = kpki.rotate_ca(tmp_path, "start")
    assert r.phase == "started" and r.roles == ["kubernetes", "etcd", "front-proxy"] and not r.already_done
    assert len(kpki.trust_set(tmp_path)) == 2 and len(kpki.trust_set(tmp_path, "etcd")) == 2
    new_sa = kpki.PrivateKey.from_pem((pki / "sa.key").read_text())
    assert new_sa.to_pem() != old_sa.to_pem()
    # Tokens signed with the old key and with the new both verify against sa.pub.
    old_token, new_token = jwt(old_sa, "system:serviceaccount:default:old"), jwt(new_sa, "system:serviceaccount:default:new")
    assert verifies_against(old_token, pki / "sa.pub") and verifies_against(new_token, pki / "sa.pub")
    assert kpki.rotate_ca(tmp_path, "start").already_done
    assert "apiserver" in kpki.rotation_status(tmp_path).from_old_ca

    assert kpki.rotate_ca(tmp_path, "reissue").phase == "reissued"
    new_ca = kpki.trust_set(tmp_path)[0].to_cryptography()
    load_cert(pki / "apiserver.crt").verify_directly_issued_by(new_ca)
    with pytest.raises(Exception):
        old_leaf.verify_directly_issued_by(new_ca)
    assert kpki.rotation_status(tmp_path).from_old_ca == []
    bundle = kpki.cluster_trust_bundle("kpki-kubernetes-ca", list(kpki.trust_set(tmp_path)))
    doc = yaml.safe_load(bundle)
    assert doc["kind"] == "ClusterTrustBundle" and doc["spec"]["trustBundle"].count("BEGIN CERTIFICATE") == 2

    assert kpki.rotate_ca(tmp_path, "finish").phase == "finished"
    assert len(kpki.trust_set(tmp_path)) == 1
    assert verifies_against(new_token, pki / "sa.pub") and not verifies_against(old_token, pki / "sa.pub")
    with pytest.raises(kpki.InvalidInputError, match="start, reissue, finish"):
        kpki.rotate_ca(tmp_path, "later")
