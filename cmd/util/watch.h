/*
 * watch.h - what the commands that start a deployment share (scale,
 * restart, destroy; deploy and rollback later): their common options, the
 * confirmation a protected target needs, the dry run, and waiting for the
 * deployment through lib/deploy with its progress line, failure report,
 * stderr tail, rollback and exit status.
 */
#ifndef ROGER_CMD_WATCH_H
#define ROGER_CMD_WATCH_H

#include "cmd/cmd.h"

enum {
	WOPT_APP = OPT_LONG + 50,
	WOPT_DETACH,
	WOPT_FORCE,
	WOPT_NO_ROLLBACK,
	WOPT_ROLLBACK_ON_INTERRUPT,
	WOPT_SETTLE,
	WOPT_TIMEOUT,
};

/* Option table entries, for the commands to list in sorted order. */
#define WATCH_OPT_APP { WOPT_APP, "app", "ID", ARG_APP, NULL, "the Marathon app id (default: the project's app)" }
#define WATCH_OPT_DETACH { WOPT_DETACH, "detach", NULL, ARG_NONE, NULL, "start the deployment and do not wait for it" }
#define WATCH_OPT_DRY_RUN { 'n', "dry-run", NULL, ARG_NONE, NULL, "print the request that would be sent, and send nothing" }
#define WATCH_OPT_FORCE { WOPT_FORCE, "force", NULL, ARG_NONE, NULL, "override a deployment in progress (Marathon cancels it)" }
#define WATCH_OPT_NO_ROLLBACK { WOPT_NO_ROLLBACK, "no-rollback", NULL, ARG_NONE, NULL, "leave a failed deployment in place instead of rolling it back" }
#define WATCH_OPT_ROLLBACK_ON_INTERRUPT { WOPT_ROLLBACK_ON_INTERRUPT, "rollback-on-interrupt", NULL, ARG_NONE, NULL, "roll the deployment back on Ctrl-C (default: leave it going)" }
#define WATCH_OPT_SETTLE { WOPT_SETTLE, "settle", "SECONDS", ARG_WORD, NULL, "without health checks, how long new tasks must keep running (default 10)" }
#define WATCH_OPT_TIMEOUT { WOPT_TIMEOUT, "timeout", "SECONDS", ARG_WORD, NULL, "give up waiting after this long (0: never; default: from the app)" }

/* All of them, sorted: the options of scale, restart and rollback. */
#define WATCH_OPTS_ALL                                                       \
	WATCH_OPT_APP, WATCH_OPT_DETACH, WATCH_OPT_DRY_RUN, WATCH_OPT_FORCE, \
		WATCH_OPT_NO_ROLLBACK, WATCH_OPT_ROLLBACK_ON_INTERRUPT,      \
		WATCH_OPT_SETTLE, WATCH_OPT_TIMEOUT

struct cli_watch {
	/* options */
	const char *app_opt;
	bool detach, dry_run, force, no_rollback, rollback_on_interrupt;
	long timeout_s; /* -1: the default */
	long settle_s;  /* -1: the default */

	/* set up by cli_watch_setup() */
	struct cli *cli;
	const char *verb;   /* "scale" */
	const char *app_id; /* borrowed from cli */
	struct roger_marathon *m;      /* requests and polls */
	struct roger_marathon *events; /* the event stream */
	json_t *doc;        /* the -o json document, filled as things happen */

	/* the progress line */
	char label[512];    /* "scaling '/web/hello' to 3" */
	bool line_shown;    /* a progress line is on the terminal */
	char last_line[1024]; /* the last plain progress line */
	int64_t started_ms;
};

/* Defaults before parsing. */
void cli_watch_init(struct cli_watch *w, struct cli *cli, const char *verb);

/*
 * Handle a common option: 1 when `c` was one, 0 when not; a bad argument
 * does not return (usage error).
 */
int cli_watch_option(struct cli_watch *w, int c, const char *arg);

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
	int instances;        /* -1: the app's */
	unsigned flags;       /* enum roger_deploy_goal_flags */
	const char *previous_version; /* for a rollback by version, or NULL */
	int64_t default_timeout_ms;   /* when --timeout is not given */
	const char *done;     /* the success line ("app '/x' scaled to 3") */
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

#endif
