/*
 * version.h - the version of libroger and of the roger tools.
 */
#ifndef ROGER_VERSION_H
#define ROGER_VERSION_H

/* The package version ("0.1.0"), the same as `roger --version`. */
const char *roger_version(void);

#endif
