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
 * one RSA block (CKM_RSA_X_509).  No file is read, no CMS parsed, no
 * signature verified; like certseal, it leaves the module and OpenSSL to
 * the end of the process (no C_Finalize, no OpenSSL exit handler).
 * bench/run.sh times this next to `certseal open` and `openssl cms
 * -decrypt`: no client of this token can be faster than it, so it shows
 * how much of either is the token's.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "p11bench.h"

int
main(int argc, char **argv)
{
	CK_FUNCTION_LIST *f;
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE key;
	CK_MECHANISM raw = { CKM_RSA_X_509, NULL, 0 };
	CK_ULONG outlen;
	unsigned char id[64], in[384], out[512];
	size_t idlen;
	CK_RV rv;

	bench_prog = "floor";
	if (argc != 5) {
		fprintf(stderr, "usage: floor MODULE TOKEN-LABEL PIN-FILE "
		    "KEY-ID-HEX\n");
		return 2;
	}
	OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, NULL);
	idlen = bench_unhex(argv[4], id, sizeof(id));
	f = bench_module(argv[1]);
	s = bench_login(f, argv[2], argv[3]);
	key = bench_find(f, s, CKO_PRIVATE_KEY, id, idlen);
	/*
	 * A block as long as the benchmark's RSA-3072 modulus and below it
	 * (leading 0x00 0x02).
	 */
	memset(in, 0x5a, sizeof(in));
	in[0] = 0x00;
	in[1] = 0x02;
	outlen = sizeof(out);
	if ((rv = f->C_DecryptInit(s, &raw, key)) != CKR_OK)
		bench_die("C_DecryptInit", rv);
	if ((rv = f->C_Decrypt(s, in, sizeof(in), out, &outlen)) != CKR_OK)
		bench_die("C_Decrypt", rv);
	return 0;
}
