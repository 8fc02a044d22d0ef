/* A full cluster PKI from C: a spec set field by field and one read from a kubeadm
 * configuration file, written in kubeadm's layout, checked with openssl. */
#include "kpki_test.h"

static int openssl_verify(const char *root, const char *ca, const char *purpose,
                          const char *certs) {
  return RUN_OK("cd '%s' && openssl verify -purpose %s -CAfile %s %s >/dev/null", root,
                purpose, ca, certs);
}

static int san_contains(const char *root, const char *cert, const char *san) {
  return RUN_OK("openssl x509 -in '%s/%s' -noout -ext subjectAltName | grep -qF '%s'", root,
                cert, san);
}

static int subject_is(const char *root, const char *cert, const char *subject) {
  return RUN_OK("openssl x509 -in '%s/%s' -noout -subject -nameopt oneline | grep -qxF 'subject=%s'",
                root, cert, subject);
}

static void check_kubeadm_files(const char *root) {
  static const char *files[] = {
      "pki/ca.crt", "pki/ca.key", "pki/apiserver.crt", "pki/apiserver.key",
      "pki/apiserver-kubelet-client.crt", "pki/front-proxy-ca.crt", "pki/front-proxy-client.crt",
      "pki/etcd/ca.crt", "pki/etcd/server.crt", "pki/etcd/peer.crt",
      "pki/etcd/healthcheck-client.crt", "pki/apiserver-etcd-client.crt", "pki/sa.key",
      "pki/sa.pub", "admin.conf", "super-admin.conf", "kubelet.conf",
      "controller-manager.conf", "scheduler.conf"};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    CHECK(file_mode(path_in(root, files[i])) >= 0, "%s/%s missing", root, files[i]);
  }
  CHECK(file_mode(path_in(root, "pki/ca.key")) == 0600, "ca.key mode %o",
        file_mode(path_in(root, "pki/ca.key")));
  CHECK(file_mode(path_in(root, "pki/apiserver.key")) == 0600, "apiserver.key mode");
  CHECK(file_mode(path_in(root, "admin.conf")) == 0600, "admin.conf mode");
}

static void check_chains(const char *root) {
  openssl_verify(root, "pki/ca.crt", "sslserver", "pki/apiserver.crt");
  openssl_verify(root, "pki/ca.crt", "sslclient", "pki/apiserver-kubelet-client.crt");
  openssl_verify(root, "pki/etcd/ca.crt", "sslserver",
                 "pki/etcd/server.crt pki/etcd/peer.crt");
  openssl_verify(root, "pki/etcd/ca.crt", "sslclient",
                 "pki/etcd/peer.crt pki/etcd/healthcheck-client.crt pki/apiserver-etcd-client.crt");
  openssl_verify(root, "pki/front-proxy-ca.crt", "sslclient", "pki/front-proxy-client.crt");
  /* The apiserver certificate must not verify under another CA. */
  CHECK(run("cd '%s' && openssl verify -CAfile pki/etcd/ca.crt pki/apiserver.crt >/dev/null 2>&1",
            root) != 0,
        "apiserver.crt verified under the etcd CA");
}

/* A spec set field by field: node, address, endpoint, CIDRs, DNS domain, extra SANs,
 * key algorithm, profile, workers. */
