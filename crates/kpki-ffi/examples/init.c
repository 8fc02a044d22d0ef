/* A whole cluster PKI from C: what `kpki init` does, through include/kpki.h.
 *
 *   init DIR    writes the CAs, every certificate and key, sa.key/sa.pub and the
 *               kubeconfigs under DIR in kubeadm's layout (DIR/pki/..., DIR/*.conf)
 *
 * The node name and advertise address are this host's (its name, the address of its
 * default route), as `kubeadm init` takes them; what was chosen is printed. Built and run
 * by the README's C snippet (scripts/test-c.sh runs that snippet as written). */
#include <stdio.h>

#include "kpki.h"

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  kpki_cluster_spec *spec = NULL;
  kpki_bytes *resolution = NULL;
  kpki_result rc = kpki_cluster_spec_new_for_host(NULL, NULL, &spec);
  if (rc == KPKI_OK) rc = kpki_cluster_spec_set_key_algorithm(spec, "ecdsa-p256");
  if (rc == KPKI_OK) rc = kpki_cluster_spec_add_apiserver_extra_san(spec, "cp.example.com");
  if (rc == KPKI_OK) rc = kpki_cluster_spec_resolution(spec, &resolution);
  if (rc == KPKI_OK) rc = kpki_cluster_spec_init_dir(spec, argv[1], false, NULL);
  if (rc == KPKI_OK) {
    /* kpki_bytes are followed by a NUL: printable as a string. */
    printf("%s\nwrote %s\n", (const char *)kpki_bytes_data(resolution), argv[1]);
  } else {
    fprintf(stderr, "%s: %s\n", kpki_result_name((int)rc), kpki_last_error());
  }
  kpki_bytes_free(resolution);
  kpki_cluster_spec_free(spec);
  return rc == KPKI_OK ? 0 : 1;
}
