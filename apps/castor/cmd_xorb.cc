// `castor xorb pack|inspect|extract`: pack files into xorbs and an upload shard, list and verify
// a xorb's chunks, and decode a chunk range.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "castor/dedup/upload_builder.h"
#include "castor/format/xorb/xorb_reader.h"
#include "castor/hash/blake3.h"
#include "castor/transfer/file_scanner.h"
#include "command.h"

namespace castor::cli {
namespace {

namespace fs = std::filesystem;

Result<Bytes> ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return ErrnoError(path, errno);
  Bytes b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return IOError(path + ": read failed");
  return b;
}

// Writes via a temporary name and a rename, so a reader never sees a partial object.
Status WriteAll(const fs::path& path, ByteSpan data) {
  fs::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return ErrnoError(tmp.string(), errno);
    out.write(reinterpret_cast<const char*>(data.data()), std::streamsize(data.size()));
    out.flush();
    if (!out) return IOError(tmp.string() + ": write failed");
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return IOError(path.string() + ": " + ec.message());
  return Status::OK();
}

// ---- pack ------------------------------------------------------------------------------------

struct PackFlags {
  std::vector<std::string> files;
  std::string out = ".";
  std::string compression = "predict";
};

int RunPack(const PackFlags& f) {
  auto policy = ParseCompressionPolicy(f.compression);
  if (!policy.ok()) {
    PrintError("--" + policy.status().message());
    return 2;
  }
  std::error_code ec;
  fs::create_directories(f.out, ec);
  if (ec) {
    PrintError(f.out + ": " + ec.message());
    return 1;
  }
  UploadBuilder upload(XorbBuilderOptions{.compression = *policy});
  auto write_xorb = [&](const SerializedXorb& x) -> Status {
    std::string name = x.hash.ToXetHex() + ".xorb";
    CASTOR_RETURN_IF_ERROR(WriteAll(fs::path(f.out) / name, x.bytes));
    std::printf("xorb %s %zu chunks %llu -> %zu bytes\n", x.hash.ToXetHex().c_str(),
                x.chunks.size(), static_cast<unsigned long long>(x.uncompressed_bytes),
                x.bytes.size());
    return Status::OK();
  };
  for (const std::string& path : f.files) {
    upload.BeginFile();
    ScanOptions opts;
    opts.keep_chunks = false;
    auto scan = ScanFile(path, opts, [&](ByteSpan data, const ScannedChunk& c) -> Status {
      CASTOR_ASSIGN_OR_RETURN(auto done, upload.AddChunk(data, c.hash));
      if (done) return write_xorb(*done);
      return Status::OK();
    });
    if (!scan.ok()) {
      PrintError(scan.status().message());
      return 1;
    }
    Status s = upload.EndFile(scan->file_id, scan->sha256);
    if (!s.ok()) {
      PrintError(path + ": " + s.message());
      return 1;
    }
    std::printf("file %s %llu %s\n", scan->file_id.ToXetHex().c_str(),
                static_cast<unsigned long long>(scan->size), path.c_str());
  }
  if (auto last = upload.Finish()) {
    Status s = write_xorb(*last);
    if (!s.ok()) {
      PrintError(s.message());
      return 1;
    }
  }
  auto shard = upload.BuildShard();
  if (!shard.ok()) {
    PrintError(shard.status().message());
    return 1;
  }
  // Shards have no protocol hash; name the file by its content so packs never collide.
  fs::path shard_path = fs::path(f.out) / (Blake3(*shard).ToRawHex() + ".shard");
  Status s = WriteAll(shard_path, *shard);
  if (!s.ok()) {
    PrintError(s.message());
    return 1;
  }
  std::printf("shard %s %zu bytes\n", shard_path.c_str(), shard->size());
  return std::fflush(stdout) == 0 ? 0 : 1;
}

// ---- inspect ---------------------------------------------------------------------------------

struct InspectFlags {
  std::string path;
  bool json = false;
  bool verify = false;
  std::string hash;
};

// The hash a xorb file's name states: "<64 hex>" or "<64 hex>.xorb".
std::optional<Hash> HashFromName(const std::string& path) {
  std::string stem = fs::path(path).filename().string();
  if (stem.size() > 5 && stem.ends_with(".xorb")) stem.resize(stem.size() - 5);
  return Hash::FromXetHex(stem);
}

int RunInspect(const InspectFlags& f) {
  std::optional<Hash> expected;
  std::string expected_from;
  if (!f.hash.empty()) {
    expected = Hash::FromXetHex(f.hash);
    if (!expected) {
      PrintError("--hash: expected 64 hex digits (Xet hex)");
      return 2;
    }
    expected_from = "--hash";
  } else if ((expected = HashFromName(f.path))) {
    expected_from = "the file name";
  }
  auto bytes = ReadAll(f.path);
  if (!bytes.ok()) {
    PrintError(bytes.status().message());
    return 1;
  }
  auto reader = XorbReader::Parse(*bytes);
  if (!reader.ok()) {
    PrintError(f.path + ": " + reader.status().message());
    return 1;
  }
  // Chunk hashes need the decoded chunks; a chunk that fails to decode ends the listing.
  auto hashes = reader->ComputeChunkHashes();
  const XorbReader& r = *reader;
  nlohmann::json chunks = nlohmann::json::array();
  std::string text;
  char line[256];
  std::snprintf(line, sizeof line,
                "# %zu chunks, %llu bytes of records, %llu bytes decoded, %s\n"
                "# index offset length scheme compressed uncompressed uncompressed_offset hash\n",
                r.num_chunks(), static_cast<unsigned long long>(r.records_size()),
                static_cast<unsigned long long>(r.uncompressed_size()),
                r.footer() ? "with footer" : "no footer");
  text += line;
  for (size_t i = 0; i < r.num_chunks(); ++i) {
    const XorbChunkRecord& c = r.chunk(i);
    std::string h = hashes.ok() ? (*hashes)[i].hash.ToXetHex() : "-";
    uint64_t length = kChunkHeaderSize + c.header.compressed_size;
    std::snprintf(line, sizeof line, "%zu %llu %llu %s %u %u %llu %s\n", i,
                  static_cast<unsigned long long>(c.offset),
                  static_cast<unsigned long long>(length),
                  std::string(CompressionSchemeName(c.header.scheme)).c_str(),
                  c.header.compressed_size, c.header.uncompressed_size,
                  static_cast<unsigned long long>(c.uncompressed_offset), h.c_str());
    text += line;
    chunks.push_back({{"index", i},
                      {"offset", c.offset},
                      {"length", length},
                      {"scheme", CompressionSchemeName(c.header.scheme)},
                      {"compressed_size", c.header.compressed_size},
                      {"uncompressed_size", c.header.uncompressed_size},
                      {"uncompressed_offset", c.uncompressed_offset},
                      {"hash", h}});
  }
  int rc = 0;
  std::optional<Hash> computed;
  if (hashes.ok()) computed = XorbHash(*hashes);
  nlohmann::json doc = {{"path", f.path},
                        {"num_chunks", r.num_chunks()},
                        {"records_size", r.records_size()},
                        {"uncompressed_size", r.uncompressed_size()},
                        {"footer", r.footer().has_value()},
                        {"chunks", chunks}};
  if (computed) doc["xorb_hash"] = computed->ToXetHex();
  std::string verdict;
  if (!hashes.ok()) {
    verdict = "corrupt: " + hashes.status().message();
    rc = 1;
  } else if (f.verify) {
    if (!expected) {
      verdict = "xorb hash " + computed->ToXetHex() + " (no expected hash: name the file " +
                "<hash>.xorb or pass --hash)";
    } else {
      Status v = r.Verify(*expected);
      doc["expected_hash"] = expected->ToXetHex();
      doc["verified"] = v.ok();
      if (v.ok()) {
        verdict = "OK: xorb hash " + computed->ToXetHex() + " matches " + expected_from;
      } else {
        verdict = "MISMATCH: " + v.message() + " (expected from " + expected_from + ")";
        rc = 1;
      }
    }
  }
  if (f.json) {
    if (!verdict.empty()) doc["verdict"] = verdict;
    std::string s = doc.dump(1);
    s += '\n';
    std::fwrite(s.data(), 1, s.size(), stdout);
  } else {
    if (computed) text += "# xorb hash " + computed->ToXetHex() + "\n";
    std::fwrite(text.data(), 1, text.size(), stdout);
    if (!verdict.empty()) std::printf("%s\n", verdict.c_str());
  }
  if (rc != 0 && !hashes.ok()) PrintError(f.path + ": " + hashes.status().message());
  if (std::fflush(stdout) != 0) return 1;
  return rc;
}

// ---- extract ---------------------------------------------------------------------------------

struct ExtractFlags {
  std::string path;
  std::string chunks;
  std::string out;
};

int RunExtract(const ExtractFlags& f) {
  size_t colon = f.chunks.find(':');
  size_t first = 0, last = 0;
  try {
    if (colon == std::string::npos) throw std::invalid_argument("no colon");
    size_t used = 0;
    first = std::stoull(f.chunks.substr(0, colon), &used);
    if (used != colon) throw std::invalid_argument("trailing");
    std::string b = f.chunks.substr(colon + 1);
    last = std::stoull(b, &used);
    if (used != b.size()) throw std::invalid_argument("trailing");
  } catch (const std::exception&) {
    PrintError("--chunks: expected A:B (chunk indices, B exclusive), got '" + f.chunks + "'");
    return 2;
  }
  auto bytes = ReadAll(f.path);
  if (!bytes.ok()) {
    PrintError(bytes.status().message());
    return 1;
  }
  auto reader = XorbReader::Parse(*bytes);
  if (!reader.ok()) {
    PrintError(f.path + ": " + reader.status().message());
    return 1;
  }
  Bytes out;
  Status s = reader->ExtractRange(first, last, &out);
  if (!s.ok()) {
    PrintError(f.path + ": " + s.message());
    return s.code() == StatusCode::kOutOfRange ? 2 : 1;
  }
  if (f.out == "-") {
    if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size() || std::fflush(stdout) != 0) {
      PrintError("stdout: write failed");
      return 1;
    }
    return 0;
  }
  s = WriteAll(f.out, out);
  if (!s.ok()) {
    PrintError(s.message());
    return 1;
  }
  return 0;
}

