/*
 * util.h - small helpers that several modules of libroger share, each
 * written once here.  Not installed: nothing here is part of the library's
 * interface.
 */
#ifndef ROGER_UTIL_H
#define ROGER_UTIL_H

/* The number of elements of the array `a` (an array, not a pointer). */
#define ROGER_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
