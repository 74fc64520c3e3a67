// The official JS implementation as a command-line peer for bench/compare.sh: chunks and hashes
// a file with @huggingface/xetchunk-wasm 0.2.0 (createChunker/nextBlock/finalize, the streaming
// form of getChunks, which @huggingface/hub uses for uploads), reading it in 16 MiB pieces, and
// prints the chunk count, the file hash and the seconds spent.
//   node xetchunk_chunk.mjs FILE
import { openSync, readSync, closeSync } from "node:fs";
import { createChunker, fileHash, finalize, hashToHex, nextBlock } from "@huggingface/xetchunk-wasm";

const path = process.argv[2];
if (!path) {
  console.error("usage: node xetchunk_chunk.mjs FILE");
  process.exit(2);
}
const start = process.hrtime.bigint();
const fd = openSync(path, "r");
const buf = new Uint8Array(16 << 20);
const chunker = createChunker();
const chunks = [];
let size = 0;
for (;;) {
  const n = readSync(fd, buf, 0, buf.length, null);
  if (n === 0) break;
  size += n;
  // nextBlock copies the unfinished chunk's bytes into its own buffer, so `buf` can be reused.
  for (const c of nextBlock(chunker, buf.subarray(0, n))) chunks.push(c);
}
closeSync(fd);
const last = finalize(chunker);
if (last) chunks.push(last);
const id = hashToHex(fileHash(chunks));
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
console.log(`${chunks.length} chunks, ${size} bytes, file hash ${id}, ${seconds.toFixed(3)} s`);
