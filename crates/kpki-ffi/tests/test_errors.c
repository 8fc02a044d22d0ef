/* Every error path: NULL arguments (each pointer of each function), invalid UTF-8, bad
 * PEM, invalid SANs and names, unknown choices, mismatched keys, missing files — each
 * checked for its status code and its message. Also: out-parameters are NULL after a
 * failure, *_free(NULL) is harmless, and the last error is per thread. */
#include "kpki_test.h" /* first: it sets _POSIX_C_SOURCE */

#include <threads.h>

#define BOGUS ((void *)0x1) /* a non-NULL marker that failures must overwrite with NULL */

/* ERR_NULL(call, "argument"): KPKI_NULL_PARAMETER naming the argument. */
#define ERR_NULL(call, arg) ERR((call), KPKI_NULL_PARAMETER, "argument `" arg "` is NULL")

static const char NOT_PEM[] = "this is not PEM";
static const char BROKEN_PEM[] =
    "-----BEGIN CERTIFICATE-----\nMIIB!!!notbase64\n-----END CERTIFICATE-----\n";
static const char BAD_UTF8[] = {'n', 'o', (char)0xff, 'd', 'e', 0};

static void null_arguments(kpki_ca *ca, kpki_private_key *key, kpki_identity *id,
                           kpki_leaf_request *req, kpki_certificate *cert,
                           kpki_cluster_spec *spec, kpki_cluster_pki *pki) {
  const uint8_t *pem = (const uint8_t *)NOT_PEM;
  kpki_private_key *k = BOGUS;
  kpki_bytes *b = BOGUS;
  kpki_identity *i = BOGUS;
  kpki_certificate *c = BOGUS;
  kpki_ca *a = BOGUS;
  kpki_leaf_request *r = BOGUS;
  kpki_cluster_spec *s = BOGUS;
  kpki_cluster_pki *p = BOGUS;

  /* keys */
  ERR_NULL(kpki_private_key_generate(NULL, &k), "algorithm");
  CHECK(k == NULL, "out not reset to NULL on failure");
  ERR_NULL(kpki_private_key_generate("ecdsa-p256", NULL), "out");
  ERR_NULL(kpki_private_key_from_pem(NULL, 3, &k), "pem");
  ERR_NULL(kpki_private_key_from_pem(pem, 3, NULL), "out");
  ERR_NULL(kpki_private_key_to_pem(NULL, &b), "key");
  CHECK(b == NULL, "out not reset to NULL on failure");
  ERR_NULL(kpki_private_key_to_pem(key, NULL), "out");
  ERR_NULL(kpki_private_key_to_pkcs8_pem(NULL, &b), "key");
  ERR_NULL(kpki_private_key_to_pkcs8_pem(key, NULL), "out");
  ERR_NULL(kpki_private_key_public_key_pem(NULL, &b), "key");
  ERR_NULL(kpki_private_key_public_key_pem(key, NULL), "out");
  CHECK(kpki_private_key_algorithm(NULL) == NULL, "algorithm of NULL");

  /* identities */
  ERR_NULL(kpki_identity_node(NULL, &i), "node_name");
  CHECK(i == NULL, "out not reset to NULL on failure");
  ERR_NULL(kpki_identity_node("node01", NULL), "out");
  ERR_NULL(kpki_identity_user(NULL, NULL, 0, &i), "name");
  ERR_NULL(kpki_identity_user("alice", NULL, 2, &i), "groups");
  const char *groups_with_null[] = {"dev", NULL};
  ERR_NULL(kpki_identity_user("alice", groups_with_null, 2, &i), "groups[1]");
  ERR_NULL(kpki_identity_user("alice", NULL, 0, NULL), "out");
  ERR_NULL(kpki_identity_new(NULL, NULL, 0, &i), "common_name");
  ERR_NULL(kpki_identity_new("cn", NULL, 1, &i), "organizations");
  ERR_NULL(kpki_identity_new("cn", NULL, 0, NULL), "out");
  ERR_NULL(kpki_identity_component(NULL, "current", &i), "component");
  ERR_NULL(kpki_identity_component("kube-scheduler", NULL, &i), "profile");
  ERR_NULL(kpki_identity_component("kube-scheduler", "current", NULL), "out");
  ERR_NULL(kpki_identity_to_string(NULL, &b), "identity");
  ERR_NULL(kpki_identity_to_string(id, NULL), "out");

  /* certificates */
  ERR_NULL(kpki_certificate_from_pem(NULL, 3, &c), "pem");
  CHECK(c == NULL, "out not reset to NULL on failure");
  ERR_NULL(kpki_certificate_from_pem(pem, 3, NULL), "out");
  ERR_NULL(kpki_certificate_to_pem(NULL, &b), "certificate");
  ERR_NULL(kpki_certificate_to_pem(cert, NULL), "out");
  ERR_NULL(kpki_certificate_to_der(NULL, &b), "certificate");
  ERR_NULL(kpki_certificate_to_der(cert, NULL), "out");

  /* CAs and requests */
  ERR_NULL(kpki_ca_new_root(NULL, key, 0, &a), "common_name");
  CHECK(a == NULL, "out not reset to NULL on failure");
  ERR_NULL(kpki_ca_new_root("ca", NULL, 0, &a), "key");
  ERR_NULL(kpki_ca_new_root("ca", key, 0, NULL), "out");
  ERR_NULL(kpki_ca_new_intermediate(NULL, key, ca, 0, &a), "common_name");
  ERR_NULL(kpki_ca_new_intermediate("mid", NULL, ca, 0, &a), "key");
  ERR_NULL(kpki_ca_new_intermediate("mid", key, NULL, 0, &a), "parent");
  ERR_NULL(kpki_ca_new_intermediate("mid", key, ca, 0, NULL), "out");
  ERR_NULL(kpki_ca_from_pem(NULL, 1, pem, 1, &a), "cert_pem");
  ERR_NULL(kpki_ca_from_pem(pem, 1, NULL, 1, &a), "key_pem");
  ERR_NULL(kpki_ca_from_pem(pem, 1, pem, 1, NULL), "out");
  ERR_NULL(kpki_ca_load(NULL, "kubernetes", &a), "dir");
  ERR_NULL(kpki_ca_load("/nonexistent", NULL, &a), "role");
  ERR_NULL(kpki_ca_load("/nonexistent", "kubernetes", NULL), "out");
  ERR_NULL(kpki_ca_certificate(NULL, &c), "ca");
  ERR_NULL(kpki_ca_certificate(ca, NULL), "out");
  ERR_NULL(kpki_ca_certificate_pem(NULL, &b), "ca");
  ERR_NULL(kpki_ca_certificate_pem(ca, NULL), "out");
  ERR_NULL(kpki_ca_private_key(NULL, &k), "ca");
  ERR_NULL(kpki_ca_private_key(ca, NULL), "out");
  ERR_NULL(kpki_ca_issue(NULL, req, key, &c), "ca");
  ERR_NULL(kpki_ca_issue(ca, NULL, key, &c), "request");
  ERR_NULL(kpki_ca_issue(ca, req, NULL, &c), "key");
  ERR_NULL(kpki_ca_issue(ca, req, key, NULL), "out");
  ERR_NULL(kpki_ca_verify_issued(NULL, cert), "ca");
  ERR_NULL(kpki_ca_verify_issued(ca, NULL), "certificate");
  ERR_NULL(kpki_leaf_request_new(NULL, "client", &r), "identity");
  CHECK(r == NULL, "out not reset to NULL on failure");
  ERR_NULL(kpki_leaf_request_new(id, NULL, &r), "profile");
  ERR_NULL(kpki_leaf_request_new(id, "client", NULL), "out");
  ERR_NULL(kpki_leaf_request_add_san(NULL, "a.example"), "request");
  ERR_NULL(kpki_leaf_request_add_san(req, NULL), "san");
  ERR_NULL(kpki_leaf_request_set_validity_seconds(NULL, 60), "request");
  ERR_NULL(kpki_leaf_request_set_compatibility(NULL, "current"), "request");
  ERR_NULL(kpki_leaf_request_set_compatibility(req, NULL), "profile");

  /* cluster specs and PKIs */
  ERR_NULL(kpki_cluster_spec_new(NULL, "10.0.0.10", &s), "node_name");
  CHECK(s == NULL, "out not reset to NULL on failure");
  ERR_NULL(kpki_cluster_spec_new("node01", NULL, &s), "advertise_address");
  ERR_NULL(kpki_cluster_spec_new("node01", "10.0.0.10", NULL), "out");
  ERR_NULL(kpki_cluster_spec_from_kubeadm_config(NULL, &s), "path");
  ERR_NULL(kpki_cluster_spec_from_kubeadm_config("/x.yaml", NULL), "out");
  ERR_NULL(kpki_cluster_spec_from_kubeadm_yaml(NULL, 1, &s), "yaml");
  ERR_NULL(kpki_cluster_spec_from_kubeadm_yaml(pem, 1, NULL), "out");
  ERR_NULL(kpki_cluster_spec_set_node_name(NULL, "node01"), "spec");
  ERR_NULL(kpki_cluster_spec_set_node_name(spec, NULL), "node_name");
  ERR_NULL(kpki_cluster_spec_set_advertise_address(NULL, "10.0.0.1"), "spec");
  ERR_NULL(kpki_cluster_spec_set_advertise_address(spec, NULL), "address");
  ERR_NULL(kpki_cluster_spec_set_bind_port(NULL, 6443), "spec");
  ERR_NULL(kpki_cluster_spec_set_control_plane_endpoint(NULL, "cp:6443"), "spec");
  ERR_NULL(kpki_cluster_spec_set_control_plane_endpoint(spec, NULL), "endpoint");
  ERR_NULL(kpki_cluster_spec_set_service_cidr(NULL, "10.96.0.0/12"), "spec");
  ERR_NULL(kpki_cluster_spec_set_service_cidr(spec, NULL), "cidrs");
  ERR_NULL(kpki_cluster_spec_set_dns_domain(NULL, "cluster.local"), "spec");
  ERR_NULL(kpki_cluster_spec_set_dns_domain(spec, NULL), "domain");
  ERR_NULL(kpki_cluster_spec_add_apiserver_extra_san(NULL, "a.example"), "spec");
  ERR_NULL(kpki_cluster_spec_add_apiserver_extra_san(spec, NULL), "san");
  ERR_NULL(kpki_cluster_spec_set_key_algorithm(NULL, "ecdsa-p256"), "spec");
  ERR_NULL(kpki_cluster_spec_set_key_algorithm(spec, NULL), "algorithm");
  ERR_NULL(kpki_cluster_spec_set_profile(NULL, "current"), "spec");
  ERR_NULL(kpki_cluster_spec_set_profile(spec, NULL), "profile");
  ERR_NULL(kpki_cluster_spec_set_cluster_name(NULL, "k"), "spec");
  ERR_NULL(kpki_cluster_spec_set_cluster_name(spec, NULL), "name");
  ERR_NULL(kpki_cluster_spec_add_worker(NULL, "node02"), "spec");
  ERR_NULL(kpki_cluster_spec_add_worker(spec, NULL), "node_name");
  ERR_NULL(kpki_cluster_spec_set_validity_seconds(NULL, 1, 1), "spec");
  ERR_NULL(kpki_cluster_spec_set_kube_proxy(NULL, true), "spec");
  ERR_NULL(kpki_cluster_spec_generate(NULL, &p), "spec");
  CHECK(p == NULL, "out not reset to NULL on failure");
  ERR_NULL(kpki_cluster_spec_generate(spec, NULL), "out");
  ERR_NULL(kpki_cluster_spec_init_dir(NULL, "/tmp/x", false, NULL), "spec");
  ERR_NULL(kpki_cluster_spec_init_dir(spec, NULL, false, NULL), "dir");
  ERR_NULL(kpki_cluster_pki_write(NULL, "/tmp/x", false), "pki");
  ERR_NULL(kpki_cluster_pki_write(pki, NULL, false), "dir");
  ERR_NULL(kpki_cluster_pki_ca(NULL, "kubernetes", &a), "pki");
  ERR_NULL(kpki_cluster_pki_ca(pki, NULL, &a), "role");
  ERR_NULL(kpki_cluster_pki_ca(pki, "kubernetes", NULL), "out");
  ERR_NULL(kpki_cluster_pki_certificate(NULL, "apiserver", &c), "pki");
  ERR_NULL(kpki_cluster_pki_certificate(pki, NULL, &c), "name");
  ERR_NULL(kpki_cluster_pki_certificate(pki, "apiserver", NULL), "out");
  ERR_NULL(kpki_cluster_pki_private_key(NULL, "apiserver", &k), "pki");
  ERR_NULL(kpki_cluster_pki_private_key(pki, NULL, &k), "name");
  ERR_NULL(kpki_cluster_pki_private_key(pki, "apiserver", NULL), "out");

  /* infallible accessors and frees tolerate NULL */
  CHECK(kpki_bytes_data(NULL) == NULL && kpki_bytes_len(NULL) == 0, "bytes accessors of NULL");
  kpki_bytes_free(NULL);
  kpki_private_key_free(NULL);
  kpki_identity_free(NULL);
  kpki_certificate_free(NULL);
  kpki_ca_free(NULL);
  kpki_leaf_request_free(NULL);
  kpki_cluster_spec_free(NULL);
  kpki_cluster_pki_free(NULL);
}

