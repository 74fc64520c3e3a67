// Interop: the official JS client's upload path (@huggingface/hub commit()) with `castor serve` as
// the CAS, behind a fake Hub (fake_hub.mjs) for preupload, LFS batch and commit. The client gets
// its CAS write token from castor serve's token endpoint, queries global dedup, POSTs its xorbs
// and shards; castor serve must accept them, and then `castor pull` and the client's own
// downloadFile() must return the bytes. A second commit of the same bytes must be deduplicated by
// the client against castor serve's dedup answer, and `castor push` of the same file must reuse
// most of hf.js's chunks.
//
//   node upload_test.mjs <castor binary> [BIG_MIB]
//
// hf.js chunks with the legacy boundary rule, so for multi-chunk files its file id differs from
// castor's id for the same bytes; that is expected (both ids are valid reconstructions).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { commit, downloadFile } from "@huggingface/hub";
import { FakeHub } from "./fake_hub.mjs";
import { CastorServe, Checks, castorPush, castorRun, readBytes, removeDir, sha256Hex, shardFiles, tempDir, testBytes } from "./lib.mjs";

const [castor, bigArg = "72"] = process.argv.slice(2);
const MiB = 1 << 20;
if (!castor || !(Number(bigArg) >= 1)) {
  console.error("usage: node upload_test.mjs <castor binary> [BIG_MIB]");
  process.exit(2);
}
const WRITER = "hf_castor_interop_writer";
const READER = "hf_castor_interop_reader";
const c = new Checks("upload_test");
const serve = await CastorServe.start(castor, { tokens: `reader:${READER}:read,writer:${WRITER}:write` });
const hub = await new FakeHub(serve).start();
const work = tempDir("castor-hub-upload-");

// Every call the client makes to castor serve, and the shard bodies it uploads.
let casCalls = [];
const shards = [];
const recordingFetch = async (input, init = {}) => {
  const url = new URL(typeof input === "string" ? input : input.url);
  if (url.origin === serve.url) {
    casCalls.push({ method: init.method ?? "GET", path: url.pathname, bytes: init.body?.byteLength ?? init.body?.size ?? 0 });
    if (url.pathname.endsWith("/shards") && init.body) {
      shards.push(new Uint8Array(await new Response(init.body).arrayBuffer()));
    }
  }
  return fetch(input, init);
};
const hubCommit = (title, files) => commit({
  repo: { type: "model", name: "user/repo" },
  hubUrl: hub.url,
  accessToken: WRITER,
  title,
  operations: Object.entries(files).map(([path, data]) => ({
    operation: "addOrUpdate", path, content: new Blob([data]),
  })),
  fetch: recordingFetch,
  useWebWorkers: false,
});
const posted = (what) => casCalls.filter((x) => x.method === "POST" && x.path.includes(what));

try {
  const big = new Uint8Array(Number(bigArg) * MiB);
  for (let off = 0, i = 0; off < big.length; off += 4 * MiB, i++) {
    big.set(testBytes(Math.min(4 * MiB, big.length - off), 300 + i, i % 3 ? "random" : "bf16"), off);
  }
  const files = { "model.bin": big, "config.json": new TextEncoder().encode('{"hidden_size": 4096}\n') };

  // --- first commit: everything new -----------------------------------------------------------
  const t0 = performance.now();
  const out = await hubCommit("add model", files);
  const seconds = (performance.now() - t0) / 1000;
  c.eq(out?.commit?.oid, hub.commitSha, "commit() returned the fake Hub's commit id");
  const xorbPosts = posted("/v1/xorbs/");
  console.log(`hf.js commit: ${(big.length / MiB).toFixed(0)} MiB in ${seconds.toFixed(1)} s, ` +
    `${xorbPosts.length} xorbs, ${posted("/shards").length} shards, ` +
    `${casCalls.filter((x) => x.path.startsWith("/v1/chunks/")).length} dedup queries`);
  c.ok(xorbPosts.length >= 2, `hf.js uploaded ${xorbPosts.length} xorbs to castor serve`);
  c.ok(shards.length >= 1, `hf.js uploaded ${shards.length} shard(s) to castor serve`);
  const lfs = hub.commits[0]?.files ?? [];
  c.eq(lfs.length, 2, "the commit lists both files as LFS/Xet files");

  // File ids from the shards' file blocks, matched to the commit's SHA-256 oids.
  const idBySha = new Map();
  for (const s of shards) for (const f of shardFiles(s)) idBySha.set(f.sha256, f.id);
  const ids = {};
  for (const [name, data] of Object.entries(files)) {
    const sha = sha256Hex(data);
    c.ok(lfs.some((f) => f.path === name && f.oid === sha && f.size === data.length), `commit line for ${name}`);
    ids[name] = idBySha.get(sha);
    c.ok(/^[0-9a-f]{64}$/.test(ids[name] ?? ""), `a shard declared ${name} (${ids[name]})`);
    hub.addXetFile(name, { id: ids[name], size: data.length, sha256: sha });
    writeFileSync(join(work, name), data);
  }

  // --- castor reads what hf.js wrote --------------------------------------------------------------
  for (const [name, data] of Object.entries(files)) {
    const dst = join(work, `pulled-${name}`);
    await castorRun(castor, ["pull", "-q", "--token-url", serve.tokenUrl("read"), "--hub-token", READER, ids[name], "-o", dst]);
    c.bytesEq(readBytes(dst), data, `castor pull of hf.js's ${name}`);
    const blob = await downloadFile({ repo: "user/repo", path: name, hubUrl: hub.url, accessToken: READER });
    c.bytesEq(await blob.arrayBuffer(), data, `hf.js downloadFile of its ${name} from castor serve`);
  }
  const { stdout } = await castorRun(castor, ["hash", join(work, "config.json"), join(work, "model.bin")]);
  const castorIds = stdout.split("\n").filter(Boolean).map((l) => l.split(" ")[0]);
  c.eq(castorIds[0], ids["config.json"], "one-chunk file: castor's id equals hf.js's");
  console.log(`model.bin: hf.js id ${ids["model.bin"]}, castor id ${castorIds[1]} ` +
    `(${castorIds[1] === ids["model.bin"] ? "same" : "differ: legacy chunk boundaries"})`);

  // --- hf.js dedups against castor serve's global dedup answer -------------------------------------
  casCalls = [];
  await hubCommit("copy", { "copy/model.bin": big });
  const again = posted("/v1/xorbs/").reduce((n, x) => n + x.bytes, 0);
  const hits = casCalls.filter((x) => x.path.startsWith("/v1/chunks/")).length;
  console.log(`hf.js re-commit of the same bytes: ${hits} dedup queries, ${again} xorb bytes uploaded`);
  c.ok(hits >= 1 && again < big.length / 10,
    `re-commit deduplicated by hf.js against castor serve (${again} of ${big.length} bytes sent)`);

  // --- castor push reuses hf.js's chunks ---------------------------------------------------------
  const pushed = await castorPush(castor, ["--token-url", serve.tokenUrl("write"), "--hub-token", WRITER],
    [join(work, "model.bin")]);
  const m = /uploaded ([0-9.]+) MiB/.exec(pushed.summary);
  console.log(`castor push of the same file: ${pushed.summary}`);
  c.ok(m && Number(m[1]) < big.length / MiB / 2,
    "castor push sends less than half the file: it deduplicates against hf.js's xorbs");
} catch (e) {
  c.ok(false, `unexpected error: ${e?.stack ?? e}\ncastor serve log:\n${serve.log}`);
} finally {
  await hub.stop();
  await serve.stop();
  removeDir(work);
}
c.done();
