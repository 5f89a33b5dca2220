/*
 * prune.c - `roger local prune`: what the state directory keeps that
 * nothing needs any more.
 *
 * Images: those that no version of any app names (container.docker.image
 * of the definitions in apps/), unless a task still runs on one (the
 * image store's locks say so, whether or not a server runs), and the
 * blobs only they needed (images.c does the removing).  Containers:
 * what a server killed outright left under agent/provisioner/ (a running
 * server owns that directory; it removes what it leaves when it starts).
 */
#include <config.h>

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include <fcntl.h>

#include <jansson.h>

#include "err.h"
#include "fs.h"
#include "local/beneath.h"
#include "local/images.h"
#include "local/local.h"

static void add_image(json_t *set, const json_t *def)
{
	const char *image = json_string_value(json_object_get(
		json_object_get(json_object_get(def, "container"), "docker"),
		"image"));

	if (image)
		json_object_set_new(set, image, json_true());
}

/* Every image the stored apps name, in any of their versions. */
static json_t *images_in_use(const char *state_dir)
{
	char *dir = roger_path_join(state_dir, "apps");
	json_t *set = json_object();
	struct dirent *de;
	DIR *d = dir ? opendir(dir) : NULL;

	while (d && (de = readdir(d))) {
		char *path;
		json_t *doc, *v;
		size_t i;

		if (de->d_name[0] == '.' || !strstr(de->d_name, ".json"))
			continue;
		path = roger_path_join(dir, de->d_name);
		doc = path ? json_load_file(path, 0, NULL) : NULL;
		add_image(set, json_object_get(doc, "app"));
		json_array_foreach(json_object_get(doc, "versions"), i, v)
			add_image(set, v);
		json_decref(doc);
		free(path);
	}
	if (d)
		closedir(d);
	free(dir);
	return set;
}

/* Whether a server holds the state directory (its lock). */
static bool server_runs(const char *state_dir)
{
	char *path = roger_path_join(state_dir, "server.lock");
	int fd = path ? open(path, O_RDWR | O_CLOEXEC) : -1;
	bool held = false;

	if (fd >= 0) {
		held = flock(fd, LOCK_EX | LOCK_NB) < 0;
		close(fd);
	}
	free(path);
	return held;
}

int roger_local_prune(struct roger_local_prune_report *out,
		      const char *state_dir, struct roger_err *err)
{
	struct roger_images_prune_report r;
	json_t *set = images_in_use(state_dir);
	const char **keep = calloc(json_object_size(set) + 1, sizeof(*keep));
	char *images = roger_path_join(state_dir, "images");
	const char *key;
	json_t *v;
	size_t n = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!keep || !images) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	json_object_foreach(set, key, v)
		keep[n++] = key;
	if ((rc = roger_images_prune(&r, images, keep, err)) < 0)
		goto out;
	out->images = r.images;
	out->images_in_use = r.in_use;
	out->blobs = r.blobs;
	out->bytes = r.bytes;
	if (!server_runs(state_dir)) {
		char *prov = roger_path_join(state_dir, "agent/provisioner");

		if (prov && roger_fs_exists(prov)) {
			(void)roger_beneath_remove(AT_FDCWD, prov);
			out->containers = 1;
		}
		free(prov);
	}
out:
	free(keep);
	free(images);
	json_decref(set);
	return rc;
}