static void bad_input(kpki_ca *ca, kpki_private_key *key, kpki_identity *id,
                      kpki_leaf_request *req, kpki_cluster_spec *spec, kpki_cluster_pki *pki,
                      const char *tmp) {
  kpki_private_key *k = BOGUS;
  kpki_certificate *c = BOGUS;
  kpki_ca *a = BOGUS;
  kpki_identity *i = BOGUS;
  kpki_leaf_request *r = BOGUS;
  kpki_cluster_spec *s = BOGUS;

  /* bad PEM */
  ERR(kpki_certificate_from_pem((const uint8_t *)NOT_PEM, strlen(NOT_PEM), &c), KPKI_INVALID_PEM,
      "invalid PEM");
  CHECK(c == NULL, "out not reset to NULL on failure");
  ERR(kpki_certificate_from_pem((const uint8_t *)BROKEN_PEM, strlen(BROKEN_PEM), &c),
      KPKI_INVALID_PEM, "certificate: invalid PEM");
  ERR(kpki_certificate_from_pem((const uint8_t *)"\xff\xfe", 2, &c), KPKI_INVALID_PEM,
      "not text");
  ERR(kpki_private_key_from_pem((const uint8_t *)NOT_PEM, strlen(NOT_PEM), &k), KPKI_INVALID_PEM,
      "invalid PEM");
  CHECK(k == NULL, "out not reset to NULL on failure");
  ERR(kpki_ca_from_pem((const uint8_t *)BROKEN_PEM, strlen(BROKEN_PEM), (const uint8_t *)NOT_PEM,
                       strlen(NOT_PEM), &a),
      KPKI_INVALID_PEM, "CA certificate: invalid PEM");
  CHECK(a == NULL, "out not reset to NULL on failure");

  /* a certificate PEM where a key belongs, a key that does not match, a non-CA */
  kpki_bytes *ca_pem = NULL, *key_pem = NULL, *leaf_pem = NULL;
  kpki_private_key *other = NULL;
  kpki_certificate *leaf = NULL;
  if (OK(kpki_ca_certificate_pem(ca, &ca_pem)) &&
      OK(kpki_private_key_generate("ecdsa-p256", &other)) &&
      OK(kpki_private_key_to_pem(other, &key_pem)) && OK(kpki_ca_issue(ca, req, key, &leaf)) &&
      OK(kpki_certificate_to_pem(leaf, &leaf_pem))) {
    ERR(kpki_private_key_from_pem(kpki_bytes_data(ca_pem), kpki_bytes_len(ca_pem), &k),
        KPKI_INVALID_PEM, "CERTIFICATE");
    ERR(kpki_ca_from_pem(kpki_bytes_data(ca_pem), kpki_bytes_len(ca_pem),
                         kpki_bytes_data(key_pem), kpki_bytes_len(key_pem), &a),
        KPKI_KEY_MISMATCH, "does not match the private key");
    ERR(kpki_ca_from_pem(kpki_bytes_data(leaf_pem), kpki_bytes_len(leaf_pem),
                         kpki_bytes_data(key_pem), kpki_bytes_len(key_pem), &a),
        KPKI_NOT_A_CERTIFICATE_AUTHORITY, "not a certificate authority");
    /* a certificate issued by someone else */
    kpki_ca *stranger = NULL;
    if (OK(kpki_ca_new_root("stranger", other, 0, &stranger))) {
      ERR(kpki_ca_verify_issued(stranger, leaf), KPKI_INVALID_SUPPLIED_CERTIFICATE, "");
    }
    kpki_ca_free(stranger);
  }
  kpki_certificate_free(leaf);
  kpki_bytes_free(leaf_pem);
  kpki_bytes_free(key_pem);
  kpki_bytes_free(ca_pem);
  kpki_private_key_free(other);

  /* invalid SANs: the value at fault is in the message; the request is unchanged */
  ERR(kpki_leaf_request_add_san(req, "bad_san!"), KPKI_INVALID_SAN, "\"bad_san!\"");
  ERR(kpki_leaf_request_add_san(req, ""), KPKI_INVALID_SAN, "invalid subject alternative name");
  ERR(kpki_leaf_request_add_san(req, "-leading-hyphen.example"), KPKI_INVALID_SAN,
      "-leading-hyphen.example");
  ERR(kpki_cluster_spec_add_apiserver_extra_san(spec, "under_score.example.com"),
      KPKI_INVALID_SAN, "under_score.example.com");
  ERR(kpki_cluster_spec_set_dns_domain(spec, "bad domain"), KPKI_INVALID_SAN, "bad domain");

  /* invalid names */
  ERR(kpki_identity_node("Node_01", &i), KPKI_INVALID_NAME, "invalid node name \"Node_01\"");
  CHECK(i == NULL, "out not reset to NULL on failure");
  ERR(kpki_identity_user("", NULL, 0, &i), KPKI_INVALID_NAME, "must not be empty");
  const char *bad_groups[] = {"dev", "o\tps"};
  ERR(kpki_identity_user("alice", bad_groups, 2, &i), KPKI_INVALID_NAME,
      "invalid organization");
  ERR(kpki_identity_new("0123456789012345678901234567890123456789012345678901234567890123456789",
                        NULL, 0, &i),
      KPKI_INVALID_NAME, "at most 64");
  ERR(kpki_cluster_spec_new("UPPER", "10.0.0.10", &s), KPKI_INVALID_NAME, "\"UPPER\"");
  CHECK(s == NULL, "out not reset to NULL on failure");
  ERR(kpki_cluster_spec_add_worker(spec, "bad..name"), KPKI_INVALID_NAME, "bad..name");
  ERR(kpki_cluster_spec_set_node_name(spec, BAD_UTF8), KPKI_INVALID_UTF8,
      "argument `node_name` is not valid UTF-8");

  /* invalid network settings */
  ERR(kpki_cluster_spec_new("node01", "10.0.0.300", &s), KPKI_INVALID_NETWORK,
      "advertise address \"10.0.0.300\"");
  ERR(kpki_cluster_spec_set_advertise_address(spec, "not-an-ip"), KPKI_INVALID_NETWORK,
      "not-an-ip");
  ERR(kpki_cluster_spec_set_service_cidr(spec, "10.96.0.0/40"), KPKI_INVALID_NETWORK,
      "10.96.0.0/40");
  ERR(kpki_cluster_spec_set_control_plane_endpoint(spec, "cp.example:99999"),
      KPKI_INVALID_NETWORK, "99999");

  /* unknown choices list the valid ones */
  ERR(kpki_private_key_generate("dsa-1024", &k), KPKI_UNKNOWN_CHOICE,
      "rsa-2048, rsa-3072, rsa-4096, ecdsa-p256, ecdsa-p384, ed25519");
  ERR(kpki_cluster_spec_set_key_algorithm(spec, "rsa-1024"), KPKI_UNKNOWN_CHOICE, "rsa-1024");
  ERR(kpki_cluster_spec_set_profile(spec, "kubeadm-1.20"), KPKI_UNKNOWN_CHOICE,
      "current, kubeadm-1.28");
  ERR(kpki_identity_component("kube-dns", "current", &i), KPKI_UNKNOWN_CHOICE,
      "kube-controller-manager");
  ERR(kpki_leaf_request_new(id, "ca", &r), KPKI_UNKNOWN_CHOICE, "server-and-client");
  CHECK(r == NULL, "out not reset to NULL on failure");
  ERR(kpki_leaf_request_set_compatibility(req, "old"), KPKI_UNKNOWN_CHOICE, "kubeadm-1.28");
  ERR(kpki_cluster_pki_ca(pki, "dns", &a), KPKI_UNKNOWN_CHOICE, "front-proxy");
  ERR(kpki_ca_load(tmp, "nope", &a), KPKI_UNKNOWN_CHOICE, "kubernetes, etcd");

  /* names that do not exist */
  ERR(kpki_cluster_pki_certificate(pki, "nginx", &c), KPKI_NOT_FOUND, "apiserver");
  ERR(kpki_cluster_pki_private_key(pki, "nginx", &k), KPKI_NOT_FOUND, "no certificate named");
  ERR(kpki_ca_load(tmp, "kubernetes", &a), KPKI_NOT_FOUND, "ca.crt");

  /* files */
  ERR(kpki_cluster_spec_from_kubeadm_config("/nonexistent/kubeadm.yaml", &s), KPKI_IO,
      "/nonexistent/kubeadm.yaml");
  const char *bad_config =
      "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\nlocalAPIEndpoint:\n"
      "  advertiseAddress: 10.0.0.10\nnodeRegistration:\n  name: node01\n---\n"
      "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nnetworking:\n"
      "  serviceSubnet: 10.96.0.0/40\n";
  char config_path[600];
  snprintf(config_path, sizeof config_path, "%s/bad.yaml", tmp);
  if (CHECK(write_file(config_path, (const uint8_t *)bad_config, strlen(bad_config)), "write")) {
    ERR(kpki_cluster_spec_from_kubeadm_config(config_path, &s), KPKI_KUBEADM_CONFIG,
        "networking.serviceSubnet");
    ERR(kpki_cluster_spec_from_kubeadm_config(config_path, &s), KPKI_KUBEADM_CONFIG, "bad.yaml");
  }
  const char *no_node = "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n";
  ERR(kpki_cluster_spec_from_kubeadm_yaml((const uint8_t *)no_node, strlen(no_node), &s),
      KPKI_KUBEADM_CONFIG, "nodeRegistration.name");
  CHECK(s == NULL, "out not reset to NULL on failure");
  /* a file where a directory is needed */
  ERR(kpki_cluster_pki_write(pki, config_path, false), KPKI_IO, "bad.yaml");

  /* an empty cluster name is refused when it is set, and the spec stays as it was */
  kpki_cluster_spec *unnamed = NULL;
  kpki_cluster_pki *named = NULL;
  if (OK(kpki_cluster_spec_new("node01", "10.0.0.10", &unnamed))) {
    ERR(kpki_cluster_spec_set_cluster_name(unnamed, ""), KPKI_INVALID_NAME, "cluster name");
    /* settings that only fail together are refused by the call that completes them */
    OK(kpki_cluster_spec_add_worker(unnamed, "node02"));
    ERR(kpki_cluster_spec_add_worker(unnamed, "node02"), KPKI_INVALID_SPEC, "twice");
    ERR(kpki_cluster_spec_set_validity_seconds(unnamed, 60, 0), KPKI_INVALID_VALIDITY, "60");
    ERR(kpki_cluster_spec_set_bind_port(unnamed, 0), KPKI_INVALID_NETWORK, "port");
    if (OK(kpki_cluster_spec_generate(unnamed, &named))) {
      kpki_certificate *admin = NULL;
      OK(kpki_cluster_pki_certificate(named, "nodes/node02", &admin));
      kpki_certificate_free(admin);
    }
  }
  kpki_cluster_pki_free(named);
  kpki_cluster_spec_free(unnamed);

  /* a leaf request still issues after all those refused edits */
  kpki_certificate *still = NULL;
  OK(kpki_ca_issue(ca, req, key, &still));
  kpki_certificate_free(still);
}