static void field_by_field(void) {
  const char *root = make_temp_dir("fields");
  char dir[512];
  snprintf(dir, sizeof dir, "%s", root);

  kpki_cluster_spec *spec = NULL;
  kpki_cluster_pki *pki = NULL;
  kpki_ca *ca = NULL;
  if (!OK(kpki_cluster_spec_new("bootstrap", "10.9.9.9", &spec))) {
    goto out;
  }
  OK(kpki_cluster_spec_set_node_name(spec, "node01"));
  OK(kpki_cluster_spec_set_advertise_address(spec, "10.0.0.10"));
  OK(kpki_cluster_spec_set_bind_port(spec, 6443));
  OK(kpki_cluster_spec_set_control_plane_endpoint(spec, "cp.example.internal:6443"));
  OK(kpki_cluster_spec_set_service_cidr(spec, "10.96.0.0/12,fd00:10:96::/112"));
  OK(kpki_cluster_spec_set_dns_domain(spec, "corp.local"));
  OK(kpki_cluster_spec_add_apiserver_extra_san(spec, "extra.example.com"));
  OK(kpki_cluster_spec_add_apiserver_extra_san(spec, "192.0.2.7"));
  OK(kpki_cluster_spec_set_key_algorithm(spec, "ecdsa-p256"));
  OK(kpki_cluster_spec_set_profile(spec, "current"));
  OK(kpki_cluster_spec_set_cluster_name(spec, "kubernetes"));
  OK(kpki_cluster_spec_add_worker(spec, "node02"));
  OK(kpki_cluster_spec_add_worker(spec, "node03"));
  OK(kpki_cluster_spec_set_validity_seconds(spec, 30 * 86400, 0));
  OK(kpki_cluster_spec_set_kube_proxy(spec, false));
  if (!OK(kpki_cluster_spec_init_dir(spec, dir, false, &pki))) {
    goto out;
  }

  check_kubeadm_files(dir);
  check_chains(dir);
  openssl_verify(dir, "pki/ca.crt", "sslclient", "nodes/node02.crt nodes/node03.crt");
  openssl_verify(dir, "pki/ca.crt", "sslserver", "nodes/serving/node02.crt");
  san_contains(dir, "pki/apiserver.crt", "DNS:extra.example.com");
  san_contains(dir, "pki/apiserver.crt", "IP Address:192.0.2.7");
  san_contains(dir, "pki/apiserver.crt", "DNS:kubernetes.default.svc.corp.local");
  san_contains(dir, "pki/apiserver.crt", "DNS:cp.example.internal");
  san_contains(dir, "pki/apiserver.crt", "DNS:node01");
  san_contains(dir, "pki/apiserver.crt", "IP Address:10.96.0.1");
  san_contains(dir, "pki/apiserver.crt", "IP Address:10.0.0.10");
  san_contains(dir, "pki/apiserver.crt", "IP Address:FD00:10:96:0:0:0:0:1");
  subject_is(dir, "nodes/node02.crt", "O = system:nodes, CN = system:node:node02");
  RUN_OK("openssl x509 -in '%s/pki/apiserver.crt' -noout -text | grep -q 'ASN1 OID: prime256v1'",
         dir);
  /* Leaf validity as set: 30 days (not more than 31, at least 29 left). */
  RUN_OK("openssl x509 -in '%s/pki/apiserver.crt' -noout -checkend %d >/dev/null", dir,
         29 * 86400);
  CHECK(run("openssl x509 -in '%s/pki/apiserver.crt' -noout -checkend %d >/dev/null", dir,
            31 * 86400) != 0,
        "apiserver.crt valid beyond 31 days");
  RUN_OK("grep -q 'server: https://cp.example.internal:6443' '%s/admin.conf'", dir);

  /* The PKI handle holds exactly what was written. */
  kpki_certificate *cert = NULL;
  kpki_bytes *pem = NULL;
  if (OK(kpki_cluster_pki_certificate(pki, "apiserver", &cert)) &&
      OK(kpki_certificate_to_pem(cert, &pem))) {
    char *on_disk = read_file(path_in(dir, "pki/apiserver.crt"), NULL);
    CHECK(on_disk != NULL && strcmp(on_disk, (const char *)kpki_bytes_data(pem)) == 0,
          "apiserver certificate from the handle differs from pki/apiserver.crt");
    free(on_disk);
  }
  kpki_bytes_free(pem);
  kpki_certificate_free(cert);
  kpki_private_key *etcd_key = NULL;
  OK(kpki_cluster_pki_private_key(pki, "etcd/server", &etcd_key));
  kpki_private_key_free(etcd_key);

  /* The cluster CA from the handle issues a kubelet certificate openssl accepts. */
  if (OK(kpki_cluster_pki_ca(pki, "kubernetes", &ca))) {
    kpki_identity *id = NULL;
    kpki_leaf_request *req = NULL;
    kpki_private_key *key = NULL;
    kpki_certificate *leaf = NULL;
    kpki_bytes *leaf_pem = NULL;
    if (OK(kpki_identity_node("node01", &id)) && OK(kpki_leaf_request_new(id, "client", &req)) &&
        OK(kpki_private_key_generate("ecdsa-p256", &key)) &&
        OK(kpki_ca_issue(ca, req, key, &leaf)) && OK(kpki_certificate_to_pem(leaf, &leaf_pem))) {
      CHECK(write_bytes(path_in(dir, "extra-node01.crt"), leaf_pem), "write");
      openssl_verify(dir, "pki/ca.crt", "sslclient", "extra-node01.crt");
      subject_is(dir, "extra-node01.crt", "O = system:nodes, CN = system:node:node01");
    }
    kpki_bytes_free(leaf_pem);
    kpki_certificate_free(leaf);
    kpki_private_key_free(key);
    kpki_leaf_request_free(req);
    kpki_identity_free(id);
  }

  /* A second init into the same directory: refuses to clobber, then (overwrite) keeps
   * the CAs, which it reuses. */
  char *ca_before = read_file(path_in(dir, "pki/ca.crt"), NULL);
  char *apiserver_before = read_file(path_in(dir, "pki/apiserver.crt"), NULL);
  ERR(kpki_cluster_spec_init_dir(spec, dir, false, NULL), KPKI_ALREADY_EXISTS,
      "already exists (refusing to overwrite it); pass overwrite = true to replace it");
  OK(kpki_cluster_spec_init_dir(spec, dir, true, NULL));
  char *ca_after = read_file(path_in(dir, "pki/ca.crt"), NULL);
  char *apiserver_after = read_file(path_in(dir, "pki/apiserver.crt"), NULL);
  CHECK(ca_before != NULL && ca_after != NULL && strcmp(ca_before, ca_after) == 0,
        "the cluster CA was not reused");
  CHECK(apiserver_before != NULL && apiserver_after != NULL &&
            strcmp(apiserver_before, apiserver_after) != 0,
        "apiserver.crt was not replaced");
  check_chains(dir);
  free(ca_before);
  free(ca_after);
  free(apiserver_before);
  free(apiserver_after);

  /* The etcd CA loads back from the directory. */
  kpki_ca *etcd = NULL;
  kpki_bytes *etcd_pem = NULL;
  if (OK(kpki_ca_load(dir, "etcd", &etcd)) && OK(kpki_ca_certificate_pem(etcd, &etcd_pem))) {
    char *on_disk = read_file(path_in(dir, "pki/etcd/ca.crt"), NULL);
    CHECK(on_disk != NULL && strcmp(on_disk, (const char *)kpki_bytes_data(etcd_pem)) == 0,
          "loaded etcd CA differs from pki/etcd/ca.crt");
    free(on_disk);
  }
  kpki_bytes_free(etcd_pem);
  kpki_ca_free(etcd);

out:
  kpki_ca_free(ca);
  kpki_cluster_pki_free(pki);
  kpki_cluster_spec_free(spec);
  remove_tree(dir);
}

