/*
 * lazy.c - libcurl, libarchive and libmicrohttpd, loaded on first use.
 *
 * Every process of roger used to map them at its start, with the
 * libraries they need in turn (GnuTLS, Kerberos, LDAP, libxml2, ICU and
 * libstdc++, some forty in all, most of them linked to resolve every
 * symbol at load): about two thirds of the start of a command that needs
 * none of them, such as a build or a push with nothing to do.  libroger
 * is not linked with them: each function it calls is defined here under
 * its own name (hidden, like the rest of the library), and the first
 * call of a library's function dlopen()s it by its soname and looks the
 * function up, once.  A library that cannot be loaded is what a missing
 * library was at link time: the process ends, saying which.
 *
 * The prototypes are the libraries' own (their headers are included), so
 * the compiler checks each definition.  The variadic functions take the
 * one argument the option they are given has: curl_easy_setopt() by the
 * option's type (CURLOPTTYPE_*), MHD_start_daemon() through its va_list
 * twin, archive_set_error() formatted here.
 */
#include <config.h>

#define CURL_DISABLE_TYPECHECK 1

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <microhttpd.h>

struct lazy_lib {
	const char *soname;
	pthread_once_t once;
	void *handle;
};

static struct lazy_lib lazy_curl = { "libcurl.so.4", PTHREAD_ONCE_INIT, NULL };
static struct lazy_lib lazy_archive = { "libarchive.so.13", PTHREAD_ONCE_INIT,
					NULL };
static struct lazy_lib lazy_mhd = { "libmicrohttpd.so.12", PTHREAD_ONCE_INIT,
				    NULL };

static _Noreturn void lazy_fail(const char *what, const char *name)
{
	const char *why = dlerror();

	fprintf(stderr, "roger: cannot load %s from %s: %s\n", name, what,
		why ? why : "not found");
	abort();
}

static void open_lib(struct lazy_lib *l)
{
	l->handle = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL);
}

static void open_curl(void)
{
	open_lib(&lazy_curl);
}

static void open_archive(void)
{
	open_lib(&lazy_archive);
}

static void open_mhd(void)
{
	open_lib(&lazy_mhd);
}

/* The function `name` of `l`, looked up once into *slot. */
static void *lazy_sym(struct lazy_lib *l, void (*open)(void), void **slot,
		      const char *name)
{
	void *f = __atomic_load_n(slot, __ATOMIC_ACQUIRE);

	if (f)
		return f;
	pthread_once(&l->once, open);
	if (!l->handle)
		lazy_fail(l->soname, name);
	f = dlsym(l->handle, name);
	if (!f)
		lazy_fail(l->soname, name);
	__atomic_store_n(slot, f, __ATOMIC_RELEASE);
	return f;
}

