#!/usr/bin/env python3
"""A fake Hugging Face Hub for castor's mirror tests (this machine cannot reach the real one).

  fake_hub.py --spec SPEC.json --port-file FILE [--cdn-port-file FILE]

It serves, on 127.0.0.1, the parts of the Hub API a mirror uses, with the Hub's headers:
  GET /api/{models|datasets|spaces}/{repo}/revision/{rev}      -> {"sha": commit}
  GET /api/{t}s/{repo}/tree/{rev}?recursive=true[&cursor=N]    -> pages of `page_size` entries,
                                                                 Link: <...>; rel="next"
  GET|HEAD /[datasets/|spaces/]{repo}/resolve/{rev}/{path}     -> plain: 200 + ETag (git blob id);
       LFS: 302 to the CDN; Xet: 302 with X-Xet-Hash, X-Linked-Size, X-Linked-Etag and
       Link: <{xet_auth}>; rel="xet-auth" (the token endpoint of a real `castor serve`)
and a second listener, the "CDN", that serves LFS bytes and counts requests that carry an
Authorization header (a leaked Hub token). Errors carry X-Error-Code like the Hub's:
RepoNotFound, RevisionNotFound, EntryNotFound, GatedRepo (401 anonymous, 403 not approved).

SPEC.json: {"page_size": N, "tokens": {"hf_x": {"repos": ["org/private", ...]}},
  "repos": [{"type": "model", "id": "org/name", "commit": "<40 hex>", "refs": {"main": ...},
             "private": bool, "gated": bool, "approved": ["hf_x"],
             "files": [{"path": ..., "file": "/abs/data", "kind": "plain|lfs|xet",
                        "xet_hash": ..., "xet_auth": "http://...", "corrupt": bool}]}]}

Faults (POST /__fault__ with JSON, each a count of upcoming requests to affect):
  {"rate_limit": N, "reset": S}  429 with RateLimit: "resolvers";r=0;t=S (the gate closes for S s)
  {"error_500": N}               500 on resolve/API requests
  {"drop": N}                    file bodies cut halfway (connection closed)
  {"stall": N, "stall_seconds": S} file bodies that stop halfway and stay silent for S s
  {"throttle": BYTES_PER_S}      slow file bodies (for kill-and-resume tests)
GET /__stats__: request log (time, path, status) and counters.
"""
import argparse
import hashlib
import json
import os
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.RLock()
STATE = {"faults": {"rate_limit": 0, "reset": 1, "error_500": 0, "drop": 0, "stall": 0,
                    "stall_seconds": 30, "throttle": 0},
         "log": [], "leaked_auth": 0, "file_bytes": 0, "blocked_until": 0.0,
         "requests_while_blocked": 0}
SPEC = {}
FILES = {}   # (repo_path, path) -> file entry with computed digests
CDN = {}     # "{n}-{sha256}" -> file entry
HUB_URL = ""
CDN_URL = ""


def repo_path(r):
    return r["id"] if r["type"] == "model" else r["type"] + "s/" + r["id"]


def git_blob(data):
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def load(spec_path):
    global SPEC
    with open(spec_path) as f:
        SPEC = json.load(f)
    for r in SPEC["repos"]:
        for fe in r["files"]:
            with open(fe["file"], "rb") as f:
                data = f.read()
            fe["size"] = len(data)
            fe["sha256"] = hashlib.sha256(data).hexdigest()
            fe["oid"] = git_blob(data)
            FILES[(repo_path(r), fe["path"])] = fe
            if fe["kind"] != "plain":
                fe["cdn_id"] = f"{len(CDN)}-{fe['sha256']}"
                CDN[fe["cdn_id"]] = fe


