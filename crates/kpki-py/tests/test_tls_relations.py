"""The tls-certificates relation under ops.testing (Scenario), with kpki.tls_certificates
on either side and the real charm library on the other (and each with itself):

1. the requirer's relation-created hook makes its key (a Juju secret) and puts its CSR
   in its unit (or, in Mode.APP, application) databag;
2. the provider's relation-changed hook reads the outstanding request, signs it with
   its CA and writes the certificate into its application databag;
3. the requirer's relation-changed hook finds the certificate, emits
   certificate_available, and get_assigned_certificates() returns it with the key.

Also: a kpki provider's policy (kpki.TlsPolicy through CertificateSigner) refusing a
request, which the library's requirer sees as certificate_denied with the relation's
error code, and advertising its capabilities."""

from __future__ import annotations

import enum
import json
from datetime import timedelta
from types import ModuleType
from typing import Any, Callable

import ops
import pytest
from charmlibs.interfaces import tls_certificates as lib
from ops import testing

import kpki
from kpki import tls_certificates as kp

SIDES = {"kpki": kp, "library": lib}
REQUIRER_META = {"name": "requirer", "requires": {"certificates": {"interface": "tls-certificates"}}}
PROVIDER_META = {"name": "provider", "provides": {"certificates": {"interface": "tls-certificates"}}}
JUJU = "3.6.4"


def requirer_charm(side: ModuleType, mode_name: str, common_name: str) -> type[ops.CharmBase]:
    class Requirer(ops.CharmBase):
        def __init__(self, framework: ops.Framework) -> None:
            super().__init__(framework)
            mode = getattr(side.Mode, mode_name)
            self.certificates = side.TLSCertificatesRequiresV4(
                self,
                "certificates",
                certificate_requests=[
                    side.CertificateRequestAttributes(
                        common_name=common_name, sans_dns=[common_name]
                    )
                ],
                mode=mode,
                key_algorithm="ecdsa",
            )
            self.available: list[Any] = []
            self.denied: list[Any] = []
            framework.observe(self.certificates.on.certificate_available, self._on_available)
            framework.observe(self.certificates.on.certificate_denied, self._on_denied)

        def _on_available(self, event: ops.EventBase) -> None:
            self.available.append(event)

        def _on_denied(self, event: ops.EventBase) -> None:
            self.denied.append(event)

    return Requirer


def provider_charm(side: ModuleType, issue: Callable[[Any, Any], None], capabilities: Any = None) -> type[ops.CharmBase]:
    class Provider(ops.CharmBase):
        def __init__(self, framework: ops.Framework) -> None:
            super().__init__(framework)
            self.certificates = side.TLSCertificatesProvidesV4(
                self, "certificates", provider_capabilities=capabilities
            )
            framework.observe(self.on.certificates_relation_changed, self._on_changed)

        def _on_changed(self, _: ops.EventBase) -> None:
            for request in self.certificates.get_outstanding_certificate_requests():
                issue(self.certificates, request)

    return Provider


def simple_issuer(side: ModuleType) -> tuple[Callable[[Any, Any], None], Any]:
    """The provider of the library's own examples: one self-signed CA signs everything."""
    ca_key = side.PrivateKey.generate()
    ca = side.Certificate.generate_self_signed_ca(
        side.CertificateRequestAttributes(common_name="provider-ca"), ca_key, timedelta(days=365)
    )

    def issue(tls: Any, request: Any) -> None:
        cert = request.certificate_signing_request.sign(ca, ca_key, timedelta(days=30))
        tls.set_relation_certificate(
            side.ProviderCertificate(
                relation_id=request.relation_id,
                certificate=cert,
                certificate_signing_request=request.certificate_signing_request,
                ca=ca,
                chain=[cert, ca],
            )
        )

    return issue, ca


def exchange(
    requirer: ModuleType, provider_charm_class: type[ops.CharmBase], mode_name: str = "UNIT"
) -> tuple[Any, testing.State, testing.Relation, testing.Context[Any]]:
    """Runs the three hooks; returns the requirer's charm after step 3, its state, its
    relation and its context."""
    cn = "requirer-0.example"
    req_ctx = testing.Context(
        requirer_charm(requirer, mode_name, cn), meta=REQUIRER_META, juju_version=JUJU
    )
    rel = testing.Relation("certificates", remote_app_name="provider")
    state = testing.State(relations={rel}, leader=True)
    # 1. The requirer asks.
    state = req_ctx.run(req_ctx.on.relation_created(rel), state)
    out_rel = state.get_relation(rel.id)
    databag: dict[str, str] = dict(
        out_rel.local_app_data if mode_name == "APP" else out_rel.local_unit_data
    )
    csrs = json.loads(databag["certificate_signing_requests"])
    assert len(csrs) == 1 and "BEGIN CERTIFICATE REQUEST" in csrs[0]["certificate_signing_request"]

    # 2. The provider signs.
    prov_ctx = testing.Context(provider_charm_class, meta=PROVIDER_META, juju_version=JUJU)
    prov_rel = testing.Relation(
        "certificates",
        remote_app_name="requirer",
        remote_app_data=dict(out_rel.local_app_data),
        remote_units_data={0: dict(out_rel.local_unit_data)},
    )
    prov_state = prov_ctx.run(
        prov_ctx.on.relation_changed(prov_rel, remote_unit=0),
        testing.State(relations={prov_rel}, leader=True),
    )
    provider_data: dict[str, str] = dict(prov_state.get_relation(prov_rel.id).local_app_data)

    # 3. The requirer receives.
    back = testing.Relation(
        "certificates",
        id=rel.id,
        remote_app_name="provider",
        local_app_data=dict(out_rel.local_app_data),
        local_unit_data=dict(out_rel.local_unit_data),
        remote_app_data=provider_data,
    )
    state = testing.State(relations={back}, secrets=state.secrets, leader=True)
    with req_ctx(req_ctx.on.relation_changed(back), state) as manager:
        final = manager.run()
        charm = manager.charm
        assert charm is not None
        return charm, final, back, req_ctx


