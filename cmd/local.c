/*
 * local.c - `roger local up|down|status|serve`: the single-node cluster on
 * this machine (lib/local/local.h does the work).
 *
 * `serve` runs the server in the foreground until SIGINT or SIGTERM.  `up`
 * starts `serve` in the background by executing this very binary
 * (/proc/self/exe) detached from the terminal, and returns once it answers.
 * `down` stops it, which kills every task it started; `status` says whether
 * it runs and where.  The state directory (--state-dir, default
 * $XDG_STATE_HOME/roger/local) identifies a server, so several can run side
 * by side on different ports.  The defaults of --port and --state-dir come
 * from the user config's "local" object.
 */
#include <config.h>

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "lib/config.h"
#include "lib/local/local.h"

/* The options as given; parse_args() turns them into struct local_args. */
static struct {
	const char *ca_file, *cpus, *mem, *state_dir;
	long port; /* -1: the user config's */
} opt = { .port = -1 };

static const struct cmd_opt local_opts[] = {
	OPT_STRING(0, "ca-file", &opt.ca_file, "file", ARG_FILE, "CA certificates (PEM) the fetcher checks https:// servers against, instead of the system's"),
	OPT_STRING(0, "cpus", &opt.cpus, "n", ARG_WORD, "cpus the tasks may use in all (default: this machine's)"),
	OPT_STRING(0, "mem", &opt.mem, "mib", ARG_WORD, "memory in MiB the tasks may use in all (default: this machine's)"),
	OPT_INT(0, "port", &opt.port, "port", 0, 65535, "the port on 127.0.0.1 to serve on (default: the user config's, 7878; 0: any free port)"),
	OPT_STRING(0, "state-dir", &opt.state_dir, "dir", ARG_DIR, "the state directory (default: the user config's, $XDG_STATE_HOME/roger/local)"),
	OPT_END(),
};

struct local_args {
	const char *verb;
	char *state_dir;
	char *ca_file;  /* absolute */
	long port;
	const char *cpus_arg, *mem_arg;
	double cpus, mem;
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

/* Options before and after the verb: `roger local --port 1 up --cpus 2`. */
static int parse_args(struct cli *cli, int argc, char **argv,
		      struct local_args *a)
{
	struct roger_err err = ROGER_ERR_INIT;
	int status;

	if (cli_parse_options(cli, argc, argv) < 1)
		return cli_usage_error(cli, "missing verb: expected up, down, status or serve");
	a->verb = argv[0];
	a->cpus_arg = opt.cpus;
	a->mem_arg = opt.mem;
	if (opt.ca_file)
		a->ca_file = xstrdup(opt.ca_file);
	if (opt.state_dir)
		a->state_dir = xstrdup(opt.state_dir);
	if (strcmp(a->verb, "up") && strcmp(a->verb, "down") &&
	    strcmp(a->verb, "status") && strcmp(a->verb, "serve"))
		return cli_usage_error(cli, "unknown verb '%s': expected up, down, status or serve", a->verb);
	/* Defaults from the user config ("local": {"port", "state_dir"}). */
	if (!cli->user_config &&
	    roger_user_config_load(&cli->user_config, cli->ctx, NULL, &err) < 0)
		return cli_fail(&err);
	a->port = opt.port >= 0 ? opt.port : cli->user_config->local_port;
	if (a->cpus_arg && (status = parse_double(cli, "--cpus", a->cpus_arg, &a->cpus)))
		return status;
	if (a->mem_arg && (status = parse_double(cli, "--mem", a->mem_arg, &a->mem)))
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

static int print_status(struct cli *cli, const struct local_args *a,
			const struct roger_local_status *st)
{
	if (cli->output == OUTPUT_JSON) {
		json_t *doc = json_pack("{s:b,s:s}", "running", st->running,
					"state_dir", a->state_dir);

		if (st->running) {
			json_object_set_new(doc, "url", json_string(st->url));
			json_object_set_new(doc, "port", json_integer(st->port));
			json_object_set_new(doc, "pid", json_integer(st->pid));
		}
		cli_print_json(cli, doc);
		json_decref(doc);
		return 0;
	}
	if (st->running)
		printf("roger local is running at %s (pid %ld, state in %s)\n",
		       st->url, st->pid, a->state_dir);
	else
		printf("roger local is not running (state in %s)\n", a->state_dir);
	return 0;
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
	char exe[PATH_MAX], port[16], *argv[16];
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
	if (a->ca_file) {
		argv[i++] = (char *)"--ca-file";
		argv[i++] = a->ca_file;
	}
	argv[i] = NULL;
	if (roger_local_start(&st, cli->ctx, a->state_dir, argv, 30000, &err) < 0) {
		if (err.code == ROGER_EEXISTS) {
			if (!cli->quiet)
				fprintf(stderr, "roger: %s\n", err.msg);
			return cli->output == OUTPUT_JSON ? print_status(cli, a, &st)
							  : ROGER_EXIT_OK;
		}
		return cli_fail(&err);
	}
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
	.summary = "run the single-node cluster on this machine: up, down, status, serve",
	.operands = "up | down | status | serve",
	.max_operands = 1,
	.opts = local_opts,
	.args = ARG_CHOICE,
	.arg_choices = "up down status serve",
	.run = local_run,
};
