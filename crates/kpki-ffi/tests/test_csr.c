/* CSRs from C: generate (checked by openssl req -verify), read openssl's, sign under the
 * built-in Kubernetes signers' policies (checked by openssl verify), and every refusal
 * with its code and message. */
#include "kpki_test.h"

#define BOGUS ((void *)0x1)
#define ERR_NULL(call, arg) ERR((call), KPKI_NULL_PARAMETER, "argument `" arg "` is NULL")

static const char *dir;

static const char *KUBELET_CLIENT = "kubernetes.io/kube-apiserver-client-kubelet";
static const char *KUBELET_SERVING = "kubernetes.io/kubelet-serving";
static const char *APISERVER_CLIENT = "kubernetes.io/kube-apiserver-client";

static int save(const char *name, const kpki_bytes *bytes) {
  return CHECK(write_bytes(path_in(dir, name), bytes), "cannot write %s", name);
}

static int save_cert(const char *name, const kpki_certificate *cert) {
  kpki_bytes *pem = NULL;
  int ok = OK(kpki_certificate_to_pem(cert, &pem)) && save(name, pem);
  kpki_bytes_free(pem);
  return ok;
}

/* A CSR for `id` and `sans` with a new P-256 key. */
static kpki_csr *make_csr(const kpki_identity *id, const char *const *sans, size_t n) {
  kpki_private_key *key = NULL;
  kpki_csr *csr = NULL;
  if (OK(kpki_private_key_generate("ecdsa-p256", &key))) {
    OK(kpki_csr_generate(id, sans, n, key, &csr));
  }
  kpki_private_key_free(key);
  return csr;
}

