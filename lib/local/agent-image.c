/*
 * agent-image.c - the agent's side of tasks that run in an image: what a
 * Mesos agent's provisioner and docker/runtime isolator do before the
 * command executor starts the task (MESOS-CONTAINERS.md sections 2 to 5).
 *
 * The run's thread calls roger_agent_image_prepare() while the task is
 * TASK_STAGING: the image is pulled (or found in the store) and locked,
 * the command and environment are decided from the image config and the
 * task, the image's user resolved, and the container's directory made
 * under <work_dir>/provisioner/containers/<container id>, where Mesos
 * keeps its container root filesystems.  roger_agent_image_spawn() then
 * starts it in its namespaces (container.c): over overlayfs, or, where
 * overlayfs cannot be mounted (the state directory on a file system that
 * refuses to be an upper layer, a kernel without unprivileged overlayfs),
 * over a copy of the image, which every later task of this agent uses too.
 * A failure is the text of TASK_FAILED after "Failed to launch
 * container: ", as Mesos reports launch failures.
 *
 * Nothing here ever starts a task on the host: when the process cannot
 * isolate one (no user namespaces for a non-root user, no openat2), the
 * task fails and says why.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "ctx.h"
#include "err.h"
#include "fs.h"
#include "local/agent-int.h"
#include "local/beneath.h"
#include "local/container.h"
#include "local/images.h"
#include "local/proc.h"

static const char *env_value(char *const *env, const char *name)
{
	size_t n = strlen(name);

	for (; env && *env; env++)
		if (strncmp(*env, name, n) == 0 && (*env)[n] == '=')
			return *env + n + 1;
	return NULL;
}

static char *container_dir(const struct roger_agent *a,
			   const struct roger_agent_run *r)
{
	struct roger_buf b = ROGER_BUF_INIT;

	if (roger_buf_addf(&b, "%s/provisioner/containers/%s", a->work_dir,
			   r->container_id) < 0) {
		roger_buf_release(&b);
		return NULL;
	}
	return roger_buf_detach(&b, NULL);
}

static bool overlay_broken(struct roger_agent *a)
{
	bool broken;

	pthread_mutex_lock(&a->lock);
	broken = a->overlay_broken;
	pthread_mutex_unlock(&a->lock);
	return broken;
}

/* The working directory: UCR's is the image's WorkingDir, else the
 * sandbox (new string). */
static char *image_cwd(const struct roger_agent_run *r)
{
	const char *w = r->img->workdir;
	char *cwd = NULL;

	if (asprintf(&cwd, "%s%s", *w && w[0] != '/' ? "/" : "",
		     *w ? w : ROGER_CONTAINER_SANDBOX) < 0)
		return NULL;
	return cwd;
}

/* The container's directory and root, over a copy once overlayfs failed. */
static int make_container(struct roger_agent *a, struct roger_agent_run *r,
			  struct roger_err *err)
{
	struct roger_container_opts co;
	char *dir = container_dir(a, r), *cwd = image_cwd(r);
	int rc;

	memset(&co, 0, sizeof(co));
	if (!dir || !cwd) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = roger_container_user(&co.uid, &co.gid, r->img->rootfs,
				       r->img->user, err)) < 0)
		goto out;
	co.dir = dir;
	co.image = r->img->rootfs;
	co.sandbox = r->sandbox;
	co.cwd = cwd;
	co.copy = overlay_broken(a);
	rc = roger_container_new(&r->ct, &co, err);
out:
	free(dir);
	free(cwd);
	return rc;
}

int roger_agent_image_prepare(struct roger_agent *a, struct roger_agent_run *r,
			      char ***envp, char ***argv,
			      bool (*cancelled)(void *data), void *data,
			      struct roger_err *err)
{
	char **env = NULL, *cwd = NULL;
	int rc;

