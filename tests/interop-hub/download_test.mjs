// Interop: files pushed with `castor push` to `castor serve` are downloaded byte for byte by the
// official Hugging Face JS client (@huggingface/hub 2.17.5): its XetBlob, built directly from
// {refreshUrl = castor serve's token endpoint, hash, size}, and its downloadFile() through a fake
// Hub whose resolve answer points at castor serve (tests/interop-hub/fake_hub.mjs).
//
//   node download_test.mjs <castor binary> open|tokens [LARGE_MIB]
//
// open:   castor serve with no tokens (loopback: every request allowed).
// tokens: CASTOR_TOKENS with a read and a write Hub-style token ("hf_..." as the JS client
//         requires); castor push gets its CAS token from the write-token endpoint, the JS client
//         from the read-token endpoint; a missing or wrong token is refused.
//
// Files: a small one (one xorb), a large one (LARGE_MIB, default 150: several xorbs and terms,
// random and weights-like parts, so chunks are stored raw, LZ4 and BG4), and a "fine-tune" made
// of pieces of the large one plus new bytes (terms that reuse disjoint chunk ranges of one xorb,
// so castor serve answers one multi-range signed URL and the client parses multipart/byteranges).
// Each is read whole (parallel and serial download paths) and in slices.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { __internal_XetBlob as XetBlob, downloadFile } from "@huggingface/hub";
import { FakeHub } from "./fake_hub.mjs";
import { CastorServe, Checks, castorPush, removeDir, sha256Hex, tempDir, testBytes } from "./lib.mjs";

const [castor, mode = "open", largeArg = "150"] = process.argv.slice(2);
const MiB = 1 << 20;
const largeMiB = Number(largeArg);
if (!castor || !["open", "tokens"].includes(mode) || !(largeMiB >= 24)) {
  console.error("usage: node download_test.mjs <castor binary> open|tokens [LARGE_MIB >= 24]");
  process.exit(2);
}

