/*
 * check_proc.c - unit tests of roger_proc_fork() (lib/local/proc.c), the
 * one way roger local forks: what the child starts with (descriptors,
 * signals, session, directory), the exec report, and the watchdog
 * record that makes a child die with the server.  Real processes, each
 * test checking in the child itself what it was given.
 */
#include <config.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/local/proc.h"
#include "lib/local/watchdog.h"

/* A child that runs `run(data)` with /dev/null as 0, 1, 2 and no more. */
static struct roger_proc_child child_of(void (*run)(void *, int), void *data)
{
	struct roger_proc_child c;

	memset(&c, 0, sizeof(c));
	c.what = "a test child";
	c.std[0] = c.std[1] = c.std[2] = -1;
	c.keep = -1;
	c.run = run;
	c.data = data;
	return c;
}

/* What the child of test_proc_fork_child_state checks. */
struct expect {
	int listener; /* the parent's listening socket, not close-on-exec */
	int other; /* a plain descriptor of the parent */
	const char *cwd; /* where it must be */
};

/* In the child: exit with a bit set for every expectation that fails. */
static void check_state(void *data, int keep)
{
	const struct expect *e = data;
	struct sigaction sa;
	sigset_t mask;
	char cwd[PATH_MAX];
	int bad = 0;

	if (fcntl(e->listener, F_GETFD) != -1 || errno != EBADF)
		bad |= 1 << 0; /* the listening socket is still open */
	if (fcntl(e->other, F_GETFD) != -1 || errno != EBADF)
		bad |= 1 << 1;
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) == -1)
			bad |= 1 << 2;
	if (sigaction(SIGUSR1, NULL, &sa) != 0 || sa.sa_handler != SIG_DFL)
		bad |= 1 << 3;
	if (sigaction(SIGPIPE, NULL, &sa) != 0 || sa.sa_handler != SIG_DFL)
		bad |= 1 << 4;
	if (sigprocmask(SIG_SETMASK, NULL, &mask) != 0 ||
	    sigismember(&mask, SIGUSR2))
		bad |= 1 << 5;
	if (getsid(0) != getpid() || getpgrp() != getpid())
		bad |= 1 << 6;
	if (!getcwd(cwd, sizeof(cwd)) || strcmp(cwd, e->cwd))
		bad |= 1 << 7;
	(void)keep;
	_exit(bad);
}

static void on_term(int sig)
{
	(void)sig;
}

START_TEST(test_proc_fork_child_state)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct sockaddr_in sa;
	struct roger_proc_child c;
	struct sigaction ign, catch, old_usr1, old_pipe;
	struct expect e;
	sigset_t block, old_mask;
	char dir[PATH_MAX];
	int status = -1;
	pid_t pid;

	/* What a threaded server has: a listening socket that is not
	 * close-on-exec, a plain file, signals ignored, caught, blocked. */
	e.listener = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(e.listener, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(e.listener, (struct sockaddr *)&sa, sizeof(sa)),
			 0);
	ck_assert_int_eq(listen(e.listener, 1), 0);
	e.other = open("/dev/null", O_RDONLY);
	ck_assert_int_ge(e.other, 0);
	ck_assert_ptr_nonnull(realpath("/tmp", dir));
	e.cwd = dir;
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	memset(&catch, 0, sizeof(catch));
	catch.sa_handler = on_term;
	ck_assert_int_eq(sigaction(SIGPIPE, &ign, &old_pipe), 0);
	ck_assert_int_eq(sigaction(SIGUSR1, &catch, &old_usr1), 0);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR2);
	ck_assert_int_eq(sigprocmask(SIG_BLOCK, &block, &old_mask), 0);

	c = child_of(check_state, &e);
	c.cwd = dir;
	ck_assert_msg(roger_proc_fork(&pid, NULL, &c, &err) == 0, "%s",
		      err.msg);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_msg(WEXITSTATUS(status) == 0, "the child found 0x%x wrong",
		      WEXITSTATUS(status));

	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	sigaction(SIGUSR1, &old_usr1, NULL);
	sigaction(SIGPIPE, &old_pipe, NULL);
	close(e.listener);
	close(e.other);
}
END_TEST

/* In the child: write "kept" to the kept descriptor, and to stdout. */
static void write_kept(void *data, int keep)
{
	ssize_t n = write(keep, "kept", 4);

	n += write(1, "out", 3);
	(void)data;
	_exit(n == 7 ? 0 : 1);
}

