/*
 * init.c - detecting what a project is, for `roger init`.
 *
 * Design: a few small detectors look at well-known files of the project
 * directory and fill one `struct found` with candidates: the command (each
 * candidate with a rank, so that an explicit declaration such as a Procfile
 * `web:` line beats a convention such as `python3 app.py`), build steps
 * (every ecosystem present adds its own, joined with &&), whether the
 * process serves HTTP, and environment variables the ecosystem expects.
 * Every decision keeps the reason that led to it, for the report.  The
 * detectors only read files; nothing here runs a program.  The rules are
 * listed in roger-init(1), which must change with them.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "dockerfile.h"
#include "err.h"
#include "fs.h"
#include "image.h"
#include "init.h"
#include "oci.h"
#include "project.h"
#include "secret.h"
#include "spec.h"
#include "str.h"
#include "util.h"

/* Command candidates, best first. */
enum rank {
	RANK_FLAG, /* --cmd */
	RANK_PROCFILE, /* Procfile web: */
	RANK_MANIFEST, /* package.json start script */
	RANK_EXECUTABLE, /* ./start and the like */
	RANK_CONVENTION, /* app.py, the Go or Rust binary, config.ru */
	RANK_NONE,
};

struct found {
	const char *dir;
	const char *app; /* the app name, for binary names */
	char *cmd;
	char *cmd_why;
	enum rank cmd_rank;
	struct roger_buf build;
	struct roger_buf build_why;
	char *web_why; /* NULL: not known to serve HTTP */
	char *no_cmd_why; /* why a candidate was not proposed, or NULL */
	json_t *env; /* variables the ecosystem expects */
	/* what a Dockerfile gives (detect_docker) */
	struct roger_init *init; /* its skipped instructions go there */
	json_t *image; /* the image section, or NULL */
	json_t *ports; /* its EXPOSE as portDefinitions, or NULL */
	char *image_runs; /* its CMD/ENTRYPOINT, as text, or NULL */
	struct docker_note {
		const char *what;
		char *value;
		char *why;
	} dnotes[12];
	size_t n_dnotes;
	json_t *cache_paths; /* build.cache: what the build step fills... */
	json_t *cache_keys; /* ...from these files */
	struct roger_buf cache_version; /* the tools' version commands */
	json_t *exclude; /* build.exclude */
	bool oom;
};

static char *xasprintf(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static char *xasprintf(const char *fmt, ...)
{
	struct roger_buf b = ROGER_BUF_INIT;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = roger_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (rc < 0)
		return NULL;
	return roger_buf_detach(&b, NULL);
}

static bool file_exists(const struct found *f, const char *name)
{
	char *path = roger_path_join(f->dir, name);
	struct stat st;
	bool yes = path && stat(path, &st) == 0 && S_ISREG(st.st_mode);

	free(path);
	return yes;
}

static bool file_executable(const struct found *f, const char *name)
{
	char *path = roger_path_join(f->dir, name);
	struct stat st;
	bool yes = path && stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		   (st.st_mode & 0111);

	free(path);
	return yes;
}

/* The contents of a file of the project, or NULL when it cannot be read. */
static char *read_text(const struct found *f, const char *name)
{
	struct roger_buf b = ROGER_BUF_INIT;
	char *path = roger_path_join(f->dir, name);
	int rc = path ? roger_fs_read_file(&b, path, NULL) : ROGER_ENOMEM;

	free(path);
	if (rc < 0) {
		roger_buf_release(&b);
		return NULL;
	}
	return roger_buf_detach(&b, NULL);
}

static void set_cmd(struct found *f, enum rank rank, const char *cmd, char *why)
{
	char *copy;

	if (!why) {
		f->oom = true;
		return;
	}
	if (rank >= f->cmd_rank) {
		free(why);
		return;
	}
	copy = strdup(cmd);
	if (!copy) {
		free(why);
		f->oom = true;
		return;
	}
	free(f->cmd);
	free(f->cmd_why);
	f->cmd = copy;
	f->cmd_why = why;
	f->cmd_rank = rank;
}

static void add_build(struct found *f, const char *cmd, const char *why)
{
	/* "a && (b || c)": a command that may skip itself keeps its braces. */
	bool brace = f->build.len && strstr(cmd, "||");

	if (roger_buf_addf(&f->build, "%s%s%s%s", f->build.len ? " && " : "",
			   brace ? "{ " : "", cmd, brace ? "; }" : "") < 0 ||
	    roger_buf_addf(&f->build_why, "%s%s", f->build_why.len ? "; " : "",
			   why) < 0)
		f->oom = true;
}

static void add_strings(struct found *f, json_t *array, const char *const *v)
{
	for (size_t i = 0; v[i]; i++)
		if (json_array_append_new(array, json_string(v[i])) < 0)
			f->oom = true;
}

/*
 * What the build step of an ecosystem makes from a few files (its lock
 * file...), kept in build.cache; `version` prints the tools' versions,
 * part of the cache key.
 */
static void add_cache(struct found *f, const char *const *paths,
		      const char *const *keys, const char *version)
{
	add_strings(f, f->cache_paths, paths);
	add_strings(f, f->cache_keys, keys);
	if (roger_buf_addf(&f->cache_version, "%s%s",
			   f->cache_version.len ? " && " : "", version) < 0)
		f->oom = true;
}

static void set_web(struct found *f, char *why)
{
	if (!why) {
		f->oom = true;
		return;
	}
	if (f->web_why) {
		free(why);
		return;
	}
	f->web_why = why;
}

static void set_env(struct found *f, const char *name, const char *value)
{
	if (json_object_set_new(f->env, name, json_string(value)) < 0)
		f->oom = true;
}

/* The first of `words` that `text` mentions as a whole word, or NULL. */
static const char *mentions(const char *text, const char *const *words,
			    size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(words[i]);

		for (const char *p = strstr(text, words[i]); p;
		     p = strstr(p + 1, words[i])) {
			char before = p == text ? ' ' : p[-1];
			char after = p[len];

			if ((before == ' ' || before == '"' || before == '\n' ||
			     before == '\t' || before == '\'') &&
			    !(after == '_' || after == '-' ||
			      (after >= 'a' && after <= 'z') ||
			      (after >= '0' && after <= '9')))
				return words[i];
		}
	}
	return NULL;
}

/* ---- detectors -------------------------------------------------------------- */

static void detect_procfile(struct found *f)
{
	char *text = read_text(f, "Procfile");
	char *line, *save = NULL;

	if (!text)
		return;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *cmd;
		size_t len;

		line[strcspn(line, "\r")] = '\0';
		if (strncmp(line, "web:", 4))
			continue;
		cmd = line + 4;
		while (*cmd == ' ' || *cmd == '\t')
			cmd++;
		len = strlen(cmd);
		while (len > 0 && (cmd[len - 1] == ' ' || cmd[len - 1] == '\t'))
			cmd[--len] = '\0';
		if (!*cmd || !roger_utf8_valid(cmd, len))
			continue;
		set_cmd(f, RANK_PROCFILE, cmd,
			xasprintf("the web: line of Procfile"));
		set_web(f, xasprintf("Procfile declares a web process"));
		free(text);
		return;
	}
	free(text);
}

static void detect_node(struct found *f)
{
	static const char *const web_deps[] = {
		"express", "koa",     "fastify",      "@hapi/hapi",
		"hapi",    "next",    "@nestjs/core", "restify",
		"polka",   "connect", "sails",        "nuxt",
	};
	static const char *const node_modules[] = { "node_modules", NULL };
	char *text = read_text(f, "package.json");
	json_t *pkg, *deps;
	const char *lock = NULL;

	if (!text)
		return;
	pkg = json_loads(text, 0, NULL);
	free(text);
	if (!json_is_object(pkg)) {
		json_decref(pkg);
		return;
	}
	if (json_is_string(
		    json_object_get(json_object_get(pkg, "scripts"), "start")))
		set_cmd(f, RANK_MANIFEST, "npm start",
			xasprintf("package.json has a \"start\" script"));
	else if (file_exists(f, "server.js"))
		set_cmd(f, RANK_MANIFEST, "node server.js",
			xasprintf(
				"package.json has no \"start\" script and server.js exists, as npm start would run"));
	if (file_exists(f, "package-lock.json"))
		lock = "package-lock.json";
	else if (file_exists(f, "npm-shrinkwrap.json"))
		lock = "npm-shrinkwrap.json";
	if (lock) {
		char *why = xasprintf(
			"package.json with %s; node_modules comes from the build cache while they do not change",
			lock);
		const char *const keys[] = { "package.json", lock, NULL };

		add_build(f, "test -d node_modules || npm ci --omit=dev",
			  why ? why : "");
		add_cache(f, node_modules, keys,
			  "node --version && npm --version");
		free(why);
	} else if (file_exists(f, "yarn.lock")) {
		static const char *const keys[] = { "package.json", "yarn.lock",
						    NULL };

		add_build(
			f,
			"test -d node_modules || yarn install --frozen-lockfile --production",
			"package.json with yarn.lock; node_modules comes from the build cache while they do not change");
		add_cache(f, node_modules, keys,
			  "node --version && yarn --version");
	} else if (file_exists(f, "pnpm-lock.yaml")) {
		static const char *const keys[] = { "package.json",
						    "pnpm-lock.yaml", NULL };

		add_build(
			f,
			"test -d node_modules || pnpm install --frozen-lockfile --prod",
			"package.json with pnpm-lock.yaml; node_modules comes from the build cache while they do not change");
		add_cache(f, node_modules, keys,
			  "node --version && pnpm --version");
	} else {
		add_build(f, "npm install --omit=dev",
			  "package.json without a lockfile");
	}
	deps = json_object_get(pkg, "dependencies");
	for (size_t i = 0; i < ROGER_ARRAY_SIZE(web_deps); i++)
		if (json_object_get(deps, web_deps[i])) {
			set_web(f, xasprintf("package.json depends on %s",
					     web_deps[i]));
			break;
		}
	set_env(f, "NODE_ENV", "production");
	json_decref(pkg);
}

