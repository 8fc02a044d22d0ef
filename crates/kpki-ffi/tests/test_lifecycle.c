/* The PKI after init, from C: the expiry report of a directory written by kpki, as
 * kubeadm's table and its CertificateExpirationInfo JSON (read back with Python's json
 * module), and what expires within a window; renewal that skips what is not due,
 * follows a kubeadm configuration's SANs, and renews a CA with its own key (checked
 * with openssl). */
#include "kpki_test.h"

static char dir_buf[512];

static const char *init_dir(void) {
  snprintf(dir_buf, sizeof dir_buf, "%s", make_temp_dir("lifecycle"));
  kpki_cluster_spec *spec = NULL;
  OK(kpki_cluster_spec_new("node01", "10.0.0.10", &spec));
  OK(kpki_cluster_spec_set_key_algorithm(spec, "ecdsa-p256"));
  OK(kpki_cluster_spec_init_dir(spec, dir_buf, false, NULL));
  kpki_cluster_spec_free(spec);
  return dir_buf;
}

static void expiry(const char *dir) {
  kpki_expiry_report *report = NULL;
  if (!OK(kpki_expiry_report_load(dir, 0, &report))) {
    return;
  }
  kpki_bytes *json = NULL;
  if (OK(kpki_expiry_report_render(report, "json", &json))) {
    const char *path = path_in(dir, "expiry.json");
    CHECK(write_bytes(path, json), "write %s", path);
    /* kubeadm's type, read by another JSON implementation. */
    RUN_OK("python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); "
           "assert d[\"kind\"]==\"CertificateExpirationInfo\"; "
           "assert d[\"apiVersion\"]==\"output.kubeadm.k8s.io/v1alpha3\"; "
           "n=[c[\"name\"] for c in d[\"certificates\"]]; assert n==sorted(n) and len(n)==11, n; "
           "e={c[\"name\"]:c for c in d[\"certificates\"]}[\"etcd-server\"]; "
           "assert e[\"caName\"]==\"etcd-ca\" and not e[\"missing\"] and e[\"residualTime\"]>364*86400; "
           "assert [c[\"name\"] for c in d[\"certificateAuthorities\"]]==[\"ca\",\"etcd-ca\",\"front-proxy-ca\"]' '%s'",
           path);
    kpki_bytes_free(json);
  }
  kpki_bytes *table = NULL;
  if (OK(kpki_expiry_report_render(report, "table", &table))) {
    const char *text = (const char *)kpki_bytes_data(table);
    CHECK(strncmp(text, "CERTIFICATE ", 12) == 0, "table: %s", text);
    CHECK(strstr(text, "\netcd-server ") != NULL, "table: %s", text);
    kpki_bytes_free(table);
  }
  kpki_bytes *yaml = NULL;
  if (OK(kpki_expiry_report_render(report, "yaml", &yaml))) {
    static const char head[] = "apiVersion: output.kubeadm.k8s.io/v1alpha3\ncertificateAuthorities:\n";
    CHECK(strncmp((const char *)kpki_bytes_data(yaml), head, strlen(head)) == 0, "yaml: %s",
          (const char *)kpki_bytes_data(yaml));
    kpki_bytes_free(yaml);
  }

  size_t count = 99;
  OK(kpki_expiry_report_expiring_within(report, 30 * 86400, &count, NULL));
  CHECK(count == 0, "due within 30 days: %zu", count);
  kpki_bytes *names = NULL;
  OK(kpki_expiry_report_expiring_within(report, 366 * 86400, &count, &names));
  CHECK(count == 11, "due within 366 days: %zu", count);
  if (names != NULL) {
    const char *text = (const char *)kpki_bytes_data(names);
    CHECK(strstr(text, "etcd-server\n") != NULL && strstr(text, "admin.conf\n") != NULL &&
              strstr(text, "etcd-ca\n") == NULL,
          "names: %s", text);
    kpki_bytes_free(names);
  }

  kpki_bytes *none = NULL;
  ERR(kpki_expiry_report_render(report, "xml", &none), KPKI_UNKNOWN_CHOICE, "json");
  CHECK(none == NULL, "out stays NULL on failure");
  ERR(kpki_expiry_report_expiring_within(report, 1, NULL, NULL), KPKI_NULL_PARAMETER, "count");
  ERR(kpki_expiry_report_render(NULL, "json", &none), KPKI_NULL_PARAMETER, "report");
  kpki_expiry_report_free(report);

  /* Eleven years on, the CAs have expired too. */
  kpki_expiry_report *later = NULL;
  int64_t eleven_years = (int64_t)time(NULL) + 11LL * 365 * 86400;
  if (OK(kpki_expiry_report_load(dir, eleven_years, &later))) {
    OK(kpki_expiry_report_expiring_within(later, 0, &count, NULL));
    CHECK(count == 14, "expired after eleven years: %zu", count);
    kpki_bytes *t = NULL;
    OK(kpki_expiry_report_render(later, "text", &t));
    CHECK(t != NULL && strstr((const char *)kpki_bytes_data(t), "<invalid>") != NULL, "expired table");
    kpki_bytes_free(t);
  }
  kpki_expiry_report_free(later);
  kpki_expiry_report_free(NULL);

  kpki_expiry_report *missing = NULL;
  ERR(kpki_expiry_report_load(path_in(dir, "nope"), 0, &missing), KPKI_MISSING_FILE, "does not exist");
  CHECK(missing == NULL, "out stays NULL on failure");
}

