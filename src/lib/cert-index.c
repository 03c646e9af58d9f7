/*
 * cert-index.c - certificates looked up by the identifier a CMS signer or
 * recipient gives (issue 19: signers matched through an index, not n * m),
 * and stacks of certificates filled with references of their own.
 */
#include "config.h"

#include <stdlib.h>

#include <openssl/x509v3.h>

#include "internal.h"
#include "envelope-internal.h"

/*
 * An index of certificates by identifier: one array sorted by SKID, one
 * by serial then issuer, each entry remembering its place in the stack so
 * that among equal identifiers the first certificate wins, as a linear
 * search would have it.  Matching n signers against m trusted
 * certificates then costs n log m instead of n * m.
 */
struct idx_entry {
	X509	*cert;
	int	 pos;
};

struct cs_cert_index {
	struct idx_entry	*by_skid;
	size_t			 nskid;
	struct idx_entry	*by_serial;
	size_t			 nserial;
};

static int
skid_cmp(const ASN1_OCTET_STRING *a, const ASN1_OCTET_STRING *b)
{
	return ASN1_OCTET_STRING_cmp(a, b);
}

static int
entry_skid_cmp(const void *a, const void *b)
{
	const struct idx_entry *x = a, *y = b;
	int c = skid_cmp(X509_get0_subject_key_id(x->cert),
	    X509_get0_subject_key_id(y->cert));

	return c != 0 ? c : x->pos - y->pos;
}

static int
serial_issuer_cmp(const ASN1_INTEGER *sa, const X509_NAME *ia,
    const ASN1_INTEGER *sb, const X509_NAME *ib)
{
	int c = ASN1_INTEGER_cmp(sa, sb);

	return c != 0 ? c : X509_NAME_cmp(ia, ib);
}

static int
entry_serial_cmp(const void *a, const void *b)
{
	const struct idx_entry *x = a, *y = b;
	int c = serial_issuer_cmp(X509_get0_serialNumber(x->cert),
	    X509_get_issuer_name(x->cert), X509_get0_serialNumber(y->cert),
	    X509_get_issuer_name(y->cert));

	return c != 0 ? c : x->pos - y->pos;
}

int
cs_cert_index_new(STACK_OF(X509) *certs, struct cs_cert_index **out)
{
	struct cs_cert_index *idx = NULL;
	X509 *c;
	int i, n = certs == NULL ? 0 : sk_X509_num(certs), r = -1;

	*out = NULL;
	if ((idx = calloc(1, sizeof(*idx))) == NULL ||
	    (n > 0 && ((idx->by_skid = calloc((size_t)n,
	    sizeof(*idx->by_skid))) == NULL ||
	    (idx->by_serial = calloc((size_t)n,
	    sizeof(*idx->by_serial))) == NULL)))
		goto out;
	for (i = 0; i < n; i++) {
		c = sk_X509_value(certs, i);
		if (X509_get0_subject_key_id(c) != NULL) {
			idx->by_skid[idx->nskid].cert = c;
			idx->by_skid[idx->nskid++].pos = i;
		}
		idx->by_serial[idx->nserial].cert = c;
		idx->by_serial[idx->nserial++].pos = i;
	}
	if (idx->nskid > 1)
		qsort(idx->by_skid, idx->nskid, sizeof(*idx->by_skid),
		    entry_skid_cmp);
	if (idx->nserial > 1)
		qsort(idx->by_serial, idx->nserial, sizeof(*idx->by_serial),
		    entry_serial_cmp);
	*out = idx;
	idx = NULL;
	r = 0; /* success */
 out:
	cs_cert_index_free(idx);
	return r;
}

void
cs_cert_index_free(struct cs_cert_index *idx)
{
	if (idx == NULL)
		return;
	free(idx->by_skid);
	free(idx->by_serial);
	free(idx);
}

X509 *
cs_cert_index_find(const struct cs_cert_index *idx,
    const struct cs_recipient_id *id)
{
	size_t lo = 0, hi, mid;
	int c;

	/* Lower bound: the first entry not below id. */
	if (id->keyid != NULL) {
		for (hi = idx->nskid; lo < hi; ) {
			mid = lo + (hi - lo) / 2;
			if (skid_cmp(X509_get0_subject_key_id(
			    idx->by_skid[mid].cert), id->keyid) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < idx->nskid && skid_cmp(X509_get0_subject_key_id(
		    idx->by_skid[lo].cert), id->keyid) == 0)
			return idx->by_skid[lo].cert;
		return NULL;
	}
	if (id->issuer == NULL || id->serial == NULL)
		return NULL;
	for (hi = idx->nserial; lo < hi; ) {
		mid = lo + (hi - lo) / 2;
		c = serial_issuer_cmp(X509_get0_serialNumber(
		    idx->by_serial[mid].cert),
		    X509_get_issuer_name(idx->by_serial[mid].cert), id->serial,
		    id->issuer);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < idx->nserial && serial_issuer_cmp(X509_get0_serialNumber(
	    idx->by_serial[lo].cert),
	    X509_get_issuer_name(idx->by_serial[lo].cert), id->serial,
	    id->issuer) == 0)
		return idx->by_serial[lo].cert;
	return NULL;
}

int
cs_x509_push_ref(STACK_OF(X509) *sk, X509 *x)
{
	if (X509_up_ref(x) != 1)
		return -1;
	if (sk_X509_push(sk, x) <= 0) {
		X509_free(x);
		return -1;
	}
	return 0;
}