	if (a->isolation_why)
		return roger_err_set(err, ROGER_ERROR,
				     "cannot isolate the task: %s",
				     a->isolation_why);
	if (!a->images)
		return roger_err_set(err, ROGER_ERROR,
				     "this agent has no image store");
	if ((rc = roger_images_get(&r->img, a->images, r->image, r->force_pull,
				   cancelled, data, err)) < 0)
		return rc;
	if ((rc = roger_container_argv(argv, r->cmd,
				       (const char *const *)r->args, r->img,
				       err)) < 0)
		return rc;
	if (roger_container_env(&env, *envp, r->img) < 0)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	for (char **p = *envp; p && *p; p++)
		free(*p);
	free(*envp);
	*envp = env;
	cwd = image_cwd(r);
	if (!cwd || roger_container_exec_paths(&r->exec_paths, (*argv)[0],
					       env_value(env, "PATH"), cwd) < 0)
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
	else
		rc = make_container(a, r, err);
	free(cwd);
	return rc;
}

int roger_agent_image_spawn(struct roger_agent *a, struct roger_agent_run *r,
			    const struct roger_proc_spec *spec, pid_t *pid,
			    int *exec_errno, struct roger_err *err)
{
	bool overlay_failed = false;
	int rc;

	rc = roger_container_spawn(pid, exec_errno, &overlay_failed, r->ct,
				   spec, r->exec_paths, &a->watchdog, err);
	if (rc == 0 || !overlay_failed)
		return rc;
	roger_log(
		a->ctx, ROGER_LOG_NOTICE,
		"overlayfs is not usable for the containers of '%s' (%s): copying images instead",
		a->work_dir, err->msg);
	pthread_mutex_lock(&a->lock);
	a->overlay_broken = true;
	pthread_mutex_unlock(&a->lock);
	roger_err_clear(err);
	roger_container_free(r->ct);
	r->ct = NULL;
	if ((rc = make_container(a, r, err)) < 0)
		return rc;
	return roger_container_spawn(pid, exec_errno, &overlay_failed, r->ct,
				     spec, r->exec_paths, &a->watchdog, err);
}

void roger_agent_image_exit(struct roger_agent_run *r, siginfo_t *si)
{
	if (r->ct)
		roger_container_status(r->ct, si);
}

void roger_agent_image_release(struct roger_agent_run *r)
{
	roger_container_free(r->ct);
	r->ct = NULL;
	roger_image_use_free(r->img);
	r->img = NULL;
	if (r->exec_paths) {
		for (char **p = r->exec_paths; *p; p++)
			free(*p);
		free(r->exec_paths);
		r->exec_paths = NULL;
	}
}

void roger_agent_image_setup(struct roger_agent *a)
{
	char why[512];
	char *dir = roger_path_join(a->work_dir, "provisioner");

	/* No task survives its server: what is there is left over. */
	if (dir)
		(void)roger_beneath_remove(AT_FDCWD, dir);
	free(dir);
	if (roger_ctx_getenv(a->ctx, "ROGER_NO_OVERLAY") &&
	    *roger_ctx_getenv(a->ctx, "ROGER_NO_OVERLAY"))
		a->overlay_broken = true; /* for tests: the copy fallback */
	if (roger_ctx_getenv(a->ctx, "ROGER_NO_CONTAINERS") &&
	    *roger_ctx_getenv(a->ctx, "ROGER_NO_CONTAINERS")) {
		/* For tests: a machine where no container can be made. */
		snprintf(
			why, sizeof(why),
			"containers are turned off here (ROGER_NO_CONTAINERS is set)");
		a->isolation_why = strdup(why);
	} else if (!roger_container_possible(why, sizeof(why))) {
		a->isolation_why = strdup(why);
		roger_log(a->ctx, ROGER_LOG_NOTICE,
			  "image apps cannot run here: %s", why);
	}
}

const char *roger_agent_isolation_why(struct roger_agent *a)
{
	return a ? a->isolation_why : NULL;
}
