/*
 * check_registry.c - unit tests of the image formats (lib/oci.c), of
 * registry authentication as data (lib/registry-auth.c), and of the
 * registry client (lib/registry.c) against Debian's docker-registry
 * started by the tests (tests/registryd.py): plain, with relative
 * Locations, TLS with htpasswd, and the Bearer token flow with a token
 * server of the tests whose JWTs the real registry checks.  Faults the
 * real registry does not make (an HTML page, wrong bytes, a cut upload, a
 * redirect to another host) come from tests/faultd.py, proxying the rest
 * to the real registry.
 */
#include <config.h>

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/registry-internal.h"
#include "lib/roger.h"
#include "tests/faultd.h"
#include "tests/regd.h"

#define D0 \
	"sha256:0000000000000000000000000000000000000000000000000000000000000000"
#define D1 \
	"sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 \
	"sha256:2222222222222222222222222222222222222222222222222222222222222222"

/* ---- image references ---------------------------------------------------- */

static void ref_ok(const char *s, const char *reg, const char *repo,
		   const char *tag, const char *digest)
{
	struct roger_image_ref r;
	struct roger_err err = ROGER_ERR_INIT;

	ck_assert_msg(roger_image_ref_parse(&r, s, &err) == 0, "%s: %s", s,
		      err.msg);
	ck_assert_str_eq(r.registry, reg);
	ck_assert_str_eq(r.repository, repo);
	if (tag)
		ck_assert_str_eq(r.tag, tag);
	else
		ck_assert_ptr_null(r.tag);
	if (digest)
		ck_assert_str_eq(r.digest, digest);
	else
		ck_assert_ptr_null(r.digest);
	roger_image_ref_release(&r);
}

static void ref_bad(const char *s, const char *needle)
{
	struct roger_image_ref r;
	struct roger_err err = ROGER_ERR_INIT;

	ck_assert_int_eq(roger_image_ref_parse(&r, s, &err), ROGER_EINVALID);
	ck_assert_msg(strstr(err.msg, needle), "'%s' not in '%s'", needle,
		      err.msg);
	ck_assert_ptr_null(strchr(err.msg, '\n'));
}

START_TEST(test_registry_ref_parse)
{
	ref_ok("127.0.0.1:5000/web/hello:1", "127.0.0.1:5000", "web/hello", "1",
	       NULL);
	ref_ok("debian", "docker.io", "library/debian", "latest", NULL);
	ref_ok("debian:bookworm-slim", "docker.io", "library/debian",
	       "bookworm-slim", NULL);
	ref_ok("someone/app", "docker.io", "someone/app", "latest", NULL);
	ref_ok("index.docker.io/library/debian:12", "docker.io",
	       "library/debian", "12", NULL);
	ref_ok("localhost/x/y", "localhost", "x/y", "latest", NULL);
	ref_ok("localhost:5000/x@" D1, "localhost:5000", "x", NULL, D1);
	ref_ok("reg.example.com/a/b:t@" D2, "reg.example.com", "a/b", "t", D2);
	ref_ok("[::1]:5000/x", "[::1]:5000", "x", "latest", NULL);
	ref_ok("a__b/c-d.e--f_g", "docker.io", "a__b/c-d.e--f_g", "latest",
	       NULL);
	/* A name without a registry-looking first part stays on Docker Hub. */
	ref_ok("localhost:5000", "docker.io", "library/localhost", "5000",
	       NULL);
}
END_TEST

START_TEST(test_registry_ref_refuses)
{
	char longname[300];

	ref_bad("", "empty");
	ref_bad("ghcr.io/Owner/x", "repository name 'Owner/x'");
	ref_bad("x:", "invalid tag ''");
	ref_bad("x:.bad", "invalid tag '.bad'");
	ref_bad("x@sha256:abc", "digest 'sha256:abc'");
	ref_bad("x@md5:0123456789abcdef0123456789abcdef", "digest");
	ref_bad("a___b", "repository name");
	ref_bad("-a/b", "repository name");
	ref_bad("a-/b", "repository name");
	ref_bad("reg..example.com/x", "invalid registry 'reg..example.com'");
	ref_bad("reg.example.com:99999999/x", "invalid registry");
	ref_bad("x\001y", "x?y");
	memset(longname, 'a', 256);
	longname[256] = '\0';
	ref_bad(longname, "repository name");
	ck_assert(roger_image_tag_valid("v1.2_3-x"));
	ck_assert(!roger_image_tag_valid("-x"));
	ck_assert(roger_image_repository_valid("web/hello"));
	ck_assert(!roger_image_repository_valid("web//hello"));
	ck_assert(!roger_image_repository_valid("web/"));
}
END_TEST

START_TEST(test_registry_ref_format)
{
	struct roger_image_ref r;
	struct roger_buf b = ROGER_BUF_INIT;

	ck_assert_int_eq(roger_image_ref_parse(&r, "debian@" D1, NULL), 0);
	ck_assert_int_eq(roger_image_ref_format(&b, &r), 0);
	ck_assert_str_eq(b.buf, "docker.io/library/debian@" D1);
	ck_assert_str_eq(roger_image_ref_api_host(r.registry),
			 "registry-1.docker.io");
	ck_assert_str_eq(roger_image_ref_api_host("127.0.0.1:5000"),
			 "127.0.0.1:5000");
	roger_image_ref_release(&r);
	roger_buf_release(&b);
}
END_TEST

/* ---- auth as data -------------------------------------------------------- */

START_TEST(test_registry_challenge_parse)
{
	struct roger_registry_challenge c;
	struct roger_err err = ROGER_ERR_INIT;

	ck_assert_int_eq(
		roger_registry_challenge_parse(
			&c,
			"Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",scope=\"repository:library/debian:pull\"",
			&err),
		0);
	ck_assert_str_eq(c.scheme, "Bearer");
	ck_assert_str_eq(c.realm, "https://auth.docker.io/token");
	ck_assert_str_eq(c.service, "registry.docker.io");
	ck_assert_str_eq(c.scope, "repository:library/debian:pull");
	ck_assert_ptr_null(c.error);
	roger_registry_challenge_release(&c);

	/* The recorded mount challenge: two scopes, space-separated. */
	ck_assert_int_eq(
		roger_registry_challenge_parse(
			&c,
			"Bearer realm=\"http://127.0.0.1:1/token\",service=\"s\",scope=\"repository:web/hello:pull,push repository:web/base:pull\",error=\"invalid_token\"",
			&err),
		0);
	ck_assert_str_eq(
		c.scope,
		"repository:web/hello:pull,push repository:web/base:pull");
	ck_assert_str_eq(c.error, "invalid_token");
	roger_registry_challenge_release(&c);

	ck_assert_int_eq(roger_registry_challenge_parse(
				 &c, "Basic realm=\"roger-test\"", &err),
			 0);
	ck_assert_str_eq(c.scheme, "Basic");
	ck_assert_str_eq(c.realm, "roger-test");
	roger_registry_challenge_release(&c);

	/* Bearer wins over Basic; unquoted values and escapes. */
	ck_assert_int_eq(
		roger_registry_challenge_parse(
			&c,
			"Basic realm=\"x\", Negotiate, Bearer realm=\"a\\\"b\", service=svc",
			&err),
		0);
	ck_assert_str_eq(c.scheme, "Bearer");
	ck_assert_str_eq(c.realm, "a\"b");
	ck_assert_str_eq(c.service, "svc");
	roger_registry_challenge_release(&c);

	ck_assert_int_eq(roger_registry_challenge_parse(&c, "Negotiate", &err),
			 ROGER_EINVALID);
	ck_assert_int_eq(roger_registry_challenge_parse(
				 &c, "Bearer service=\"x\"", &err),
			 ROGER_EINVALID);
	ck_assert(strstr(err.msg, "no realm"));
	ck_assert_int_eq(roger_registry_challenge_parse(
				 &c, "Bearer realm=\"unterminated", &err),
			 ROGER_EINVALID);
	ck_assert_int_eq(roger_registry_challenge_parse(&c, "", &err),
			 ROGER_EINVALID);
}
END_TEST

