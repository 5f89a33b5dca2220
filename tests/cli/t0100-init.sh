#!/bin/sh
# roger init: detection rules, writing roger.json and .gitignore, --force,
# subdirectories, refusals; what it writes loads with roger config.
. "$TEST_SRCDIR/cli/lib.sh"

# The value of a JSON path in a file, e.g. json_get roger.json marathon.cmd
json_get() {
	python3 - "$1" "$2" <<-'EOF'
	import json, sys
	v = json.load(open(sys.argv[1]))
	for k in sys.argv[2].split('.'):
	    v = v[int(k)] if isinstance(v, list) else v.get(k) if isinstance(v, dict) else None
	    if v is None:
	        break
	print('<absent>' if v is None else v if isinstance(v, str) else json.dumps(v))
	EOF
}

# The programs that init looks for on PATH, so that what this machine has
# installed changes nothing; and a PATH of the system without them (nobin:
# the libtool wrapper of $ROGER needs the rest), and one with yarn alone.
mkdir -p "$TRASH/stubs" "$TRASH/nobin" "$TRASH/onlyyarn" &&
for t in npm node yarn pnpm go cargo bundle; do
	printf '#!/bin/sh\n' >"$TRASH/stubs/$t" && chmod +x "$TRASH/stubs/$t"
done &&
for f in /usr/bin/* /bin/*; do
	case ${f##*/} in
	npm | node | yarn | pnpm | corepack) ;;
	*) [ -e "$TRASH/nobin/${f##*/}" ] || ln -s "$f" "$TRASH/nobin/${f##*/}" ;;
	esac
done &&
cp "$TRASH/stubs/yarn" "$TRASH/onlyyarn/yarn" || exit 99
PATH="$TRASH/stubs:$PATH"
export PATH

test_expect_success 'a Procfile web: line gives the command and a health check' '
	test_create_repo hello "printf \"worker: ./work\nweb: bundle exec puma -p \\\$PORT  \n\" >Procfile" &&
	(cd hello && "$ROGER" init >../out 2>../err) &&
	test_line_count 0 err &&
	test_grep "^command: *bundle exec puma -p \$PORT (the web: line of Procfile)" out &&
	test_grep "^health check: *HTTP GET / on \$PORT0 (Procfile declares a web process)" out &&
	test_grep "^wrote roger.json for app /hello$" out &&
	test "$(json_get hello/roger.json marathon.cmd)" = "bundle exec puma -p \$PORT" &&
	test "$(json_get hello/roger.json marathon.healthChecks.0.portIndex)" = 0 &&
	test "$(json_get hello/roger.json marathon.healthChecks.0.path)" = / &&
	test "$(json_get hello/roger.json marathon.healthChecks.0.protocol)" = HTTP &&
	test "$(json_get hello/roger.json version)" = 1 &&
	test "$(json_get hello/roger.json app)" = hello &&
	test "$(json_get hello/roger.json group)" = / &&
	test "$(json_get hello/roger.json build)" = "<absent>"
'

test_expect_success 'what init writes loads (roger config reads it)' '
	(cd hello && "$ROGER" config >../out) &&
	test_grep "^app id: */hello$" out &&
	test_grep "^target: *local (built-in)$" out
'

test_expect_success 'init adds .roger/ to .gitignore' '
	(cd hello && rm roger.json .gitignore && "$ROGER" init >../out) &&
	test_grep "^added .\.roger/. to \.gitignore$" out &&
	test_grep -x ".roger/" hello/.gitignore &&
	test_line_count 1 hello/.gitignore
'

test_expect_success 'a second init is refused and changes nothing' '
	cp hello/roger.json before.json &&
	echo "{\"version\": 1, \"app\": \"mine\"}" >hello/roger.json &&
	(cd hello && test_expect_code 1 "$ROGER" init >../out 2>../err) &&
	test_line_count 0 out &&
	test_line_count 1 err &&
	test_grep "roger: .*roger.json. already exists; use --force to replace it" err &&
	test "$(json_get hello/roger.json app)" = mine
'

test_expect_success 'init --force replaces roger.json, .gitignore keeps one entry' '
	(cd hello && "$ROGER" init --force >../out) &&
	test "$(json_get hello/roger.json app)" = hello &&
	test_line_count 1 hello/.gitignore &&
	test_grep ! "added" out
