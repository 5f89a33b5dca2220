/*
 * roger.h - the public interface of libroger, the library behind the roger
 * command: configuration, packaging, artifact stores, the Marathon and Mesos
 * clients, the deploy state machine and roger local.
 *
 * Conventions (see each header for the contract of its functions): every
 * exported symbol starts with roger_; functions return 0 or a negative
 * enum roger_error and take an optional struct roger_err * last; out
 * parameters come first and belong to the caller; destructors accept NULL.
 */
#ifndef ROGER_H
#define ROGER_H

#include <jansson.h>

#include "buf.h"
#include "ctx.h"
#include "deploy.h"
#include "err.h"
#include "fs.h"
#include "http.h"
#include "local/local.h"
#include "logs.h"
#include "marathon.h"
#include "mesos.h"
#include "pack.h"
#include "project.h"
#include "render.h"
#include "repo.h"
#include "spec.h"
#include "sse.h"
#include "store.h"
#include "str.h"
#include "target.h"
#include "version.h"

#endif
