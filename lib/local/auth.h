/*
 * auth.h - the checks that keep a roger local its owner's (auth.c): the
 * token in the state directory, the Host rule, the Authorization header.
 * Internal to roger local (not installed); the token file functions that
 * clients need are in local.h.
 */
#ifndef ROGER_LOCAL_AUTH_H
#define ROGER_LOCAL_AUTH_H

#include <stdbool.h>

#include "local/local.h"

struct roger_ctx;
struct roger_err;

/*
 * The token of `state_dir` in `out`: the one in its token file when that
 * is sound (see roger_local_token_read()), else a new one written there
 * (mode 0600, atomically; a file that was not sound is replaced, with a
 * warning in the log).  For the server, which holds the state directory's
 * lock.  0, ROGER_EIO or ROGER_ENOMEM.
 */
int roger_local_token_ensure(char out[ROGER_LOCAL_TOKEN_LEN + 1],
			     struct roger_ctx *ctx, const char *state_dir,
			     struct roger_err *err);

/*
 * Whether a Host header value names this server: 127.0.0.1, localhost or
 * [::1] (any case), alone or followed by ":`port`".  NULL is refused.
 */
bool roger_local_host_ok(const char *host, int port);

/*
 * Whether an Authorization header value is "token=`token`" (the scheme in
 * any case), compared in time independent of where they differ.  NULL is
 * refused.
 */
bool roger_local_auth_ok(const char *authorization, const char *token);

/*
 * Whether `url` is http:// on 127.0.0.1, localhost or [::1] at `port`: a
 * URL of this server, the only one its token may be sent to.
 */
bool roger_local_url_is_own(const char *url, int port);

#endif
