#!/usr/bin/env python3
"""castor mirror end to end against the fake Hub (tests/hub/fake_hub.py), with real processes.

  mirror_test.py --castor BIN [--s3-state DIR] [-k PATTERN]

The real Hugging Face Hub is NOT reachable from this machine: every test here runs against the
fake Hub, which speaks the Hub's API and headers. The Xet-backed files are served through a real
`castor serve`: their bytes are pushed with `castor push`, and the fake Hub's resolve answer carries
X-Xet-Hash and an xet-auth Link to castor serve's token endpoint.

Covers: plain, LFS and Xet-backed files into a directory and into S3 (moto and Swift, read back with
awscli); tree pagination; gated and private repos; missing repo / revision / file; 429 with
RateLimit (one shared wait), 500s, connections dropped mid-body; a file whose bytes do not match its
sha256 (nothing visible, reported); the Hub token never sent to the CDN nor printed; snapshots
layout with refs written last; dry run; config file and environment; a mirror killed mid-run and
run again (completes, transfers only what was missing, byte-identical; a further run transfers
nothing). castor:// destinations: a base model then a fine-tune sharing 90% of its bytes
into a castor store (the fine-tune adds about 10% new xorb bytes; every file pulls back byte for byte
through castor serve; re-runs store nothing; a corrupt file registers nothing).
"""
import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

