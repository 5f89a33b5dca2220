# lib-nginx.sh - a real nginx with WebDAV PUT on a loopback port, for the
# tests of roger push.  Source it after lib.sh:
#
#	. "$TEST_SRCDIR/cli/lib-nginx.sh"
#	nginx_skip_reason && { test_skip ...; test_done; }
#	nginx_start			# sets NGINX_URL NGINX_DIR NGINX_LOG
#	nginx_start --tls		# also NGINX_TLS_URL and NGINX_CA
#	nginx_count METHOD PATH-PREFIX	# requests of the access log
#
# Everything lives in $TRASH/nginx: the configuration this file writes,
# the document root (www/), the pid file, the error and access logs and
# the temporary directories (nginx's defaults are under /var, which a
# test must not touch).  nginx runs in the foreground (daemon off) and is
# stopped when the script ends.  Run as root, its worker runs as root too
# ("user root"), so it can write into the trash directory.
#
# With --tls, the same locations are also served over HTTPS on another
# port ($NGINX_TLS_URL), with a certificate for 127.0.0.1 signed by a CA
# made for the run ($NGINX_CA, PEM).
#
# Locations of the server, each a store of its own:
#	/store/		PUT, with create_full_put_path (what roger needs)
#	/small/		the same with client_max_body_size 1k (HTTP 413)
#	/auth/		the same behind HTTP Basic: user "roger", password
#			"s3cret" ($NGINX_DIR/htpasswd)
#	/static/	no WebDAV at all (PUT: HTTP 405)
# The access log has one line per request: "METHOD URI STATUS LENGTH",
# LENGTH being the request's length (headers and body) as nginx read it.

NGINX=${NGINX:-$(command -v nginx || ls /usr/sbin/nginx 2>/dev/null || true)}
NGINX_PID=

# Print why nginx cannot be used here (and return 0), or return 1.
nginx_skip_reason() {
	if [ -z "$NGINX" ] || [ ! -x "$NGINX" ]; then
		echo "nginx is not installed (./install-deps installs it)"
		return 0
	fi
	if ! "$NGINX" -V 2>&1 | grep -q -- --with-http_dav_module; then
		echo "this nginx lacks the WebDAV module (http_dav_module)"
		return 0
	fi
	if ! command -v openssl >/dev/null 2>&1; then
		echo "openssl is not installed (needed for the htpasswd file)"
		return 0
	fi
	return 1
}

nginx_start() {
	NGINX_DIR=$TRASH/nginx
	mkdir -p "$NGINX_DIR/www/store" "$NGINX_DIR/www/small" \
		"$NGINX_DIR/www/auth" \
		"$NGINX_DIR/www/static" "$NGINX_DIR/tmp"
	printf 'roger:%s\n' "$(openssl passwd -apr1 s3cret)" >"$NGINX_DIR/htpasswd"
	user=
	[ "$(id -u)" = 0 ] && user='user root;'
	NGINX_PORT=$(test_free_port)
	tls=
	if [ "${1:-}" = --tls ]; then
		nginx_make_certs || return 1
		NGINX_TLS_PORT=$(test_free_port)
		tls="listen 127.0.0.1:$NGINX_TLS_PORT ssl;
		ssl_certificate $NGINX_DIR/server.pem;
		ssl_certificate_key $NGINX_DIR/server.key;"
		NGINX_TLS_URL=https://127.0.0.1:$NGINX_TLS_PORT
		export NGINX_TLS_URL NGINX_CA NGINX_TLS_PORT
	fi
	cat >"$NGINX_DIR/nginx.conf" <<EOF
$user
worker_processes 1;
daemon off;
master_process on;
pid $NGINX_DIR/nginx.pid;
error_log $NGINX_DIR/error.log info;
events { worker_connections 64; }
http {
	log_format roger '\$request_method \$request_uri \$status \$request_length';
	access_log $NGINX_DIR/access.log roger;
	client_body_temp_path $NGINX_DIR/tmp/body;
	proxy_temp_path $NGINX_DIR/tmp/proxy;
	fastcgi_temp_path $NGINX_DIR/tmp/fastcgi;
	uwsgi_temp_path $NGINX_DIR/tmp/uwsgi;
	scgi_temp_path $NGINX_DIR/tmp/scgi;
	client_max_body_size 1g;
	default_type application/octet-stream;
	server {
		listen 127.0.0.1:$NGINX_PORT;
		$tls
		root $NGINX_DIR/www;
		location /store/ {
			dav_methods PUT;
			create_full_put_path on;
			dav_access user:rw group:r all:r;
		}
		location /small/ {
			dav_methods PUT;
			create_full_put_path on;
			client_max_body_size 1k;
		}
		location /auth/ {
			dav_methods PUT;
			create_full_put_path on;
			auth_basic "roger";
			auth_basic_user_file $NGINX_DIR/htpasswd;
		}
		location /static/ {
		}
	}
}
EOF
	"$NGINX" -p "$NGINX_DIR" -e "$NGINX_DIR/error.log" \
		-c "$NGINX_DIR/nginx.conf" >"$NGINX_DIR/stdout" 2>&1 &
	NGINX_PID=$!
	test_atexit 'nginx_stop'
	NGINX_URL=http://127.0.0.1:$NGINX_PORT
	NGINX_LOG=$NGINX_DIR/access.log
	i=0
	until curl -s -o /dev/null "$NGINX_URL/"; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$NGINX_PID" 2>/dev/null; then
			echo "nginx did not start:" >&2
			cat "$NGINX_DIR/error.log" "$NGINX_DIR/stdout" >&2
			return 1
		fi
		sleep 0.1
	done
	export NGINX_URL NGINX_DIR NGINX_LOG NGINX_PORT
}

# A CA and a certificate for 127.0.0.1 signed by it, in $NGINX_DIR.
nginx_make_certs() {
	NGINX_CA=$NGINX_DIR/ca.pem
	(
		cd "$NGINX_DIR" &&
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 \
			-subj "/CN=roger test CA" -keyout ca.key -out ca.pem &&
		openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
			-keyout server.key -out server.csr &&
		printf 'subjectAltName=IP:127.0.0.1\n' >san.ext &&
		openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key \
			-CAcreateserial -days 2 -extfile san.ext -out server.pem
	) >"$NGINX_DIR/openssl.log" 2>&1 || {
		echo "cannot make the test certificates:" >&2
		cat "$NGINX_DIR/openssl.log" >&2
		return 1
	}
}

# Stop the master (SIGQUIT: graceful) and wait for it, then SIGKILL.
nginx_stop() {
	[ -n "$NGINX_PID" ] || return 0
	kill -QUIT "$NGINX_PID" 2>/dev/null || true
	i=0
	while kill -0 "$NGINX_PID" 2>/dev/null && [ $i -lt 50 ]; do
		i=$((i + 1))
		sleep 0.1
	done
	kill -KILL "$NGINX_PID" 2>/dev/null || true
	wait "$NGINX_PID" 2>/dev/null || true
	NGINX_PID=
}

# nginx_count METHOD PREFIX: requests of the access log with METHOD and a
# URI starting with PREFIX.
nginx_count() {
	awk -v m="$1" -v p="$2" '$1 == m && index($2, p) == 1 { n++ } END { print n + 0 }' "$NGINX_LOG"
}

# nginx_log_mark: remember the access log's length; nginx_since prints
# what was logged after the mark.
nginx_log_mark() {
	NGINX_MARK=$(wc -l <"$NGINX_LOG" 2>/dev/null || echo 0)
}
nginx_since() {
	sed -n "$((NGINX_MARK + 1)),\$p" "$NGINX_LOG"
}
