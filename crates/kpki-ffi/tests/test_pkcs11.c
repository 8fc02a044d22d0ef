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


/* Every file of `root`/kubernetes and its digest, into `root`/`name`. */
static void tree_sum(const char *root, const char *name) {
  RUN_OK("cd '%s/kubernetes' && find . -type f | sort | xargs sha256sum > '%s/%s'", root, root, name);
}

/* A directory whose three CA keys are in the token, through the directory calls:
 * the CA loads (and signs) with its key's URI and not without; renewing needs the
 * keys (without them KPKI_CA_KEY_UNAVAILABLE and nothing changes); a rotation puts the
 * new CA's key in the token, refusing the old key's URI. */
static void token_directory(void) {
  char root[512], kube[600];
  snprintf(root, sizeof root, "%s", make_temp_dir("pkcs11-dir"));
  snprintf(kube, sizeof kube, "%s/kubernetes", root);
  char keys[3][1200];
  const char *roles[] = {"kubernetes", "etcd", "front-proxy"};
  const char *key_list[3];
  kpki_cluster_spec *spec = NULL;
  if (!OK(kpki_cluster_spec_new("node01", "10.0.0.10", &spec))) {
    return;
  }
  OK(kpki_cluster_spec_set_key_algorithm(spec, "ecdsa-p256"));
  for (size_t i = 0; i < 3; i++) {
    char object[64];
    snprintf(object, sizeof object, "c-dir-%s", roles[i]);
    snprintf(keys[i], sizeof keys[i], "%s=%s", roles[i], uri("kpki-c", object));
    key_list[i] = keys[i];
    OK(kpki_cluster_spec_add_ca_key(spec, keys[i]));
  }
  ERR(kpki_cluster_spec_add_ca_key(spec, "kubernetes=pkcs11:object=x;serial=1?module-path=" MODULE), KPKI_PKCS11,
      "serial");
  ERR(kpki_cluster_spec_add_ca_key(spec, "nobody=pkcs11:object=x"), KPKI_UNKNOWN_CHOICE, "nobody");
  OK(kpki_cluster_spec_init_dir(spec, kube, false, NULL));
  kpki_cluster_spec_free(spec);
  CHECK(access(path_in(kube, "pki/ca.key"), F_OK) != 0, "pki/ca.key was written");

  /* Without the key the CA cannot issue; with it, it signs through the token. */
  kpki_ca *ca = NULL;
  if (OK(kpki_ca_load(kube, "kubernetes", &ca))) {
    kpki_identity *id = NULL;
    kpki_leaf_request *req = NULL;
    kpki_private_key *key = NULL;
    kpki_certificate *cert = NULL;
    if (OK(kpki_identity_user("alice", NULL, 0, &id)) && OK(kpki_leaf_request_new(id, "client", &req)) &&
        OK(kpki_private_key_generate("ecdsa-p256", &key))) {
      ERR(kpki_ca_issue(ca, req, key, &cert), KPKI_CA_KEY_UNAVAILABLE, "external");
    }
    kpki_private_key_free(key);
    kpki_leaf_request_free(req);
    kpki_identity_free(id);
  }
  kpki_ca_free(ca);
  ca = NULL;
  if (OK(kpki_ca_load_with_ca_keys(kube, key_list, 3, "kubernetes", &ca))) {
    kpki_certificate *leaf = issue(ca);
    kpki_bytes *pem = NULL;
    if (CHECK(leaf != NULL, "the token CA issues") && OK(kpki_certificate_to_pem(leaf, &pem)) &&
        save_pem("dir-leaf.crt", pem)) {
      RUN_OK("openssl verify -purpose sslclient -CAfile '%s/pki/ca.crt' '%s/dir-leaf.crt' >/dev/null", kube, dir);
    }
    kpki_certificate_free(leaf);
  }
  kpki_ca_free(ca);

  /* Renewing: every CA's key is needed. */
  size_t renewed = 0;
  tree_sum(root, "before");
  ERR(kpki_dir_renew_with_ca_keys(kube, key_list, 1, NULL, 0, NULL, 0, 0, NULL, 0, &renewed, NULL),
      KPKI_CA_KEY_UNAVAILABLE, "etcd");
  CHECK(strstr(kpki_last_error(), "kpki_dir_renew_with_ca_keys") != NULL, "no hint: %s", kpki_last_error());
  tree_sum(root, "after");
  RUN_OK("cmp -s '%s/before' '%s/after'", root, root);
  if (OK(kpki_dir_renew_with_ca_keys(kube, key_list, 3, NULL, 0, NULL, 0, 0, NULL, 0, &renewed, NULL))) {
    CHECK(renewed >= 10, "renewed %zu", renewed);
    RUN_OK("openssl verify -purpose sslserver -CAfile '%s/pki/etcd/ca.crt' '%s/pki/etcd/server.crt' >/dev/null",
           kube, kube);
  }

  /* Rotation of the kubernetes CA into a new token object. */
  const char *kubernetes_only[] = {"kubernetes"};
  ERR(kpki_dir_rotate_with_ca_keys(kube, key_list, 1, "start", kubernetes_only, 1, 0, NULL), KPKI_PKCS11,
      "name another object");
  char next[1200];
  snprintf(next, sizeof next, "kubernetes=%s", uri("kpki-c", "c-dir-kubernetes-2"));
  const char *next_key[] = {next};
  bool done = true;
  OK(kpki_dir_rotate_with_ca_keys(kube, next_key, 1, "start", kubernetes_only, 1, 0, &done));
  CHECK(!done, "start was done already");
  OK(kpki_dir_rotate_with_ca_keys(kube, NULL, 0, "reissue", NULL, 0, 0, NULL));
  OK(kpki_dir_rotate_with_ca_keys(kube, NULL, 0, "finish", NULL, 0, 0, NULL));
  CHECK(access(path_in(kube, "pki/ca.key"), F_OK) != 0, "pki/ca.key was written by the rotation");
  RUN_OK("openssl verify -purpose sslserver -CAfile '%s/pki/ca.crt' '%s/pki/apiserver.crt' >/dev/null", kube, kube);
  ca = NULL;
  ERR(kpki_ca_load_with_ca_keys(kube, key_list, 1, "kubernetes", &ca), KPKI_KEY_MISMATCH, "c-dir-kubernetes");
  if (OK(kpki_ca_load_with_ca_keys(kube, next_key, 1, "kubernetes", &ca))) {
    kpki_certificate *leaf = issue(ca);
    CHECK(leaf != NULL && kpki_ca_verify_issued(ca, leaf) == KPKI_OK, "the rotated CA signs with its new key");
    kpki_certificate_free(leaf);
  }
  kpki_ca_free(ca);
  remove_tree(root);
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

  token_directory();

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