/* The function `name` of library `lib`, as a pointer of its type. */
#define LAZY_CALL(lib, name, ret, types)                          \
	((ret(*) types)({                                         \
		static void *slot_;                               \
		lazy_sym(&lazy_##lib, open_##lib, &slot_, #name); \
	}))

/* ---- libcurl ------------------------------------------------------------- */

void curl_easy_cleanup(CURL *a0)
{
	LAZY_CALL(curl, curl_easy_cleanup, void, (CURL *))(a0);
}

CURL *curl_easy_init(void)
{
	return LAZY_CALL(curl, curl_easy_init, CURL *, (void))();
}

CURLcode curl_easy_perform(CURL *a0)
{
	return LAZY_CALL(curl, curl_easy_perform, CURLcode, (CURL *))(a0);
}

void curl_easy_reset(CURL *a0)
{
	LAZY_CALL(curl, curl_easy_reset, void, (CURL *))(a0);
}

const char *curl_easy_strerror(CURLcode a0)
{
	return LAZY_CALL(curl, curl_easy_strerror, const char *,
			 (CURLcode))(a0);
}

void curl_free(void *a0)
{
	LAZY_CALL(curl, curl_free, void, (void *))(a0);
}

void curl_global_cleanup(void)
{
	LAZY_CALL(curl, curl_global_cleanup, void, (void))();
}

CURLcode curl_global_init(long int a0)
{
	return LAZY_CALL(curl, curl_global_init, CURLcode, (long int))(a0);
}

struct curl_slist *curl_slist_append(struct curl_slist *a0, const char *a1)
{
	return LAZY_CALL(curl, curl_slist_append, struct curl_slist *,
			 (struct curl_slist *, const char *))(a0, a1);
}

void curl_slist_free_all(struct curl_slist *a0)
{
	LAZY_CALL(curl, curl_slist_free_all, void, (struct curl_slist *))(a0);
}

CURLU *curl_url(void)
{
	return LAZY_CALL(curl, curl_url, CURLU *, (void))();
}

void curl_url_cleanup(CURLU *a0)
{
	LAZY_CALL(curl, curl_url_cleanup, void, (CURLU *))(a0);
}

CURLUcode curl_url_get(CURLU *a0, CURLUPart a1, char **a2, unsigned int a3)
{
	return LAZY_CALL(curl, curl_url_get, CURLUcode,
			 (CURLU *, CURLUPart, char **, unsigned int))(a0, a1,
								      a2, a3);
}

CURLUcode curl_url_set(CURLU *a0, CURLUPart a1, const char *a2, unsigned int a3)
{
	return LAZY_CALL(curl, curl_url_set, CURLUcode,
			 (CURLU *, CURLUPart, const char *, unsigned int))(
		a0, a1, a2, a3);
}

curl_version_info_data *curl_version_info(CURLversion a0)
{
	return LAZY_CALL(curl, curl_version_info, curl_version_info_data *,
			 (CURLversion))(a0);
}

CURLcode curl_easy_setopt(CURL *h, CURLoption opt, ...)
{
	va_list ap;
	CURLcode rc;

	va_start(ap, opt);
	if (opt < CURLOPTTYPE_OBJECTPOINT)
		rc = LAZY_CALL(curl, curl_easy_setopt, CURLcode,
			       (CURL *, CURLoption, ...))(h, opt,
							  va_arg(ap, long));
	else if (opt < CURLOPTTYPE_FUNCTIONPOINT || opt >= CURLOPTTYPE_BLOB)
		rc = LAZY_CALL(curl, curl_easy_setopt, CURLcode,
			       (CURL *, CURLoption, ...))(h, opt,
							  va_arg(ap, void *));
	else if (opt < CURLOPTTYPE_OFF_T)
		rc = LAZY_CALL(curl, curl_easy_setopt, CURLcode,
			       (CURL *, CURLoption, ...))(
			h, opt, va_arg(ap, void (*)(void)));
	else
		rc = LAZY_CALL(curl, curl_easy_setopt, CURLcode,
			       (CURL *, CURLoption, ...))(
			h, opt, va_arg(ap, curl_off_t));
	va_end(ap);
	return rc;
}

CURLcode curl_easy_getinfo(CURL *h, CURLINFO info, ...)
{
	va_list ap;
	CURLcode rc;

	va_start(ap, info);
	rc = LAZY_CALL(curl, curl_easy_getinfo, CURLcode,
		       (CURL *, CURLINFO, ...))(h, info, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

/* ---- libarchive ---------------------------------------------------------- */

void archive_set_error(struct archive *a, int code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	LAZY_CALL(archive, archive_set_error, void,
		  (struct archive *, int, const char *, ...))
	(a, code, "%s", msg);
}

struct archive_entry *archive_entry_clear(struct archive_entry *a0)
{
	return LAZY_CALL(archive, archive_entry_clear, struct archive_entry *,
			 (struct archive_entry *))(a0);
}

void archive_entry_copy_pathname(struct archive_entry *a0, const char *a1)
{
	LAZY_CALL(archive, archive_entry_copy_pathname, void,
		  (struct archive_entry *, const char *))
	(a0, a1);
}

void archive_entry_copy_symlink(struct archive_entry *a0, const char *a1)
{
	LAZY_CALL(archive, archive_entry_copy_symlink, void,
		  (struct archive_entry *, const char *))
	(a0, a1);
}

mode_t archive_entry_filetype(struct archive_entry *a0)
{
	return LAZY_CALL(archive, archive_entry_filetype, mode_t,
			 (struct archive_entry *))(a0);
}

void archive_entry_free(struct archive_entry *a0)
{
	LAZY_CALL(archive, archive_entry_free, void, (struct archive_entry *))
	(a0);
}

la_int64_t archive_entry_gid(struct archive_entry *a0)
{
	return LAZY_CALL(archive, archive_entry_gid, la_int64_t,
			 (struct archive_entry *))(a0);
}

const char *archive_entry_gname(struct archive_entry *a0)
{
	return LAZY_CALL(archive, archive_entry_gname, const char *,
			 (struct archive_entry *))(a0);
}

const char *archive_entry_hardlink(struct archive_entry *a0)
{
	return LAZY_CALL(archive, archive_entry_hardlink, const char *,
			 (struct archive_entry *))(a0);
}

time_t archive_entry_mtime(struct archive_entry *a0)
{
	return LAZY_CALL(archive, archive_entry_mtime, time_t,
			 (struct archive_entry *))(a0);
}

int archive_entry_mtime_is_set(struct archive_entry *a0)
{
	return LAZY_CALL(archive, archive_entry_mtime_is_set, int,
			 (struct archive_entry *))(a0);
}

long int archive_entry_mtime_nsec(struct archive_entry *a0)
{
	return LAZY_CALL(archive, archive_entry_mtime_nsec, long int,
			 (struct archive_entry *))(a0);
}

struct archive_entry *archive_entry_new(void)
{
	return LAZY_CALL(archive, archive_entry_new, struct archive_entry *,
			 (void))();
}

const char *archive_entry_pathname(struct archive_entry *a0)
{
	return LAZY_CALL(archive, archive_entry_pathname, const char *,
			 (struct archive_entry *))(a0);
}

mode_t archive_entry_perm(struct archive_entry *a0)
{
	return LAZY_CALL(archive, archive_entry_perm, mode_t,
			 (struct archive_entry *))(a0);
}

void archive_entry_set_filetype(struct archive_entry *a0, unsigned int a1)
{
	LAZY_CALL(archive, archive_entry_set_filetype, void,
		  (struct archive_entry *, unsigned int))
	(a0, a1);
}

void archive_entry_set_gid(struct archive_entry *a0, la_int64_t a1)
{
	LAZY_CALL(archive, archive_entry_set_gid, void,
		  (struct archive_entry *, la_int64_t))
	(a0, a1);
}

void archive_entry_set_hardlink(struct archive_entry *a0, const char *a1)
{
	LAZY_CALL(archive, archive_entry_set_hardlink, void,
		  (struct archive_entry *, const char *))
	(a0, a1);
}

void archive_entry_set_mode(struct archive_entry *a0, mode_t a1)
{
	LAZY_CALL(archive, archive_entry_set_mode, void,
		  (struct archive_entry *, mode_t))
	(a0, a1);
}

void archive_entry_set_mtime(struct archive_entry *a0, time_t a1, long int a2)
{
	LAZY_CALL(archive, archive_entry_set_mtime, void,
		  (struct archive_entry *, time_t, long int))
	(a0, a1, a2);
}

void archive_entry_set_pathname(struct archive_entry *a0, const char *a1)
{
	LAZY_CALL(archive, archive_entry_set_pathname, void,
		  (struct archive_entry *, const char *))
	(a0, a1);
}

void archive_entry_set_perm(struct archive_entry *a0, mode_t a1)
{
	LAZY_CALL(archive, archive_entry_set_perm, void,
		  (struct archive_entry *, mode_t))
	(a0, a1);
}

void archive_entry_set_rdevmajor(struct archive_entry *a0, dev_t a1)
{
	LAZY_CALL(archive, archive_entry_set_rdevmajor, void,
		  (struct archive_entry *, dev_t))
	(a0, a1);
}

void archive_entry_set_rdevminor(struct archive_entry *a0, dev_t a1)
{
	LAZY_CALL(archive, archive_entry_set_rdevminor, void,
		  (struct archive_entry *, dev_t))
	(a0, a1);
}

void archive_entry_set_size(struct archive_entry *a0, la_int64_t a1)
{
	LAZY_CALL(archive, archive_entry_set_size, void,
		  (struct archive_entry *, la_int64_t))
	(a0, a1);
}

void archive_entry_set_symlink(struct archive_entry *a0, const char *a1)
{
	LAZY_CALL(archive, archive_entry_set_symlink, void,
		  (struct archive_entry *, const char *))
	(a0, a1);
}

void archive_entry_set_uid(struct archive_entry *a0, la_int64_t a1)
{
	LAZY_CALL(archive, archive_entry_set_uid, void,
		  (struct archive_entry *, la_int64_t))
	(a0, a1);
}

la_int64_t archive_entry_size(struct archive_entry *a0)
{
	return LAZY_CALL(archive, archive_entry_size, la_int64_t,
			 (struct archive_entry *))(a0);
}

int archive_entry_size_is_set(struct archive_entry *a0)
{
	return LAZY_CALL(archive, archive_entry_size_is_set, int,
			 (struct archive_entry *))(a0);
}

const char *archive_entry_symlink(struct archive_entry *a0)
{
	return LAZY_CALL(archive, archive_entry_symlink, const char *,
			 (struct archive_entry *))(a0);
}

la_int64_t archive_entry_uid(struct archive_entry *a0)
{
	return LAZY_CALL(archive, archive_entry_uid, la_int64_t,
			 (struct archive_entry *))(a0);
}

const char *archive_entry_uname(struct archive_entry *a0)
{
	return LAZY_CALL(archive, archive_entry_uname, const char *,
			 (struct archive_entry *))(a0);
}

const char *archive_error_string(struct archive *a0)
{
	return LAZY_CALL(archive, archive_error_string, const char *,
			 (struct archive *))(a0);
}

int archive_filter_code(struct archive *a0, int a1)
{
	return LAZY_CALL(archive, archive_filter_code, int,
			 (struct archive *, int))(a0, a1);
}

la_ssize_t archive_read_data(struct archive *a0, void *a1, size_t a2)
{
	return LAZY_CALL(archive, archive_read_data, la_ssize_t,
			 (struct archive *, void *, size_t))(a0, a1, a2);
}

int archive_read_data_block(struct archive *a0, const void **a1, size_t *a2,
			    la_int64_t *a3)
{
	return LAZY_CALL(archive, archive_read_data_block, int,
			 (struct archive *, const void **, size_t *,
			  la_int64_t *))(a0, a1, a2, a3);
}

int archive_read_free(struct archive *a0)
{
	return LAZY_CALL(archive, archive_read_free, int,
			 (struct archive *))(a0);
}

struct archive *archive_read_new(void)
{
	return LAZY_CALL(archive, archive_read_new, struct archive *, (void))();
}

int archive_read_next_header(struct archive *a0, struct archive_entry **a1)
{
	return LAZY_CALL(archive, archive_read_next_header, int,
			 (struct archive *, struct archive_entry **))(a0, a1);
}

int archive_read_open(struct archive *a0, void *a1, archive_open_callback *a2,
		      archive_read_callback *a3, archive_close_callback *a4)
{
	return LAZY_CALL(archive, archive_read_open, int,
			 (struct archive *, void *, archive_open_callback *,
			  archive_read_callback *,
			  archive_close_callback *))(a0, a1, a2, a3, a4);
}

int archive_read_open_fd(struct archive *a0, int a1, size_t a2)
{
	return LAZY_CALL(archive, archive_read_open_fd, int,
			 (struct archive *, int, size_t))(a0, a1, a2);
}

int archive_read_open_filename(struct archive *a0, const char *a1, size_t a2)
{
	return LAZY_CALL(archive, archive_read_open_filename, int,
			 (struct archive *, const char *, size_t))(a0, a1, a2);
}

int archive_read_open_memory(struct archive *a0, const void *a1, size_t a2)
{
	return LAZY_CALL(archive, archive_read_open_memory, int,
			 (struct archive *, const void *, size_t))(a0, a1, a2);
}

int archive_read_support_filter_all(struct archive *a0)
{
	return LAZY_CALL(archive, archive_read_support_filter_all, int,
			 (struct archive *))(a0);
}

int archive_read_support_filter_bzip2(struct archive *a0)
{
	return LAZY_CALL(archive, archive_read_support_filter_bzip2, int,
			 (struct archive *))(a0);
}

int archive_read_support_filter_gzip(struct archive *a0)
{
	return LAZY_CALL(archive, archive_read_support_filter_gzip, int,
			 (struct archive *))(a0);
}

int archive_read_support_filter_xz(struct archive *a0)
{
	return LAZY_CALL(archive, archive_read_support_filter_xz, int,
			 (struct archive *))(a0);
}

int archive_read_support_format_all(struct archive *a0)
{
	return LAZY_CALL(archive, archive_read_support_format_all, int,
			 (struct archive *))(a0);
}

int archive_read_support_format_empty(struct archive *a0)
{
	return LAZY_CALL(archive, archive_read_support_format_empty, int,
			 (struct archive *))(a0);
}

int archive_read_support_format_raw(struct archive *a0)
{
	return LAZY_CALL(archive, archive_read_support_format_raw, int,
			 (struct archive *))(a0);
}

int archive_read_support_format_tar(struct archive *a0)
{
	return LAZY_CALL(archive, archive_read_support_format_tar, int,
			 (struct archive *))(a0);
}

int archive_read_support_format_zip(struct archive *a0)
{
	return LAZY_CALL(archive, archive_read_support_format_zip, int,
			 (struct archive *))(a0);
}

int archive_write_add_filter_bzip2(struct archive *a0)
{
	return LAZY_CALL(archive, archive_write_add_filter_bzip2, int,
			 (struct archive *))(a0);
}

int archive_write_add_filter_gzip(struct archive *a0)
{
	return LAZY_CALL(archive, archive_write_add_filter_gzip, int,
			 (struct archive *))(a0);
}

int archive_write_add_filter_none(struct archive *a0)
{
	return LAZY_CALL(archive, archive_write_add_filter_none, int,
			 (struct archive *))(a0);
}

int archive_write_add_filter_xz(struct archive *a0)
{
	return LAZY_CALL(archive, archive_write_add_filter_xz, int,
			 (struct archive *))(a0);
}

int archive_write_close(struct archive *a0)
{
	return LAZY_CALL(archive, archive_write_close, int,
			 (struct archive *))(a0);
}

la_ssize_t archive_write_data(struct archive *a0, const void *a1, size_t a2)
{
	return LAZY_CALL(archive, archive_write_data, la_ssize_t,
			 (struct archive *, const void *, size_t))(a0, a1, a2);
}

int archive_write_finish_entry(struct archive *a0)
{
	return LAZY_CALL(archive, archive_write_finish_entry, int,
			 (struct archive *))(a0);
}

int archive_write_free(struct archive *a0)
{
	return LAZY_CALL(archive, archive_write_free, int,
			 (struct archive *))(a0);
}

int archive_write_header(struct archive *a0, struct archive_entry *a1)
{
	return LAZY_CALL(archive, archive_write_header, int,
			 (struct archive *, struct archive_entry *))(a0, a1);
}

struct archive *archive_write_new(void)
{
	return LAZY_CALL(archive, archive_write_new, struct archive *,
			 (void))();
}

int archive_write_open2(struct archive *a0, void *a1, archive_open_callback *a2,
			archive_write_callback *a3, archive_close_callback *a4,
			archive_free_callback *a5)
{
	return LAZY_CALL(archive, archive_write_open2, int,
			 (struct archive *, void *, archive_open_callback *,
			  archive_write_callback *, archive_close_callback *,
			  archive_free_callback *))(a0, a1, a2, a3, a4, a5);
}

int archive_write_open_filename(struct archive *a0, const char *a1)
{
	return LAZY_CALL(archive, archive_write_open_filename, int,
			 (struct archive *, const char *))(a0, a1);
}

int archive_write_open_memory(struct archive *a0, void *a1, size_t a2,
			      size_t *a3)
{
	return LAZY_CALL(archive, archive_write_open_memory, int,
			 (struct archive *, void *, size_t, size_t *))(a0, a1,
								       a2, a3);
}

int archive_write_set_bytes_in_last_block(struct archive *a0, int a1)
{
	return LAZY_CALL(archive, archive_write_set_bytes_in_last_block, int,
			 (struct archive *, int))(a0, a1);
}

int archive_write_set_bytes_per_block(struct archive *a0, int a1)
{
	return LAZY_CALL(archive, archive_write_set_bytes_per_block, int,
			 (struct archive *, int))(a0, a1);
}

int archive_write_set_format_pax_restricted(struct archive *a0)
{
	return LAZY_CALL(archive, archive_write_set_format_pax_restricted, int,
			 (struct archive *))(a0);
}

int archive_write_set_format_raw(struct archive *a0)
{
	return LAZY_CALL(archive, archive_write_set_format_raw, int,
			 (struct archive *))(a0);
}

int archive_write_set_format_zip(struct archive *a0)
{
	return LAZY_CALL(archive, archive_write_set_format_zip, int,
			 (struct archive *))(a0);
}

/* ---- libmicrohttpd ------------------------------------------------------- */

struct MHD_Daemon *MHD_start_daemon(unsigned int flags, uint16_t port,
				    MHD_AcceptPolicyCallback apc, void *apc_cls,
				    MHD_AccessHandlerCallback dh, void *dh_cls,
				    ...)
{
	struct MHD_Daemon *d;
	va_list ap;

	va_start(ap, dh_cls);
	d = LAZY_CALL(mhd, MHD_start_daemon_va, struct MHD_Daemon *,
		      (unsigned int, uint16_t, MHD_AcceptPolicyCallback, void *,
		       MHD_AccessHandlerCallback, void *,
		       va_list))(flags, port, apc, apc_cls, dh, dh_cls, ap);
	va_end(ap);
	return d;
}

/* The information kinds roger asks for take no argument. */
const union MHD_ConnectionInfo *
MHD_get_connection_info(struct MHD_Connection *c,
			enum MHD_ConnectionInfoType type, ...)
{
	return LAZY_CALL(mhd, MHD_get_connection_info,
			 const union MHD_ConnectionInfo *,
			 (struct MHD_Connection *, enum MHD_ConnectionInfoType,
			  ...))(c, type);
}

/* The one option there is, MHD_CONNECTION_OPTION_TIMEOUT, takes seconds. */
enum MHD_Result MHD_set_connection_option(struct MHD_Connection *c,
					  enum MHD_CONNECTION_OPTION option,
					  ...)
{
	enum MHD_Result rc;
	va_list ap;

	va_start(ap, option);
	rc = LAZY_CALL(mhd, MHD_set_connection_option, enum MHD_Result,
		       (struct MHD_Connection *, enum MHD_CONNECTION_OPTION,
			...))(c, option, va_arg(ap, unsigned int));
	va_end(ap);
	return rc;
}

/* No response option but the end of the list exists yet. */
enum MHD_Result MHD_set_response_options(struct MHD_Response *r,
					 enum MHD_ResponseFlags flags, ...)
{
	return LAZY_CALL(mhd, MHD_set_response_options, enum MHD_Result,
			 (struct MHD_Response *, enum MHD_ResponseFlags, ...))(
		r, flags, MHD_RO_END);
}

enum MHD_Result MHD_add_response_header(struct MHD_Response *a0, const char *a1,
					const char *a2)
{
	return LAZY_CALL(mhd, MHD_add_response_header, enum MHD_Result,
			 (struct MHD_Response *, const char *, const char *))(
		a0, a1, a2);
}

struct MHD_Response *
MHD_create_response_from_buffer(size_t a0, void *a1,
				enum MHD_ResponseMemoryMode a2)
{
	return LAZY_CALL(
		mhd, MHD_create_response_from_buffer, struct MHD_Response *,
		(size_t, void *, enum MHD_ResponseMemoryMode))(a0, a1, a2);
}

struct MHD_Response *
MHD_create_response_from_callback(uint64_t a0, size_t a1,
				  MHD_ContentReaderCallback a2, void *a3,
				  MHD_ContentReaderFreeCallback a4)
{
	return LAZY_CALL(mhd, MHD_create_response_from_callback,
			 struct MHD_Response *,
			 (uint64_t, size_t, MHD_ContentReaderCallback, void *,
			  MHD_ContentReaderFreeCallback))(a0, a1, a2, a3, a4);
}

struct MHD_Response *MHD_create_response_from_fd(size_t a0, int a1)
{
	return LAZY_CALL(mhd, MHD_create_response_from_fd,
			 struct MHD_Response *, (size_t, int))(a0, a1);
}

void MHD_destroy_response(struct MHD_Response *a0)
{
	LAZY_CALL(mhd, MHD_destroy_response, void, (struct MHD_Response *))(a0);
}

int MHD_get_connection_values(struct MHD_Connection *a0, enum MHD_ValueKind a1,
			      MHD_KeyValueIterator a2, void *a3)
{
	return LAZY_CALL(mhd, MHD_get_connection_values, int,
			 (struct MHD_Connection *, enum MHD_ValueKind,
			  MHD_KeyValueIterator, void *))(a0, a1, a2, a3);
}

enum MHD_Result MHD_is_feature_supported(enum MHD_FEATURE a0)
{
	return LAZY_CALL(mhd, MHD_is_feature_supported, enum MHD_Result,
			 (enum MHD_FEATURE))(a0);
}

const char *MHD_lookup_connection_value(struct MHD_Connection *a0,
					enum MHD_ValueKind a1, const char *a2)
{
	return LAZY_CALL(mhd, MHD_lookup_connection_value, const char *,
			 (struct MHD_Connection *, enum MHD_ValueKind,
			  const char *))(a0, a1, a2);
}

enum MHD_Result MHD_queue_response(struct MHD_Connection *a0, unsigned int a1,
				   struct MHD_Response *a2)
{
	return LAZY_CALL(mhd, MHD_queue_response, enum MHD_Result,
			 (struct MHD_Connection *, unsigned int,
			  struct MHD_Response *))(a0, a1, a2);
}

void MHD_resume_connection(struct MHD_Connection *a0)
{
	LAZY_CALL(mhd, MHD_resume_connection, void, (struct MHD_Connection *))
	(a0);
}

void MHD_stop_daemon(struct MHD_Daemon *a0)
{
	LAZY_CALL(mhd, MHD_stop_daemon, void, (struct MHD_Daemon *))(a0);
}

void MHD_suspend_connection(struct MHD_Connection *a0)
{
	LAZY_CALL(mhd, MHD_suspend_connection, void, (struct MHD_Connection *))
	(a0);
}
