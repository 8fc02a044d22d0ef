/* The PKI after init, from C: the expiry report of a directory written by kpki, as
 * kubeadm's table and its CertificateExpirationInfo JSON (read back with Python's json
 * module), and what expires within a window. */
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

int main(void) {
  const char *dir = init_dir();
  expiry(dir);
  remove_tree(dir);
  return finish("test_lifecycle");
}
