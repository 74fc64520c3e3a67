// The official JS client's download of one Xet file to disk, as a peer for
// bench/compare-transfer.sh: XetBlob (@huggingface/hub 2.17.5, its default parallel download)
// built from a token endpoint, streamed into OUT.
//
//   node xetblob_download.mjs <token endpoint URL> <file id> <size> <out>
//
// Prints "<seconds> <bytes>" (from the first request to the last byte written).
import { createWriteStream } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { __internal_XetBlob as XetBlob } from "@huggingface/hub";

const [refreshUrl, hash, sizeArg, out] = process.argv.slice(2);
if (!refreshUrl || !hash || !sizeArg || !out) {
  console.error("usage: node xetblob_download.mjs <token endpoint URL> <file id> <size> <out>");
  process.exit(2);
}
const size = Number(sizeArg);
const t0 = performance.now();
const blob = new XetBlob({ refreshUrl, hash, size, ...(process.env.HF_TOKEN ? { accessToken: process.env.HF_TOKEN } : {}) });
let bytes = 0;
const counted = Readable.fromWeb(blob.stream()).on("data", (d) => (bytes += d.length));
await pipeline(counted, createWriteStream(out));
const seconds = (performance.now() - t0) / 1000;
if (bytes !== size) {
  console.error(`xetblob_download: got ${bytes} bytes, expected ${size}`);
  process.exit(1);
}
console.log(`${seconds.toFixed(3)} ${bytes}`);
