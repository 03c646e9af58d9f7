/*
 * p11-list.c - what a token holds, grouped by CKA_ID: a certseal pair
 * member is a private key, a public key and a certificate sharing one ID.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "p11.h"

void
cs_p11_list_free(struct cs_p11_entry *e, size_t n)
{
	size_t i;

	if (e == NULL)
		return;
	for (i = 0; i < n; i++)
		X509_free(e[i].cert);
	free(e);
}

static struct cs_p11_entry *
entry_for(struct cs_p11_entry *e, size_t *n, const struct cs_p11_object *o)
{
	char hex[2 * CS_P11_ID_MAX + 1];
	size_t i;

	cs_hex(o->id, o->idlen, hex, sizeof(hex));
	for (i = 0; i < *n; i++)
		if (strcmp(e[i].id_hex, hex) == 0)
			return &e[i];
	memset(&e[*n], 0, sizeof(e[*n]));
	memcpy(e[*n].id_hex, hex, sizeof(hex));
	e[*n].extractable = e[*n].sensitive = -1;
	e[*n].key_type = (CK_KEY_TYPE)-1;
	return &e[(*n)++];
}

int
cs_p11_list(certseal_ctx *ctx, struct cs_p11_token *tok,
    struct cs_p11_entry **out, size_t *np)
{
	struct cs_p11_object *objs = NULL;
	struct cs_p11_entry *e = NULL, *ent;
	const unsigned char *p;
	uint8_t *der = NULL;
	size_t n = 0, ne = 0, i, len;
	int r = CERTSEAL_E_INTERNAL, v;

	*out = NULL;
	*np = 0;
	if ((r = cs_p11_find(ctx, tok, (CK_OBJECT_CLASS)-1, NULL, 0, NULL,
	    &objs, &n)) != 0)
		goto out;
	if (n > 0 && (e = calloc(n, sizeof(*e))) == NULL) {
		r = cs_nomem(ctx);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (objs[i].klass != CKO_PRIVATE_KEY &&
		    objs[i].klass != CKO_PUBLIC_KEY &&
		    objs[i].klass != CKO_CERTIFICATE)
			continue;
		ent = entry_for(e, &ne, &objs[i]);
		if (ent->label[0] == '\0')
			memcpy(ent->label, objs[i].label, sizeof(ent->label));
		switch (objs[i].klass) {
		case CKO_PRIVATE_KEY:
			ent->has_private = 1;
			ent->key_type = objs[i].key_type;
			if (cs_p11_get_bool(ctx, tok, objs[i].handle,
			    CKA_EXTRACTABLE, &v) == 0)
				ent->extractable = v;
			if (cs_p11_get_bool(ctx, tok, objs[i].handle,
			    CKA_SENSITIVE, &v) == 0)
				ent->sensitive = v;
			break;
		case CKO_PUBLIC_KEY:
			ent->has_public = 1;
			if (ent->key_type == (CK_KEY_TYPE)-1)
				ent->key_type = objs[i].key_type;
			break;
		default:
			ent->has_cert = 1;
			if (ent->cert != NULL || cs_p11_get_attr(ctx, tok,
			    objs[i].handle, CKA_VALUE, &der, &len) != 0)
				break;
			p = der;
			ent->cert = d2i_X509(NULL, &p, (long)len);
			ERR_clear_error();
			free(der);
			der = NULL;
			break;
		}
	}
	*out = e;
	*np = ne;
	e = NULL;
	r = 0; /* success */
 out:
	cs_error_clear(NULL);
	cs_p11_list_free(e, ne);
	free(objs);
	return r;
}
