/*
 * hello.c - the example app of roger: a tiny HTTP server on $PORT0.
 *
 * GET /        -> "hello from roger (commit <ROGER_COMMIT>, task
 * <MESOS_TASK_ID>)" GET /health  -> "ok" (the health check of roger.json)
 * Anything else gets 404.  It logs one line per request to stdout, so
 * `roger logs -f` has something to show.
 */
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void reply(int fd, int status, const char *reason, const char *body)
{
	char head[256];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
			 status, reason, strlen(body));

	if (write(fd, head, (size_t)n) < 0 || write(fd, body, strlen(body)) < 0)
		perror("write");
}

static void serve(int fd)
{
	char req[2048], body[512], path[256] = "";
	ssize_t n = read(fd, req, sizeof(req) - 1);
	const char *commit = getenv("ROGER_COMMIT");
	const char *task = getenv("MESOS_TASK_ID");

	if (n <= 0)
		return;
	req[n] = '\0';
	if (sscanf(req, "GET %255s", path) != 1) {
		reply(fd, 405, "Method Not Allowed", "only GET\n");
		return;
	}
	printf("GET %s\n", path);
	fflush(stdout);
	if (!strcmp(path, "/health")) {
		reply(fd, 200, "OK", "ok\n");
	} else if (!strcmp(path, "/")) {
		snprintf(body, sizeof(body),
			 "hello from roger (commit %s, task %s)\n",
			 commit ? commit : "unknown", task ? task : "unknown");
		reply(fd, 200, "OK", body);
	} else {
		reply(fd, 404, "Not Found", "not found\n");
	}
}

int main(void)
{
	const char *port = getenv("PORT0");
	struct sockaddr_in addr;
	int one = 1, s;

	signal(SIGPIPE, SIG_IGN);
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons((unsigned short)atoi(port ? port : "8080"));
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 ||
	    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(s, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    listen(s, 64) < 0) {
		perror("hello: cannot listen");
		return 1;
	}
	printf("hello: listening on port %s\n", port ? port : "8080");
	fflush(stdout);
	for (;;) {
		int c = accept(s, NULL, NULL);

		if (c < 0)
			continue;
		serve(c);
		close(c);
	}
}
