// `castor chunk [--json] FILE|-`: the Xet chunks of one file.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "castor/hash/xet_hash.h"
#include "castor/transfer/file_scanner.h"
#include "command.h"

namespace castor::cli {
namespace {

struct ChunkFlags {
  std::string path;
  bool json = false;
  std::string hmac_key;  // plain hex of a 32-byte key
  int threads = 0;
};

// Text mode streams one line per chunk as chunks are found; output goes through a large buffer
// so printing stays far cheaper than hashing.
int RunText(const ChunkFlags& f) {
  std::string out;
  out.reserve(1 << 16);
  bool wrote = false;  // lines already on stdout when an error ends the scan
  ScanOptions opts;
  opts.sha256 = false;
  opts.keep_chunks = false;
  opts.threads = f.threads;
  auto r = ScanFile(f.path, opts, [&](ByteSpan, const ScannedChunk& c) {
    char line[128];
    int n = std::snprintf(line, sizeof line, "%llu %u ", static_cast<unsigned long long>(c.offset),
                          c.length);
    out.append(line, n);
    out += c.hash.ToXetHex();
    out += '\n';
    if (out.size() >= (1 << 16) - 128) {
      if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size()) {
        return IOError("stdout: write failed");
      }
      wrote = true;
      out.clear();
    }
    return Status::OK();
  });
  if (!r.ok()) {
    std::fflush(stdout);
    PrintError(r.status().message() + (wrote ? " (the chunk list above is incomplete)" : ""));
    return 1;
  }
  if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size() || std::fflush(stdout) != 0) {
    PrintError("stdout: write failed");
    return 1;
  }
  return 0;
}

// JSON mode prints one document after the scan: the chunks plus the hashes over all of them.
int RunJson(const ChunkFlags& f) {
  std::optional<Hash> key;
  if (!f.hmac_key.empty()) {
    key = Hash::FromRawHex(f.hmac_key);
    if (!key) {
      PrintError("--hmac-key: expected 64 hex digits");
      return 2;
    }
  }
  ScanOptions opts;
  opts.threads = f.threads;
  auto r = ScanFile(f.path, opts);
  if (!r.ok()) {
    PrintError(r.status().message());
    return 1;
  }
  std::vector<HashAndSize> leaves;
  std::vector<Hash> hashes;
  nlohmann::json chunks = nlohmann::json::array();
  for (const ScannedChunk& c : r->chunks) {
    leaves.push_back({c.hash, c.length});
    hashes.push_back(c.hash);
    nlohmann::json j = {{"offset", c.offset}, {"length", c.length}, {"hash", c.hash.ToXetHex()}};
    if (key) j["hmac"] = KeyedChunkHash(*key, c.hash).ToXetHex();
    chunks.push_back(std::move(j));
  }
  nlohmann::json doc = {
      {"path", f.path},
      {"size", r->size},
      {"file_id", r->file_id.ToXetHex()},
      {"sha256", r->sha256.ToRawHex()},
      {"xorb_hash", XorbHash(leaves).ToXetHex()},
      {"verification_hash", VerificationHash(hashes).ToXetHex()},
      {"chunks", std::move(chunks)},
  };
  std::string s = doc.dump(1);
  s += '\n';
  std::fwrite(s.data(), 1, s.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}

const Command kChunk("chunk", [](CLI::App& app, int& exit_code) {
  auto f = std::make_shared<ChunkFlags>();
  CLI::App* cmd = app.add_subcommand(
      "chunk",
      "Print the Xet chunks of a file, one line per chunk: <offset> <length> <chunk-hash>.\n"
      "Chunk hashes are in Xet hex. FILE '-' reads stdin. Exit status 1 if the file cannot be "
      "read (an error line on stderr names it).");
  cmd->add_option("file", f->path, "File to chunk, or - for stdin")->required();
  cmd->add_flag("--json", f->json,
                "Print one JSON document instead: path, size, file_id, sha256, xorb_hash (all "
                "chunks as one xorb), verification_hash (all chunks as one term) and chunks "
                "[{offset, length, hash}]");
  cmd->add_option("--hmac-key", f->hmac_key,
                  "With --json, add each chunk's keyed hash (the global-dedup \"hmac\") under "
                  "this 32-byte key, given as 64 plain hex digits");
  cmd->add_option("--threads", f->threads, "Hashing threads (0 = one per core)")
      ->check(CLI::NonNegativeNumber);
  cmd->callback([f, &exit_code] { exit_code = f->json ? RunJson(*f) : RunText(*f); });
});

}  // namespace
}  // namespace castor::cli
