/*
 * schema.h - the validator of roger's JSON documents (roger.json and the
 * user configuration): the walk that knows where it is, the checks of
 * types, ranges and keys, and the Marathon app fragment that roger.json
 * holds.  Not installed.
 *
 * A struct roger_schema carries the file name and the JSON path of the
 * value under examination, so that every message names where the problem
 * is: "roger.json: environments.prod.marathon.instances: expected an
 * integer, got a string".  A check descends with roger_schema_push_key()
 * or roger_schema_push_index(), checks, and climbs back with
 * roger_schema_pop().  Every check returns 0, or ROGER_EINVALID with the
 * message set (ROGER_ENOMEM when the path could not grow).
 */
#ifndef ROGER_SCHEMA_H
#define ROGER_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "buf.h"
#include "common.h"

struct roger_err;

struct roger_schema {
	const char *file; /* for messages */
	struct roger_buf path; /* JSON path of the value being checked */
	bool oom; /* the path could not grow */
	struct roger_err *err;
	/*
	 * Keys unknown to the Marathon app schema pass (--no-schema-check):
	 * see marathon-schema.h.
	 */
	bool lenient;
};

#define ROGER_SCHEMA_INIT(file, err)                        \
	{                                                   \
		(file), ROGER_BUF_INIT, false, (err), false \
	}

/* Free the path; `c` can be used again. */
void roger_schema_release(struct roger_schema *c);

/* The types of JSON values, as bits to combine: what a check accepts. */
enum roger_json_types {
	ROGER_JSON_OBJECT = 1 << 0,
	ROGER_JSON_ARRAY = 1 << 1,
	ROGER_JSON_STRING = 1 << 2,
	ROGER_JSON_INTEGER = 1 << 3,
	ROGER_JSON_REAL = 1 << 4,
	ROGER_JSON_BOOL = 1 << 5,
	ROGER_JSON_NULL = 1 << 6,
	ROGER_JSON_NUMBER = ROGER_JSON_INTEGER | ROGER_JSON_REAL,
};

/*
 * Fail with ROGER_EINVALID and "file: path: message" (ROGER_ENOMEM when
 * the path could not grow on the way here).
 */
int roger_schema_fail(struct roger_schema *c, const char *fmt, ...)
	ROGER_PRINTF(2, 3);

/* Descend into `key`; returns the mark to give back to roger_schema_pop(). */
size_t roger_schema_push_key(struct roger_schema *c, const char *key);
/* Descend into element `i` of an array; returns the mark. */
size_t roger_schema_push_index(struct roger_schema *c, size_t i);
/* Climb back to where roger_schema_push_*() returned `mark`. */
void roger_schema_pop(struct roger_schema *c, size_t mark);

/* The value at the current path has one of the types in `mask`. */
int roger_schema_expect(struct roger_schema *c, const json_t *v, unsigned mask);
/* Like roger_schema_expect(), for the member `key` of an object. */
int roger_schema_expect_member(struct roger_schema *c, const char *key,
			       const json_t *v, unsigned mask);
/* A number (an integer when `integer`) in [min, max]. */
int roger_schema_expect_range(struct roger_schema *c, const json_t *v,
			      bool integer, double min, double max);
/* An array of strings, with at least one when `non_empty`. */
int roger_schema_expect_strings(struct roger_schema *c, const json_t *v,
				bool non_empty);
/* The same (possibly empty) as the check of a struct roger_schema_key. */
int roger_schema_strings(struct roger_schema *c, const json_t *v,
			 unsigned flags);
/*
 * Refuse `key`, which is none of the `n` `known` ones, with a "did you
 * mean" when one is close.
 */
int roger_schema_unknown_key(struct roger_schema *c, const char *key,
			     const char *const *known, size_t n);

/* How roger_schema_object() treats the members of an object. */
enum roger_schema_flags {
	ROGER_SCHEMA_OVERLAY = 1
			       << 0, /* a null member (removing a key) passes */
	ROGER_SCHEMA_OPEN = 1 << 1, /* unknown keys pass (Marathon's own) */
	/*
	 * An unknown key that looks like a credential is refused as one, with
	 * a pointer to where credentials belong (roger.json is committed).
	 */
	ROGER_SCHEMA_NO_SECRETS = 1 << 2,
};

/* One key an object may have, and what its value must be. */
struct roger_schema_key {
	const char *name;
	unsigned types; /* enum roger_json_types: the value has one of them */
	/*
	 * Then this check of the value (NULL: none), which is given the
	 * object's ROGER_SCHEMA_OVERLAY flag.
	 */
	int (*check)(struct roger_schema *c, const json_t *v, unsigned flags);
	double min, max; /* a number's range, when min < max */
};

/*
 * `v` is an object whose members named in the `n` `keys` are well typed
 * and pass their checks, in document order.  Any other member is refused
 * ("unknown key 'x', did you mean 'y'?", the names of `keys` being the
 * candidates, at most 32) unless `flags` has ROGER_SCHEMA_OPEN.
 */
int roger_schema_object(struct roger_schema *c, const json_t *v,
			const struct roger_schema_key *keys, size_t n,
			unsigned flags);

/* Environment and target names: a letter or digit, then also '-', '_', '.'. */
bool roger_schema_simple_name(const char *s);

/*
 * `v` (an object) maps names of `what` ("environment", "target") to their
 * definitions: each key must be a simple name, and `check` checks each
 * definition (the path then ends at the name).
 */
int roger_schema_names(struct roger_schema *c, const json_t *v,
		       const char *what,
		       int (*check)(struct roger_schema *c, const char *name,
				    const json_t *v));

/*
 * A `marathon` app fragment of roger.json: the base (`overlay` false), or
 * an environment's overlay, where null removes a key.  Checked against the
 * Marathon app schema (marathon-schema.h): every key known to Marathon 1.4
 * to 1.10 and well typed, at every depth, unknown ones refused with a "did
 * you mean" (unless c->lenient), `env` following the secret rules (see
 * secret.h); `id` and `version` are refused: roger sets the first, and the
 * second would make Marathon roll back.
 */
int roger_schema_marathon(struct roger_schema *c, const json_t *v,
			  bool overlay);

/*
 * Parse the JSON text of `file` (a UTF-8 byte order mark is skipped;
 * duplicate keys are refused): a new reference, or NULL with
 * ROGER_EINVALID and "file:line:column: message" in `err`.
 */
json_t *roger_schema_parse_json(const char *file, const char *text, size_t len,
				struct roger_err *err);

/*
 * A configuration file that exists but cannot be read is invalid
 * configuration (exit status 3), whatever the system call said: `rc` made
 * ROGER_EINVALID (in `err` too), keeping the message, which names the file
 * and the reason.  ROGER_ENOMEM stays.
 */
int roger_schema_as_invalid(struct roger_err *err, int rc);

#endif
