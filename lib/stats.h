/*
 * stats.h - what a task consumes: cpu and memory against its limits, from
 * the agents' GET /monitor/statistics (MESOS-CONTAINERS.md section 7),
 * for `roger top` and the cpu and memory columns of `roger status`.
 *
 * Three layers, in this order:
 *  - the reply as structs (pure): roger_stats_parse() reads the array of
 *    executors an agent answers, every statistic optional ("missing means
 *    not measured", never 0);
 *  - usage (pure): cpu as a share of the limit from two samples of the
 *    cumulative user + system seconds over the time between them, or from
 *    one sample over the task's life; memory as rss against the limit;
 *    per task and summed over tasks;
 *  - the client: one sample of a list of Marathon tasks, one request per
 *    agent that runs any of them (agents found through the master's
 *    state), each tried once with a short timeout, so that an agent that
 *    does not answer costs its tasks' numbers and nothing else.
 *
 * The limits an agent reports include the executor's allowance (0.1 cpu,
 * 32 MiB for a command task): they are what the task can use before it
 * is throttled or killed, so usage is measured against them.
 */
#ifndef ROGER_STATS_H
#define ROGER_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common.h"

ROGER_BEGIN_DECLS

struct roger_err;
struct roger_marathon_task;
struct roger_mesos;

/* ---- the reply ------------------------------------------------------------- */

/* One executor's statistics; strings borrowed from the parsed JSON. */
struct roger_stats_entry {
	const char *executor_id;
	const char *source; /* for command tasks, the task id too */
	const char *framework_id;
	double timestamp; /* seconds since the epoch */
	bool has_cpu_time; /* user and system seconds both given */
	double cpu_seconds; /* user + system, cumulative */
	double cpus_limit; /* 0: not measured */
	bool has_rss;
	uint64_t mem_rss_bytes;
	uint64_t mem_limit_bytes; /* 0: not measured */
};

struct roger_stats {
	json_t *json;
	struct roger_stats_entry *items;
	size_t n;
};

/*
 * Parse an agent's GET /monitor/statistics.  Entries without an executor
 * id or statistics, or whose statistics lack a timestamp, are skipped;
 * a statistic that is not a number reads as not measured.  ROGER_EHTTP
 * when the body is not JSON or not an array.
 */
ROGER_EXTERN int roger_stats_parse(struct roger_stats **out, const char *body,
				   size_t len, struct roger_err *err);
ROGER_EXTERN void roger_stats_free(struct roger_stats *s);

/* The entry of task `task_id` (its executor id or source), or NULL. */
ROGER_EXTERN const struct roger_stats_entry *
roger_stats_find(const struct roger_stats *s, const char *task_id);

/* ---- usage ----------------------------------------------------------------- */

/* What one task used, over an interval or over its life. */
struct roger_stats_usage {
	bool has_cpu; /* cpus_used is known */
	double cpus_used; /* cores, on average over the interval */
	double cpus_limit; /* 0: unknown */
	bool has_mem; /* rss_bytes is known */
	uint64_t rss_bytes;
	uint64_t mem_limit_bytes; /* 0: unknown */
};

/*
 * Usage from two samples of one task, `prev` then `cur` (cpu needs both
 * with cpu times and a later timestamp; a counter that went back, as when
 * a process of the task ended unwaited for, counts as no use), or, when
 * `prev` is NULL, from `cur` alone over the task's life since `started`
 * (seconds since the epoch; 0: unknown, and then no cpu).
 */
ROGER_EXTERN void roger_stats_usage(struct roger_stats_usage *out,
				    const struct roger_stats_entry *prev,
				    const struct roger_stats_entry *cur,
				    double started);

/* Add `u` to `sum` (the app's total: known parts only). */
ROGER_EXTERN void roger_stats_usage_add(struct roger_stats_usage *sum,
					const struct roger_stats_usage *u);

/* cpus_used as a percentage of cpus_limit; negative when either is unknown. */
ROGER_EXTERN double roger_stats_cpu_percent(const struct roger_stats_usage *u);
/* rss as a percentage of the memory limit; negative when unknown. */
ROGER_EXTERN double roger_stats_mem_percent(const struct roger_stats_usage *u);

/* ---- the client ------------------------------------------------------------ */

/* One task in a sample. */
struct roger_stats_task {
	char *task_id;
	char *agent_id; /* NULL when Marathon did not say */
	bool found; /* the agent reported the task: `entry` holds it */
	struct roger_stats_entry entry; /* strings owned by the sample */
	char *error; /* why not found (NULL when found) */
};

struct roger_stats_sample {
	struct roger_stats_task *tasks;
	size_t n;
	struct roger_stats **replies; /* what the entries borrow from */
	size_t n_replies;
};

/*
 * One sample of `tasks` (Marathon's, with their agent ids): the master's
 * state once, to find the agents, then /monitor/statistics of each agent
 * concerned.  A task whose agent is unknown or does not answer is in the
 * sample, not found, with the reason.  Fails only when the master cannot
 * be read (its errors) or out of memory.  `timeout_ms` bounds each
 * request to an agent (0: 5 s).
 */
ROGER_EXTERN int roger_stats_sample(struct roger_stats_sample **out,
				    struct roger_mesos *mesos,
				    const struct roger_marathon_task *tasks,
				    size_t n_tasks, long timeout_ms,
				    struct roger_err *err);
ROGER_EXTERN void roger_stats_sample_free(struct roger_stats_sample *s);

/* The task `task_id` of a sample (borrowed), or NULL. */
ROGER_EXTERN const struct roger_stats_task *
roger_stats_sample_task(const struct roger_stats_sample *s,
			const char *task_id);

ROGER_END_DECLS

#endif
