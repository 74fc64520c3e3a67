// Interop: the xorb and shard that the official JS client (@huggingface/hub commit()) produced for
// a 300000-byte file (tests/testdata/xet/hfjs-upload/, see report.txt there) are accepted by
// `castor serve` when POSTed the way the client posts them (CAS write token from castor serve's
// token endpoint), and then `castor pull` and the JS client's XetBlob return input.bin byte for
// byte.
//
//   node captured_upload_test.mjs <castor binary> <testdata dir>
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { __internal_XetBlob as XetBlob } from "@huggingface/hub";
import { CastorServe, Checks, castorRun, readBytes, removeDir, shardFiles, tempDir } from "./lib.mjs";

const [castor, testdata] = process.argv.slice(2);
if (!castor || !testdata) {
  console.error("usage: node captured_upload_test.mjs <castor binary> <testdata dir>");
  process.exit(2);
}
const dir = join(testdata, "xet", "hfjs-upload");
const xorb = readBytes(join(dir, "xorb.bin"));
const shard = readBytes(join(dir, "shard.bin"));
const input = readBytes(join(dir, "input.bin"));
// The hashes hf.js used, as its report recorded them.
const report = readFileSync(join(dir, "report.txt"), "utf8");
const XORB = /xorb upload: \S+\/v1\/xorbs\/default\/([0-9a-f]{64})/.exec(report)[1];
const FILE_ID = /FileDataSequenceHeader file_hash=([0-9a-f]{64})/.exec(report)[1];
const SHA256 = /file: \d+ bytes, sha256=([0-9a-f]{64})/.exec(report)[1];

const WRITER = "hf_castor_interop_writer";
const READER = "hf_castor_interop_reader";
const c = new Checks("captured_upload_test");
const serve = await CastorServe.start(castor, { tokens: `reader:${READER}:read,writer:${WRITER}:write` });
const work = tempDir("castor-hub-captured-");
try {
  const declared = shardFiles(shard);
  c.eq(declared.length, 1, "the captured shard declares one file");
  c.eq(declared[0]?.id, FILE_ID, "shard file id (parsed here) matches the report");
  c.eq(declared[0]?.sha256, SHA256, "shard metadata extension carries the file's SHA-256");

  const token = async (kind, hubToken) => {
    const r = await fetch(serve.tokenUrl(kind), { headers: { Authorization: `Bearer ${hubToken}` } });
    if (!r.ok) throw new Error(`token ${kind}: ${r.status} ${await r.text()}`);
    return (await r.json()).accessToken;
  };
  const write = await token("write", WRITER);
  const read = await token("read", READER);
  const post = (path, body, casToken) => fetch(`${serve.url}${path}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${casToken}`, "X-Xet-Session-Id": "interop" },
    body,
  });

  // Refusals first: nothing is stored by them.
  let r = await post("/v1/shards", shard, write);
  c.eq(r.status, 400, "shard before its xorb is rejected (400)");
  r = await post(`/v1/xorbs/default/${XORB}`, xorb, read);
  c.eq(r.status, 403, "xorb upload with a read token is refused (403)");
  r = await post(`/v1/xorbs/default/${"1".repeat(64)}`, xorb, write);
  c.eq(r.status, 400, "xorb under a hash that is not its own is rejected (400)");
  r = await fetch(`${serve.url}/v1/xorbs/default/${XORB}`, { method: "HEAD", headers: { Authorization: `Bearer ${read}` } });
  c.eq(r.status, 404, "no xorb stored by the refused uploads");

  // The client's order: xorb, then shard.
  r = await post(`/v1/xorbs/default/${XORB}`, xorb, write);
  c.eq(r.status, 200, "hf.js xorb accepted");
  c.eq((await r.json()).was_inserted, true, "hf.js xorb was_inserted");
  r = await post(`/v1/xorbs/default/${XORB}`, xorb, write);
  c.eq(r.status === 200 && (await r.json()).was_inserted, false, "re-upload is a 200 duplicate");
  r = await post("/v1/shards", shard, write);
  c.eq(r.status, 200, "hf.js shard accepted");
  const result = await r.json();
  c.ok(result.result === 0 || result.result === 1, `shard answer ${JSON.stringify(result)}`);
  r = await fetch(`${serve.url}/v1/files/${FILE_ID}`, { method: "HEAD", headers: { Authorization: `Bearer ${read}` } });
  c.eq(r.headers.get("content-length"), String(input.length), "HEAD /v1/files gives the file size");

  // castor pull, with a CAS token from the read-token endpoint.
  const out = join(work, "out.bin");
  await castorRun(castor, ["pull", "-q", "--token-url", serve.tokenUrl("read"), "--hub-token", READER, FILE_ID, "-o", out]);
  c.bytesEq(readBytes(out), input, "castor pull of the hf.js file");
  // castor's own chunking of input.bin gives the same id (this input has no legacy-rule cut).
  const { stdout } = await castorRun(castor, ["hash", join(dir, "input.bin")]);
  c.ok(stdout.includes(FILE_ID), "castor hash input.bin gives the same file id");
  // And the JS client reads back what it wrote, from castor serve.
  const blob = new XetBlob({ refreshUrl: serve.tokenUrl("read"), accessToken: READER, hash: FILE_ID, size: input.length });
  c.bytesEq(await blob.arrayBuffer(), input, "XetBlob of the hf.js file");
} catch (e) {
  c.ok(false, `unexpected error: ${e?.stack ?? e}\ncastor serve log:\n${serve.log}`);
} finally {
  await serve.stop();
  removeDir(work);
}
c.done();
