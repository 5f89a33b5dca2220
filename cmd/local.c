/*
 * local.c - `roger local up|down|status|serve|token`: the single-node
 * cluster on this machine (lib/local/local.h does the work).
 *
 * `serve` runs the server in the foreground until SIGINT or SIGTERM.
 * `prune` removes what nothing needs: sandboxes of finished tasks past the
 * last few of each app, artifacts and images no app refers to.  `up`
 * starts `serve` in the background by executing this very binary
 * (/proc/self/exe) detached from the terminal, and returns once it answers.
 * `down` stops it, which kills every task it started; `status` says whether
 * it runs, where, and how to send it a request; `token` prints the token
 * every request must carry.  The state directory (--state-dir, default
 * $XDG_STATE_HOME/roger/local) identifies a server, so several can run side
 * by side on different ports.  The defaults of --port, --state-dir,
 * --ca-file, --cpus, --mem and the extraction caps come from the user
 * config's "local" object.  The capacity is fixed when the server starts:
 * `up` with another one than a running server's is refused with the way
 * to restart it, rather than ignored.
 */
#include <config.h>

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "lib/local/local.h"
#include "lib/str.h"
#include "lib/target.h"

/* The options as given; parse_args() turns them into struct local_args. */
static struct {
	const char *ca_file, *cpus, *mem, *state_dir, *registry_auth;
	const char *max_bytes, *max_entries, *gc_size;
	long port, registry_port; /* -1: the user config's */
	long keep;
	long router_port, service_port_min; /* -1: the user config's */
} opt = { .port = -1,
	  .registry_port = -1,
	  .keep = ROGER_LOCAL_PRUNE_KEEP,
	  .router_port = -1,
	  .service_port_min = -1 };

static const struct cmd_opt local_opts[] = {
	OPT_STRING(
		0, "ca-file", &opt.ca_file, "file", ARG_FILE,
		"CA certificates (PEM) the fetcher checks https:// servers against, instead of the system's"),
	OPT_STRING(
		0, "cpus", &opt.cpus, "n", ARG_WORD,
		"cpus the tasks may use in all (default: the user config's, else this machine's)"),
	OPT_STRING(
		0, "gc-size", &opt.gc_size, "size", ARG_WORD,
		"up, serve: past this size of sandboxes and artifacts, the server prunes them itself, as 512M or 4G (default: the user config's, 1G; 0: never)"),
	OPT_INT(0, "keep", &opt.keep, "n", 0, 100000,
		"prune: the finished tasks of each app whose sandboxes stay (default: 3)"),
	OPT_STRING(
		0, "max-extract-bytes", &opt.max_bytes, "size", ARG_WORD,
		"the most bytes one fetched archive may extract, as 512M or 4G (default: the user config's, 2G; 0: no limit)"),
	OPT_STRING(
		0, "max-extract-entries", &opt.max_entries, "n", ARG_WORD,
		"the most entries one fetched archive may hold (default: the user config's, 1000000; 0: no limit)"),
	OPT_STRING(
		0, "mem", &opt.mem, "mib", ARG_WORD,
		"memory in MiB the tasks may use in all (default: the user config's, else this machine's)"),
	OPT_INT(0, "port", &opt.port, "port", 0, 65535,
		"the port on 127.0.0.1 to serve on, a free one when it is taken (default: the user config's, 7878; 0: any free port)"),
	OPT_STRING(
		0, "registry-auth", &opt.registry_auth, "file", ARG_FILE,
		"Docker's config.json whose \"auths\" hold the credentials of the registries images are pulled from (default: the user config's, ~/.docker/config.json)"),
	OPT_INT(0, "registry-port", &opt.registry_port, "port", 0, 65535,
		"the port on 127.0.0.1 of roger local's own registry, a free one when it is taken (default: the user config's, 7879; 0: any free port)"),
	OPT_INT(0, "router-port", &opt.router_port, "port", 0, 65535,
		"the port on 127.0.0.1 of the router's HTTP front, http://APP.GROUP.localhost:PORT/, a free one when it is taken (default: the user config's, 7880; 0: any free port)"),
	OPT_INT(0, "service-port-min", &opt.service_port_min, "port", 1024,
		55535,
		"the first service port given to apps that ask for one; the router listens on them (default: the user config's, 10000)"),
	OPT_STRING(
		0, "state-dir", &opt.state_dir, "dir", ARG_DIR,
		"the state directory (default: the user config's, $XDG_STATE_HOME/roger/local)"),
	OPT_END(),
};

