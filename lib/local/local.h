/*
 * local.h - roger local: a single-node Marathon/Mesos-compatible cluster on
 * this machine, for laptops and tests.
 *
 * roger_local_serve() runs the server in the calling thread until asked to
 * stop: the Marathon REST subset and its event stream, the Mesos state and
 * files endpoints, and an artifact store, all on one loopback port, with
 * the apps' tasks run as local processes by the agent (agent.h), and a
 * router that gives each app a stable address on other loopback ports
 * (its service ports, and an HTTP front by name; router.c).  The other
 * functions manage a server running in the background for a state
 * directory: find it, start it (re-executing a program that serves) and
 * stop it.
 *
 * roger local is part of libroger rather than a library of its own (the
 * reasons are in lib/README): it is built from libroger's internals, and
 * the roger program serves it in-process.  This header, installed as
 * <roger/local/local.h>, is all of it that is public; the server's
 * handlers, scheduler, agent and state are internal.
 *
 * State directory layout (every file written atomically):
 *	server.lock	flock(2)ed by the serving process for its lifetime
 *	server.json	{"pid":N,"port":P,"url":"http://127.0.0.1:P",
 *			 "watchdog_pid":W,"watchdog_restarts":R,
 *			 "cpus":C,"mem":M,"registry":"127.0.0.1:R",
 *			 "router":"127.0.0.1:F"}
 *	token		the token every request must carry (mode 0600, kept
 *			across restarts; see roger_local_token_read())
 *	server.log	stdout and stderr of a server started by
 *roger_local_start
 *	cluster.json	the framework, master and agent ids (stable across runs)
 *	apps/		one file per app: its definition and versions
 *	deployments.json the deployments in progress
 *	artifacts/	the artifact store served under /artifacts/
 *	agent/		the agent's work directory (task sandboxes, and the
 *			containers of image tasks under provisioner/)
 *	registry/	roger local's own registry (its blobs and tags)
 *	images/		the image store: pulled images, unpacked once each
 *
 * Sandboxes of finished tasks and artifacts nothing refers to any more are
 * removed by roger_local_prune(), and by the server itself past gc_size.
 */
#ifndef ROGER_LOCAL_H
#define ROGER_LOCAL_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "../common.h"

ROGER_BEGIN_DECLS

struct roger_ctx;
struct roger_err;

struct roger_local_options {
	const char *state_dir; /* required */
	int port; /* 0: any free port (see server.json) */
	double cpus; /* capacity; 0: this machine's cpus */
	double mem; /* capacity in MiB; 0: this machine's memory */
	const char *ca_file; /* the fetcher's CA certificates; NULL: system's */
	/* The fetcher's caps on what one archive may extract: bytes of files
	 * and entries; 0: the defaults (2 GiB, 1000000), UINT64_MAX: none. */
	uint64_t max_extract_bytes, max_extract_entries;
	/* Docker's config.json whose "auths" hold the credentials of the
	 * registries image apps are pulled from; NULL: $DOCKER_CONFIG or
	 * ~/.docker/config.json. */
	const char *registry_auth;
	/* The port of roger local's own registry on 127.0.0.1 (a free one
	 * when it is taken); 0: any free port. */
	int registry_port;
	/* The router's HTTP front on 127.0.0.1 (a free one when it is
	 * taken; 0: any free port): http://<app>.<group...>.localhost:PORT/. */
	int router_port;
	/* The first service port handed to apps that ask for one (0: 10000,
	 * Marathon's --local_port_min); the next 10000 follow. */
	int service_port_min;
	/* Past this many bytes of sandboxes and artifacts, the server prunes
	 * itself (roger_local_prune()); 0: the default (ROGER_LOCAL_GC_SIZE),
	 * UINT64_MAX: never. */
	uint64_t gc_size;
};

#define ROGER_LOCAL_GC_SIZE (1ULL << 30)

/*
 * Serve until `*stop` becomes non-zero (a signal handler sets it), then
 * kill every task with its grace period, save the state and return 0.
 * Fails with ROGER_EEXISTS when another server holds the state directory,
 * ROGER_EIO when the port cannot be bound.  The state directory is created
 * if needed; apps found there are recovered and their tasks started again.
 * `ready`, when not NULL, is called once the server answers, with its URL.
 */
ROGER_EXTERN int roger_local_serve(struct roger_ctx *ctx,
				   const struct roger_local_options *opts,
				   volatile sig_atomic_t *stop,
				   void (*ready)(void *data, const char *url),
				   void *data, struct roger_err *err);

struct roger_local_status {
	bool running;
	bool stale; /* a pid file was left by a server that is gone */
	long pid; /* of the running (or vanished) server, 0 if unknown */
	int port;
	char url[64]; /* "http://127.0.0.1:7878" */
	/* The task watchdog of a running server: its pid (-1 when none
	 * runs, 0 when the server does not say), whether that process is
	 * alive, and how many times one died and was replaced. */
	long watchdog_pid;
	bool watchdog_running;
	unsigned watchdog_restarts;
	/* The capacity it serves: cpus and MiB (0 when the server does not
	 * say). */
	double cpus, mem;
	/* Its own registry, as image references name it: "127.0.0.1:7879"
	 * ("" when unknown). */
	char registry[64];
	/* The router's HTTP front: "127.0.0.1:7880" ("" when unknown). */
	char router[64];
};

