/* Keys, CAs and certificates for identities, checked with openssl: a kubelet
 * certificate for system:node:node01, a user with groups, a component, a server with
 * SANs; PEM and DER out; CAs from PEM (kpki's own and one made by openssl). */
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

static int subject_is(const char *cert, const char *subject) {
  return RUN_OK("openssl x509 -in '%s/%s' -noout -subject -nameopt oneline | grep -qxF 'subject=%s'",
                dir, cert, subject);
}

/* Issues a certificate for `id` with `profile` under `ca` for a new ECDSA key. */
static kpki_certificate *issue(const kpki_ca *ca, const kpki_identity *id, const char *profile,
                               const char *const *sans, size_t n_sans) {
  kpki_leaf_request *req = NULL;
  kpki_private_key *key = NULL;
  kpki_certificate *cert = NULL;
  if (OK(kpki_leaf_request_new(id, profile, &req)) &&
      OK(kpki_private_key_generate("ecdsa-p256", &key))) {
    for (size_t i = 0; i < n_sans; i++) {
      OK(kpki_leaf_request_add_san(req, sans[i]));
    }
    OK(kpki_ca_issue(ca, req, key, &cert));
  }
  kpki_private_key_free(key);
  kpki_leaf_request_free(req);
  return cert;
}

static void keys(void) {
  static const char *algorithms[] = {"ecdsa-p256", "ecdsa-p384", "ed25519"};
  for (size_t i = 0; i < sizeof algorithms / sizeof algorithms[0]; i++) {
    kpki_private_key *key = NULL, *again = NULL;
    kpki_bytes *pem = NULL, *pkcs8 = NULL, *pkcs8_again = NULL, *pub = NULL;
    if (OK(kpki_private_key_generate(algorithms[i], &key))) {
      CHECK(strcmp(kpki_private_key_algorithm(key), algorithms[i]) == 0, "algorithm %s",
            kpki_private_key_algorithm(key));
      if (OK(kpki_private_key_to_pem(key, &pem)) && save("key.pem", pem) &&
          OK(kpki_private_key_public_key_pem(key, &pub)) && save("pub.pem", pub)) {
        /* PEM out is a C string of exactly kpki_bytes_len() bytes. */
        CHECK(strlen((const char *)kpki_bytes_data(pem)) == kpki_bytes_len(pem), "NUL");
        RUN_OK("openssl pkey -in '%s/key.pem' -noout", dir);
        /* openssl derives the same public key. */
        RUN_OK("openssl pkey -in '%s/key.pem' -pubout | cmp -s - '%s/pub.pem'", dir, dir);
        /* Round trip through kpki_private_key_from_pem. */
        if (OK(kpki_private_key_from_pem(kpki_bytes_data(pem), kpki_bytes_len(pem), &again)) &&
            OK(kpki_private_key_to_pkcs8_pem(key, &pkcs8)) &&
            OK(kpki_private_key_to_pkcs8_pem(again, &pkcs8_again))) {
          CHECK(kpki_bytes_len(pkcs8) == kpki_bytes_len(pkcs8_again) &&
                    memcmp(kpki_bytes_data(pkcs8), kpki_bytes_data(pkcs8_again),
                           kpki_bytes_len(pkcs8)) == 0,
                "%s key changed in a PEM round trip", algorithms[i]);
        }
      }
    }
    if (strcmp(algorithms[i], "ecdsa-p256") == 0 && pem != NULL) {
      CHECK(strncmp((const char *)kpki_bytes_data(pem), "-----BEGIN EC PRIVATE KEY-----", 30) == 0,
            "ECDSA keys are written as SEC1, as kubeadm does");
    }
    kpki_bytes_free(pem);
    kpki_bytes_free(pkcs8);
    kpki_bytes_free(pkcs8_again);
    kpki_bytes_free(pub);
    kpki_private_key_free(again);
    kpki_private_key_free(key);
  }
}