struct local_args {
	const char *verb;
	char *state_dir;
	bool state_dir_given; /* by --state-dir */
	char *ca_file; /* absolute */
	char *registry_auth; /* absolute */
	long port, registry_port, router_port, service_port_min;
	const char *cpus_arg, *mem_arg; /* as given, or from the user config */
	char cpus_buf[32], mem_buf[32];
	const char *max_bytes_arg, *max_entries_arg, *gc_size_arg;
	double cpus, mem; /* 0: this machine's */
	/* 0: the default; UINT64_MAX: no limit (0 on the command line) */
	uint64_t max_bytes, max_entries;
	uint64_t gc_size; /* 0: the default; UINT64_MAX: never */
	unsigned keep;
};

static int parse_double(struct cli *cli, const char *what, const char *s,
			double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (!*s || *end || errno || v <= 0)
		return cli_usage_error(
			cli, "invalid %s '%s': expected a positive number",
			what, s);
	*out = v;
	return 0;
}

/* A cap given as `what` (0 meaning none) into `*out`, or a usage error. */
static int parse_limit(struct cli *cli, const char *what, const char *s,
		       bool size, uint64_t *out)
{
	char *end;
	uint64_t v;

	if (size) {
		if (roger_parse_size(&v, s) < 0)
			return cli_usage_error(
				cli,
				"invalid %s '%s': expected a size in bytes, or with K, M, G or T",
				what, s);
	} else {
		errno = 0;
		v = strtoull(s, &end, 10);
		if (!*s || *s == '-' || *end || errno)
			return cli_usage_error(
				cli, "invalid %s '%s': expected a whole number",
				what, s);
	}
	*out = v ? v : UINT64_MAX;
	return 0;
}

/* Options before and after the verb: `roger local --port 1 up --cpus 2`. */
static int parse_args(struct cli *cli, int argc, char **argv,
		      struct local_args *a)
{
	struct roger_err err = ROGER_ERR_INIT;
	int status;

