/*
 * watchdog.h - a helper process that kills the agent's task process groups
 * when the process hosting the agent dies, however it dies (internal to
 * the agent; see watchdog.c for the design).
 */
#ifndef ROGER_LOCAL_WATCHDOG_H
#define ROGER_LOCAL_WATCHDOG_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

struct roger_err;

/* How many process groups the watchdog can hold at once. */
#define ROGER_WATCHDOG_MAX_GROUPS 4096

struct roger_watchdog {
	pid_t pid; /* the watchdog process, -1 when not running */
	int fd; /* our end of the socket pair, -1 when closed */
	pthread_mutex_t lock;
	pid_t *groups; /* registered and not yet removed: a new watchdog
			  starts with them */
	size_t n_groups;
	char *marker;
	unsigned restarts; /* watchdogs started after one died */
	bool stopped;
};

/*
 * Fork the watchdog.  Safe to call while other threads run: the child only
 * makes async-signal-safe calls.  The caller must not ignore SIGCHLD.
 * `marker` is an environment entry prefix that every task process carries
 * ("MESOS_DIRECTORY=<slave dir>/"): when the agent dies, the watchdog also
 * kills the processes carrying it that left their task's process group.
 */
int roger_watchdog_start(struct roger_watchdog *w, const char *marker,
			 struct roger_err *err);

/*
 * Record process group `pgid` (a task's session leader): if this process
 * dies before roger_watchdog_remove(), the watchdog sends the group
 * SIGKILL.  The record is queued in the kernel before this returns, so it
 * is honoured even if this process is killed the next instant.  A
 * watchdog found dead is replaced first.  ROGER_ERROR when no watchdog
 * runs or it is full.
 */
int roger_watchdog_add(struct roger_watchdog *w, pid_t pgid,
		       struct roger_err *err);

/* Forget `pgid`; call it before the group's leader is reaped, so that the
 * id cannot have been reused when the watchdog acts on it. */
void roger_watchdog_remove(struct roger_watchdog *w, pid_t pgid);

/*
 * Whether the watchdog still runs; when it died (something killed it),
 * reap it and start a new one that records every group the old one had.
 * 0: it runs; 1: a new one was started; negative: none runs and none could
 * be started (`err` says why).  Call it often: until it is replaced, the
 * tasks are not protected.
 */
int roger_watchdog_check(struct roger_watchdog *w, struct roger_err *err);

/* The watchdog's pid (-1 when none runs), and how many were restarted. */
pid_t roger_watchdog_pid(struct roger_watchdog *w);
unsigned roger_watchdog_restarts(struct roger_watchdog *w);

/* Close our end (the watchdog kills what is still recorded and exits) and
 * reap the watchdog.  Call it once, after a successful start. */
void roger_watchdog_stop(struct roger_watchdog *w);

#endif
