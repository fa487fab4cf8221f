#!/usr/bin/env python3
"""msgpack-python's streaming Unpacker on the data of `cargo bench --bench stream`.

Feeds the same bytes in the same chunk sizes (64 KiB, 4 KiB, 64 B; 1 B on the 1 MB listing)
with `Unpacker.feed` and takes every value out as soon as it is complete, as a socket reader
would. Prints the median of several runs and the throughput. The cyclic garbage collector is
off while a run is timed (msgpack-python's own advice for large inputs).

Run `cargo bench --bench stream` once first (it writes target/bench-data/), then:
    python3 benches/unpacker.py            # Debian: apt-get install python3-msgpack
"""
import gc
import os
import statistics
import sys
import time

import msgpack

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "target", "bench-data")


def unpack_chunks(data, chunk):
    up = msgpack.Unpacker(raw=True, max_buffer_size=100 * 1024 * 1024)
    n = 0
    for i in range(0, len(data), chunk):
        up.feed(data[i:i + chunk])
        for _ in up:
            n += 1
    return n


def whole(data):
    up = msgpack.Unpacker(raw=True, max_buffer_size=100 * 1024 * 1024)
    up.feed(data)
    return sum(1 for _ in up)


def bench(name, data, chunk, runs):
    want = whole(data)
    times = []
    for _ in range(runs):
        # The cyclic collector would otherwise run over and over while the values are built.
        gc.collect()
        gc.disable()
        t = time.perf_counter()
        n = unpack_chunks(data, chunk) if chunk else whole(data)
        times.append(time.perf_counter() - t)
        gc.enable()
        assert n == want, (n, want)
    med = statistics.median(times)
    label = f"{chunk} B chunks" if chunk else "whole buffer"
    print(f"{name:<20} {label:<16} median {med * 1e3:9.2f} ms  {len(data) / med / 2**20:8.1f} MiB/s"
          f"  ({n} values, {runs} runs)")


def main():
    print("msgpack", ".".join(map(str, msgpack.version)), "Unpacker", msgpack.Unpacker.__module__)
    for name, chunks in [("stream-listing", [0, 65536, 4096, 64]),
                         ("stream-messages", [0, 65536, 4096, 64]),
                         ("stream-listing-1MB", [1])]:
        path = os.path.join(DATA, name + ".msgpack")
        if not os.path.exists(path):
            sys.exit(f"{path} missing: run `cargo bench --bench stream` first")
        with open(path, "rb") as f:
            data = f.read()
        for chunk in chunks:
            bench(name, data, chunk, 3 if chunk == 1 else 7)


if __name__ == "__main__":
    main()
