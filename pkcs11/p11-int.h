/*
 * p11-int.h - glue between the files of pkcs11/ that nobody else needs:
 * the module keeps the token cache that p11-session.c manages.
 */
#ifndef CS_P11_INT_H
#define CS_P11_INT_H

#include "p11.h"

/* Head of the module's token cache (lock held). */
struct cs_p11_token **cs_p11_module_tokens(struct cs_p11_module *m);

/* After fork: sessions and logins of the parent are gone (lock held). */
void cs_p11_tokens_forget(struct cs_p11_token *list);

/* 1 when a token in the list is still referenced. */
int cs_p11_tokens_busy(const struct cs_p11_token *list);

/* Frees the list; close_sessions: 0 after fork (the handles are not ours). */
void cs_p11_tokens_free(struct cs_p11_token *list, int close_sessions);



/* Records a successful C_Login (lock held). */
void cs_p11_token_set_logged_in(struct cs_p11_token *tok);

#endif /* CS_P11_INT_H */
