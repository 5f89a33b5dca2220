/*
 * json-num.h - integers read from JSON numbers without undefined behaviour
 * (internal to libroger).
 *
 * jansson reads "3", "3.0" and "1e3" as different kinds (integer, real,
 * real), and a real may hold anything up to 1.8e308.  C leaves converting
 * a double that does not fit the integer type undefined, and replies,
 * files and requests are free to send 2.23e10 where a port belongs, so
 * every integer that lib/ takes from a JSON number goes through here.
 */
#ifndef ROGER_JSON_NUM_H
#define ROGER_JSON_NUM_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

/*
 * Whether `v` holds an integer in [min, max]; if so *out is that integer.
 * A JSON integer counts, and so does a real without a fraction (3.0,
 * 1e3).  Anything else, a real with a fraction, a value out of the range,
 * NULL or not a number, is false with *out left alone; the caller decides
 * whether that is an error or reads as absent.
 */
bool roger_json_int(const json_t *v, int64_t min, int64_t max, int64_t *out);

#endif
