#!/bin/sh
# Bad roger.json files, driven through `roger config` (which loads the
# project like every command that needs it): one line on stderr naming the
# file with line:column or the JSON path, and exit status 3.
. "$TEST_SRCDIR/cli/lib.sh"

# expect_invalid 'roger.json text' 'expected message (grep -F)'
expect_invalid() {
	printf '%s' "$1" >repo/roger.json &&
	test_expect_code 3 "$ROGER" -C repo config >out 2>err &&
	test_line_count 0 out &&
	test_line_count 1 err &&
	if ! grep -F -x -- "roger: $2" err >/dev/null; then
		echo "expected: roger: $2" >&2
		echo "got:      $(cat err)" >&2
		return 1
	fi
}

test_expect_success 'setup' '
	test_create_repo repo
'

test_expect_success 'truncated JSON: file, line and column' '
	expect_invalid "{
  \"version\": 1,
  \"app\": \"x\",
" "roger.json:4:1: string or '"'"'}'"'"' expected near end of file"
'

test_expect_success 'trailing garbage after the document' '
	expect_invalid "{\"version\": 1, \"app\": \"x\"}
garbage" "roger.json:2:7: end of file expected near '"'"'garbage'"'"'"
'

test_expect_success 'a duplicate key' '
	expect_invalid "{
  \"version\": 1,
  \"app\": \"x\",
  \"app\": \"y\"
}" "roger.json:4:7: duplicate object key near '"'"'\"app\"'"'"'"
'

test_expect_success 'a wrong type, by JSON path' '
	expect_invalid "{\"version\": 1, \"app\": \"x\", \"environments\": {\"staging\": {\"marathon\": {\"instances\": \"2\"}}}}" \
		"roger.json: environments.staging.marathon.instances: expected an integer, got a string"
'

test_expect_success 'an unknown key, with a suggestion' '
	expect_invalid "{\"version\": 1, \"app\": \"x\", \"enviroments\": {}}" \
		"roger.json: unknown key '"'"'enviroments'"'"', did you mean '"'"'environments'"'"'?"
'

test_expect_success 'an unknown Marathon field, nested too, with a suggestion' '
	expect_invalid "{\"version\": 1, \"app\": \"x\", \"marathon\": {\"cmd\": \"x\", \"instnaces\": 3}}" \
		"roger.json: marathon: unknown Marathon app field '"'"'instnaces'"'"', did you mean '"'"'instances'"'"'?" &&
	expect_invalid "{\"version\": 1, \"app\": \"x\", \"environments\": {\"prod\": {\"marathon\": {\"healthChecks\": [{\"path\": \"/\", \"gracePeriod\": 5}]}}}}" \
		"roger.json: environments.prod.marathon.healthChecks[0]: unknown Marathon app field '"'"'gracePeriod'"'"', did you mean '"'"'gracePeriodSeconds'"'"'?"
'

test_expect_success '--no-schema-check and ROGER_NO_SCHEMA_CHECK let a newer field through' '
	printf "%s" "{\"version\": 1, \"app\": \"x\", \"marathon\": {\"cmd\": \"x\", \"shinyNewField\": true, \"instances\": 2}}" >repo/roger.json &&
	test_expect_code 3 "$ROGER" -C repo config 2>err &&
	test_grep "unknown Marathon app field .shinyNewField. (no Marathon from 1.4 to 1.10 has it; --no-schema-check lets a newer one through)" err &&
	"$ROGER" -C repo config --no-schema-check >out &&
	test_grep "^app id: */x$" out &&
	ROGER_NO_SCHEMA_CHECK=1 "$ROGER" -C repo -o json config >out.json &&
	python3 -c "import json; d = json.load(open(\"out.json\")); assert d[\"project\"][\"id\"] == \"/x\", d" &&
	ROGER_NO_SCHEMA_CHECK=0 test_expect_code 3 "$ROGER" -C repo config 2>err &&
	test_grep "shinyNewField" err &&
	printf "%s" "{\"version\": 1, \"app\": \"x\", \"marathon\": {\"shinyNewField\": true, \"instances\": \"2\"}}" >repo/roger.json &&
	test_expect_code 3 "$ROGER" -C repo --no-schema-check config 2>err &&
	test_grep "marathon.instances: expected an integer, got a string" err
'

test_expect_success 'an invalid app id' '
	expect_invalid "{\"version\": 1, \"app\": \"hello_world\", \"group\": \"/web\"}" \
		"roger.json: invalid app name '"'"'hello_world'"'"': segment '"'"'hello_world'"'"': '"'"'_'"'"' is not allowed; use lowercase letters, digits, '"'"'-'"'"' and '"'"'.'"'"'"
'

test_expect_success 'marathon.id must not be set' '
	expect_invalid "{\"version\": 1, \"app\": \"x\", \"marathon\": {\"id\": \"/x\"}}" \
		"roger.json: marathon.id: must not be set: roger sets the app id from '"'"'group'"'"' and '"'"'app'"'"'"