/*
 * The name `var` that a Python module binds to a web framework's app
 * object ("app" in `app = Flask(__name__)`), into `out` (size bytes), and
 * whether it is an ASGI app (FastAPI, Starlette) rather than WSGI (Flask,
 * Bottle); false when the module makes none.
 */
static bool python_app_object(const char *text, char *out, size_t size,
			      bool *asgi)
{
	static const struct {
		const char *call;
		bool asgi;
	} kinds[] = {
		{ "Flask(", false },
		{ "Bottle(", false },
		{ "FastAPI(", true },
		{ "Starlette(", true },
	};

	for (size_t k = 0; k < ROGER_ARRAY_SIZE(kinds); k++) {
		for (const char *p = strstr(text, kinds[k].call); p;
		     p = strstr(p + 1, kinds[k].call)) {
			const char *line = p, *q, *end;

			while (line > text && line[-1] != '\n')
				line--;
			q = line;
			while (*q == '_' || (*q >= 'a' && *q <= 'z') ||
			       (*q >= 'A' && *q <= 'Z') ||
			       (*q >= '0' && *q <= '9'))
				q++;
			end = q;
			while (*q == ' ' || *q == '\t')
				q++;
			if (end == line || *q != '=' || q[1] == '=' ||
			    (size_t)(end - line) >= size)
				continue;
			memcpy(out, line, (size_t)(end - line));
			out[end - line] = '\0';
			*asgi = kinds[k].asgi;
			return true;
		}
	}
	return false;
}

/* Whether a Python module starts a server when run (not only defines an app).
 */
static bool python_serves(const char *text)
{
	static const char *const starts[] = {
		".run(",          "run_app(",     "serve(",
		"serve_forever(", "make_server(", "run_simple(",
	};

	for (size_t i = 0; i < ROGER_ARRAY_SIZE(starts); i++)
		if (strstr(text, starts[i]))
			return true;
	return false;
}

/*
 * The command of the Python module `main` ("app.py"): `python3 app.py`,
 * unless it defines a web app but starts no server, which would exit at
 * once: then the app served by a server that requirements.txt (`reqs`)
 * lists, or by Flask's own, or no command at all.
 */
static void python_command(struct found *f, const char *main, const char *reqs)
{
	static const char *const gunicorn[] = { "gunicorn" };
	static const char *const uvicorn[] = { "uvicorn" };
	char *text = read_text(f, main), *cmd = NULL, *why = NULL;
	char module[64], var[64];
	bool asgi = false;

	snprintf(module, sizeof(module), "%.*s", (int)(strlen(main) - 3), main);
	if (!text || python_serves(text) ||
	    !python_app_object(text, var, sizeof(var), &asgi)) {
		cmd = xasprintf("python3 %s", main);
		why = xasprintf("requirements.txt and %s", main);
	} else if (asgi && mentions(reqs, uvicorn, 1)) {
		cmd = xasprintf(
			"python3 -m uvicorn %s:%s --host 0.0.0.0 --port $PORT0",
			module, var);
		why = xasprintf(
			"%s defines the ASGI app '%s' and starts no server; requirements.txt lists uvicorn",
			main, var);
	} else if (!asgi && mentions(reqs, gunicorn, 1)) {
		cmd = xasprintf(
			"python3 -m gunicorn --bind 0.0.0.0:$PORT0 %s:%s",
			module, var);
		why = xasprintf(
			"%s defines the WSGI app '%s' and starts no server; requirements.txt lists gunicorn",
			main, var);
	} else if (!asgi && strstr(text, "Flask(")) {
		cmd = xasprintf(
			"python3 -m flask --app %s:%s run --host 0.0.0.0 --port $PORT0",
			module, var);
		why = xasprintf(
			"%s defines the Flask app '%s' and starts no server: Flask's development server; add gunicorn to requirements.txt for a production one",
			main, var);
	} else {
		f->no_cmd_why = xasprintf(
			"%s defines the %s app '%s' but starts no server, and requirements.txt lists none (add %s to it, or use --cmd)",
			main, asgi ? "ASGI" : "WSGI", var,
			asgi ? "uvicorn" : "gunicorn");
		if (!f->no_cmd_why)
			f->oom = true;
		free(text);
		return;
	}
	if (!cmd) {
		f->oom = true;
		free(why);
	} else {
		set_cmd(f, RANK_CONVENTION, cmd, why);
	}
	free(cmd);
	free(text);
}

static void detect_python(struct found *f)
{
	static const char *const web_deps[] = {
		"flask",    "Flask",     "django", "Django",   "fastapi",
		"gunicorn", "uvicorn",   "bottle", "aiohttp",  "tornado",
		"falcon",   "starlette", "sanic",  "waitress",
	};
	static const char *const mains[] = { "app.py", "main.py" };
	static const char *const pydeps[] = { ".pydeps", NULL };
	static const char *const requirements[] = { "requirements.txt", NULL };
	char *text = read_text(f, "requirements.txt");
	const char *dep;

	if (!text)
		return;
	add_build(
		f,
		"test -d .pydeps || python3 -m pip install --no-cache-dir --target .pydeps -r requirements.txt",
		"requirements.txt (packages go to .pydeps, on PYTHONPATH; from the build cache while it does not change)");
	add_cache(f, pydeps, requirements,
		  "python3 --version && python3 -m pip --version");
	set_env(f, "PYTHONPATH", ".pydeps");
	for (size_t i = 0; i < ROGER_ARRAY_SIZE(mains); i++) {
		if (!file_exists(f, mains[i]))
			continue;
		python_command(f, mains[i], text);
		break;
	}
	dep = mentions(text, web_deps, ROGER_ARRAY_SIZE(web_deps));
	if (dep)
		set_web(f, xasprintf("requirements.txt lists %s", dep));
	free(text);
}

/* Whether a .go file at the top of the project imports net/http. */
static bool go_uses_http(const struct found *f)
{
	DIR *d = opendir(f->dir);
	struct dirent *de;
	bool yes = false;

	if (!d)
		return false;
	while (!yes && (de = readdir(d))) {
		size_t len = strlen(de->d_name);
		char *text;

		if (len < 4 || strcmp(de->d_name + len - 3, ".go"))
			continue;
		text = read_text(f, de->d_name);
		yes = text && strstr(text, "\"net/http\"");
		free(text);
	}
	closedir(d);
	return yes;
}

static void detect_go(struct found *f)
{
	static const char *const go_paths[] = { ".cache/go-mod", NULL };
	static const char *const go_keys[] = { "go.mod", "go.sum", NULL };
	static const char *const go_exclude[] = { ".cache/", NULL };
	char *build, *cmd;

	if (!file_exists(f, "go.mod"))
		return;
	build = xasprintf(
		"GOMODCACHE=\"$PWD/.cache/go-mod\" GOFLAGS=-modcacherw go build -o bin/%s .",
		f->app);
	cmd = xasprintf("./bin/%s", f->app);
	if (!build || !cmd)
		f->oom = true;
	else {
		add_build(
			f, build,
			"go.mod (a Go module; its modules are downloaded into .cache/go-mod, kept in the build cache while go.mod and go.sum do not change)");
		add_cache(f, go_paths, go_keys, "go version");
		add_strings(f, f->exclude, go_exclude);
		set_cmd(f, RANK_CONVENTION, cmd,
			xasprintf(
				"go.mod: the binary that the build step makes"));
	}
	free(build);
	free(cmd);
	if (go_uses_http(f))
		set_web(f, xasprintf("a .go file imports net/http"));
}

