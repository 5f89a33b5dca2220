/*
 * local.c - `roger local up|down|status|serve|token`: the single-node
 * cluster on this machine (lib/local/local.h does the work).
 *
 * `serve` runs the server in the foreground until SIGINT or SIGTERM.  `up`
 * starts `serve` in the background by executing this very binary
 * (/proc/self/exe) detached from the terminal, and returns once it answers.
 * `down` stops it, which kills every task it started; `status` says whether
 * it runs, where, and how to send it a request; `token` prints the token
 * every request must carry.  The state directory (--state-dir, default
 * $XDG_STATE_HOME/roger/local) identifies a server, so several can run side
 * by side on different ports.  The defaults of --port, --state-dir,
 * --ca-file and the extraction caps come from the user config's "local"
 * object.
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

enum {
	OPT_CA_FILE = OPT_LONG,
	OPT_CPUS,
	OPT_MAX_EXTRACT_BYTES,
	OPT_MAX_EXTRACT_ENTRIES,
	OPT_MEM,
	OPT_PORT,
	OPT_STATE_DIR,
};

static const struct cmd_opt local_opts[] = {
	{ OPT_CA_FILE, "ca-file", "FILE", ARG_FILE, NULL, "CA certificates (PEM) the fetcher checks https:// servers against, instead of the system's" },
	{ OPT_CPUS, "cpus", "N", ARG_WORD, NULL, "cpus the tasks may use in all (default: this machine's)" },
	{ OPT_MAX_EXTRACT_BYTES, "max-extract-bytes", "SIZE", ARG_WORD, NULL, "the most bytes one fetched archive may extract, as 512M or 4G (default: the user config's, 2G; 0: no limit)" },
	{ OPT_MAX_EXTRACT_ENTRIES, "max-extract-entries", "N", ARG_WORD, NULL, "the most entries one fetched archive may hold (default: the user config's, 1000000; 0: no limit)" },
	{ OPT_MEM, "mem", "MIB", ARG_WORD, NULL, "memory in MiB the tasks may use in all (default: this machine's)" },
	{ OPT_PORT, "port", "PORT", ARG_WORD, NULL, "the port on 127.0.0.1 to serve on, a free one when it is taken (default: the user config's, 7878; 0: any free port)" },
	{ OPT_STATE_DIR, "state-dir", "DIR", ARG_DIR, NULL, "the state directory (default: the user config's, $XDG_STATE_HOME/roger/local)" },
	{ 0 },
};

struct local_args {
	const char *verb;
	char *state_dir;
	bool state_dir_given; /* by --state-dir */
	char *ca_file;  /* absolute */
	long port;
	const char *port_arg;
	const char *cpus_arg, *mem_arg;
	const char *max_bytes_arg, *max_entries_arg;
	double cpus, mem;
	/* 0: the default; UINT64_MAX: no limit (0 on the command line) */
	uint64_t max_bytes, max_entries;
};

static int parse_double(struct cli *cli, const char *what, const char *s,
			double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (!*s || *end || errno || v <= 0)
		return cli_usage_error(cli, "invalid %s '%s': expected a positive number", what, s);
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
			return cli_usage_error(cli, "invalid %s '%s': expected a size in bytes, or with K, M, G or T", what, s);
	} else {
		errno = 0;
		v = strtoull(s, &end, 10);
		if (!*s || *s == '-' || *end || errno)
			return cli_usage_error(cli, "invalid %s '%s': expected a whole number", what, s);
	}
	*out = v ? v : UINT64_MAX;
	return 0;
}

/* Options before and after the verb: `roger local --port 1 up --cpus 2`. */
static int parse_args(struct cli *cli, int argc, char **argv,
		      struct local_args *a)
{
	struct roger_err err = ROGER_ERR_INIT;
	int c, status;

