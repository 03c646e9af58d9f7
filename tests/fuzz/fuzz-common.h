/*
 * fuzz-common.h - shared by the libFuzzer targets: the fixed test keys
 * (tests/fuzz/keys, copied 0600 into a private directory because key files
 * readable by others are refused), a scratch directory for targets whose
 * API takes a path, and a context that never prompts.
 */
#ifndef CS_FUZZ_COMMON_H
#define CS_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "certseal/certseal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/*
 * The private scratch directory (made on first call, removed at exit):
 * keys/ holds the copied test keys.
 */
const char *fuzz_workdir(void);

/* A new context: no prompt, no state directory.  Aborts on failure. */
certseal_ctx *fuzz_ctx(void);

/*
 * A context with file: sources for the RSA and EC test recipients (whose
 * bundles also carry the trusted signer).  Aborts on failure.
 */
certseal_ctx *fuzz_ctx_with_keys(void);

/* Writes data to workdir/name; returns the path (static buffer). */
const char *fuzz_write_file(const char *name, const uint8_t *data,
    size_t size);

/* Removes workdir/sub recursively (nothing if absent). */
void fuzz_remove_tree(const char *sub);

#endif /* CS_FUZZ_COMMON_H */
