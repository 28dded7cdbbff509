"""A loopback receiver for bench/notifications.sh: answers as the WeCom application API and a webhook
do, and writes one line per message it takes: the arrival time (epoch seconds) and the message's key
(the webhook's Idempotency-Key, or the WeCom message's text)."""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOG = open(sys.argv[2], "w", buffering=1)
LOCK = threading.Lock()


class Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, body):
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.reply({"errcode": 0, "errmsg": "ok", "access_token": "bench-token", "expires_in": 7200})

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        now = time.time()
        if self.path.startswith("/hook"):
            key = "hook " + self.headers.get("Idempotency-Key", "")
        else:
            key = "app " + json.loads(body)["text"]["content"].replace("\n", " ")
        with LOCK:
            LOG.write(f"{now:.6f}\t{key}\n")
        if self.path.startswith("/hook"):
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self.reply({"errcode": 0, "errmsg": "ok", "msgid": "m"})


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Receiver).serve_forever()