'

test_expect_success 'package.json with a lockfile: npm start, npm ci unless node_modules came from the build cache' '
	test_create_repo node "
		echo \"{\\\"scripts\\\": {\\\"start\\\": \\\"node index.js\\\"}, \\\"dependencies\\\": {\\\"express\\\": \\\"^4\\\"}}\" >package.json &&
		echo {} >package-lock.json" &&
	"$ROGER" -C node init >out &&
	test "$(json_get node/roger.json marathon.cmd)" = "npm start" &&
	test "$(json_get node/roger.json build.command)" = "test -d node_modules || npm ci --omit=dev" &&
	test "$(json_get node/roger.json build.cache.paths)" = "[\"node_modules\"]" &&
	test "$(json_get node/roger.json build.cache.key)" = "[\"package.json\", \"package-lock.json\"]" &&
	test "$(json_get node/roger.json build.cache.version)" = "node --version && npm --version" &&
	test "$(json_get node/roger.json marathon.env.NODE_ENV)" = production &&
	test "$(json_get node/roger.json marathon.healthChecks.0.portIndex)" = 0 &&
	test_grep "^command: *npm start (package.json has a \"start\" script)" out &&
	test_grep "^build: *test -d node_modules || npm ci --omit=dev (package.json with package-lock.json; node_modules comes from the build cache while they do not change)" out &&
	test_grep "^build cache: *node_modules (package.json, package-lock.json and the tools. versions)" out &&
	test_grep "^health check: .*(package.json depends on express)" out &&
	test_grep "^wrote node/roger.json for app /node$" out
'

test_expect_success 'package.json without a lockfile: npm install, no health check without a web dependency' '
	test_create_repo node2 "echo \"{\\\"scripts\\\": {\\\"start\\\": \\\"node worker.js\\\"}}\" >package.json" &&
	"$ROGER" -C node2 init >out &&
	test "$(json_get node2/roger.json build.command)" = "npm install --omit=dev" &&
	test "$(json_get node2/roger.json marathon.healthChecks)" = "<absent>" &&
	test "$(json_get node2/roger.json build.cache)" = "<absent>" &&
	test_grep "^build: *npm install --omit=dev (package.json without a lockfile)" out &&
	test_grep "^health check: *none (nothing shows that the command serves HTTP" out
'

test_expect_success 'nothing recognised: no command, says what to do' '
	test_create_repo empty "echo hi >README" &&
	"$ROGER" -C empty init >out &&
	test "$(json_get empty/roger.json marathon.cmd)" = "<absent>" &&
	test_grep "^command: *none (nothing recognised; set marathon.cmd in roger.json, or use --cmd)" out &&
	test_grep "^build: *none" out &&
	"$ROGER" -C empty config >/dev/null
'

test_expect_success 'an executable start script at the root' '
	test_create_repo exe "printf \"#!/bin/sh\nexec python3 -m http.server \\\$PORT0\n\" >start && chmod +x start && echo x >run" &&
	"$ROGER" -C exe init >out &&
	test "$(json_get exe/roger.json marathon.cmd)" = "./start" &&
	test_grep "^command: *\./start (start is an executable file)" out
'

test_expect_success 'Procfile wins over package.json and executables' '
	test_create_repo both "
		echo \"web: node server.js --port \\\$PORT0\" >Procfile &&
		echo \"{\\\"scripts\\\": {\\\"start\\\": \\\"x\\\"}}\" >package.json &&
		printf \"#!/bin/sh\n\" >start && chmod +x start" &&
	"$ROGER" -C both init >out &&
	test "$(json_get both/roger.json marathon.cmd)" = "node server.js --port \$PORT0" &&
	test "$(json_get both/roger.json build.command)" = "npm install --omit=dev"
'

test_expect_success 'Python: requirements.txt and app.py' '
	test_create_repo py "echo \"Flask==3.0\" >requirements.txt && echo pass >app.py" &&
	"$ROGER" -C py init >out &&
	test "$(json_get py/roger.json marathon.cmd)" = "python3 app.py" &&
	test "$(json_get py/roger.json build.command)" = "test -d .pydeps || python3 -m pip install --no-cache-dir --target .pydeps -r requirements.txt" &&
	test "$(json_get py/roger.json build.cache.paths)" = "[\".pydeps\"]" &&
	test "$(json_get py/roger.json build.cache.key)" = "[\"requirements.txt\"]" &&
	test "$(json_get py/roger.json marathon.env.PYTHONPATH)" = .pydeps &&
	test_grep "^health check: .*(requirements.txt lists Flask)" out
