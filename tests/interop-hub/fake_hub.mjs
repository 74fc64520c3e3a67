// A minimal Hugging Face Hub for the interop tests: just the endpoints the official JS client
// calls around a Xet CAS, answered the way the Hub answers them, with `castor serve` as the CAS
// and token service. It keeps everything in memory and records every request.
//
//   resolve   GET  /{repo}/resolve/{rev}/{path}      -> 200 application/vnd.xet-fileinfo+json with
//             X-Xet-Hash, X-Linked-Size, X-Linked-ETag and Link rel="xet-auth" (castor serve's
//             read-token endpoint) and rel="xet-reconstruction-info" (castor serve's
//             /v1/reconstructions/{id}); 404 + X-Error-Code: EntryNotFound for unknown paths.
//   preupload POST /api/models/{repo}/preupload/{rev} -> every file is "lfs".
//   LFS batch POST /{repo}.git/info/lfs/objects/batch -> "transfer":"xet", upload href = castor
//             serve's write-token endpoint (the client fetches its CAS token there).
//   commit    POST /api/models/{repo}/commit/{rev}   -> records the lfsFile lines.
//
// A real Hub checks the Hub token on every call; this one accepts any token (castor serve checks
// them when the client exchanges them for CAS tokens, which is what the tests exercise).
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";

export class FakeHub {
  // `cas` is a started CastorServe; `repo` is "user/repo".
  constructor(cas, repo = "user/repo") {
    this.cas = cas;
    this.repo = repo;
    this.files = new Map();  // path -> {id, size, sha256}
    this.commits = [];  // [{summary, files: [{path, oid, size}]}]
    this.requests = [];  // "METHOD /path"
    this.commitSha = randomBytes(20).toString("hex");
  }

  addXetFile(path, { id, size, sha256 }) {
    this.files.set(path, { id, size, sha256 });
  }

  async start() {
    this.server = createServer((req, res) => {
      const body = [];
      req.on("data", (d) => body.push(d));
      req.on("end", () => {
        this.requests.push(`${req.method} ${req.url}`);
        try {
          this.#handle(req, Buffer.concat(body), res);
        } catch (e) {
          res.writeHead(500, { "Content-Type": "text/plain" });
          res.end(String(e?.stack ?? e));
        }
      });
    });
    await new Promise((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${this.server.address().port}`;
    return this;
  }

  async stop() {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  #json(res, status, value, headers = {}) {
    res.writeHead(status, { "Content-Type": "application/json", ...headers });
    res.end(JSON.stringify(value));
  }

  #handle(req, body, res) {
    const url = new URL(req.url, this.url);
    const path = decodeURIComponent(url.pathname);
    const resolvePrefix = `/${this.repo}/resolve/`;
    if (req.method === "GET" && path.startsWith(resolvePrefix)) {
      const rest = path.slice(resolvePrefix.length);
      const slash = rest.indexOf("/");
      const file = this.files.get(rest.slice(slash + 1));
      if (slash < 0 || !file) {
        res.writeHead(404, { "X-Error-Code": "EntryNotFound", "Content-Type": "text/plain" });
        res.end("Entry not found");
        return;
      }
      const tokenUrl = this.cas.tokenUrl("read", this.repo, this.commitSha);
      const reconstruction = `${this.cas.url}/v1/reconstructions/${file.id}`;
      this.#json(res, 200, { hash: file.id, size: file.size }, {
        "Content-Type": "application/vnd.xet-fileinfo+json",
        "X-Xet-Hash": file.id,
        "X-Linked-Size": String(file.size),
        "X-Linked-ETag": `"${file.sha256}"`,
        "X-Repo-Commit": this.commitSha,
        Link: `<${tokenUrl}>; rel="xet-auth", <${reconstruction}>; rel="xet-reconstruction-info"`,
      });
      return;
    }
    if (req.method === "POST" && path === `/api/models/${this.repo}/preupload/main`) {
      const { files } = JSON.parse(body.toString());
      this.#json(res, 200, {
        files: files.map((f) => ({ path: f.path, uploadMode: "lfs", shouldIgnore: false })),
        commitOid: this.commitSha,
      });
      return;
    }
    if (req.method === "POST" && path === `/${this.repo}.git/info/lfs/objects/batch`) {
      const q = JSON.parse(body.toString());
      const href = this.cas.tokenUrl("write", this.repo, "main");
      this.#json(res, 200, {
        transfer: "xet",
        hash_algo: "sha256",
        objects: q.objects.map((o) => ({
          oid: o.oid,
          size: o.size,
          authenticated: true,
          actions: { upload: { href, header: { "X-Xet-Session-Id": randomBytes(8).toString("hex") } } },
        })),
      }, { "Content-Type": "application/vnd.git-lfs+json" });
      return;
    }
    if (req.method === "POST" && path === `/api/models/${this.repo}/commit/main`) {
      const lines = body.toString().split("\n").filter(Boolean).map((l) => JSON.parse(l));
      const commit = { summary: lines[0]?.value?.summary, files: [] };
      for (const l of lines) {
        if (l.key === "lfsFile") commit.files.push({ path: l.value.path, oid: l.value.oid, size: l.value.size });
      }
      this.commits.push(commit);
      this.commitSha = randomBytes(20).toString("hex");
      this.#json(res, 200, {
        commitOid: this.commitSha,
        commitUrl: `${this.url}/${this.repo}/commit/${this.commitSha}`,
        hookOutput: "",
      });
      return;
    }
    this.#json(res, 404, { error: `fake hub: no route for ${req.method} ${path}` });
  }
}