START_TEST(test_registry_scope_covers)
{
	ck_assert(roger_registry_scope_covers("repository:a:pull,push",
					      "repository:a:pull"));
	ck_assert(!roger_registry_scope_covers("repository:a:pull",
					       "repository:a:pull,push"));
	ck_assert(roger_registry_scope_covers(
		"repository:a:pull,push repository:b:pull",
		"repository:a:push repository:b:pull"));
	ck_assert(!roger_registry_scope_covers(
		"repository:a:pull,push",
		"repository:a:push repository:b:pull"));
	ck_assert(roger_registry_scope_covers("repository:a:*",
					      "repository:a:delete"));
	ck_assert(!roger_registry_scope_covers("repository:a:pull",
					       "repository:b:pull"));
	ck_assert(!roger_registry_scope_covers("repository:ab:pull",
					       "repository:a:pull"));
	ck_assert(roger_registry_scope_covers(NULL, NULL));
	ck_assert(roger_registry_scope_covers("", ""));
	ck_assert(!roger_registry_scope_covers("", "repository:a:pull"));
	ck_assert(!roger_registry_scope_covers(NULL, "repository:a:pull"));
	ck_assert(roger_registry_loopback_host("127.0.0.1:5000"));
	ck_assert(roger_registry_loopback_host("localhost"));
	ck_assert(roger_registry_loopback_host("[::1]:80"));
	ck_assert(!roger_registry_loopback_host("127.example.com"));
	ck_assert(!roger_registry_loopback_host("registry.example.com"));
}
END_TEST

START_TEST(test_registry_base64)
{
	char *enc = NULL, *dec = NULL;
	size_t n = 0;

	ck_assert_int_eq(roger_registry_b64_encode(&enc, "roger:s3cret", 12),
			 0);
	ck_assert_str_eq(enc, "cm9nZXI6czNjcmV0");
	ck_assert_int_eq(roger_registry_b64_decode(&dec, &n, enc, strlen(enc)),
			 0);
	ck_assert_uint_eq(n, 12);
	ck_assert_str_eq(dec, "roger:s3cret");
	free(enc);
	free(dec);
	ck_assert_int_eq(roger_registry_b64_decode(&dec, &n, "YQ", 2), 0);
	ck_assert_str_eq(dec, "a");
	free(dec);
	ck_assert_int_eq(roger_registry_b64_decode(&dec, &n, "a*b=", 4),
			 ROGER_EINVALID);
	ck_assert_int_eq(roger_registry_b64_decode(&dec, &n, "abcde", 5),
			 ROGER_EINVALID);
}
END_TEST

static void creds_of(struct roger_registry_creds *c, const char *json,
		     const char *host)
{
	struct roger_err err = ROGER_ERR_INIT;

	ck_assert_msg(roger_registry_docker_config_creds(
			      c, json, strlen(json), "/h/.docker/config.json",
			      host, &err) == 0,
		      "%s", err.msg);
}

START_TEST(test_registry_docker_config)
{
	struct roger_registry_creds c;
	struct roger_err err = ROGER_ERR_INIT;
	const char *bad =
		"{\"auths\":{\"r.example.com\":{\"auth\":\"bm9jb2xvbg==\"}}}";

	creds_of(
		&c,
		"{\"auths\":{\"127.0.0.1:5000\":{\"auth\":\"cm9nZXI6czNjcmV0\"}}}",
		"127.0.0.1:5000");
	ck_assert_str_eq(c.user, "roger");
	ck_assert_str_eq(c.password, "s3cret");
	roger_registry_creds_release(&c);

	/* Keys with a scheme and a path count, for their host only. */
	creds_of(
		&c,
		"{\"auths\":{\"https://127.0.0.1:5000/v2/\":{\"username\":\"u\",\"password\":\"p:q\"}}}",
		"127.0.0.1:5000");
	ck_assert_str_eq(c.user, "u");
	ck_assert_str_eq(c.password, "p:q");
	roger_registry_creds_release(&c);
	creds_of(
		&c,
		"{\"auths\":{\"https://127.0.0.1:5000/v2/\":{\"username\":\"u\",\"password\":\"p\"}}}",
		"127.0.0.1:5001");
	ck_assert_ptr_null(c.user);
	ck_assert_ptr_null(c.note);
	roger_registry_creds_release(&c);

	/* Docker Hub's legacy key. */
	creds_of(
		&c,
		"{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\"aHViOnB3\"}}}",
		"docker.io");
	ck_assert_str_eq(c.user, "hub");
	ck_assert_str_eq(c.password, "pw");
	roger_registry_creds_release(&c);

	creds_of(&c,
		 "{\"auths\":{\"r.example.com\":{\"registrytoken\":\"tok\"}}}",
		 "r.example.com");
	ck_assert_str_eq(c.token, "tok");
	ck_assert_ptr_null(c.user);
	roger_registry_creds_release(&c);

	/* An identity token is not used, and said so, once however many
	 * keys name the host (the fuzzer found the second note leaking). */
	creds_of(
		&c,
		"{\"auths\":{\"registry-1.docker.io\":{\"identitytoken\":\"t\"},\"docker.io\":{\"identitytoken\":\"i\"}}}",
		"docker.io");
	ck_assert_ptr_null(c.user);
	ck_assert_ptr_nonnull(c.note);
	ck_assert(strstr(c.note, "identity token"));
	ck_assert(strstr(c.note, "'registry-1.docker.io'") ||
		  strstr(c.note, "'docker.io'"));
	ck_assert_ptr_null(strstr(c.note, "\"t\""));
	roger_registry_creds_release(&c);

	/* Credential helpers: not run, said so. */
	creds_of(
		&c,
		"{\"auths\":{\"r.example.com\":{}},\"credsStore\":\"desktop\"}",
		"r.example.com");
	ck_assert_ptr_null(c.user);
	ck_assert_ptr_nonnull(c.note);
	ck_assert(strstr(c.note, "docker-credential-desktop"));
	ck_assert(strstr(c.note, "not supported"));
	roger_registry_creds_release(&c);
	creds_of(&c, "{\"credHelpers\":{\"r.example.com\":\"ecr-login\"}}",
		 "r.example.com");
	ck_assert(strstr(c.note, "docker-credential-ecr-login"));
	ck_assert(strstr(c.note, "credHelpers"));
	roger_registry_creds_release(&c);

	/* A bad "auth" names the file and the key, never the value. */
	ck_assert_int_eq(roger_registry_docker_config_creds(
				 &c, bad, strlen(bad), "/h/c.json",
				 "r.example.com", &err),
			 ROGER_EINVALID);
	ck_assert(strstr(err.msg, "/h/c.json"));
	ck_assert(strstr(err.msg, "r.example.com"));
	ck_assert_ptr_null(strstr(err.msg, "bm9jb2xvbg"));
	ck_assert_ptr_null(strstr(err.msg, "nocolon"));
	ck_assert_int_eq(roger_registry_docker_config_creds(
				 &c, "{", 1, "/h/c.json", "x", &err),
			 ROGER_EINVALID);
	ck_assert(strstr(err.msg, "/h/c.json:1:"));
}
END_TEST

/* ---- manifests, configs, envelopes -------------------------------------- */

#define DOCKER_MANIFEST                                                                                                  \
	"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\","                   \
	"\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+json\",\"size\":340,\"digest\":\"" D0     \
	"\"},"                                                                                                           \
	"\"layers\":[{\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar.gzip\",\"size\":107,\"digest\":\"" D1 \
	"\"},"                                                                                                           \
	"{\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar.gzip\",\"size\":5,\"digest\":\"" D2               \
	"\"}]}"

static struct roger_oci_manifest *parse(const char *ct, const char *body)
{
	struct roger_oci_manifest *m = NULL;
	struct roger_err err = ROGER_ERR_INIT;

