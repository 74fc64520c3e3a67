// `castor shard inspect [--json] S`: everything a shard holds, in any of its forms.
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "castor/format/shard/shard_reader.h"
#include "command.h"

namespace castor::cli {
namespace {

struct ShardFlags {
  std::string path;
  bool json = false;
};

std::string U64(uint64_t v) { return std::to_string(v); }

nlohmann::json ToJson(const ShardReader& r) {
  nlohmann::json files = nlohmann::json::array();
  for (const ShardFile& f : r.files()) {
    nlohmann::json terms = nlohmann::json::array();
    for (size_t i = 0; i < f.terms.size(); ++i) {
      const ShardTerm& t = f.terms[i];
      nlohmann::json j = {{"xorb", t.xorb_hash.ToXetHex()},
                          {"chunks", {t.chunk_begin, t.chunk_end}},
                          {"bytes", t.unpacked_bytes},
                          {"flags", t.cas_flags}};
      if (!f.verification.empty()) j["verification"] = f.verification[i].ToXetHex();
      terms.push_back(std::move(j));
    }
    nlohmann::json j = {{"file_id", f.file_hash.ToXetHex()},
                        {"size", f.size()},
                        {"flags", f.flags()},
                        {"terms", std::move(terms)}};
    if (f.sha256) j["sha256"] = f.sha256->ToRawHex();
    files.push_back(std::move(j));
  }
  nlohmann::json xorbs = nlohmann::json::array();
  for (const ShardXorb& x : r.xorbs()) {
    nlohmann::json chunks = nlohmann::json::array();
    for (const ShardChunk& c : x.chunks) {
      chunks.push_back({{"hash", c.hash.ToXetHex()},
                        {"offset", c.byte_range_start},
                        {"size", c.unpacked_bytes},
                        {"flags", c.flags}});
    }
    xorbs.push_back({{"hash", x.xorb_hash.ToXetHex()},
                     {"flags", x.flags},
                     {"bytes", x.num_bytes_in_cas},
                     {"bytes_on_disk", x.num_bytes_on_disk},
                     {"chunks", std::move(chunks)}});
  }
  nlohmann::json doc = {
      {"header", {{"version", r.header_version()}, {"footer_size", r.footer_size()}}},
      {"files", std::move(files)},
      {"xorbs", std::move(xorbs)},
      {"keyed", r.keyed()}};
  if (r.footer()) {
    const ShardFooter& f = *r.footer();
    doc["footer"] = {{"version", f.version},
                     {"file_info_offset", f.file_info_offset},
                     {"cas_info_offset", f.cas_info_offset},
                     {"file_lookup", {f.file_lookup_offset, f.file_lookup_num_entry}},
                     {"xorb_lookup", {f.xorb_lookup_offset, f.xorb_lookup_num_entry}},
                     {"chunk_lookup", {f.chunk_lookup_offset, f.chunk_lookup_num_entry}},
                     {"chunk_hash_key", f.chunk_hash_key.ToRawHex()},
                     {"creation_timestamp", f.creation_timestamp},
                     {"key_expiry", f.key_expiry},
                     {"stored_bytes_on_disk", f.stored_bytes_on_disk},
                     {"materialized_bytes", f.materialized_bytes},
                     {"stored_bytes", f.stored_bytes},
                     {"footer_offset", f.footer_offset}};
  }
  return doc;
}

std::string ToText(const ShardReader& r) {
  std::string s =
      "header version " + U64(r.header_version()) + ", footer_size " + U64(r.footer_size()) + "\n";
  for (const ShardFile& f : r.files()) {
    s += "file " + f.file_hash.ToXetHex() + " size " + U64(f.size()) + " terms " +
         U64(f.terms.size());
    if (f.sha256) s += " sha256 " + f.sha256->ToRawHex();
    s += "\n";
    for (size_t i = 0; i < f.terms.size(); ++i) {
      const ShardTerm& t = f.terms[i];
      s += "  term " + t.xorb_hash.ToXetHex() + " [" + U64(t.chunk_begin) + ", " +
           U64(t.chunk_end) + ") " + U64(t.unpacked_bytes) + " bytes";
      if (!f.verification.empty()) s += " verification " + f.verification[i].ToXetHex();
      s += "\n";
    }
  }
  for (const ShardXorb& x : r.xorbs()) {
    s += "xorb " + x.xorb_hash.ToXetHex() + " chunks " + U64(x.chunks.size()) + " bytes " +
         U64(x.num_bytes_in_cas) + " on_disk " + U64(x.num_bytes_on_disk) + "\n";
    for (size_t i = 0; i < x.chunks.size(); ++i) {
      const ShardChunk& c = x.chunks[i];
      s += "  chunk " + U64(i) + " " + c.hash.ToXetHex() + " offset " + U64(c.byte_range_start) +
           " size " + U64(c.unpacked_bytes);
      if (c.flags) s += " flags " + U64(c.flags);
      s += "\n";
    }
  }
  if (r.footer()) {
    const ShardFooter& f = *r.footer();
    s += "footer version " + U64(f.version) + " file_info " + U64(f.file_info_offset) +
         " cas_info " + U64(f.cas_info_offset) + " file_lookup " + U64(f.file_lookup_offset) + "+" +
         U64(f.file_lookup_num_entry) + " xorb_lookup " + U64(f.xorb_lookup_offset) + "+" +
         U64(f.xorb_lookup_num_entry) + " chunk_lookup " + U64(f.chunk_lookup_offset) + "+" +
         U64(f.chunk_lookup_num_entry) + "\n";
    s += "  key " + f.chunk_hash_key.ToRawHex() + (r.keyed() ? " (chunk hashes keyed)" : "") + "\n";
    s += "  created " + U64(f.creation_timestamp) + " expiry " + U64(f.key_expiry) +
         " stored_bytes_on_disk " + U64(f.stored_bytes_on_disk) + " materialized_bytes " +
         U64(f.materialized_bytes) + " stored_bytes " + U64(f.stored_bytes) + " footer_offset " +
         U64(f.footer_offset) + "\n";
  }
  return s;
}

int RunInspect(const ShardFlags& f) {
  std::ifstream in(f.path, std::ios::binary);
  if (!in) {
    PrintError(ErrnoError(f.path, errno).message());
    return 1;
  }
  Bytes bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto r = ShardReader::Parse(bytes);
  if (!r.ok()) {
    PrintError(f.path + ": " + r.status().message());
    return 1;
  }
  std::string out = f.json ? ToJson(*r).dump(1) + "\n" : ToText(*r);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}

const Command kShard("shard", [](CLI::App& app, int& exit_code) {
  CLI::App* shard = app.add_subcommand("shard", "Inspect shards");
  shard->require_subcommand(1);
  auto flags = std::make_shared<ShardFlags>();
  CLI::App* i = shard->add_subcommand(
      "inspect",
      "Print a shard: its header, every file (file id, size, sha256, terms with verification "
      "hashes), every xorb with its chunks, and the footer. Hashes are in Xet hex, sha256 in "
      "the usual hex. Exit status 1 if the shard is malformed (stderr says what is wrong).");
  i->add_option("shard", flags->path, "Shard file")->required();
  i->add_flag("--json", flags->json, "Print one JSON document");
  i->callback([flags, &exit_code] { exit_code = RunInspect(*flags); });
});

}  // namespace
}  // namespace castor::cli
