/*
 * json-num.c - integers read from JSON numbers without undefined behaviour.
 */
#include <config.h>

#include <math.h>

#include "json-num.h"

bool roger_json_int(const json_t *v, int64_t min, int64_t max, int64_t *out)
{
	int64_t i;
	double d;

	if (json_is_integer(v)) {
		i = (int64_t)json_integer_value(v);
	} else if (json_is_real(v)) {
		d = json_real_value(v);
		/* 2^63 is exact as a double; INT64_MAX is not. */
		if (!(d >= -9223372036854775808.0 &&
		      d < 9223372036854775808.0) ||
		    d != floor(d))
			return false;
		i = (int64_t)d;
	} else {
		return false;
	}
	if (i < min || i > max)
		return false;
	*out = i;
	return true;
}
