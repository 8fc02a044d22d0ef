/* General-purpose TLS certificates from C (kpki_tls_*): a self-signed CA, a CSR with
 * every subject attribute kind and SANs of four kinds (openssl req -verify reads it), a
 * certificate signed under a policy (openssl verify chains it; its validity is shortened
 * to the policy's maximum), and every refusal with its code, relation error code and
 * message. */
#include "kpki_test.h"

static const char *dir;

static int save(const char *name, const kpki_bytes *bytes) {
  return CHECK(write_bytes(path_in(dir, name), bytes), "cannot write %s", name);
}

static int save_cert(const char *name, const kpki_certificate *cert) {
  kpki_bytes *pem = NULL;
  int ok = OK(kpki_certificate_to_pem(cert, &pem)) && save(name, pem);
  kpki_bytes_free(pem);
  return ok;
}

static void issue(const kpki_certificate *ca, const kpki_private_key *ca_key) {
  const char *subject[] = {"CN=unit-0", "O=Example", "OU=Databases", "C=GB",
                           "emailAddress=ops@example.com"};
  const char *sans[] = {"dns:unit-0.db.example", "ip:10.1.2.3", "oid:1.2.3.4"};
  kpki_private_key *key = NULL;
  kpki_csr *csr = NULL;
  kpki_bytes *csr_pem = NULL;
  kpki_tls_policy *policy = NULL;
  kpki_certificate *cert = NULL;
  const char *domains[] = {"db.example"};
  if (OK(kpki_private_key_generate("ecdsa-p256", &key)) &&
      OK(kpki_tls_csr(subject, 5, sans, 3, key, &csr)) && OK(kpki_csr_to_pem(csr, &csr_pem)) &&
      save("unit.csr", csr_pem)) {
    RUN_OK("openssl req -in '%s/unit.csr' -noout -verify 2>&1 | grep -q 'verify OK'", dir);
    RUN_OK("openssl req -in '%s/unit.csr' -noout -text | grep -qF "
           "'CN = unit-0, O = Example, OU = Databases, C = GB, emailAddress = ops@example.com'",
           dir);
    RUN_OK("openssl req -in '%s/unit.csr' -noout -text | grep -qF "
           "'DNS:unit-0.db.example, IP Address:10.1.2.3, Registered ID:1.2.3.4'",
           dir);
    uint16_t code = 7;
    if (OK(kpki_tls_policy_new(domains, 1, 0, 3600, &policy)) &&
        OK(kpki_tls_check(policy, csr, false, &code)) &&
        CHECK(code == 0, "code %u for an allowed request", code) &&
        OK(kpki_tls_sign(csr, ca, ca_key, policy, 86400 * 30, false, &cert)) &&
        save_cert("unit.crt", cert)) {
      RUN_OK("openssl verify -CAfile '%s/ca.crt' '%s/unit.crt' >/dev/null", dir, dir);
      RUN_OK("openssl x509 -in '%s/unit.crt' -noout -text | grep -qF 'email:ops@example.com'",
             dir);
      /* Shortened to the policy's hour. */
      RUN_OK("test $(( $(date -d \"$(openssl x509 -in '%s/unit.crt' -noout -enddate | cut -d= -f2)\" +%%s)"
             " - $(date -d \"$(openssl x509 -in '%s/unit.crt' -noout -startdate | cut -d= -f2)\" +%%s) ))"
             " -eq 3600",
             dir, dir);
    }
    /* The default policy (NULL) signs too, for up to 90 days. */
    kpki_certificate *plain = NULL;
    OK(kpki_tls_sign(csr, ca, ca_key, NULL, 86400, false, &plain));
    kpki_certificate_free(plain);
  }
  kpki_certificate_free(cert);
  kpki_tls_policy_free(policy);
  kpki_bytes_free(csr_pem);
  kpki_csr_free(csr);
  kpki_private_key_free(key);
}

