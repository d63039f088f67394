"""moto's server (`moto_server`) with two per-request costs taken out.

Measured on the 2-core machine (`node --import tsx bench/probes/moto-cost.ts`; docs/benchmarks.md,
purchase section, "The moto launcher"): a publish, a receive or a delete took about 2.9 ms of moto's
CPU, and much of it was not SNS or SQS:

* Every request looks its service up with `moto.backends.list_of_moto_modules()`, which lists
  moto's package directory and stats each of its ~200 entries, every time (about a quarter of the
  CPU under load). The list cannot change while the server runs, so it is read once here.
* Werkzeug writes an access-log line per request to stderr, i.e. the log file: a write system call
  and the formatting. Errors are still logged; set MOTO_ACCESS_LOG=1 to get the per-request lines
  back when debugging.

Together about a third of the CPU per request (2.9 -> 1.9 ms). Same package, same arguments, same
behaviour as `moto_server` otherwise; docker-compose.yml runs this file in the motoserver/moto image.
"""

import logging
import os
import sys

from moto import backends
from moto.server import main

_modules = frozenset(backends.list_of_moto_modules())
backends.list_of_moto_modules = lambda: _modules

if os.environ.get("MOTO_ACCESS_LOG", "") not in ("1", "true"):
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

main(sys.argv[1:])