	if (cli_parse_options(cli, argc, argv) < 1)
		return cli_usage_error(
			cli,
			"missing verb: expected up, down, status, serve, prune or token");
	a->verb = argv[0];
	a->cpus_arg = opt.cpus;
	a->mem_arg = opt.mem;
	a->max_bytes_arg = opt.max_bytes;
	a->max_entries_arg = opt.max_entries;
	a->gc_size_arg = opt.gc_size;
	a->keep = (unsigned)opt.keep;
	if (opt.ca_file)
		a->ca_file = xstrdup(opt.ca_file);
	if (opt.registry_auth)
		a->registry_auth = xstrdup(opt.registry_auth);
	if (opt.state_dir) {
		a->state_dir = xstrdup(opt.state_dir);
		a->state_dir_given = true;
	}
	if (strcmp(a->verb, "up") && strcmp(a->verb, "down") &&
	    strcmp(a->verb, "status") && strcmp(a->verb, "serve") &&
	    strcmp(a->verb, "token") && strcmp(a->verb, "prune"))
		return cli_usage_error(
			cli,
			"unknown verb '%s': expected up, down, status, serve, prune or token",
			a->verb);
	/* Defaults from the user config ("local": {"port", "state_dir"}). */
	if (!cli->user_config &&
	    roger_user_config_load(&cli->user_config, cli->ctx, NULL, &err) < 0)
		return cli_fail(&err);
	a->port = opt.port >= 0 ? opt.port : cli->user_config->local_port;
	a->registry_port = opt.registry_port >= 0
				   ? opt.registry_port
				   : cli->user_config->local_registry_port;
	a->router_port = opt.router_port >= 0
				 ? opt.router_port
				 : cli->user_config->local_router_port;
	a->service_port_min =
		opt.service_port_min >= 0
			? opt.service_port_min
			: cli->user_config->local_service_port_min;
	if (!a->registry_auth && cli->user_config->local_registry_auth)
		a->registry_auth =
			xstrdup(cli->user_config->local_registry_auth);
	if (a->registry_auth) {
		char *abs = realpath(a->registry_auth, NULL);

		if (!abs || access(abs, R_OK) < 0) {
			cli_error("--registry-auth: cannot read '%s': %s",
				  a->registry_auth, strerror(errno));
			free(abs);
			return ROGER_EXIT_USAGE;
		}
		free(a->registry_auth);
		a->registry_auth = abs;
	}
	if (a->cpus_arg &&
	    (status = parse_double(cli, "--cpus", a->cpus_arg, &a->cpus)))
		return status;
	if (a->mem_arg &&
	    (status = parse_double(cli, "--mem", a->mem_arg, &a->mem)))
		return status;
	/* the user config's capacity, when no option gives one */
	if (!a->cpus_arg && cli->user_config->local_cpus > 0) {
		a->cpus = cli->user_config->local_cpus;
		snprintf(a->cpus_buf, sizeof(a->cpus_buf), "%.17g", a->cpus);
		a->cpus_arg = a->cpus_buf;
	}
	if (!a->mem_arg && cli->user_config->local_mem > 0) {
		a->mem = cli->user_config->local_mem;
		snprintf(a->mem_buf, sizeof(a->mem_buf), "%.17g", a->mem);
		a->mem_arg = a->mem_buf;
	}
	a->max_bytes = cli->user_config->local_max_extract_bytes;
	a->max_entries = cli->user_config->local_max_extract_entries;
	if (a->max_bytes_arg &&
	    (status = parse_limit(cli, "--max-extract-bytes", a->max_bytes_arg,
				  true, &a->max_bytes)))
		return status;
	if (a->max_entries_arg &&
	    (status = parse_limit(cli, "--max-extract-entries",
				  a->max_entries_arg, false, &a->max_entries)))
		return status;
	a->gc_size = cli->user_config->local_gc_size;
	if (a->gc_size_arg &&
	    (status = parse_limit(cli, "--gc-size", a->gc_size_arg, true,
				  &a->gc_size)))
		return status;
	if (!a->ca_file && cli->user_config->local_ca_file)
		a->ca_file = xstrdup(cli->user_config->local_ca_file);
	if (a->ca_file) {
		/* Absolute, for the server `up` starts in another directory. */
		char *abs = realpath(a->ca_file, NULL);

		if (!abs || access(abs, R_OK) < 0) {
			cli_error("--ca-file: cannot read '%s': %s", a->ca_file,
				  strerror(errno));
			free(abs);
			return ROGER_EXIT_USAGE;
		}
		free(a->ca_file);
		a->ca_file = abs;
	}
	if (!a->state_dir && cli->user_config->local_state_dir)
		a->state_dir = xstrdup(cli->user_config->local_state_dir);
	if (!a->state_dir) {
		a->state_dir = roger_local_default_state_dir(cli->ctx);
		if (!a->state_dir) {
			cli_error(
				"cannot find the state directory: set --state-dir");
			return ROGER_EXIT_FAILURE;
		}
	}
	return 0;
}

