/*
 * p11bench.h - the PKCS#11 calls the benchmark helpers make by hand
 * (bench-floor, bench-reopen): a module, a logged-in session on the token
 * with a given label, objects found by class and CKA_ID.  Any failure
 * prints "PROG: WHAT failed (0xRV)" and exits 1: these are benchmark
 * tools, not library code.
 */
#ifndef CS_P11BENCH_H
#define CS_P11BENCH_H

#include <stddef.h>

#include <p11-kit/pkcs11.h>

/* Program name for messages; set by main. */
extern const char *bench_prog;

void bench_die(const char *what, unsigned long rv)
    __attribute__((noreturn));

/* Hex digits to bytes; returns the count. */
size_t bench_unhex(const char *hex, unsigned char *out, size_t max);

/* dlopen()s the module and initialises it (already initialised is fine). */
CK_FUNCTION_LIST *bench_module(const char *path);

/* A session on the token labelled label, logged in with the PIN file's. */
CK_SESSION_HANDLE bench_login(CK_FUNCTION_LIST *f, const char *label,
    const char *pin_file);

/* The one object of class klass with CKA_ID id. */
CK_OBJECT_HANDLE bench_find(CK_FUNCTION_LIST *f, CK_SESSION_HANDLE s,
    CK_OBJECT_CLASS klass, const unsigned char *id, size_t idlen);

#endif /* CS_P11BENCH_H */
