/*
 * p11bench.c - see p11bench.h.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "p11bench.h"

const char *bench_prog = "bench";

void
bench_die(const char *what, unsigned long rv)
{
	fprintf(stderr, "%s: %s failed (0x%lx)\n", bench_prog, what, rv);
	exit(1);
}

size_t
bench_unhex(const char *s, unsigned char *out, size_t max)
{
	size_t n = 0;
	unsigned int b;

	while (s[0] != '\0' && s[1] != '\0' && n < max &&
	    sscanf(s, "%2x", &b) == 1) {
		out[n++] = (unsigned char)b;
		s += 2;
	}
	return n;
}

CK_FUNCTION_LIST *
bench_module(const char *path)
{
	CK_FUNCTION_LIST *f;
	CK_C_GetFunctionList get;
	CK_C_INITIALIZE_ARGS init;
	CK_RV rv;
	void *h;

	/* As p11-kit loads modules. */
	if ((h = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL ||
	    (get = (CK_C_GetFunctionList)dlsym(h, "C_GetFunctionList")) ==
	    NULL || get(&f) != CKR_OK)
		bench_die("loading the module", 0);
	memset(&init, 0, sizeof(init));
	init.flags = CKF_OS_LOCKING_OK;
	rv = f->C_Initialize(&init);
	if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED)
		bench_die("C_Initialize", rv);
	return f;
}

CK_SESSION_HANDLE
bench_login(CK_FUNCTION_LIST *f, const char *want, const char *pin_file)
{
	CK_SLOT_ID slots[64];
	CK_ULONG nslots = 64, i;
	CK_TOKEN_INFO ti;
	CK_SESSION_HANDLE s;
	char label[33], pin[256];
	size_t len;
	FILE *pf;
	CK_RV rv;

	if ((rv = f->C_GetSlotList(CK_TRUE, slots, &nslots)) != CKR_OK)
		bench_die("C_GetSlotList", rv);
	for (i = 0; i < nslots; i++) {
		if (f->C_GetTokenInfo(slots[i], &ti) != CKR_OK)
			continue;
		memcpy(label, ti.label, 32);
		for (len = 32; len > 0 && label[len - 1] == ' '; len--)
			;
		label[len] = '\0';
		if (strcmp(label, want) == 0)
			break;
	}
	if (i == nslots)
		bench_die("finding the token", 0);
	if ((rv = f->C_OpenSession(slots[i], CKF_SERIAL_SESSION, NULL, NULL,
	    &s)) != CKR_OK)
		bench_die("C_OpenSession", rv);
	if ((pf = fopen(pin_file, "r")) == NULL ||
	    fgets(pin, sizeof(pin), pf) == NULL)
		bench_die("reading the PIN file", 0);
	fclose(pf);
	pin[strcspn(pin, "\r\n")] = '\0';
	rv = f->C_Login(s, CKU_USER, (CK_UTF8CHAR *)pin, strlen(pin));
	OPENSSL_cleanse(pin, sizeof(pin));
	if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN)
		bench_die("C_Login", rv);
	return s;
}

CK_OBJECT_HANDLE
bench_find(CK_FUNCTION_LIST *f, CK_SESSION_HANDLE s, CK_OBJECT_CLASS klass,
    const unsigned char *id, size_t idlen)
{
	CK_ATTRIBUTE tmpl[2];
	CK_OBJECT_HANDLE o;
	CK_ULONG got = 0;
	CK_RV rv;

	tmpl[0].type = CKA_CLASS;
	tmpl[0].pValue = &klass;
	tmpl[0].ulValueLen = sizeof(klass);
	tmpl[1].type = CKA_ID;
	tmpl[1].pValue = (void *)id;
	tmpl[1].ulValueLen = idlen;
	if ((rv = f->C_FindObjectsInit(s, tmpl, 2)) != CKR_OK ||
	    (rv = f->C_FindObjects(s, &o, 1, &got)) != CKR_OK)
		bench_die("C_FindObjects", rv);
	f->C_FindObjectsFinal(s);
	if (got != 1)
		bench_die(klass == CKO_PRIVATE_KEY ? "finding the key" :
		    "finding the object", 0);
	return o;
}
