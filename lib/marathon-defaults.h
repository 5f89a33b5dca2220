/*
 * marathon-defaults.h - the values Marathon gives the app fields that roger
 * reads or compares when an app definition leaves them out, in one table:
 * the diff (render.c) takes a field left out on one side as its default,
 * and the parsers (marathon.c) fill in what a reply omits.  Not installed.
 *
 * From MARATHON-MESOS.md section 3 (the RAML types and AppDefinition.scala
 * of Marathon 1.4 to 1.10).  Where versions differ, every value is listed,
 * separated by '|', the newest Marathon's first: that one is what a
 * parser assumes; the diff accepts any of them.
 */
#ifndef ROGER_MARATHON_DEFAULTS_H
#define ROGER_MARATHON_DEFAULTS_H

/*
 * X(id, path, kind, value): `path` names the field ("[]" for each element
 * of an array); `kind` is VALUE when `value` is JSON text (numbers,
 * booleans, arrays), STRING when `value` is a string's text.
 */
#define ROGER_MARATHON_DEFAULTS(X)                                             \
	X(BACKOFF_FACTOR, "backoffFactor", VALUE, "1.15")                      \
	X(BACKOFF_SECONDS, "backoffSeconds", VALUE, "1")                       \
	X(CPUS, "cpus", VALUE, "1")                                            \
	X(DISK, "disk", VALUE, "0")                                            \
	X(EXECUTOR, "executor", STRING, "")                                    \
	X(GPUS, "gpus", VALUE, "0")                                            \
	X(INSTANCES, "instances", VALUE, "1")                                  \
	X(KILL_SELECTION, "killSelection", STRING, "YOUNGEST_FIRST")           \
	X(MAX_LAUNCH_DELAY, "maxLaunchDelaySeconds", VALUE, "300|3600")        \
	X(MEM, "mem", VALUE, "128")                                            \
	X(REQUIRE_PORTS, "requirePorts", VALUE, "false")                       \
	X(NETWORKS, "networks", VALUE, "[{\"mode\": \"host\"}]")               \
	X(PORT_DEFINITIONS, "portDefinitions", VALUE,                          \
	  "[{\"port\": 0, \"protocol\": \"tcp\", \"name\": \"default\"}]")     \
	X(PORT_NAME, "portDefinitions[].name", STRING, "default")              \
	X(PORT_PORT, "portDefinitions[].port", VALUE, "0")                     \
	X(PORT_PROTOCOL, "portDefinitions[].protocol", STRING, "tcp")          \
	X(MAPPING_HOST_PORT, "portMappings[].hostPort", VALUE, "0")            \
	X(MAPPING_PROTOCOL, "portMappings[].protocol", STRING, "tcp")          \
	X(MAPPING_SERVICE_PORT, "portMappings[].servicePort", VALUE, "0")      \
	X(DOCKER_FORCE_PULL, "container.docker.forcePullImage", VALUE,         \
	  "false")                                                             \
	X(DOCKER_PRIVILEGED, "container.docker.privileged", VALUE, "false")    \
	X(FETCH_CACHE, "fetch[].cache", VALUE, "false")                        \
	X(FETCH_EXECUTABLE, "fetch[].executable", VALUE, "false")              \
	X(FETCH_EXTRACT, "fetch[].extract", VALUE, "true")                     \
	X(HC_DELAY, "healthChecks[].delaySeconds", VALUE, "15")                \
	X(HC_GRACE, "healthChecks[].gracePeriodSeconds", VALUE, "300")         \
	X(HC_IGNORE_1XX, "healthChecks[].ignoreHttp1xx", VALUE, "false")       \
	X(HC_INTERVAL, "healthChecks[].intervalSeconds", VALUE, "60")          \
	X(HC_IP_PROTOCOL, "healthChecks[].ipProtocol", STRING, "IPv4")         \
	X(HC_MAX_FAILURES, "healthChecks[].maxConsecutiveFailures", VALUE,     \
	  "3")                                                                 \
	X(HC_PORT_INDEX, "healthChecks[].portIndex", VALUE, "0")               \
	X(HC_PROTOCOL, "healthChecks[].protocol", STRING, "HTTP")              \
	X(HC_TIMEOUT, "healthChecks[].timeoutSeconds", VALUE, "20")            \
	X(UNREACHABLE_EXPUNGE, "unreachableStrategy.expungeAfterSeconds",      \
	  VALUE, "0|600")                                                      \
	X(UNREACHABLE_INACTIVE, "unreachableStrategy.inactiveAfterSeconds",    \
	  VALUE, "0|300")                                                      \
	X(UPGRADE_MAX_OVER, "upgradeStrategy.maximumOverCapacity", VALUE, "1") \
	X(UPGRADE_MIN_HEALTH, "upgradeStrategy.minimumHealthCapacity", VALUE,  \
	  "1")

enum roger_marathon_default {
	ROGER_MD_NONE = 0, /* a field without a default of ours */
#define ROGER_MD_ENUM_(id, path, kind, value) ROGER_MD_##id,
	ROGER_MARATHON_DEFAULTS(ROGER_MD_ENUM_)
#undef ROGER_MD_ENUM_
		ROGER_MD_COUNT_,
};

/* The field `d` is the default of ("healthChecks[].protocol"). */
const char *roger_marathon_default_path(enum roger_marathon_default d);

/*
 * The default as JSON text, every version's value separated by '|' (a
 * string's in quotes); NULL for ROGER_MD_NONE.
 */
const char *roger_marathon_default_json(enum roger_marathon_default d);

/* A numeric default: the newest Marathon's value. */
double roger_marathon_default_number(enum roger_marathon_default d);

/* A string default (static text, without quotes). */
const char *roger_marathon_default_string(enum roger_marathon_default d);

#endif