/* What runs for `state_dir`.  Never fails for a missing directory. */
ROGER_EXTERN int roger_local_status(struct roger_local_status *out,
				    const char *state_dir,
				    struct roger_err *err);

/*
 * Start a server in the background: `argv` (NULL-terminated; argv[0] is
 * the program path) is executed detached (own session, stdin from
 * /dev/null, stdout and stderr appended to server.log), then this waits up
 * to `timeout_ms` until it answers /ping; `out` then describes it.
 * ROGER_EEXISTS when one already runs (roger_local_status() describes
 * that one); ROGER_ERROR with the tail of server.log when the server exits
 * before answering.  A stale pid file is removed.  `out` is written only
 * on success.
 */
ROGER_EXTERN int roger_local_start(struct roger_local_status *out,
				   struct roger_ctx *ctx, const char *state_dir,
				   char *const argv[], int timeout_ms,
				   struct roger_err *err);

/*
 * roger_local_start() of `exe local serve --port PORT --state-dir DIR`,
 * for a program that wants the cluster up (roger deploy to the local
 * target): `exe` is the roger binary (readlink("/proc/self/exe") from
 * roger itself), `port` 0 for any free one.  ROGER_EEXISTS when one
 * already runs: for most callers that is success (roger_local_status()
 * describes it).
 */
ROGER_EXTERN int roger_local_up(struct roger_local_status *out,
				struct roger_ctx *ctx, const char *exe,
				const char *state_dir, int port, int timeout_ms,
				struct roger_err *err);

/*
 * Stop the server of `state_dir` (SIGTERM: it kills its tasks and saves
 * its state) and wait until it is gone; after `timeout_ms`, SIGKILL it.
 * ROGER_ENOTFOUND when none runs.
 */
ROGER_EXTERN int roger_local_stop(struct roger_ctx *ctx, const char *state_dir,
				  int timeout_ms, struct roger_err *err);

/*
 * Who may use the server.  Every request but GET and HEAD /ping must carry
 * "Authorization: token=<token>", the token of the state directory, and a
 * Host header naming 127.0.0.1, localhost or [::1] (with the server's
 * port or none); others are refused (401 and 403) before any handler runs.
 */
#define ROGER_LOCAL_TOKEN_NAME "token"
#define ROGER_LOCAL_TOKEN_LEN 64 /* hex digits: 256 bits */

/* <state_dir>/token (new string, NULL when out of memory). */
ROGER_EXTERN char *roger_local_token_file(const char *state_dir);

/*
 * Read the token of `state_dir` into `out` (NUL-terminated).  The file must
 * be a regular file of the caller's, that group and others cannot access,
 * holding the token the server wrote.  ROGER_ENOTFOUND when there is none
 * (no server ever ran there), ROGER_EINVALID when it is not sound, with the
 * reason; the token itself never appears in a message.
 */
ROGER_EXTERN int roger_local_token_read(char out[ROGER_LOCAL_TOKEN_LEN + 1],
					const char *state_dir,
					struct roger_err *err);

/* Whether GET /ping on 127.0.0.1:`port` answers 200 within `timeout_ms`. */
ROGER_EXTERN bool roger_local_ping(int port, int timeout_ms);

/*
 * The default state directory: $XDG_STATE_HOME/roger/local (new string,
 * NULL when out of memory).
 */
ROGER_EXTERN char *roger_local_default_state_dir(const struct roger_ctx *ctx);

/* ---- pruning ------------------------------------------------------------ */

/* The finished tasks of each app whose sandboxes `roger local prune` keeps. */
#define ROGER_LOCAL_PRUNE_KEEP 3

struct roger_local_prune_report {
	unsigned sandboxes; /* sandboxes (and earlier generations) removed */
	uint64_t sandbox_bytes; /* the bytes of their files */
	unsigned artifacts; /* artifacts of the store removed */
	uint64_t artifact_bytes; /* their bytes */
	json_t *artifact_paths; /* their paths in the store (new reference) */
	unsigned images; /* images removed (their root filesystems) */
	unsigned images_in_use; /* unused by any app, kept: tasks run on them */
	unsigned blobs; /* blobs removed */
	uint64_t bytes; /* their size */
	unsigned containers; /* left-over container directories removed */
	bool offline; /* no server ran: the files were pruned here */
};

/*
 * Remove from the state directory what roger local keeps but nothing
 * needs:
 *  - the sandboxes of finished tasks beyond the `keep` most recent of each
 *    app, and those of earlier runs of the server;
 *  - the artifacts of the store that no app definition, stored version,
 *    task or deployment refers to and nothing used in the last ten
 *    minutes;
 *  - the images that no version of any app names and no task runs on, the
 *    blobs only they needed, and container roots a killed server left.
 * A running task, its sandbox, artifact and image are never touched.  A
 * running server of `state_dir` removes sandboxes and artifacts itself
 * (POST /roger/prune); when none runs, they are removed here.  Release the
 * report with roger_local_prune_report_release().
 */
ROGER_EXTERN int roger_local_prune(struct roger_local_prune_report *out,
				   struct roger_ctx *ctx, const char *state_dir,
				   unsigned keep, struct roger_err *err);
ROGER_EXTERN void
roger_local_prune_report_release(struct roger_local_prune_report *r);

ROGER_END_DECLS

#endif