	ck_assert_msg(
		roger_oci_manifest_parse(&m, ct, body, strlen(body), &err) == 0,
		"%s", err.msg);
	return m;
}

static void parse_bad(const char *ct, const char *body, const char *needle)
{
	struct roger_oci_manifest *m = NULL;
	struct roger_err err = ROGER_ERR_INIT;

	ck_assert_int_eq(
		roger_oci_manifest_parse(&m, ct, body, strlen(body), &err),
		ROGER_EINVALID);
	ck_assert_ptr_null(m);
	ck_assert_msg(strstr(err.msg, needle), "'%s' not in '%s'", needle,
		      err.msg);
}

START_TEST(test_registry_manifest_parse)
{
	struct roger_oci_manifest *m;

	m = parse(ROGER_MT_DOCKER_MANIFEST "; charset=utf-8", DOCKER_MANIFEST);
	ck_assert_int_eq(m->kind, ROGER_OCI_IMAGE);
	ck_assert_str_eq(m->media_type, ROGER_MT_DOCKER_MANIFEST);
	ck_assert_str_eq(m->config.digest, D0);
	ck_assert_int_eq(m->config.size, 340);
	ck_assert_uint_eq(m->n_layers, 2);
	ck_assert_str_eq(m->layers[1].digest, D2);
	ck_assert_int_eq(m->layers[1].size, 5);
	roger_oci_manifest_free(m);

	/* OCI without mediaType: told apart by its members. */
	m = parse(
		NULL,
		"{\"schemaVersion\":2,\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"size\":1,\"digest\":\"" D0
		"\"},\"layers\":[]}");
	ck_assert_str_eq(m->media_type, ROGER_MT_OCI_MANIFEST);
	ck_assert_uint_eq(m->n_layers, 0);
	roger_oci_manifest_free(m);

	m = parse(
		"application/vnd.docker.distribution.manifest.list.v2+json",
		"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.list.v2+json\",\"manifests\":["
		"{\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\",\"size\":7,\"digest\":\"" D1
		"\",\"platform\":{\"architecture\":\"arm\",\"os\":\"linux\",\"variant\":\"v7\"}},"
		"{\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\",\"size\":7,\"digest\":\"" D2
		"\",\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}},"
		"{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"size\":7,\"digest\":\"" D0
		"\"}]}");
	ck_assert_int_eq(m->kind, ROGER_OCI_INDEX);
	ck_assert_uint_eq(m->n_manifests, 3);
	ck_assert_str_eq(m->manifests[0].variant, "v7");
	ck_assert_ptr_null(m->manifests[2].os);
	roger_oci_manifest_free(m);

	m = parse("application/json", "{\"schemaVersion\":2,\"manifests\":[]}");
	ck_assert_str_eq(m->media_type, ROGER_MT_OCI_INDEX);
	roger_oci_manifest_free(m);
}
END_TEST

START_TEST(test_registry_manifest_refuses)
{
	parse_bad(NULL, "{\"schemaVersion\":1,\"name\":\"x\",\"fsLayers\":[]}",
		  "schema 1");
	parse_bad(ROGER_MT_DOCKER_SCHEMA1_SIGNED, "{}", "schema 1");
	parse_bad(ROGER_MT_OCI_MANIFEST, DOCKER_MANIFEST, "served as");
	parse_bad(NULL, "{\"schemaVersion\":2,\"mediaType\":\"text/x\"}",
		  "unsupported manifest media type 'text/x'");
	parse_bad(NULL, "[1]", "not a JSON object");
	parse_bad(NULL, "{\"schemaVersion\":2,", "invalid JSON");
	parse_bad(NULL, "{\"schemaVersion\":2,\"schemaVersion\":2}",
		  "invalid JSON");
	parse_bad(NULL, "{\"schemaVersion\":3}", "schemaVersion");
	parse_bad(NULL, "{\"schemaVersion\":2}", "neither");
	parse_bad(
		NULL,
		"{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\",\"size\":1,\"digest\":\"sha256:abc\"},\"layers\":[]}",
		"config: digest");
	parse_bad(
		NULL,
		"{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\",\"size\":-1,\"digest\":\"" D0
		"\"},\"layers\":[]}",
		"config: size");
	parse_bad(
		NULL,
		"{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\",\"size\":1,\"digest\":\"" D0
		"\"}}",
		"'layers' is not an array");
	parse_bad(
		NULL,
		"{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\",\"size\":1,\"digest\":\"" D0
		"\"},\"layers\":[7]}",
		"layers[0] is not an object");
	parse_bad(
		NULL,
		"{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"x\",\"size\":1,\"digest\":\"" D0
		"\",\"platform\":{\"os\":1}}]}",
		"platform");
}
END_TEST

START_TEST(test_registry_index_select)
{
	struct roger_oci_manifest *m;
	const struct roger_oci_desc *d;
	struct roger_err err = ROGER_ERR_INIT;

	m = parse(
		NULL,
		"{\"schemaVersion\":2,\"manifests\":["
		"{\"mediaType\":\"m\",\"size\":1,\"digest\":\"" D0 "\"},"
		"{\"mediaType\":\"m\",\"size\":1,\"digest\":\"" D1
		"\",\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\",\"variant\":\"v8\"}},"
		"{\"mediaType\":\"m\",\"size\":1,\"digest\":\"" D2
		"\",\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}}]}");
	ck_assert_int_eq(
		roger_oci_index_select(&d, m, "linux", "amd64", NULL, &err), 0);
	ck_assert_str_eq(d->digest, D2);
	ck_assert_int_eq(
		roger_oci_index_select(&d, m, "linux", "arm64", NULL, &err), 0);
	ck_assert_str_eq(d->digest, D1);
	ck_assert_int_eq(
		roger_oci_index_select(&d, m, "linux", "arm64", "v8", &err), 0);
	ck_assert_str_eq(d->digest, D1);
	ck_assert_int_eq(
		roger_oci_index_select(&d, m, "linux", "arm64", "v7", &err),
		ROGER_ENOTFOUND);
	ck_assert_int_eq(
		roger_oci_index_select(&d, m, "linux", "s390x", NULL, &err),
		ROGER_ENOTFOUND);
	ck_assert_str_eq(
		err.msg,
		"no image for platform linux/s390x in the index (it has: linux/arm64/v8, linux/amd64)");
	roger_oci_manifest_free(m);
}
END_TEST

#define BASE_CONFIG                                                                              \
	"{\"architecture\":\"amd64\",\"os\":\"linux\",\"foo\":{\"kept\":true},"                  \
	"\"config\":{\"Env\":[\"PATH=/bin\",\"LANG=C\"],\"Cmd\":[\"sh\"],\"WorkingDir\":\"/\"}," \
	"\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" D1 "\",\"" D2                         \
	"\"]},"                                                                                  \
	"\"history\":[{\"created_by\":\"ENV LANG=C\",\"empty_layer\":true},{\"created_by\":\"ADD x\"}]}"

static void config_bad(const char *body, size_t n_layers, const char *needle)
{
	struct roger_err err = ROGER_ERR_INIT;
	json_t *c = NULL;

	ck_assert_int_eq(
		roger_oci_config_parse(&c, body, strlen(body), n_layers, &err),
		ROGER_EINVALID);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err.msg, needle), "'%s' not in '%s'", needle,
		      err.msg);
}

START_TEST(test_registry_config_parse)
{
	struct roger_err err = ROGER_ERR_INIT;
	json_t *c = NULL;

	ck_assert_int_eq(roger_oci_config_parse(&c, BASE_CONFIG,
						strlen(BASE_CONFIG), 2, &err),
			 0);
	json_decref(c);
	config_bad(BASE_CONFIG, 3, "2 entries for 3 layers");
	config_bad("{\"os\":\"linux\"}", 0, "'architecture' and 'os'");
	config_bad(
		"{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"x\",\"diff_ids\":[]}}",
		0, "rootfs.type");
	config_bad(
		"{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"x\"]}}",
		1, "diff_ids[0]");
	config_bad(
		"{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":[1]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}",
		0, "config.Env");
	config_bad(
		"{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},\"history\":[{}]}",
		0, "1 layer entries for 0 layers");
	config_bad(
		"{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},\"history\":[1]}",
		0, "history[0]");
}
END_TEST