def take(name):
    with LOCK:
        n = STATE["faults"].get(name, 0)
        if n > 0:
            STATE["faults"][name] = n - 1
            return True
        return False


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, status, body=b"", headers=None, ctype="application/json"):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.note(status)

    def note(self, status):
        with LOCK:
            STATE["log"].append({"t": time.time(), "path": self.path, "status": status,
                                 "auth": "Authorization" in self.headers})

    def error(self, status, code, msg):
        self.reply(status, {"error": msg}, {"X-Error-Code": code, "X-Error-Message": msg})

    def send_file(self, fe, extra=None):
        total = fe["size"]
        start, size, status = 0, total, 200
        rng = self.headers.get("Range", "")
        if rng.startswith("bytes=") and "," not in rng and total > 0:
            a, _, b = rng[6:].partition("-")
            if a.isdigit() and int(a) < total:
                start = int(a)
                end = min(int(b), total - 1) if b.isdigit() else total - 1
                size, status = end - start + 1, 206
        self.send_response(status)
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{start + size - 1}/{total}")
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        if self.command == "HEAD":
            self.note(200)
            return
        drop_at = size // 2 if take("drop") else None
        stall_at = size // 2 if drop_at is None and take("stall") else None
        rate = STATE["faults"].get("throttle", 0)
        sent = 0
        with open(fe["file"], "rb") as f:
            f.seek(start)
            while sent < size:
                piece = f.read(min(1 << 20, size - sent))
                if not piece:
                    break
                if sent == 0 and start == 0 and fe.get("corrupt"):
                    piece = bytes([piece[0] ^ 0xFF]) + piece[1:]
                if stall_at is not None and sent + len(piece) > stall_at:
                    self.wfile.write(piece[: stall_at - sent])
                    self.wfile.flush()
                    self.note(-2)
                    time.sleep(STATE["faults"].get("stall_seconds", 30))  # silent, connection open
                    self.close_connection = True
                    return
                if drop_at is not None and sent + len(piece) > drop_at:
                    self.wfile.write(piece[: drop_at - sent])
                    self.wfile.flush()
                    self.note(-1)
                    self.close_connection = True
                    import socket
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.wfile.write(piece)
                sent += len(piece)
                with LOCK:
                    STATE["file_bytes"] += len(piece)
                if rate:
                    time.sleep(len(piece) / rate)
        self.note(200)

    # --- control -----------------------------------------------------------------------------
    def control(self):
        if self.path == "/__stats__":
            with LOCK:
                self.reply(200, {k: STATE[k] for k in ("log", "leaked_auth", "file_bytes",
                                                        "requests_while_blocked")})
            return True
        if self.path == "/__fault__":
            n = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(n) or b"{}")
            with LOCK:
                STATE["faults"].update(body)
            self.reply(200, {"ok": True})
            return True
        if self.path == "/__reset__":
            with LOCK:
                STATE["log"].clear()
                STATE["file_bytes"] = 0
                STATE["leaked_auth"] = 0
                STATE["requests_while_blocked"] = 0
            self.reply(200, {"ok": True})
            return True
        return False

    def token(self):
        a = self.headers.get("Authorization", "")
        return a[7:] if a.startswith("Bearer ") else ""

    def find_repo(self, type_, rid):
        for r in SPEC["repos"]:
            if r["type"] == type_ and r["id"] == rid:
                return r
        return None

    def check_access(self, r):
        """Returns True if the request may see the repo; otherwise replies with the Hub's error."""
        tok = self.token()
        known = tok in SPEC.get("tokens", {})
        if tok and not known:
            self.error(401, "", "Invalid credentials in Authorization header")
            return False
        if r is None:
            self.error(401 if not tok else 404, "RepoNotFound", "Repository not found")
            return False
        if r.get("private") and (not tok or r["id"] not in SPEC["tokens"][tok].get("repos", [])):
            self.error(401 if not tok else 404, "RepoNotFound", "Repository not found")
            return False
        if r.get("gated"):
            if not tok:
                self.error(401, "GatedRepo", "Access to this model is restricted. You must be authenticated.")
                return False
            if tok not in r.get("approved", []):
                self.error(403, "GatedRepo", "Access to this model is restricted and you are not in the authorized list.")
                return False
        return True

    def resolve_rev(self, r, rev):
        rev = urllib.parse.unquote(rev)
        if rev == r["commit"]:
            return r["commit"]
        return r.get("refs", {}).get(rev)

    def hub_faults(self):
        now = time.time()
        with LOCK:
            if now < STATE["blocked_until"]:
                STATE["requests_while_blocked"] += 1
        if take("rate_limit"):
            reset = STATE["faults"].get("reset", 1)
            with LOCK:
                STATE["blocked_until"] = max(STATE["blocked_until"], time.time() + reset - 0.05)
            self.reply(429, {"error": "rate limited"},
                       {"RateLimit": f'"resolvers";r=0;t={reset}',
                        "RateLimit-Policy": '"fixed window";"resolvers";q=1000;w=300'})
            return True
        if take("error_500"):
            self.reply(500, {"error": "internal error"})
            return True
        return False

    def do_HEAD(self):
        self.do_GET()

    def do_POST(self):
        if self.server.role == "cdn" or self.control():
            return
        parts = urllib.parse.urlsplit(self.path).path.split("/")
        if len(parts) > 5 and parts[1] == "api" and parts[5] == "paths-info":
            return self.api(parts, {})
        self.reply(404, {"error": "not found"})

    def do_GET(self):
        if self.server.role == "cdn":
            return self.cdn()
        if self.control():
            return
        if self.hub_faults():
            return
        u = urllib.parse.urlsplit(self.path)
        parts = u.path.split("/")
        if len(parts) > 2 and parts[1] == "api":
            return self.api(parts, urllib.parse.parse_qs(u.query))
        return self.resolve(parts)

    def api(self, parts, query):
        # /api/{t}s/{ns}/{name}/{op}/{rev}
        if len(parts) < 7 or parts[2] not in ("models", "datasets", "spaces"):
            return self.reply(404, {"error": "no such route"})
        type_ = parts[2][:-1]
        rid = parts[3] + "/" + parts[4]
        op, rev = parts[5], parts[6]
        r = self.find_repo(type_, rid)
        if not self.check_access(r):
            return
        commit = self.resolve_rev(r, rev)
        if commit is None:
            return self.error(404, "RevisionNotFound", f"Invalid rev id: {urllib.parse.unquote(rev)}")
        if op == "revision":
            return self.reply(200, {"id": rid, "sha": commit})
        if op == "paths-info":
            n = int(self.headers.get("Content-Length", "0"))
            want = set(json.loads(self.rfile.read(n) or b"{}").get("paths", []))
            return self.reply(200, [e for e in self.entries(r) if e["path"] in want])
        if op != "tree":
            return self.reply(404, {"error": "no such route"})
        entries = self.entries(r)
        size = SPEC.get("page_size", 1000)
        start = int(query.get("cursor", ["0"])[0])
        page = entries[start:start + size]
        headers = {}
        if start + size < len(entries):
            q = f"recursive=true&cursor={start + size}"
            headers["Link"] = f'<{HUB_URL}/api/{parts[2]}/{rid}/tree/{rev}?{q}>; rel="next"'
        return self.reply(200, page, headers)

    def entries(self, r):
        entries, dirs = [], set()
        for fe in r["files"]:
            d = os.path.dirname(fe["path"])
            while d and d not in dirs:
                dirs.add(d)
                entries.append({"type": "directory", "path": d, "oid": "0" * 40, "size": 0})
                d = os.path.dirname(d)
            e = {"type": "file", "path": fe["path"], "size": fe["size"]}
            if fe["kind"] == "plain":
                e["oid"] = fe["oid"]
            else:
                pointer = (f"version https://git-lfs.github.com/spec/v1\noid sha256:{fe['sha256']}\n"
                           f"size {fe['size']}\n").encode()
                e["oid"] = git_blob(pointer)
                e["lfs"] = {"oid": fe["sha256"], "size": fe["size"], "pointerSize": len(pointer)}
                if fe["kind"] == "xet":
                    e["xetHash"] = fe["xet_hash"]
            entries.append(e)
        entries.sort(key=lambda e: e["path"])
        return entries

    def resolve(self, parts):
        # /[datasets/|spaces/]ns/name/resolve/rev/path...
        type_ = "model"
        if len(parts) > 1 and parts[1] in ("datasets", "spaces"):
            type_ = parts[1][:-1]
            parts = parts[1:]
        if len(parts) < 6 or parts[3] != "resolve":
            return self.reply(404, {"error": "no such route"})
        rid = parts[1] + "/" + parts[2]
        rev = parts[4]
        path = urllib.parse.unquote("/".join(parts[5:]))
        r = self.find_repo(type_, rid)
        if not self.check_access(r):
            return
        commit = self.resolve_rev(r, rev)
        if commit is None:
            return self.error(404, "RevisionNotFound", "Invalid rev id")
        fe = FILES.get((repo_path(r), path))
        if fe is None:
            return self.error(404, "EntryNotFound", f"{path} does not exist on {rev}")
        common = {"X-Repo-Commit": commit}
        if fe["kind"] == "plain":
            common["ETag"] = f'"{fe["oid"]}"'
            return self.send_file(fe, common)
        common.update({"Location": f"{CDN_URL}/lfs/{fe['cdn_id']}", "X-Linked-Size": str(fe["size"]),
                       "X-Linked-Etag": f'"{fe["sha256"]}"', "ETag": f'"{fe["sha256"]}"'})
        if fe["kind"] == "xet":
            common["X-Xet-Hash"] = fe["xet_hash"]
            common["Link"] = (f'<{fe["xet_auth"]}>; rel="xet-auth", '
                              f'<{fe.get("cas", "")}/v1/reconstructions/{fe["xet_hash"]}>; '
                              f'rel="xet-reconstruction-info"')
        return self.reply(302, b"", common, "text/plain")

    def cdn(self):
        if "Authorization" in self.headers:
            with LOCK:
                STATE["leaked_auth"] += 1
            return self.reply(400, {"error": "a Hub token was sent to the CDN"})
        parts = self.path.split("?")[0].split("/")
        fe = CDN.get(parts[-1]) if len(parts) == 3 and parts[1] == "lfs" else None
        if fe is None:
            return self.reply(404, {"error": "no such object"})
        return self.send_file(fe, {"ETag": f'"{fe["sha256"]}"'})


def main():
    global HUB_URL, CDN_URL
    ap = argparse.ArgumentParser()
    ap.add_argument("--spec", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--cdn-port-file")
    args = ap.parse_args()
    load(args.spec)
    hub = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    hub.role = "hub"
    cdn = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    cdn.role = "cdn"
    hub.daemon_threads = cdn.daemon_threads = True
    HUB_URL = f"http://127.0.0.1:{hub.server_address[1]}"
    CDN_URL = f"http://127.0.0.1:{cdn.server_address[1]}"
    threading.Thread(target=cdn.serve_forever, daemon=True).start()
    for path, port in ((args.port_file, hub.server_address[1]),
                       (args.cdn_port_file, cdn.server_address[1])):
        if path:
            with open(path + ".tmp", "w") as f:
                f.write(str(port))
            os.rename(path + ".tmp", path)
    hub.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
