/* A panic inside the library comes back as KPKI_PANIC instead of aborting the process,
 * and the library keeps working afterwards. Needs the test-only entry point
 * (cargo feature `test-panic`, -DKPKI_TEST_PANIC). */
#include "kpki_test.h"

#ifndef KPKI_TEST_PANIC
#error "build libkpki with --features test-panic and compile with -DKPKI_TEST_PANIC"
#endif

int main(void) {
  for (int round = 0; round < 3; round++) {
    ERR(kpki_test_panic(), KPKI_PANIC, "kpki_test_panic: internal panic");
    ERR(kpki_test_panic(), KPKI_PANIC, "index out of bounds");
  }
  /* Still usable: a normal call succeeds and clears the message. */
  kpki_private_key *key = NULL;
  kpki_ca *ca = NULL;
  OK(kpki_private_key_generate("ecdsa-p256", &key));
  OK(kpki_ca_new_root("after-panic", key, 0, &ca));
  CHECK(kpki_last_error()[0] == '\0', "message not cleared");
  kpki_ca_free(ca);
  kpki_private_key_free(key);
  return finish("test_panic");
}