'

test_expect_success 'Python: an app module that starts no server gets one' '
	test_create_repo flask "printf \"Flask==3.0\ngunicorn==22.0\n\" >requirements.txt &&
		printf \"from flask import Flask\nserver = Flask(__name__)\n\" >app.py" &&
	"$ROGER" -C flask init >out &&
	test "$(json_get flask/roger.json marathon.cmd)" = "python3 -m gunicorn --bind 0.0.0.0:\$PORT0 app:server" &&
	test_grep "^command: .*(app.py defines the WSGI app .server. and starts no server; requirements.txt lists gunicorn)" out &&
	test_create_repo flaskdev "echo Flask >requirements.txt &&
		printf \"import flask\napp = flask.Flask(__name__)\n\" >main.py" &&
	"$ROGER" -C flaskdev init >out &&
	test "$(json_get flaskdev/roger.json marathon.cmd)" = "python3 -m flask --app main:app run --host 0.0.0.0 --port \$PORT0" &&
	test_grep "Flask.s development server; add gunicorn" out &&
	test_create_repo asgi "printf \"fastapi\nuvicorn[standard]\n\" >requirements.txt &&
		printf \"from fastapi import FastAPI\napp = FastAPI()\n\" >app.py" &&
	"$ROGER" -C asgi init >out &&
	test "$(json_get asgi/roger.json marathon.cmd)" = "python3 -m uvicorn app:app --host 0.0.0.0 --port \$PORT0" &&
	test_create_repo noserver "echo fastapi >requirements.txt &&
		printf \"from fastapi import FastAPI\napp = FastAPI()\n\" >app.py" &&
	"$ROGER" -C noserver init >out &&
	test "$(json_get noserver/roger.json marathon.cmd)" = "<absent>" &&
	test_grep "^command: *none (app.py defines the ASGI app .app. but starts no server, and requirements.txt lists none (add uvicorn to it, or use --cmd))" out &&
	test_create_repo runs "echo Flask >requirements.txt &&
		printf \"from flask import Flask\napp = Flask(__name__)\nif __name__ == \\\"__main__\\\":\n    app.run(host=\\\"0.0.0.0\\\", port=int(os.environ[\\\"PORT\\\"]))\n\" >app.py" &&
	"$ROGER" -C runs init >out &&
	test "$(json_get runs/roger.json marathon.cmd)" = "python3 app.py"
'

test_expect_success 'a program the build step or the command needs that is not installed is warned about' '
	test_create_repo yarn "echo \"{\\\"scripts\\\": {\\\"start\\\": \\\"node server.js\\\"}}\" >package.json && touch yarn.lock" &&
	PATH="$TRASH/nobin" "$ROGER" -C yarn init >out 2>err &&
	test "$(json_get yarn/roger.json build.command)" = "test -d node_modules || yarn install --frozen-lockfile --production" &&
	test_grep "^roger: warning: .yarn. is not installed here (not on PATH), and roger build runs the build step on this machine: corepack enable, or npm install -g yarn, or change it in roger.json$" err &&
	test_grep "^roger: warning: .npm. is not installed here (not on PATH), and roger local runs the command on this machine: install it, or change it in roger.json$" err &&
	test_line_count 2 err &&
	PATH="$TRASH/nobin:$TRASH/onlyyarn" "$ROGER" -C yarn -o json init --force >out.json 2>err &&
	test_grep ! "yarn" err &&
	test "$(json_get out.json warnings.0)" = "'"'"'npm'"'"' is not installed here (not on PATH), and roger local runs the command on this machine: install it, or change it in roger.json"
'