/* The package name of a Cargo.toml: `name = "x"` in its [package] table. */
static char *cargo_package_name(const char *text)
{
	const char *p = strstr(text, "[package]");
	const char *q, *end;

	if (!p)
		return NULL;
	for (p += 9; *p && *p != '[';
	     p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p)) {
		q = p;
		while (*q == ' ' || *q == '\t')
			q++;
		if (strncmp(q, "name", 4))
			continue;
		q += 4;
		while (*q == ' ' || *q == '\t')
			q++;
		if (*q++ != '=')
			continue;
		while (*q == ' ' || *q == '\t')
			q++;
		if (*q++ != '"')
			continue;
		end = strchr(q, '"');
		if (!end || memchr(q, '\n', (size_t)(end - q)))
			return NULL;
		return strndup(q, (size_t)(end - q));
	}
	return NULL;
}

static void detect_rust(struct found *f)
{
	static const char *const web_deps[] = {
		"actix-web", "axum", "rocket", "warp", "hyper", "tide", "poem",
	};
	char *text = read_text(f, "Cargo.toml");
	char *name, *cmd = NULL;
	const char *dep;

	if (!text)
		return;
	add_build(f,
		  file_exists(f, "Cargo.lock")
			  ? "cargo build --release --locked"
			  : "cargo build --release",
		  file_exists(f, "Cargo.lock") ? "Cargo.toml with Cargo.lock"
					       : "Cargo.toml");
	name = cargo_package_name(text);
	if (name &&
	    strspn(name,
		   "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") ==
		    strlen(name)) {
		cmd = xasprintf("./target/release/%s", name);
		if (cmd)
			set_cmd(f, RANK_CONVENTION, cmd,
				xasprintf(
					"Cargo.toml: the binary of package %s",
					name));
		else
			f->oom = true;
	}
	dep = mentions(text, web_deps, ROGER_ARRAY_SIZE(web_deps));
	if (dep)
		set_web(f, xasprintf("Cargo.toml depends on %s", dep));
	free(cmd);
	free(name);
	free(text);
}

static void detect_ruby(struct found *f)
{
	static const char *const paths[] = { "vendor/bundle", NULL };
	static const char *const keys[] = { "Gemfile", "Gemfile.lock", NULL };

	if (!file_exists(f, "Gemfile"))
		return;
	add_build(
		f,
		"bundle config set --local deployment true && bundle config set --local without 'development test' && bundle install",
		"Gemfile (vendor/bundle kept in the build cache while Gemfile and Gemfile.lock do not change)");
	add_cache(f, paths, keys, "ruby --version && bundle --version");
	if (file_exists(f, "config.ru")) {
		set_cmd(f, RANK_CONVENTION,
			"bundle exec rackup -o 0.0.0.0 -p $PORT0",
			xasprintf("Gemfile and config.ru (a Rack app)"));
		set_web(f, xasprintf("config.ru is a Rack web app"));
	}
}

static void detect_executable(struct found *f)
{
	static const char *const names[] = { "start", "run", "server", "app" };

	for (size_t i = 0; i < ROGER_ARRAY_SIZE(names); i++) {
		char *cmd;

		if (!file_executable(f, names[i]))
			continue;
		cmd = xasprintf("./%s", names[i]);
		if (!cmd) {
			f->oom = true;
			return;
		}
		set_cmd(f, RANK_EXECUTABLE, cmd,
			xasprintf("%s is an executable file", names[i]));
		free(cmd);
		return;
	}
}

/* A command that reads $PORT or $PORT0 serves on that port. */
static void detect_port_use(struct found *f)
{
	if (f->cmd && (strstr(f->cmd, "$PORT") || strstr(f->cmd, "${PORT")))
		set_web(f, xasprintf("the command uses $PORT"));
}

/* ---- Dockerfile and compose files ----------------------------------------- */

static const char *const dockerfile_names[] = {
	"Dockerfile",
	"Containerfile",
	"dockerfile",
};
static const char *const compose_names[] = {
	"compose.yaml",
	"compose.yml",
	"docker-compose.yaml",
	"docker-compose.yml",
};

/* A note of the Dockerfile's (`why` is taken, even on failure). */
static void docker_note(struct found *f, const char *what, const char *value,
			char *why)
{
	struct docker_note *n;

	if (!why || f->n_dnotes == ROGER_ARRAY_SIZE(f->dnotes)) {
		f->oom = f->oom || !why;
		free(why);
		return;
	}
	n = &f->dnotes[f->n_dnotes];
	n->what = what;
	n->value = value ? strdup(value) : NULL;
	n->why = why;
	if (value && !n->value) {
		free(why);
		f->oom = true;
		return;
	}
	f->n_dnotes++;
}

/* An instruction roger does not honour, and why. */
static void skip(struct found *f, const char *file,
		 const struct roger_dockerfile_instr *in, const char *why)
{
	struct roger_init *init = f->init;
	struct roger_init_skipped *grown, *sk;
	size_t len = strcspn(in->args, "\n");
	bool cut = in->args[len] || len > 60;

	grown = realloc(init->skipped, (init->n_skipped + 1) * sizeof(*grown));
	if (!grown) {
		f->oom = true;
		return;
	}
	init->skipped = grown;
	sk = &grown[init->n_skipped];
	sk->line = in->line;
	sk->file = strdup(file);
	sk->instruction =
		xasprintf("%s %.*s%s", in->keyword, (int)(len > 60 ? 60 : len),
			  in->args, cut ? " ..." : "");
	sk->why = strdup(why);
	if (!sk->file || !sk->instruction || !sk->why) {
		free(sk->file);
		free(sk->instruction);
		free(sk->why);
		f->oom = true;
		return;
	}
	init->n_skipped++;
}

/* The reason an instruction is not honoured, by keyword. */
static const char *skip_reason(const char *keyword)
{
	static const struct {
		const char *keyword, *why;
	} reasons[] = {
		{ "RUN",
		  "roger builds images without a daemon and runs no step in them: put what it does in build.command (run on the build machine before packaging) or in the base image" },
		{ "ARG",
		  "roger builds have no build arguments (an ARG before FROM is read for FROM)" },
		{ "LABEL",
		  "roger sets no image labels; the app's labels go in marathon.labels" },
		{ "HEALTHCHECK",
		  "Marathon runs the health checks: write them in marathon.healthChecks" },
		{ "VOLUME",
		  "volumes are Marathon's: marathon.container.volumes" },
		{ "STOPSIGNAL",
		  "Mesos stops tasks with SIGTERM, then SIGKILL after marathon.taskKillGracePeriodSeconds" },
		{ "SHELL",
		  "a shell-form CMD or ENTRYPOINT runs under /bin/sh -c" },
		{ "ONBUILD", "nothing is built from roger's image" },
		{ "MAINTAINER", "roger sets no image metadata" },
	};

	for (size_t i = 0; i < ROGER_ARRAY_SIZE(reasons); i++)
		if (!strcmp(keyword, reasons[i].keyword))
			return reasons[i].why;
	return "not an instruction roger knows";
}

struct dockerfile_map {
	struct found *f;
	const char *file;
	const struct roger_dockerfile *df;
	struct roger_dockerfile_var *vars; /* ARGs before FROM, then ENVs */
	size_t n_vars;
	struct roger_buf workdir;
	char **own; /* strings the vars point to */
	size_t n_own;
	json_t *env;
	struct roger_buf exposed; /* "8080/tcp 53/udp" */
};

/* Keep `s` (taken) for as long as the map lives; NULL when out of memory. */
static const char *keep(struct dockerfile_map *m, char *s)
{
	char **grown;

	if (!s)
		return NULL;
	grown = realloc(m->own, (m->n_own + 1) * sizeof(*grown));
	if (!grown) {
		free(s);
		return NULL;
	}
	m->own = grown;
	m->own[m->n_own++] = s;
	return s;
}

static void add_var(struct dockerfile_map *m, const char *name,
		    const char *value)
{
	struct roger_dockerfile_var *grown;
	const char *n = keep(m, strdup(name)), *v = NULL;

	if (value && !(v = keep(m, strdup(value))))
		n = NULL;
	grown = n ? realloc(m->vars, (m->n_vars + 1) * sizeof(*grown)) : NULL;
	if (!grown) {
		m->f->oom = true;
		return;
	}
	m->vars = grown;
	m->vars[m->n_vars].name = n;
	m->vars[m->n_vars++].value = v;
}

/* `s` with the variables known so far substituted; NULL when it cannot be. */
static char *substituted(struct dockerfile_map *m, const char *s)
{
	char *out = NULL;

	if (roger_dockerfile_substitute(&out, s, m->df->escape, m->vars,
					m->n_vars, NULL) < 0)
		return NULL;
	return out;
}

/* ARG NAME[=default] before the first FROM: a variable of FROM. */
static void map_arg(struct dockerfile_map *m,
		    const struct roger_dockerfile_instr *in)
{
	char **words = NULL;

	if (roger_dockerfile_words(&words, in->args, m->df->escape, NULL) < 0)
		return;
	for (size_t i = 0; words[i]; i++) {
		char *eq = strchr(words[i], '=');

		if (eq)
			*eq = '\0';
		add_var(m, words[i], eq ? eq + 1 : NULL);
	}
	roger_dockerfile_words_free(words);
}

