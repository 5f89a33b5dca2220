/*
 * watch.h - what the commands that start a deployment share (deploy,
 * scale, restart, destroy, rollback): their common options, the
 * confirmation a protected target needs, the dry run, and waiting for the
 * deployment through lib/deploy with its progress line, failure report,
 * stderr tail, rollback and exit status.  Scale, restart, destroy and
 * rollback are one driver, cli_watch_change(), and a plan each.
 */
#ifndef ROGER_CMD_WATCH_H
#define ROGER_CMD_WATCH_H

#include "cmd/cmd.h"

/* The common options, as rows of a command's table, bound to `w`. */
#define OPT_WATCH_APP(w)                                   \
	OPT_STRING(0, "app", &(w)->app_opt, "id", ARG_APP, \
		   "the Marathon app id (default: the project's app)")
#define OPT_WATCH_DETACH(w)                 \
	OPT_BOOL(0, "detach", &(w)->detach, \
		 "start the deployment and do not wait for it")
#define OPT_WATCH_DRY_RUN(w)                    \
	OPT_BOOL('n', "dry-run", &(w)->dry_run, \
		 "print the request that would be sent, and send nothing")
#define OPT_WATCH_FORCE(w)                \
	OPT_BOOL(0, "force", &(w)->force, \
		 "override a deployment in progress (Marathon cancels it)")
#define OPT_WATCH_NO_ROLLBACK(w)                     \
	OPT_BOOL(                                    \
		0, "no-rollback", &(w)->no_rollback, \
		"leave a failed deployment in place instead of rolling it back")
#define OPT_WATCH_ROLLBACK_ON_INTERRUPT(w)                               \
	OPT_BOOL(                                                        \
		0, "rollback-on-interrupt", &(w)->rollback_on_interrupt, \
		"roll the deployment back on Ctrl-C (default: leave it going)")
#define OPT_WATCH_SETTLE(w)                               \
	OPT_DURATION(                                     \
		0, "settle", &(w)->settle_ms, 0, CLI_DAY, \
		"without health checks, how long new tasks must keep running (default 10s)")
#define OPT_WATCH_TIMEOUT(w)                                    \
	OPT_DURATION(                                           \
		0, "timeout", &(w)->timeout_ms, 0, 7 * CLI_DAY, \
		"give up waiting after this long (0: never; default: from the app)")

/* All of them, sorted: the options of scale, restart and rollback. */
#define OPT_WATCH_ALL(w)                                                 \
	OPT_WATCH_APP(w), OPT_WATCH_DETACH(w), OPT_WATCH_DRY_RUN(w),     \
		OPT_WATCH_FORCE(w), OPT_WATCH_NO_ROLLBACK(w),            \
		OPT_WATCH_ROLLBACK_ON_INTERRUPT(w), OPT_WATCH_SETTLE(w), \
		OPT_WATCH_TIMEOUT(w)

/*
 * A command's struct cli_watch is static, so that its option table can
 * point into it: this is its initializer, the defaults of the options.
 */
#define CLI_WATCH_INIT                            \
	{                                         \
		.timeout_ms = -1, .settle_ms = -1 \
	}

struct cli_watch {
	/* options */
	const char *app_opt;
	bool detach, dry_run, force, no_rollback, rollback_on_interrupt;
	/* status --wait: a deployment of someone else's, never rolled back */
	bool observing;
	int64_t timeout_ms; /* -1: the default */
	int64_t settle_ms; /* -1: the default */

	/* set up by cli_watch_setup() */
	struct cli *cli;
	const char *verb; /* "scale" */
	const char *app_id; /* borrowed from cli */
	struct roger_marathon *m; /* requests and polls */
	struct roger_marathon *events; /* the event stream */
	struct roger_mesos *mesos; /* what is free, when tasks wait; or NULL */
	json_t *doc; /* the -o json document, filled as things happen */

	/* the progress line */
	char label[512]; /* "scaling '/web/hello' to 3" */
	bool line_shown; /* a progress line is on the terminal */
	char last_line[1024]; /* the last plain progress line */
	int64_t started_ms;
};

/* After parsing (which fills the options): the command and its verb. */
void cli_watch_init(struct cli_watch *w, struct cli *cli, const char *verb);

/*
 * After parsing: the app id, the target and the two Marathon clients.
 * Returns an exit status (0 to go on), after printing the error.
 */
int cli_watch_setup(struct cli_watch *w);

/*
 * A change to the protected target (or `always`, for destroy) needs
 * --yes or a yes on the terminal; `what` says what ("scale app '/x' to
 * 3").  Returns 0, or exit status 1 after saying why not.
 */