START_TEST(test_proc_fork_keep_and_std)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_proc_child c;
	int kp[2], op[2], status = -1;
	char buf[16];
	pid_t pid;

	/* Both close-on-exec, as everything of the server is. */
	ck_assert_int_eq(pipe2(kp, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(op, O_CLOEXEC), 0);
	c = child_of(write_kept, NULL);
	c.std[1] = op[1];
	c.keep = kp[1];
	ck_assert_msg(roger_proc_fork(&pid, NULL, &c, &err) == 0, "%s",
		      err.msg);
	close(kp[1]);
	close(op[1]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_eq(read(kp[0], buf, sizeof(buf)), 4);
	ck_assert_int_eq(memcmp(buf, "kept", 4), 0);
	ck_assert_int_eq(read(op[0], buf, sizeof(buf)), 3);
	ck_assert_int_eq(memcmp(buf, "out", 3), 0);
	close(kp[0]);
	close(op[0]);
}
END_TEST

static void exec_path(void *data, int keep)
{
	char *argv[] = { (char *)data, NULL }, *envp[] = { NULL };

	(void)keep;
	roger_proc_exec(data, argv, envp);
}

/* Fork exec_path(`path`) in `cwd`; its exec errno, the child reaped. */
static int exec_errno_of(const char *path, const char *cwd)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_proc_child c;
	int e = -1, status;
	pid_t pid;

	c = child_of(exec_path, (void *)path);
	c.cwd = cwd;
	ck_assert_msg(roger_proc_fork(&pid, &e, &c, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	if (e)
		ck_assert_int_eq(WEXITSTATUS(status), 127);
	return e;
}

START_TEST(test_proc_fork_exec_report)
{
	ck_assert_int_eq(exec_errno_of("/bin/true", NULL), 0);
	ck_assert_int_eq(exec_errno_of("/nonexistent/program", NULL), ENOENT);
	ck_assert_int_eq(exec_errno_of("/tmp", NULL), EACCES);
	ck_assert_int_eq(exec_errno_of("/bin/true", "/nonexistent/dir"),
			 ENOENT);
}
END_TEST

static void sleep_forever(void *data, int keep)
{
	(void)data;
	(void)keep;
	for (;;)
		pause();
}

static void note_pid(void *data, pid_t pid)
{
	*(pid_t *)data = pid;
}

START_TEST(test_proc_fork_recorded_by_the_watchdog)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_watchdog w;
	struct roger_proc_child c;
	pid_t pid, seen = 0;
	int status = 0;

	ck_assert_msg(
		roger_watchdog_start(&w, "ROGER_CHECK_PROC_NONE=", &err) == 0,
		"%s", err.msg);
	c = child_of(sleep_forever, &seen);
	c.watchdog = &w;
	c.forked = note_pid;
	ck_assert_msg(roger_proc_fork(&pid, NULL, &c, &err) == 0, "%s",
		      err.msg);
	ck_assert_int_eq(seen, pid);
	/* The watchdog's end closes (as when the server dies): it kills
	 * what is recorded, and the child never ends otherwise. */
	roger_watchdog_stop(&w);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status));
	ck_assert_int_eq(WTERMSIG(status), SIGKILL);
}
END_TEST

/* In the child: leave a mark (it must never run). */
static void touch(void *data, int keep)
{
	(void)keep;
	close(open(data, O_WRONLY | O_CREAT, 0600));
	_exit(0);
}

START_TEST(test_proc_fork_unrecorded_never_runs)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_watchdog w;
	struct roger_proc_child c;
	char mark[] = "/tmp/roger-check-proc.XXXXXX";
	struct stat st;
	pid_t pid = 0;
	int fd;

	/* A watchdog that does not run: nothing can be recorded. */
	memset(&w, 0, sizeof(w));
	w.pid = -1;
	w.fd = -1;
	w.stopped = true;
	pthread_mutex_init(&w.lock, NULL);
	fd = mkstemp(mark);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(unlink(mark), 0);
	c = child_of(touch, mark);
	c.watchdog = &w;
	ck_assert_int_eq(roger_proc_fork(&pid, NULL, &c, &err), ROGER_ERROR);
	ck_assert_str_eq(err.msg, "the task watchdog is not running");
	ck_assert_int_eq(pid, 0);
	/* and the child it forked is gone without running anything */
	ck_assert_int_eq(stat(mark, &st), -1);
	ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
	ck_assert_int_eq(errno, ECHILD);
	pthread_mutex_destroy(&w.lock);
}
END_TEST

static Suite *proc_suite(void)
{
	Suite *s = suite_create("proc");
	TCase *tc = tcase_create("fork");

	tcase_add_test(tc, test_proc_fork_child_state);
	tcase_add_test(tc, test_proc_fork_keep_and_std);
	tcase_add_test(tc, test_proc_fork_exec_report);
	tcase_add_test(tc, test_proc_fork_recorded_by_the_watchdog);
	tcase_add_test(tc, test_proc_fork_unrecorded_never_runs);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(proc_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