/* `s` quoted for a POSIX shell, when it needs it (new string). */
static char *shell_word(const char *s)
{
	static const char plain[] = "abcdefghijklmnopqrstuvwxyz"
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "0123456789/._-+:,@=";
	char *out, *p;

	if (*s && strspn(s, plain) == strlen(s))
		return xstrdup(s);
	out = p = xmalloc(4 * strlen(s) + 3);
	*p++ = '\'';
	for (; *s; s++) {
		if (*s == '\'') {
			memcpy(p, "'\\''", 4);
			p += 4;
		} else {
			*p++ = *s;
		}
	}
	*p++ = '\'';
	*p = '\0';
	return out;
}

/* What is wrong with the task watchdog of a running server, if anything. */
static void print_watchdog(const struct roger_local_status *st)
{
	if (st->watchdog_pid == 0)
		return; /* a server too old to say */
	if (!st->watchdog_running)
		printf("its task watchdog is not running: tasks would outlive a crash of the server\n");
	else if (st->watchdog_restarts == 1)
		printf("its task watchdog died once and was replaced (pid %ld now)\n",
		       st->watchdog_pid);
	else if (st->watchdog_restarts > 1)
		printf("its task watchdog died %u times and was replaced (pid %ld now)\n",
		       st->watchdog_restarts, st->watchdog_pid);
}

static int print_status(struct cli *cli, const struct local_args *a,
			const struct roger_local_status *st)
{
	char *token_file = roger_local_token_file(a->state_dir), *dir;

	if (!token_file) {
		cli_error("out of memory");
		return ROGER_EXIT_FAILURE;
	}
	if (cli->output == OUTPUT_JSON) {
		json_t *doc = json_pack("{s:b,s:s,s:s}", "running", st->running,
					"state_dir", a->state_dir, "token_file",
					token_file);

		if (st->running) {
			if (st->cpus > 0 && st->mem > 0) {
				json_object_set_new(doc, "cpus",
						    json_real(st->cpus));
				json_object_set_new(doc, "mem",
						    json_real(st->mem));
			}
			json_object_set_new(doc, "url", json_string(st->url));
			json_object_set_new(doc, "port",
					    json_integer(st->port));
			json_object_set_new(doc, "pid", json_integer(st->pid));
			if (st->registry[0])
				json_object_set_new(doc, "registry",
						    json_string(st->registry));
			if (st->router[0])
				json_object_set_new(doc, "router",
						    json_string(st->router));
			json_object_set_new(
				doc, "watchdog",
				json_pack("{s:I,s:b,s:I}", "pid",
					  (json_int_t)st->watchdog_pid,
					  "running", st->watchdog_running,
					  "restarts",
					  (json_int_t)st->watchdog_restarts));
		}
		cli_print_json(cli, doc);
		json_decref(doc);
		free(token_file);
		return 0;
	}
	free(token_file);
	if (!st->running) {
		printf("roger local is not running (state in %s)\n",
		       a->state_dir);
		return 0;
	}
	printf("roger local is running at %s (pid %ld, state in %s)\n", st->url,
	       st->pid, a->state_dir);
	if (st->cpus > 0 && st->mem > 0)
		printf("its tasks may use %g cpus and %g MiB in all\n",
		       st->cpus, st->mem);
	if (st->registry[0])
		printf("its registry is at %s (images: %s/NAME:TAG; log in with any user and the token as the password)\n",
		       st->registry, st->registry);
	if (st->router[0]) {
		const char *colon = strrchr(st->router, ':');

		printf("its router is at %s: apps answer at http://APP.GROUP.localhost:%s/ and on 127.0.0.1:SERVICEPORT\n",
		       st->router, colon ? colon + 1 : "");
	}
	print_watchdog(st);
	/*
	 * The same state directory for `token` as for this status.  The
	 * header goes to curl through a pipe, not its arguments, which other
	 * users of the machine can see in the process list.
	 */
	dir = a->state_dir_given ? shell_word(a->state_dir) : NULL;
	printf("every request needs its token, e.g.: roger local%s%s token | sed 's/^/Authorization: token=/' | curl -H @- %s/v2/apps\n",
	       dir ? " --state-dir " : "", dir ? dir : "", st->url);
	free(dir);
	return 0;
}