/* The name after "AS" of a FROM's words, or NULL. */
static const char *stage_name(char **words)
{
	size_t i = 0;

	while (words[i] && !strncmp(words[i], "--", 2))
		i++;
	if (words[i] && words[i + 1] && !strcasecmp(words[i + 1], "AS"))
		return words[i + 2];
	return NULL;
}

/*
 * The image of the FROM at index `at` (a new string), through the stages
 * it names, and its --platform when written literally (*platform, new).
 */
static char *from_image(struct dockerfile_map *m, size_t at, char **platform,
			int depth)
{
	const struct roger_dockerfile *df = m->df;
	char **words = NULL, *image = NULL;
	size_t i = 0;

	if (depth > 16 || roger_dockerfile_words(&words, df->instrs[at].args,
						 df->escape, NULL) < 0)
		return NULL;
	for (; words[i] && !strncmp(words[i], "--", 2); i++)
		if (!strncmp(words[i], "--platform=", 11) &&
		    !strchr(words[i], '$') && !*platform)
			*platform = strdup(words[i] + 11);
	if (words[i])
		image = substituted(m, words[i]);
	/* FROM an earlier stage: that stage's image */
	for (size_t j = at; image && j-- > 0;) {
		char **w = NULL;
		const char *name;
		bool same;

		if (strcmp(df->instrs[j].keyword, "FROM") ||
		    roger_dockerfile_words(&w, df->instrs[j].args, df->escape,
					   NULL) < 0)
			continue;
		name = stage_name(w);
		same = name && !strcasecmp(name, image);
		roger_dockerfile_words_free(w);
		if (same) {
			free(image);
			image = from_image(m, j, platform, depth + 1);
			break;
		}
	}
	roger_dockerfile_words_free(words);
	return image;
}

/* WORKDIR: absolute, or relative to the one before. */
static void map_workdir(struct dockerfile_map *m,
			const struct roger_dockerfile_instr *in)
{
	char *dir = substituted(m, in->args);

	if (!dir || !*dir || strchr(dir, '$')) {
		skip(m->f, m->file, in, "its directory cannot be worked out");
		free(dir);
		return;
	}
	if (dir[0] == '/')
		roger_buf_reset(&m->workdir);
	else if (m->workdir.len && m->workdir.buf[m->workdir.len - 1] != '/' &&
		 roger_buf_addch(&m->workdir, '/') < 0)
		m->f->oom = true;
	if (roger_buf_adds(&m->workdir, dir) < 0)
		m->f->oom = true;
	free(dir);
}

/* One NAME=VALUE of ENV, unless it cannot go in an image roger builds. */
static void map_env_var(struct dockerfile_map *m,
			const struct roger_dockerfile_instr *in,
			const char *name, const char *raw)
{
	char *value = substituted(m, raw), *why = NULL;

	if (!value) {
		m->f->oom = true;
		return;
	}
	if (!*name || !strcmp(name, "ROGER_COMMIT") ||
	    roger_spec_has_var(value)) {
		why = xasprintf(
			"%s: %s", name,
			!strcmp(name, "ROGER_COMMIT")
				? "roger sets it in every image"
				: "roger.json cannot hold this variable");
		skip(m->f, m->file, in, why ? why : "");
	} else if (roger_secret_url_has_password(value) ||
		   (roger_config_name_is_secret(name, false) &&
		    !roger_secret_value_harmless(value))) {
		why = xasprintf(
			"%s looks like a secret, which anyone who can pull the image would read: set it in marathon.env with a Marathon secret or a {{ variable }}",
			name);
		skip(m->f, m->file, in, why ? why : "");
	} else if (json_object_set_new(m->env, name, json_string(value)) < 0)
		m->f->oom = true;
	else
		add_var(m, name, value);
	free(why);
	free(value);
}

/* ENV NAME=VALUE ..., or the older ENV NAME VALUE. */
static void map_env(struct dockerfile_map *m,
		    const struct roger_dockerfile_instr *in)
{
	char **words = NULL;

	if (roger_dockerfile_words(&words, in->args, m->df->escape, NULL) < 0) {
		skip(m->f, m->file, in, "its quotes do not close");
		return;
	}
	if (words[0] && !strchr(words[0], '=')) {
		const char *rest = in->args + strcspn(in->args, " \t");

		rest += strspn(rest, " \t");
		map_env_var(m, in, words[0], rest);
	} else {
		for (size_t i = 0; words[i]; i++) {
			char *eq = strchr(words[i], '=');

			if (!eq) {
				skip(m->f, m->file, in,
				     "a word without '=' among NAME=VALUE pairs");
				break;
			}
			*eq = '\0';
			map_env_var(m, in, words[i], eq + 1);
		}
	}
	roger_dockerfile_words_free(words);
}

/* EXPOSE PORT[/PROTO] ...: port definitions (the host port is Marathon's). */
static void map_expose(struct dockerfile_map *m,
		       const struct roger_dockerfile_instr *in)
{
	struct found *f = m->f;
	char **words = NULL;

	if (roger_dockerfile_words(&words, in->args, m->df->escape, NULL) < 0)
		return;
	for (size_t i = 0; words[i]; i++) {
		char *end, *proto = strchr(words[i], '/'), name[32];
		long port = strtol(words[i], &end, 10);

		if (proto)
			*proto++ = '\0';
		if (end == words[i] || *end || port < 1 || port > 65535 ||
		    (proto && strcmp(proto, "tcp") && strcmp(proto, "udp"))) {
			skip(f, m->file, in,
			     "a port roger cannot map (one port, tcp or udp)");
			continue;
		}
		if (!f->ports && !(f->ports = json_array())) {
			f->oom = true;
			break;
		}
		snprintf(name, sizeof(name), "port%ld", port);
		if (json_array_append_new(
			    f->ports,
			    json_pack("{s:i, s:s, s:s}", "port", 0, "protocol",
				      proto ? proto : "tcp", "name", name)) <
			    0 ||
		    roger_buf_addf(&m->exposed, "%s%ld/%s",
				   m->exposed.len ? " " : "", port,
				   proto ? proto : "tcp") < 0)
			f->oom = true;
	}
	roger_dockerfile_words_free(words);
}

/* CMD or ENTRYPOINT: an argv in the image config. */
static void map_argv(struct dockerfile_map *m,
		     const struct roger_dockerfile_instr *in, json_t *image)
{
	const char *key = !strcmp(in->keyword, "CMD") ? "cmd" : "entrypoint";
	json_t *argv = json_array();
	struct roger_buf text = ROGER_BUF_INIT;

	if (!argv) {
		m->f->oom = true;
		return;
	}
	if (in->json) {
		for (size_t i = 0; in->argv[i]; i++)
			if (json_array_append_new(argv,
						  json_string(in->argv[i])) < 0)
				m->f->oom = true;
	} else if (json_array_append_new(argv, json_string("/bin/sh")) < 0 ||
		   json_array_append_new(argv, json_string("-c")) < 0 ||
		   json_array_append_new(argv, json_string(in->args)) < 0) {
		m->f->oom = true;
	}
	if (json_object_set_new(image, key, argv) < 0)
		m->f->oom = true;
	/* what runs, for the report: ENTRYPOINT then CMD, as Docker joins them
	 */
	for (size_t k = 0; k < 2; k++) {
		json_t *a = json_object_get(image, k ? "cmd" : "entrypoint"),
		       *v;
		size_t i;

		json_array_foreach(a, i, v)
			roger_buf_addf(&text, "%s%s", text.len ? " " : "",
				       json_string_value(v));
	}
	free(m->f->image_runs);
	m->f->image_runs = roger_buf_detach(&text, NULL);
	if (!m->f->image_runs)
		m->f->oom = true;
}

/* COPY or ADD: the project's tree into the working directory is what roger
 * does. */
static void map_copy(struct dockerfile_map *m,
		     const struct roger_dockerfile_instr *in)
{
	const char *wd = m->workdir.len ? m->workdir.buf : "/";
	char **words = NULL;
	size_t i = 0, n;
	const char *why = NULL;

	if (in->json ||
	    roger_dockerfile_words(&words, in->args, m->df->escape, NULL) < 0) {
		skip(m->f, m->file, in,
		     "roger puts the project's tree (less build.exclude) in image.workdir and copies nothing else");
		return;
	}
	for (; words[i] && !strncmp(words[i], "--", 2); i++)
		if (!strncmp(words[i], "--from", 6))
			why = "it copies from another stage or image, whose steps roger does not run";
		else if (!why)
			why = "roger writes every file of the tree as root (uid 0) with the modes git has";
	for (n = 0; words[i + n]; n++)
		;
	if (!why &&
	    (n != 2 || (strcmp(words[i], ".") && strcmp(words[i], "./")) ||
	     (strcmp(words[i + 1], ".") && strcmp(words[i + 1], "./") &&
	      strcmp(words[i + 1], wd))))
		why = "roger puts the project's tree (less build.exclude) in image.workdir and copies nothing else";
	if (why)
		skip(m->f, m->file, in, why);
	roger_dockerfile_words_free(words);
}