static const char GROWN[] =
    "apiVersion: kubeadm.k8s.io/v1beta4\n"
    "kind: InitConfiguration\n"
    "localAPIEndpoint:\n"
    "  advertiseAddress: 10.0.0.10\n"
    "nodeRegistration:\n"
    "  name: node01\n"
    "---\n"
    "apiVersion: kubeadm.k8s.io/v1beta4\n"
    "kind: ClusterConfiguration\n"
    "apiServer:\n"
    "  certSANs: [api.example.com]\n";

static void renew(const char *dir) {
  size_t renewed = 99, skipped = 99;
  /* Fresh certificates: nothing is due within 30 days. */
  OK(kpki_dir_renew(dir, NULL, 0, NULL, 0, 30 * 86400, NULL, 0, &renewed, &skipped));
  CHECK(renewed == 0 && skipped == 12 /* kubeadm's 11 and kubelet.conf */, "within 30 days: %zu renewed, %zu skipped", renewed, skipped);

  /* The configuration adds a SAN: the API server's certificate drifted and is renewed. */
  kpki_cluster_spec *grown = NULL;
  if (OK(kpki_cluster_spec_from_kubeadm_yaml((const uint8_t *)GROWN, strlen(GROWN), &grown))) {
    OK(kpki_dir_renew(dir, NULL, 0, "keep", 0, 30 * 86400, grown, 0, &renewed, &skipped));
    CHECK(renewed == 1 && skipped == 11, "drift: %zu renewed, %zu skipped", renewed, skipped);
    RUN_OK("openssl x509 -in '%s/pki/apiserver.crt' -noout -ext subjectAltName | grep -q 'DNS:api.example.com'",
           dir);
    RUN_OK("openssl verify -CAfile '%s/pki/ca.crt' '%s/pki/apiserver.crt' >/dev/null", dir, dir);
  }
  kpki_cluster_spec_free(grown);

  /* etcd's CA renewed with its own key: a leaf it issued before verifies against it. */
  RUN_OK("cp '%s/pki/etcd/server.crt' '%s/old-etcd-server.crt'", dir, dir);
  const char *etcd_ca[] = {"etcd-ca"};
  OK(kpki_dir_renew(dir, etcd_ca, 1, NULL, 0, 0, NULL, 0, &renewed, NULL));
  CHECK(renewed == 1, "etcd-ca: %zu renewed", renewed);
  RUN_OK("openssl verify -CAfile '%s/pki/etcd/ca.crt' '%s/old-etcd-server.crt' >/dev/null", dir, dir);

  const char *nope[] = {"nope"};
  ERR(kpki_dir_renew(dir, nope, 1, NULL, 0, 0, NULL, 0, NULL, NULL), KPKI_NOT_FOUND, "etcd-ca");
  ERR(kpki_dir_renew(dir, NULL, 0, "sometimes", 0, 0, NULL, 0, NULL, NULL), KPKI_UNKNOWN_CHOICE, "rotate");
  ERR(kpki_dir_renew(NULL, NULL, 0, NULL, 0, 0, NULL, 0, NULL, NULL), KPKI_NULL_PARAMETER, "dir");
}

