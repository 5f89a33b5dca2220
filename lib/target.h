/*
 * target.h - the user configuration ($XDG_CONFIG_HOME/roger/config.json)
 * and the target a command talks to: its Marathon, Mesos and artifact store
 * URLs and its credentials, from the user config, the built-in local
 * target of roger local, and the ROGER_* environment variables.
 *
 * The user config is validated completely when loaded, with the same
 * messages as roger.json ("file: targets.prod.auth: ..."); resolving a
 * target then only chooses a name, copies settings, applies the environment
 * variables and reads secrets.  Secrets are wiped from memory when a target
 * is freed.
 */
#ifndef ROGER_TARGET_H
#define ROGER_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common.h"

ROGER_BEGIN_DECLS

struct roger_ctx;
struct roger_err;

enum roger_auth_kind {
	ROGER_AUTH_NONE,
	ROGER_AUTH_BASIC, /* user + password */
	ROGER_AUTH_TOKEN, /* DC/OS: "Authorization: token=<token>" */
	ROGER_AUTH_NETRC, /* credentials from ~/.netrc (curl reads it) */
};

struct roger_auth {
	enum roger_auth_kind kind;
	char *user;
	char *password; /* secret: never print, log or write it */
	char *token; /* secret */
	char *netrc_file; /* NULL: ~/.netrc */
};

struct roger_target {
	char *name;
	char **marathon; /* base URLs without trailing '/', in failover order */
	size_t n_marathon;
	char *mesos; /* master base URL, NULL when unknown */
	char *artifacts; /* store base URL ending in '/', NULL when none */
	char **metronome; /* Metronome base URLs, in failover order */
	size_t n_metronome;
	/*
	 * The registry images are pushed to, as image references name it
	 * ("host[:port]"), NULL when none.  registry_url is its API base
	 * ("https://host:port"; NULL: https, or http for a loopback host, as
	 * Mesos decides); registry_prefix the repository path its URL gave
	 * ("team", "" for none), under which the app's repository goes.  Its
	 * credentials (ROGER_AUTH_BASIC, or ROGER_AUTH_TOKEN for a bearer
	 * token) and CA file are its own, never the target's.  The built-in
	 * target's, unless the user config or the environment names one, is
	 * roger local's own registry, known once its server runs (registry_url
	 * NULL); it takes the target's token as the password of HTTP Basic
	 * (any user).
	 */
	char *registry;
	char *registry_url;
	char *registry_prefix;
	struct roger_auth registry_auth;
	char *registry_ca_file;
	struct roger_auth auth;
	char *ca_file;
	/*
	 * Its load balancer (marathon-lb), from "router": how to print an
	 * app's stable address (a template with {vhost} and {servicePort},
	 * see address.h) and the HAPROXY_GROUP apps get; NULL when unset.
	 */
	char *router_address;
	char *router_group;
	bool is_protected; /* changes need --yes */
	bool is_local; /* the built-in target of roger local */
	/*
	 * The built-in target only: roger local's state directory, and
	 * whether its server runs.  When it does not, no HTTP client is made
	 * for the target (nothing is sent to whoever holds the port).
	 */
	char *local_state_dir;
	bool local_running;
	const char *origin; /* "user config", "environment" or "built-in"
			       (static) */
};

/*
 * The name of the target roger_target_resolve() makes from environment
 * variables alone when nothing names one.
 */
#define ROGER_ENV_TARGET "environment"

struct roger_user_config {
	char *path; /* the file read, or the one that would be */
	json_t *root; /* NULL when the file does not exist */
	const char *default_target; /* borrowed, NULL when unset */
	int local_port; /* roger local's port (default ROGER_LOCAL_PORT) */
	char *local_state_dir; /* roger local's state directory */
	char *local_ca_file; /* its fetcher's CA certificates, or NULL */
	/* Its fetcher's caps on one archive, in bytes and entries: 0 when
	 * unset, UINT64_MAX for none (0 in the file). */
	uint64_t local_max_extract_bytes, local_max_extract_entries;
	/* Its capacity for tasks: cpus and MiB of memory; 0 when unset. */
	double local_cpus, local_mem;
	/* local.gc_size: 0 unset (the default), UINT64_MAX: 0 given (never) */
	uint64_t local_gc_size;
	/* The port of its own registry (default ROGER_LOCAL_REGISTRY_PORT,
	 * 0: any free one), and the Docker config.json holding credentials
	 * for the registries it pulls images from (NULL: Docker's own). */
	int local_registry_port;
	char *local_registry_auth;
	/* The port of its router's HTTP front (default
	 * ROGER_LOCAL_ROUTER_PORT, 0: any free one), and the first service
	 * port it gives (default ROGER_LOCAL_SERVICE_PORT_MIN). */
	int local_router_port, local_service_port_min;
};