static void identities_and_certificates(void) {
  kpki_private_key *ca_key = NULL;
  kpki_ca *ca = NULL;
  kpki_bytes *ca_pem = NULL;
  if (!OK(kpki_private_key_generate("ecdsa-p256", &ca_key)) ||
      !OK(kpki_ca_new_root("demo-ca", ca_key, 0, &ca)) ||
      !OK(kpki_ca_certificate_pem(ca, &ca_pem)) || !save("ca.crt", ca_pem)) {
    goto out;
  }
  subject_is("ca.crt", "CN = demo-ca");
  /* kubeadm's CA validity: 10 years. */
  RUN_OK("openssl x509 -in '%s/ca.crt' -noout -checkend %d >/dev/null", dir, 9 * 365 * 86400);

  /* The kubelet of node01: CN system:node:node01 in system:nodes. */
  kpki_identity *node = NULL;
  kpki_bytes *text = NULL;
  if (OK(kpki_identity_node("node01", &node)) && OK(kpki_identity_to_string(node, &text))) {
    CHECK(strcmp((const char *)kpki_bytes_data(text), "O=system:nodes, CN=system:node:node01") == 0,
          "identity %s", (const char *)kpki_bytes_data(text));
    kpki_certificate *cert = issue(ca, node, "client", NULL, 0);
    if (cert != NULL && save_cert("node01.crt", cert)) {
      RUN_OK("cd '%s' && openssl verify -purpose sslclient -CAfile ca.crt node01.crt >/dev/null",
             dir);
      subject_is("node01.crt", "O = system:nodes, CN = system:node:node01");
      RUN_OK("openssl x509 -in '%s/node01.crt' -noout -ext extendedKeyUsage | grep -q 'TLS Web Client Authentication'",
             dir);
      OK(kpki_ca_verify_issued(ca, cert));
    }
    kpki_certificate_free(cert);
  }
  kpki_bytes_free(text);
  kpki_identity_free(node);

  /* A user with groups. */
  kpki_identity *alice = NULL;
  const char *groups[] = {"dev", "ops", "dev"};
  if (OK(kpki_identity_user("alice", groups, 3, &alice))) {
    kpki_certificate *cert = issue(ca, alice, "client", NULL, 0);
    if (cert != NULL && save_cert("alice.crt", cert)) {
      RUN_OK("cd '%s' && openssl verify -purpose sslclient -CAfile ca.crt alice.crt >/dev/null",
             dir);
      subject_is("alice.crt", "O = dev, O = ops, CN = alice");
    }
    kpki_certificate_free(cert);
  }
  kpki_identity_free(alice);

  /* Components by name, in both profiles. */
  kpki_identity *sched = NULL, *admin128 = NULL, *any = NULL;
  if (OK(kpki_identity_component("kube-scheduler", "current", &sched))) {
    kpki_certificate *cert = issue(ca, sched, "client", NULL, 0);
    if (cert != NULL && save_cert("scheduler.crt", cert)) {
      subject_is("scheduler.crt", "CN = system:kube-scheduler");
    }
    kpki_certificate_free(cert);
  }
  if (OK(kpki_identity_component("admin", "kubeadm-1.28", &admin128))) {
    kpki_certificate *cert = issue(ca, admin128, "client", NULL, 0);
    if (cert != NULL && save_cert("admin.crt", cert)) {
      subject_is("admin.crt", "O = system:masters, CN = kubernetes-admin");
    }
    kpki_certificate_free(cert);
  }
  const char *orgs[] = {"example"};
  if (OK(kpki_identity_new("svc-probe", orgs, 1, &any))) {
    /* A server certificate with SANs and a one-hour validity. */
    const char *sans[] = {"probe.example.com", "10.0.0.5", "fd00::5"};
    kpki_certificate *cert = issue(ca, any, "server", sans, 3);
    kpki_leaf_request *req = NULL;
    kpki_private_key *key = NULL;
    kpki_certificate *short_lived = NULL;
    if (cert != NULL && save_cert("server.crt", cert)) {
      RUN_OK("cd '%s' && openssl verify -purpose sslserver -CAfile ca.crt server.crt >/dev/null",
             dir);
      RUN_OK("openssl x509 -in '%s/server.crt' -noout -ext subjectAltName | tr -d ' \\n' | grep -qF 'DNS:probe.example.com,IPAddress:10.0.0.5,IPAddress:FD00:0:0:0:0:0:0:5'",
             dir);
      subject_is("server.crt", "O = example, CN = svc-probe");
      /* DER out. */
      kpki_bytes *der = NULL;
      if (OK(kpki_certificate_to_der(cert, &der)) && save("server.der", der)) {
        RUN_OK("openssl x509 -inform DER -in '%s/server.der' -noout -subject | grep -q svc-probe",
               dir);
        CHECK(kpki_bytes_data(der)[0] == 0x30, "DER starts with a SEQUENCE");
      }
      kpki_bytes_free(der);
    }
    if (OK(kpki_leaf_request_new(any, "server-and-client", &req)) &&
        OK(kpki_leaf_request_set_validity_seconds(req, 3600)) &&
        OK(kpki_leaf_request_set_compatibility(req, "kubeadm-1.28")) &&
        OK(kpki_private_key_generate("ecdsa-p256", &key)) &&
        OK(kpki_ca_issue(ca, req, key, &short_lived)) && save_cert("short.crt", short_lived)) {
      RUN_OK("openssl x509 -in '%s/short.crt' -noout -checkend 60 >/dev/null", dir);
      CHECK(run("openssl x509 -in '%s/short.crt' -noout -checkend 7200 >/dev/null", dir) != 0,
            "a one-hour certificate is valid in two hours");
      /* kubeadm 1.28 puts keyEncipherment on every key. */
      RUN_OK("openssl x509 -in '%s/short.crt' -noout -ext keyUsage | grep -q 'Key Encipherment'",
             dir);
    }
    kpki_certificate_free(short_lived);
    kpki_private_key_free(key);
    kpki_leaf_request_free(req);
    kpki_certificate_free(cert);
  }
  kpki_identity_free(any);
  kpki_identity_free(admin128);
  kpki_identity_free(sched);

  /* The CA round-trips through PEM and keeps issuing under the same trust. */
  kpki_private_key *ca_key_copy = NULL;
  kpki_bytes *ca_key_pem = NULL;
  kpki_ca *reloaded = NULL;
  kpki_identity *node2 = NULL;
  if (OK(kpki_ca_private_key(ca, &ca_key_copy)) &&
      OK(kpki_private_key_to_pem(ca_key_copy, &ca_key_pem)) &&
      OK(kpki_ca_from_pem(kpki_bytes_data(ca_pem), kpki_bytes_len(ca_pem),
                          kpki_bytes_data(ca_key_pem), kpki_bytes_len(ca_key_pem), &reloaded)) &&
      OK(kpki_identity_node("node02", &node2))) {
    kpki_certificate *cert = issue(reloaded, node2, "client", NULL, 0);
    if (cert != NULL && save_cert("node02.crt", cert)) {
      RUN_OK("cd '%s' && openssl verify -CAfile ca.crt node02.crt >/dev/null", dir);
    }
    kpki_certificate_free(cert);
  }
  kpki_identity_free(node2);
  kpki_ca_free(reloaded);
  kpki_bytes_free(ca_key_pem);
  kpki_private_key_free(ca_key_copy);

  /* An intermediate CA: the chain verifies through it. */
  kpki_private_key *mid_key = NULL;
  kpki_ca *mid = NULL;
  kpki_bytes *mid_pem = NULL;
  kpki_identity *node3 = NULL;
  if (OK(kpki_private_key_generate("ecdsa-p384", &mid_key)) &&
      OK(kpki_ca_new_intermediate("demo-intermediate", mid_key, ca, 86400, &mid)) &&
      OK(kpki_ca_certificate_pem(mid, &mid_pem)) && save("chain.crt", mid_pem) &&
      OK(kpki_identity_node("node03", &node3))) {
    CHECK(run("grep -c 'BEGIN CERTIFICATE' '%s/chain.crt' | grep -qx 2", dir) == 0,
          "intermediate PEM carries its chain");
    kpki_certificate *cert = issue(mid, node3, "client", NULL, 0);
    if (cert != NULL && save_cert("node03.crt", cert)) {
      RUN_OK("cd '%s' && openssl verify -CAfile ca.crt -untrusted chain.crt node03.crt >/dev/null",
             dir);
      CHECK(run("cd '%s' && openssl verify -CAfile ca.crt node03.crt >/dev/null 2>&1", dir) != 0,
            "leaf under the intermediate verified without it");
    }
    kpki_certificate_free(cert);
  }
  kpki_identity_free(node3);
  kpki_bytes_free(mid_pem);
  kpki_ca_free(mid);
  kpki_private_key_free(mid_key);

out:
  kpki_bytes_free(ca_pem);
  kpki_ca_free(ca);
  kpki_private_key_free(ca_key);
}

