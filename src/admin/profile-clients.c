/*
 * profile-clients.c - the enrolled clients in the admin profile
 * (DESIGN.md section 8): who was approved with which key, under which
 * pair, and who was revoked.
 *
 *   "clients": [ { "name", "key_id", "fingerprint", "algorithm", "pair",
 *                  "state": "approved" | "revoked", "approved", "revoked",
 *                  "certificate": base64 DER } ]
 *
 * A revoked entry is never removed and its key is never approved again:
 * revocation is final for the key (the host may enrol with a new one).
 * The certificate is kept here, not in a side directory, so that the
 * recipient list of a save is exactly what the locked profile says.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "enroll.h"
#include "internal.h"
#include "profile.h"

static const char *const client_states[] = {
	[CLIENT_APPROVED] = "approved",
	[CLIENT_REVOKED] = "revoked",
};

const char *
client_state_name(enum client_state s)
{
	if ((size_t)s >= sizeof(client_states) / sizeof(client_states[0]))
		return "unknown";
	return client_states[s];
}

void
client_release(struct client *c)
{
	if (c == NULL)
		return;
	free(c->name);
	free(c->key_id);
	free(c->fingerprint);
	free(c->algorithm);
	free(c->pair_id);
	free(c->cert);
	memset(c, 0, sizeof(*c));
}

void
profile_clients_free(struct profile *p)
{
	size_t i;

	for (i = 0; i < p->nclients; i++)
		client_release(&p->clients[i]);
	free(p->clients);
	p->clients = NULL;
	p->nclients = p->clients_cap = 0;
}

static int
bad(certseal_ctx *ctx, const struct profile *p, size_t i, const char *what)
{
	return cs_error(ctx, CERTSEAL_E_INTEGRITY, "%s: damaged profile: "
	    "client %zu: %s; restore it from a backup or fix it by hand",
	    p->path, i + 1, what);
}

/* A string member of at most max bytes made only of the bytes in set. */
static int
get_str(json_t *o, const char *key, size_t max, const char *set,
    int required, char **out)
{
	json_t *v = json_object_get(o, key);
	const char *s;
	size_t n;

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return required ? -1 : 0;
	if (!json_is_string(v))
		return -1;
	s = json_string_value(v);
	n = json_string_length(v);
	if (n > max || strlen(s) != n || (set != NULL && strspn(s, set) != n))
		return -1;
	return (*out = strdup(s)) == NULL ? -1 : 0;
}

static int
get_time(json_t *o, const char *key, time_t *out)
{
	json_t *v = json_object_get(o, key);

	*out = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -1;
	*out = (time_t)json_integer_value(v);
	return 0;
}

#define HEX		"0123456789abcdef"
#define BASE64		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" \
			"0123456789+/="

static int
read_client(certseal_ctx *ctx, const struct profile *p, size_t i, json_t *o,
    struct client *c)
{
	char *state = NULL;
	const char *what = NULL;
	int r;

	memset(c, 0, sizeof(*c));
	if (!json_is_object(o))
		what = "not an object";
	else if (get_str(o, "name", CS_CLIENT_NAME_MAX, NULL, 1,
	    &c->name) != 0 || !cs_client_name_ok(c->name))
		what = "'name' is not a client name";
	else if (get_str(o, "key_id", CS_KEY_ID_HEX, HEX, 1,
	    &c->key_id) != 0 || strlen(c->key_id) != CS_KEY_ID_HEX)
		what = "'key_id' is not 40 hex digits";
	else if (get_str(o, "fingerprint", CS_KEY_FP_HEX, HEX, 0,
	    &c->fingerprint) != 0)
		what = "'fingerprint' is not hex";
	else if (get_str(o, "algorithm", 16, NULL, 0, &c->algorithm) != 0)
		what = "'algorithm' is not a string";
	else if (get_str(o, "pair", PAIR_ID_LEN, HEX, 0, &c->pair_id) != 0)
		what = "'pair' is not a pair id";
	else if (get_str(o, "certificate", CLIENT_CERT_MAX, BASE64, 1,
	    &c->cert) != 0)
		what = "'certificate' is not base64 of at most 16 KiB";
	else if (get_str(o, "state", 16, NULL, 1, &state) != 0 ||
	    (strcmp(state, "approved") != 0 && strcmp(state, "revoked") != 0))
		what = "'state' is not approved or revoked";
	else if (get_time(o, "approved", &c->approved) != 0 ||
	    get_time(o, "revoked", &c->revoked) != 0)
		what = "a time is not in seconds";
	if (what != NULL) {
		r = bad(ctx, p, i, what);
		client_release(c);
	} else {
		c->state = strcmp(state, "revoked") == 0 ? CLIENT_REVOKED :
		    CLIENT_APPROVED;
		r = 0;
	}
	free(state);
	return r;
}

static int
cmp_key(const void *a, const void *b)
{
	const struct client *const *x = a, *const *y = b;

	return strcmp((*x)->key_id, (*y)->key_id);
}

static int
cmp_name(const void *a, const void *b)
{
	const struct client *const *x = a, *const *y = b;
	int d = strcmp((*x)->name, (*y)->name);

	/* approved first among equal names: duplicates are then adjacent */
	return d != 0 ? d : (int)(*x)->state - (int)(*y)->state;
}

