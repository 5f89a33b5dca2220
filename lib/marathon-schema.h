/*
 * marathon-schema.h - the Marathon app definition as roger.json may write
 * it: every field that Marathon 1.4 to 1.10 accepts in an app, nested
 * objects included, as a data table, and the walk that checks a
 * `marathon` fragment against it.  Not installed.
 */
#ifndef ROGER_MARATHON_SCHEMA_H
#define ROGER_MARATHON_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct roger_schema;

/*
 * Check the app fragment `v` (an object) against the table: each field
 * known and well typed, numbers in range, strings of a fixed set among
 * their words, at every depth.  A key no Marathon version knows is refused
 * with a "did you mean" when one is close, unless `c->lenient` (the user's
 * --no-schema-check: a field newer than the table), in which case it
 * passes unexamined; a key Marathon only reports (tasksRunning,
 * versionInfo...) is refused with a word on why.  In an `overlay` (an
 * environment's fragment, deep-merged over the base) a null member of an
 * object passes: it deletes the key.  0 or ROGER_EINVALID (ROGER_ENOMEM)
 * with the message in c->err, naming the JSON path.
 */
int roger_marathon_schema_check(struct roger_schema *c, const json_t *v,
				bool overlay);

/*
 * An `env` object checked as an app's is (a job's in roger.json): each
 * value a string or a secret reference, nothing that looks like a
 * credential written out; with ROGER_SCHEMA_OVERLAY in `flags` a null
 * value passes.  A check function of the schema tables (schema.h).
 */
int roger_schema_env(struct roger_schema *c, const json_t *v, unsigned flags);

#endif
