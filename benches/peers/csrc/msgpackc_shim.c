/* msgpack-c's streaming unpacker fed a buffer in chunks, as a socket would deliver it. */
#include <stddef.h>
#include <string.h>
#include <msgpack.h>

/* Feeds buf to a msgpack_unpacker chunk bytes at a time and unpacks every complete value as
 * soon as it can. Returns the number of values, -1 on a parse error, -2 when out of memory,
 * -3 when input is left over at the end. */
long long msgskim_msgpackc_unpack_chunks(const char *buf, size_t len, size_t chunk)
{
	msgpack_unpacker up;
	msgpack_unpacked res;
	long long n = 0;
	size_t off = 0;
	if (chunk == 0)
		chunk = 1;
	if (!msgpack_unpacker_init(&up, MSGPACK_UNPACKER_INIT_BUFFER_SIZE))
		return -2;
	msgpack_unpacked_init(&res);
	while (off < len) {
		size_t take = len - off < chunk ? len - off : chunk;
		if (!msgpack_unpacker_reserve_buffer(&up, take)) {
			n = -2;
			goto out;
		}
		memcpy(msgpack_unpacker_buffer(&up), buf + off, take);
		msgpack_unpacker_buffer_consumed(&up, take);
		off += take;
		for (;;) {
			msgpack_unpack_return r = msgpack_unpacker_next(&up, &res);
			if (r == MSGPACK_UNPACK_SUCCESS) {
				n++;
			} else if (r == MSGPACK_UNPACK_CONTINUE) {
				break;
			} else {
				n = r == MSGPACK_UNPACK_NOMEM_ERROR ? -2 : -1;
				goto out;
			}
		}
	}
	if (up.used != up.off)
		n = -3;
out:
	msgpack_unpacked_destroy(&res);
	msgpack_unpacker_destroy(&up);
	return n;
}
