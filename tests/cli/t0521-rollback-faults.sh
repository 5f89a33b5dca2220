#!/bin/sh
# roger rollback against a scripted fault server: the version list as an
# HTML error page, as truncated JSON, and a stored definition that is
# truncated.  Each fails with one line naming what was wrong, and nothing
# is sent that would change the app.
. "$TEST_SRCDIR/cli/lib.sh"
. "$TEST_SRCDIR/cli/faultd.sh"

LIVE='{"app": {"id": "/f/APP", "cmd": "x", "instances": 1, "version": "2026-01-02T00:00:00.000Z", "labels": {"ROGER_COMMIT": "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}}}'

faultd_start faults "[
  {\"match\": \"GET /v2/apps/f/html/versions\", \"times\": 0, \"status\": 500,
   \"html\": true, \"message\": \"Server Error\"},
  {\"match\": \"GET /v2/apps/f/html\", \"times\": 0, \"json\": $(echo "$LIVE" | sed s/APP/html/)},
  {\"match\": \"GET /v2/apps/f/truncated/versions\", \"times\": 0,
   \"body\": \"{\\\"versions\\\": [\\\"2026-01-02T00:00:00.000Z\\\", \",
   \"headers\": {\"Content-Type\": \"application/json\"}},
  {\"match\": \"GET /v2/apps/f/truncated\", \"times\": 0, \"json\": $(echo "$LIVE" | sed s/APP/truncated/)},
  {\"match\": \"GET /v2/apps/f/cutdef/versions/2026*\", \"times\": 0,
   \"body\": \"{\\\"id\\\": \\\"/f/cutdef\\\", \\\"labels\\\": {\\\"ROGER_CO\",
   \"headers\": {\"Content-Type\": \"application/json\"}},
  {\"match\": \"GET /v2/apps/f/cutdef/versions\", \"times\": 0,
   \"json\": {\"versions\": [\"2026-01-01T00:00:00.000Z\", \"2026-01-02T00:00:00.000Z\"]}},
  {\"match\": \"GET /v2/apps/f/cutdef\", \"times\": 0, \"json\": $(echo "$LIVE" | sed s/APP/cutdef/)}
]"

ROGER_MARATHON_URL=$faults_URL
export ROGER_MARATHON_URL

# nothing_sent APP: no request that changes the app reached the server.
nothing_sent() {
	test "$(faultd_count faults PUT /v2/apps/$1)" = 0 &&
	test "$(faultd_count faults DELETE /v2)" = 0
}

test_expect_success 'the version list as an HTML error page: one line, status 1' '
	test_expect_code 1 "$ROGER" rollback --app /f/html >out 2>err &&
	test_line_count 1 err &&
	test_grep "^roger: .*500.*Server Error" err &&
	test_line_count 0 out &&
	nothing_sent f/html
'

test_expect_success 'the version list as truncated JSON: one line, status 1' '
	test_expect_code 1 "$ROGER" rollback --app /f/truncated >out 2>err &&
	test_line_count 1 err &&
	test_grep "^roger: invalid JSON in the version list" err &&
	test_line_count 0 out &&
	test_expect_code 1 "$ROGER" -o json rollback --app /f/truncated >out 2>err &&
	python3 -c "import json; assert json.load(open(\"out\"))[\"status\"] == \"error\"" &&
	nothing_sent f/truncated
'

test_expect_success 'a stored definition cut short: one line naming it, status 1' '
	test_expect_code 1 "$ROGER" rollback --app /f/cutdef >out 2>err &&
	test_line_count 1 err &&
	test_grep "^roger: invalid JSON .*/v2/apps/f/cutdef/versions/2026-01-01T00" err &&
	test_line_count 0 out &&
	nothing_sent f/cutdef
'

test_done