test_expect_success 'a port the code binds other than $PORT0 is warned about, with where' '
	test_create_repo port80 "echo flask >requirements.txt &&
		printf \"from flask import Flask\napp = Flask(__name__)\n\nif __name__ == \\\"__main__\\\":\n    app.run(host=\\\"0.0.0.0\\\", port=80)\n\" >app.py" &&
	"$ROGER" -C port80 init >out 2>err &&
	test_grep "^roger: warning: app.py:5 binds port 80 (.app.run(host=\"0.0.0.0\", port=80).), not the one Marathon gives the task in \$PORT0 (also \$PORT): read it from the environment" err &&
	test_create_repo listen "echo \"{\\\"scripts\\\": {\\\"start\\\": \\\"node web.js\\\"}}\" >package.json &&
		printf \"const s = require(\\\"http\\\").createServer();\ns.listen(3000);\n\" >web.js" &&
	"$ROGER" -C listen init >out 2>err &&
	test_grep "^roger: warning: web.js:2 binds port 3000 (.s.listen(3000);.)" err &&
	test_create_repo goport "echo \"module x\" >go.mod &&
		printf \"package main\nimport \\\"net/http\\\"\nfunc main() { http.ListenAndServe(\\\":8080\\\", nil) }\n\" >main.go" &&
	"$ROGER" -C goport init >out 2>err &&
	test_grep "^roger: warning: main.go:3 binds port 8080" err &&
	test_create_repo envport "echo \"{\\\"scripts\\\": {\\\"start\\\": \\\"node server.js\\\"}}\" >package.json &&
		printf \"require(\\\"http\\\").createServer().listen(process.env.PORT || 3000);\n\" >server.js" &&
	"$ROGER" -C envport init >out 2>err &&
	test_grep ! "binds port" err
'

test_expect_success 'Go, Rust and Ruby layouts' '
	test_create_repo goapp "echo \"module example.com/x\" >go.mod && printf \"package main\nimport \\\"net/http\\\"\n\" >main.go" &&
	"$ROGER" -C goapp init >out &&
	test "$(json_get goapp/roger.json build.command)" = "GOMODCACHE=\"\$PWD/.cache/go-mod\" GOFLAGS=-modcacherw go build -o bin/goapp ." &&
	test "$(json_get goapp/roger.json build.cache.paths)" = "[\".cache/go-mod\"]" &&
	test "$(json_get goapp/roger.json build.cache.key)" = "[\"go.mod\", \"go.sum\"]" &&
	test "$(json_get goapp/roger.json build.exclude)" = "[\".cache/\"]" &&
	test "$(json_get goapp/roger.json marathon.cmd)" = "./bin/goapp" &&
	test_grep "^health check: .*(a .go file imports net/http)" out &&
	test_create_repo rs "printf \"[package]\nname = \\\"srv\\\"\n\n[dependencies]\naxum = \\\"0.7\\\"\n\" >Cargo.toml && touch Cargo.lock" &&
	"$ROGER" -C rs init >out &&
	test "$(json_get rs/roger.json build.command)" = "cargo build --release --locked" &&
	test "$(json_get rs/roger.json marathon.cmd)" = "./target/release/srv" &&
	test_grep "^health check: .*(Cargo.toml depends on axum)" out &&
	test_create_repo rb "echo source >Gemfile && echo run >config.ru" &&
	"$ROGER" -C rb init >out &&
	test "$(json_get rb/roger.json marathon.cmd)" = "bundle exec rackup -o 0.0.0.0 -p \$PORT0" &&
	test_grep "^build: *bundle config set --local deployment true" out &&
	test "$(json_get rb/roger.json build.cache.paths)" = "[\"vendor/bundle\"]" &&
	test "$(json_get rb/roger.json build.cache.version)" = "ruby --version && bundle --version" &&
	test_grep "^health check: .*(config.ru is a Rack web app)" out
'

test_expect_success '--app, --group and --cmd' '
	test_create_repo flags &&
	"$ROGER" -C flags init --app api --group /web/shop --cmd "./serve --port \$PORT0" >out &&
	test "$(json_get flags/roger.json app)" = api &&
	test "$(json_get flags/roger.json group)" = /web/shop &&
	test "$(json_get flags/roger.json marathon.cmd)" = "./serve --port \$PORT0" &&
	test_grep "^command: *\./serve --port \$PORT0 (--cmd)" out &&
	test_grep "^health check: .*(the command uses \$PORT)" out &&
	test_grep "^wrote flags/roger.json for app /web/shop/api$" out
'

