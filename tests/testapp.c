/*
 * testapp.c - a tiny HTTP service for the tests of roger local, deploy and
 * logs: run it as a Marathon app (`"cmd": "$TESTAPP"`) and tell it how to
 * behave.
 *
 * It listens on 127.0.0.1:$PORT0 (or $TESTAPP_PORT) and answers one request
 * at a time.
 *
 * Controls through the environment (read at start):
 *	TESTAPP_EXIT=N		exit at once with status N (a crash loop)
 *	TESTAPP_EXIT_AFTER=S	exit after S seconds, with TESTAPP_EXIT_CODE
 *				(default 1)
 *	TESTAPP_HANG=1		never listen: sleep until killed
 *	TESTAPP_UNHEALTHY=1	GET /health answers 503 from the start
 *	TESTAPP_IGNORE_TERM=1	ignore SIGTERM (only SIGKILL stops it)
 *	TESTAPP_STDOUT=text	print this line on stdout at start
 *	TESTAPP_STDERR=text	print this line on stderr at start
 *	TESTAPP_PIDDIR=dir	create dir/<pid> at start (to find the
 *processes)
 *
 * Controls through HTTP (GET):
 *	/		200 "testapp <PORT0> <MARATHON_APP_VERSION>"
 *	/health		200 "ok", or 503 once sick
 *	/sick, /well	make /health fail, or pass again
 *	/env		200 with the environment, one NAME=value a line
 *	/exit?code=N	answer, then exit with status N (default 0)
 *	/hang		answer, then stop answering anything (sleep forever)
 *	/log?stdout=T	write the line T on stdout (or ?stderr=T on stderr)
 *
 * Every start prints "testapp listening on <port>" on stdout.
 */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

static int healthy = 1;
static int exit_code = 1;

static void on_alarm(int sig)
{
	(void)sig;
	_exit(exit_code);
}

static void sleep_forever(void)
{
	for (;;)
		pause();
}

static void reply(int fd, int status, const char *body)
{
	char head[256];
	const char *reason = status == 200 ? "OK" : "Service Unavailable";

	snprintf(head, sizeof(head),
		 "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\n"
		 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
		 status, reason, strlen(body));
	if (write(fd, head, strlen(head)) < 0 ||
	    write(fd, body, strlen(body)) < 0)
		return;
}

/* Decode %XX and '+' in place. */
static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (*s == '+') {
			*o++ = ' ';
		} else if (*s == '%' && s[1] && s[2]) {
			char hex[3] = { s[1], s[2], 0 };

			*o++ = (char)strtol(hex, NULL, 16);
			s += 2;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

static void handle(int fd)
{
	char req[4096], path[2048], *q, body[16384];
	ssize_t n = read(fd, req, sizeof(req) - 1);
	int after = -1; /* exit code after replying, -2: hang */

	if (n <= 0) {
		close(fd);
		return;
	}
	req[n] = '\0';
	if (sscanf(req, "%*s %2047s", path) != 1) {
		reply(fd, 503, "bad request\n");
		close(fd);
		return;
	}
	q = strchr(path, '?');
	if (q)
		*q++ = '\0';
	if (!strcmp(path, "/health")) {
		reply(fd, healthy ? 200 : 503, healthy ? "ok\n" : "sick\n");
	} else if (!strcmp(path, "/sick") || !strcmp(path, "/well")) {
		healthy = !strcmp(path, "/well");
		reply(fd, 200, healthy ? "well\n" : "sick\n");
	} else if (!strcmp(path, "/env")) {
		size_t len = 0;

		body[0] = '\0';
		for (char **e = environ; *e; e++) {
			size_t l = strlen(*e);

			if (len + l + 2 >= sizeof(body))
				break;
			memcpy(body + len, *e, l);
			len += l;
			body[len++] = '\n';
			body[len] = '\0';
		}
		reply(fd, 200, body);
	} else if (!strcmp(path, "/exit")) {
		after = q && !strncmp(q, "code=", 5) ? atoi(q + 5) : 0;
		reply(fd, 200, "bye\n");
	} else if (!strcmp(path, "/hang")) {
		after = -2;
		reply(fd, 200, "hanging\n");
	} else if (!strcmp(path, "/log") && q) {
		bool err = !strncmp(q, "stderr=", 7);
		char *text = strchr(q, '=');

		text = text ? text + 1 : q;
		unescape(text);
		fprintf(err ? stderr : stdout, "%s\n", text);
		fflush(err ? stderr : stdout);
		reply(fd, 200, "logged\n");
	} else {
		snprintf(body, sizeof(body), "testapp %s %s\n",
			 getenv("PORT0") ? getenv("PORT0") : "",
			 getenv("MARATHON_APP_VERSION")
				 ? getenv("MARATHON_APP_VERSION")
				 : "");
		reply(fd, 200, body);
	}
	close(fd);
	if (after == -2)
		sleep_forever();
	if (after >= 0)
		exit(after);
}

int main(void)
{
	const char *port = getenv("TESTAPP_PORT");
	struct sockaddr_in sa;
	int lfd, one = 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (getenv("TESTAPP_PIDDIR")) {
		char p[4096];
		FILE *f;

		snprintf(p, sizeof(p), "%s/%ld", getenv("TESTAPP_PIDDIR"),
			 (long)getpid());
		f = fopen(p, "w");
		if (f)
			fclose(f);
	}
	if (getenv("TESTAPP_STDOUT"))
		printf("%s\n", getenv("TESTAPP_STDOUT"));
	if (getenv("TESTAPP_STDERR"))
		fprintf(stderr, "%s\n", getenv("TESTAPP_STDERR"));
	if (getenv("TESTAPP_IGNORE_TERM"))
		signal(SIGTERM, SIG_IGN);
	if (getenv("TESTAPP_EXIT"))
		return atoi(getenv("TESTAPP_EXIT"));
	if (getenv("TESTAPP_HANG"))
		sleep_forever();
	if (getenv("TESTAPP_UNHEALTHY"))
		healthy = 0;
	if (getenv("TESTAPP_EXIT_AFTER")) {
		if (getenv("TESTAPP_EXIT_CODE"))
			exit_code = atoi(getenv("TESTAPP_EXIT_CODE"));
		signal(SIGALRM, on_alarm);
		alarm((unsigned)atoi(getenv("TESTAPP_EXIT_AFTER")));
	}
	if (!port)
		port = getenv("PORT0");
	if (!port) {
		fprintf(stderr,
			"testapp: neither TESTAPP_PORT nor PORT0 is set\n");
		return 2;
	}
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)atoi(port));
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(lfd, 16) < 0) {
		fprintf(stderr, "testapp: cannot listen on %s: %s\n", port,
			strerror(errno));
		return 2;
	}
	printf("testapp listening on %s\n", port);
	for (;;) {
		int fd = accept(lfd, NULL, NULL);

		if (fd >= 0)
			handle(fd);
	}
}