/* A CA and an RSA key made by openssl, used through kpki. */
static void openssl_made_ca(void) {
  if (!RUN_OK("cd '%s' && openssl req -x509 -newkey rsa:2048 -nodes -keyout byo.key -out byo.crt "
              "-subj /CN=byo-ca -days 30 -addext basicConstraints=critical,CA:TRUE "
              "-addext keyUsage=critical,keyCertSign,cRLSign,digitalSignature 2>/dev/null",
              dir) ||
      !RUN_OK("cd '%s' && openssl genrsa -traditional -out leaf-rsa.key 2048 2>/dev/null", dir)) {
    return;
  }
  size_t crt_len = 0, key_len = 0, leaf_len = 0;
  char *crt = read_file(path_in(dir, "byo.crt"), &crt_len);
  char *key = read_file(path_in(dir, "byo.key"), &key_len);
  char *leaf_key_pem = read_file(path_in(dir, "leaf-rsa.key"), &leaf_len);
  kpki_ca *ca = NULL;
  kpki_private_key *leaf_key = NULL;
  kpki_identity *id = NULL;
  kpki_leaf_request *req = NULL;
  kpki_certificate *cert = NULL;
  if (CHECK(crt != NULL && key != NULL && leaf_key_pem != NULL, "read openssl output") &&
      OK(kpki_ca_from_pem((const uint8_t *)crt, crt_len, (const uint8_t *)key, key_len, &ca)) &&
      OK(kpki_private_key_from_pem((const uint8_t *)leaf_key_pem, leaf_len, &leaf_key)) &&
      OK(kpki_identity_node("node01", &id)) && OK(kpki_leaf_request_new(id, "client", &req)) &&
      OK(kpki_ca_issue(ca, req, leaf_key, &cert)) && save_cert("byo-leaf.crt", cert)) {
    CHECK(strcmp(kpki_private_key_algorithm(leaf_key), "rsa-2048") == 0, "PKCS#1 RSA key");
    RUN_OK("cd '%s' && openssl verify -purpose sslclient -CAfile byo.crt byo-leaf.crt >/dev/null",
           dir);
    /* The certificate is for the openssl key. */
    RUN_OK("cd '%s' && [ \"$(openssl x509 -in byo-leaf.crt -noout -pubkey)\" = "
           "\"$(openssl pkey -in leaf-rsa.key -pubout)\" ]",
           dir);
  }
  kpki_certificate_free(cert);
  kpki_leaf_request_free(req);
  kpki_identity_free(id);
  kpki_private_key_free(leaf_key);
  kpki_ca_free(ca);
  free(crt);
  free(key);
  free(leaf_key_pem);
}

int main(void) {
  dir = make_temp_dir("issue");
  char keep[512];
  snprintf(keep, sizeof keep, "%s", dir);
  dir = keep;
  CHECK(strlen(kpki_version()) > 0, "version");
  keys();
  identities_and_certificates();
  openssl_made_ca();
  remove_tree(dir);
  return finish("test_issue");
}