test_expect_success 'an invalid --app or --group is refused with exit 3' '
	test_create_repo badapp &&
	test_expect_code 3 "$ROGER" -C badapp init --app My_App 2>err &&
	test_line_count 1 err &&
	test_grep "invalid app name .My_App.: segment .My_App.: .M. is not allowed" err &&
	test_expect_code 3 "$ROGER" -C badapp init --app tasks 2>err &&
	test_grep "the last segment must not be .tasks." err &&
	test_expect_code 3 "$ROGER" -C badapp init --group /a/../b 2>err &&
	test_grep "invalid group ./a/\.\./b.: segment .\.\.." err &&
	test ! -e badapp/roger.json
'

test_expect_success 'the directory name is made to fit Marathon ids' '
	test_create_repo "My Cool_App.v2" &&
	"$ROGER" -C "My Cool_App.v2" init >out &&
	test "$(json_get "My Cool_App.v2/roger.json" app)" = my-cool-app-v2 &&
	test_grep "^app: *my-cool-app-v2 (the directory name .My Cool_App.v2., made to fit" out &&
	test_create_repo tasks &&
	"$ROGER" -C tasks init >/dev/null &&
	test "$(json_get tasks/roger.json app)" = tasks-app
'

test_expect_success 'init in a subdirectory makes a monorepo app' '
	test_create_repo mono "mkdir -p apps/web/src && echo x >apps/web/src/a.js && echo \"web: ./web\" >apps/web/Procfile" &&
	(cd mono/apps/web && "$ROGER" init >../../../out) &&
	test -f mono/apps/web/roger.json &&
	test ! -e mono/roger.json &&
	test "$(json_get mono/apps/web/roger.json app)" = web &&
	test_grep -x ".roger/" mono/apps/web/.gitignore &&
	test ! -e mono/.gitignore &&
	(cd mono/apps/web/src && "$ROGER" -o json config >../../../../out.json) &&
	test "$(json_get out.json project.subdir)" = apps/web &&
	test "$(json_get out.json project.id)" = /web
'

test_expect_success 'at the root of a repository of apps, init points to them and writes nothing' '
	test_create_repo apps "
		mkdir -p vote result services/worker docs node_modules/x &&
		echo Flask >vote/requirements.txt && echo \"app.run()\" >vote/app.py &&
		echo \"{\\\"scripts\\\": {\\\"start\\\": \\\"node server.js\\\"}}\" >result/package.json &&
		echo \"web: ./worker\" >services/worker/Procfile &&
		echo \"web: ./x\" >node_modules/x/Procfile &&
		echo docs >docs/README" &&
	test_expect_code 1 "$ROGER" -C apps init >out 2>err &&
	test_line_count 0 out &&
	test_line_count 1 err &&
	test_grep "^roger: nothing to run at the top of .*apps., whose directories hold apps: result/ (npm start), services/worker/ (./worker), vote/ (python3 app.py); run .roger init. in each (roger -C DIR init), or give --cmd to deploy .*apps. as one app$" err &&
	test ! -e apps/roger.json &&
	test ! -e apps/.gitignore &&
	"$ROGER" -C apps/vote init >out &&
	test_grep "^wrote apps/vote/roger.json for app /vote$" out &&
	"$ROGER" -C apps init --cmd "./all" >out &&
	test_grep "^wrote apps/roger.json for app /apps$" out
'

test_expect_success 'a .roger/ entry in the root .gitignore covers subdirectories' '
	test_create_repo mono2 "mkdir -p apps/api && echo x >apps/api/x && printf \"node_modules/\n.roger/\n\" >.gitignore" &&
	"$ROGER" -C mono2/apps/api init >out &&
	test ! -e mono2/apps/api/.gitignore &&
	test_line_count 2 mono2/.gitignore &&
	test_grep ! "added" out
'

test_expect_success 'an existing .gitignore is appended to, keeping its mode' '
	test_create_repo gi "printf \"node_modules/\n*.log\" >.gitignore && chmod 640 .gitignore" &&
	"$ROGER" -C gi init >out &&
	printf "node_modules/\n*.log\n.roger/\n" >expect &&
	test_cmp expect gi/.gitignore &&
	test "$(stat -c %a gi/.gitignore)" = 640 &&
	ls -a gi >files &&
	test_grep ! "tmp" files
'