static void refusals(const kpki_certificate *ca, const kpki_private_key *ca_key) {
  kpki_private_key *key = NULL;
  kpki_csr *csr = NULL;
  kpki_csr *wild = NULL;
  kpki_tls_policy *strict = NULL;
  kpki_certificate *cert = NULL;
  const char *subject[] = {"CN=x"};
  const char *sans[] = {"dns:x.other.example", "ip:10.0.0.1"};
  const char *wild_sans[] = {"dns:*.db.example"};
  const char *domains[] = {"db.example"};
  uint16_t code = 0;
  if (!OK(kpki_private_key_generate("ecdsa-p256", &key)) ||
      !OK(kpki_tls_csr(subject, 1, sans, 2, key, &csr)) ||
      !OK(kpki_tls_csr(subject, 1, wild_sans, 1, key, &wild))) {
    goto out;
  }
  OK(kpki_tls_policy_new(NULL, 0, KPKI_TLS_NO_IP_SANS, 0, &strict));
  ERR(kpki_tls_check(strict, csr, false, &code), KPKI_POLICY_REFUSED,
      "IP address SANs are not allowed (10.0.0.1)");
  CHECK(code == 101, "IP refusal code %u", code);
  ERR(kpki_tls_check(strict, wild, false, &code), KPKI_POLICY_REFUSED,
      "wildcard DNS names are not allowed");
  CHECK(code == 103, "wildcard refusal code %u", code);
  ERR(kpki_tls_sign(wild, ca, ca_key, strict, 3600, true, &cert), KPKI_POLICY_REFUSED,
      "wildcard");
  CHECK(cert == NULL, "no certificate on refusal");
  kpki_tls_policy_free(strict);
  strict = NULL;
  OK(kpki_tls_policy_new(domains, 1, KPKI_TLS_ALLOW_WILDCARDS, 0, &strict));
  ERR(kpki_tls_check(strict, csr, false, &code), KPKI_POLICY_REFUSED,
      "DNS name \"x.other.example\" is not in an allowed domain");
  CHECK(code == 102, "domain refusal code %u", code);
  ERR(kpki_tls_check(strict, wild, true, &code), KPKI_POLICY_REFUSED,
      "CA certificates are not issued");
  CHECK(code == 999, "CA refusal code %u", code);

  /* Bad input: typed codes naming the field. */
  const char *bad_attr[] = {"C=GBR"};
  const char *no_eq[] = {"CN"};
  const char *bad_san[] = {"uri:https://x"};
  kpki_csr *none = NULL;
  ERR(kpki_tls_csr(bad_attr, 1, NULL, 0, key, &none), KPKI_INVALID_TLS_FIELD,
      "subject attribute C \"GBR\"");
  ERR(kpki_tls_csr(no_eq, 1, NULL, 0, key, &none), KPKI_INVALID_TLS_FIELD, "ATTRIBUTE=VALUE");
  ERR(kpki_tls_csr(subject, 1, bad_san, 1, key, &none), KPKI_INVALID_TLS_FIELD,
      "dns, ip, oid or email");
  ERR(kpki_tls_csr(NULL, 1, NULL, 0, key, &none), KPKI_NULL_PARAMETER, "subject");
  ERR(kpki_tls_csr(subject, 1, NULL, 0, NULL, &none), KPKI_NULL_PARAMETER, "key");
  CHECK(none == NULL, "no CSR on error");
  kpki_certificate *nothing = NULL;
  ERR(kpki_tls_self_signed_ca(NULL, 0, NULL, 0, key, 3600, &nothing), KPKI_INVALID_TLS_FIELD,
      "invalid subject");
  ERR(kpki_tls_self_signed_ca(subject, 1, NULL, 0, key, -5, &nothing), KPKI_INVALID_VALIDITY,
      "validity_seconds");
  ERR(kpki_tls_sign(csr, ca, key, NULL, 3600, false, &nothing), KPKI_KEY_MISMATCH,
      "does not match");
  kpki_tls_policy *p = NULL;
  ERR(kpki_tls_policy_new(NULL, 0, 64, 0, &p), KPKI_UNKNOWN_CHOICE, "unknown bits 0x40");
  ERR(kpki_tls_check(strict, csr, false, NULL), KPKI_NULL_PARAMETER, "code");
  CHECK(nothing == NULL && p == NULL, "nothing made on error");
  kpki_tls_policy_free(NULL);
out:
  kpki_tls_policy_free(strict);
  kpki_csr_free(wild);
  kpki_csr_free(csr);
  kpki_private_key_free(key);
}

int main(void) {
  const char *made = make_temp_dir("tls");
  char keep[512];
  snprintf(keep, sizeof keep, "%s", made);
  dir = keep;

  const char *ca_subject[] = {"CN=charm-ca", "O=Example"};
  kpki_private_key *ca_key = NULL;
  kpki_certificate *ca = NULL;
  if (OK(kpki_private_key_generate("rsa-2048", &ca_key)) &&
      OK(kpki_tls_self_signed_ca(ca_subject, 2, NULL, 0, ca_key, 86400 * 365, &ca)) &&
      save_cert("ca.crt", ca)) {
    RUN_OK("openssl x509 -in '%s/ca.crt' -noout -text | grep -qF "
           "'Digital Signature, Key Encipherment, Certificate Sign'",
           dir);
    issue(ca, ca_key);
    refusals(ca, ca_key);
  }
  kpki_certificate_free(ca);
  kpki_private_key_free(ca_key);
  remove_tree(dir);
  return finish("test_tls");
}