#define ROGER_LOCAL_PORT 7878
#define ROGER_LOCAL_REGISTRY_PORT 7879
#define ROGER_LOCAL_ROUTER_PORT 7880
#define ROGER_LOCAL_SERVICE_PORT_MIN 10000

/*
 * Load $XDG_CONFIG_HOME/roger/config.json (or `path`).  A missing file is
 * an empty configuration; an unreadable or invalid one is an error
 * (ROGER_EINVALID, naming the file and line/column or JSON path).  Every
 * target is validated here (types, unknown keys, URLs, auth forms), so
 * roger_target_resolve() only reads secrets.  `~/` in a file name is the
 * home directory; a relative file name is relative to the file's directory.
 */
ROGER_EXTERN int roger_user_config_load(struct roger_user_config **out,
					struct roger_ctx *ctx, const char *path,
					struct roger_err *err);
ROGER_EXTERN void roger_user_config_free(struct roger_user_config *uc);

/*
 * Target names of the user config plus "local", sorted (array malloc'd,
 * strings borrowed).  `uc` may be NULL.  0 or ROGER_ENOMEM.
 */
ROGER_EXTERN int
roger_user_config_target_names(const struct roger_user_config *uc,
			       const char ***out, size_t *n);

/*
 * Resolve the target to use.  The name is the first of: `flag_name` (-t),
 * $ROGER_TARGET, `env_target` (the roger.json environment's target), the
 * user config's default_target, "local".  The settings come from the user
 * config (or the built-in local target), then ROGER_MARATHON_URL,
 * ROGER_MESOS_URL, ROGER_ARTIFACTS_URL, ROGER_METRONOME_URL,
 * ROGER_REGISTRY_URL, ROGER_TOKEN, ROGER_USER, ROGER_PASSWORD and
 * ROGER_CA_FILE override them (the registry's credentials,
 * ROGER_REGISTRY_USER, ROGER_REGISTRY_PASSWORD and ROGER_REGISTRY_TOKEN,
 * are the registry client's: registry.h); with ROGER_MARATHON_URL
 * set, a name the user config does not know is a target defined by the
 * environment alone.  Secrets are read here: password_env/token_env from the
 * environment, token_file only when its mode is 0600 or stricter.  The
 * built-in target "local" is the roger local of the user config's state
 * directory (see roger_target_local_sync()); the variables do not apply to
 * it, since they would send its token to another server or another token
 * to it.
 * When nothing names a target and ROGER_MARATHON_URL is set, the target is
 * the environment's, named ROGER_ENV_TARGET, rather than "local".  URLs are
 * checked (http or https; file also for artifacts), Marathon and Mesos URLs
 * lose trailing '/', the artifacts URL gains one.  ROGER_EINVALID for an
 * unknown name (with a suggestion), a bad URL, a variable that is not set
 * or an unsafe token file.  `uc` may be NULL (no user config).
 */
ROGER_EXTERN int
roger_target_resolve(struct roger_target **out, struct roger_ctx *ctx,
		     const struct roger_user_config *uc, const char *flag_name,
		     const char *env_target, struct roger_err *err);
ROGER_EXTERN void roger_target_free(struct roger_target *t);

/*
 * Point the built-in local target `t` at the server of its state directory
 * (t->local_state_dir): when one runs there (it holds the directory's
 * lock), at the port its server.json records, with the token of the
 * directory and local_running set; otherwise at 127.0.0.1:`port` (the
 * configured port, for messages and dry runs) with no credentials and
 * local_running false.  Never talks to the network.  0, ROGER_EINVALID (a
 * token file that is not sound) or ROGER_ENOMEM.
 */
ROGER_EXTERN int roger_target_local_sync(struct roger_target *t, int port,
					 struct roger_err *err);

ROGER_END_DECLS

#endif