static int run_token(struct cli *cli, const struct local_args *a)
{
	struct roger_err err = ROGER_ERR_INIT;
	char token[ROGER_LOCAL_TOKEN_LEN + 1];
	int rc = roger_local_token_read(token, a->state_dir, &err);

	if (rc == ROGER_ENOTFOUND) {
		cli_error(
			"roger local has no token yet in '%s': 'roger local up' makes one",
			a->state_dir);
		return ROGER_EXIT_FAILURE;
	}
	if (rc < 0)
		return cli_fail(&err);
	if (cli->output == OUTPUT_JSON) {
		char *file = roger_local_token_file(a->state_dir);
		json_t *doc = json_pack("{s:s,s:s}", "token", token,
					"token_file", file ? file : "");

		cli_print_json(cli, doc);
		json_decref(doc);
		free(file);
	} else {
		printf("%s\n", token);
	}
	explicit_bzero(token, sizeof(token));
	return ROGER_EXIT_OK;
}

static void on_ready(void *data, const char *url)
{
	(void)data;
	printf("roger local listening on %s\n", url);
	fflush(stdout);
}

static int run_serve(struct cli *cli, const struct local_args *a)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_local_options o;

	memset(&o, 0, sizeof(o));
	o.state_dir = a->state_dir;
	o.port = (int)a->port;
	o.cpus = a->cpus;
	o.mem = a->mem;
	o.ca_file = a->ca_file;
	o.max_extract_bytes = a->max_bytes;
	o.max_extract_entries = a->max_entries;
	o.registry_auth = a->registry_auth;
	o.registry_port = (int)a->registry_port;
	o.router_port = (int)a->router_port;
	o.service_port_min = (int)a->service_port_min;
	o.gc_size = a->gc_size;
	if (roger_local_serve(cli->ctx, &o, &cli_interrupted, on_ready, NULL,
			      &err) < 0)
		return cli_fail(&err);
	/* Stopping on SIGTERM or SIGINT is the normal end of `serve`. */
	cli_interrupted = 0;
	return ROGER_EXIT_OK;
}

static bool same_amount(double want, double have)
{
	double d = want - have;

	return want <= 0 || (have > 0 && d < 1e-6 * have && -d < 1e-6 * have);
}

/* Whether a running server serves the capacity `a` asks for (if any). */
static bool capacity_matches(const struct local_args *a,
			     const struct roger_local_status *st)
{
	return same_amount(a->cpus, st->cpus) && same_amount(a->mem, st->mem);
}

/*
 * `up` with another capacity than the running server's: it is fixed when
 * the server starts, so say how to restart it instead of ignoring it.
 */
static int capacity_differs(const struct local_args *a,
			    const struct roger_local_status *st)
{
	char *dir = a->state_dir_given ? shell_word(a->state_dir) : NULL;
	struct roger_buf want = ROGER_BUF_INIT, have = ROGER_BUF_INIT;

	if (a->cpus > 0)
		roger_buf_addf(&want, " --cpus %s", a->cpus_arg);
	if (a->mem > 0)
		roger_buf_addf(&want, " --mem %s", a->mem_arg);
	if (st->cpus > 0 && st->mem > 0)
		roger_buf_addf(&have, "%g cpus and %g MiB", st->cpus, st->mem);
	else
		roger_buf_adds(&have, "a capacity it does not say");
	cli_error(
		"roger local is already running (pid %ld) with %s; the capacity is set when it starts: run 'roger local%s%s down', then 'roger local%s%s up%s'",
		st->pid, have.buf, dir ? " --state-dir " : "", dir ? dir : "",
		dir ? " --state-dir " : "", dir ? dir : "", want.buf);
	roger_buf_release(&want);
	roger_buf_release(&have);
	free(dir);
	return ROGER_EXIT_FAILURE;
}