/* The instructions of the final stage, after its FROM. */
static void map_stage(struct dockerfile_map *m, size_t from, json_t *image)
{
	const struct roger_dockerfile *df = m->df;

	for (size_t i = from + 1; i < df->n && !m->f->oom; i++) {
		const struct roger_dockerfile_instr *in = &df->instrs[i];
		const char *k = in->keyword;

		if (!strcmp(k, "WORKDIR"))
			map_workdir(m, in);
		else if (!strcmp(k, "ENV"))
			map_env(m, in);
		else if (!strcmp(k, "USER") && !strchr(in->args, '$') &&
			 *in->args && !strpbrk(in->args, " \t"))
			json_object_set_new(image, "user",
					    json_string(in->args));
		else if (!strcmp(k, "EXPOSE"))
			map_expose(m, in);
		else if (!strcmp(k, "CMD") || !strcmp(k, "ENTRYPOINT"))
			map_argv(m, in, image);
		else if (!strcmp(k, "COPY") || !strcmp(k, "ADD"))
			map_copy(m, in);
		else
			skip(m->f, m->file, in,
			     !strcmp(k, "USER")
				     ? "its user cannot be worked out"
				     : skip_reason(k));
	}
}

/* The keys of the image section, in the order roger.json shows them. */
static const char *const image_order[] = {
	"base", "platform", "workdir", "user", "env", "entrypoint", "cmd",
};

/* The image section from a parsed Dockerfile. */
static void map_dockerfile(struct found *f, const char *file,
			   const struct roger_dockerfile *df)
{
	struct dockerfile_map m = { f,    file,           df,   NULL,
				    0,    ROGER_BUF_INIT, NULL, 0,
				    NULL, ROGER_BUF_INIT };
	struct roger_image_ref ref = { 0 };
	struct roger_err err = ROGER_ERR_INIT;
	char *base = NULL, *platform = NULL;
	size_t last = df->n, stages = 0;
	json_t *image = json_object();

	m.env = json_object();
	for (size_t i = 0; i < df->n; i++)
		if (!strcmp(df->instrs[i].keyword, "FROM")) {
			last = i;
			stages++;
		} else if (stages == 0 && !strcmp(df->instrs[i].keyword, "ARG"))
			map_arg(&m, &df->instrs[i]);
		else if (stages == 0)
			skip(f, file, &df->instrs[i], "it comes before FROM");
	if (!image || !m.env) {
		f->oom = true;
		goto out;
	}
	if (last == df->n) {
		docker_note(f, "dockerfile", file,
			    xasprintf("it has no FROM; no image section"));
		goto out;
	}
	for (size_t i = 0; i < last; i++)
		if (!strcmp(df->instrs[i].keyword, "FROM"))
			skip(f, file, &df->instrs[i],
			     "an earlier build stage: roger runs none of its steps; build.command can make what it made");
	base = from_image(&m, last, &platform, 0);
	if (!base || strchr(base, '$') || !strcmp(base, "scratch") ||
	    roger_image_ref_parse(&ref, base, &err) < 0) {
		docker_note(
			f, "dockerfile", file,
			xasprintf(
				"its final stage's FROM (line %u) %s; no image section: write one with a base from a registry",
				df->instrs[last].line,
				base && !strcmp(base, "scratch")
					? "is scratch, which no registry serves"
				: err.msg[0] ? err.msg
					     : "cannot be worked out"));
		goto out;
	}
	json_object_set_new(image, "base", json_string(base));
	if (platform &&
	    strspn(platform, "abcdefghijklmnopqrstuvwxyz0123456789/") ==
		    strlen(platform) &&
	    strchr(platform, '/'))
		json_object_set_new(image, "platform", json_string(platform));
	docker_note(f, "image", base,
		    xasprintf(stages > 1 ? "the final stage's FROM, %s line %u"
					 : "FROM, %s line %u",
			      file, df->instrs[last].line));
	map_stage(&m, last, image);
	if (m.workdir.len && roger_path_clean_abs(m.workdir.buf)) {
		json_object_set_new(image, "workdir",
				    json_string(m.workdir.buf));
		docker_note(
			f, "workdir", m.workdir.buf,
			xasprintf("WORKDIR: the project's tree goes there"));
	} else {
		docker_note(
			f, "workdir", ROGER_IMAGE_WORKDIR,
			xasprintf(
				"%s: the project's tree goes to image.workdir's default",
				m.workdir.len
					? "the Dockerfile's WORKDIR is not a directory below /"
					: "the Dockerfile has no WORKDIR"));
	}
	if (json_object_size(m.env))
		json_object_set(image, "env", m.env);
	if (m.exposed.len)
		docker_note(
			f, "ports", m.exposed.buf,
			xasprintf(
				"EXPOSE; tasks share the agent's network, so the app must listen on $PORT0%s (Marathon's), not on these ports",
				json_array_size(f->ports) > 1 ? ", $PORT1..."
							      : ""));
	if (json_object_get(image, "user"))
		docker_note(f, "user",
			    json_string_value(json_object_get(image, "user")),
			    xasprintf("USER"));
	docker_note(
		f, "dockerfile", file,
		f->init->n_skipped
			? xasprintf(
				  "found: roger builds its image without a daemon; %zu of its instructions are not honoured (below)",
				  f->init->n_skipped)
			: xasprintf(
				  "found: roger builds its image without a daemon, and honours all of it"));
	f->image = json_object();
	for (size_t i = 0; f->image && i < ROGER_ARRAY_SIZE(image_order); i++) {
		json_t *v = json_object_get(image, image_order[i]);

		if (v && json_object_set(f->image, image_order[i], v) < 0)
			f->oom = true;
	}
	f->oom = f->oom || !f->image;
out:
	roger_image_ref_release(&ref);
	json_decref(image);
	json_decref(m.env);
	free(base);
	free(platform);
	roger_buf_release(&m.workdir);
	roger_buf_release(&m.exposed);
	for (size_t i = 0; i < m.n_own; i++)
		free(m.own[i]);
	free(m.own);
	free(m.vars);
}

static void detect_docker(struct found *f)
{
	struct roger_dockerfile *df = NULL;
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_buf text = ROGER_BUF_INIT;
	const char *file = NULL;
	char *path;

	for (size_t i = 0; i < ROGER_ARRAY_SIZE(compose_names); i++)
		if (file_exists(f, compose_names[i])) {
			docker_note(
				f, "compose", compose_names[i],
				xasprintf(
					"found, not read: roger deploys one app per roger.json; each service is a project of its own%s",
					file_exists(f, "Dockerfile")
						? ""
						: " (the service built from this directory needs a Dockerfile here)"));
			break;
		}
	for (size_t i = 0; i < ROGER_ARRAY_SIZE(dockerfile_names) && !file; i++)
		if (file_exists(f, dockerfile_names[i]))
			file = dockerfile_names[i];
	if (!file)
		return;
	path = roger_path_join(f->dir, file);
	if (!path || roger_fs_read_file(&text, path, &err) < 0)
		docker_note(f, "dockerfile", file,
			    xasprintf("cannot be read: %s; no image section",
				      path ? err.msg : "out of memory"));
	else if (roger_dockerfile_parse(&df, text.buf, text.len, file, &err) <
		 0)
		docker_note(f, "dockerfile", file,
			    xasprintf("cannot be read: %s; no image section",
				      err.msg));
	else
		map_dockerfile(f, file, df);
	roger_dockerfile_free(df);
	roger_buf_release(&text);
	free(path);
}

/* ---- the document ------------------------------------------------------------ */

char *roger_init_app_name(const char *name)
{
	static const char *const reserved[] = { "restart", "tasks",
						"versions" };
	size_t len = strlen(name), n = 0;
	char *out = malloc(len + sizeof("-app"));

	if (!out)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		char c = (char)*p;

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			out[n++] = c;
		else if (n > 0 && out[n - 1] != '-')
			out[n++] = '-';
	}
	while (n > 0 && out[n - 1] == '-')
		n--;
	out[n] = '\0';
	if (n == 0)
		strcpy(out, "app");
	for (size_t i = 0; i < ROGER_ARRAY_SIZE(reserved); i++)
		if (!strcmp(out, reserved[i]))
			strcat(out, "-app");
	return out;
}

void roger_init_free(struct roger_init *init)
{
	if (!init)
		return;
	free(init->dir);
	free(init->workdir);
	free(init->id);
	json_decref(init->doc);
	for (size_t i = 0; i < init->n_notes; i++) {
		free(init->notes[i].value);
		free(init->notes[i].why);
	}
	free(init->notes);
	for (size_t i = 0; i < init->n_skipped; i++) {
		free(init->skipped[i].file);
		free(init->skipped[i].instruction);
		free(init->skipped[i].why);
	}
	free(init->skipped);
	for (size_t i = 0; i < init->n_warnings; i++)
		free(init->warnings[i]);
	free(init->warnings);
	free(init);
}

