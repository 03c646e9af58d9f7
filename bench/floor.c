/*
 * floor.c - the token's own price for opening a configuration, as one
 * process: what any client must do on a PKCS#11 token before it can
 * decrypt anything, and nothing else.
 *
 *   floor MODULE TOKEN-LABEL PIN-FILE KEY-ID-HEX
 *
 * Loads libcrypto (every CMS reader needs it), dlopen()s the module,
 * C_Initialize, finds the token by label, opens a session, logs in with
 * the PIN from PIN-FILE, finds the private key by CKA_ID and decrypts
 * one RSA block (CKM_RSA_X_509), then C_Finalize.  No file is read, no
 * CMS parsed, no signature verified.  bench/run.sh times this next to
 * `certseal open` and `openssl cms -decrypt`: no client of this token can
 * be faster than it, so it shows how much of either is the token's.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <p11-kit/pkcs11.h>

static void
die(const char *what, unsigned long rv)
{
	fprintf(stderr, "floor: %s failed (0x%lx)\n", what, rv);
	exit(1);
}

static size_t
unhex(const char *s, unsigned char *out, size_t max)
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

int
main(int argc, char **argv)
{
	CK_FUNCTION_LIST *fl;
	CK_C_GetFunctionList get;
	CK_C_INITIALIZE_ARGS init;
	CK_SLOT_ID slots[64];
	CK_ULONG nslots = 64, i, got, outlen;
	CK_TOKEN_INFO ti;
	CK_SESSION_HANDLE s;
	CK_OBJECT_CLASS klass = CKO_PRIVATE_KEY;
	CK_OBJECT_HANDLE key;
	CK_MECHANISM raw = { CKM_RSA_X_509, NULL, 0 };
	CK_ATTRIBUTE tmpl[2];
	unsigned char id[64], in[512], out[512];
	char label[33], pin[256];
	size_t idlen, len;
	FILE *f;
	void *h;
	CK_RV rv;

	if (argc != 5) {
		fprintf(stderr, "usage: floor MODULE TOKEN-LABEL PIN-FILE "
		    "KEY-ID-HEX\n");
		return 2;
	}
	OPENSSL_init_crypto(0, NULL);
	idlen = unhex(argv[4], id, sizeof(id));
	if ((f = fopen(argv[3], "r")) == NULL ||
	    fgets(pin, sizeof(pin), f) == NULL)
		die("reading the PIN file", 0);
	fclose(f);
	pin[strcspn(pin, "\r\n")] = '\0';

	if ((h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL)) == NULL ||
	    (get = (CK_C_GetFunctionList)dlsym(h, "C_GetFunctionList")) ==
	    NULL || get(&fl) != CKR_OK)
		die("loading the module", 0);
	memset(&init, 0, sizeof(init));
	init.flags = CKF_OS_LOCKING_OK;
	if ((rv = fl->C_Initialize(&init)) != CKR_OK)
		die("C_Initialize", rv);
	if ((rv = fl->C_GetSlotList(CK_TRUE, slots, &nslots)) != CKR_OK)
		die("C_GetSlotList", rv);
	for (i = 0; i < nslots; i++) {
		if (fl->C_GetTokenInfo(slots[i], &ti) != CKR_OK)
			continue;
		memcpy(label, ti.label, 32);
		len = 32;
		while (len > 0 && label[len - 1] == ' ')
			len--;
		label[len] = '\0';
		if (strcmp(label, argv[2]) == 0)
			break;
	}
	if (i == nslots)
		die("finding the token", 0);
	if ((rv = fl->C_OpenSession(slots[i], CKF_SERIAL_SESSION, NULL, NULL,
	    &s)) != CKR_OK)
		die("C_OpenSession", rv);
	if ((rv = fl->C_Login(s, CKU_USER, (CK_UTF8CHAR *)pin,
	    strlen(pin))) != CKR_OK)
		die("C_Login", rv);
	tmpl[0].type = CKA_CLASS;
	tmpl[0].pValue = &klass;
	tmpl[0].ulValueLen = sizeof(klass);
	tmpl[1].type = CKA_ID;
	tmpl[1].pValue = id;
	tmpl[1].ulValueLen = idlen;
	if ((rv = fl->C_FindObjectsInit(s, tmpl, 2)) != CKR_OK ||
	    (rv = fl->C_FindObjects(s, &key, 1, &got)) != CKR_OK ||
	    (rv = fl->C_FindObjectsFinal(s)) != CKR_OK || got != 1)
		die("finding the key", rv);
	/* Any block below the modulus will do: 0x00 0x02 ... */
	memset(in, 0x5a, sizeof(in));
	in[0] = 0x00;
	in[1] = 0x02;
	outlen = sizeof(out);
	if ((rv = fl->C_DecryptInit(s, &raw, key)) != CKR_OK)
		die("C_DecryptInit", rv);
	/* The block is as long as the modulus: 3072 bits in the benchmark. */
	if ((rv = fl->C_Decrypt(s, in, 384, out, &outlen)) != CKR_OK)
		die("C_Decrypt", rv);
	OPENSSL_cleanse(pin, sizeof(pin));
	fl->C_Finalize(NULL);
	return 0;
}