static void sign_and_verify(const kpki_ca *ca) {
  /* A kubelet client CSR for system:node:node01: openssl reads and verifies it. */
  kpki_identity *node = NULL;
  kpki_csr *csr = NULL;
  kpki_bytes *csr_pem = NULL;
  kpki_certificate *cert = NULL;
  if (OK(kpki_identity_node("node01", &node)) && (csr = make_csr(node, NULL, 0)) != NULL &&
      OK(kpki_csr_to_pem(csr, &csr_pem)) && save("node01.csr", csr_pem)) {
    RUN_OK("openssl req -in '%s/node01.csr' -noout -verify 2>&1 | grep -q 'verify OK'", dir);
    RUN_OK("openssl req -in '%s/node01.csr' -noout -subject -nameopt oneline | grep -qxF "
           "'subject=O = system:nodes, CN = system:node:node01'",
           dir);
    if (OK(kpki_ca_sign_csr(ca, csr, KUBELET_CLIENT, NULL, 0, 0, &cert)) &&
        save_cert("node01.crt", cert)) {
      RUN_OK("cd '%s' && openssl verify -purpose sslclient -CAfile ca.crt node01.crt >/dev/null",
             dir);
      RUN_OK("openssl x509 -in '%s/node01.crt' -noout -subject -nameopt oneline | grep -qxF "
             "'subject=O = system:nodes, CN = system:node:node01'",
             dir);
      /* The certificate is for the CSR's key. */
      RUN_OK("cd '%s' && [ \"$(openssl x509 -in node01.crt -noout -pubkey)\" = "
             "\"$(openssl req -in node01.csr -noout -pubkey)\" ]",
             dir);
      OK(kpki_ca_verify_issued(ca, cert));
    }
  }
  kpki_certificate_free(cert);
  cert = NULL;

  /* DER round trip. */
  kpki_bytes *der = NULL;
  kpki_csr *again = NULL;
  kpki_bytes *again_pem = NULL;
  if (csr != NULL && OK(kpki_csr_to_der(csr, &der)) &&
      OK(kpki_csr_from_der(kpki_bytes_data(der), kpki_bytes_len(der), &again)) &&
      OK(kpki_csr_to_pem(again, &again_pem))) {
    CHECK(strcmp((const char *)kpki_bytes_data(again_pem), (const char *)kpki_bytes_data(csr_pem)) == 0,
          "CSR changed in a DER round trip");
    /* A flipped signature byte fails proof of possession. */
    uint8_t *tampered = malloc(kpki_bytes_len(der));
    kpki_csr *bad = BOGUS;
    if (CHECK(tampered != NULL, "malloc")) {
      memcpy(tampered, kpki_bytes_data(der), kpki_bytes_len(der));
      tampered[kpki_bytes_len(der) - 1] ^= 0x01;
      ERR(kpki_csr_from_der(tampered, kpki_bytes_len(der), &bad), KPKI_INVALID_CSR,
          "invalid certificate signing request");
      CHECK(bad == NULL, "out not reset to NULL on failure");
    }
    free(tampered);
  }
  kpki_bytes_free(again_pem);
  kpki_csr_free(again);
  kpki_bytes_free(der);
  kpki_bytes_free(csr_pem);

  /* The same kubelet's serving certificate: SANs required and granted, 1 hour asked. */
  const char *sans[] = {"node01.example.internal", "10.0.0.11"};
  kpki_csr *serving = make_csr(node, sans, 2);
  const char *usages[] = {"digital signature", "server auth"};
  if (serving != NULL &&
      OK(kpki_ca_sign_csr(ca, serving, KUBELET_SERVING, usages, 2, 3600, &cert)) &&
      save_cert("node01-serving.crt", cert)) {
    RUN_OK("cd '%s' && openssl verify -purpose sslserver -CAfile ca.crt node01-serving.crt >/dev/null",
           dir);
    RUN_OK("openssl x509 -in '%s/node01-serving.crt' -noout -ext subjectAltName | tr -d ' \\n' | "
           "grep -qF 'DNS:node01.example.internal,IPAddress:10.0.0.11'",
           dir);
    RUN_OK("openssl x509 -in '%s/node01-serving.crt' -noout -checkend 60 >/dev/null", dir);
    CHECK(run("openssl x509 -in '%s/node01-serving.crt' -noout -checkend 7200 >/dev/null", dir) != 0,
          "expirationSeconds 3600 not honoured");
  }
  kpki_certificate_free(cert);
  cert = NULL;

  /* The kubelet-client signer refuses a serving request; kubelet-serving refuses a CSR
   * without SANs; both refuse a user. */
  if (serving != NULL) {
    kpki_certificate *none = BOGUS;
    ERR(kpki_ca_sign_csr(ca, serving, KUBELET_CLIENT, NULL, 0, 0, &none), KPKI_POLICY_REFUSED,
        "kubernetes.io/kube-apiserver-client-kubelet");
    CHECK(none == NULL, "out not reset to NULL on failure");
  }
  if (csr != NULL) {
    ERR(kpki_ca_sign_csr(ca, csr, KUBELET_SERVING, NULL, 0, 0, &cert), KPKI_POLICY_REFUSED,
        "kubernetes.io/kubelet-serving");
  }
  kpki_identity *alice = NULL;
  const char *groups[] = {"dev"};
  kpki_csr *alice_csr = NULL;
  if (OK(kpki_identity_user("alice", groups, 1, &alice)) &&
      (alice_csr = make_csr(alice, NULL, 0)) != NULL) {
    ERR(kpki_ca_sign_csr(ca, alice_csr, KUBELET_CLIENT, NULL, 0, 0, &cert), KPKI_POLICY_REFUSED,
        "system:nodes");
    /* ... while the apiserver-client signer signs it. */
    if (OK(kpki_ca_sign_csr(ca, alice_csr, APISERVER_CLIENT, NULL, 0, 0, &cert)) &&
        save_cert("alice.crt", cert)) {
      RUN_OK("cd '%s' && openssl verify -purpose sslclient -CAfile ca.crt alice.crt >/dev/null",
             dir);
      RUN_OK("openssl x509 -in '%s/alice.crt' -noout -subject -nameopt oneline | grep -qxF "
             "'subject=O = dev, CN = alice'",
             dir);
    }
    kpki_certificate_free(cert);
    cert = NULL;
    /* Request-level errors, worded as the API server words them. */
    ERR(kpki_ca_sign_csr(ca, alice_csr, APISERVER_CLIENT, NULL, 0, 300, &cert),
        KPKI_INVALID_SIGNING_REQUEST, "spec.expirationSeconds");
    const char *bad_usages[] = {"client auth", "teleport"};
    ERR(kpki_ca_sign_csr(ca, alice_csr, APISERVER_CLIENT, bad_usages, 2, 0, &cert),
        KPKI_INVALID_SIGNING_REQUEST, "spec.usages[1]");
    const char *server_usage[] = {"digital signature", "server auth"};
    ERR(kpki_ca_sign_csr(ca, alice_csr, APISERVER_CLIENT, server_usage, 2, 0, &cert),
        KPKI_POLICY_REFUSED, "server auth");
    ERR(kpki_ca_sign_csr(ca, alice_csr, "example.com/unknown", NULL, 0, 0, &cert),
        KPKI_UNKNOWN_CHOICE, "kubernetes.io/kubelet-serving");
  }
  kpki_csr_free(alice_csr);
  kpki_identity_free(alice);
  kpki_csr_free(serving);
  kpki_csr_free(csr);
  kpki_identity_free(node);
}