'

test_expect_success 'a password or token in roger.json is refused without echoing it' '
	expect_invalid "{\"version\": 1, \"app\": \"x\", \"password\": \"hunter2\"}" \
		"roger.json: password: this looks like a credential, and roger.json is committed with the code; put credentials in the user config (~/.config/roger/config.json) or in ROGER_TOKEN, or ROGER_USER and ROGER_PASSWORD" &&
	test_grep ! hunter2 err &&
	expect_invalid "{\"version\": 1, \"app\": \"x\", \"token\": \"tok-abc123\"}" \
		"roger.json: token: this looks like a credential, and roger.json is committed with the code; put credentials in the user config (~/.config/roger/config.json) or in ROGER_TOKEN, or ROGER_USER and ROGER_PASSWORD" &&
	test_grep ! tok-abc123 err &&
	expect_invalid "{\"version\": 1, \"app\": \"x\", \"marathon\": {\"env\": {\"DB_PASSWORD\": \"hunter2\"}}}" \
		"roger.json: marathon.env.DB_PASSWORD: this looks like a secret, and roger.json is committed with the code; use a Marathon secret {\"secret\": \"NAME\"} or a {{ variable }} set with --var or ROGER_VAR_<name>" &&
	test_grep ! hunter2 err
'

test_expect_success 'the message names roger.json as seen from the current directory' '
	mkdir -p repo/src/lib &&
	printf "{\"version\": 1, \"app\": 1}" >repo/roger.json &&
	(cd repo/src/lib && test_expect_code 3 "$ROGER" config 2>../../../err) &&
	test_grep -x "roger: ../../roger.json: app: expected a string, got an integer" err
'

test_expect_success 'an unknown environment (-e) fails with 3 and a suggestion' '
	printf "{\"version\": 1, \"app\": \"x\", \"environments\": {\"staging\": {}, \"production\": {}}}" >repo/roger.json &&
	test_expect_code 3 "$ROGER" -C repo -e prodution config >out 2>err &&
	test_line_count 1 err &&
	test_grep -x "roger: unknown environment .prodution. in roger.json, did you mean .production.?" err &&
	"$ROGER" -C repo config -e production >out &&
	test_grep "^environment: *production$" out
'

test_expect_success 'roger.json that is a directory is unreadable: 3' '
	test_create_repo dirrepo "mkdir roger.json" &&
	test_expect_code 3 "$ROGER" -C dirrepo config 2>err &&
	test_line_count 1 err &&
	test_grep "roger: cannot read .*roger.json.: Is a directory" err
'

if [ "$(id -u)" -ne 0 ] || test_have_nobody; then
	test_expect_success 'an unreadable roger.json (chmod 000): 3, naming it' '
		test_create_repo noread "echo {} >roger.json" &&
		chmod 000 noread/roger.json &&
		if [ "$(id -u)" -eq 0 ]; then
			test_expect_code 3 test_as_nobody noread "$ROGER" -C noread config >out 2>err
		else
			test_expect_code 3 "$ROGER" -C noread config >out 2>err
		fi &&
		test_line_count 0 out &&
		test_line_count 1 err &&
		test_grep -x "roger: cannot read .*noread/roger.json.: Permission denied" err
	'
else
	test_skip 'an unreadable roger.json (chmod 000)' 'running as root, which reads any file, and without setpriv(1) or a build the user nobody can run; the directory case above covers it'
fi

test_expect_success 'no roger.json: exit 1, suggests roger init' '
	test_create_repo none &&
	test_expect_code 1 "$ROGER" -C none config 2>err &&
	test_line_count 1 err &&
	test_grep "roger: no roger.json in .*; run .roger init. to create one" err
'

test_expect_success 'outside a git work tree: exit 1, says so' '
	mkdir plain && echo "{\"version\": 1, \"app\": \"x\"}" >plain/roger.json &&
	test_expect_code 1 "$ROGER" -C plain config 2>err &&
	test_line_count 1 err &&
	test_grep "roger: .*plain. is not inside a git work tree" err
'

test_expect_success 'a missing -C directory: exit 1' '
	test_expect_code 1 "$ROGER" -C nowhere config 2>err &&
	test_grep "cannot use directory .nowhere.: No such file or directory" err
'

test_expect_success 'file names that are not UTF-8 in the repository' '
	test_create_repo latin "
		echo \"{\\\"version\\\": 1, \\\"app\\\": \\\"x\\\"}\" >roger.json &&
		echo x >\"$(printf "caf\351")\" && mkdir \"$(printf "\377")\" && echo y >\"$(printf "\377")/z\"" &&
	"$ROGER" -C latin config >out &&
	test_grep "^app id: */x$" out &&
	(cd "latin/$(printf "\377")" && "$ROGER" config >../../out) &&
	test_grep "^project: .*latin/roger.json$" out
'

test_done