test_expect_success 'an anchored /.roger entry counts in the project directory' '
	test_create_repo gi2 "echo /.roger >.gitignore" &&
	"$ROGER" -C gi2 init >/dev/null &&
	test_line_count 1 gi2/.gitignore
'

test_expect_success 'init outside a git work tree fails clearly' '
	mkdir nogit &&
	test_expect_code 1 "$ROGER" -C nogit init >out 2>err &&
	test_line_count 1 err &&
	test_grep "roger: .*nogit. is not inside a git work tree; run .git init. first" err &&
	test ! -e nogit/roger.json
'

test_expect_success 'init -o json reports the decisions' '
	test_create_repo js "echo \"web: ./go\" >Procfile" &&
	"$ROGER" -C js -o json init >out.json &&
	test "$(json_get out.json id)" = /js &&
	test "$(json_get out.json detected.command.value)" = ./go &&
	test "$(json_get out.json detected.command.why)" = "the web: line of Procfile" &&
	test "$(json_get out.json detected.health_check.value)" = "HTTP GET / on \$PORT0" &&
	test "$(json_get out.json detected.build.value)" = "<absent>" &&
	test "$(json_get out.json gitignore_updated)" = true &&
	test "$(json_get out.json roger_json.marathon.cmd)" = ./go &&
	test "$(json_get out.json next)" = "git -C js add roger.json .gitignore && git -C js commit -m '"'"'Deploy with roger'"'"' && roger -C js deploy"
'

test_expect_success 'the next step init prints leaves a work tree a build accepts' '
	test_create_repo next "echo node_modules/ >.gitignore && echo \"web: ./run\" >Procfile" &&
	"$ROGER" -C next init >out &&
	test_grep "^next: git -C next add roger.json .gitignore && git -C next commit -m .Deploy with roger. && roger -C next deploy$" out &&
	test_expect_code 1 "$ROGER" -C next build >/dev/null 2>err &&
	test_grep "^roger: .roger.json. is not committed; commit it, or pass --allow-dirty" err &&
	step=$(sed -n "s/^next: //p" out) &&
	eval "${step%% && roger *}" >/dev/null &&
	"$ROGER" -C next build >out &&
	test_grep "^dirty *no$" out &&
	test -z "$(git -C next status --porcelain)"
'

test_expect_success 'init -q prints nothing' '
	test_create_repo quiet &&
	"$ROGER" -C quiet -q init >out 2>err &&
	test_line_count 0 out &&
	test_line_count 0 err &&
	test -f quiet/roger.json
'

test_expect_success 'file names that are not UTF-8 do not disturb init' '
	test_create_repo latin "echo x >\"$(printf "caf\351")\" && printf \"web: ./x\n\" >Procfile" &&
	dir=$(printf "d\351j\340") &&
	mkdir -p "latin/$dir" && echo y >"latin/$dir/$(printf "\377")" &&
	"$ROGER" -C latin init >out &&
	"$ROGER" -C latin config >/dev/null &&
	"$ROGER" -C "latin/$dir" init >out &&
	test_grep "^app: *d-j (the directory name .(not UTF-8)., made to fit" out &&
	"$ROGER" -C "latin/$dir" -o json config >out.json &&
	python3 -c "import json,sys; d=json.load(open(\"out.json\")); assert d[\"project\"][\"subdir\"] == \"d\ufffdj\ufffd\", d[\"project\"][\"subdir\"]"
'


# dockerfile DIR: a repository with a Node Dockerfile of two stages.
dockerfile() {
	test_create_repo "$1" '
		cat >Dockerfile <<-\EOF &&
		# syntax=docker/dockerfile:1
		ARG NODE=20
		FROM golang:1.22 AS tools
		RUN go install example.com/tool@latest

		FROM node:${NODE}-bookworm-slim
		WORKDIR /usr/src
		WORKDIR app
		ENV NODE_ENV=production \
		    PORT=8080 API_TOKEN=abcdef123456
		COPY package*.json ./
		RUN npm ci --omit=dev
		COPY --from=tools /go/bin/tool /usr/local/bin/
		COPY . .
		USER node
		EXPOSE 8080 9090/udp
		HEALTHCHECK CMD curl -f http://localhost:8080/ || exit 1
		CMD ["node", "server.js"]
		EOF
		echo "{\"name\": \"x\", \"scripts\": {\"start\": \"node server.js\"}}" >package.json
	'
}

