#!/bin/sh
# The scripted fault server of the tests, as CLI tests use it: started from
# the shell, answering by its script, logging what it received.
. "$TEST_SRCDIR/cli/lib.sh"
. "$TEST_SRCDIR/cli/faultd.sh"

faultd_start m '[{"match": "GET /v2/apps*", "status": 503, "html": true, "times": 1},
 {"match": "GET /v2/apps*", "json": {"apps": []}},
 {"match": "POST /v2/apps", "reset": true}]'

# get URL: print the status and the body, as one line.
get() {
	"${PYTHON:-python3}" - "$1" "${2:-GET}" <<'PY'
import sys, urllib.request, urllib.error
req = urllib.request.Request(sys.argv[1], method=sys.argv[2],
                             data=b"{}" if sys.argv[2] == "POST" else None)
try:
    with urllib.request.urlopen(req, timeout=10) as r:
        print(r.status, r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code, "error")
except (urllib.error.URLError, ConnectionError) as e:
    print("failed")
PY
}

test_expect_success 'faultd answers by its script, rule after rule' '
	get "$m_URL/v2/apps" >out &&
	get "$m_URL/v2/apps?embed=apps.tasks" >>out &&
	get "$m_URL/v2/info" >>out &&
	cat >expect <<-EOF &&
	503 error
	200 {"apps": []}
	404 error
	EOF
	test_cmp expect out
'

test_expect_success 'faultd resets the connection when told to' '
	get "$m_URL/v2/apps" POST >out &&
	echo failed >expect &&
	test_cmp expect out
'

test_expect_success 'faultd logs every request it received' '
	test "$(faultd_count m GET /v2/apps)" = 2 &&
	test "$(faultd_count m POST /v2/apps)" = 1 &&
	test_grep "\"path\": \"/v2/apps?embed=apps.tasks\"" "$m_LOG"
'

test_done
