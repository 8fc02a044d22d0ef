/* CA keys in a PKCS#11 token from C, on SoftHSM: scripts/test-c.sh makes a throw-away
 * token "kpki-c" under its own SOFTHSM2_CONF and passes the PIN file in
 * KPKI_TEST_PKCS11_PIN_FILE. A root made in the token issues a certificate openssl
 * verifies, the same CA loads again from its certificate and URI, and each fault is
 * KPKI_PKCS11 with a message that names it. Without the variable (no SoftHSM) the
 * program says so and passes nothing. */
#include "kpki_test.h"

#define MODULE "/usr/lib/softhsm/libsofthsm2.so"

static const char *dir;
static const char *pin_file;

static const char *uri(const char *token, const char *object) {
  static char buf[1024];
  snprintf(buf, sizeof buf, "pkcs11:token=%s;object=%s?module-path=" MODULE "&pin-source=file:%s",
           token, object, pin_file);
  return buf;
}

static kpki_certificate *issue(const kpki_ca *ca) {
  kpki_identity *id = NULL;
  kpki_leaf_request *req = NULL;
  kpki_private_key *key = NULL;
  kpki_certificate *cert = NULL;
  const char *groups[] = {"dev"};
  if (OK(kpki_identity_user("alice", groups, 1, &id)) &&
      OK(kpki_leaf_request_new(id, "client", &req)) &&
      OK(kpki_private_key_generate("ecdsa-p256", &key))) {
    OK(kpki_ca_issue(ca, req, key, &cert));
  }
  kpki_private_key_free(key);
  kpki_leaf_request_free(req);
  kpki_identity_free(id);
  return cert;
}

static int save_pem(const char *name, kpki_bytes *pem) {
  int ok = CHECK(pem != NULL && write_bytes(path_in(dir, name), pem), "cannot write %s", name);
  kpki_bytes_free(pem);
  return ok;
}

int main(void) {
  pin_file = getenv("KPKI_TEST_PKCS11_PIN_FILE");
  if (pin_file == NULL) {
    printf("test_pkcs11: no SoftHSM token (KPKI_TEST_PKCS11_PIN_FILE unset)\n");
    return 1;
  }
  dir = make_temp_dir("pkcs11");

  const char *algorithms[] = {"rsa-2048", "ecdsa-p256"};
  for (size_t i = 0; i < 2; i++) {
    char object[64];
    snprintf(object, sizeof object, "c-root-%s", algorithms[i]);
    kpki_ca *ca = NULL;
    if (!OK(kpki_ca_new_root_pkcs11("kubernetes", uri("kpki-c", object), algorithms[i], 0, &ca))) {
      continue;
    }
    kpki_bytes *ca_pem = NULL;
    kpki_certificate *leaf = issue(ca);
    kpki_bytes *leaf_pem = NULL;
    if (OK(kpki_ca_certificate_pem(ca, &ca_pem)) && leaf != NULL &&
        OK(kpki_certificate_to_pem(leaf, &leaf_pem))) {
      /* Loaded again from its certificate and URI: the same key in the token. */
      kpki_ca *again = NULL;
      if (OK(kpki_ca_from_pkcs11(uri("kpki-c", object), kpki_bytes_data(ca_pem),
                                 kpki_bytes_len(ca_pem), &again))) {
        kpki_certificate *second = issue(again);
        CHECK(second != NULL && kpki_ca_verify_issued(ca, second) == KPKI_OK,
              "%s: the reloaded CA issues under the same key", algorithms[i]);
        kpki_certificate_free(second);
      }
      kpki_ca_free(again);
      if (save_pem("ca.crt", ca_pem) && save_pem("leaf.crt", leaf_pem)) {
        ca_pem = leaf_pem = NULL;
        RUN_OK("cd '%s' && openssl verify -purpose sslclient -CAfile ca.crt leaf.crt >/dev/null", dir);
      }
    }
    kpki_bytes_free(ca_pem);
    kpki_bytes_free(leaf_pem);
    kpki_certificate_free(leaf);
    kpki_ca_free(ca);
  }

  /* Faults: each KPKI_PKCS11, the message naming the cause and never the PIN. */
  kpki_ca *none = NULL;
  ERR(kpki_ca_new_root_pkcs11("x", "pkcs11:token=kpki-c-faults;object=x?module-path=" MODULE "&pin-value=0000",
                              "ecdsa-p256", 0, &none),
      KPKI_PKCS11, "the token refused the PIN");
  CHECK(strstr(kpki_last_error(), "0000") == NULL, "the PIN is in the message: %s", kpki_last_error());
  ERR(kpki_ca_new_root_pkcs11("x", uri("no-such-token", "x"), "ecdsa-p256", 0, &none), KPKI_PKCS11,
      "no initialised token");
  ERR(kpki_ca_new_root_pkcs11("x", "pkcs11:object=x?module-path=/nonexistent.so", "ecdsa-p256", 0, &none),
      KPKI_PKCS11, "/nonexistent.so");
  ERR(kpki_ca_new_root_pkcs11("x", uri("kpki-c", "c-root-ecdsa-p256"), "rsa-2048", 0, &none), KPKI_PKCS11,
      "not rsa-2048");
  ERR(kpki_ca_new_root_pkcs11("x", "pkcs11:object=x;serial=1?module-path=" MODULE, "ecdsa-p256", 0, &none),
      KPKI_PKCS11, "serial");
  ERR(kpki_ca_from_pkcs11(NULL, (const uint8_t *)"", 0, &none), KPKI_NULL_PARAMETER, "uri");
  CHECK(none == NULL, "*out stays NULL on failure");

  remove_tree(dir);
  printf("test_pkcs11: %d passed, %d failed\n", tests_passed, tests_failed);
  return tests_failed == 0 ? 0 : 1;
}