START_TEST(test_registry_config_derive)
{
	static const char *const env[] = { "LANG=C.UTF-8", "A=1",
					   "ROGER_COMMIT=abc", NULL };
	static const char *const ep[] = { "/app/run", NULL };
	struct roger_oci_config_change ch = { 0 };
	struct roger_buf b = ROGER_BUF_INIT;
	struct roger_err err = ROGER_ERR_INIT;
	json_t *base = NULL, *d = NULL;

	ck_assert_int_eq(roger_oci_config_parse(&base, BASE_CONFIG,
						strlen(BASE_CONFIG), 2, NULL),
			 0);
	/* One history entry for two layers: one is added for the other. */
	ch.workdir = "/app";
	ch.user = "1000";
	ch.env = env;
	ch.diff_id = D0;
	ch.created = "1970-01-01T00:00:00Z";
	ch.created_by = "roger build";
	ck_assert_int_eq(roger_oci_config_derive(&d, base, 2, &ch, &err), 0);
	ck_assert_int_eq(roger_oci_json_dump(&b, d), 0);
	ck_assert_str_eq(
		b.buf,
		"{\"architecture\":\"amd64\",\"config\":{\"Cmd\":[\"sh\"],\"Env\":[\"PATH=/bin\",\"LANG=C.UTF-8\",\"A=1\",\"ROGER_COMMIT=abc\"],\"User\":\"1000\",\"WorkingDir\":\"/app\"},"
		"\"created\":\"1970-01-01T00:00:00Z\",\"foo\":{\"kept\":true},"
		"\"history\":[{\"created_by\":\"ENV LANG=C\",\"empty_layer\":true},{\"created_by\":\"ADD x\"},"
		"{\"comment\":\"a layer of the base image, whose config had no history entry for it\",\"created\":\"1970-01-01T00:00:00Z\"},"
		"{\"created\":\"1970-01-01T00:00:00Z\",\"created_by\":\"roger build\"}],"
		"\"os\":\"linux\",\"rootfs\":{\"diff_ids\":[\"" D1 "\",\"" D2
		"\",\"" D0 "\"],\"type\":\"layers\"}}");
	json_decref(d);
	roger_buf_reset(&b);

	/* A new entrypoint drops the base's Cmd, as a Dockerfile does. */
	ch.entrypoint = ep;
	ck_assert_int_eq(roger_oci_config_derive(&d, base, 2, &ch, &err), 0);
	ck_assert(json_is_null(
		json_object_get(json_object_get(d, "config"), "Cmd")));
	json_decref(d);

	ch.env = (const char *const[]){ "=x", NULL };
	ck_assert_int_eq(roger_oci_config_derive(&d, base, 2, &ch, &err),
			 ROGER_EINVALID);
	ck_assert(strstr(err.msg, "'=x'"));
	json_decref(base);
	roger_buf_release(&b);
}
END_TEST

START_TEST(test_registry_manifest_docker)
{
	struct roger_oci_desc config = {
		(char *)ROGER_MT_DOCKER_CONFIG, D0, 3, NULL, NULL, NULL
	};
	struct roger_oci_desc layers[2] = {
		{ (char *)ROGER_MT_OCI_LAYER_GZIP, D1, 10, NULL, NULL, NULL },
		{ (char *)ROGER_MT_DOCKER_LAYER, D2, 20, NULL, NULL, NULL },
	};
	struct roger_buf b = ROGER_BUF_INIT;
	struct roger_err err = ROGER_ERR_INIT;
	json_t *m = NULL;

	ck_assert_int_eq(
		roger_oci_manifest_docker(&m, &config, layers, 2, &err), 0);
	ck_assert_int_eq(roger_oci_json_dump(&b, m), 0);
	ck_assert_str_eq(
		b.buf,
		"{\"config\":{\"digest\":\"" D0
		"\",\"mediaType\":\"application/vnd.docker.container.image.v1+json\",\"size\":3},"
		"\"layers\":[{\"digest\":\"" D1
		"\",\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar.gzip\",\"size\":10},"
		"{\"digest\":\"" D2
		"\",\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar.gzip\",\"size\":20}],"
		"\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\",\"schemaVersion\":2}");
	json_decref(m);
	layers[0].media_type = (char *)ROGER_MT_OCI_LAYER;
	ck_assert_int_eq(
		roger_oci_manifest_docker(&m, &config, layers, 2, &err),
		ROGER_EINVALID);
	ck_assert(strstr(err.msg, "not a gzip tar"));
	roger_buf_release(&b);
}
END_TEST

START_TEST(test_registry_json_dump)
{
	struct roger_buf b = ROGER_BUF_INIT;
	json_t *j = json_pack("{s:i,s:s,s:[s]}", "b", 1, "a", "\xc3\xa9/x", "c",
			      "\"q\"");

	ck_assert_int_eq(roger_oci_json_dump(&b, j), 0);
	ck_assert_str_eq(
		b.buf, "{\"a\":\"\xc3\xa9/x\",\"b\":1,\"c\":[\"\\\"q\\\"\"]}");
	json_decref(j);
	roger_buf_release(&b);
}
END_TEST

static const char *summary(const char *body, size_t max, char *code)
{
	static struct roger_buf b = ROGER_BUF_INIT;

	roger_buf_reset(&b);
	ck_assert_int_eq(
		roger_oci_error_summary(&b, code, 48, body, strlen(body), max),
		1);
	return b.buf;
}

START_TEST(test_registry_error_summary)
{
	struct roger_buf b = ROGER_BUF_INIT;
	char code[48];

	ck_assert_str_eq(
		summary("{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\",\"detail\":{\"Tag\":\"nope\"}}]}",
			400, code),
		"MANIFEST_UNKNOWN: manifest unknown ({\"Tag\":\"nope\"})");
	ck_assert_str_eq(code, "MANIFEST_UNKNOWN");
	ck_assert_str_eq(
		summary("{\"errors\":[{\"code\":\"MANIFEST_BLOB_UNKNOWN\",\"message\":\"blob unknown to registry\",\"detail\":\"" D1
			"\"},"
			"{\"code\":\"MANIFEST_BLOB_UNKNOWN\",\"message\":\"blob unknown to registry\",\"detail\":\"" D2
			"\"}]}",
			400, code),
		"MANIFEST_BLOB_UNKNOWN: blob unknown to registry (" D1
		"); MANIFEST_BLOB_UNKNOWN: blob unknown to registry (" D2 ")");
	ck_assert_str_eq(
		summary("{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\",\"detail\":null}]}",
			400, code),
		"UNAUTHORIZED: authentication required");
	ck_assert_str_eq(
		summary("{\"errors\":[{\"code\":\"DIGEST_INVALID\",\"message\":\"provided digest did not match uploaded content\",\"detail\":{}}]}",
			20, code),
		"DIGEST_INVALID: prov...");
	ck_assert_str_eq(
		summary("{\"errors\":[{\"message\":\"a\\nb\"}]}", 400, code),
		"UNKNOWN: a b");
	ck_assert_int_eq(roger_oci_error_summary(&b, code, sizeof(code),
						 "404 page not found", 18, 100),
			 0);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_str_eq(code, "");
	ck_assert_int_eq(roger_oci_error_summary(&b, code, sizeof(code),
						 "{\"errors\":[]}", 13, 100),
			 0);
	roger_buf_release(&b);
}
END_TEST

/* ---- against the real registry ------------------------------------------- */

static struct regd reg;
static struct roger_ctx *ctx;
static char tmp[1024];