	for (int round = 0; round < 2; round++) {
		while ((c = cli_getopt(cli, argc, argv)) != -1) {
			switch (c) {
			case OPT_CPUS:
				a->cpus_arg = optarg;
				break;
			case OPT_MEM:
				a->mem_arg = optarg;
				break;
			case OPT_MAX_EXTRACT_BYTES:
				a->max_bytes_arg = optarg;
				break;
			case OPT_MAX_EXTRACT_ENTRIES:
				a->max_entries_arg = optarg;
				break;
			case OPT_PORT:
				a->port_arg = optarg;
				break;
			case OPT_CA_FILE:
				free(a->ca_file);
				a->ca_file = xstrdup(optarg);
				break;
			case OPT_STATE_DIR:
				free(a->state_dir);
				a->state_dir = xstrdup(optarg);
				a->state_dir_given = true;
				break;
			}
		}
		if (round == 1) {
			if (optind < argc)
				return cli_usage_error(cli, "too many arguments");
			break;
		}
		if (optind >= argc)
			return cli_usage_error(cli, "missing verb: expected up, down, status, serve or token");
		a->verb = argv[optind];
		argc -= optind;
		argv += optind;
	}
	if (strcmp(a->verb, "up") && strcmp(a->verb, "down") &&
	    strcmp(a->verb, "status") && strcmp(a->verb, "serve") &&
	    strcmp(a->verb, "token"))
		return cli_usage_error(cli, "unknown verb '%s': expected up, down, status, serve or token", a->verb);
	/* Defaults from the user config ("local": {"port", "state_dir"}). */
	if (!cli->user_config &&
	    roger_user_config_load(&cli->user_config, cli->ctx, NULL, &err) < 0)
		return cli_fail(&err);
	a->port = cli->user_config->local_port;
	if (a->port_arg &&
	    (status = cli_parse_long(cli, "--port", a->port_arg, 0, 65535, &a->port)))
		return status;
	if (a->cpus_arg && (status = parse_double(cli, "--cpus", a->cpus_arg, &a->cpus)))
		return status;
	if (a->mem_arg && (status = parse_double(cli, "--mem", a->mem_arg, &a->mem)))
		return status;
	a->max_bytes = cli->user_config->local_max_extract_bytes;
	a->max_entries = cli->user_config->local_max_extract_entries;
	if (a->max_bytes_arg &&
	    (status = parse_limit(cli, "--max-extract-bytes", a->max_bytes_arg, true, &a->max_bytes)))
		return status;
	if (a->max_entries_arg &&
	    (status = parse_limit(cli, "--max-extract-entries", a->max_entries_arg, false, &a->max_entries)))
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
			cli_error("cannot find the state directory: set --state-dir");
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
					"state_dir", a->state_dir,
					"token_file", token_file);

		if (st->running) {
			json_object_set_new(doc, "url", json_string(st->url));
			json_object_set_new(doc, "port", json_integer(st->port));
			json_object_set_new(doc, "pid", json_integer(st->pid));
			json_object_set_new(doc, "watchdog",
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
		printf("roger local is not running (state in %s)\n", a->state_dir);
		return 0;
	}
	printf("roger local is running at %s (pid %ld, state in %s)\n",
	       st->url, st->pid, a->state_dir);
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
		cli_error("roger local has no token yet in '%s': 'roger local up' makes one",
			  a->state_dir);
		return ROGER_EXIT_FAILURE;
	}
	if (rc < 0)
		return cli_fail(&err);
	if (cli->output == OUTPUT_JSON) {
		char *file = roger_local_token_file(a->state_dir);
		json_t *doc = json_pack("{s:s,s:s}", "token", token, "token_file",
					file ? file : "");

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
	if (roger_local_serve(cli->ctx, &o, &cli_interrupted, on_ready, NULL, &err) < 0)
		return cli_fail(&err);
	/* Stopping on SIGTERM or SIGINT is the normal end of `serve`. */
	cli_interrupted = 0;
	return ROGER_EXIT_OK;
}

static int run_up(struct cli *cli, const struct local_args *a)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_local_status st;
	char exe[PATH_MAX], port[16], *argv[24];
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
	if (a->ca_file) {
		argv[i++] = (char *)"--ca-file";
		argv[i++] = a->ca_file;
	}
	argv[i] = NULL;
	if (roger_local_start(&st, cli->ctx, a->state_dir, argv, 30000, &err) < 0) {
		if (err.code != ROGER_EEXISTS)
			return cli_fail(&err);
		if (!cli->quiet)
			fprintf(stderr, "roger: %s\n", err.msg);
		if (cli->output != OUTPUT_JSON)
			return ROGER_EXIT_OK;
		/* The one that runs, as the status of its directory says. */
		roger_err_clear(&err);
		if (roger_local_status(&st, a->state_dir, &err) < 0)
			return cli_fail(&err);
		return print_status(cli, a, &st);
	}
	if (a->port != 0 && st.port != a->port && !cli->quiet)
		fprintf(stderr, "roger: port %ld is taken by another program; roger local serves on %s\n",
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
	} else {
		roger_local_status(&st, a.state_dir, &err);
		print_status(cli, &a, &st);
		status = st.running ? ROGER_EXIT_OK : ROGER_EXIT_FAILURE;
	}
out:
	free(a.state_dir);
	free(a.ca_file);
	return status;
}

const struct roger_cmd cmd_local = {
	.name = "local",
	.summary = "run the single-node cluster on this machine: up, down, status, serve, token",
	.usage = "roger local [--ca-file file] [--cpus n] [--max-extract-bytes size] [--max-extract-entries n] [--mem mib] [--port port] [--state-dir dir] up | down | status | serve | token",
	.opts = local_opts,
	.args = ARG_CHOICE,
	.arg_choices = "up down status serve token",
	.run = local_run,
};
