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

Together about a third of the CPU per request (2.9 -> 1.9 ms).

* Werkzeug answers every request with `Connection: close`, so each SNS/SQS call opened a TCP
  connection (the client's connect, the server's accept and a thread, and a socket left in
  TIME-WAIT: thousands of them after a benchmark). Here a request with a Content-Length keeps its
  connection (HTTP/1.1 keep-alive), as AWS's endpoints do. Werkzeug closes because, after a
  response, it reads and discards whatever the socket still holds, which on a kept connection
  would be the client's next request: so the body is read through a stream bounded by its length,
  what the app left of it is discarded, and that discard finds nothing more. Each connection
  keeps its own thread (long polls never wait for a free one); an idle one is closed after
  `IDLE_SECONDS`, and the `Keep-Alive` header tells clients to stop reusing it before that.
  MOTO_KEEP_ALIVE=0 restores Werkzeug's behaviour.

Same package, same arguments, same behaviour as `moto_server` otherwise; docker-compose.yml runs
this file in the motoserver/moto image.
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


class _Drained:
    """Stands for the socket's reader once the request's body is bounded: Werkzeug's discard after
    the response reads nothing, so the next request on the connection stays for the next loop."""

    def read(self, *_args):
        return b""


if os.environ.get("MOTO_KEEP_ALIVE", "1") not in ("0", "false"):
    from werkzeug.wsgi import LimitedStream
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    IDLE_SECONDS = 75
    _make_environ = MotoRequestHandler.make_environ
    _run_wsgi = MotoRequestHandler.run_wsgi
    _send_header = MotoRequestHandler.send_header
    _log_error = MotoRequestHandler.log_error

    def make_environ(self):
        environ = _make_environ(self)
        length = environ.get("CONTENT_LENGTH", "")
        # Chunked or unknown-length bodies keep Werkzeug's close: only a known length can be read
        # to its end without reading past it.
        if not environ.get("wsgi.input_terminated") and (length.isdigit() or self.command in ("GET", "HEAD")):
            self._body = LimitedStream(self.rfile, int(length or 0))
            environ["wsgi.input"] = self._body
            self._reader, self.rfile = self.rfile, _Drained()
        return environ

    def run_wsgi(self):
        self._body = None
        try:
            _run_wsgi(self)
        finally:
            if self._body is not None:
                self.rfile = self._reader
                try:
                    self._body.exhaust()
                except OSError:
                    self.close_connection = True
                self._body = None

    def send_header(self, keyword, value):
        if keyword.lower() == "connection" and value.lower() == "close" and getattr(self, "_body", None) is not None:
            _send_header(self, "Keep-Alive", f"timeout={IDLE_SECONDS - 15}")
            return
        _send_header(self, keyword, value)

    def log_error(self, format, *args):
        # An idle kept connection timing out is the normal end of one, not an error.
        if not format.startswith("Request timed out"):
            _log_error(self, format, *args)

    MotoRequestHandler.make_environ = make_environ
    MotoRequestHandler.run_wsgi = run_wsgi
    MotoRequestHandler.send_header = send_header
    MotoRequestHandler.log_error = log_error
    MotoRequestHandler.timeout = IDLE_SECONDS
    # A response goes out in several writes (status and headers, then the body): on a connection
    # that stays open, Nagle's algorithm would hold the body until the client's delayed ACK
    # (about 40 ms); a closing connection flushed it at the close.
    MotoRequestHandler.disable_nagle_algorithm = True

main(sys.argv[1:])