int cli_watch_confirm(struct cli_watch *w, const char *what, bool always);

/* --dry-run: print `req` (method, URL, body) and return 0. */
int cli_watch_dry_run(struct cli_watch *w,
		      const struct roger_marathon_req *req);

/* What cli_watch_send() returns when the request went out. */
#define CLI_WATCH_SENT (-1)

/*
 * Send `req`, a request that starts a deployment (released after), and
 * parse its result into *res: CLI_WATCH_SENT.  With --dry-run, print it
 * instead and return 0; when it fails, report it (cli_watch_request_failed)
 * and return the exit status.
 */
int cli_watch_send(struct cli_watch *w, struct roger_marathon_req *req,
		   struct roger_marathon_deployment_result *res);

/* The settle period in ms: --settle, else ROGER_DEPLOY_SETTLE_MS. */
int64_t cli_watch_settle_ms(const struct cli_watch *w);

/* What the deployment is expected to reach. */
struct cli_watch_goal {
	const struct roger_marathon_deployment_result *res;
	const struct roger_marathon_app *before; /* the app before the change */
	int instances; /* -1: the app's */
	unsigned flags; /* enum roger_deploy_goal_flags */
	const char *previous_version; /* for a rollback by version, or NULL */
	/*
	 * A change of release (deploy, rollback): the definition of
	 * previous_version, which a rollback deploys again with the labels
	 * that record why (roger_deploy_rollback_app()); NULL: Marathon's
	 * own revert (roger_deploy_rollback()).
	 */
	const json_t *previous_app;
	const json_t
		*new_app; /* the definition deployed (its commit), or NULL */
	bool created; /* the app did not exist: undone by removing it */
	int64_t default_timeout_ms; /* when --timeout is not given */
	const char *done; /* the success line ("app '/x' scaled to 3") */
	/*
	 * The roger command that undoes the change while its deployment
	 * runs, after "roger " ("scale 1 --force"), suggested when it is
	 * left running; NULL: none.
	 */
	const char *undo;
};

/*
 * Wait for the deployment `g->res` (unless --detach): progress on stderr,
 * the failure with the stderr tail of the failed task, the rollback
 * (unless --no-rollback), the timeout and interrupt messages.  Fills
 * w->doc.  Returns the exit status.
 */
int cli_watch_run(struct cli_watch *w, const struct cli_watch_goal *g);

/* The error of reading the app before the change (cli_fail_app). */
int cli_watch_app_failed(struct cli_watch *w, const struct roger_err *err);

/*
 * The error of a request that would start a deployment, with a hint for
 * a 409 (--force).  Returns the exit status.
 */
int cli_watch_request_failed(struct cli_watch *w, const struct roger_err *err);

/* Print w->doc with -o json, free everything, and return `status`. */
int cli_watch_finish(struct cli_watch *w, int status);
/* Free everything without printing. */
void cli_watch_release(struct cli_watch *w);

/* What a command's plan says it will change, for cli_watch_change(). */
struct cli_watch_plan {
	struct roger_marathon_req req; /* the request that starts it */
	char what[512]; /* to confirm: "scale app '/x' from 1 to 3 instances" */
	bool always_confirm; /* even off a protected target (destroy) */
	char done[512]; /* the success line: "app '/x' scaled to 3 instances" */
	/* the goal: see struct cli_watch_goal */
	int instances; /* -1 (the default): the app's */
	unsigned flags;
	const char *previous_version;
	const json_t *previous_app, *new_app; /* see struct cli_watch_goal */
	int64_t default_timeout_ms;
	char undo[256]; /* see struct cli_watch_goal */
};

/* What a plan returns when there is nothing to change (said; exit 0). */
#define CLI_WATCH_NOTHING (-2)

/*
 * A command's decision, once the driver has read the live app `app`: fill
 * *plan (and w->label, the progress line's "scaling '/x' to 3") and
 * return 0, or CLI_WATCH_NOTHING, or an exit status after printing why
 * not.  `app` lives until the driver returns.
 */
typedef int (*cli_watch_plan_fn)(struct cli_watch *w,
				 const struct roger_marathon_app *app,
				 void *data, struct cli_watch_plan *plan);

/*
 * The whole of scale, restart, destroy and rollback after parsing: set up
 * (cli_watch_setup), read the live app, ask `plan`, confirm, send (or
 * print, with --dry-run), wait (cli_watch_run), print the document, free
 * (cli_watch_finish).  Returns the exit status.
 */
int cli_watch_change(struct cli_watch *w, cli_watch_plan_fn plan, void *data);

#endif