static int note(struct roger_init *init, const char *what, const char *value,
		const char *why)
{
	struct roger_init_note *grown;

	grown = realloc(init->notes, (init->n_notes + 1) * sizeof(*grown));
	if (!grown)
		return ROGER_ENOMEM;
	init->notes = grown;
	grown += init->n_notes;
	grown->what = what;
	grown->value = value ? strdup(value) : NULL;
	grown->why = strdup(why);
	if ((value && !grown->value) || !grown->why) {
		free(grown->value);
		free(grown->why);
		return ROGER_ENOMEM;
	}
	init->n_notes++;
	return 0;
}

static json_t *health_check(void)
{
	return json_pack("[{s:s, s:s, s:i, s:i, s:i, s:i, s:i}]", "protocol",
			 "HTTP", "path", "/", "portIndex", 0,
			 "gracePeriodSeconds", 60, "intervalSeconds", 10,
			 "timeoutSeconds", 5, "maxConsecutiveFailures", 3);
}

static json_t *build_doc(const struct found *f, const char *app,
			 const char *group)
{
	json_t *doc, *marathon;

	marathon = json_object();
	doc = json_pack("{s:i, s:s, s:s}", "version", 1, "app", app, "group",
			group);
	if (!doc || !marathon)
		goto fail;
	if (f->build.len) {
		json_t *build = json_pack("{s:s}", "command", f->build.buf);

		if (!build || json_object_set_new(doc, "build", build) < 0)
			goto fail;
		if (json_array_size(f->exclude) &&
		    json_object_set(build, "exclude", f->exclude) < 0)
			goto fail;
		if (json_array_size(f->cache_paths) &&
		    json_object_set_new(build, "cache",
					json_pack("{s:O, s:O, s:s}", "paths",
						  f->cache_paths, "key",
						  f->cache_keys, "version",
						  f->cache_version.buf)) < 0)
			goto fail;
	}
	if (f->image && json_object_set(doc, "image", f->image) < 0)
		goto fail;
	/* the Dockerfile's CMD or ENTRYPOINT run in the image, unless --cmd */
	if (f->cmd && (!f->image_runs || f->cmd_rank == RANK_FLAG) &&
	    json_object_set_new(marathon, "cmd", json_string(f->cmd)) < 0)
		goto fail;
	if (json_object_set_new(marathon, "cpus", json_real(0.25)) < 0 ||
	    json_object_set_new(marathon, "mem", json_integer(128)) < 0 ||
	    json_object_set_new(marathon, "instances", json_integer(1)) < 0)
		goto fail;
	if (json_object_size(f->env) &&
	    json_object_set(marathon, "env", f->env) < 0)
		goto fail;
	if (f->ports &&
	    json_object_set(marathon, "portDefinitions", f->ports) < 0)
		goto fail;
	if (f->web_why &&
	    ((!f->ports &&
	      json_object_set_new(marathon, "portDefinitions",
				  json_pack("[{s:i, s:s, s:s}]", "port", 0,
					    "protocol", "tcp", "name",
					    "http")) < 0) ||
	     json_object_set_new(marathon, "healthChecks", health_check()) < 0))
		goto fail;
	if (json_object_set_new(doc, "marathon", marathon) < 0) {
		marathon = NULL;
		goto fail;
	}
	return doc;
fail:
	json_decref(marathon);
	json_decref(doc);
	return NULL;
}

/* The app name and the reason for it. */
static int choose_app(char **out, char **why, const char *dir,
		      const struct roger_init_opts *opts)
{
	const char *base = strrchr(dir, '/');

	base = base && base[1] ? base + 1 : dir;
	if (opts->app) {
		*out = strdup(opts->app);
		*why = strdup("--app");
	} else {
		*out = roger_init_app_name(base);
		*why = xasprintf(
			strcmp(*out ? *out : "", base)
				? "the directory name '%s', made to fit Marathon's id rules"
				: "the directory name '%s'",
			roger_utf8_valid(base, strlen(base)) ? base
							     : "(not UTF-8)");
	}
	return *out && *why ? 0 : ROGER_ENOMEM;
}

static int run_detectors(struct found *f, const struct roger_init_opts *opts)
{
	if (opts->cmd)
		set_cmd(f, RANK_FLAG, opts->cmd, xasprintf("--cmd"));
	detect_procfile(f);
	detect_node(f);
	detect_executable(f);
	detect_python(f);
	detect_go(f);
	detect_rust(f);
	detect_ruby(f);
	detect_docker(f);
	detect_port_use(f);
	return f->oom ? ROGER_ENOMEM : 0;
}

static int add_notes(struct roger_init *init, const struct found *f,
		     const char *app, const char *app_why, const char *group,
		     const struct roger_init_opts *opts)
{
	bool in_image = f->image_runs && f->cmd_rank != RANK_FLAG;
	int rc;

	if ((rc = note(init, "app", app, app_why)) < 0 ||
	    (rc = note(init, "group", group,
		       opts->group ? "--group"
				   : "the default; --group changes it")) < 0 ||
	    (rc = note(
		     init, "command", in_image ? f->image_runs : f->cmd,
		     in_image
			     ? "the Dockerfile's ENTRYPOINT and CMD, which the image keeps"
		     : f->cmd ? f->cmd_why
		     : f->image
			     ? "the base image's own; set marathon.cmd in roger.json, or use --cmd, to run another"
		     : f->no_cmd_why
			     ? f->no_cmd_why
			     : "nothing recognised; set marathon.cmd in roger.json, or use --cmd")) <
		    0 ||
	    (rc = note(
		     init, "build", f->build.len ? f->build.buf : NULL,
		     f->build.len
			     ? f->build_why.buf
			     : "no package manifest recognised; nothing to build")) <
		    0)
		return rc;
	if (json_array_size(f->cache_paths)) {
		struct roger_buf paths = ROGER_BUF_INIT, keys = ROGER_BUF_INIT;
		json_t *v;
		size_t i;

		json_array_foreach(f->cache_paths, i, v)
			roger_buf_addf(&paths, "%s%s", i ? ", " : "",
				       json_string_value(v));
		json_array_foreach(f->cache_keys, i, v)
			roger_buf_addf(&keys, "%s%s", i ? ", " : "",
				       json_string_value(v));
		rc = roger_buf_addf(&keys, " and the tools' versions");
		if (rc >= 0)
			rc = note(init, "build cache", paths.buf, keys.buf);
		roger_buf_release(&paths);
		roger_buf_release(&keys);
		if (rc < 0)
			return rc;
	}
	if (f->web_why)
		rc = note(init, "health check", "HTTP GET / on $PORT0",
			  f->web_why);
	else
		rc = note(
			init, "health check", NULL,
			f->cmd || f->image_runs
				? "nothing shows that the command serves HTTP; add marathon.healthChecks if it does"
				: "no command");
	/* the files found first, then what came of them */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; rc == 0 && i < f->n_dnotes; i++) {
			const struct docker_note *d = &f->dnotes[i];
			bool file = !strcmp(d->what, "compose") ||
				    !strcmp(d->what, "dockerfile");

			if (file == !pass)
				rc = note(init, d->what, d->value, d->why);
		}
	return rc;
}

/* ---- warnings ------------------------------------------------------------------ */

static int warn(struct roger_init *init, char *msg)
{
	char **v;

	if (!msg)
		return ROGER_ENOMEM;
	v = realloc(init->warnings, (init->n_warnings + 1) * sizeof(*v));
	if (!v) {
		free(msg);
		return ROGER_ENOMEM;
	}
	init->warnings = v;
	init->warnings[init->n_warnings++] = msg;
	return 0;
}

/* Whether `name` is an executable file in one of the directories of `path`. */
static bool on_path(const char *name, const char *path)
{
	const char *p = path;

	while (*p) {
		size_t n = strcspn(p, ":");
		char *full = malloc(n + strlen(name) + 3);
		struct stat st;
		bool yes;

		if (!full)
			return true; /* no warning on a failed allocation */
		sprintf(full, "%.*s/%s", (int)n, n ? p : ".", name);
		yes = stat(full, &st) == 0 && S_ISREG(st.st_mode) &&
		      access(full, X_OK) == 0;
		free(full);
		if (yes)
			return true;
		p += n;
		if (*p)
			p++;
	}
	return false;
}

/*
 * Warn about each program that the shell command `cmd` starts (the first
 * word of each part between &&, || and ;) that is not on `path`: `what`
 * says where the command comes from and who runs it.
 */
