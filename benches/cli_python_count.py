#!/usr/bin/env python3
"""Counts the entry names of a listing dump with msgpack-python, the job that
`msgskim get '.Entries[*].n' --count FILE` does: stream the pages with an Unpacker and count
every entry that has an `n` key. Prints the count.

Usage: cli_python_count.py FILE
"""
import sys

import msgpack


def main() -> None:
    count = 0
    with open(sys.argv[1], "rb") as f:
        # A page of 10,000 entries is about 1 MB; allow large pages.
        unpacker = msgpack.Unpacker(f, raw=False, max_buffer_size=1 << 30, read_size=1 << 20)
        for page in unpacker:
            for entry in page["Entries"]:
                if "n" in entry:
                    count += 1
    print(count)


if __name__ == "__main__":
    main()