static const char KUBEADM_CONFIG[] =
    "apiVersion: kubeadm.k8s.io/v1beta4\n"
    "kind: InitConfiguration\n"
    "localAPIEndpoint:\n"
    "  advertiseAddress: 10.1.2.3\n"
    "  bindPort: 6443\n"
    "nodeRegistration:\n"
    "  name: cfgnode\n"
    "---\n"
    "apiVersion: kubeadm.k8s.io/v1beta4\n"
    "kind: ClusterConfiguration\n"
    "clusterName: lab\n"
    "controlPlaneEndpoint: lab.example.internal:6443\n"
    "networking:\n"
    "  serviceSubnet: 10.100.0.0/16\n"
    "  dnsDomain: lab.local\n"
    "apiServer:\n"
    "  certSANs: [config-san.example.com, 198.51.100.9]\n"
    "encryptionAlgorithm: ECDSA-P256\n";

/* A spec read from a kubeadm configuration file, one field overridden by a setter. */
static void from_kubeadm_config(void) {
  const char *tmp = make_temp_dir("config");
  char dir[512];
  snprintf(dir, sizeof dir, "%s", tmp);
  char config[600];
  snprintf(config, sizeof config, "%s/kubeadm.yaml", dir);
  CHECK(write_file(config, (const uint8_t *)KUBEADM_CONFIG, strlen(KUBEADM_CONFIG)), "write");

  kpki_cluster_spec *spec = NULL;
  if (OK(kpki_cluster_spec_from_kubeadm_config(config, &spec)) &&
      OK(kpki_cluster_spec_add_worker(spec, "worker-a")) &&
      OK(kpki_cluster_spec_init_dir(spec, dir, false, NULL))) {
    check_kubeadm_files(dir);
    check_chains(dir);
    openssl_verify(dir, "pki/ca.crt", "sslclient", "nodes/worker-a.crt");
    san_contains(dir, "pki/apiserver.crt", "DNS:config-san.example.com");
    san_contains(dir, "pki/apiserver.crt", "IP Address:198.51.100.9");
    san_contains(dir, "pki/apiserver.crt", "IP Address:10.1.2.3");
    san_contains(dir, "pki/apiserver.crt", "IP Address:10.100.0.1");
    san_contains(dir, "pki/apiserver.crt", "DNS:kubernetes.default.svc.lab.local");
    san_contains(dir, "pki/apiserver.crt", "DNS:cfgnode");
    subject_is(dir, "nodes/worker-a.crt", "O = system:nodes, CN = system:node:worker-a");
    RUN_OK("openssl x509 -in '%s/pki/ca.crt' -noout -text | grep -q 'ASN1 OID: prime256v1'", dir);
    RUN_OK("grep -q 'cluster: lab' '%s/admin.conf'", dir);
  }
  kpki_cluster_spec_free(spec);

  /* The same YAML passed as text. */
  spec = NULL;
  kpki_cluster_pki *pki = NULL;
  if (OK(kpki_cluster_spec_from_kubeadm_yaml((const uint8_t *)KUBEADM_CONFIG,
                                             strlen(KUBEADM_CONFIG), &spec)) &&
      OK(kpki_cluster_spec_generate(spec, &pki))) {
    char mem_dir[700];
    snprintf(mem_dir, sizeof mem_dir, "%s/written", dir);
    if (OK(kpki_cluster_pki_write(pki, mem_dir, false))) {
      check_kubeadm_files(mem_dir);
      check_chains(mem_dir);
    }
    /* Writing the same PKI again keeps every file; a different one is refused. */
    OK(kpki_cluster_pki_write(pki, mem_dir, false));
    kpki_cluster_pki *other = NULL;
    if (OK(kpki_cluster_spec_generate(spec, &other))) {
      ERR(kpki_cluster_pki_write(other, mem_dir, false), KPKI_ALREADY_EXISTS, "already exists");
    }
    kpki_cluster_pki_free(other);
  }
  kpki_cluster_pki_free(pki);
  kpki_cluster_spec_free(spec);
  remove_tree(dir);
}