const Command kXorb("xorb", [](CLI::App& app, int& exit_code) {
  CLI::App* xorb = app.add_subcommand("xorb", "Pack, inspect and decode xorbs");
  xorb->require_subcommand(1);

  auto pack = std::make_shared<PackFlags>();
  CLI::App* p = xorb->add_subcommand(
      "pack",
      "Chunk FILEs and pack their chunks into xorbs (several files per xorb when they fit; "
      "repeated chunks stored once), written as OUT/<xorb-hash>.xorb, plus an upload-form "
      "shard OUT/<blake3-of-shard>.shard describing every file. Prints one line per xorb "
      "('xorb <hash> <chunks> chunks <bytes> -> <serialized bytes> bytes'), per file "
      "('file <file-id> <size> <path>') and for the shard.");
  p->add_option("files", pack->files, "Files to pack")->required();
  p->add_option("-o,--out", pack->out, "Output directory (created if missing)")
      ->capture_default_str();
  p->add_option("--compression", pack->compression,
                "predict (default: one codec per chunk, chosen cheaply), best (try LZ4 and "
                "BG4+LZ4 on every chunk), lz4, bg4, none")
      ->capture_default_str();
  p->callback([pack, &exit_code] { exit_code = RunPack(*pack); });

  auto ins = std::make_shared<InspectFlags>();
  CLI::App* i = xorb->add_subcommand(
      "inspect",
      "List a xorb's chunks, one line each: index, offset, length (header included), scheme, "
      "compressed and uncompressed size, offset in the decoded xorb, chunk hash. Accepts "
      "xorbs with or without the server footer. Exit status 1 if the xorb is corrupt or, with "
      "--verify, if its hash does not match.");
  i->add_option("xorb", ins->path, "Xorb file")->required();
  i->add_flag("--json", ins->json, "Print one JSON document");
  i->add_flag("--verify", ins->verify,
              "Check the xorb hash against --hash or the file name (<hash>.xorb) and any footer");
  i->add_option("--hash", ins->hash, "Expected xorb hash (Xet hex)");
  i->callback([ins, &exit_code] { exit_code = RunInspect(*ins); });

  auto ext = std::make_shared<ExtractFlags>();
  CLI::App* e = xorb->add_subcommand(
      "extract", "Write the decoded bytes of chunks [A, B) of a xorb to OUT ('-' = stdout).");
  e->add_option("xorb", ext->path, "Xorb file")->required();
  e->add_option("--chunks", ext->chunks, "Chunk range A:B, B exclusive")->required();
  e->add_option("-o,--out", ext->out, "Output file, or - for stdout")->required();
  e->callback([ext, &exit_code] { exit_code = RunExtract(*ext); });
});

}  // namespace
}  // namespace castor::cli
