/*
 * oci.c - container image formats as data (see oci.h).
 *
 * Design.  Parsers take bytes and return structs or checked jansson
 * documents; builders take structs and return documents; one function,
 * roger_oci_json_dump(), turns a document into the bytes that are hashed
 * and pushed.  Nothing here trusts its input: manifests and configs come
 * from registries, references from users, so every field is checked for
 * type and shape before use and every failure is one line that says what
 * is wrong (these parsers are fuzzed).
 *
 * Manifests keep only what a client needs (media types, digests, sizes,
 * platforms); configs are kept whole as JSON, because a derived image
 * must keep every member of its base, known or not.  Derivation follows
 * Docker's rules where the contract is silent: an ENV of an existing name
 * replaces it where it stands, and a new ENTRYPOINT drops the base's CMD.
 */
#include <config.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "buf.h"
#include "err.h"
#include "oci.h"
#include "str.h"

#define NAME_MAX_LEN 255
#define TAG_MAX_LEN 128
#define DETAIL_MAX 200

/* ---- digests ------------------------------------------------------------- */

bool roger_digest_valid(const char *s)
{
	size_t i;

	if (!s || strncmp(s, "sha256:", 7))
		return false;
	for (i = 7; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return i == 7 + 64;
}

void roger_digest_of(char *out, const void *data, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	EVP_Digest(len ? data : "", len, md, &mdlen, EVP_sha256(), NULL);
	memcpy(out, "sha256:", 7);
	for (unsigned i = 0; i < 32; i++) {
		out[7 + 2 * i] = hex[md[i] >> 4];
		out[7 + 2 * i + 1] = hex[md[i] & 15];
	}
	out[7 + 64] = '\0';
}

/* ---- names --------------------------------------------------------------- */

static bool lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/*
 * One path component of a repository name:
 * [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*, over `len` bytes.
 */
static bool component_valid(const char *s, size_t len)
{
	size_t i = 0;

	if (len == 0 || !lower_alnum(s[0]))
		return false;
	while (i < len) {
		if (lower_alnum(s[i])) {
			i++;
			continue;
		}
		if (s[i] == '.') {
			i++;
		} else if (s[i] == '_') {
			i++;
			if (i < len && s[i] == '_')
				i++;
		} else if (s[i] == '-') {
			while (i < len && s[i] == '-')
				i++;
		} else {
			return false;
		}
		if (i >= len || !lower_alnum(s[i]))
			return false;
	}
	return true;
}

bool roger_image_repository_valid(const char *repo)
{
	size_t len = strlen(repo);

	if (len == 0 || len > NAME_MAX_LEN)
		return false;
	for (const char *p = repo;;) {
		size_t n = strcspn(p, "/");

		if (!component_valid(p, n))
			return false;
		if (!p[n])
			return true;
		p += n + 1;
	}
}

static bool word_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

bool roger_image_tag_valid(const char *tag)
{
	size_t len = strlen(tag);

	if (len == 0 || len > TAG_MAX_LEN || !word_char(tag[0]))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!word_char(tag[i]) && tag[i] != '.' && tag[i] != '-')
			return false;
	return true;
}

/* host[:port], a DNS name, an IPv4 address or a bracketed IPv6 one. */
static bool registry_valid(const char *s, size_t len)
{
	size_t i = 0, host_end;

	if (len == 0)
		return false;
	if (s[0] == '[') {
		while (i < len && s[i] != ']')
			i++;
		if (i == len || i < 2)
			return false;
		for (size_t j = 1; j < i; j++)
			if (!isxdigit((unsigned char)s[j]) && s[j] != ':' &&
			    s[j] != '.')
				return false;
		host_end = i + 1;
	} else {
		while (i < len && s[i] != ':') {
			char c = s[i];

			if (!isalnum((unsigned char)c) && c != '-' && c != '.')
				return false;
			if ((c == '.' || c == '-') &&
			    (i == 0 || s[i - 1] == '.'))
				return false;
			i++;
		}
		if (i == 0 || s[i - 1] == '.' || s[i - 1] == '-')
			return false;
		host_end = i;
	}
	if (host_end == len)
		return true;
	if (s[host_end] != ':' || host_end + 1 == len || len - host_end > 6)
		return false;
	for (size_t j = host_end + 1; j < len; j++)
		if (!isdigit((unsigned char)s[j]))
			return false;
	return true;
}

