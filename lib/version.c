/*
 * version.c - the package version, from configure.
 */
#include <config.h>

#include "version.h"

const char *roger_version(void)
{
	return PACKAGE_VERSION;
}
