#include "castor/format/shard/shard_reader.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace castor {
namespace {

std::string N(uint64_t v) { return std::to_string(v); }

bool IsBookendHash(const uint8_t* p) {
  for (int i = 0; i < 32; ++i) {
    if (p[i] != 0xff) return false;
  }
  return true;
}

Status CheckBookend(const uint8_t* p, const char* section, uint64_t pos) {
  for (int i = 32; i < 48; ++i) {
    if (p[i] != 0) {
      return Corruption(std::string(section) + " bookend at byte " + N(pos) +
                        ": non-zero bytes after the all-FF hash");
    }
  }
  return Status::OK();
}

ShardFooter DecodeFooter(const uint8_t* p) {
  ShardFooter f;
  f.version = LoadLE64(p);
  f.file_info_offset = LoadLE64(p + 8);
  f.cas_info_offset = LoadLE64(p + 16);
  f.file_lookup_offset = LoadLE64(p + 24);
  f.file_lookup_num_entry = LoadLE64(p + 32);
  f.xorb_lookup_offset = LoadLE64(p + 40);
  f.xorb_lookup_num_entry = LoadLE64(p + 48);
  f.chunk_lookup_offset = LoadLE64(p + 56);
  f.chunk_lookup_num_entry = LoadLE64(p + 64);
  f.chunk_hash_key = Hash::FromBytes(p + 72);
  f.creation_timestamp = LoadLE64(p + 104);
  f.key_expiry = LoadLE64(p + 112);
  f.stored_bytes_on_disk = LoadLE64(p + 168);
  f.materialized_bytes = LoadLE64(p + 176);
  f.stored_bytes = LoadLE64(p + 184);
  f.footer_offset = LoadLE64(p + 192);
  return f;
}

}  // namespace

