/* Loops over msgpuck's reader, for comparison with msgskim. Each function takes the whole
 * buffer and returns what the Rust side asserts on. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <msgpuck.h>

/* Skips every top-level value with mp_next (no bounds checks: the caller has validated the
 * buffer with msgskim_mp_check_count first). Returns the number of values. */
size_t msgskim_mp_next_count(const char *buf, size_t len)
{
	const char *p = buf;
	const char *end = buf + len;
	size_t n = 0;
	while (p < end) {
		mp_next(&p);
		n++;
	}
	return n;
}

/* Checks every top-level value with mp_check. Returns the number of values, or -1 - offset
 * of the value that failed to check. */
long long msgskim_mp_check_count(const char *buf, size_t len)
{
	const char *p = buf;
	const char *end = buf + len;
	long long n = 0;
	while (p < end) {
		const char *start = p;
		if (mp_check(&p, end) != 0)
			return -1 - (long long)(start - buf);
		n++;
	}
	return n;
}

static int key_is(const char **p, const char *want, uint32_t want_len)
{
	if (mp_typeof(**p) != MP_STR) {
		mp_next(p);
		return 0;
	}
	uint32_t len;
	const char *s = mp_decode_str(p, &len);
	return len == want_len && memcmp(s, want, len) == 0;
}

/* Walks a listing dump (pages: map -> "Entries": array -> entry maps) by hand with msgpuck's
 * unchecked decoders: counts the values of key "n" and sums their byte lengths. The buffer
 * must have passed msgskim_mp_check_count; types are tested before every typed decode. */
void msgskim_mp_listing_names(const char *buf, size_t len, uint64_t *count, uint64_t *bytes)
{
	const char *p = buf;
	const char *end = buf + len;
	uint64_t c = 0, b = 0;
	while (p < end) {
		if (mp_typeof(*p) != MP_MAP) {
			mp_next(&p);
			continue;
		}
		uint32_t keys = mp_decode_map(&p);
		for (uint32_t i = 0; i < keys; i++) {
			if (!key_is(&p, "Entries", 7) || mp_typeof(*p) != MP_ARRAY) {
				mp_next(&p);
				continue;
			}
			uint32_t entries = mp_decode_array(&p);
			for (uint32_t e = 0; e < entries; e++) {
				if (mp_typeof(*p) != MP_MAP) {
					mp_next(&p);
					continue;
				}
				uint32_t fields = mp_decode_map(&p);
				for (uint32_t f = 0; f < fields; f++) {
					if (key_is(&p, "n", 1) && mp_typeof(*p) == MP_STR) {
						uint32_t l;
						mp_decode_str(&p, &l);
						c++;
						b += l;
					} else {
						mp_next(&p);
					}
				}
			}
		}
	}
	*count = c;
	*bytes = b;
}
