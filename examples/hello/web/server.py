#!/usr/bin/python3
"""Ferry's example HTTP service: its version at /, "ok" at /healthz, on the port in $PORT."""
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

VERSION = "1.0.0"
GREETING = os.environ.get("GREETING", "hello")


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/healthz":
            body = b"ok\n"
        elif self.path == "/":
            body = f"{GREETING} from hello-web {VERSION}\n".encode()
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        print(self.address_string(), format % args, flush=True)


if __name__ == "__main__":
    port = int(os.environ["PORT"])
    print(f"hello-web {VERSION} listening on 127.0.0.1:{port}", flush=True)
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