/* A spec that takes what nobody gave from this host, as `kubeadm init` does, with a
 * kubeadm configuration file on top whose certificatesDir is honoured under `dir`. */
static const char PARTIAL_CONFIG[] =
    "apiVersion: kubeadm.k8s.io/v1beta3\n"
    "kind: ClusterConfiguration\n"
    "certificatesDir: /etc/kubernetes/certs\n"
    "clusterName: partial\n";

#define BOGUS_SPEC ((kpki_cluster_spec *)0x1) /* non-NULL: a failure must reset it */

/* The text of a kpki_bytes, NUL-terminated in `buf`. */
static const char *text_of(const kpki_bytes *b, char *buf, size_t size) {
  size_t len = b == NULL ? 0 : kpki_bytes_len(b);
  if (len >= size) len = size - 1;
  if (len > 0) memcpy(buf, kpki_bytes_data(b), len);
  buf[len] = '\0';
  return buf;
}

static void for_this_host(void) {
  const char *tmp = make_temp_dir("host");
  char dir[512];
  snprintf(dir, sizeof dir, "%s", tmp);
  char config[600];
  snprintf(config, sizeof config, "%s/partial.yaml", dir);
  CHECK(write_file(config, (const uint8_t *)PARTIAL_CONFIG, strlen(PARTIAL_CONFIG)), "write");

  /* The file alone does not name the node: the field, and how to give it. */
  kpki_cluster_spec *spec = BOGUS_SPEC;
  ERR(kpki_cluster_spec_from_kubeadm_config(config, &spec), KPKI_KUBEADM_CONFIG,
      "partial.yaml: kubeadm configuration: field nodeRegistration.name: missing");
  ERR(kpki_cluster_spec_from_kubeadm_config(config, &spec), KPKI_KUBEADM_CONFIG,
      "kpki_cluster_spec_new_for_host()");
  CHECK(spec == NULL, "out not reset to NULL on failure");

  /* This host's name and address, unless given; the resolution says which. */
  kpki_bytes *said = NULL;
  if (OK(kpki_cluster_spec_new_for_host(NULL, NULL, &spec)) &&
      OK(kpki_cluster_spec_resolution(spec, &said))) {
    char buf[1024];
    const char *text = text_of(said, buf, sizeof buf);
    CHECK(strstr(text, "(this host's name)") != NULL, "resolution: %s", text);
    CHECK(strstr(text, "API server https://") != NULL, "resolution: %s", text);
  }
  kpki_bytes_free(said);
  kpki_cluster_spec_free(spec);

  spec = NULL;
  said = NULL;
  if (OK(kpki_cluster_spec_new_for_host("hostnode", "10.9.9.9", &spec)) &&
      OK(kpki_cluster_spec_set_kubeadm_config(spec, config)) &&
      OK(kpki_cluster_spec_resolution(spec, &said))) {
    const char *want = "node name hostnode, advertise address 10.9.9.9, API server "
                       "https://10.9.9.9:6443";
    char buf[1024];
    const char *text = text_of(said, buf, sizeof buf);
    CHECK(strcmp(text, want) == 0, "resolution: %s", text);
    if (OK(kpki_cluster_spec_init_dir(spec, dir, false, NULL))) {
      /* certificatesDir /etc/kubernetes/certs is <dir>/certs; nothing went to pki/. */
      RUN_OK("test -f '%s/certs/ca.crt' && test -f '%s/certs/apiserver.key'", dir, dir);
      RUN_OK("test ! -e '%s/pki'", dir);
      openssl_verify(dir, "certs/ca.crt", "sslserver", "certs/apiserver.crt");
      san_contains(dir, "certs/apiserver.crt", "DNS:hostnode");
      san_contains(dir, "certs/apiserver.crt", "IP Address:10.9.9.9");
      RUN_OK("grep -q 'cluster: partial' '%s/admin.conf'", dir);
    }
  }
  kpki_bytes_free(said);
  kpki_cluster_spec_free(spec);

  /* A bad override is refused and names itself. */
  spec = BOGUS_SPEC;
  ERR(kpki_cluster_spec_new_for_host("Not_A_Node", NULL, &spec), KPKI_INVALID_NAME, "Not_A_Node");
  CHECK(spec == NULL, "out not reset to NULL on failure");
  remove_tree(dir);
}

int main(void) {
  field_by_field();
  from_kubeadm_config();
  for_this_host();
  return finish("test_pki");
}
