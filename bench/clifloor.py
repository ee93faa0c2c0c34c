"""The floor of ``coopcheck check --json -``: ``python -m bench.clifloor TABLE < in > out``.

It does what the command cannot avoid doing and nothing else: start Python, load a table of
precomputed output lines (``marshal``: input line -> output line, as bytes), then for every
input line ``json.loads`` it, look its output line up and write those bytes. The time it takes
to load the table is written to stderr as ``table_load_s=…``.
"""

import json
import marshal
import sys
import time


def main(path: str) -> int:
    """Answer stdin from the table at ``path``."""
    start = time.perf_counter()
    with open(path, "rb") as fh:
        table = marshal.load(fh)
    loaded = time.perf_counter() - start
    loads, write = json.loads, sys.stdout.buffer.write
    for line in sys.stdin.buffer:
        loads(line)
        write(table[line])
    sys.stdout.buffer.flush()
    print(f"table_load_s={loaded:.6f}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