const READER = "hf_castor_interop_reader";
const WRITER = "hf_castor_interop_writer";
const c = new Checks(`download_test ${mode}`);
const serve = await CastorServe.start(castor, {
  tokens: mode === "tokens" ? `reader:${READER}:read,writer:${WRITER}:write` : "",
});
const work = tempDir("castor-hub-download-");
let hub;
try {
  // --- data, pushed by castor -----------------------------------------------------------------
  const large = new Uint8Array(largeMiB * MiB);
  for (let off = 0, i = 0; off < large.length; off += 8 * MiB, i++) {
    const n = Math.min(8 * MiB, large.length - off);
    large.set(testBytes(n, 1000 + i, i % 2 ? "random" : "bf16"), off);
  }
  const pieces = [
    large.subarray(0, 4 * MiB),
    testBytes(2 * MiB + 12345, 77, "random"),
    large.subarray(10 * MiB, 14 * MiB),
    large.subarray(0, 4 * MiB),
    large.subarray(large.length - 6 * MiB),
  ];
  const tuned = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  pieces.reduce((off, p) => (tuned.set(p, off), off + p.length), 0);
  const files = {
    "small.bin": testBytes(300_001, 5, "bf16"),
    "large.bin": large,
    "tuned.bin": tuned,
  };
  for (const [name, data] of Object.entries(files)) writeFileSync(join(work, name), data);

  const endpointArgs = mode === "tokens"
    ? ["--token-url", serve.tokenUrl("write"), "--hub-token", WRITER]
    : ["--endpoint", serve.url];
  const paths = Object.keys(files).map((n) => join(work, n));
  const pushed = await castorPush(castor, endpointArgs, paths.slice(0, 2));
  const pushed2 = await castorPush(castor, endpointArgs, paths.slice(2));
  console.log(`castor push: ${pushed.summary}\ncastor push: ${pushed2.summary}`);
  const ids = {};
  for (const [name, data] of Object.entries(files)) {
    const p = pushed.files.get(join(work, name)) ?? pushed2.files.get(join(work, name));
    c.eq(p?.size, data.length, `castor push reported ${name}`);
    ids[name] = p.id;
  }

  // --- the reconstructions really exercise several xorbs and a multi-range URL ---------------
  const hubToken = mode === "tokens" ? READER : undefined;
  const auth = (t) => (t ? { Authorization: `Bearer ${t}` } : {});
  const tok = await (await fetch(serve.tokenUrl("read"), { headers: auth(hubToken) })).json();
  c.eq(tok.casUrl, serve.url, "token endpoint casUrl is castor serve");
  const recon = async (name) =>
    (await fetch(`${serve.url}/v2/reconstructions/${ids[name]}`, { headers: auth(tok.accessToken) })).json();
  const largeRecon = await recon("large.bin");
  c.ok(Object.keys(largeRecon.xorbs).length >= 2, `large.bin spans ${Object.keys(largeRecon.xorbs).length} xorbs`);
  const tunedRecon = await recon("tuned.bin");
  const multi = Object.values(tunedRecon.xorbs).flat().some((e) => e.ranges.length > 1);
  c.ok(tunedRecon.terms.length >= 4 && multi,
    `tuned.bin has ${tunedRecon.terms.length} terms and a multi-range fetch entry`);

  // --- XetBlob straight from the token endpoint ------------------------------------------------
  const blobOf = (name, extra = {}) => new XetBlob({
    refreshUrl: serve.tokenUrl("read"),
    hash: ids[name],
    size: files[name].length,
    ...(hubToken ? { accessToken: hubToken } : {}),
    ...extra,
  });
  for (const name of Object.keys(files)) {
    c.bytesEq(await blobOf(name).arrayBuffer(), files[name], `XetBlob ${name}`);
  }
  c.bytesEq(await blobOf("tuned.bin", { parallelDownloads: false }).arrayBuffer(), files["tuned.bin"],
    "XetBlob tuned.bin, serial download path");

  // Slices: first and last byte, inside one chunk, across chunks, across a xorb boundary, across
  // the terms of the fine-tune.
  const firstXorbBytes = largeRecon.terms[0].unpacked_length;
  const slices = [
    ["small.bin", 0, 1],
    ["small.bin", 300_000, 300_001],
    ["small.bin", 1000, 2000],
    ["small.bin", 7, 250_000],
    ["large.bin", firstXorbBytes - 3 * MiB - 17, firstXorbBytes + 5 * MiB + 3],
    ["large.bin", large.length - 100, large.length],
    ["tuned.bin", 4 * MiB - 10, 9 * MiB],
    ["tuned.bin", 1, tuned.length - 1],
  ];
  for (const [name, start, end] of slices) {
    c.bytesEq(await blobOf(name).slice(start, end).arrayBuffer(), files[name].subarray(start, end),
      `XetBlob ${name}.slice(${start}, ${end})`);
  }
  // A slice of a slice, and a stream() read.
  const nested = blobOf("large.bin").slice(5 * MiB, 40 * MiB).slice(MiB, 2 * MiB + 1);
  c.bytesEq(await nested.arrayBuffer(), large.subarray(6 * MiB, 7 * MiB + 1), "XetBlob nested slice");
  const streamed = await new Response(blobOf("small.bin").stream()).arrayBuffer();
  c.bytesEq(streamed, files["small.bin"], "XetBlob small.bin via stream()");

  // --- downloadFile() through a fake Hub's resolve endpoint ------------------------------------
  hub = await new FakeHub(serve).start();
  for (const [name, data] of Object.entries(files)) {
    hub.addXetFile(name, { id: ids[name], size: data.length, sha256: sha256Hex(data) });
  }
  for (const name of ["small.bin", "tuned.bin"]) {
    const blob = await downloadFile({ repo: "user/repo", path: name, hubUrl: hub.url, accessToken: hubToken });
    c.ok(blob instanceof XetBlob, `downloadFile(${name}) chose the Xet path`);
    c.bytesEq(await blob.arrayBuffer(), files[name], `downloadFile ${name}`);
  }
  const missing = await downloadFile({ repo: "user/repo", path: "nope.bin", hubUrl: hub.url, accessToken: hubToken });
  c.eq(missing, null, "downloadFile of a missing path is null");

  // --- refusals ----------------------------------------------------------------------------------
  if (mode === "tokens") {
    await c.throws(() => blobOf("small.bin", { accessToken: undefined }).arrayBuffer(), /401/,
      "XetBlob without a Hub token is refused (401)");
    await c.throws(() => blobOf("small.bin", { accessToken: "hf_not_a_castor_token" }).arrayBuffer(), /401/,
      "XetBlob with a wrong Hub token is refused (401)");
  }
  const unknown = "0".repeat(63) + "1";
  await c.throws(() => new XetBlob({
    refreshUrl: serve.tokenUrl("read"), hash: unknown, size: 10, ...(hubToken ? { accessToken: hubToken } : {}),
  }).arrayBuffer(), /404|not.found/i, "XetBlob of an unknown file id fails with 404");
} catch (e) {
  c.ok(false, `unexpected error: ${e?.stack ?? e}\ncastor serve log:\n${serve.log}`);
} finally {
  await hub?.stop();
  await serve.stop();
  removeDir(work);
}
c.done();