void roger_image_ref_release(struct roger_image_ref *r)
{
	if (!r)
		return;
	free(r->registry);
	free(r->repository);
	free(r->tag);
	free(r->digest);
	memset(r, 0, sizeof(*r));
}

/*
 * Fail with "invalid image reference 'S': WHAT 'PART'WHY", `s` and `part`
 * made printable.
 */
static int ref_fail(struct roger_image_ref *r, struct roger_err *err, int code,
		    const char *what, const char *why, const char *s,
		    const char *part)
{
	struct roger_buf q = ROGER_BUF_INIT, pq = ROGER_BUF_INIT;

	/* The reference may hold anything: show it printable. */
	for (const char *p = s; *p && q.len < 300; p++)
		roger_buf_addch(
			&q, (unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p);
	for (const char *p = part; *p && pq.len < 300; p++)
		roger_buf_addch(
			&pq, (unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p);
	roger_err_set(err, code, "invalid image reference '%s': %s '%s'%s",
		      q.buf, what, pq.buf, why);
	roger_buf_release(&q);
	roger_buf_release(&pq);
	roger_image_ref_release(r);
	return code;
}

int roger_image_ref_parse(struct roger_image_ref *out, const char *s,
			  struct roger_err *err)
{
	struct roger_image_ref r = { 0 };
	const char *at, *name_end, *colon, *repo;
	size_t first_len;

	if (!*s)
		return roger_err_set(err, ROGER_EINVALID,
				     "empty image reference");
	at = strchr(s, '@');
	name_end = at ? at : s + strlen(s);
	if (at) {
		if (!roger_digest_valid(at + 1))
			return ref_fail(
				&r, err, ROGER_EINVALID, "the digest",
				" is not 'sha256:' and 64 lower-case hex digits",
				s, at + 1);
		r.digest = strdup(at + 1);
		if (!r.digest)
			goto nomem;
	}
	/* A tag follows the last ':' that comes after the last '/'. */
	colon = NULL;
	for (const char *p = s; p < name_end; p++) {
		if (*p == '/')
			colon = NULL;
		else if (*p == ':')
			colon = p;
	}
	if (colon) {
		r.tag = strndup(colon + 1, (size_t)(name_end - colon - 1));
		if (!r.tag)
			goto nomem;
		if (!roger_image_tag_valid(r.tag))
			return ref_fail(
				&r, err, ROGER_EINVALID, "invalid tag",
				" (letters, digits, '_', '.' and '-', at most 128, not starting with '.' or '-')",
				s, r.tag ? r.tag : "");
		name_end = colon;
	}
	first_len = strcspn(s, "/");
	repo = s;
	if (s + first_len < name_end &&
	    (memchr(s, '.', first_len) || memchr(s, ':', first_len) ||
	     (first_len == 9 && !strncmp(s, "localhost", 9)))) {
		if (!registry_valid(s, first_len))
			goto bad_registry;
		r.registry = strndup(s, first_len);
		repo = s + first_len + 1;
	} else {
		r.registry = strdup(ROGER_DOCKER_HUB);
	}
	if (!r.registry)
		goto nomem;
	if (!strcmp(r.registry, "index.docker.io")) {
		free(r.registry);
		r.registry = strdup(ROGER_DOCKER_HUB);
		if (!r.registry)
			goto nomem;
	}
	if (!strcmp(r.registry, ROGER_DOCKER_HUB) &&
	    !memchr(repo, '/', (size_t)(name_end - repo))) {
		if (asprintf(&r.repository, "library/%.*s",
			     (int)(name_end - repo), repo) < 0) {
			r.repository = NULL;
			goto nomem;
		}
	} else {
		r.repository = strndup(repo, (size_t)(name_end - repo));
		if (!r.repository)
			goto nomem;
	}
	if (!roger_image_repository_valid(r.repository))
		return ref_fail(
			&r, err, ROGER_EINVALID, "invalid repository name",
			" (lower-case letters, digits and the separators '.', '_', '__', '-' between them, components joined by '/', at most 255)",
			s, r.repository);
	if (!r.tag && !r.digest) {
		r.tag = strdup("latest");
		if (!r.tag)
			goto nomem;
	}
	*out = r;
	return 0;
bad_registry : {
	char host[300];

	snprintf(host, sizeof(host), "%.*s", (int)first_len, s);
	return ref_fail(&r, err, ROGER_EINVALID, "invalid registry",
			" (host[:port])", s, host);
}
nomem:
	roger_image_ref_release(&r);
	return roger_err_set(err, ROGER_ENOMEM, "out of memory");
}

int roger_image_ref_format(struct roger_buf *out,
			   const struct roger_image_ref *r)
{
	int rc = roger_buf_addf(out, "%s/%s", r->registry, r->repository);

	if (rc == 0 && r->tag)
		rc = roger_buf_addf(out, ":%s", r->tag);
	if (rc == 0 && r->digest)
		rc = roger_buf_addf(out, "@%s", r->digest);
	return rc;
}

const char *roger_image_ref_api_host(const char *registry)
{
	if (!strcmp(registry, ROGER_DOCKER_HUB))
		return ROGER_DOCKER_HUB_API;
	return registry;
}

/* ---- manifests ----------------------------------------------------------- */

static void desc_release(struct roger_oci_desc *d)
{
	free(d->media_type);
	free(d->os);
	free(d->arch);
	free(d->variant);
	memset(d, 0, sizeof(*d));
}

void roger_oci_manifest_free(struct roger_oci_manifest *m)
{
	if (!m)
		return;
	desc_release(&m->config);
	for (size_t i = 0; i < m->n_layers; i++)
		desc_release(&m->layers[i]);
	free(m->layers);
	for (size_t i = 0; i < m->n_manifests; i++)
		desc_release(&m->manifests[i]);
	free(m->manifests);
	free(m->media_type);
	free(m);
}

/* The media type without parameters and spaces: "a/b; charset=x" -> "a/b". */
static void bare_type(char *out, size_t size, const char *ct)
{
	size_t n;

	out[0] = '\0';
	if (!ct)
		return;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	n = strcspn(ct, "; \t");
	if (n >= size)
		n = size - 1;
	memcpy(out, ct, n);
	out[n] = '\0';
}

static bool is_kind(const char *t, enum roger_oci_kind *kind)
{
	if (!strcmp(t, ROGER_MT_DOCKER_MANIFEST) ||
	    !strcmp(t, ROGER_MT_OCI_MANIFEST)) {
		*kind = ROGER_OCI_IMAGE;
		return true;
	}
	if (!strcmp(t, ROGER_MT_DOCKER_LIST) ||
	    !strcmp(t, ROGER_MT_OCI_INDEX)) {
		*kind = ROGER_OCI_INDEX;
		return true;
	}
	return false;
}

static bool schema1_type(const char *t)
{
	return !strcmp(t, ROGER_MT_DOCKER_SCHEMA1) ||
	       !strcmp(t, ROGER_MT_DOCKER_SCHEMA1_SIGNED);
}

/* A Content-Type that names no manifest kind at all. */
static bool generic_type(const char *t)
{
	return !*t || !strcmp(t, "application/json") ||
	       !strcmp(t, "text/plain") ||
	       !strcmp(t, "application/octet-stream");
}

static int desc_parse(struct roger_oci_desc *d, json_t *j, const char *where,
		      bool platform, struct roger_err *err)
{
	json_t *mt = json_object_get(j, "mediaType");
	json_t *dg = json_object_get(j, "digest");
	json_t *sz = json_object_get(j, "size");
	json_t *pf;

	if (!json_is_object(j))
		return roger_err_set(err, ROGER_EINVALID, "%s is not an object",
				     where);
	if (!json_is_string(mt) || !json_string_length(mt))
		return roger_err_set(err, ROGER_EINVALID, "%s has no mediaType",
				     where);
	if (!json_is_string(dg) || !roger_digest_valid(json_string_value(dg)))
		return roger_err_set(
			err, ROGER_EINVALID,
			"%s: digest is not 'sha256:' and 64 lower-case hex digits",
			where);
	if (!json_is_integer(sz) || json_integer_value(sz) < 0)
		return roger_err_set(err, ROGER_EINVALID,
				     "%s: size is not a non-negative integer",
				     where);
	d->media_type = strdup(json_string_value(mt));
	if (!d->media_type)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	snprintf(d->digest, sizeof(d->digest), "%s", json_string_value(dg));
	d->size = (int64_t)json_integer_value(sz);
	if (!platform)
		return 0;
	pf = json_object_get(j, "platform");
	if (!pf || json_is_null(pf))
		return 0;
	if (!json_is_object(pf) || !json_is_string(json_object_get(pf, "os")) ||
	    !json_is_string(json_object_get(pf, "architecture")) ||
	    (json_object_get(pf, "variant") &&
	     !json_is_string(json_object_get(pf, "variant"))))
		return roger_err_set(
			err, ROGER_EINVALID,
			"%s: platform needs string 'os' and 'architecture'",
			where);
	d->os = strdup(json_string_value(json_object_get(pf, "os")));
	d->arch =
		strdup(json_string_value(json_object_get(pf, "architecture")));
	if (json_object_get(pf, "variant"))
		d->variant = strdup(
			json_string_value(json_object_get(pf, "variant")));
	if (!d->os || !d->arch ||
	    (json_object_get(pf, "variant") && !d->variant))
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	return 0;
}

static int desc_array(struct roger_oci_desc **out, size_t *n, json_t *arr,
		      const char *name, bool platform, struct roger_err *err)
{
	struct roger_oci_desc *v;
	char where[64];
	size_t count;

	if (!json_is_array(arr))
		return roger_err_set(err, ROGER_EINVALID,
				     "'%s' is not an array", name);
	count = json_array_size(arr);
	v = calloc(count ? count : 1, sizeof(*v));
	if (!v)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	*out = v;
	for (size_t i = 0; i < count; i++) {
		int rc;

		snprintf(where, sizeof(where), "%s[%zu]", name, i);
		rc = desc_parse(&v[i], json_array_get(arr, i), where, platform,
				err);
		*n = i + 1;
		if (rc < 0)
			return rc;
	}
	*n = count;
	return 0;
}

/* Decide the media type of a manifest document (see oci.h). */
static int manifest_type(char *out, size_t size, json_t *root,
			 const char *content_type, struct roger_err *err)
{
	json_t *declared = json_object_get(root, "mediaType");
	json_t *version = json_object_get(root, "schemaVersion");
	char ct[128];
	enum roger_oci_kind kind;

	bare_type(ct, sizeof(ct), content_type);
	if (schema1_type(ct) ||
	    (json_is_integer(version) && json_integer_value(version) == 1))
		return roger_err_set(
			err, ROGER_EINVALID,
			"a schema 1 manifest, which roger does not read (push the image again with a current client to get a schema 2 one)");
	if (!json_is_integer(version) || json_integer_value(version) != 2)
		return roger_err_set(err, ROGER_EINVALID,
				     "schemaVersion is not 2");
	if (declared && !json_is_string(declared))
		return roger_err_set(err, ROGER_EINVALID,
				     "mediaType is not a string");
	if (declared) {
		const char *d = json_string_value(declared);

		if (!is_kind(d, &kind))
			return roger_err_set(
				err, ROGER_EINVALID,
				"unsupported manifest media type '%s'", d);
		if (!generic_type(ct) && strcmp(ct, d))
			return roger_err_set(
				err, ROGER_EINVALID,
				"the manifest says it is '%s' but was served as '%s'",
				d, ct);
		snprintf(out, size, "%s", d);
		return 0;
	}
	if (!generic_type(ct)) {
		if (!is_kind(ct, &kind))
			return roger_err_set(
				err, ROGER_EINVALID,
				"unsupported manifest media type '%s'", ct);
		snprintf(out, size, "%s", ct);
		return 0;
	}
	if (json_object_get(root, "manifests")) {
		snprintf(out, size, "%s", ROGER_MT_OCI_INDEX);
		return 0;
	}
	if (json_object_get(root, "config")) {
		snprintf(out, size, "%s", ROGER_MT_OCI_MANIFEST);
		return 0;
	}
	return roger_err_set(
		err, ROGER_EINVALID,
		"neither a manifest nor an index (no mediaType, config or manifests)");
}

int roger_oci_manifest_parse(struct roger_oci_manifest **out,
			     const char *content_type, const char *body,
			     size_t len, struct roger_err *err)
{
	struct roger_oci_manifest *m = NULL;
	json_error_t jerr;
	json_t *root;
	char type[128];
	int rc;

	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return roger_err_set(err, ROGER_EINVALID,
				     "invalid JSON: %s (line %d, column %d)",
				     jerr.text, jerr.line, jerr.column);
	if (!json_is_object(root)) {
		rc = roger_err_set(err, ROGER_EINVALID, "not a JSON object");
		goto out;
	}
	rc = manifest_type(type, sizeof(type), root, content_type, err);
	if (rc < 0)
		goto out;
	m = calloc(1, sizeof(*m));
	if (!m || !(m->media_type = strdup(type))) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	is_kind(type, &m->kind);
	if (m->kind == ROGER_OCI_INDEX) {
		rc = desc_array(&m->manifests, &m->n_manifests,
				json_object_get(root, "manifests"), "manifests",
				true, err);
		goto out;
	}
	rc = desc_parse(&m->config, json_object_get(root, "config"), "config",
			false, err);
	if (rc == 0)
		rc = desc_array(&m->layers, &m->n_layers,
				json_object_get(root, "layers"), "layers",
				false, err);
out:
	if (rc == 0) {
		*out = m;
		m = NULL;
	}
	roger_oci_manifest_free(m);
	json_decref(root);
	return rc;
}

int roger_oci_index_select(const struct roger_oci_desc **out,
			   const struct roger_oci_manifest *idx, const char *os,
			   const char *arch, const char *variant,
			   struct roger_err *err)
{
	const struct roger_oci_desc *first = NULL;
	struct roger_buf have = ROGER_BUF_INIT;
	int rc;

	for (size_t i = 0; i < idx->n_manifests; i++) {
		const struct roger_oci_desc *d = &idx->manifests[i];

		if (!d->os || strcmp(d->os, os) || strcmp(d->arch, arch))
			continue;
		if (variant) {
			if (d->variant && !strcmp(d->variant, variant)) {
				*out = d;
				return 0;
			}
			continue;
		}
		if (!d->variant) {
			*out = d;
			return 0;
		}
		if (!first)
			first = d;
	}
	if (first) {
		*out = first;
		return 0;
	}
	for (size_t i = 0; i < idx->n_manifests; i++) {
		const struct roger_oci_desc *d = &idx->manifests[i];

		if (!d->os)
			continue;
		if (have.len)
			roger_buf_adds(&have, ", ");
		roger_buf_addf(&have, "%s/%s%s%s", d->os, d->arch,
			       d->variant ? "/" : "",
			       d->variant ? d->variant : "");
		if (have.len > 400)
			break;
	}
	rc = roger_err_set(
		err, ROGER_ENOTFOUND,
		"no image for platform %s/%s%s%s in the index (it has: %s)", os,
		arch, variant ? "/" : "", variant ? variant : "",
		have.len ? have.buf : "no platforms");
	roger_buf_release(&have);
	return rc;
}

bool roger_oci_layer_gzip(const char *media_type)
{
	return !strcmp(media_type, ROGER_MT_DOCKER_LAYER) ||
	       !strcmp(media_type, ROGER_MT_OCI_LAYER_GZIP);
}

/* ---- configs ------------------------------------------------------------- */

static bool string_array(const json_t *a)
{
	size_t i;
	json_t *v;

	if (!json_is_array(a))
		return false;
	json_array_foreach(a, i, v)
		if (!json_is_string(v))
			return false;
	return true;
}

/* Layers that have a history entry (those not marked empty_layer). */
static size_t history_layers(const json_t *history)
{
	size_t i, n = 0;
	json_t *h;

	json_array_foreach(history, i, h)
		if (!json_is_true(json_object_get(h, "empty_layer")))
			n++;
	return n;
}

int roger_oci_config_parse(json_t **out, const char *body, size_t len,
			   size_t n_layers, struct roger_err *err)
{
	json_error_t jerr;
	json_t *root, *rootfs, *ids, *cfg, *history, *v;
	size_t i;
	int rc = 0;

	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return roger_err_set(err, ROGER_EINVALID,
				     "invalid JSON: %s (line %d, column %d)",
				     jerr.text, jerr.line, jerr.column);
	if (!json_is_object(root)) {
		rc = roger_err_set(err, ROGER_EINVALID, "not a JSON object");
		goto out;
	}
	if (!json_is_string(json_object_get(root, "architecture")) ||
	    !json_is_string(json_object_get(root, "os"))) {
		rc = roger_err_set(err, ROGER_EINVALID,
				   "'architecture' and 'os' must be strings");
		goto out;
	}
	rootfs = json_object_get(root, "rootfs");
	ids = json_object_get(rootfs, "diff_ids");
	if (!json_is_object(rootfs) ||
	    !json_is_string(json_object_get(rootfs, "type")) ||
	    strcmp(json_string_value(json_object_get(rootfs, "type")),
		   "layers")) {
		rc = roger_err_set(err, ROGER_EINVALID,
				   "rootfs.type is not 'layers'");
		goto out;
	}
	if (!json_is_array(ids)) {
		rc = roger_err_set(err, ROGER_EINVALID,
				   "rootfs.diff_ids is not an array");
		goto out;
	}
	json_array_foreach(ids, i, v) {
		if (!json_is_string(v) ||
		    !roger_digest_valid(json_string_value(v))) {
			rc = roger_err_set(
				err, ROGER_EINVALID,
				"rootfs.diff_ids[%zu] is not a sha256 digest",
				i);
			goto out;
		}
	}
	if (json_array_size(ids) != n_layers) {
		rc = roger_err_set(
			err, ROGER_EINVALID,
			"rootfs.diff_ids has %zu entries for %zu layers",
			json_array_size(ids), n_layers);
		goto out;
	}
	cfg = json_object_get(root, "config");
	if (cfg && !json_is_null(cfg) && !json_is_object(cfg)) {
		rc = roger_err_set(err, ROGER_EINVALID,
				   "'config' is not an object");
		goto out;
	}
	for (const char *const *k =
		     (const char *const[]){ "Env", "Entrypoint", "Cmd", NULL };
	     json_is_object(cfg) && *k; k++) {
		v = json_object_get(cfg, *k);
		if (v && !json_is_null(v) && !string_array(v)) {
			rc = roger_err_set(
				err, ROGER_EINVALID,
				"config.%s is not an array of strings", *k);
			goto out;
		}
	}
	history = json_object_get(root, "history");
	if (history && !json_is_null(history)) {
		if (!json_is_array(history)) {
			rc = roger_err_set(err, ROGER_EINVALID,
					   "'history' is not an array");
			goto out;
		}
		json_array_foreach(history, i, v) {
			if (!json_is_object(v)) {
				rc = roger_err_set(
					err, ROGER_EINVALID,
					"history[%zu] is not an object", i);
				goto out;
			}
		}
		if (history_layers(history) > n_layers) {
			rc = roger_err_set(
				err, ROGER_EINVALID,
				"'history' has %zu layer entries for %zu layers",
				history_layers(history), n_layers);
			goto out;
		}
	}
out:
	if (rc == 0)
		*out = root;
	else
		json_decref(root);
	return rc;
}

static json_t *strings_json(const char *const *v)
{
	json_t *a = json_array();

	for (size_t i = 0; a && v[i]; i++)
		if (json_array_append_new(a, json_string(v[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/* Set `name`=`value` in the Env array: in place when the name is there. */
static int env_set(json_t *env, const char *entry, struct roger_err *err)
{
	const char *eq = strchr(entry, '=');
	size_t n, i;
	json_t *v;

	if (!eq || eq == entry)
		return roger_err_set(err, ROGER_EINVALID,
				     "environment entry '%s' is not NAME=VALUE",
				     entry);
	n = (size_t)(eq - entry);
	json_array_foreach(env, i, v) {
		const char *s = json_string_value(v);

		if (s && !strncmp(s, entry, n) && (s[n] == '=' || !s[n]))
			return json_array_set_new(env, i, json_string(entry)) <
					       0
				       ? roger_err_set(err, ROGER_ENOMEM,
						       "out of memory")
				       : 0;
	}
	if (json_array_append_new(env, json_string(entry)) < 0)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	return 0;
}

static json_t *history_entry(const char *created, const char *by,
			     const char *comment)
{
	json_t *h = json_object();

	if (!h)
		return NULL;
	if (json_object_set_new(h, "created", json_string(created)) < 0 ||
	    (by && json_object_set_new(h, "created_by", json_string(by)) < 0) ||
	    (comment &&
	     json_object_set_new(h, "comment", json_string(comment)) < 0)) {
		json_decref(h);
		return NULL;
	}
	return h;
}

int roger_oci_config_derive(json_t **out, const json_t *base,
			    size_t n_base_layers,
			    const struct roger_oci_config_change *c,
			    struct roger_err *err)
{
	json_t *doc, *cfg, *env, *rootfs, *ids, *history;
	size_t have;
	int rc = 0;

	doc = json_deep_copy(base);
	if (!doc)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	if (json_object_set_new(doc, "created", json_string(c->created)) < 0)
		goto nomem;
	if (c->arch && !json_object_get(doc, "architecture") &&
	    json_object_set_new(doc, "architecture", json_string(c->arch)) < 0)
		goto nomem;
	if (c->os && !json_object_get(doc, "os") &&
	    json_object_set_new(doc, "os", json_string(c->os)) < 0)
		goto nomem;
	cfg = json_object_get(doc, "config");
	if (!json_is_object(cfg)) {
		cfg = json_object();
		if (json_object_set_new(doc, "config", cfg) < 0)
			goto nomem;
	}
	if (c->workdir &&
	    json_object_set_new(cfg, "WorkingDir", json_string(c->workdir)) < 0)
		goto nomem;
	if (c->user &&
	    json_object_set_new(cfg, "User", json_string(c->user)) < 0)
		goto nomem;
	env = json_object_get(cfg, "Env");
	if (!json_is_array(env)) {
		env = json_array();
		if (json_object_set_new(cfg, "Env", env) < 0)
			goto nomem;
	}
	for (size_t i = 0; c->env && c->env[i] && rc == 0; i++)
		rc = env_set(env, c->env[i], err);
	if (rc < 0)
		goto fail;
	if (c->entrypoint) {
		if (json_object_set_new(cfg, "Entrypoint",
					strings_json(c->entrypoint)) < 0)
			goto nomem;
		/* As in a Dockerfile: a new ENTRYPOINT drops the base's CMD. */
		if (!c->cmd && json_object_set_new(cfg, "Cmd", json_null()) < 0)
			goto nomem;
	}
	if (c->cmd && json_object_set_new(cfg, "Cmd", strings_json(c->cmd)) < 0)
		goto nomem;
	rootfs = json_object_get(doc, "rootfs");
	if (!json_is_object(rootfs)) {
		rootfs = json_object();
		if (json_object_set_new(doc, "rootfs", rootfs) < 0 ||
		    json_object_set_new(rootfs, "type", json_string("layers")) <
			    0)
			goto nomem;
	}
	ids = json_object_get(rootfs, "diff_ids");
	if (!json_is_array(ids)) {
		ids = json_array();
		if (json_object_set_new(rootfs, "diff_ids", ids) < 0)
			goto nomem;
	}
	if (json_array_append_new(ids, json_string(c->diff_id)) < 0)
		goto nomem;
	history = json_object_get(doc, "history");
	if (!json_is_array(history)) {
		history = json_array();
		if (json_object_set_new(doc, "history", history) < 0)
			goto nomem;
	}
	for (have = history_layers(history); have < n_base_layers; have++)
		if (json_array_append_new(
			    history,
			    history_entry(
				    c->created, NULL,
				    "a layer of the base image, whose config had no history entry for it")) <
		    0)
			goto nomem;
	if (json_array_append_new(
		    history, history_entry(c->created, c->created_by, NULL)) <
	    0)
		goto nomem;
	*out = doc;
	return 0;
nomem:
	rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
fail:
	json_decref(doc);
	return rc;
}

static json_t *desc_json(const char *media_type, const struct roger_oci_desc *d)
{
	json_t *j = json_object();

	if (!j)
		return NULL;
	if (json_object_set_new(j, "mediaType", json_string(media_type)) < 0 ||
	    json_object_set_new(j, "size", json_integer(d->size)) < 0 ||
	    json_object_set_new(j, "digest", json_string(d->digest)) < 0) {
		json_decref(j);
		return NULL;
	}
	return j;
}

int roger_oci_manifest_docker(json_t **out, const struct roger_oci_desc *config,
			      const struct roger_oci_desc *layers,
			      size_t n_layers, struct roger_err *err)
{
	json_t *doc = json_object(), *arr = json_array();

	if (!doc || !arr)
		goto nomem;
	if (json_object_set_new(doc, "schemaVersion", json_integer(2)) < 0 ||
	    json_object_set_new(doc, "mediaType",
				json_string(ROGER_MT_DOCKER_MANIFEST)) < 0 ||
	    json_object_set_new(doc, "config",
				desc_json(config->media_type, config)) < 0)
		goto nomem;
	for (size_t i = 0; i < n_layers; i++) {
		if (!roger_oci_layer_gzip(layers[i].media_type)) {
			json_decref(arr);
			json_decref(doc);
			return roger_err_set(
				err, ROGER_EINVALID,
				"layer %s is '%s', not a gzip tar that a Docker schema 2 manifest can name",
				layers[i].digest, layers[i].media_type);
		}
		if (json_array_append_new(arr, desc_json(ROGER_MT_DOCKER_LAYER,
							 &layers[i])) < 0)
			goto nomem;
	}
	if (json_object_set_new(doc, "layers", arr) < 0) {
		arr = NULL;
		goto nomem;
	}
	*out = doc;
	return 0;
nomem:
	json_decref(arr);
	json_decref(doc);
	return roger_err_set(err, ROGER_ENOMEM, "out of memory");
}

int roger_oci_json_dump(struct roger_buf *out, const json_t *doc)
{
	char *s = json_dumps(doc,
			     JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	int rc;

	if (!s)
		return ROGER_EINVALID;
	rc = roger_buf_adds(out, s);
	free(s);
	return rc;
}

/* ---- the error envelope -------------------------------------------------- */

/* Append `s` printable: control characters as spaces, at most `max` bytes. */
static int add_printable(struct roger_buf *out, const char *s, size_t len,
			 size_t start, size_t max)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (out->len - start >= max)
			return 1;
		if (roger_buf_addch(out, c < 0x20 || c == 0x7f ? ' ' : c) < 0)
			return ROGER_ENOMEM;
	}
	return 0;
}

static bool empty_detail(const json_t *d)
{
	return !d || json_is_null(d) ||
	       (json_is_object(d) && json_object_size(d) == 0) ||
	       (json_is_array(d) && json_array_size(d) == 0) ||
	       (json_is_string(d) && json_string_length(d) == 0);
}

int roger_oci_error_summary(struct roger_buf *out, char *code, size_t code_size,
			    const char *body, size_t len, size_t max)
{
	json_t *root, *errors, *e;
	size_t start = out->len, i;
	int rc = 0;

	if (code_size)
		code[0] = '\0';
	root = json_loadb(body, len, 0, NULL);
	errors = json_object_get(root, "errors");
	if (!json_is_array(errors) || !json_array_size(errors)) {
		json_decref(root);
		return 0;
	}
	json_array_foreach(errors, i, e) {
		const char *c = json_string_value(json_object_get(e, "code"));
		const char *m =
			json_string_value(json_object_get(e, "message"));
		json_t *d = json_object_get(e, "detail");
		char *dtext = NULL;

		if (i == 0 && c && code_size)
			snprintf(code, code_size, "%s", c);
		if (rc == 0 && i > 0)
			rc = add_printable(out, "; ", 2, start, max);
		if (rc == 0)
			rc = add_printable(out, c ? c : "UNKNOWN",
					   strlen(c ? c : "UNKNOWN"), start,
					   max);
		if (rc == 0 && m && *m) {
			rc = add_printable(out, ": ", 2, start, max);
			if (rc == 0)
				rc = add_printable(out, m, strlen(m), start,
						   max);
		}
		if (!empty_detail(d))
			dtext = json_is_string(d)
					? strdup(json_string_value(d))
					: json_dumps(d,
						     JSON_COMPACT |
							     JSON_SORT_KEYS |
							     JSON_ENCODE_ANY);
		if (rc == 0 && dtext && strlen(dtext) <= DETAIL_MAX) {
			rc = add_printable(out, " (", 2, start, max);
			if (rc == 0)
				rc = add_printable(out, dtext, strlen(dtext),
						   start, max);
			if (rc == 0)
				rc = add_printable(out, ")", 1, start, max);
		}
		free(dtext);
		if (rc != 0)
			break;
	}
	json_decref(root);
	if (rc == 1) {
		while (out->len > start &&
		       ((unsigned char)out->buf[out->len - 1] & 0xc0) == 0x80)
			roger_buf_truncate(out, out->len - 1);
		if (out->len > start &&
		    (unsigned char)out->buf[out->len - 1] >= 0xc0)
			roger_buf_truncate(out, out->len - 1);
		rc = roger_buf_adds(out, "...");
	}
	return rc < 0 ? rc : 1;
}
