"""One PySafeguard 8.2.1 process fetching A2A passwords (bench rows 2 and 3).

usage: bench_pysg.py HOST:PORT CA CERT KEY APIKEYFILE [APIKEYFILE...]
One A2AContext; retrieve_password for each key in turn (row 2: one key, row 3: fifty).
Values are checked for emptiness and never printed.
"""
import sys

from pysafeguard import A2AContext


def main() -> int:
    host, ca, cert, key, *key_files = sys.argv[1:]
    keys = []
    for f in key_files:
        with open(f) as fh:
            keys.append(fh.read().strip())
    with A2AContext(host, cert, key, verify=ca) as a2a:
        for k in keys:
            if not a2a.retrieve_password(k).get_value():
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
