#!/usr/bin/env python3
"""Test doubles for castor's S3 tests, on 127.0.0.1 only.

  fakes.py proxy --port P --upstream HOST:PORT
      An HTTP proxy in front of an S3 server that injects faults by rule:
      POST /__fault__/rules  [{"method": "PUT", "match": "partNumber", "action": "status",
                               "status": 503, "code": "SlowDown", "count": 2}, ...]
        actions: status (answer with an S3 error document), reset (close without answering),
                 drop_mid_body (forward, then close halfway through the response body);
        count: how many matching requests to hit (-1 = all). First matching rule wins.
      POST /__fault__/reset  clears rules and the request log
      GET  /__fault__/stats  {"requests": ["PUT /bucket/key?x", ...], "faults": N}

  fakes.py metadata --port P
      The ECS/EKS container-credentials endpoint (GET /creds, checks Authorization) and EC2
      IMDSv2 (PUT /latest/api/token, then GET /latest/meta-data/iam/security-credentials/...).
      POST /__fault__/config {"access_key", "secret_key", "token", "ttl", "auth"} sets what it
      hands out; GET /__fault__/stats counts the credential documents served.
"""
import argparse
import datetime
import http.client
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer",
       "upgrade", "content-length"}


class State:
    lock = threading.Lock()
    rules = []
    requests = []
    faults = 0
    served = {"container": 0, "imds": 0, "imds_tokens": 0}
    config = {"access_key": "AKIDFAKE", "secret_key": "fake-secret", "token": "fake-session",
              "ttl": 3600, "auth": "Bearer castor-test-token"}
    tokens = set()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    upstream = None
    mode = None

    def log_message(self, *args):
        pass

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def reply(self, status, body=b"", ctype="application/json", headers=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def control(self):
        data = self.body()
        with State.lock:
            if self.path == "/__fault__/rules":
                State.rules = json.loads(data or b"[]")
            elif self.path == "/__fault__/reset":
                State.rules, State.requests, State.faults = [], [], 0
                State.served = {"container": 0, "imds": 0, "imds_tokens": 0}
            elif self.path == "/__fault__/config":
                State.config.update(json.loads(data or b"{}"))
            stats = {"requests": State.requests, "faults": State.faults, "served": State.served}
        self.reply(200, json.dumps(stats).encode())

    def handle_any(self):
        if self.path.startswith("/__fault__/"):
            return self.control()
        if self.mode == "metadata":
            return self.metadata()
        return self.proxy()

    # ---- fault-injecting proxy ----
    def proxy(self):
        data = self.body()
        line = f"{self.command} {self.path}"
        rule = None
        with State.lock:
            State.requests.append(line)
            for r in State.rules:
                if r.get("count", -1) == 0:
                    continue
                if r.get("method") and r["method"] != self.command:
                    continue
                if r.get("match") and r["match"] not in self.path:
                    continue
                if r.get("count", -1) > 0:
                    r["count"] -= 1
                rule = r
                State.faults += 1
                break
        action = rule["action"] if rule else None
        if action == "status":
            code = rule.get("code", "InternalError")
            xml = (f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
                   f'<Message>injected by the test proxy</Message></Error>').encode()
            return self.reply(rule.get("status", 500), xml, "application/xml")
        if action == "reset":
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        conn = http.client.HTTPConnection(self.upstream, timeout=120)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        conn.request(self.command, self.path, body=data, headers=headers)
        resp = conn.getresponse()
        payload = resp.read()
        conn.close()
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in HOP:
                self.send_header(k, v)
        # A HEAD answer has no body but the object's length.
        length = resp.getheader("Content-Length") if self.command == "HEAD" else len(payload)
        self.send_header("Content-Length", str(length or 0))
        self.end_headers()
        if self.command == "HEAD":
            return
        if action == "drop_mid_body":
            self.wfile.write(payload[: len(payload) // 2])
            self.wfile.flush()
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self.wfile.write(payload)

    # ---- credential endpoints ----
    def creds_doc(self):
        c = State.config
        exp = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=c["ttl"])
        return {"Code": "Success", "AccessKeyId": c["access_key"],
                "SecretAccessKey": c["secret_key"], "Token": c["token"],
                "Expiration": exp.strftime("%Y-%m-%dT%H:%M:%SZ")}

    def metadata(self):
        self.body()
        role_dir = "/latest/meta-data/iam/security-credentials/"
        with State.lock:
            if self.command == "GET" and self.path == "/creds":
                if State.config.get("auth") and self.headers.get("Authorization") != State.config["auth"]:
                    return self.reply(401, b'{"message":"bad token"}')
                State.served["container"] += 1
                return self.reply(200, json.dumps(self.creds_doc()).encode())
            if self.command == "PUT" and self.path == "/latest/api/token":
                if not self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
                    return self.reply(400, b"missing ttl")
                tok = f"imds-{len(State.tokens)}"
                State.tokens.add(tok)
                State.served["imds_tokens"] += 1
                return self.reply(200, tok.encode(), "text/plain")
            if self.path.startswith(role_dir):
                if self.headers.get("X-aws-ec2-metadata-token") not in State.tokens:
                    return self.reply(401, b"IMDSv2 token required", "text/plain")
                if self.path == role_dir:
                    return self.reply(200, b"castor-role", "text/plain")
                if self.path == role_dir + "castor-role":
                    State.served["imds"] += 1
                    return self.reply(200, json.dumps(self.creds_doc()).encode())
        return self.reply(404, b"not found", "text/plain")

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["proxy", "metadata"])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--upstream")
    a = ap.parse_args()
    Handler.mode = a.mode
    Handler.upstream = a.upstream
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer(("127.0.0.1", a.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
