/*
 * common.h - what every installed header of libroger shares: the mark of
 * an exported declaration, the C++ guards and the printf-format check.
 *
 * libroger is built with -fvisibility=hidden: a function or variable is
 * part of the library's interface, and exported from libroger.so, only
 * when an installed header declares it with ROGER_EXTERN (as libgit2 does
 * with GIT_EXTERN).  A check of the test suite (tests/exports.sh) compares
 * the library's dynamic symbols with these declarations, both ways.
 * Everything else is internal and may change with any release.
 */
#ifndef ROGER_COMMON_H
#define ROGER_COMMON_H

/*
 * ROGER_EXTERN may be defined before this header is read (the exports
 * check does, to find the declarations); programs leave it alone.
 */
#ifndef ROGER_EXTERN
#if defined(__GNUC__) || defined(__clang__)
#define ROGER_EXTERN extern __attribute__((visibility("default")))
#else
#define ROGER_EXTERN extern
#endif
#endif

#ifdef __cplusplus
#define ROGER_BEGIN_DECLS extern "C" {
#define ROGER_END_DECLS }
#else
#define ROGER_BEGIN_DECLS
#define ROGER_END_DECLS
#endif

/*
 * Marks a printf-like function: argument `fmt` is the format, the values
 * start at argument `first` (0 for a va_list), so that the compiler checks
 * calls, and functions that pass a va_list on.
 */
#if defined(__GNUC__) || defined(__clang__)
#define ROGER_PRINTF(fmt, first) __attribute__((format(printf, fmt, first)))
#else
#define ROGER_PRINTF(fmt, first)
#endif

#endif