/* A CSR made by openssl, signed by kpki. */
static void openssl_csr(const kpki_ca *ca) {
  if (!RUN_OK("cd '%s' && openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
              "-subj '/O=system:nodes/CN=system:node:node05' -keyout node05.key -out node05.csr "
              "2>/dev/null",
              dir)) {
    return;
  }
  size_t len = 0;
  char *pem = read_file(path_in(dir, "node05.csr"), &len);
  kpki_csr *csr = NULL;
  kpki_certificate *cert = NULL;
  if (CHECK(pem != NULL, "read node05.csr") &&
      OK(kpki_csr_from_pem((const uint8_t *)pem, len, &csr)) &&
      OK(kpki_ca_sign_csr(ca, csr, KUBELET_CLIENT, NULL, 0, 0, &cert)) &&
      save_cert("node05.crt", cert)) {
    RUN_OK("cd '%s' && openssl verify -purpose sslclient -CAfile ca.crt node05.crt >/dev/null",
           dir);
    RUN_OK("cd '%s' && [ \"$(openssl x509 -in node05.crt -noout -pubkey)\" = "
           "\"$(openssl pkey -in node05.key -pubout)\" ]",
           dir);
  }
  kpki_certificate_free(cert);
  kpki_csr_free(csr);
  free(pem);
}