static int check_tools(struct roger_init *init, const char *cmd,
		       const char *path, const char *what)
{
	static const char *const builtins[] = {
		"cd",   "exec",   "test", "[",      "true", "false",
		"echo", "export", "set",  "source", ".",    "if",
		"then", "fi",     "for",  "do",     "done", "env",
	};
	char *copy = strdup(cmd), *p;
	int rc = 0;

	if (!copy)
		return ROGER_ENOMEM;
	for (p = copy; *p;) {
		size_t n;
		char *word;
		bool skip = false, seen = false;

		p += strspn(p, " \t&|;");
		/* Assignments before the program: NAME=value. */
		while (*p && strcspn(p, " \t=") < strcspn(p, " \t") &&
		       strcspn(p, "=/") < strcspn(p, "/")) {
			p += strcspn(p, " \t");
			p += strspn(p, " \t");
		}
		n = strcspn(p, " \t&|;");
		if (!n)
			continue;
		word = strndup(p, n);
		p += n;
		p += strcspn(p, "&|;");
		if (!word) {
			rc = ROGER_ENOMEM;
			break;
		}
		skip = strchr("./$~'\"", word[0]) != NULL;
		for (size_t i = 0; !skip && i < ROGER_ARRAY_SIZE(builtins); i++)
			skip = !strcmp(word, builtins[i]);
		for (size_t i = 0; !skip && i < init->n_warnings; i++)
			seen = !strncmp(init->warnings[i] + 1, word, n) &&
			       init->warnings[i][n + 1] == '\'';
		if (!skip && !seen && !on_path(word, path)) {
			const char *hint =
				!strcmp(word, "yarn")
					? "corepack enable, or npm install -g yarn"
				: !strcmp(word, "pnpm")
					? "corepack enable, or npm install -g pnpm"
					: "install it";
			rc = warn(
				init,
				xasprintf(
					"'%s' is not installed here (not on PATH), and %s on this machine: %s, or change it in roger.json",
					word, what, hint));
		}
		free(word);
		if (rc < 0)
			break;
	}
	free(copy);
	return rc;
}

/*
 * The first line of the source file `name` that binds a fixed port rather
 * than the one Marathon gives the task ($PORT0, $PORT), as "app.py:4 binds
 * port 80 ('app.run(port=80)')"; NULL when the file reads PORT from the
 * environment or binds nothing that can be seen.
 */
static char *fixed_port(const struct found *f, const char *name)
{
	char *text = read_text(f, name), *msg = NULL;
	const char *line;
	int lineno = 1;

	if (!text || strstr(text, "PORT") || strlen(text) > (1u << 20)) {
		free(text);
		return NULL;
	}
	for (line = text; *line && !msg; lineno++) {
		size_t len = strcspn(line, "\n");
		char *l = strndup(line, len), *q;
		long port = -1;

		if (!l)
			break;
		for (q = l; *q && port < 0; q++) {
			char *end;

			/* port=80, port: 3000 (any case) */
			if (!strncasecmp(q, "port", 4) &&
			    (q == l || !((q[-1] >= 'a' && q[-1] <= 'z') ||
					 (q[-1] >= 'A' && q[-1] <= 'Z')))) {
				end = q + 4 + strspn(q + 4, " \t");
				if (*end == '=' || *end == ':') {
					end += 1 + strspn(end + 1, " \t");
					if (*end >= '0' && *end <= '9')
						port = strtol(end, NULL, 10);
				}
			}
			/* .listen(3000 */
			if (!strncmp(q, ".listen(", 8)) {
				end = q + 8 + strspn(q + 8, " \t");
				if (*end >= '0' && *end <= '9')
					port = strtol(end, NULL, 10);
			}
			/* ":8080" and "0.0.0.0:8080" */
			if ((*q == '"' || *q == '\'') && q[1]) {
				end = q + 1 +
				      strspn(q + 1,
					     "abcdefghijklmnopqrstuvwxyz0123456789.");
				if (*end == ':' && end[1] >= '0' &&
				    end[1] <= '9') {
					char *after;
					long v = strtol(end + 1, &after, 10);

					if (*after == *q)
						port = v;
				}
			}
		}
		/* Flask's app.run() without a port: 5000 */
		if (port < 0 && strstr(l, ".run(") && strstr(text, "Flask(") &&
		    !strstr(l, "port"))
			port = 5000;
		if (port > 0 && port <= 65535) {
			char *shown = l + strspn(l, " \t");

			if (strlen(shown) > 60)
				strcpy(shown + 57, "...");
			msg = xasprintf(
				"%s:%d binds port %ld ('%s'), not the one Marathon gives the task in $PORT0 (also $PORT): read it from the environment, or the health check and the address will not reach the app",
				name, lineno, port, shown);
		}
		free(l);
		line += len + (line[len] == '\n');
	}
	free(text);
	return msg;
}

/* The source files the command may start, for fixed_port(). */
static int check_ports(struct roger_init *init, const struct found *f)
{
	static const char *const usual[] = {
		"server.js", "index.js", "app.js",    "main.js",
		"app.py",    "main.py",  "server.py", "main.go",
	};
	struct roger_buf names = ROGER_BUF_INIT;
	char *pkg = read_text(f, "package.json");
	json_t *doc = pkg ? json_loads(pkg, 0, NULL) : NULL;
	const char *start = json_string_value(
		json_object_get(json_object_get(doc, "scripts"), "start"));
	const char *pkg_main = json_string_value(json_object_get(doc, "main"));
	char *words, *save = NULL;
	int rc = 0;

	/* Blank separated: the command's words, the start script's, the usual
	 * names. */
	roger_buf_addf(&names, " %s %s %s ", f->cmd ? f->cmd : "",
		       start ? start : "", pkg_main ? pkg_main : "");
	for (size_t i = 0; i < ROGER_ARRAY_SIZE(usual); i++)
		roger_buf_addf(&names, "%s ", usual[i]);
	words = strdup(names.buf);
	for (char *w = words ? strtok_r(words, " \t", &save) : NULL;
	     w && rc == 0; w = strtok_r(NULL, " \t", &save)) {
		size_t len = strlen(w);
		char *msg, key[300];

		if (!strncmp(w, "./", 2))
			w += 2;
		len = strlen(w);
		if (len < 4 || len > 200 || strchr(w, '/') ||
		    !(!strcmp(w + len - 3, ".js") ||
		      !strcmp(w + len - 3, ".py") ||
		      !strcmp(w + len - 3, ".go") ||
		      !strcmp(w + len - 4, ".mjs") ||
		      !strcmp(w + len - 4, ".cjs") ||
		      !strcmp(w + len - 3, ".ts")))
			continue;
		snprintf(key, sizeof(key), "%s:", w);
		for (size_t i = 0; i < init->n_warnings && key[0]; i++)
			if (!strncmp(init->warnings[i], key, strlen(key)))
				key[0] = '\0';
		if (!key[0] || !file_exists(f, w))
			continue;
		msg = fixed_port(f, w);
		if (msg)
			rc = warn(init, msg);
	}
	free(words);
	roger_buf_release(&names);
	json_decref(doc);
	free(pkg);
	return words ? rc : ROGER_ENOMEM;
}

static int add_warnings(struct roger_init *init, const struct found *f,
			const struct roger_init_opts *opts)
{
	int rc = 0;

	if (opts->path && f->build.len)
		rc = check_tools(init, f->build.buf, opts->path,
				 "roger build runs the build step");
	if (rc == 0 && opts->path && f->cmd)
		rc = check_tools(init, f->cmd, opts->path,
				 "roger local runs the command");
	if (rc == 0)
		rc = check_ports(init, f);
	return rc;
}

/* ---- a directory of apps ------------------------------------------------------ */

/* Ready `f` for the detectors of `dir` (app name `app`; both borrowed). */
static int found_init(struct found *f, const char *dir, const char *app)
{
	memset(f, 0, sizeof(*f));
	roger_buf_init(&f->build);
	roger_buf_init(&f->build_why);
	roger_buf_init(&f->cache_version);
	f->cmd_rank = RANK_NONE;
	f->dir = dir;
	f->app = app;
	f->env = json_object();
	f->cache_paths = json_array();
	f->cache_keys = json_array();
	f->exclude = json_array();
	if (!f->env || !f->cache_paths || !f->cache_keys || !f->exclude)
		return ROGER_ENOMEM;
	return 0;
}

static void found_release(struct found *f)
{
	roger_buf_release(&f->build);
	roger_buf_release(&f->build_why);
	roger_buf_release(&f->cache_version);
	free(f->cmd);
	free(f->cmd_why);
	free(f->web_why);
	free(f->no_cmd_why);
	json_decref(f->env);
	json_decref(f->cache_paths);
	json_decref(f->cache_keys);
	json_decref(f->exclude);
	json_decref(f->image);
	json_decref(f->ports);
	free(f->image_runs);
	for (size_t i = 0; i < f->n_dnotes; i++) {
		free(f->dnotes[i].value);
		free(f->dnotes[i].why);
	}
}

/* Directories never holding an app of their own. */
static bool skipped_dir(const char *name)
{
	static const char *const names[] = {
		"node_modules", "vendor",        "target",      "dist",
		"build",        "bin",           "__pycache__", "venv",
		"env",          "site-packages",
	};

	if (name[0] == '.')
		return true;
	for (size_t i = 0; i < ROGER_ARRAY_SIZE(names); i++)
		if (!strcmp(name, names[i]))
			return true;
	return false;
}