static void live_setup_with(const char *args)
{
	regd_start(&reg, args);
}

static void live_plain(void)
{
	live_setup_with("");
}

static void live_relative(void)
{
	live_setup_with("--relative-urls");
}

static void live_basic_tls(void)
{
	live_setup_with("--auth basic --tls");
}

static void live_token(void)
{
	live_setup_with("--auth token --tls");
}

static void live_teardown(void)
{
	regd_stop(&reg);
}

static void each_setup(void)
{
	snprintf(tmp, sizeof(tmp), "%s/t.XXXXXX", faultd_tmp_dir());
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	ck_assert_int_eq(roger_ctx_new(&ctx, NULL), 0);
}

static void each_teardown(void)
{
	roger_fs_remove_tree(tmp, NULL);
	roger_ctx_free(ctx);
}

static struct roger_registry *client_for(const char *url, const char *ca,
					 const struct roger_registry_auth *a,
					 size_t chunk)
{
	struct roger_registry_opts o = { 0 };
	struct roger_registry *r = NULL;
	struct roger_err err = ROGER_ERR_INIT;

	o.url = url;
	o.auth = a;
	o.auth_source = "the test";
	o.ca_file = ca && *ca ? ca : NULL;
	o.chunk_size = chunk;
	o.backoff_base_ms = 10;
	o.backoff_max_ms = 20;
	o.max_retries = 3;
	ck_assert_msg(roger_registry_new(&r, ctx, &o, &err) == 0, "%s",
		      err.msg);
	return r;
}

static struct roger_registry *client(const struct roger_registry_auth *a,
				     size_t chunk)
{
	return client_for(reg.url, reg.ca, a, chunk);
}

/* `n` bytes that are not all alike, and their digest. */
static char *blob(size_t n, unsigned seed, char *digest)
{
	char *b = malloc(n ? n : 1);

	ck_assert_ptr_nonnull(b);
	for (size_t i = 0; i < n; i++)
		b[i] = (char)('a' + (i * 7 + i / 26 + seed) % 26);
	roger_digest_of(digest, b, n);
	return b;
}

static void upload(struct roger_registry *r, const char *repo, const char *data,
		   size_t n, const char *digest)
{
	struct roger_err err = ROGER_ERR_INIT;

	ck_assert_msg(roger_registry_blob_upload(r, repo, digest, (int64_t)n,
						 NULL, data, &err) == 0,
		      "%s", err.msg);
}

static bool same_file_as(const char *path, const char *data, size_t n)
{
	struct roger_buf b = ROGER_BUF_INIT;
	bool same;

	if (roger_fs_read_file(&b, path, NULL) < 0)
		return false;
	same = b.len == n && !memcmp(b.buf, data, n);
	roger_buf_release(&b);
	return same;
}

