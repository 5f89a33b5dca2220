# lib-registry.sh - Debian's docker-registry (the real distribution
# registry) on a loopback port, for the CLI tests of images.  Source it
# after lib.sh:
#
#	. "$TEST_SRCDIR/cli/lib-registry.sh"
#	registry_skip_reason && { test_skip ...; test_done; }
#	registry_start [OPTIONS]	# sets REGISTRY_URL REGISTRY_HOST
#					# REGISTRY_DIR REGISTRY_CA REGISTRY_LOG
#	registry_count METHOD PREFIX	# requests of the access log
#	registry_log_mark; ...; registry_since
#
# registry_start runs tests/registryd.py, which writes the registry's
# configuration, storage and logs under $TRASH/registry (or the directory
# of REGISTRY_NAME: $TRASH/$REGISTRY_NAME, for a second registry), and
# takes its options:
#	(none)			plain http, no auth
#	--tls			https with a certificate for 127.0.0.1 signed by
#				a CA made for the run ($REGISTRY_CA, PEM)
#	--auth basic		htpasswd: user "roger", password "s3cret"
#	--auth token		the Bearer token flow, with a token server of
#				the tests ($REGISTRY_TOKEN_URL) whose JWTs the
#				registry checks; roger:s3cret gets every
#				action, --anonymous-pull lets anyone pull
#	--relative-urls		relative Location headers
# The access log has one Apache-style line per request:
#	127.0.0.1 - - [date] "METHOD URI HTTP/1.1" STATUS LENGTH "" "agent"
# The registry stops when the script ends.

REGISTRY_PID=

# Print why the registry cannot run here (and return 0), or return 1.
registry_skip_reason() {
	if ! command -v "${DOCKER_REGISTRY:-docker-registry}" >/dev/null 2>&1; then
		echo "docker-registry is not installed (./install-deps installs it)"
		return 0
	fi
	if ! command -v openssl >/dev/null 2>&1; then
		echo "openssl is not installed"
		return 0
	fi
	return 1
}

registry_start() {
	REGISTRY_DIR=$TRASH/${REGISTRY_NAME:-registry}
	mkdir -p "$REGISTRY_DIR"
	"${PYTHON:-python3}" "$TEST_SRCDIR/registryd.py" --dir "$REGISTRY_DIR" "$@" \
		>"$REGISTRY_DIR/ready.out" 2>"$REGISTRY_DIR/registryd.err" &
	REGISTRY_PID=$!
	test_atexit "registry_stop $REGISTRY_PID"
	i=0
	until [ -s "$REGISTRY_DIR/ready.json" ]; do
		i=$((i + 1))
		if [ $i -gt 300 ] || ! kill -0 "$REGISTRY_PID" 2>/dev/null; then
			echo "the registry did not start:" >&2
			cat "$REGISTRY_DIR/registryd.err" >&2
			return 1
		fi
		sleep 0.1
	done
	eval "$("${PYTHON:-python3}" -c '
import json, shlex, sys
r = json.load(open(sys.argv[1]))
for k, v in (("URL", r["url"]), ("HOST", r["host"]), ("CA", r["ca"] or ""),
             ("TOKEN_URL", r["token_url"] or "")):
    print("REGISTRY_%s=%s" % (k, shlex.quote(v)))
' "$REGISTRY_DIR/ready.json")"
	REGISTRY_LOG=$REGISTRY_DIR/access.log
	export REGISTRY_URL REGISTRY_HOST REGISTRY_CA REGISTRY_TOKEN_URL \
		REGISTRY_DIR REGISTRY_LOG
}

# registry_stop PID: SIGTERM to registryd.py, which stops the registry.
registry_stop() {
	[ -n "${1:-}" ] || return 0
	kill -TERM "$1" 2>/dev/null || true
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 100 ]; do
		i=$((i + 1))
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# registry_count METHOD PREFIX: requests of the access log with METHOD
# ("*": any) and a URI starting with PREFIX, after the last mark if any.
registry_count() {
	registry_since | awk -v m="$1" -v p="$2" '
		{ q = index($0, "\""); split(substr($0, q + 1), f, " ") }
		(m == "*" || f[1] == m) && index(f[2], p) == 1 { n++ }
		END { print n + 0 }'
}

# registry_log_mark: remember the access log's length; registry_since
# prints what was logged after the mark (everything without one).
registry_log_mark() {
	REGISTRY_MARK=$(wc -l <"$REGISTRY_LOG" 2>/dev/null || echo 0)
}
registry_since() {
	sed -n "$((${REGISTRY_MARK:-0} + 1)),\$p" "$REGISTRY_LOG"
}
