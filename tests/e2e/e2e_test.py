#!/usr/bin/env python3
"""castor serve + castor push/pull end to end, over loopback, with real processes.

  e2e_test.py --castor BIN --fakes tests/s3/fakes.py --store local|swift [--s3-state DIR]

Covers: a directory of model-like files (some sharing most of their chunks) pushed and pulled
back byte for byte; re-push uploads nothing; a fine-tune-like variant uploads only changed chunks;
two servers on one store act as one; hostile uploads (wrong hash, missing xorb, wrong
verification hash, wrong file id, oversized, truncated, slow) are rejected with the right status,
write nothing, and leave the server serving; a server killed mid-upload leaves no partial object;
an interrupted pull resumes without fetching again what is on disk.
"""
import argparse
import hashlib
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

ARGS = None


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_port(port, timeout=60, proc=None, log=None):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: " +
                               (read(log).decode(errors="replace") if log else ""))
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listening on {port}")


def model_bytes(n, seed):
    """bf16-like weights: random mantissas under a few sign/exponent bytes (little-endian)."""
    raw = bytearray(random.Random(seed).randbytes(n))
    table = bytes((0x3B, 0x3C, 0xBB, 0xBC)[i % 4] for i in range(256))
    raw[1::2] = raw[1::2].translate(table)
    return bytes(raw)


