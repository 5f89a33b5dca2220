/*
 * version.h - the version of libroger and of the roger tools.
 */
#ifndef ROGER_VERSION_H
#define ROGER_VERSION_H

#include "common.h"

ROGER_BEGIN_DECLS

/* The package version ("0.1.0"), the same as `roger --version`. */
ROGER_EXTERN const char *roger_version(void);

ROGER_END_DECLS

#endif
