/*
 * roger.h - the public interface of libroger, the library behind the roger
 * command: configuration, packaging, artifact stores, container images and
 * registries, the Marathon and Mesos clients, the deploy state machine and
 * roger local.  A program includes <roger/roger.h> (or one header of
 * <roger/...>) and builds with `pkg-config --cflags --libs libroger`.
 *
 * Conventions (see each header for the contract of its functions): every
 * exported symbol starts with roger_ and is declared with ROGER_EXTERN
 * (common.h) in one of these headers, and nothing else is exported;
 * functions return 0 or a negative enum roger_error and take an optional
 * struct roger_err * last; out parameters come first and belong to the
 * caller; destructors accept NULL.
 *
 * roger local is part of this library, not a second one (see lib/README):
 * <roger/local/local.h> runs and manages the server; its handlers, task
 * runner and state are internal.
 */
#ifndef ROGER_H
#define ROGER_H

#include <jansson.h>

#include "address.h"
#include "buf.h"
#include "common.h"
#include "ctx.h"
#include "deploy.h"
#include "duration.h"
#include "err.h"
#include "exec.h"
#include "fs.h"
#include "http.h"
#include "image.h"
#include "init.h"
#include "jobs.h"
#include "local/local.h"
#include "logs.h"
#include "marathon.h"
#include "mesos.h"
#include "metronome.h"
#include "oci.h"
#include "pack.h"
#include "project.h"
#include "registry.h"
#include "release.h"
#include "render.h"
#include "repo.h"
#include "spec.h"
#include "sse.h"
#include "stats.h"
#include "store.h"
#include "str.h"
#include "target.h"
#include "version.h"

#endif
