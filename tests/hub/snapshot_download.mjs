// The peer of `castor mirror` in bench/compare-mirror.sh: the official JS client's snapshotDownload
// of a whole repository into a local cache directory. Prints the snapshot directory.
//   node snapshot_download.mjs REPO CACHE_DIR     (HF_ENDPOINT names the Hub)
import { snapshotDownload } from "@huggingface/hub";

const [repo, cacheDir] = process.argv.slice(2);
const dir = await snapshotDownload({ repo, cacheDir, hubUrl: process.env.HF_ENDPOINT });
console.log(dir);