@pytest.mark.parametrize("requirer_side", sorted(SIDES))
@pytest.mark.parametrize("provider_side", sorted(SIDES))
@pytest.mark.parametrize("mode_name", ["UNIT", "APP"])
def test_a_certificate_crosses_the_relation(
    requirer_side: str, provider_side: str, mode_name: str
) -> None:
    requirer, provider = SIDES[requirer_side], SIDES[provider_side]
    issue, ca = simple_issuer(provider)
    charm, state, _, _ = exchange(requirer, provider_charm(provider, issue), mode_name)

    assert len(charm.available) == 1, "certificate_available was emitted once"
    event = charm.available[0]
    mode = getattr(requirer.Mode, mode_name)
    certificates, key = charm.certificates.get_assigned_certificates(mode)
    assert len(certificates) == 1 and key is not None
    got = certificates[0]
    # Objects are the requirer side's own classes, whoever issued them.
    assert type(got.certificate) is requirer.Certificate
    assert type(key) is requirer.PrivateKey
    assert got.certificate.matches_private_key(key)
    assert got.certificate.common_name == "requirer-0.example"
    assert got.certificate.sans_dns == {"requirer-0.example"}
    assert str(got.ca) == str(ca) and str(event.ca) == str(ca)
    assert requirer.chain_has_valid_order([str(c) for c in got.chain])
    assert key.algorithm == requirer.KeyAlgorithm.ECDSA
    # The key and the certificate are in Juju secrets, as the library keeps them.
    labels = {s.label for s in state.secrets}
    assert any(label and "private-key" in label for label in labels), labels
    assert any(label and "certificate" in label for label in labels), labels


def policy_issuer(signer: kp.CertificateSigner) -> Callable[[Any, Any], None]:
    def issue(tls: Any, request: Any) -> None:
        result = signer.issue(request)
        if isinstance(result, kp.ProviderCertificate):
            tls.set_relation_certificate(result)
        else:
            tls.set_relation_error(result)

    return issue


def kpki_signer(**policy: Any) -> kp.CertificateSigner:
    ca_key = kp.PrivateKey.generate(key_algorithm="ecdsa")
    ca = kp.Certificate.generate_self_signed_ca(
        kp.CertificateRequestAttributes(common_name="policy-ca"), ca_key, timedelta(days=365)
    )
    return kp.CertificateSigner(ca, ca_key, kpki.TlsPolicy(**policy), timedelta(days=400))


@pytest.mark.parametrize("requirer_side", sorted(SIDES))
def test_a_kpki_policy_signs_what_it_allows_for_no_longer_than_it_allows(
    requirer_side: str,
) -> None:
    signer = kpki_signer(allowed_domains=["example"], max_validity=timedelta(days=7))
    charm, _, _, _ = exchange(SIDES[requirer_side], provider_charm(kp, policy_issuer(signer)))
    assert len(charm.available) == 1 and not charm.denied
    cert = charm.available[0].certificate
    assert cert.expiry_time - cert.validity_start_time == timedelta(days=7)


@pytest.mark.parametrize("requirer_side", sorted(SIDES))
def test_a_kpki_policy_refusal_reaches_the_requirer_as_certificate_denied(
    requirer_side: str,
) -> None:
    signer = kpki_signer(allowed_domains=["internal"])
    charm, _, _, _ = exchange(SIDES[requirer_side], provider_charm(kp, policy_issuer(signer)))
    assert not charm.available
    assert len(charm.denied) == 1
    error = charm.denied[0].error
    assert error.code == kp.CertificateRequestErrorCode.DOMAIN_NOT_ALLOWED == 102
    assert error.name == "DOMAIN_NOT_ALLOWED" and error.provider == "kpki"
    assert "requirer-0.example" in error.message


def test_a_kpki_provider_advertises_its_policy_to_a_library_requirer() -> None:
    signer = kpki_signer(allowed_domains=["example"], allow_ip_sans=False, allow_wildcards=True)
    issue = policy_issuer(signer)
    caps = signer.capabilities()
    assert caps.supports_ip_sans is False and caps.supports_wildcard_dns is True
    assert caps.supports_ca_certificates is False and caps.allowed_domains == ["example"]
    charm, _, _, _ = exchange(lib, provider_charm(kp, issue, caps))
    seen = charm.certificates.get_provider_capabilities()
    assert seen is not None
    assert seen.model_dump() == caps.model_dump()


def test_the_facade_has_every_public_name_of_the_library() -> None:
    assert sorted(kp.__all__) == sorted(lib.__all__)
    for name in lib.__all__:
        ours, theirs = getattr(kp, name), getattr(lib, name)
        assert callable(ours) == callable(theirs), name
        if isinstance(theirs, type) and issubclass(theirs, enum.Enum):
            members = [(m.name, m.value) for m in theirs]
            assert [(m.name, getattr(ours, m.name).value) for m in theirs] == members, name
            assert len(list(ours)) == len(members), name
    # The relation classes are the library's code, on kpki's classes.
    assert kp.TLSCertificatesRequiresV4.__module__ == "kpki._tls_relations.library"
    relations = __import__("kpki._tls_relations", fromlist=["module"]).module(kp)
    assert relations.PrivateKey is kp.PrivateKey and relations.Mode is kp.Mode
