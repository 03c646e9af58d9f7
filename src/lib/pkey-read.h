/*
 * pkey-read.h - reading a software private key of a known type cheaply.
 */
#ifndef CS_PKEY_READ_H
#define CS_PKEY_READ_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

/*
 * The first PEM block of data when it is an unencrypted PKCS#8
 * PrivateKeyInfo of like's key type, or NULL (also when like is NULL);
 * leaves nothing in OpenSSL's error queue.  The caller owns the key.  A
 * NULL answer means only "not this shape": callers fall back to
 * PEM_read_bio_PrivateKey, which reads every other form.
 */
EVP_PKEY *cs_pkey_read_pem(const uint8_t *data, size_t len,
    const EVP_PKEY *like);

#endif