/* A key appears once; a name is approved at most once (sorted: n log n). */
static int
check_unique(certseal_ctx *ctx, const struct profile *p)
{
	struct client **v;
	size_t i;
	int r = 0;

	if (p->nclients < 2)
		return 0;
	if ((v = calloc(p->nclients, sizeof(*v))) == NULL)
		return cs_error(ctx, CERTSEAL_E_NOMEM, "out of memory");
	for (i = 0; i < p->nclients; i++)
		v[i] = &p->clients[i];
	qsort(v, p->nclients, sizeof(*v), cmp_key);
	for (i = 1; i < p->nclients && r == 0; i++)
		if (strcmp(v[i - 1]->key_id, v[i]->key_id) == 0)
			r = bad(ctx, p, (size_t)(v[i] - p->clients),
			    "its key ID appears twice");
	qsort(v, p->nclients, sizeof(*v), cmp_name);
	for (i = 1; i < p->nclients && r == 0; i++)
		if (strcmp(v[i - 1]->name, v[i]->name) == 0 &&
		    v[i]->state == CLIENT_APPROVED)
			r = bad(ctx, p, (size_t)(v[i] - p->clients),
			    "its name is approved twice");
	free(v);
	return r;
}

int
profile_read_clients(certseal_ctx *ctx, struct profile *p, json_t *root)
{
	json_t *list = json_object_get(root, "clients"), *item;
	size_t i;
	int r;

	if (list == NULL)
		return 0;
	if (!json_is_array(list) ||
	    json_array_size(list) > PROFILE_MAX_CLIENTS)
		return cs_error(ctx, CERTSEAL_E_INTEGRITY, "%s: damaged "
		    "profile: 'clients' is not a list of at most %d clients",
		    p->path, PROFILE_MAX_CLIENTS);
	if (json_array_size(list) > 0) {
		if ((p->clients = calloc(json_array_size(list),
		    sizeof(*p->clients))) == NULL)
			return cs_error(ctx, CERTSEAL_E_NOMEM,
			    "out of memory");
		p->clients_cap = json_array_size(list);
	}
	json_array_foreach(list, i, item) {
		if ((r = read_client(ctx, p, i, item, &p->clients[i])) != 0)
			return r;
		p->nclients++;
	}
	return check_unique(ctx, p);
}

static int
set_str(json_t *o, const char *key, const char *v)
{
	return v == NULL ? 0 : json_object_set_new(o, key, json_string(v));
}

static int
set_time(json_t *o, const char *key, time_t t)
{
	return t == 0 ? 0 :
	    json_object_set_new(o, key, json_integer((json_int_t)t));
}

int
profile_write_clients(const struct profile *p, json_t *root)
{
	json_t *list, *o;
	const struct client *c;
	size_t i;

	if (p->nclients == 0)
		return 0;
	if ((list = json_array()) == NULL)
		return -1;
	for (i = 0; i < p->nclients; i++) {
		c = &p->clients[i];
		if ((o = json_object()) == NULL ||
		    json_array_append_new(list, o) != 0 ||
		    set_str(o, "name", c->name) != 0 ||
		    set_str(o, "state", client_state_name(c->state)) != 0 ||
		    set_str(o, "key_id", c->key_id) != 0 ||
		    set_str(o, "fingerprint", c->fingerprint) != 0 ||
		    set_str(o, "algorithm", c->algorithm) != 0 ||
		    set_str(o, "pair", c->pair_id) != 0 ||
		    set_time(o, "approved", c->approved) != 0 ||
		    set_time(o, "revoked", c->revoked) != 0 ||
		    set_str(o, "certificate", c->cert) != 0) {
			json_decref(list);
			return -1;
		}
	}
	return json_object_set_new(root, "clients", list);
}

struct client *
profile_find_client(struct profile *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->nclients; i++)
		if (p->clients[i].state == CLIENT_APPROVED &&
		    strcmp(p->clients[i].name, name) == 0)
			return &p->clients[i];
	return NULL;
}

struct client *
profile_find_client_key(struct profile *p, const char *key_id)
{
	size_t i;

	for (i = 0; i < p->nclients; i++)
		if (strcmp(p->clients[i].key_id, key_id) == 0)
			return &p->clients[i];
	return NULL;
}

int
profile_add_client(certseal_ctx *ctx, struct profile *p,
    const struct client *c)
{
	struct client *grown;

	if (p->nclients >= PROFILE_MAX_CLIENTS)
		return cs_error(ctx, CERTSEAL_E_USAGE, "%s: already %d "
		    "clients", p->path, PROFILE_MAX_CLIENTS);
	/* Doubling: approving 10 000 clients must not copy 10 000 times. */
	if (p->nclients == p->clients_cap) {
		grown = realloc(p->clients, (p->clients_cap == 0 ? 16 :
		    2 * p->clients_cap) * sizeof(*grown));
		if (grown == NULL)
			return cs_error(ctx, CERTSEAL_E_NOMEM, "out of memory");
		p->clients = grown;
		p->clients_cap = p->clients_cap == 0 ? 16 :
		    2 * p->clients_cap;
	}
	p->clients[p->nclients++] = *c;
	return 0;
}

X509 *
client_cert(const struct client *c)
{
	return profile_cert_decode(c->cert);
}

X509 *
profile_cert_decode(const char *b64)
{
	unsigned char *der;
	const unsigned char *q;
	size_t n = strlen(b64);
	int len, pad = 0;
	X509 *x = NULL;

	if (n == 0 || n % 4 != 0 || (der = malloc(n / 4 * 3)) == NULL)
		return NULL;
	if ((len = EVP_DecodeBlock(der, (const unsigned char *)b64,
	    (int)n)) > 0) {
		/* EVP_DecodeBlock counts the padding as zero bytes. */
		pad = (b64[n - 1] == '=') + (b64[n - 2] == '=');
		q = der;
		x = d2i_X509(NULL, &q, len - pad);
	}
	free(der);
	return x;
}