Result<ShardReader> ShardReader::Parse(ByteSpan shard) {
  ShardReader r;
  const uint64_t size = shard.size();
  if (size > kShardMaxBytes) return Corruption("shard of " + N(size) + " bytes exceeds 64 MiB");
  if (size < kShardHeaderSize) return Corruption("shard of " + N(size) + " bytes has no header");
  const uint8_t* p = shard.data();
  if (std::memcmp(p, kShardTag.data(), kShardTag.size()) != 0) {
    return Corruption("bad shard tag (not a shard)");
  }
  r.header_version_ = LoadLE64(p + 32);
  if (r.header_version_ != kShardHeaderVersion) {
    return Corruption("unsupported shard header version " + N(r.header_version_));
  }
  r.footer_size_ = LoadLE64(p + 40);
  if (r.footer_size_ != 0 && r.footer_size_ != kShardFooterSize) {
    return Corruption("shard footer size " + N(r.footer_size_) + ": must be 0 or 200");
  }
  if (size < kShardHeaderSize + r.footer_size_) {
    return Corruption("shard of " + N(size) + " bytes cannot hold its footer");
  }
  const uint64_t end = size - r.footer_size_;  // the sections and tables end here

  // File-info section.
  std::vector<uint32_t> file_records;  // record index (from byte 48) of each file's header
  uint64_t pos = kShardHeaderSize;
  size_t with_verification = 0, with_terms = 0;
  for (;;) {
    if (end - pos < kShardRecordSize) {
      return Corruption("file-info section truncated at byte " + N(pos) + " (no bookend)");
    }
    const uint8_t* rec = p + pos;
    if (IsBookendHash(rec)) {
      CASTOR_RETURN_IF_ERROR(CheckBookend(rec, "file-info", pos));
      pos += kShardRecordSize;
      break;
    }
    const std::string where = "file " + N(r.files_.size()) + " at byte " + N(pos);
    const uint32_t flags = LoadLE32(rec + 32);
    const uint64_t n = LoadLE32(rec + 36);
    if (flags & ~(kFileFlagWithVerification | kFileFlagWithMetadataExt)) {
      return Corruption(where + ": unknown file flags 0x" + HexEncode(ByteSpan(rec + 32, 4)) +
                        " (bytes, little-endian)");
    }
    const bool verification = flags & kFileFlagWithVerification;
    const bool ext = flags & kFileFlagWithMetadataExt;
    const uint64_t records = 1 + n * (verification ? 2 : 1) + (ext ? 1 : 0);
    if (records > (end - pos) / kShardRecordSize) {
      return Corruption(where + ": " + N(n) + " terms run past the end of the shard");
    }
    file_records.push_back(uint32_t((pos - kShardHeaderSize) / kShardRecordSize));
    ShardFile f;
    f.file_hash = Hash::FromBytes(rec);
    const uint8_t* q = rec + kShardRecordSize;
    f.terms.resize(n);
    for (uint64_t i = 0; i < n; ++i, q += kShardRecordSize) {
      ShardTerm& t = f.terms[i];
      t.xorb_hash = Hash::FromBytes(q);
      t.cas_flags = LoadLE32(q + 32);
      t.unpacked_bytes = LoadLE32(q + 36);
      t.chunk_begin = LoadLE32(q + 40);
      t.chunk_end = LoadLE32(q + 44);
      if (t.chunk_begin >= t.chunk_end) {
        return Corruption(where + ": term " + N(i) + " has an empty chunk range [" +
                          N(t.chunk_begin) + ", " + N(t.chunk_end) + ")");
      }
    }
    if (n > 0) ++with_terms;
    if (verification) {
      if (n > 0) ++with_verification;  // a file without terms has nothing to verify either way
      f.verification.resize(n);
      for (uint64_t i = 0; i < n; ++i, q += kShardRecordSize) {
        f.verification[i] = Hash::FromBytes(q);
      }
    }
    if (ext) {
      f.sha256 = LaneReversed(Hash::FromBytes(q));
      q += kShardRecordSize;
    }
    pos = q - p;
    r.files_.push_back(std::move(f));
  }
  if (with_verification != 0 && with_verification != with_terms) {
    return Corruption(N(with_verification) + " of " + N(with_terms) +
                      " files with terms carry verification hashes (all or none must)");
  }

  // CAS-info section.
  r.cas_info_offset_ = pos;
  std::vector<uint32_t> xorb_records;
  for (;;) {
    if (end - pos < kShardRecordSize) {
      return Corruption("CAS-info section truncated at byte " + N(pos) + " (no bookend)");
    }
    const uint8_t* rec = p + pos;
    if (IsBookendHash(rec)) {
      CASTOR_RETURN_IF_ERROR(CheckBookend(rec, "CAS-info", pos));
      pos += kShardRecordSize;
      break;
    }
    const std::string where = "xorb " + N(r.xorbs_.size()) + " at byte " + N(pos);
    const uint64_t n = LoadLE32(rec + 36);
    if (1 + n > (end - pos) / kShardRecordSize) {
      return Corruption(where + ": " + N(n) + " chunks run past the end of the shard");
    }
    xorb_records.push_back(uint32_t((pos - r.cas_info_offset_) / kShardRecordSize));
    ShardXorb x;
    x.xorb_hash = Hash::FromBytes(rec);
    x.flags = LoadLE32(rec + 32);
    x.num_bytes_in_cas = LoadLE32(rec + 40);
    x.num_bytes_on_disk = LoadLE32(rec + 44);
    x.chunks.resize(n);
    const uint8_t* q = rec + kShardRecordSize;
    for (uint64_t i = 0; i < n; ++i, q += kShardRecordSize) {
      ShardChunk& c = x.chunks[i];
      c.hash = Hash::FromBytes(q);
      c.byte_range_start = LoadLE32(q + 32);
      c.unpacked_bytes = LoadLE32(q + 36);
      c.flags = LoadLE32(q + 40);
    }
    pos = q - p;
    r.xorbs_.push_back(std::move(x));
  }
  r.cas_info_end_ = pos;

  if (r.footer_size_ == 0) {
    if (pos != size) {
      return Corruption("shard without footer has " + N(size - pos) +
                        " bytes after the CAS-info bookend");
    }
    r.BuildLookupTables();
    return r;
  }

  ShardFooter f = DecodeFooter(p + end);
  if (f.version != kShardFooterVersion) {
    return Corruption("unsupported shard footer version " + N(f.version));
  }
  if (f.footer_offset != end) {
    return Corruption("shard footer offset " + N(f.footer_offset) + " != " + N(end));
  }
  if (f.file_info_offset != kShardHeaderSize || f.cas_info_offset != r.cas_info_offset_) {
    return Corruption("shard footer section offsets (" + N(f.file_info_offset) + ", " +
                      N(f.cas_info_offset) + ") != parsed (48, " + N(r.cas_info_offset_) + ")");
  }
  r.footer_ = f;
  CASTOR_RETURN_IF_ERROR(r.ReadLookupTables(shard, file_records, xorb_records));
  return r;
}