/* Files in the test directory (no temporary file may be left). */
static size_t files_in(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

START_TEST(test_registry_live_blobs_monolithic)
{
	struct roger_registry *r = client(NULL, 1 << 20);
	struct roger_err err = ROGER_ERR_INIT;
	char digest[ROGER_DIGEST_SIZE], path[1100];
	char *data = blob(100000, 1, digest);
	size_t mark;
	bool there = true;
	int64_t size = 0;

	ck_assert_int_eq(roger_registry_ping(r, &err), 0);
	ck_assert_int_eq(roger_registry_blob_head(&there, &size, r, "t/mono",
						  digest, &err),
			 0);
	ck_assert(!there);
	mark = regd_lines(&reg);
	upload(r, "t/mono", data, 100000, digest);
	ck_assert_uint_eq(
		regd_count(&reg, mark, "POST", "/v2/t/mono/blobs/uploads/"), 1);
	ck_assert_uint_eq(
		regd_count(&reg, mark, "PUT", "/v2/t/mono/blobs/uploads/"), 1);
	ck_assert_uint_eq(regd_count(&reg, mark, "PATCH", "/"), 0);
	ck_assert_int_eq(roger_registry_blob_head(&there, &size, r, "t/mono",
						  digest, &err),
			 0);
	ck_assert(there);
	ck_assert_int_eq(size, 100000);
	snprintf(path, sizeof(path), "%s/blob", tmp);
	ck_assert_msg(roger_registry_blob_fetch(r, "t/mono", digest, 100000,
						path, &err) == 0,
		      "%s", err.msg);
	ck_assert(same_file_as(path, data, 100000));
	ck_assert_uint_eq(files_in(tmp), 1);
	/* A blob the repository does not have. */
	snprintf(path, sizeof(path), "%s/missing", tmp);
	ck_assert_int_eq(
		roger_registry_blob_fetch(r, "t/mono", D1, -1, path, &err),
		ROGER_ENOTFOUND);
	ck_assert_msg(strstr(err.msg, "BLOB_UNKNOWN"), "%s", err.msg);
	ck_assert(!roger_fs_exists(path));
	ck_assert_uint_eq(files_in(tmp), 1);
	free(data);
	roger_registry_free(r);
}
END_TEST

/* PATCH chunks, each to the latest Location, then the rest with the PUT. */
static void chunked(void)
{
	struct roger_registry *r = client(NULL, 10000);
	struct roger_err err = ROGER_ERR_INIT;
	char digest[ROGER_DIGEST_SIZE], path[1100];
	char *data = blob(35000, 2, digest);
	size_t mark = regd_lines(&reg);
	bool there = false;

	upload(r, "t/chunked", data, 35000, digest);
	ck_assert_uint_eq(
		regd_count(&reg, mark, "POST", "/v2/t/chunked/blobs/uploads/"),
		1);
	ck_assert_msg(regd_count(&reg, mark, "PATCH",
				 "/v2/t/chunked/blobs/uploads/") == 3,
		      "%s", regd_log_since(&reg, mark));
	ck_assert_uint_eq(
		regd_count(&reg, mark, "PUT", "/v2/t/chunked/blobs/uploads/"),
		1);
	ck_assert_int_eq(roger_registry_blob_head(&there, NULL, r, "t/chunked",
						  digest, &err),
			 0);
	ck_assert(there);
	snprintf(path, sizeof(path), "%s/blob", tmp);
	ck_assert_int_eq(roger_registry_blob_fetch(r, "t/chunked", digest, -1,
						   path, &err),
			 0);
	ck_assert(same_file_as(path, data, 35000));
	free(data);
	roger_registry_free(r);
}

START_TEST(test_registry_live_blobs_chunked)
{
	chunked();
}
END_TEST

START_TEST(test_registry_live_relative_locations)
{
	chunked();
}
END_TEST

/* A config and a layer in `repo`, and a manifest naming them (bytes out). */
static char *push_image(struct roger_registry *r, const char *repo,
			const char *tag, char *mdigest)
{
	char cdigest[ROGER_DIGEST_SIZE], ldigest[ROGER_DIGEST_SIZE];
	char *layer = blob(1000, 3, ldigest), *m;
	struct roger_err err = ROGER_ERR_INIT;
	char config[512];

	snprintf(
		config, sizeof(config),
		"{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\"]},\"history\":[{}]}",
		ldigest);
	roger_digest_of(cdigest, config, strlen(config));
	upload(r, repo, config, strlen(config), cdigest);
	upload(r, repo, layer, 1000, ldigest);
	ck_assert(
		asprintf(
			&m,
			"{\"schemaVersion\":2,\"mediaType\":\"" ROGER_MT_DOCKER_MANIFEST
			"\","
			"\"config\":{\"mediaType\":\"" ROGER_MT_DOCKER_CONFIG
			"\",\"size\":%zu,\"digest\":\"%s\"},"
			"\"layers\":[{\"mediaType\":\"" ROGER_MT_DOCKER_LAYER
			"\",\"size\":1000,\"digest\":\"%s\"}]}",
			strlen(config), cdigest, ldigest) > 0);
	roger_digest_of(mdigest, m, strlen(m));
	ck_assert_msg(roger_registry_manifest_put(r, repo, mdigest,
						  ROGER_MT_DOCKER_MANIFEST, m,
						  strlen(m), &err) == 0,
		      "%s", err.msg);
	ck_assert_msg(roger_registry_manifest_put(r, repo, tag,
						  ROGER_MT_DOCKER_MANIFEST, m,
						  strlen(m), &err) == 0,
		      "%s", err.msg);
	free(layer);
	return m;
}

START_TEST(test_registry_live_manifests)
{
	struct roger_registry *r = client(NULL, 0);
	struct roger_buf body = ROGER_BUF_INIT;
	struct roger_err err = ROGER_ERR_INIT;
	char md[ROGER_DIGEST_SIZE], got[ROGER_DIGEST_SIZE];
	char *type = NULL, *m = push_image(r, "t/man", "v1", md);
	bool exists = false;

	ck_assert_int_eq(roger_registry_manifest_get(&body, &type, got, r,
						     "t/man", "v1", &err),
			 0);
	ck_assert_str_eq(type, ROGER_MT_DOCKER_MANIFEST);
	ck_assert_str_eq(got, md);
	ck_assert_str_eq(body.buf, m);
	free(type);
	roger_buf_reset(&body);
	ck_assert_int_eq(roger_registry_manifest_get(&body, &type, got, r,
						     "t/man", md, &err),
			 0);
	ck_assert_str_eq(got, md);
	free(type);
	ck_assert_int_eq(roger_registry_manifest_head(&exists, got, r, "t/man",
						      "v1", &err),
			 0);
	ck_assert(exists);
	ck_assert_str_eq(got, md);
	ck_assert_int_eq(roger_registry_manifest_head(&exists, got, r, "t/man",
						      "nope", &err),
			 0);
	ck_assert(!exists);
	ck_assert_int_eq(roger_registry_manifest_get(&body, &type, got, r,
						     "t/man", "nope", &err),
			 ROGER_ENOTFOUND);
	ck_assert_msg(strstr(err.msg,
			     "cannot get manifest 't/man:nope' at registry '"),
		      "%s", err.msg);
	ck_assert_msg(
		strstr(err.msg,
		       "MANIFEST_UNKNOWN: manifest unknown ({\"Tag\":\"nope\"})"),
		"%s", err.msg);
	ck_assert_int_eq(err.http_status, 404);
	/* An invalid name: no route, a plain-text 404. */
	ck_assert_int_eq(roger_registry_manifest_get(&body, &type, got, r,
						     "T/Man", "v1", &err),
			 ROGER_ENOTFOUND);
	ck_assert_msg(strstr(err.msg, "404 page not found"), "%s", err.msg);
	/* A manifest whose blobs the repository lacks: one error per blob. */
	ck_assert_int_eq(roger_registry_manifest_put(r, "t/other", "v1",
						     ROGER_MT_DOCKER_MANIFEST,
						     m, strlen(m), &err),
			 ROGER_EHTTP);
	ck_assert_msg(strstr(err.msg, "MANIFEST_BLOB_UNKNOWN"), "%s", err.msg);
	free(m);
	roger_buf_release(&body);
	roger_registry_free(r);
}
END_TEST

START_TEST(test_registry_live_mount)
{
	struct roger_registry *r = client(NULL, 0);
	struct roger_err err = ROGER_ERR_INIT;
	char digest[ROGER_DIGEST_SIZE], other[ROGER_DIGEST_SIZE];
	char *data = blob(5000, 4, digest), *data2 = blob(10, 5, other);
	bool mounted = false, there = false;
	size_t mark;

	upload(r, "t/from", data, 5000, digest);
	mark = regd_lines(&reg);
	ck_assert_int_eq(roger_registry_blob_mount(&mounted, r, "t/to", digest,
						   "t/from", &err),
			 0);
	ck_assert(mounted);
	ck_assert_uint_eq(regd_count(&reg, mark, "POST",
				     "/v2/t/to/blobs/uploads/?mount=sha256"),
			  1);
	ck_assert_int_eq(
		roger_registry_blob_head(&there, NULL, r, "t/to", digest, &err),
		0);
	ck_assert(there);
	/* Not in `from`: the registry opens a session, which is cancelled. */
	mark = regd_lines(&reg);
	ck_assert_int_eq(roger_registry_blob_mount(&mounted, r, "t/to", other,
						   "t/from", &err),
			 0);
	ck_assert(!mounted);
	ck_assert_uint_eq(
		regd_count(&reg, mark, "DELETE", "/v2/t/to/blobs/uploads/"), 1);
	free(data);
	free(data2);
	roger_registry_free(r);
}
END_TEST

/* ---- auth against the real registry ------------------------------------- */

START_TEST(test_registry_live_basic)
{
	struct roger_registry_auth good = { "roger", "s3cret", NULL };
	struct roger_registry_auth bad = { "roger", "wrong-pass", NULL };
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_registry *r = client(&good, 0);
	char digest[ROGER_DIGEST_SIZE];
	char *data = blob(3000, 6, digest);

	ck_assert_msg(roger_registry_ping(r, &err) == 0, "%s", err.msg);
	upload(r, "t/basic", data, 3000, digest);
	roger_registry_free(r);

	r = client(&bad, 0);
	ck_assert_int_eq(roger_registry_ping(r, &err), ROGER_EAUTH);
	ck_assert_int_eq(roger_exit_status(err.code), 4);
	ck_assert_msg(
		strstr(err.msg,
		       "authentication refused (HTTP 401 Unauthorized: UNAUTHORIZED: authentication required); check the password of user 'roger' (from the test)"),
		"%s", err.msg);
	ck_assert_ptr_null(strstr(err.msg, "wrong-pass"));
	roger_registry_free(r);

	r = client(NULL, 0);
	ck_assert_int_eq(roger_registry_blob_upload(r, "t/basic", digest, 3000,
						    NULL, data, &err),
			 ROGER_EAUTH);
	ck_assert_msg(strstr(err.msg, "roger has no credentials"), "%s",
		      err.msg);
	roger_registry_free(r);

	/* Without the run's CA, the certificate is refused. */
	r = client_for(reg.url, NULL, &good, 0);
	ck_assert_int_eq(roger_registry_ping(r, &err), ROGER_ENET);
	ck_assert_msg(strstr(err.msg, "certificate"), "%s", err.msg);
	roger_registry_free(r);
	free(data);
}
END_TEST

START_TEST(test_registry_refuses_secrets_over_http)
{
	struct roger_registry_auth a = { "u", "p", NULL };
	struct roger_registry_opts o = { 0 };
	struct roger_registry *r = NULL;
	struct roger_err err = ROGER_ERR_INIT;

	o.url = "http://registry.example.com";
	o.auth = &a;
	ck_assert_int_eq(roger_registry_new(&r, ctx, &o, &err), ROGER_EINVALID);
	ck_assert(strstr(err.msg, "over plain http"));
	o.url = "http://localhost:5000";
	ck_assert_int_eq(roger_registry_new(&r, ctx, &o, &err), 0);
	roger_registry_free(r);
	o.url = "ftp://x";
	ck_assert_int_eq(roger_registry_new(&r, ctx, &o, &err), ROGER_EINVALID);
}
END_TEST

START_TEST(test_registry_live_token)
{
	struct roger_registry_auth good = { "roger", "s3cret", NULL };
	struct roger_registry_auth bad = { "roger", "nope", NULL };
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_registry *r = client(&good, 0);
	char md[ROGER_DIGEST_SIZE], got[ROGER_DIGEST_SIZE];
	char digest[ROGER_DIGEST_SIZE];
	char *m, *data = blob(2000, 7, digest);
	size_t tokens;
	bool exists = false, mounted = false;

	ck_assert_msg(roger_registry_ping(r, &err) == 0, "%s", err.msg);
	/* One token for the ping, one for pushing to t/tok. */
	m = push_image(r, "t/tok", "v1", md);
	tokens = regd_token_requests(&reg);
	ck_assert_uint_eq(tokens, 2);
	/* Pulling from t/tok: the push token covers it, no new one. */
	ck_assert_int_eq(roger_registry_manifest_head(&exists, got, r, "t/tok",
						      "v1", &err),
			 0);
	ck_assert(exists);
	ck_assert_uint_eq(regd_token_requests(&reg), tokens);
	/* A mount needs both repositories: a token for two scopes. */
	upload(r, "t/tok", data, 2000, digest);
	ck_assert_uint_eq(regd_token_requests(&reg), tokens);
	ck_assert_int_eq(roger_registry_blob_mount(&mounted, r, "t/tok2",
						   digest, "t/tok", &err),
			 0);
	ck_assert(mounted);
	ck_assert_uint_eq(regd_token_requests(&reg), tokens + 1);
	roger_registry_free(r);

	/* The token server refuses a wrong password. */
	r = client(&bad, 0);
	ck_assert_int_eq(roger_registry_ping(r, &err), ROGER_EAUTH);
	ck_assert_msg(strstr(err.msg, "get a token from 'http://127.0.0.1:"),
		      "%s", err.msg);
	ck_assert_ptr_null(strstr(err.msg, "nope"));
	roger_registry_free(r);

	/* Anonymous: a token without push access, then a refusal. */
	r = client(NULL, 0);
	ck_assert_int_eq(roger_registry_blob_upload(r, "t/tok", digest, 2000,
						    NULL, data, &err),
			 ROGER_EAUTH);
	ck_assert_msg(strstr(err.msg, "UNAUTHORIZED"), "%s", err.msg);
	roger_registry_free(r);
	free(m);
	free(data);
}
END_TEST

/* ---- faults the real registry does not make ----------------------------- */

START_TEST(test_registry_html_answer)
{
	struct faultd f;
	struct roger_registry *r;
	struct roger_err err = ROGER_ERR_INIT;

	faultd_start(
		&f,
		"[{'match': '*', 'times': 0, 'status': 200, 'headers': {'Content-Type': 'text/html'}, "
		"'body': '<html><head><title>Corporate login</title></head><body>x</body></html>'}]");
	r = client_for(f.url, NULL, NULL, 0);
	ck_assert_int_eq(roger_registry_ping(r, &err), ROGER_EHTTP);
	ck_assert_msg(
		strstr(err.msg,
		       "it answered with an HTML page (HTTP 200 OK: Corporate login), not the registry API; check the registry's URL"),
		"%s", err.msg);
	ck_assert_int_eq(
		roger_registry_manifest_head(&(bool){ false },
					     (char[ROGER_DIGEST_SIZE]){ 0 }, r,
					     "a/b", "v1", &err),
		ROGER_EHTTP);
	ck_assert_msg(
		strstr(err.msg, "cannot check manifest 'a/b:v1' at registry"),
		"%s", err.msg);
	ck_assert(strstr(err.msg, "HTML page"));
	roger_registry_free(r);
	faultd_stop(&f);
}
END_TEST

START_TEST(test_registry_digest_mismatch_keeps_nothing)
{
	struct roger_registry *direct = client(NULL, 0), *r;
	struct roger_err err = ROGER_ERR_INIT;
	char digest[ROGER_DIGEST_SIZE], path[1100], script[1024];
	char *data = blob(4000, 8, digest);
	struct faultd f;

	upload(direct, "t/mis", data, 4000, digest);
	snprintf(
		script, sizeof(script),
		"[{'match': 'GET /v2/t/mis/blobs/*', 'times': 0, 'body': 'not the blob'},"
		" {'match': '*', 'times': 0, 'proxy': '%s'}]",
		reg.url);
	faultd_start(&f, script);
	r = client_for(f.url, NULL, NULL, 0);
	snprintf(path, sizeof(path), "%s/blob", tmp);
	ck_assert_int_eq(
		roger_registry_blob_fetch(r, "t/mis", digest, -1, path, &err),
		ROGER_EHTTP);
	ck_assert_msg(
		strstr(err.msg,
		       "does not match its digest (12 bytes hashing to 'sha256:"),
		"%s", err.msg);
	ck_assert(strstr(err.msg, "nothing was kept"));
	ck_assert(!roger_fs_exists(path));
	ck_assert_uint_eq(files_in(tmp), 0);
	/* A size that disagrees stops the download as soon as it shows. */
	ck_assert_int_eq(
		roger_registry_blob_fetch(r, "t/mis", digest, 5, path, &err),
		ROGER_EHTTP);
	ck_assert_uint_eq(files_in(tmp), 0);
	free(data);
	roger_registry_free(r);
	roger_registry_free(direct);
	faultd_stop(&f);
}
END_TEST

START_TEST(test_registry_upload_restarts)
{
	struct roger_registry *r, *direct = client(NULL, 0);
	struct roger_err err = ROGER_ERR_INIT;
	char digest[ROGER_DIGEST_SIZE], script[1024];
	char *data = blob(25000, 9, digest);
	bool there = false;
	struct faultd f;

	/* The second PATCH is cut: the whole upload starts again. */
	snprintf(script, sizeof(script),
		 "[{'match': 'PATCH *', 'times': 1, 'proxy': '%s'},"
		 " {'match': 'PATCH *', 'times': 1, 'reset': true},"
		 " {'match': '*', 'times': 0, 'proxy': '%s'}]",
		 reg.url, reg.url);
	faultd_start(&f, script);
	r = client_for(f.url, NULL, NULL, 10000);
	ck_assert_msg(roger_registry_blob_upload(r, "t/restart", digest, 25000,
						 NULL, data, &err) == 0,
		      "%s", err.msg);
	ck_assert_uint_eq(
		faultd_count(&f, "POST", "/v2/t/restart/blobs/uploads/"), 2);
	ck_assert_uint_eq(faultd_count(&f, "HEAD", "/v2/t/restart/blobs/"), 1);
	ck_assert_int_eq(roger_registry_blob_head(&there, NULL, direct,
						  "t/restart", digest, &err),
			 0);
	ck_assert(there);
	free(data);
	roger_registry_free(r);
	roger_registry_free(direct);
	faultd_stop(&f);
}
END_TEST

START_TEST(test_registry_retries_unavailable)
{
	struct roger_registry *r, *direct = client(NULL, 0);
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_buf body = ROGER_BUF_INIT;
	char md[ROGER_DIGEST_SIZE], got[ROGER_DIGEST_SIZE], script[1024];
	char *type = NULL, *m = push_image(direct, "t/retry", "v1", md);
	struct faultd f;

	snprintf(
		script, sizeof(script),
		"[{'match': 'GET /v2/t/retry/manifests/*', 'times': 2, 'status': 503},"
		" {'match': '*', 'times': 0, 'proxy': '%s'}]",
		reg.url);
	faultd_start(&f, script);
	r = client_for(f.url, NULL, NULL, 0);
	ck_assert_msg(roger_registry_manifest_get(&body, &type, got, r,
						  "t/retry", "v1", &err) == 0,
		      "%s", err.msg);
	ck_assert_str_eq(got, md);
	ck_assert_uint_eq(faultd_count(&f, "GET", "/v2/t/retry/manifests/v1"),
			  3);
	free(type);
	free(m);
	roger_buf_release(&body);
	roger_registry_free(r);
	roger_registry_free(direct);
	faultd_stop(&f);
}
END_TEST

START_TEST(test_registry_redirect_drops_credentials)
{
	struct roger_registry_auth a = { NULL, NULL, "static-token" };
	struct roger_registry *r;
	struct roger_err err = ROGER_ERR_INIT;
	char script[1024], path[1100];
	struct faultd store, f;
	json_t *reqs;
	const char *auth;

	faultd_start(&store, "[{'match': 'GET /blob*', 'body': 'abc'}]");
	snprintf(
		script, sizeof(script),
		"[{'match': 'GET /v2/t/r/blobs/*', 'status': 307, 'headers': {'Location': '%s/blob?sig=1'}}]",
		store.url);
	faultd_start(&f, script);
	r = client_for(f.url, NULL, &a, 0);
	snprintf(path, sizeof(path), "%s/blob", tmp);
	ck_assert_msg(
		roger_registry_blob_fetch(
			r, "t/r",
			"sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
			3, path, &err) == 0,
		"%s", err.msg);
	reqs = faultd_requests(&f);
	auth = json_string_value(
		json_object_get(json_object_get(json_array_get(reqs, 0), "h"),
				"authorization"));
	ck_assert_str_eq(auth, "Bearer static-token");
	json_decref(reqs);
	reqs = faultd_requests(&store);
	ck_assert_uint_eq(json_array_size(reqs), 1);
	ck_assert_ptr_null(
		json_object_get(json_object_get(json_array_get(reqs, 0), "h"),
				"authorization"));
	json_decref(reqs);
	roger_registry_free(r);
	faultd_stop(&f);
	faultd_stop(&store);
}
END_TEST

/* ---- the pool ------------------------------------------------------------ */

static const char *fake_env(void *data, const char *name)
{
	const char *const *kv = data;

	for (; *kv; kv += 2)
		if (!strcmp(kv[0], name))
			return kv[1];
	return NULL;
}

START_TEST(test_registry_pool_credentials)
{
	const char *env[] = { "ROGER_REGISTRY_USER",
			      "roger",
			      "ROGER_REGISTRY_PASSWORD",
			      "s3cret",
			      "HOME",
			      "/nonexistent",
			      NULL };
	const char *half[] = { "ROGER_REGISTRY_USER", "roger", NULL };
	const char *urls[] = { reg.url, NULL };
	struct roger_registry_pool_opts o = { 0 };
	struct roger_registry_pool *p = NULL;
	struct roger_registry *r = NULL, *again = NULL;
	struct roger_err err = ROGER_ERR_INIT;
	char cfg[1100], *url = NULL;

	/* The environment's credentials go to the target's registry. */
	roger_ctx_set_getenv_fn(ctx, fake_env, env);
	o.urls = urls;
	o.ca_file = reg.ca;
	ck_assert_int_eq(roger_registry_pool_new(&p, ctx, &o, &err), 0);
	ck_assert_int_eq(roger_registry_pool_get(&r, p, reg.host, &err), 0);
	ck_assert_msg(roger_registry_ping(r, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(roger_registry_pool_get(&again, p, reg.host, &err), 0);
	ck_assert_ptr_eq(r, again);
	ck_assert_int_eq(roger_registry_pool_url(&url, p, "docker.io"), 0);
	ck_assert_str_eq(url, "https://registry-1.docker.io");
	free(url);
	ck_assert_int_eq(roger_registry_pool_url(&url, p, "localhost:5000"), 0);
	ck_assert_str_eq(url, "http://localhost:5000");
	free(url);
	roger_registry_pool_free(p);

	/* A user without a password is a mistake, said at once. */
	roger_ctx_set_getenv_fn(ctx, fake_env, half);
	ck_assert_int_eq(roger_registry_pool_new(&p, ctx, &o, &err),
			 ROGER_EINVALID);
	ck_assert_str_eq(
		err.msg,
		"ROGER_REGISTRY_USER is set but ROGER_REGISTRY_PASSWORD is not: set both, or neither");

	/* Docker's config.json, when the environment has nothing. */
	snprintf(cfg, sizeof(cfg), "%s/config.json", tmp);
	{
		char text[512];

		snprintf(text, sizeof(text),
			 "{\"auths\":{\"%s\":{\"auth\":\"cm9nZXI6czNjcmV0\"}}}",
			 reg.host);
		ck_assert_int_eq(roger_fs_write_atomic(cfg, text, strlen(text),
						       0600, NULL),
				 0);
	}
	roger_ctx_set_getenv_fn(ctx, fake_env, env + 4);
	o.docker_config = cfg;
	ck_assert_int_eq(roger_registry_pool_new(&p, ctx, &o, &err), 0);
	ck_assert_int_eq(roger_registry_pool_get(&r, p, reg.host, &err), 0);
	ck_assert_msg(roger_registry_ping(r, &err) == 0, "%s", err.msg);
	roger_registry_pool_free(p);
}
END_TEST

static Suite *registry_suite(bool live)
{
	Suite *s = suite_create("registry");
	TCase *tc = tcase_create("refs");

	tcase_add_test(tc, test_registry_ref_parse);
	tcase_add_test(tc, test_registry_ref_refuses);
	tcase_add_test(tc, test_registry_ref_format);
	suite_add_tcase(s, tc);

	tc = tcase_create("auth");
	tcase_add_checked_fixture(tc, each_setup, each_teardown);
	tcase_add_test(tc, test_registry_challenge_parse);
	tcase_add_test(tc, test_registry_scope_covers);
	tcase_add_test(tc, test_registry_base64);
	tcase_add_test(tc, test_registry_docker_config);
	tcase_add_test(tc, test_registry_refuses_secrets_over_http);
	suite_add_tcase(s, tc);

	tc = tcase_create("formats");
	tcase_add_test(tc, test_registry_manifest_parse);
	tcase_add_test(tc, test_registry_manifest_refuses);
	tcase_add_test(tc, test_registry_index_select);
	tcase_add_test(tc, test_registry_config_parse);
	tcase_add_test(tc, test_registry_config_derive);
	tcase_add_test(tc, test_registry_manifest_docker);
	tcase_add_test(tc, test_registry_json_dump);
	tcase_add_test(tc, test_registry_error_summary);
	suite_add_tcase(s, tc);
	if (!live)
		return s;

	tc = tcase_create("live");
	tcase_add_unchecked_fixture(tc, live_plain, live_teardown);
	tcase_add_checked_fixture(tc, each_setup, each_teardown);
	tcase_add_test(tc, test_registry_live_blobs_monolithic);
	tcase_add_test(tc, test_registry_live_blobs_chunked);
	tcase_add_test(tc, test_registry_live_manifests);
	tcase_add_test(tc, test_registry_live_mount);
	tcase_add_test(tc, test_registry_html_answer);
	tcase_add_test(tc, test_registry_digest_mismatch_keeps_nothing);
	tcase_add_test(tc, test_registry_retries_unavailable);
	tcase_add_test(tc, test_registry_redirect_drops_credentials);
	suite_add_tcase(s, tc);

	tc = tcase_create("relative");
	tcase_add_unchecked_fixture(tc, live_relative, live_teardown);
	tcase_add_checked_fixture(tc, each_setup, each_teardown);
	tcase_add_test(tc, test_registry_live_relative_locations);
	/* Relative Locations keep the upload going through faultd. */
	tcase_add_test(tc, test_registry_upload_restarts);
	suite_add_tcase(s, tc);

	tc = tcase_create("basic");
	tcase_add_unchecked_fixture(tc, live_basic_tls, live_teardown);
	tcase_add_checked_fixture(tc, each_setup, each_teardown);
	tcase_add_test(tc, test_registry_live_basic);
	tcase_add_test(tc, test_registry_pool_credentials);
	suite_add_tcase(s, tc);

	tc = tcase_create("token");
	tcase_add_unchecked_fixture(tc, live_token, live_teardown);
	tcase_add_checked_fixture(tc, each_setup, each_teardown);
	tcase_add_test(tc, test_registry_live_token);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	const char *skip = regd_skip_reason();
	SRunner *sr;
	int failed;

	faultd_tmp_init();
	sr = srunner_create(registry_suite(skip == NULL));
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	faultd_tmp_cleanup();
	if (failed)
		return EXIT_FAILURE;
	if (skip) {
		fprintf(stderr,
			"check_registry: SKIP the tests against a real registry: %s\n",
			skip);
		return 77;
	}
	return EXIT_SUCCESS;
}