test_expect_success 'a Dockerfile: the image section, and every instruction left out named' '
	dockerfile dock &&
	(cd dock && "$ROGER" init >../out 2>../err) &&
	test_line_count 0 err &&
	test "$(json_get dock/roger.json image.base)" = node:20-bookworm-slim &&
	test "$(json_get dock/roger.json image.workdir)" = /usr/src/app &&
	test "$(json_get dock/roger.json image.user)" = node &&
	test "$(json_get dock/roger.json image.env)" = "{\"NODE_ENV\": \"production\", \"PORT\": \"8080\"}" &&
	test "$(json_get dock/roger.json image.cmd)" = "[\"node\", \"server.js\"]" &&
	test "$(json_get dock/roger.json marathon.cmd)" = "<absent>" &&
	test "$(json_get dock/roger.json marathon.portDefinitions)" = "[{\"port\": 0, \"protocol\": \"tcp\", \"name\": \"port8080\"}, {\"port\": 0, \"protocol\": \"udp\", \"name\": \"port9090\"}]" &&
	test_grep "^dockerfile: *Dockerfile (found: roger builds its image without a daemon; 6 of its instructions are not honoured (below))" out &&
	test_grep "^image: *node:20-bookworm-slim (the final stage.s FROM, Dockerfile line 6)" out &&
	test_grep "^command: *node server.js (the Dockerfile.s ENTRYPOINT and CMD, which the image keeps)" out &&
	test_grep "^ports: *8080/tcp 9090/udp (EXPOSE; .* must listen on \$PORT0, \$PORT1" out &&
	test_grep "^not honoured: Dockerfile:3: FROM golang:1.22 AS tools (an earlier build stage" out &&
	test_grep "^not honoured: Dockerfile:9: ENV .*(API_TOKEN looks like a secret" out &&
	test_grep "^not honoured: Dockerfile:11: COPY package\*.json ./ (roger puts the project.s tree" out &&
	test_grep "^not honoured: Dockerfile:12: RUN npm ci --omit=dev (roger builds images without a daemon and runs no step" out &&
	test_grep "^not honoured: Dockerfile:13: COPY --from=tools" out &&
	test_grep "^not honoured: Dockerfile:17: HEALTHCHECK" out &&
	test_grep ! "COPY \. \." out &&
	test_grep ! "abcdef123456\"" dock/roger.json &&
	(cd dock && "$ROGER" config >/dev/null)
'

test_expect_success 'init -o json lists what is not honoured; --cmd still wins' '
	(cd dock && "$ROGER" -o json init --force --cmd "npm start" >../out.json) &&
	test "$(json_get out.json not_honoured.3.line)" = 12 &&
	test "$(json_get out.json not_honoured.3.instruction)" = "RUN npm ci --omit=dev" &&
	test "$(json_get out.json detected.image.value)" = node:20-bookworm-slim &&
	test "$(json_get out.json roger_json.marathon.cmd)" = "npm start"
'

test_expect_success 'a Dockerfile roger cannot use is said, not ignored' '
	test_create_repo scratch "printf \"FROM scratch\nCOPY app /app\nCMD [\\\"/app\\\"]\n\" >Dockerfile && printf \"services: {}\n\" >docker-compose.yml" &&
	(cd scratch && "$ROGER" init >../out 2>../err) &&
	test_grep "^compose: *docker-compose.yml (found, not read" out &&
	test_grep "^dockerfile: *Dockerfile (its final stage.s FROM (line 1) is scratch" out &&
	test "$(json_get scratch/roger.json image)" = "<absent>" &&
	test_create_repo broken "printf \"FROM node\nRUN <<EOF\nnever ends\n\" >Dockerfile" &&
	(cd broken && "$ROGER" init >../out 2>../err) &&
	test_grep "^dockerfile: *Dockerfile (cannot be read: Dockerfile:2: the here-document .EOF. never ends; no image section)" out &&
	test "$(json_get broken/roger.json image)" = "<absent>"
'

test_expect_success 'init rejects operands' '
	test_expect_code 2 "$ROGER" init extra 2>err &&
	test_grep "unexpected argument .extra." err
'

test_done