static int pem_count(const char *path, const char *label) {
  char *text = read_file(path, NULL);
  int n = 0;
  char needle[64];
  snprintf(needle, sizeof needle, "-----BEGIN %s-----", label);
  for (const char *p = text; p != NULL && (p = strstr(p, needle)) != NULL; p++) {
    n++;
  }
  free(text);
  return n;
}

static int phase_is(const char *dir, const char *want) {
  kpki_bytes *phase = NULL;
  int ok = OK(kpki_dir_rotation_phase(dir, &phase)) &&
           CHECK(strcmp((const char *)kpki_bytes_data(phase), want) == 0, "phase %s, want %s",
                 (const char *)kpki_bytes_data(phase), want);
  kpki_bytes_free(phase);
  return ok;
}

/* A whole CA rotation from C, checked with openssl at each step. */
static void rotate(const char *dir) {
  char pki[600];
  snprintf(pki, sizeof pki, "%s/pki", dir);
  RUN_OK("cp '%s/apiserver.crt' '%s/old-apiserver.crt' && cp '%s/ca.crt' '%s/old-ca.crt'", pki, dir, pki, dir);
  phase_is(dir, "none");
  ERR(kpki_dir_rotate(dir, "reissue", NULL, 0, 0, NULL), KPKI_ROTATION, "ca rotate start");

  bool done = true;
  OK(kpki_dir_rotate(dir, "start", NULL, 0, 0, &done));
  CHECK(!done, "start did something");
  phase_is(dir, "started");
  CHECK(pem_count(path_in(pki, "ca.crt"), "CERTIFICATE") == 2, "ca.crt holds old + new");
  CHECK(pem_count(path_in(pki, "etcd/ca.crt"), "CERTIFICATE") == 2, "etcd/ca.crt holds old + new");
  CHECK(pem_count(path_in(pki, "sa.pub"), "PUBLIC KEY") == 2, "sa.pub holds both keys");
  RUN_OK("openssl verify -CAfile '%s/ca.crt' '%s/old-apiserver.crt' >/dev/null", pki, dir);
  RUN_OK("cp '%s/ca.crt' '%s/start-bundle.crt'", pki, dir);
  OK(kpki_dir_rotate(dir, "start", NULL, 0, 0, &done));
  CHECK(done, "start again: done already");
  kpki_bytes *ctb = NULL;
  if (OK(kpki_dir_trust_set(dir, "kubernetes", "kpki-kubernetes-ca", &ctb))) {
    CHECK(strstr((const char *)kpki_bytes_data(ctb), "kind: ClusterTrustBundle") != NULL, "ClusterTrustBundle");
    kpki_bytes_free(ctb);
  }

  OK(kpki_dir_rotate(dir, "reissue", NULL, 0, 0, &done));
  phase_is(dir, "reissued");
  RUN_OK("openssl verify -CAfile '%s/start-bundle.crt' '%s/apiserver.crt' >/dev/null", dir, pki);
  CHECK(run("openssl verify -CAfile '%s/old-ca.crt' '%s/apiserver.crt' >/dev/null 2>&1", dir, pki) != 0,
        "the reissued apiserver certificate is not the old CA's");

  OK(kpki_dir_rotate(dir, "finish", NULL, 0, 0, &done));
  phase_is(dir, "finished");
  CHECK(pem_count(path_in(pki, "ca.crt"), "CERTIFICATE") == 1, "ca.crt holds the new CA only");
  CHECK(pem_count(path_in(pki, "sa.pub"), "PUBLIC KEY") == 1, "sa.pub holds the new key only");
  CHECK(run("openssl verify -CAfile '%s/ca.crt' '%s/old-apiserver.crt' >/dev/null 2>&1", pki, dir) != 0,
        "an old leaf no longer verifies after finish");
  RUN_OK("openssl verify -CAfile '%s/ca.crt' '%s/apiserver.crt' >/dev/null", pki, pki);
  ERR(kpki_dir_rotate(dir, "later", NULL, 0, 0, NULL), KPKI_UNKNOWN_CHOICE, "start, reissue, finish");
  const char *bad_role[] = {"kubelet-ish"};
  ERR(kpki_dir_rotate(dir, "start", bad_role, 1, 0, NULL), KPKI_UNKNOWN_CHOICE, "kubelet-ish");
}

int main(void) {
  const char *dir = init_dir();
  expiry(dir);
  renew(dir);
  rotate(dir);
  remove_tree(dir);
  return finish("test_lifecycle");
}
