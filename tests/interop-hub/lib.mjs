// Shared helpers of the interop tests against the official Hugging Face JS client: starting
// `castor serve` on a free loopback port, running castor subcommands, deterministic test data,
// Xet hex helpers and a tiny assertion counter.
import { execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export function tempDir(prefix) {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir) {
  rmSync(dir, { recursive: true, force: true });
}

// Runs `castor ARGS...`; resolves to {stdout, stderr}, rejects with both on a non-zero exit.
export function castorRun(castor, args, env = {}) {
  return new Promise((resolve, reject) => {
    execFile(
      castor,
      args,
      { env: { ...process.env, ...env }, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        if (err) {
          reject(new Error(`castor ${args.join(" ")} failed (${err.code}):\n${stdout}\n${stderr}`));
        } else {
          resolve({ stdout, stderr });
        }
      },
    );
  });
}

// `castor push` of `paths`: resolves to a map path -> {id, size} from its stdout lines
// "<file-id> <size> <path>".
export async function castorPush(castor, endpointArgs, paths, env = {}) {
  const { stdout, stderr } = await castorRun(
    castor,
    ["push", ...endpointArgs, "--no-cache", ...paths],
    env,
  );
  const files = new Map();
  for (const line of stdout.split("\n").filter(Boolean)) {
    const [id, size, ...rest] = line.split(" ");
    files.set(rest.join(" "), { id, size: Number(size) });
  }
  return { files, summary: stderr.trim() };
}

// A `castor serve` process on 127.0.0.1 with a fresh local-directory store. `tokens` is the
// CASTOR_TOKENS value ("" = none: every loopback request is allowed).
export class CastorServe {
  static async start(castor, { tokens = "", extraArgs = [] } = {}) {
    const s = new CastorServe();
    s.dir = tempDir("castor-hub-interop-");
    const env = { ...process.env, CASTOR_TOKENS: tokens };
    s.proc = spawn(
      castor,
      ["serve", "--store", join(s.dir, "store"), "--listen", "127.0.0.1:0", ...extraArgs],
      { env, stdio: ["ignore", "pipe", "pipe"] },
    );
    s.log = "";
    s.proc.stderr.on("data", (d) => (s.log += d));
    // The banner "castor serve: listening on HOST:PORT, store ..." names the chosen port.
    s.port = await new Promise((resolve, reject) => {
      let out = "";
      const timer = setTimeout(() => reject(new Error(`castor serve did not start:\n${out}${s.log}`)), 15000);
      s.proc.stdout.on("data", (d) => {
        out += d;
        const m = /listening on [^:\s]+:(\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      s.proc.on("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`castor serve exited with ${code}:\n${out}${s.log}`));
      });
    });
    s.proc.removeAllListeners("exit");
    s.url = `http://127.0.0.1:${s.port}`;
    return s;
  }

  tokenUrl(kind, repo = "user/repo", rev = "main") {
    return `${this.url}/api/models/${repo}/xet-${kind}-token/${rev}`;
  }

  async stop() {
    if (this.proc.exitCode === null) {
      const exited = new Promise((resolve) => this.proc.on("exit", resolve));
      this.proc.kill("SIGTERM");
      await exited;
    }
    removeDir(this.dir);
  }
}

// Deterministic bytes: a mulberry32 stream, either uniformly random or "weights-like" (bf16
// values of small magnitude: compressible by byte grouping, so the JS client's BG4 + LZ4 decoder
// is exercised too).
export function testBytes(n, seed, kind = "random") {
  const out = new Uint8Array(n);
  const words = new Uint32Array(out.buffer, 0, n >>> 2);
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  if (kind === "random") {
    for (let i = 0; i < words.length; i++) words[i] = next();
  } else {
    // Two bf16 per word: sign, exponent in [0x78, 0x7b] (|x| ~ 1e-2), 7 random mantissa bits.
    for (let i = 0; i < words.length; i++) {
      const r = next();
      const lo = ((r & 1) << 15) | ((0x78 + ((r >>> 1) & 3)) << 7) | ((r >>> 3) & 0x7f);
      const hi = (((r >>> 10) & 1) << 15) | ((0x78 + ((r >>> 11) & 3)) << 7) | ((r >>> 13) & 0x7f);
      words[i] = lo | (hi << 16);
    }
  }
  for (let i = words.length * 4; i < n; i++) out[i] = next() & 0xff;
  return out;
}

export function sha256Hex(bytes) {
  return createHash("sha256").update(bytes).digest("hex");
}

// Xet hex of 32 raw hash bytes: each 8-byte lane read as a little-endian u64, printed as 16 hex
// digits (the protocol's byte-order quirk).
export function xetHex(raw) {
  let s = "";
  for (let lane = 0; lane < 4; lane++) {
    for (let i = 7; i >= 0; i--) s += raw[lane * 8 + i].toString(16).padStart(2, "0");
  }
  return s;
}

// The file ids and SHA-256 values a shard upload body declares: each file-info block starts with
// a 48-byte header (file hash, flags, entry count) after the 48-byte shard header; entries of 48
// bytes follow, then (flag bit 31) one verification entry per term, then (flag bit 30) the
// metadata extension whose first 32 bytes are the lane-reversed SHA-256.
export function shardFiles(shard) {
  const view = new DataView(shard.buffer, shard.byteOffset, shard.byteLength);
  const files = [];
  let off = 48;
  for (;;) {
    const hash = shard.subarray(off, off + 32);
    if (hash.every((b) => b === 0xff)) break;  // bookend
    const flags = view.getUint32(off + 32, true);
    const n = view.getUint32(off + 36, true);
    let p = off + 48 + 48 * n;
    if (flags & 0x80000000) p += 48 * n;
    let sha256 = null;
    if (flags & 0x40000000) sha256 = xetHex(shard.subarray(p, p + 32));
    if (flags & 0x40000000) p += 48;
    files.push({ id: xetHex(hash), terms: n, sha256 });
    off = p;
  }
  return files;
}

// Counts checks and failures; `done()` prints a summary and sets the exit code.
export class Checks {
  constructor(name) {
    this.name = name;
    this.checks = 0;
    this.failures = 0;
  }

  ok(cond, what) {
    this.checks++;
    if (!cond) {
      this.failures++;
      console.error(`FAIL ${what}`);
    } else {
      console.log(`ok   ${what}`);
    }
  }

  eq(got, want, what) {
    this.ok(got === want, got === want ? what : `${what}: got ${got}, want ${want}`);
  }

  bytesEq(got, want, what) {
    const g = new Uint8Array(got);
    let same = g.length === want.length;
    let at = -1;
    if (same) {
      // Compare with Buffer.compare for speed on 100+ MiB, then locate a mismatch for the message.
      same = Buffer.compare(Buffer.from(g.buffer, g.byteOffset, g.length),
        Buffer.from(want.buffer, want.byteOffset, want.length)) === 0;
      if (!same) at = g.findIndex((b, i) => b !== want[i]);
    }
    this.ok(same, same ? `${what} (${want.length} bytes identical)`
      : `${what}: ${g.length} bytes vs ${want.length} expected, first difference at ${at}`);
  }

  async throws(fn, pattern, what) {
    try {
      await fn();
      this.ok(false, `${what}: no error`);
    } catch (e) {
      const msg = String(e?.message ?? e);
      this.ok(pattern.test(msg), pattern.test(msg) ? what : `${what}: unexpected error ${msg}`);
    }
  }

  done() {
    console.log(`${this.name}: ${this.checks - this.failures}/${this.checks} checks passed`);
    process.exitCode = this.failures ? 1 : 0;
  }
}

export function readBytes(path) {
  const b = readFileSync(path);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