static int run_up(struct cli *cli, const struct local_args *a)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_local_status st;
	char exe[PATH_MAX], port[16], rport[16], fport[16], sport[16],
		*argv[32], *msg;
	ssize_t n;
	int i = 0;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		cli_error("cannot find the roger binary: %s", strerror(errno));
		return ROGER_EXIT_FAILURE;
	}
	exe[n] = '\0';
	snprintf(port, sizeof(port), "%ld", a->port);
	argv[i++] = exe;
	argv[i++] = (char *)"local";
	argv[i++] = (char *)"serve";
	argv[i++] = (char *)"--port";
	argv[i++] = port;
	argv[i++] = (char *)"--state-dir";
	argv[i++] = a->state_dir;
	snprintf(rport, sizeof(rport), "%ld", a->registry_port);
	argv[i++] = (char *)"--registry-port";
	argv[i++] = rport;
	snprintf(fport, sizeof(fport), "%ld", a->router_port);
	argv[i++] = (char *)"--router-port";
	argv[i++] = fport;
	snprintf(sport, sizeof(sport), "%ld", a->service_port_min);
	argv[i++] = (char *)"--service-port-min";
	argv[i++] = sport;
	if (a->registry_auth) {
		argv[i++] = (char *)"--registry-auth";
		argv[i++] = a->registry_auth;
	}
	if (a->cpus_arg) {
		argv[i++] = (char *)"--cpus";
		argv[i++] = (char *)a->cpus_arg;
	}
	if (a->mem_arg) {
		argv[i++] = (char *)"--mem";
		argv[i++] = (char *)a->mem_arg;
	}
	if (a->max_bytes_arg) {
		argv[i++] = (char *)"--max-extract-bytes";
		argv[i++] = (char *)a->max_bytes_arg;
	}
	if (a->max_entries_arg) {
		argv[i++] = (char *)"--max-extract-entries";
		argv[i++] = (char *)a->max_entries_arg;
	}
	if (a->gc_size_arg) {
		argv[i++] = (char *)"--gc-size";
		argv[i++] = (char *)a->gc_size_arg;
	}
	if (a->ca_file) {
		argv[i++] = (char *)"--ca-file";
		argv[i++] = a->ca_file;
	}
	argv[i] = NULL;
	if (roger_local_start(&st, cli->ctx, a->state_dir, argv, 30000, &err) <
	    0) {
		if (err.code != ROGER_EEXISTS)
			return cli_fail(&err);
		/* The one that runs, as the status of its directory says. */
		msg = xstrdup(err.msg);
		roger_err_clear(&err);
		if (roger_local_status(&st, a->state_dir, &err) < 0) {
			free(msg);
			return cli_fail(&err);
		}
		if (!capacity_matches(a, &st)) {
			free(msg);
			return capacity_differs(a, &st);
		}
		if (!cli->quiet)
			fprintf(stderr, "roger: %s\n", msg);
		free(msg);
		return cli->output == OUTPUT_JSON ? print_status(cli, a, &st)
						  : ROGER_EXIT_OK;
	}
	if (a->port != 0 && st.port != a->port && !cli->quiet)
		fprintf(stderr,
			"roger: port %ld is taken by another program; roger local serves on %s\n",
			a->port, st.url);
	if (cli->output == OUTPUT_JSON)
		return print_status(cli, a, &st);
	printf("%s\n", st.url);
	return ROGER_EXIT_OK;
}

static int run_down(struct cli *cli, const struct local_args *a)
{
	struct roger_err err = ROGER_ERR_INIT;

	if (roger_local_stop(cli->ctx, a->state_dir, 120000, &err) < 0)
		return cli_fail(&err);
	if (!cli->quiet)
		fprintf(stderr, "roger: roger local stopped\n");
	return ROGER_EXIT_OK;
}