class Server:
    def __init__(self, castor, store_uri, env=None, public_url=None, extra=()):
        self.port = free_port()
        self.castor = castor
        self.store_uri = store_uri
        self.env = dict(os.environ, **(env or {}))
        self.log = tempfile.NamedTemporaryFile(prefix="castor-serve-", suffix=".log", delete=False)
        cmd = [castor, "serve", "--store", store_uri, "--listen", f"127.0.0.1:{self.port}"]
        if public_url:
            cmd += ["--public-url", public_url]
        cmd += list(extra)
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=self.log, env=self.env)
        wait_port(self.port, proc=self.proc, log=self.log.name)
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=30)

    def request(self, method, path, body=None, headers=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, data


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def fault_proxy(port, upstream_port, rules=None):
    """Starts tests/s3/fakes.py's fault-injecting proxy in front of a castor server."""
    p = subprocess.Popen([sys.executable, ARGS.fakes, "proxy", "--port", str(port),
                          "--upstream", f"127.0.0.1:{upstream_port}"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port)
    if rules is not None:
        proxy_call(port, "/__fault__/rules", rules)
    return p


def proxy_call(port, path, body):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("POST", path, json.dumps(body))
    c.getresponse().read()
    c.close()


def run(cmd, check=True, env=None, timeout=600):
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError(f"{cmd} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    return p


class E2E(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="castor-e2e-")
        cls.env = dict(os.environ)
        if ARGS.store == "local":
            cls.store_uri = os.path.join(cls.tmp, "store")
        else:
            port = read(os.path.join(ARGS.s3_state, "swift.port")).decode().strip()
            cls.env.update(AWS_ACCESS_KEY_ID="test:tester", AWS_SECRET_ACCESS_KEY="testing")
            cls.store_uri = (f"s3://castor-test/e2e-{os.getpid()}?region=us-east-1"
                             f"&endpoint=http://127.0.0.1:{port}&path_style=1")
        cls.server = Server(ARGS.castor, cls.store_uri, env=cls.env)
        # Model-like files: a base, a fine-tune sharing most chunks, a copy, small files.
        cls.models = os.path.join(cls.tmp, "models")
        os.makedirs(os.path.join(cls.models, "sub"))
        base = model_bytes(24 << 20, 1)
        tuned = bytearray(base)
        for off in (3 << 20, 11 << 20, 20 << 20):
            tuned[off:off + 4096] = model_bytes(4096, off)
        cls.files = {
            "base.safetensors": base,
            "sub/tuned.safetensors": bytes(tuned),
            "sub/copy.safetensors": base,
            "config.json": b'{"hidden_size": 4096}\n',
            "empty.txt": b"",
            "random.bin": os.urandom(3 << 20),
        }
        for name, data in cls.files.items():
            write(os.path.join(cls.models, name), data)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def push(self, *paths, endpoint=None, cache=None, check=True, extra=()):
        cmd = [ARGS.castor, "push", "--endpoint", endpoint or self.server.url] + list(extra)
        cmd += ["--cache-dir", cache] if cache else ["--no-cache"]
        p = run(cmd + list(paths), check=check, env=self.env)
        ids = {}
        for line in p.stdout.splitlines():
            fid, size, path = line.split(" ", 2)
            ids[os.path.relpath(path, self.models)] = (fid, int(size))
        m = re.search(r"uploaded ([0-9.]+) MiB in (\d+) xorbs", p.stderr)
        return ids, (float(m.group(1)), int(m.group(2))) if m else None, p

    def pull(self, fid, out, endpoint=None, check=True, extra=()):
        return run([ARGS.castor, "pull", "-q", "--endpoint", endpoint or self.server.url, fid,
                    "-o", out] + list(extra), check=check, env=self.env)

    def test_1_push_pull_repush_finetune(self):
        cache = os.path.join(self.tmp, "cache1")
        ids, (mib, xorbs), _ = self.push(self.models, cache=cache)
        self.assertEqual(set(ids), set(self.files))
        self.assertGreater(xorbs, 0)
        # Everything new is about one base + the random file: the copy and the fine-tune dedup.
        self.assertLess(mib, (24 + 3) * 1.05 + 1)
        for name, data in self.files.items():
            out = os.path.join(self.tmp, "out-" + name.replace("/", "_"))
            self.pull(ids[name][0], out)
            self.assertEqual(read(out), data, name)
        # Unchanged data: nothing uploaded, with or without the local shard cache.
        _, (mib2, xorbs2), _ = self.push(self.models, cache=cache)
        self.assertEqual((mib2, xorbs2), (0.0, 0))
        _, (mib3, xorbs3), _ = self.push(self.models)
        self.assertEqual(xorbs3, 0)
        # A new fine-tune of the base: only the changed chunks go up.
        ft = bytearray(self.files["base.safetensors"])
        ft[7 << 20:(7 << 20) + 1000] = os.urandom(1000)
        path = os.path.join(self.tmp, "ft2.safetensors")
        write(path, ft)
        ids4, (mib4, xorbs4), _ = self.push(path, cache=cache)
        self.assertEqual(xorbs4, 1)
        self.assertLess(mib4, 0.6)  # about two 64 KiB chunks around the edit, at most a few
        out = os.path.join(self.tmp, "ft2.out")
        self.pull(ids4[os.path.relpath(path, self.models)][0], out)
        self.assertEqual(read(out), bytes(ft))

    def test_1b_compression_policies(self):
        # Weights and text pushed raw and with each codec (new data every time, so nothing
        # dedups): every form is accepted and pulls back byte for byte, and only the compressed
        # forms send fewer bytes than the data holds.
        sizes, held = {}, {}
        for policy in ("none", "lz4", "bg4", "predict"):
            rng = random.Random(len(sizes))
            text = "".join(f'{{"step": {i}, "loss": {rng.random():.4f}}}\n'
                           for i in range(80000)).encode()
            data = model_bytes(5 << 20, 1000 + len(sizes)) + text
            path = os.path.join(self.tmp, f"policy-{policy}.bin")
            write(path, data)
            ids, (mib, xorbs), p = self.push(path, extra=("--compression", policy, "-q"))
            self.assertEqual(len(p.stderr.splitlines()), 1, p.stderr)  # -q: the summary only
            self.assertEqual(xorbs, 1, policy)
            sizes[policy] = mib
            held[policy] = len(data) / (1 << 20)
            out = path + ".out"
            self.pull(list(ids.values())[0][0], out)
            self.assertEqual(read(out), data, policy)
        self.assertGreaterEqual(sizes["none"], held["none"] - 0.05)  # the summary prints 0.1 MiB
        for policy in ("lz4", "bg4", "predict"):
            self.assertLess(sizes[policy], sizes["none"] * 0.95, (policy, sizes))
        p = run([ARGS.castor, "push", "--endpoint", self.server.url, "--no-cache",
                 "--compression", "zstd", path], check=False, env=self.env)
        self.assertEqual(p.returncode, 2)
        self.assertIn("--compression: expected one of predict, best, lz4, bg4, none", p.stderr)

    def test_2_two_servers_one_store(self):
        other = Server(ARGS.castor, self.store_uri, env=self.env)
        try:
            data = os.urandom(5 << 20)
            path = os.path.join(self.tmp, "two.bin")
            write(path, data)
            ids, _, _ = self.push(path, endpoint=other.url)
            fid = list(ids.values())[0][0]
            out = os.path.join(self.tmp, "two.out")
            self.pull(fid, out)  # through the first server
            self.assertEqual(read(out), data)
            status, body = self.server.request("HEAD", f"/v1/files/{fid}")
            self.assertEqual(status, 200)
        finally:
            other.stop()

    def xorb_and_shard(self, data):
        """A xorb and upload shard for `data`, made by `castor xorb pack`."""
        d = tempfile.mkdtemp(dir=self.tmp)
        src = os.path.join(d, "in.bin")
        write(src, data)
        run([ARGS.castor, "xorb", "pack", "-o", d, src])
        xorbs = [f for f in os.listdir(d) if f.endswith(".xorb")]
        shards = [f for f in os.listdir(d) if f.endswith(".shard")]
        self.assertEqual(len(xorbs), 1)
        xh = xorbs[0][:-5]
        return xh, read(os.path.join(d, xorbs[0])), read(os.path.join(d, shards[0]))

    def store_keys(self, prefix):
        if ARGS.store == "local":
            root = os.path.join(self.store_uri, prefix)
            keys = []
            for dirpath, _, names in os.walk(root):
                keys += [os.path.join(dirpath, n) for n in names if not n.startswith(".castor-")]
            return keys
        p = run([ARGS.castor, "store", "ls", self.store_uri, prefix], env=self.env)
        return [l for l in p.stdout.splitlines() if l.strip()]

    def test_3_hostile_uploads(self):
        data = os.urandom(300_000)
        xh, xorb, shard = self.xorb_and_shard(data)
        before_x, before_f = len(self.store_keys("xorbs/")), len(self.store_keys("files/"))
        # A xorb whose bytes do not match its hash.
        wrong = ("0" * 63 + "1")
        st, body = self.server.request("POST", f"/v1/xorbs/default/{wrong}", xorb)
        self.assertEqual(st, 400, body)
        self.assertIn(b"hash", body)
        bad = bytearray(xorb)
        bad[len(bad) // 2] ^= 0xFF
        st, _ = self.server.request("POST", f"/v1/xorbs/default/{xh}", bytes(bad))
        self.assertEqual(st, 400)
        # A shard naming a xorb that was never uploaded.
        st, body = self.server.request("POST", "/v1/shards", shard)
        self.assertEqual(st, 400)
        self.assertIn(b"not been uploaded", body)
        self.assertEqual(len(self.store_keys("xorbs/")), before_x)
        # Now the real xorb; then shards with a wrong verification hash and a wrong file id.
        st, body = self.server.request("POST", f"/v1/xorbs/default/{xh}", xorb)
        self.assertEqual((st, json.loads(body)), (200, {"was_inserted": True}))
        st, body = self.server.request("POST", f"/v1/xorbs/default/{xh}", xorb)
        self.assertEqual((st, json.loads(body)), (200, {"was_inserted": False}))
        # Verification entry of file 0, term 0: 48 (header) + 48 (file header) + 48 (one term).
        v = bytearray(shard)
        v[48 + 48 + 48] ^= 1
        st, body = self.server.request("POST", "/v1/shards", bytes(v))
        self.assertEqual(st, 400)
        self.assertIn(b"verification", body)
        f = bytearray(shard)
        f[48] ^= 1  # the file hash
        st, body = self.server.request("POST", "/v1/shards", bytes(f))
        self.assertEqual(st, 400)
        self.assertIn(b"file id", body)
        self.assertEqual(len(self.store_keys("files/")), before_f)
        # Oversized bodies are refused before they are read.
        c = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
        c.putrequest("POST", f"/v1/xorbs/default/{xh}")
        c.putheader("Content-Length", str(200 << 20))
        c.endheaders()
        r = c.getresponse()
        self.assertEqual(r.status, 413)
        c.close()
        # A truncated body (the client goes away) and a slow client write nothing.
        s = socket.create_connection(("127.0.0.1", self.server.port))
        s.sendall(f"POST /v1/xorbs/default/{'ab' * 32} HTTP/1.1\r\nHost: x\r\n"
                  f"Content-Length: {len(xorb)}\r\n\r\n".encode() + xorb[:len(xorb) // 2])
        s.close()
        slow = socket.create_connection(("127.0.0.1", self.server.port))
        slow.sendall(b"POST /v1/shards HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n")
        # The good shard is accepted and the server still serves, slow client or not.
        st, body = self.server.request("POST", "/v1/shards", shard)
        self.assertEqual((st, json.loads(body)), (200, {"result": 1}))
        slow.close()
        self.assertEqual(len(self.store_keys("xorbs/")), before_x + 1)
        st, _ = self.server.request("GET", "/v1/chunks/default/" + "00" * 32)
        self.assertEqual(st, 404)
        st, _ = self.server.request("GET", "/v1/reconstructions/" + "zz" * 32)
        self.assertEqual(st, 400)
        st, _ = self.server.request("GET", "/v2/reconstructions/" + "12" * 32)
        self.assertEqual(st, 404)

    def test_4_killed_server_leaves_no_partial_object(self):
        srv = Server(ARGS.castor, self.store_uri, env=self.env)
        try:
            xh, xorb, _ = self.xorb_and_shard(os.urandom(20 << 20))
            s = socket.create_connection(("127.0.0.1", srv.port))
            s.sendall(f"POST /v1/xorbs/default/{xh} HTTP/1.1\r\nHost: x\r\n"
                      f"Content-Length: {len(xorb)}\r\n\r\n".encode() + xorb[:len(xorb) * 3 // 4])
            time.sleep(0.3)
            srv.stop(signal.SIGKILL)
            s.close()
            self.assertFalse(any(xh in k for k in self.store_keys("xorbs/")))
        finally:
            srv.stop()
        st, _ = self.server.request("HEAD", f"/v1/xorbs/default/{xh}")
        self.assertEqual(st, 404)

    def test_5_interrupted_pull_resumes(self):
        # A file of several xorbs; a fault proxy fails every fetch of one xorb, so the pull stops
        # with the other ranges done; a second pull (no faults) fetches only what is missing.
        data = os.urandom(150 << 20)
        path = os.path.join(self.tmp, "resume.bin")
        write(path, data)
        ids, _, _ = self.push(path)
        fid = list(ids.values())[0][0]
        recon = json.loads(self.server.request("GET", f"/v2/reconstructions/{fid}")[1])
        self.assertGreater(len(recon["xorbs"]), 1)
        victim = sorted(recon["xorbs"])[-1]
        rule = [{"method": "GET", "match": victim, "action": "status", "status": 503,
                 "code": "SlowDown", "count": -1}]
        # castor serve signs data URLs with its public URL: a server whose public URL is the
        # proxy sends every fetch through it.
        pport = free_port()
        via = Server(ARGS.castor, self.store_uri, env=self.env,
                     public_url=f"http://127.0.0.1:{pport}", extra=["--proxy-data"])
        proxy = fault_proxy(pport, via.port, rule)
        out = os.path.join(self.tmp, "resume.out")
        try:
            p = self.pull(fid, out, endpoint=f"http://127.0.0.1:{pport}", check=False)
            self.assertNotEqual(p.returncode, 0)
            self.assertFalse(os.path.exists(out))
            self.assertTrue(os.path.exists(out + ".castor-partial"))
            proxy_call(pport, "/__fault__/reset", {})
            p = run([ARGS.castor, "pull", "--endpoint", f"http://127.0.0.1:{pport}", fid, "-o", out],
                    env=self.env)
            m = re.search(r"(\d+) fetched in \d+ ranges, (\d+) resumed", p.stderr)
            fetched, resumed = int(m.group(1)), int(m.group(2))
            self.assertGreater(resumed, 0)
            self.assertLess(fetched, len(data) - resumed + (1 << 20))
            self.assertEqual(read(out), data)
            self.assertFalse(os.path.exists(out + ".castor-partial"))
        finally:
            proxy.send_signal(signal.SIGTERM)
            proxy.wait()
            via.stop()

    def test_6_api_shapes_ranges_batch_v2_shards(self):
        data = os.urandom(1 << 20)
        path = os.path.join(self.tmp, "api.bin")
        write(path, data)
        ids, _, _ = self.push(path)
        fid = list(ids.values())[0][0]
        st, body = self.server.request("GET", f"/v2/reconstructions/{fid}",
                                       headers={"Range": "bytes=1000-199999"})
        self.assertEqual(st, 200)
        r = json.loads(body)
        self.assertEqual(sum(t["unpacked_length"] for t in r["terms"]) - r["offset_into_first_range"]
                         >= 199000, True)
        self.assertLess(r["offset_into_first_range"], 131072)
        for xorb, entries in r["xorbs"].items():
            for e in entries:
                for rg in e["ranges"]:
                    self.assertLessEqual(rg["bytes"]["start"], rg["bytes"]["end"])
        # Past the end: 416. v1 carries fetch_info with one URL per range.
        st, _ = self.server.request("GET", f"/v2/reconstructions/{fid}",
                                    headers={"Range": f"bytes={len(data)}-{len(data) + 10}"})
        self.assertEqual(st, 416)
        st, body = self.server.request("GET", f"/v1/reconstructions/{fid}")
        self.assertEqual(st, 200)
        v1 = json.loads(body)
        self.assertEqual(sum(t["unpacked_length"] for t in v1["terms"]), len(data))
        self.assertTrue(all("url_range" in fi for fis in v1["fetch_info"].values() for fi in fis))
        # The data URL serves exactly the signed range, and refuses others (a partial
        # reconstruction signs only the first chunks of the xorb).
        st, body = self.server.request("GET", f"/v1/reconstructions/{fid}",
                                       headers={"Range": "bytes=0-99"})
        part = json.loads(body)
        xorb, fis = next(iter(part["fetch_info"].items()))
        fi = fis[0]
        if ARGS.store == "local":
            u = fi["url"].split(str(self.server.port), 1)[1]
            rng = f"bytes={fi['url_range']['start']}-{fi['url_range']['end']}"
            st, chunk_bytes = self.server.request("GET", u, headers={"Range": rng})
            self.assertEqual(st, 206)
            self.assertEqual(len(chunk_bytes), fi["url_range"]["end"] - fi["url_range"]["start"] + 1)
            st, _ = self.server.request("GET", u, headers={
                "Range": f"bytes=0-{fi['url_range']['end'] + 1}"})
            self.assertEqual(st, 403)
            st, _ = self.server.request("GET", u.replace("Signature=", "Signature=00"),
                                        headers={"Range": rng})
            self.assertEqual(st, 403)
        # Batch, both forms.
        st, body = self.server.request("GET", f"/v1/reconstructions?file_id={fid}")
        self.assertEqual(st, 200)
        self.assertIn(fid, json.loads(body)["files"])
        st, body = self.server.request("POST", "/v1/reconstructions",
                                       json.dumps([{"prefix": "default", "hash": fid}]))
        self.assertEqual(st, 200)
        self.assertIn(fid, json.loads(body)["files"])
        # HEAD of a file gives its size; /v2/shards answers in ndjson with one terminal event.
        c = http.client.HTTPConnection("127.0.0.1", self.server.port)
        c.request("HEAD", f"/v1/files/{fid}")
        resp = c.getresponse()
        resp.read()
        self.assertEqual((resp.status, resp.getheader("Content-Length")), (200, str(len(data))))
        c.close()
        xh, xorb_bytes, shard = self.xorb_and_shard(os.urandom(100_000))
        self.assertEqual(self.server.request("POST", f"/v1/xorbs/default/{xh}", xorb_bytes)[0], 200)
        st, body = self.server.request("POST", "/v2/shards", shard)
        events = [json.loads(l) for l in body.decode().splitlines()]
        self.assertEqual(st, 200)
        self.assertEqual(events[-1], {"type": "result", "result": 1})
        bad = bytearray(shard)
        bad[48] ^= 1
        st, body = self.server.request("POST", "/v2/shards", bytes(bad))
        events = [json.loads(l) for l in body.decode().splitlines()]
        self.assertEqual(events[-1]["type"], "error")
        # The dedup endpoint answers under both prefixes for the file's first chunk.
        first_chunk = run([ARGS.castor, "chunk", path]).stdout.split()[2]
        for prefix in ("default", "default-merkledb"):
            st, body = self.server.request("GET", f"/v1/chunks/{prefix}/{first_chunk}")
            self.assertEqual(st, 200)
            self.assertEqual(body[:14], b"HFRepoMetaData")
        st, body = self.server.request("GET", "/metrics")
        self.assertEqual(st, 200)
        self.assertIn(b"castor_xorbs_total", body)

    def test_7_tokens_and_audit(self):
        audit = os.path.join(self.tmp, "audit.jsonl")
        env = dict(self.env, CASTOR_TOKENS="reader:read-secret-0123456789:read,"
                                         "writer:write-secret-0123456789:write")
        srv = Server(ARGS.castor, self.store_uri, env=env, extra=["--audit-log", audit])
        try:
            data = os.urandom(200_000)
            path = os.path.join(self.tmp, "auth.bin")
            write(path, data)
            p = run([ARGS.castor, "push", "--no-cache", "--endpoint", srv.url, path], check=False,
                    env=self.env)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn("401", p.stderr)
            p = run([ARGS.castor, "push", "--no-cache", "--endpoint", srv.url, "--token",
                     "read-secret-0123456789", path], check=False, env=self.env)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn("403", p.stderr)
            p = run([ARGS.castor, "push", "--no-cache", "--endpoint", srv.url, "--token",
                     "write-secret-0123456789", path], env=self.env)
            fid = p.stdout.split()[0]
            out = os.path.join(self.tmp, "auth.out")
            run([ARGS.castor, "pull", "-q", "--endpoint", srv.url, "--token",
                 "read-secret-0123456789", fid, "-o", out], env=self.env)
            self.assertEqual(read(out), data)
            # A short-lived CAS token from the Hub-shaped token endpoint works for pulls.
            token_url = f"{srv.url}/api/models/org/model/xet-read-token/main"
            run([ARGS.castor, "pull", "-q", "--token-url", token_url, "--hub-token",
                 "read-secret-0123456789", fid, "-o", out + "2"], env=self.env)
            self.assertEqual(read(out + "2"), data)
        finally:
            srv.stop()
        lines = [json.loads(l) for l in read(audit).decode().splitlines()]
        self.assertTrue(lines)
        text = read(audit).decode()
        self.assertNotIn("secret-0123456789", text)
        self.assertTrue(any(l.get("token_id") == "writer" for l in lines))
        self.assertTrue(any(str(l.get("status", l.get("result", ""))).startswith("4") or
                            l.get("result") == "rejected" for l in lines))


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--castor", required=True)
    ap.add_argument("--fakes", required=True)
    ap.add_argument("--store", choices=["local", "swift"], default="local")
    ap.add_argument("--s3-state")
    ARGS, rest = ap.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