static void error_paths(const kpki_ca *ca) {
  kpki_identity *id = NULL;
  kpki_private_key *key = NULL;
  kpki_csr *csr = NULL;
  if (!OK(kpki_identity_node("node01", &id)) || !OK(kpki_private_key_generate("ecdsa-p256", &key)) ||
      !OK(kpki_csr_generate(id, NULL, 0, key, &csr))) {
    goto out;
  }
  kpki_csr *c = BOGUS;
  kpki_bytes *b = NULL;
  kpki_certificate *cert = NULL;
  const uint8_t *text = (const uint8_t *)"x";
  ERR_NULL(kpki_csr_generate(NULL, NULL, 0, key, &c), "identity");
  CHECK(c == NULL, "out not reset to NULL on failure");
  ERR_NULL(kpki_csr_generate(id, NULL, 1, key, &c), "sans");
  const char *null_san[] = {NULL};
  ERR_NULL(kpki_csr_generate(id, null_san, 1, key, &c), "sans[0]");
  ERR_NULL(kpki_csr_generate(id, NULL, 0, NULL, &c), "key");
  ERR_NULL(kpki_csr_generate(id, NULL, 0, key, NULL), "out");
  ERR_NULL(kpki_csr_from_pem(NULL, 1, &c), "pem");
  ERR_NULL(kpki_csr_from_pem(text, 1, NULL), "out");
  ERR_NULL(kpki_csr_from_der(NULL, 1, &c), "der");
  ERR_NULL(kpki_csr_from_der(text, 1, NULL), "out");
  ERR_NULL(kpki_csr_to_pem(NULL, &b), "csr");
  ERR_NULL(kpki_csr_to_pem(csr, NULL), "out");
  ERR_NULL(kpki_csr_to_der(NULL, &b), "csr");
  ERR_NULL(kpki_csr_to_der(csr, NULL), "out");
  ERR_NULL(kpki_ca_sign_csr(NULL, csr, KUBELET_CLIENT, NULL, 0, 0, &cert), "ca");
  ERR_NULL(kpki_ca_sign_csr(ca, NULL, KUBELET_CLIENT, NULL, 0, 0, &cert), "csr");
  ERR_NULL(kpki_ca_sign_csr(ca, csr, NULL, NULL, 0, 0, &cert), "signer_name");
  ERR_NULL(kpki_ca_sign_csr(ca, csr, KUBELET_CLIENT, NULL, 2, 0, &cert), "usages");
  ERR_NULL(kpki_ca_sign_csr(ca, csr, KUBELET_CLIENT, NULL, 0, 0, NULL), "out");
  kpki_csr_free(NULL);

  /* invalid SAN, bad PEM, garbage DER */
  const char *bad_sans[] = {"ok.example.com", "bad_san!"};
  ERR(kpki_csr_generate(id, bad_sans, 2, key, &c), KPKI_INVALID_SAN, "\"bad_san!\"");
  const char *not_pem = "-----BEGIN CERTIFICATE REQUEST-----\n@@@\n-----END CERTIFICATE REQUEST-----\n";
  ERR(kpki_csr_from_pem((const uint8_t *)not_pem, strlen(not_pem), &c), KPKI_INVALID_PEM,
      "invalid PEM");
  ERR(kpki_csr_from_pem((const uint8_t *)"hello", 5, &c), KPKI_INVALID_PEM, "invalid PEM");
  ERR(kpki_csr_from_der((const uint8_t *)"\x30\x03\x02\x01\x00", 5, &c), KPKI_INVALID_CSR,
      "invalid certificate signing request");
  /* a certificate is not a CSR */
  kpki_bytes *ca_pem = NULL;
  kpki_certificate *ca_cert = NULL;
  if (OK(kpki_ca_certificate(ca, &ca_cert)) && OK(kpki_certificate_to_pem(ca_cert, &ca_pem))) {
    ERR(kpki_csr_from_pem(kpki_bytes_data(ca_pem), kpki_bytes_len(ca_pem), &c), KPKI_INVALID_PEM,
        "CERTIFICATE");
  }
  kpki_bytes_free(ca_pem);
  kpki_certificate_free(ca_cert);
out:
  kpki_csr_free(csr);
  kpki_private_key_free(key);
  kpki_identity_free(id);
}

int main(void) {
  const char *made = make_temp_dir("csr");
  char keep[512];
  snprintf(keep, sizeof keep, "%s", made);
  dir = keep;

  kpki_private_key *ca_key = NULL;
  kpki_ca *ca = NULL;
  kpki_bytes *ca_pem = NULL;
  if (OK(kpki_private_key_generate("ecdsa-p256", &ca_key)) &&
      OK(kpki_ca_new_root("kubernetes", ca_key, 0, &ca)) && OK(kpki_ca_certificate_pem(ca, &ca_pem)) &&
      save("ca.crt", ca_pem)) {
    sign_and_verify(ca);
    openssl_csr(ca);
    error_paths(ca);
  }
  kpki_bytes_free(ca_pem);
  kpki_ca_free(ca);
  kpki_private_key_free(ca_key);
  remove_tree(dir);
  return finish("test_csr");
}