/* "3 sandboxes (1.5 MiB)": a count of things and their bytes. */
static void print_count(const char *sep, unsigned n, const char *one,
			const char *many, uint64_t bytes, bool with_bytes)
{
	printf("%s%u %s", sep, n, n == 1 ? one : many);
	if (with_bytes)
		printf(" (%.1f MiB)", (double)bytes / (1024.0 * 1024.0));
}

static int run_prune(struct cli *cli, const struct local_args *a)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_local_prune_report r;

	if (roger_local_prune(&r, cli->ctx, a->state_dir, a->keep, &err) < 0)
		return cli_fail(&err);
	if (cli->output == OUTPUT_JSON) {
		/* The images' keys as they were before sandboxes and artifacts.
		 */
		json_t *doc = json_pack(
			"{s:I,s:I,s:I,s:I,s:I,s:{s:I,s:I},s:{s:I,s:I,s:o},s:b}",
			"images", (json_int_t)r.images, "images_in_use",
			(json_int_t)r.images_in_use, "blobs",
			(json_int_t)r.blobs, "bytes", (json_int_t)r.bytes,
			"containers", (json_int_t)r.containers, "sandboxes",
			"removed", (json_int_t)r.sandboxes, "bytes",
			(json_int_t)r.sandbox_bytes, "artifacts", "removed",
			(json_int_t)r.artifacts, "bytes",
			(json_int_t)r.artifact_bytes, "paths",
			r.artifact_paths ? json_incref(r.artifact_paths)
					 : json_array(),
			"server_running", !r.offline);

		cli_print_json(cli, doc);
		json_decref(doc);
		roger_local_prune_report_release(&r);
		return ROGER_EXIT_OK;
	}
	print_count("removed ", r.sandboxes, "sandbox", "sandboxes",
		    r.sandbox_bytes, true);
	print_count(", ", r.artifacts, "artifact", "artifacts",
		    r.artifact_bytes, true);
	print_count(", ", r.images, "image", "images", 0, false);
	print_count(" and ", r.blobs, "blob", "blobs", r.bytes, true);
	printf("\n");
	if (r.images_in_use)
		printf("kept %u image%s no app names: tasks still run on %s\n",
		       r.images_in_use, r.images_in_use == 1 ? "" : "s",
		       r.images_in_use == 1 ? "it" : "them");
	roger_local_prune_report_release(&r);
	return ROGER_EXIT_OK;
}

static int local_run(struct cli *cli, int argc, char **argv)
{
	struct local_args a;
	struct roger_local_status st;
	struct roger_err err = ROGER_ERR_INIT;
	int status;

	memset(&a, 0, sizeof(a));
	status = parse_args(cli, argc, argv, &a);
	if (status)
		goto out;
	if (!strcmp(a.verb, "serve")) {
		status = run_serve(cli, &a);
	} else if (!strcmp(a.verb, "up")) {
		status = run_up(cli, &a);
	} else if (!strcmp(a.verb, "down")) {
		status = run_down(cli, &a);
	} else if (!strcmp(a.verb, "token")) {
		status = run_token(cli, &a);
	} else if (!strcmp(a.verb, "prune")) {
		status = run_prune(cli, &a);
	} else {
		roger_local_status(&st, a.state_dir, &err);
		print_status(cli, &a, &st);
		status = st.running ? ROGER_EXIT_OK : ROGER_EXIT_FAILURE;
	}
out:
	free(a.state_dir);
	free(a.ca_file);
	free(a.registry_auth);
	return status;
}

const struct roger_cmd cmd_local = {
	.name = "local",
	.summary =
		"run the single-node cluster on this machine: up, down, status, serve, prune, token",
	.operands = "up | down | status | serve | prune | token",
	.max_operands = 1,
	.opts = local_opts,
	.args = ARG_CHOICE,
	.arg_choices = "up down status serve prune token",
	.run = local_run,
};