ARGS = None
HERE = os.path.dirname(os.path.abspath(__file__))
GOOD = "hf_goodtoken_secret_0123456789"   # may read org/private and the gated repo
NOGATE = "hf_unapproved_token_abcdef"      # valid, but not approved for the gated repo


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_port(port, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listening on {port}")


def wait_file(path, timeout=20):
    deadline = time.time() + timeout
    while not os.path.exists(path):
        if time.time() > deadline:
            raise RuntimeError(f"{path} did not appear")
        time.sleep(0.05)
    with open(path) as f:
        return int(f.read())


def rand_bytes(n, seed):
    return random.Random(seed).randbytes(n)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def run(cmd, env=None, check=True, timeout=600):
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError(f"{cmd} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    return p


class Fixture:
    """castor serve (for Xet files) + the fake Hub, over a set of generated repositories."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.procs = []
        data = os.path.join(tmp, "data")
        os.makedirs(data)
        self.contents = {}

        def mk(name, content):
            p = os.path.join(data, name)
            with open(p, "wb") as f:
                f.write(content)
            self.contents[name] = content
            return p

        # castor serve on a local store, and the Xet-backed files pushed into it.
        self.serve_port = free_port()
        self.serve_log = open(os.path.join(tmp, "serve.log"), "wb")
        self.serve = subprocess.Popen(
            [ARGS.castor, "serve", "--store", os.path.join(tmp, "cas"), "--listen",
             f"127.0.0.1:{self.serve_port}"], stdout=self.serve_log, stderr=self.serve_log)
        self.procs.append(self.serve)
        wait_port(self.serve_port)
        cas = f"http://127.0.0.1:{self.serve_port}"
        xet1 = mk("xet1.safetensors", rand_bytes(3 << 20, 11))
        xet2 = mk("xet2.bin", rand_bytes(700_000, 12))
        out = run([ARGS.castor, "push", "--endpoint", cas, "--no-cache", xet1, xet2]).stdout
        ids = {}
        for line in out.splitlines():
            fid, _size, path = line.split(" ", 2)
            ids[os.path.basename(path)] = fid

        def files(prefix, n_plain=3):
            fl = []
            for i in range(n_plain):
                fl.append({"path": f"config{i}.json" if i else "config.json",
                           "file": mk(f"{prefix}-plain{i}", json.dumps({"i": i, "p": prefix}).encode() * (i + 1)),
                           "kind": "plain"})
            fl.append({"path": "sub/dir/tokenizer.json",
                       "file": mk(f"{prefix}-tok", rand_bytes(40_000, hash(prefix) & 0xFFFF)), "kind": "plain"})
            fl.append({"path": "model-00001.safetensors", "file": mk(f"{prefix}-lfs1", rand_bytes(2_500_000, 21)),
                       "kind": "lfs"})
            fl.append({"path": "weights/model-00002.safetensors", "file": mk(f"{prefix}-lfs2", rand_bytes(1_200_000, 22)),
                       "kind": "lfs"})
            return fl

        commit = lambda s: hashlib.sha1(s.encode()).hexdigest()
        self.commit = commit("org/models@1")
        main_files = files("main")
        for name, path in (("xet1.safetensors", xet1), ("xet2.bin", xet2)):
            main_files.append({"path": name, "file": path, "kind": "xet", "xet_hash": ids[name],
                               "cas": cas,
                               "xet_auth": f"{cas}/api/models/org/model/xet-read-token/{self.commit}"})
        dead = free_port()  # nothing listens here: the Xet path fails and castor falls back
        fallback = [{"path": "xet-fallback.bin", "file": xet2, "kind": "xet", "xet_hash": ids["xet2.bin"],
                     "xet_auth": f"http://127.0.0.1:{dead}/api/models/org/fallback/xet-read-token/x"}]
        corrupt = files("corrupt", 1)
        corrupt[-1]["corrupt"] = True
        big = [{"path": f"shard-{i:02d}.bin", "file": mk(f"big{i}", rand_bytes(4 << 20, 100 + i)),
                "kind": "lfs"} for i in range(12)]
        # A base model and a fine-tune sharing 90% of its weight bytes (the tensors in the middle
        # 10% rewritten), for the castor:// destination.
        base_model = rand_bytes(16 << 20, 31)
        tuned_model = bytearray(base_model)
        region = len(base_model) // 10
        off = (len(base_model) - region) // 2
        tuned_model[off:off + region] = rand_bytes(region, 40)
        self.base_model_size = len(base_model)
        base = [{"path": "config.json", "file": mk("base-config", b'{"model_type": "base"}'), "kind": "plain"},
                {"path": "model.safetensors", "file": mk("base-model", base_model), "kind": "lfs"},
                {"path": "empty.txt", "file": mk("base-empty", b""), "kind": "plain"}]
        tuned = [{"path": "config.json", "file": mk("tuned-config", b'{"model_type": "tuned"}'), "kind": "plain"},
                 {"path": "model.safetensors", "file": mk("tuned-model", bytes(tuned_model)), "kind": "lfs"},
                 {"path": "empty.txt", "file": mk("tuned-empty", b""), "kind": "plain"}]
        # The same two models Xet-backed on the upstream CAS, the fine-tune pushed after the base,
        # so its reconstruction points into the base's xorb for the 90% they share (as on the Hub).
        xet_models = {}
        for name, path in (("xbase", base[1]["file"]), ("xtuned", tuned[1]["file"])):
            out = run([ARGS.castor, "push", "--endpoint", cas, "--cache-dir",
                       os.path.join(tmp, "push-cache"), path]).stdout
            rid = "org/" + name
            xet_models[rid] = [
                {"path": "config.json", "file": mk(name + "-config", json.dumps({"m": name}).encode()),
                 "kind": "plain"},
                {"path": "model.safetensors", "file": path, "kind": "xet", "xet_hash": out.split(" ", 1)[0],
                 "cas": cas, "xet_auth": f"{cas}/api/models/{rid}/xet-read-token/{commit(rid)}"}]
        self.spec = {
            "page_size": 3,
            "tokens": {GOOD: {"repos": ["org/private"]}, NOGATE: {"repos": []}},
            "repos": [
                {"type": "model", "id": "org/model", "commit": self.commit,
                 "refs": {"main": self.commit, "v1.0": self.commit, "refs/pr/1": self.commit},
                 "files": main_files},
                {"type": "dataset", "id": "org/data", "commit": commit("data"),
                 "refs": {"main": commit("data")}, "files": files("data", 1)},
                {"type": "model", "id": "org/private", "commit": commit("priv"), "private": True,
                 "refs": {"main": commit("priv")}, "files": files("priv", 1)},
                {"type": "model", "id": "org/gated", "commit": commit("gated"), "gated": True,
                 "approved": [GOOD], "refs": {"main": commit("gated")}, "files": files("gated", 1)},
                {"type": "model", "id": "org/corrupt", "commit": commit("corrupt"),
                 "refs": {"main": commit("corrupt")}, "files": corrupt},
                {"type": "model", "id": "org/fallback", "commit": commit("fallback"),
                 "refs": {"main": commit("fallback")}, "files": fallback},
                {"type": "model", "id": "org/big", "commit": commit("big"),
                 "refs": {"main": commit("big")}, "files": big},
                {"type": "model", "id": "org/base", "commit": commit("base"),
                 "refs": {"main": commit("base")}, "files": base},
                {"type": "model", "id": "org/tuned", "commit": commit("tuned"),
                 "refs": {"main": commit("tuned"), "v1": commit("tuned")}, "files": tuned},
            ] + [{"type": "model", "id": rid, "commit": commit(rid), "refs": {"main": commit(rid)},
                  "files": fl} for rid, fl in xet_models.items()]}
        spec_path = os.path.join(tmp, "spec.json")
        with open(spec_path, "w") as f:
            json.dump(self.spec, f)
        pf, cf = os.path.join(tmp, "hub.port"), os.path.join(tmp, "cdn.port")
        self.hub = subprocess.Popen([sys.executable, os.path.join(HERE, "fake_hub.py"), "--spec", spec_path,
                                     "--port-file", pf, "--cdn-port-file", cf])
        self.procs.append(self.hub)
        self.hub_url = f"http://127.0.0.1:{wait_file(pf)}"
        wait_file(cf)

    def repo(self, rid):
        return next(r for r in self.spec["repos"] if r["id"] == rid)

    def call(self, path, body=None):
        req = urllib.request.Request(self.hub_url + path, data=json.dumps(body).encode() if body is not None else None,
                                     method="POST" if body is not None else "GET")
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()


FX = None


def setUpModule():
    global FX
    FX = Fixture(tempfile.mkdtemp(prefix="castor-mirror-"))


def tearDownModule():
    if FX:
        FX.stop()
        shutil.rmtree(FX.tmp, ignore_errors=True)


class MirrorBase(unittest.TestCase):
    def env(self, token=None, **extra):
        e = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "CASTOR_MIRROR"))}
        e["HF_ENDPOINT"] = FX.hub_url
        e["HOME"] = FX.tmp  # no stray ~/.cache/huggingface/token
        if token:
            e["HF_TOKEN"] = token
        e.update(extra)
        return e

    def mirror(self, *args, token=None, check=True, env=None, **kw):
        p = run([ARGS.castor, "mirror", "--no-progress", *args], env=env or self.env(token), check=False, **kw)
        if check and p.returncode != 0:
            raise AssertionError(f"castor mirror {args} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
        return p

    def dest(self, name):
        d = os.path.join(FX.tmp, "dest-" + name + "-" + str(random.randrange(1 << 30)))
        return d

    def report(self, path):
        with open(path) as f:
            return json.load(f)

    def assert_repo(self, root, rid, prefix=None):
        r = FX.repo(rid)
        base = os.path.join(root, prefix if prefix is not None else
                            (rid if r["type"] == "model" else r["type"] + "s/" + rid))
        for fe in r["files"]:
            got = read(os.path.join(base, fe["path"]))
            self.assertEqual(got, read(fe["file"]), fe["path"])


class LocalDirectory(MirrorBase):
    def test_plain_lfs_and_xet_files_with_paginated_tree(self):
        FX.call("/__reset__", {})
        d = self.dest("main")
        rep = os.path.join(FX.tmp, "main-report.json")
        p = self.mirror("org/model", "--to", d, "--report", rep, token=GOOD)
        self.assert_repo(d, "org/model")
        j = self.report(rep)
        self.assertTrue(j["ok"])
        files = {f["path"]: f for f in j["repos"][0]["files"]}
        self.assertEqual(len(files), len(FX.repo("org/model")["files"]))  # all pages followed
        self.assertEqual(files["config.json"]["via"], "direct")
        self.assertEqual(files["model-00001.safetensors"]["via"], "redirect")
        self.assertEqual(files["xet1.safetensors"]["via"], "xet")
        self.assertEqual(files["xet2.bin"]["via"], "xet")
        for f in files.values():
            self.assertEqual(f["result"], "copied")
            self.assertEqual(f["sha256"], hashlib.sha256(read(os.path.join(d, "org/model", f["path"]))).hexdigest())
        # Manifest written, commit pinned.
        with open(os.path.join(d, ".castor/manifests/org/model", FX.commit + ".json")) as f:
            man = json.load(f)
        self.assertEqual(man["commit"], FX.commit)
        self.assertEqual({f["path"] for f in man["files"]}, set(files))
        self.assertTrue(any(f.get("xet_hash") for f in man["files"]))
        # The Hub token never reached the CDN, and is never printed.
        stats = FX.call("/__stats__")
        self.assertEqual(stats["leaked_auth"], 0)
        self.assertTrue(any(e["auth"] for e in stats["log"]), "the Hub itself did get the token")
        self.assertNotIn(GOOD, p.stdout + p.stderr)
        self.assertNotIn(GOOD[:8], p.stdout + p.stderr)
        self.assertIn("token from HF_TOKEN", p.stderr)

        # A second run transfers nothing and says so; no file body is requested.
        FX.call("/__reset__", {})
        rep2 = os.path.join(FX.tmp, "main-report2.json")
        p2 = self.mirror("org/model", "--to", d, "--report", rep2)
        self.assertIn("nothing to transfer", p2.stderr)
        j2 = self.report(rep2)
        self.assertEqual(j2["files_copied"], 0)
        self.assertEqual(j2["bytes_transferred"], 0)
        self.assertEqual(FX.call("/__stats__")["file_bytes"], 0)
        self.assertFalse([e for e in FX.call("/__stats__")["log"] if "/resolve/" in e["path"]])

        # A file changed behind castor's back is copied again (ETag no longer matches the record).
        victim = os.path.join(d, "org/model/config.json")
        with open(victim, "wb") as f:
            f.write(b"tampered")
        rep3 = os.path.join(FX.tmp, "main-report3.json")
        self.mirror("org/model", "--to", d, "--report", rep3)
        self.assertEqual(self.report(rep3)["files_copied"], 1)
        self.assert_repo(d, "org/model")

    def test_revisions_dataset_and_refs_pr(self):
        d = self.dest("rev")
        self.mirror("datasets/org/data@main", "org/model@refs/pr/1", "--to", d, "--include", "*.json")
        self.assertTrue(os.path.exists(os.path.join(d, "datasets/org/data/config.json")))
        self.assertTrue(os.path.exists(os.path.join(d, "org/model/sub/dir/tokenizer.json")))
        self.assertFalse(os.path.exists(os.path.join(d, "org/model/model-00001.safetensors")))
        self.assertEqual(read(os.path.join(d, "org/model/config.json")),
                         read(FX.repo("org/model")["files"][0]["file"]))

    def test_include_exclude(self):
        d = self.dest("glob")
        self.mirror("org/model", "--to", d, "--include", "*.safetensors", "--exclude", "weights/*")
        got = sorted(os.path.relpath(os.path.join(dp, f), os.path.join(d, "org/model"))
                     for dp, _, fs in os.walk(os.path.join(d, "org/model")) for f in fs)
        self.assertEqual(got, ["model-00001.safetensors", "xet1.safetensors"])

    def test_dry_run(self):
        d = self.dest("dry")
        p = self.mirror("org/model", "--to", d, "--dry-run", "--include", "model-*")
        self.assertIn("would-copy", p.stdout)
        self.assertIn("org/model/model-00001.safetensors", p.stdout)
        self.assertIn("2.4 MiB to fetch", p.stderr)
        self.assertFalse(os.path.exists(os.path.join(d, "org/model")))
        self.mirror("org/model", "--to", d, "--include", "model-*")
        p = self.mirror("org/model", "--to", d, "--dry-run", "--include", "model-*")
        self.assertIn("present", p.stdout)
        self.assertIn("0 files (0 B to fetch)", p.stderr)

    def test_snapshots_layout(self):
        d = self.dest("snap")
        self.mirror("org/model@v1.0", "--to", d, "--layout", "snapshots")
        self.assert_repo(d, "org/model", prefix=f"org/model/snapshots/{FX.commit}")
        self.assertEqual(read(os.path.join(d, "org/model/refs/v1.0")).decode(), FX.commit)

    def test_config_file_and_environment(self):
        d = self.dest("cfg")
        cfg = os.path.join(FX.tmp, "mirror.toml")
        with open(cfg, "w") as f:
            f.write(f'''
to = "{d}"
jobs = 2
exclude = ["*.bin"]
[[repos]]
name = "org/model"
revision = "v1.0"
include = ["*.json"]
[[repos]]
name = "org/data"
type = "dataset"
''')
        self.mirror(env=self.env(CASTOR_MIRROR_CONFIG=cfg))
        self.assertTrue(os.path.exists(os.path.join(d, "org/model/config.json")))
        self.assertFalse(os.path.exists(os.path.join(d, "org/model/model-00001.safetensors")))
        self.assertTrue(os.path.exists(os.path.join(d, "datasets/org/data/model-00001.safetensors")))
        # The environment overrides the file; flags override the environment.
        d2 = self.dest("env")
        self.mirror("--config", cfg, env=self.env(CASTOR_MIRROR_TO=d2, CASTOR_MIRROR_REPOS="org/private",
                                                  HF_TOKEN=GOOD))
        self.assert_repo(d2, "org/private")
        bad = os.path.join(FX.tmp, "bad.toml")
        with open(bad, "w") as f:
            f.write('to = "x"\njbos = 3\n')
        p = self.mirror("--config", bad, check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn("unknown key 'jbos'", p.stderr)

    def test_xet_falls_back_to_redirect(self):
        d = self.dest("fb")
        rep = os.path.join(FX.tmp, "fb.json")
        self.mirror("org/fallback", "--to", d, "--report", rep)
        self.assert_repo(d, "org/fallback")
        self.assertEqual(self.report(rep)["repos"][0]["files"][0]["via"], "xet->redirect")


class Errors(MirrorBase):
    def test_unresolvable_endpoint_fails_in_seconds_and_says_why(self):
        start = time.monotonic()
        p = self.mirror("org/model", "--to", self.dest("nodns"), check=False,
                        env=self.env(HF_ENDPOINT="http://castor-no-such-host.invalid"))
        took = time.monotonic() - start
        self.assertNotEqual(p.returncode, 0)
        out = p.stdout + p.stderr
        self.assertIn("cannot resolve host", out)
        self.assertIn("HF_ENDPOINT", out)
        # Each retry is logged, and a failed lookup gets two, not the default eight.
        self.assertIn("retry 1 of 2", p.stderr)
        self.assertIn("retry 2 of 2", p.stderr)
        self.assertNotIn("retry 3 of", p.stderr)
        self.assertLess(took, 20, out)

    def test_gated_repo(self):
        d = self.dest("gated")
        p = self.mirror("org/gated", "--to", d, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("gated", p.stdout)
        p = self.mirror("org/gated", "--to", d, token=NOGATE, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("accept its terms", p.stdout)
        self.assertNotIn(NOGATE, p.stdout + p.stderr)
        self.mirror("org/gated", "--to", d, token=GOOD)
        self.assert_repo(d, "org/gated")

    def test_private_repo_and_token_file(self):
        d = self.dest("priv")
        p = self.mirror("org/private", "--to", d, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("requires a token", p.stdout)
        p = self.mirror("org/private", "--to", d, token="hf_not_a_real_token", check=False)
        self.assertIn("token was rejected", p.stdout)
        tf = os.path.join(FX.tmp, "tokenfile")
        with open(tf, "w") as f:
            f.write(GOOD + "\n")
        p = self.mirror("org/private", "--to", d, "--token-file", tf)
        self.assertNotIn(GOOD, p.stdout + p.stderr)
        self.assert_repo(d, "org/private")
        # The Hub CLI's token file is the last resort.
        os.makedirs(os.path.join(FX.tmp, "hfhome"), exist_ok=True)
        shutil.copy(tf, os.path.join(FX.tmp, "hfhome", "token"))
        d2 = self.dest("priv2")
        self.mirror("org/private", "--to", d2, env=self.env(HF_HOME=os.path.join(FX.tmp, "hfhome")))
        self.assert_repo(d2, "org/private")

    def test_missing_repo_revision_file(self):
        d = self.dest("missing")
        p = self.mirror("org/nope", "--to", d, token=GOOD, check=False)
        self.assertIn("repository not found", p.stdout)
        p = self.mirror("org/model@nobranch", "--to", d, check=False)
        self.assertIn("revision not found", p.stdout)
        p = self.mirror("not/a/repo/at/all", "--to", d, check=False)
        self.assertEqual(p.returncode, 2)

    def test_corrupt_file_is_never_visible(self):
        d = self.dest("corrupt")
        rep = os.path.join(FX.tmp, "corrupt.json")
        p = self.mirror("org/corrupt", "--to", d, "--report", rep, check=False)
        self.assertEqual(p.returncode, 1)
        bad = next(f for f in self.report(rep)["repos"][0]["files"] if f["result"] == "failed")
        self.assertIn("sha256 mismatch", bad["error"])
        self.assertFalse(os.path.exists(os.path.join(d, "org/corrupt", bad["path"])))
        self.assertTrue(os.path.exists(os.path.join(d, "org/corrupt/config.json")))
        self.assertFalse(os.path.exists(os.path.join(d, ".castor/manifests/org/corrupt")))
        self.assertIn("INCOMPLETE", p.stdout)

    def test_rate_limit_waits_as_told_once_for_all_workers(self):
        FX.call("/__reset__", {})
        FX.call("/__fault__", {"rate_limit": 3, "reset": 2})
        d = self.dest("429")
        t0 = time.time()
        self.mirror("org/big", "--to", d, "--jobs", "8")
        self.assertGreaterEqual(time.time() - t0, 2.0)
        self.assert_repo(d, "org/big")
        stats = FX.call("/__stats__")
        self.assertEqual(sum(1 for e in stats["log"] if e["status"] == 429), 3)
        # Nobody knocked while the gate was closed.
        self.assertEqual(stats["requests_while_blocked"], 0)

    def test_500s_and_dropped_connections_are_retried(self):
        FX.call("/__fault__", {"error_500": 3, "drop": 3})
        d = self.dest("flaky")
        rep = os.path.join(FX.tmp, "flaky.json")
        self.mirror("org/big", "--to", d, "--report", rep)
        self.assert_repo(d, "org/big")
        self.assertTrue(self.report(rep)["ok"])


    def test_stalled_transfer_is_cut_and_retried(self):
        FX.call("/__fault__", {"stall": 2, "stall_seconds": 20})
        d = self.dest("stall")
        cfg = os.path.join(FX.tmp, "stall.toml")
        with open(cfg, "w") as f:
            f.write("stall_timeout_s = 2\n")
        t0 = time.time()
        self.mirror("org/big", "--to", d, "--config", cfg)
        self.assertLess(time.time() - t0, 15)  # did not wait for the 20 s silence to end
        self.assert_repo(d, "org/big")
        self.assertEqual(sum(1 for e in FX.call("/__stats__")["log"] if e["status"] == -2), 2)


class KillAndResume(MirrorBase):
    def test_killed_mirror_resumes_and_is_byte_identical(self):
        d = self.dest("kill")
        FX.call("/__fault__", {"throttle": 8 << 20})
        try:
            p = subprocess.Popen([ARGS.castor, "mirror", "--no-progress", "org/big", "--to", d, "--jobs", "2"],
                                 env=self.env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            state = os.path.join(d, ".castor/state/org/big")
            done = lambda s: [f for f in os.listdir(s) if f.endswith(".json") and not f.startswith(".")]
            deadline = time.time() + 60
            while time.time() < deadline:
                if os.path.isdir(state) and len(done(state)) >= 3:
                    break
                time.sleep(0.05)
            p.send_signal(signal.SIGKILL)
            p.wait()
        finally:
            FX.call("/__fault__", {"throttle": 0})
        done_before = len(done(state))
        self.assertLess(done_before, 12, "the kill came too late to test anything")
        rep = os.path.join(FX.tmp, "resume.json")
        self.mirror("org/big", "--to", d, "--report", rep)
        j = self.report(rep)
        self.assertEqual(j["files_present"], done_before)
        self.assertEqual(j["files_copied"], 12 - done_before)
        self.assertEqual(j["bytes_transferred"], (12 - done_before) * (4 << 20))
        self.assert_repo(d, "org/big")
        # Nothing visible is left over from the killed run besides finished files (the local
        # store's hidden .castor-tmp-* files of the killed process are not objects).
        leftovers = [f for f in os.listdir(os.path.join(d, "org/big"))
                     if not f.startswith(("shard-", ".castor-tmp-"))]
        self.assertEqual(leftovers, [])
        p = self.mirror("org/big", "--to", d)
        self.assertIn("nothing to transfer", p.stderr)


def tree_bytes(root):
    total = 0
    for d, _, fs in os.walk(root):
        total += sum(os.path.getsize(os.path.join(d, f)) for f in fs)
    return total


class CastorStore(MirrorBase):
    """castor:// destinations: files stored deduplicated as Xet file ids, served by castor serve."""

    def manifest(self, store, rid, rev="main"):
        with open(os.path.join(store, "mirrors", rid, "refs", rev)) as f:
            commit = f.read()
        self.assertEqual(commit, FX.repo(rid)["commit"])
        return self.report(os.path.join(store, "mirrors", rid, commit + ".json"))

    def test_fine_tune_stores_only_its_new_chunks_and_serves_every_file(self):
        store = self.dest("castor")
        rep = os.path.join(FX.tmp, "castor-base.json")
        self.mirror("org/base", "--to", "castor://" + store, "--report", rep)
        self.assertEqual(self.report(rep)["files_copied"], 3)
        base_xorbs = tree_bytes(os.path.join(store, "xorbs"))
        self.assertGreaterEqual(base_xorbs, FX.base_model_size)

        rep = os.path.join(FX.tmp, "castor-tuned.json")
        p = self.mirror("org/tuned@v1", "org/tuned", "--to", "castor://" + store, "--report", rep)
        added = tree_bytes(os.path.join(store, "xorbs")) - base_xorbs
        ratio = added / FX.base_model_size
        print(f"\ncastor:// fine-tune sharing 90% of its chunks: base stored {base_xorbs} xorb bytes, "
              f"the fine-tune added {added} ({ratio:.1%} of its {FX.base_model_size}-byte weights)",
              file=sys.stderr)
        # The rewritten 10% plus the chunks straddling its two edges (a chunk is 8..128 KiB).
        self.assertGreaterEqual(ratio, 0.10)
        self.assertLess(ratio, 0.10 + 3 * 128 * 1024 / FX.base_model_size, p.stderr)
        j = self.report(rep)
        self.assertEqual(j["files_copied"], 3)   # v1 copies; main (same commit) finds them recorded
        self.assertEqual(j["files_present"], 3)

        # Recorded revisions; every file id pulls back byte for byte from castor serve.
        port = free_port()
        serve = subprocess.Popen([ARGS.castor, "serve", "--store", store, "--listen", f"127.0.0.1:{port}"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_port(port)
            for rid in ("org/base", "org/tuned"):
                m = self.manifest(store, rid)
                self.assertEqual(self.manifest(store, rid, "v1") if rid == "org/tuned" else m, m)
                by_path = {fe["path"]: fe for fe in FX.repo(rid)["files"]}
                self.assertEqual(sorted(f["path"] for f in m["files"]), sorted(by_path))
                for f in m["files"]:
                    want = read(by_path[f["path"]]["file"])
                    self.assertEqual(f["size"], len(want))
                    self.assertEqual(f["sha256"], hashlib.sha256(want).hexdigest())
                    if not want:
                        self.assertEqual(f["file_id"], "0" * 64)
                        continue
                    out = os.path.join(FX.tmp, "pulled-" + f["file_id"])
                    run([ARGS.castor, "pull", "--endpoint", f"http://127.0.0.1:{port}", "-q", f["file_id"],
                         "-o", out])
                    self.assertEqual(read(out), want, f"{rid}/{f['path']}")
        finally:
            serve.send_signal(signal.SIGTERM)
            serve.wait(timeout=20)

        # The same two revisions as plain files (the directory destination), for comparison.
        plain = self.dest("castor-peer")
        self.mirror("org/base", "org/tuned", "--to", plain)
        print(f"castor:// store holds {tree_bytes(store)} bytes in all for both revisions; a directory "
              f"mirror of the same revisions holds {tree_bytes(plain)}", file=sys.stderr)
        self.assertLess(tree_bytes(store), 0.6 * tree_bytes(plain))

        # Idempotent: a re-run finds every file recorded and stores nothing.
        before = tree_bytes(store)
        p = self.mirror("org/base", "org/tuned", "--to", "castor://" + store)
        self.assertIn("nothing to transfer", p.stderr)
        self.assertEqual(tree_bytes(store), before)

    def test_xet_fine_tune_reads_shared_chunks_from_the_store(self):
        """A Xet-backed fine-tune fetches only the chunks the store does not hold yet."""
        def upstream_sent():
            with urllib.request.urlopen(f"http://127.0.0.1:{FX.serve_port}/metrics", timeout=10) as r:
                return sum(float(line.rsplit(" ", 1)[1]) for line in r.read().decode().splitlines()
                           if line.startswith("castor_http_sent_bytes_total"))

        store = self.dest("castor-xet")
        size = FX.base_model_size
        rep = os.path.join(FX.tmp, "castor-xbase.json")
        sent = upstream_sent()
        self.mirror("org/xbase", "--to", "castor://" + store, "--report", rep)
        base_sent = upstream_sent() - sent
        model = next(f for f in self.report(rep)["repos"][0]["files"] if f["path"] == "model.safetensors")
        self.assertEqual(model["via"], "xet")
        self.assertNotIn("bytes_reused", model)   # an empty store: every byte from the Hub
        self.assertGreaterEqual(base_sent, size)

        # A dry run asks for the reconstruction only, and says what would come from where.
        rep = os.path.join(FX.tmp, "castor-xtuned-dry.json")
        sent = upstream_sent()
        p = self.mirror("org/xtuned", "--to", "castor://" + store, "--dry-run", "--report", rep)
        self.assertLess(upstream_sent() - sent, 64 << 10)
        line = next(l for l in p.stdout.splitlines() if "model.safetensors" in l)
        self.assertIn("from the store", line)
        dry = self.report(rep)
        dry_model = next(f for f in dry["repos"][0]["files"] if f["path"] == "model.safetensors")
        self.assertGreaterEqual(dry_model["bytes_reused"], 0.8 * size)
        self.assertEqual(dry["bytes_reused"], dry_model["bytes_reused"])
        self.assertLess(dry["bytes_transferred"], 0.2 * size + 1000)
        self.assertIn("from the store", p.stderr)

        rep = os.path.join(FX.tmp, "castor-xtuned.json")
        sent = upstream_sent()
        p = self.mirror("org/xtuned", "--to", "castor://" + store, "--report", rep)
        tuned_sent = upstream_sent() - sent
        j = self.report(rep)
        model = next(f for f in j["repos"][0]["files"] if f["path"] == "model.safetensors")
        print(f"\ncastor:// Xet fine-tune sharing 90% with its base: the base took {base_sent:.0f} bytes "
              f"from the upstream CAS, the fine-tune {tuned_sent:.0f} ({tuned_sent / size:.1%} of its "
              f"{size}-byte weights; {model['bytes_reused']} bytes read from the store)", file=sys.stderr)
        # The shared 90% comes from the store (all of it but the terms that straddle the edit);
        # the network carries the rewritten 10% and those edges.
        self.assertGreaterEqual(model["bytes_reused"], 0.8 * size, p.stderr)
        self.assertEqual(model["bytes"] + model["bytes_reused"], size)
        self.assertEqual(j["bytes_reused"], model["bytes_reused"])
        self.assertEqual(dry_model["bytes_reused"], model["bytes_reused"])   # the dry run was right
        self.assertLess(tuned_sent, 0.2 * size)
        self.assertIn("bytes read from the store instead of the Hub", p.stderr)

        # What was stored is the fine-tune, byte for byte: pulled back from the store.
        port = free_port()
        serve = subprocess.Popen([ARGS.castor, "serve", "--store", store, "--listen", f"127.0.0.1:{port}"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_port(port)
            out = os.path.join(FX.tmp, "pulled-xtuned")
            fid = model["key"].split(":", 1)[1]
            run([ARGS.castor, "pull", "--endpoint", f"http://127.0.0.1:{port}", "-q", fid, "-o", out])
            self.assertEqual(read(out), read(FX.repo("org/xtuned")["files"][1]["file"]))
        finally:
            serve.send_signal(signal.SIGTERM)
            serve.wait(timeout=20)

    def test_corrupt_file_registers_nothing(self):
        store = self.dest("castor-corrupt")
        p = self.mirror("org/corrupt", "--to", "castor://" + store, check=False)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("sha256 mismatch", p.stdout)
        # No file list, no ref; the good files are registered and recorded, the corrupt one is not.
        self.assertFalse(os.path.exists(os.path.join(store, "mirrors", "org/corrupt")))
        state = os.path.join(store, "mirrors", ".state", "org/corrupt", FX.repo("org/corrupt")["commit"])
        recorded = sorted(os.path.relpath(os.path.join(d, f), state)[:-len(".json")]
                          for d, _, fs in os.walk(state) for f in fs if not f.startswith("."))
        files = FX.repo("org/corrupt")["files"]
        self.assertEqual(recorded, sorted(fe["path"] for fe in files if not fe.get("corrupt")))
        self.assertEqual(len(os.listdir(os.path.join(store, "files"))), len(recorded))

    def test_bad_castor_destination_is_a_usage_error(self):
        p = self.mirror("org/base", "--to", "castor://", check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn("castor:// needs a store", p.stderr)


class RealHub(MirrorBase):
    def test_readme_command_against_the_real_hub(self):
        """`castor mirror openai-community/gpt2 --to ./models`, against https://huggingface.co."""
        d = self.dest("real")
        cfg = os.path.join(FX.tmp, "real.toml")
        with open(cfg, "w") as f:
            f.write("retries = 0\nstall_timeout_s = 10\n")
        env = {k: v for k, v in self.env().items() if k != "HF_ENDPOINT"}
        p = self.mirror("openai-community/gpt2", "--to", d, "--include", "config.json", "--config", cfg,
                        env=env, check=False, timeout=120)
        self.assertIn("Hub https://huggingface.co", p.stderr)
        if p.returncode != 0:
            self.assertIn("unavailable", p.stdout + p.stderr)
            self.skipTest("THE REAL HUGGING FACE HUB WAS NOT REACHABLE from this machine (no internet); "
                          "castor mirror was only exercised against the fake Hub. castor said: "
                          + (p.stdout.strip().splitlines() or [""])[-1][:300])
        with open(os.path.join(d, "openai-community/gpt2/config.json")) as f:
            self.assertEqual(json.load(f)["model_type"], "gpt2")


class S3(MirrorBase):
    def s3(self, server):
        if not ARGS.s3_state:
            self.skipTest("no --s3-state (S3 servers not started)")
        port = read(os.path.join(ARGS.s3_state, f"{server}.port")).decode().strip()
        creds = ({"AWS_ACCESS_KEY_ID": "test:tester", "AWS_SECRET_ACCESS_KEY": "testing"} if server == "swift"
                 else {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"})
        creds.update(AWS_DEFAULT_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true")
        return port, creds

    def roundtrip(self, server):
        port, creds = self.s3(server)
        prefix = f"mirror-{os.getpid()}-{random.randrange(1 << 30)}"
        uri = f"s3://castor-test/{prefix}?region=us-east-1&endpoint=http://127.0.0.1:{port}&path_style=1"
        env = self.env(GOOD, **creds)
        rep = os.path.join(FX.tmp, f"s3-{server}.json")
        self.mirror("org/model", "--to", uri, "--layout", "snapshots", "--report", rep, env=env)
        out = os.path.join(FX.tmp, f"readback-{server}")
        aws_env = {k: v for k, v in env.items() if k != "AWS_CA_BUNDLE"}
        run(["aws", "--endpoint-url", f"http://127.0.0.1:{port}", "s3", "cp", "--recursive", "--quiet",
             f"s3://castor-test/{prefix}/", out], env=aws_env)
        self.assert_repo(out, "org/model", prefix=f"org/model/snapshots/{FX.commit}")
        self.assertEqual(read(os.path.join(out, "org/model/refs/main")).decode(), FX.commit)
        p = self.mirror("org/model", "--to", uri, "--layout", "snapshots", env=env)
        self.assertIn("nothing to transfer", p.stderr)
        # A corrupt file: the multipart upload is aborted, nothing is visible.
        self.mirror("org/corrupt", "--to", uri, env=env, check=False)
        ls = run(["aws", "--endpoint-url", f"http://127.0.0.1:{port}", "s3", "ls", "--recursive",
                  f"s3://castor-test/{prefix}/org/corrupt/"], env=aws_env, check=False).stdout
        self.assertIn("config.json", ls)
        self.assertNotIn("model-00002", ls)  # the corrupt one

    def test_moto(self):
        self.roundtrip("moto")

    def test_castor_store_on_moto(self):
        """castor://s3://...: the base and the fine-tune into a castor store on S3, pulled back."""
        port, creds = self.s3("moto")
        prefix = f"cas-{os.getpid()}-{random.randrange(1 << 30)}"
        store = f"s3://castor-test/{prefix}?region=us-east-1&endpoint=http://127.0.0.1:{port}&path_style=1"
        env = self.env(None, **creds)
        self.mirror("org/base", "org/tuned", "--to", "castor://" + store, env=env)
        p = self.mirror("org/base", "org/tuned", "--to", "castor://" + store, env=env)
        self.assertIn("nothing to transfer", p.stderr)
        # Xet-backed: the fine-tune's shared chunks are read back from the S3 store, not fetched.
        rep = os.path.join(FX.tmp, f"cas-s3-xet-{prefix}.json")
        self.mirror("org/xbase", "org/xtuned", "--to", "castor://" + store, "--report", rep, env=env)
        tuned = next(r for r in self.report(rep)["repos"] if r["repo"] == "org/xtuned")
        xmodel = next(f for f in tuned["files"] if f["path"] == "model.safetensors")
        self.assertGreaterEqual(xmodel.get("bytes_reused", 0), 0.8 * FX.base_model_size)
        aws_env = {k: v for k, v in env.items() if k != "AWS_CA_BUNDLE"}
        get = lambda key: run(["aws", "--endpoint-url", f"http://127.0.0.1:{port}", "s3", "cp", "--quiet",
                               f"s3://castor-test/{prefix}/{key}", "-"], env=aws_env).stdout
        commit = get("mirrors/org/tuned/refs/main")
        self.assertEqual(commit, FX.repo("org/tuned")["commit"])
        m = json.loads(get(f"mirrors/org/tuned/{commit}.json"))
        model = next(f for f in m["files"] if f["path"] == "model.safetensors")
        serve_port = free_port()
        serve = subprocess.Popen([ARGS.castor, "serve", "--store", store, "--listen", f"127.0.0.1:{serve_port}"],
                                 env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_port(serve_port)
            out = os.path.join(FX.tmp, "pulled-s3-" + model["file_id"])
            run([ARGS.castor, "pull", "--endpoint", f"http://127.0.0.1:{serve_port}", "-q", model["file_id"],
                 "-o", out])
            want = next(fe for fe in FX.repo("org/tuned")["files"] if fe["path"] == "model.safetensors")
            self.assertEqual(read(out), read(want["file"]))
        finally:
            serve.send_signal(signal.SIGTERM)
            serve.wait(timeout=20)

    def test_swift(self):
        self.roundtrip("swift")

    def aws(self, port, creds, *args, check=True):
        env = {k: v for k, v in self.env(None, **creds).items() if k != "AWS_CA_BUNDLE"}
        return run(["aws", "--endpoint-url", f"http://127.0.0.1:{port}", *args], env=env, check=check)

    def uploads(self, port, creds, prefix):
        out = self.aws(port, creds, "s3api", "list-multipart-uploads", "--bucket", "castor-test",
                       "--prefix", prefix + "/", "--output", "json").stdout
        return [(u["Key"], u["UploadId"]) for u in (json.loads(out) if out.strip() else {}).get("Uploads", [])]

    def killed_mid_file(self, server):
        """SIGKILL while a 16 MiB file is a multipart upload: the upload stays behind, listed; a dry
        run names it; the next run aborts it (listed no more) and completes, byte-identical."""
        port, creds = self.s3(server)
        prefix = f"kill-{os.getpid()}-{random.randrange(1 << 30)}"
        uri = f"s3://castor-test/{prefix}?region=us-east-1&endpoint=http://127.0.0.1:{port}&path_style=1"
        env = self.env(None, **creds)
        key = f"{prefix}/org/base/model.safetensors"
        cfg = os.path.join(FX.tmp, "kill-parts.toml")
        with open(cfg, "w") as f:
            f.write("part_size_mib = 8\n")  # two parts: the file is a multipart upload, not one PUT
        FX.call("/__fault__", {"throttle": 2 << 20})  # 16 MiB in 8 s; parts of 8 MiB
        try:
            p = subprocess.Popen([ARGS.castor, "mirror", "--no-progress", "org/base", "--to", uri, "--jobs", "1",
                                  "--config", cfg],
                                 env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.time() + 60
            while time.time() < deadline and not any(k == key for k, _ in self.uploads(port, creds, prefix)):
                time.sleep(0.2)
            p.send_signal(signal.SIGKILL)
            p.wait()
        finally:
            FX.call("/__fault__", {"throttle": 0})
        left = self.uploads(port, creds, prefix)
        self.assertEqual([k for k, _ in left], [key], "the kill came too late (or too early) to test anything")
        upload_id = left[0][1]
        ls = self.aws(port, creds, "s3", "ls", "--recursive", f"s3://castor-test/{prefix}/", check=False).stdout
        self.assertNotIn("model.safetensors", ls)  # never visible
        time.sleep(1.1)  # uploads count as stale when they started in an earlier second than the run

        rep = os.path.join(FX.tmp, f"kill-dry-{server}.json")
        p = self.mirror("org/base", "--to", uri, "--dry-run", "--report", rep, env=env)
        self.assertIn("would abort an incomplete upload left by an earlier run: org/base/model.safetensors "
                      f"(upload {upload_id}, started ", p.stderr)
        self.assertEqual(self.report(rep)["stale_uploads_aborted"], 1)
        self.assertEqual(self.uploads(port, creds, prefix), left)  # a dry run aborts nothing

        rep = os.path.join(FX.tmp, f"kill-resume-{server}.json")
        p = self.mirror("org/base", "--to", uri, "--report", rep, env=env)
        self.assertIn("aborted an incomplete upload left by an earlier run: org/base/model.safetensors "
                      f"(upload {upload_id}, started ", p.stderr)
        j = self.report(rep)
        self.assertEqual(j["stale_uploads_aborted"], 1)
        self.assertEqual(j["repos"][0]["stale_uploads_aborted"], 1)
        self.assertEqual(j["files_failed"], 0)
        self.assertEqual(self.uploads(port, creds, prefix), [])
        out = os.path.join(FX.tmp, f"readback-kill-{server}")
        self.aws(port, creds, "s3", "cp", "--recursive", "--quiet", f"s3://castor-test/{prefix}/", out)
        self.assert_repo(out, "org/base", prefix="org/base")

        rep = os.path.join(FX.tmp, f"kill-again-{server}.json")
        p = self.mirror("org/base", "--to", uri, "--report", rep, env=env)
        self.assertIn("nothing to transfer", p.stderr)
        self.assertEqual(self.report(rep)["stale_uploads_aborted"], 0)

    def test_killed_mid_file_moto(self):
        self.killed_mid_file("moto")

    def test_killed_mid_file_swift(self):
        self.killed_mid_file("swift")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--castor", required=True)
    ap.add_argument("--s3-state")
    ARGS, rest = ap.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