/* The last error belongs to the thread that made the call. */
static int other_thread(void *arg) {
  (void)arg;
  kpki_private_key *k = NULL;
  kpki_result rc = kpki_private_key_generate("bogus-in-thread", &k);
  int ok = rc == KPKI_UNKNOWN_CHOICE && strstr(kpki_last_error(), "bogus-in-thread") != NULL;
  return ok ? 0 : 1;
}

static void per_thread_errors(void) {
  kpki_identity *i = NULL;
  ERR(kpki_identity_node("Main_Thread", &i), KPKI_INVALID_NAME, "Main_Thread");
  thrd_t t;
  int thread_result = -1;
  if (CHECK(thrd_create(&t, other_thread, NULL) == thrd_success, "thrd_create")) {
    CHECK(thrd_join(t, &thread_result) == thrd_success && thread_result == 0,
          "error in the other thread");
  }
  CHECK(strstr(kpki_last_error(), "Main_Thread") != NULL,
        "the main thread's last error changed: %s", kpki_last_error());
  /* a success clears it */
  OK(kpki_identity_node("node01", &i));
  CHECK(kpki_last_error()[0] == '\0', "last error not cleared by a success");
  kpki_identity_free(i);
  CHECK(strcmp(kpki_result_name(KPKI_INVALID_SAN), "KPKI_INVALID_SAN") == 0, "result name");
  CHECK(strcmp(kpki_result_name(12345), "KPKI_UNKNOWN_RESULT") == 0, "unknown result name");
}