Status ShardReader::ReadLookupTables(ByteSpan shard, const std::vector<uint32_t>& file_records,
                                     const std::vector<uint32_t>& xorb_records) {
  const ShardFooter& f = *footer_;
  const uint64_t end = f.footer_offset;
  if (f.file_lookup_num_entry == 0 && f.xorb_lookup_num_entry == 0 &&
      f.chunk_lookup_num_entry == 0) {
    // Upload shards with a footer carry no tables (and may zero the offsets).
    if (cas_info_end_ != end) {
      return Corruption("shard has " + N(end - cas_info_end_) +
                        " bytes between the CAS-info bookend and the footer but no lookup table");
    }
    BuildLookupTables();
    return Status::OK();
  }
  // Locates a table and checks it lies between the sections and the footer.
  auto table = [&](const char* name, uint64_t offset, uint64_t count,
                   size_t entry) -> Result<const uint8_t*> {
    if (offset < cas_info_end_ || offset > end || count > (end - offset) / entry) {
      return Corruption(std::string("shard ") + name + " lookup table (offset " + N(offset) + ", " +
                        N(count) + " entries) outside the shard's table area");
    }
    return shard.data() + offset;
  };
  auto record_ordinal = [](const std::vector<uint32_t>& records, uint32_t index) -> int64_t {
    auto it = std::lower_bound(records.begin(), records.end(), index);
    if (it == records.end() || *it != index) return -1;
    return it - records.begin();
  };
  auto check_sorted = [](const std::vector<Entry>& t, const char* name) -> Status {
    for (size_t i = 1; i < t.size(); ++i) {
      if (t[i].key < t[i - 1].key) {
        return Corruption(std::string("shard ") + name + " lookup table not sorted at entry " +
                          N(i));
      }
    }
    return Status::OK();
  };

  CASTOR_ASSIGN_OR_RETURN(
      const uint8_t* fp,
      table("file", f.file_lookup_offset, f.file_lookup_num_entry, kShardFileLookupEntrySize));
  CASTOR_ASSIGN_OR_RETURN(
      const uint8_t* xp,
      table("xorb", f.xorb_lookup_offset, f.xorb_lookup_num_entry, kShardXorbLookupEntrySize));
  CASTOR_ASSIGN_OR_RETURN(
      const uint8_t* cp,
      table("chunk", f.chunk_lookup_offset, f.chunk_lookup_num_entry, kShardChunkLookupEntrySize));
  for (uint64_t i = 0; i < f.file_lookup_num_entry; ++i, fp += kShardFileLookupEntrySize) {
    int64_t ord = record_ordinal(file_records, LoadLE32(fp + 8));
    if (ord < 0) {
      return Corruption("shard file lookup entry " + N(i) + " points at record " +
                        N(LoadLE32(fp + 8)) + ", not a file header");
    }
    file_lookup_.push_back({LoadLE64(fp), uint32_t(ord), 0});
  }
  for (uint64_t i = 0; i < f.xorb_lookup_num_entry; ++i, xp += kShardXorbLookupEntrySize) {
    int64_t ord = record_ordinal(xorb_records, LoadLE32(xp + 8));
    if (ord < 0) {
      return Corruption("shard xorb lookup entry " + N(i) + " points at record " +
                        N(LoadLE32(xp + 8)) + ", not a xorb header");
    }
    xorb_lookup_.push_back({LoadLE64(xp), uint32_t(ord), 0});
  }
  for (uint64_t i = 0; i < f.chunk_lookup_num_entry; ++i, cp += kShardChunkLookupEntrySize) {
    int64_t ord = record_ordinal(xorb_records, LoadLE32(cp + 8));
    uint32_t chunk = LoadLE32(cp + 12);
    if (ord < 0 || chunk >= xorbs_[ord].chunks.size()) {
      return Corruption("shard chunk lookup entry " + N(i) + " points at record " +
                        N(LoadLE32(cp + 8)) + " chunk " + N(chunk) + ", not a chunk");
    }
    chunk_lookup_.push_back({LoadLE64(cp), uint32_t(ord), chunk});
  }
  CASTOR_RETURN_IF_ERROR(check_sorted(file_lookup_, "file"));
  CASTOR_RETURN_IF_ERROR(check_sorted(xorb_lookup_, "xorb"));
  CASTOR_RETURN_IF_ERROR(check_sorted(chunk_lookup_, "chunk"));
  tables_from_shard_ = true;
  BuildLookupTables();  // any table the writer left empty
  return Status::OK();
}