/*
 * Append to `list` the directories below `dir` (`rel` from the project,
 * at most `depth` levels down) where the detectors find a command, as
 * "vote/ (python3 app.py)", sorted by name, separated by ", ".
 */
static int find_apps(struct roger_buf *list, size_t *n, const char *dir,
		     const char *rel, int depth)
{
	struct dirent **ents = NULL;
	int count = scandir(dir, &ents, NULL, alphasort), rc = 0;

	for (int i = 0; i < count; i++) {
		const char *name = ents[i]->d_name;
		struct found f = { 0 };
		char *sub = NULL, *subrel = NULL;

		if (rc < 0 || skipped_dir(name) ||
		    !roger_utf8_valid(name, strlen(name)))
			goto next;
		sub = roger_path_join(dir, name);
		subrel = *rel ? roger_path_join(rel, name) : strdup(name);
		if (!sub || !subrel) {
			rc = ROGER_ENOMEM;
			goto next;
		}
		if (!roger_fs_is_dir(sub))
			goto next;
		if (found_init(&f, sub, name) < 0) {
			rc = ROGER_ENOMEM;
			goto next;
		}
		detect_procfile(&f);
		detect_node(&f);
		detect_executable(&f);
		detect_python(&f);
		detect_go(&f);
		detect_rust(&f);
		detect_ruby(&f);
		if (f.oom)
			rc = ROGER_ENOMEM;
		else if (f.cmd) {
			rc = roger_buf_addf(list, "%s%s/ (%s)", *n ? ", " : "",
					    subrel, f.cmd);
			(*n)++;
		} else if (depth > 1) {
			rc = find_apps(list, n, sub, subrel, depth - 1);
		}
	next:
		found_release(&f);
		free(sub);
		free(subrel);
		free(ents[i]);
	}
	free(ents);
	return rc < 0 ? ROGER_ENOMEM : 0;
}

/*
 * A directory where nothing is recognised but whose directories hold apps
 * (a monorepo's root): refuse, pointing to them, rather than write a
 * roger.json without a command.
 */
static int check_app_dirs(const struct roger_init *init, const struct found *f,
			  const struct roger_init_opts *opts,
			  struct roger_err *err)
{
	struct roger_buf list = ROGER_BUF_INIT;
	size_t n = 0;
	int rc;

	if (f->cmd || f->no_cmd_why || opts->cmd)
		return 0;
	if (find_apps(&list, &n, init->dir, "", 2) < 0) {
		roger_buf_release(&list);
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	}
	rc = n == 0 ? 0
		    : roger_err_set(
			      err, ROGER_ERROR,
			      "nothing to run at the top of '%s', whose %s: %s; run 'roger init' in %s (roger -C DIR init), or give --cmd to deploy '%s' as one app",
			      init->dir,
			      n > 1 ? "directories hold apps"
				    : "directory holds an app",
			      list.buf, n > 1 ? "each" : "it", init->dir);
	roger_buf_release(&list);
	return rc;
}

int roger_init_detect(struct roger_init **out, const char *dir,
		      const struct roger_init_opts *opts, struct roger_err *err)
{
	struct found f = { 0 };
	struct roger_init *init = NULL;
	struct roger_project *check = NULL;
	const char *group = opts->group ? opts->group : "/";
	char *app = NULL, *app_why = NULL, *text = NULL;
	int rc;

	if (opts->cmd &&
	    (!*opts->cmd || !roger_utf8_valid(opts->cmd, strlen(opts->cmd))))
		return roger_err_set(err, ROGER_EINVALID, "invalid --cmd: %s",
				     *opts->cmd ? "not valid UTF-8" : "empty");
	init = calloc(1, sizeof(*init));
	if (found_init(&f, NULL, NULL) < 0 || !init) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = roger_project_locate(&init->dir, &init->workdir, dir, err)) <
	    0)
		goto out;
	if ((rc = choose_app(&app, &app_why, init->dir, opts)) < 0) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = roger_spec_app_id(&init->id, group, app, err)) < 0)
		goto out;
	f.init = init;
	f.dir = init->dir;
	f.app = app;
	if ((rc = run_detectors(&f, opts)) < 0) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = check_app_dirs(init, &f, opts, err)) < 0)
		goto out;
	if ((rc = add_notes(init, &f, app, app_why, group, opts)) < 0 ||
	    (rc = add_warnings(init, &f, opts)) < 0) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	init->doc = build_doc(&f, app, group);
	text = init->doc ? json_dumps(init->doc,
				      JSON_INDENT(2) | JSON_REAL_PRECISION(15))
			 : NULL;
	if (!text) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	/* What init writes must be what roger reads. */
	rc = roger_project_parse(&check, "roger.json", text, strlen(text), err);
	if (rc < 0)
		goto out;
	*out = init;
	init = NULL;
out:
	roger_project_free(check);
	roger_init_free(init);
	found_release(&f);
	free(app);
	free(app_why);
	free(text);
	return rc;
}

/* ---- writing ----------------------------------------------------------------- */

/*
 * Whether a .gitignore text ignores `.roger/` in its own directory (`here`)
 * or in directories below it (any pattern without an inner '/').
 */
static bool ignores_roger(const char *text, bool here)
{
	static const char *const anywhere[] = {
		".roger",
		".roger/",
		"**/.roger",
		"**/.roger/",
	};
	static const char *const anchored[] = {
		"/.roger",   "/.roger/",  ".roger/*",
		"/.roger/*", ".roger/**", "/.roger/**",
	};
	const char *line = text;

	while (*line) {
		size_t len = strcspn(line, "\n");

		while (len > 0 &&
		       (line[len - 1] == '\r' || line[len - 1] == ' ' ||
			line[len - 1] == '\t'))
			len--;
		for (size_t i = 0; i < ROGER_ARRAY_SIZE(anywhere); i++)
			if (len == strlen(anywhere[i]) &&
			    !memcmp(line, anywhere[i], len))
				return true;
		for (size_t i = 0; here && i < ROGER_ARRAY_SIZE(anchored); i++)
			if (len == strlen(anchored[i]) &&
			    !memcmp(line, anchored[i], len))
				return true;
		line += strcspn(line, "\n");
		if (*line)
			line++;
	}
	return false;
}

/* Whether a .gitignore from `dir` up to `root` already ignores dir/.roger/. */
static bool already_ignored(const char *dir, const char *root)
{
	char *d = strdup(dir);
	bool here = true, yes = false;

	while (d && !yes) {
		char *path = roger_path_join(d, ".gitignore");
		struct roger_buf b = ROGER_BUF_INIT;
		char *slash;

		if (path && roger_fs_read_file(&b, path, NULL) == 0)
			yes = ignores_roger(b.buf, here);
		roger_buf_release(&b);
		free(path);
		if (!strcmp(d, root) || !(slash = strrchr(d, '/')) ||
		    slash == d)
			break;
		*slash = '\0';
		here = false;
	}
	free(d);
	return yes;
}

static int update_gitignore(const struct roger_init *init, bool *changed,
			    struct roger_err *err)
{
	struct roger_buf b = ROGER_BUF_INIT;
	char *path = roger_path_join(init->dir, ".gitignore");
	struct stat st;
	mode_t mode = 0644;
	int rc;

	*changed = false;
	if (!path)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	if (already_ignored(init->dir, init->workdir)) {
		rc = 0;
		goto out;
	}
	rc = roger_fs_read_file(&b, path, err);
	if (rc < 0 && rc != ROGER_ENOTFOUND)
		goto out;
	if (stat(path, &st) == 0)
		mode = st.st_mode & 07777;
	if ((b.len > 0 && b.buf[b.len - 1] != '\n' &&
	     roger_buf_addch(&b, '\n') < 0) ||
	    roger_buf_adds(&b, ".roger/\n") < 0) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	rc = roger_fs_write_atomic(path, b.buf, b.len, mode, err);
	if (rc == 0)
		*changed = true;
out:
	roger_buf_release(&b);
	free(path);
	return rc;
}

int roger_init_write(const struct roger_init *init, bool force,
		     bool *gitignore_changed, struct roger_err *err)
{
	char *path = roger_path_join(init->dir, "roger.json");
	char *text = NULL;
	int rc;

	if (!path)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	if (!force && roger_fs_exists(path)) {
		rc = roger_err_set(
			err, ROGER_EEXISTS,
			"'%s' already exists; use --force to replace it", path);
		goto out;
	}
	text = json_dumps(init->doc, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
	if (!text) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	{
		size_t len = strlen(text);
		char *nl = realloc(text, len + 2);

		if (!nl) {
			rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
			goto out;
		}
		text = nl;
		text[len] = '\n';
		text[len + 1] = '\0';
	}
	if ((rc = roger_fs_write_atomic(path, text, strlen(text), 0644, err)) <
	    0)
		goto out;
	rc = update_gitignore(init, gitignore_changed, err);
out:
	free(path);
	free(text);
	return rc;
}