int main(void) {
  const char *made = make_temp_dir("errors");
  char tmp[512];
  snprintf(tmp, sizeof tmp, "%s", made);

  kpki_private_key *key = NULL;
  kpki_ca *ca = NULL;
  kpki_identity *id = NULL;
  kpki_leaf_request *req = NULL;
  kpki_certificate *cert = NULL;
  kpki_cluster_spec *spec = NULL;
  kpki_cluster_pki *pki = NULL;
  if (OK(kpki_private_key_generate("ecdsa-p256", &key)) &&
      OK(kpki_ca_new_root("errors-ca", key, 0, &ca)) && OK(kpki_identity_node("node01", &id)) &&
      OK(kpki_leaf_request_new(id, "client", &req)) && OK(kpki_ca_issue(ca, req, key, &cert)) &&
      OK(kpki_cluster_spec_new("node01", "10.0.0.10", &spec)) &&
      OK(kpki_cluster_spec_set_key_algorithm(spec, "ecdsa-p256")) &&
      OK(kpki_cluster_spec_generate(spec, &pki))) {
    null_arguments(ca, key, id, req, cert, spec, pki);
    bad_input(ca, key, id, req, spec, pki, tmp);
    per_thread_errors();
  }
  kpki_cluster_pki_free(pki);
  kpki_cluster_spec_free(spec);
  kpki_certificate_free(cert);
  kpki_leaf_request_free(req);
  kpki_identity_free(id);
  kpki_ca_free(ca);
  kpki_private_key_free(key);
  remove_tree(tmp);
  return finish("test_errors");
}