void ShardReader::BuildLookupTables() {
  // Only tables the shard did not provide (all three for shards without lookup tables).
  if (file_lookup_.empty()) {
    for (size_t i = 0; i < files_.size(); ++i) {
      file_lookup_.push_back({TruncatedHash(files_[i].file_hash), uint32_t(i), 0});
    }
    std::stable_sort(file_lookup_.begin(), file_lookup_.end());
  }
  if (xorb_lookup_.empty()) {
    for (size_t i = 0; i < xorbs_.size(); ++i) {
      xorb_lookup_.push_back({TruncatedHash(xorbs_[i].xorb_hash), uint32_t(i), 0});
    }
    std::stable_sort(xorb_lookup_.begin(), xorb_lookup_.end());
  }
  if (chunk_lookup_.empty()) {
    for (size_t i = 0; i < xorbs_.size(); ++i) {
      for (size_t c = 0; c < xorbs_[i].chunks.size(); ++c) {
        chunk_lookup_.push_back(
            {TruncatedHash(xorbs_[i].chunks[c].hash), uint32_t(i), uint32_t(c)});
      }
    }
    std::stable_sort(chunk_lookup_.begin(), chunk_lookup_.end());
  }
}

std::optional<size_t> ShardReader::FindFile(const Hash& file_hash) const {
  Entry key{TruncatedHash(file_hash), 0, 0};
  for (auto it = std::lower_bound(file_lookup_.begin(), file_lookup_.end(), key);
       it != file_lookup_.end() && it->key == key.key; ++it) {
    if (files_[it->a].file_hash == file_hash) return it->a;
  }
  return std::nullopt;
}

std::optional<size_t> ShardReader::FindXorb(const Hash& xorb_hash) const {
  Entry key{TruncatedHash(xorb_hash), 0, 0};
  for (auto it = std::lower_bound(xorb_lookup_.begin(), xorb_lookup_.end(), key);
       it != xorb_lookup_.end() && it->key == key.key; ++it) {
    if (xorbs_[it->a].xorb_hash == xorb_hash) return it->a;
  }
  return std::nullopt;
}

std::optional<ShardChunkLocation> ShardReader::FindStoredChunkHash(const Hash& stored) const {
  Entry key{TruncatedHash(stored), 0, 0};
  for (auto it = std::lower_bound(chunk_lookup_.begin(), chunk_lookup_.end(), key);
       it != chunk_lookup_.end() && it->key == key.key; ++it) {
    if (xorbs_[it->a].chunks[it->b].hash == stored) return ShardChunkLocation{it->a, it->b};
  }
  return std::nullopt;
}

std::optional<ShardChunkLocation> ShardReader::FindChunk(const Hash& chunk_hash) const {
  return FindStoredChunkHash(keyed() ? KeyedChunkHash(footer_->chunk_hash_key, chunk_hash)
                                     : chunk_hash);
}

}  // namespace castor
