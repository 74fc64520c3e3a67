// Interop test: castor's Xet hashes against the official @huggingface/xetchunk-wasm 0.2.0.
//
//   node interop.mjs <castor binary> <testdata dir>
//
// For deterministic pseudo-random files of many sizes, castor prints its chunks (`castor chunk
// --json --hmac-key`); the JS package then recomputes, from castor's chunk list, the xorb hash,
// the file id, the verification hash and every keyed ("hmac") hash, and blake3-jit recomputes
// every chunk hash from the file bytes. All must agree, and `castor hash` must report the same
// file id and the SHA-256 of node's crypto. Finally it shows that the package's own chunker
// (getChunks, legacy boundary rule) disagrees with the specification, and so with castor, on the
// 4 MiB golden input at chunk 50.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Hasher } from "@huggingface/blake3-jit";
import {
  fileHash,
  getChunks,
  hashToHex,
  hexToBytes,
  hmac,
  verificationHash,
  xorbHash,
} from "@huggingface/xetchunk-wasm";

const [castor, testdata] = process.argv.slice(2);
if (!castor || !testdata) {
  console.error("usage: node interop.mjs <castor binary> <testdata dir>");
  process.exit(2);
}

const DATA_KEY = new Uint8Array([
  102, 151, 245, 119, 91, 149, 80, 222, 49, 53, 203, 172, 165, 151, 24, 28, 157, 228, 33, 16, 155,
  235, 43, 88, 180, 208, 176, 75, 147, 173, 242, 41,
]);

let failures = 0;
let checks = 0;
function expectEq(got, want, what) {
  checks++;
  if (got !== want) {
    failures++;
    console.error(`FAIL ${what}: got ${got}, want ${want}`);
  }
}

// SplitMix64, each output written little-endian (the generator of the Xet test vectors).
function splitmix64(n, seed) {
  const out = new Uint8Array(n);
  const view = new DataView(out.buffer);
  const M = (1n << 64n) - 1n;
  let state = BigInt(seed) & M;
  for (let i = 0; i < n; i += 8) {
    state = (state + 0x9e3779b97f4a7c15n) & M;
    let z = state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M;
    z = z ^ (z >> 31n);
    if (i + 8 <= n) {
      view.setBigUint64(i, z, true);
    } else {
      for (let k = 0; i + k < n; k++) out[i + k] = Number((z >> BigInt(8 * k)) & 0xffn);
    }
  }
  return out;
}

// Fast deterministic bytes for the larger files (xorshift32; quality is irrelevant here).
function xorshiftBytes(n, seed) {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

function castorJson(args) {
  return JSON.parse(execFileSync(castor, args, { maxBuffer: 1 << 28 }).toString());
}

const dir = mkdtempSync(join(tmpdir(), "castor-interop-"));
const key = xorshiftBytes(32, 4242);
const keyHex = Buffer.from(key).toString("hex");

try {
  const inputs = [];
  for (const n of [0, 1, 8191, 8192, 8193, 131072, 131073, 300001]) {
    inputs.push([`smix_${n}`, splitmix64(n, n + 1)]);
  }
  for (const [i, n] of [1 << 20, 3 * (1 << 20) + 7, 9 * (1 << 20) + 12345].entries()) {
    inputs.push([`xs_${n}`, xorshiftBytes(n, 1000 + i)]);
  }
  // Low-entropy content: long runs hit the 128 KiB maximum, sparse bytes shift boundaries.
  const runs = new Uint8Array(2 * (1 << 20));
  for (let i = 0; i < runs.length; i++) runs[i] = i % 100003 < 50000 ? 0 : (i * 2654435761) >>> 24;
  inputs.push(["runs", runs]);

  for (const [name, bytes] of inputs) {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    const doc = castorJson(["chunk", "--json", "--hmac-key", keyHex, path]);
    expectEq(doc.size, bytes.length, `${name}: size`);

    const chunks = [];
    let offset = 0;
    for (const [i, c] of doc.chunks.entries()) {
      expectEq(c.offset, offset, `${name}: chunk ${i} offset`);
      const own = Hasher.newKeyed(DATA_KEY)
        .update(bytes.subarray(c.offset, c.offset + c.length))
        .finalize(32);
      expectEq(c.hash, hashToHex(own), `${name}: chunk ${i} hash (blake3-jit)`);
      const h = hexToBytes(c.hash);
      expectEq(c.hmac, hashToHex(hmac(h, key)), `${name}: chunk ${i} keyed hash`);
      chunks.push({ hash: h, length: c.length });
      offset += c.length;
    }
    expectEq(offset, bytes.length, `${name}: chunks cover the file`);
    expectEq(doc.xorb_hash, hashToHex(xorbHash(chunks)), `${name}: xorb hash`);
    expectEq(doc.file_id, hashToHex(fileHash(chunks)), `${name}: file id`);
    expectEq(
      doc.verification_hash,
      hashToHex(verificationHash(chunks.map((c) => c.hash))),
      `${name}: verification hash`,
    );
    const sha = createHash("sha256").update(bytes).digest("hex");
    expectEq(doc.sha256, sha, `${name}: sha256`);

    const line = execFileSync(castor, ["hash", path]).toString().trim().split(" ");
    expectEq(line[0], doc.file_id, `${name}: castor hash file id`);
    expectEq(line[1], sha, `${name}: castor hash sha256`);
    expectEq(line[2], String(bytes.length), `${name}: castor hash size`);
  }

  // The package's own chunker follows the pre-2025 rule and may cut below 8192 bytes.
  const golden = splitmix64(4 << 20, 0);
  const gpath = join(dir, "golden_4MiB");
  writeFileSync(gpath, golden);
  const spec = castorJson(["chunk", "--json", gpath]).chunks.map((c) => c.length);
  const legacy = getChunks(golden).map((c) => c.length);
  let first = 0;
  while (first < spec.length && spec[first] === legacy[first]) first++;
  expectEq(spec.length, 71, "golden: castor chunk count");
  expectEq(legacy.length, 72, "golden: xetchunk-wasm chunk count");
  expectEq(first, 50, "golden: first chunk where getChunks disagrees");
  expectEq(spec[50], 25673, "golden: castor chunk 50");
  expectEq(legacy[50], 8128, "golden: getChunks chunk 50 (below the 8192 minimum)");
  expectEq(legacy[51], 17545, "golden: getChunks chunk 51");
  console.log(
    `legacy rule confirmed: chunk 50 is ${spec[50]} bytes per the spec (castor) but ` +
      `${legacy[50]} + ${legacy[51]} in getChunks`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}

if (failures) {
  console.error(`${failures} of ${checks} checks failed`);
  process.exit(1);
}
console.log(`interop OK: ${checks} checks against @huggingface/xetchunk-wasm 0.2.0`);
