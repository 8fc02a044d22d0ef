/* The C door of the door-parity test (tests/parity/test_parity.py): builds a cluster
 * PKI from the same inputs the CLI and Python get, through the C API only, and writes it
 * in kubeadm's layout.
 *
 *   parity_c DIR [config=PATH] [node=NAME] [address=IP] [endpoint=HOST:PORT]
 *            [service_cidr=CIDR[,CIDR]] [dns_domain=D] [extra_san=S]... [key_algorithm=A]
 *            [profile=P] [worker=NAME]... [host]
 *
 * `host`: what is not given comes from this host (kpki_cluster_spec_new_for_host()), as
 * `kpki init` does.
 *
 * Exit status 0 on success; on failure the failing call and kpki_last_error() on stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpki.h"

static int fail(const char *what, kpki_result rc) {
  fprintf(stderr, "parity_c: %s -> %s: %s\n", what, kpki_result_name((int)rc),
          kpki_last_error());
  return 1;
}

#define TRY(call)                                                                          \
  do {                                                                                     \
    kpki_result rc_ = (call);                                                              \
    if (rc_ != KPKI_OK) {                                                                  \
      int status_ = fail(#call, rc_);                                                      \
      kpki_cluster_spec_free(spec);                                                        \
      return status_;                                                                      \
    }                                                                                      \
  } while (0)

/* The value of `key=value` in argv, or NULL. */
static const char *arg(int argc, char **argv, const char *key) {
  size_t n = strlen(key);
  for (int i = 2; i < argc; i++) {
    if (strncmp(argv[i], key, n) == 0 && argv[i][n] == '=') {
      return argv[i] + n + 1;
    }
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: parity_c DIR [key=value]...\n");
    return 2;
  }
  const char *dir = argv[1];
  const char *config = arg(argc, argv, "config");
  const char *node = arg(argc, argv, "node");
  const char *address = arg(argc, argv, "address");
  kpki_cluster_spec *spec = NULL;

  int host = 0;
  for (int i = 2; i < argc; i++) {
    host |= strcmp(argv[i], "host") == 0;
  }

  if (host) {
    TRY(kpki_cluster_spec_new_for_host(node, address, &spec));
    if (config != NULL) {
      TRY(kpki_cluster_spec_set_kubeadm_config(spec, config));
    }
  } else if (config != NULL) {
    TRY(kpki_cluster_spec_from_kubeadm_config(config, &spec));
    if (node != NULL) {
      TRY(kpki_cluster_spec_set_node_name(spec, node));
    }
    if (address != NULL) {
      TRY(kpki_cluster_spec_set_advertise_address(spec, address));
    }
  } else {
    TRY(kpki_cluster_spec_new(node, address, &spec));
  }
  const char *v;
  if ((v = arg(argc, argv, "endpoint")) != NULL) {
    TRY(kpki_cluster_spec_set_control_plane_endpoint(spec, v));
  }
  if ((v = arg(argc, argv, "service_cidr")) != NULL) {
    TRY(kpki_cluster_spec_set_service_cidr(spec, v));
  }
  if ((v = arg(argc, argv, "dns_domain")) != NULL) {
    TRY(kpki_cluster_spec_set_dns_domain(spec, v));
  }
  if ((v = arg(argc, argv, "key_algorithm")) != NULL) {
    TRY(kpki_cluster_spec_set_key_algorithm(spec, v));
  }
  if ((v = arg(argc, argv, "profile")) != NULL) {
    TRY(kpki_cluster_spec_set_profile(spec, v));
  }
  for (int i = 2; i < argc; i++) {
    if (strncmp(argv[i], "worker=", 7) == 0) {
      TRY(kpki_cluster_spec_add_worker(spec, argv[i] + 7));
    } else if (strncmp(argv[i], "extra_san=", 10) == 0) {
      TRY(kpki_cluster_spec_add_apiserver_extra_san(spec, argv[i] + 10));
    }
  }
  TRY(kpki_cluster_spec_init_dir(spec, dir, false, NULL));
  kpki_cluster_spec_free(spec);
  return 0;
}
