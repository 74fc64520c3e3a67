#include "castor/format/shard/shard_builder.h"

#include <algorithm>
#include <string>
#include <tuple>

namespace castor {
namespace {

void AppendRecord(Bytes* out, const Hash& h, uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  AppendBytes(*out, h.span());
  AppendLE32(*out, a);
  AppendLE32(*out, b);
  AppendLE32(*out, c);
  AppendLE32(*out, d);
}

void AppendBookend(Bytes* out) {
  out->insert(out->end(), 32, 0xff);
  out->insert(out->end(), 16, 0);
}

struct Lookup {
  uint64_t key;
  uint32_t a;
  uint32_t b;
  bool operator<(const Lookup& o) const { return std::tie(key, a, b) < std::tie(o.key, o.a, o.b); }
};

}  // namespace

void AppendShardFooter(const ShardFooter& f, Bytes* out) {
  for (uint64_t v : {f.version, f.file_info_offset, f.cas_info_offset, f.file_lookup_offset,
                     f.file_lookup_num_entry, f.xorb_lookup_offset, f.xorb_lookup_num_entry,
                     f.chunk_lookup_offset, f.chunk_lookup_num_entry}) {
    AppendLE64(*out, v);
  }
  AppendBytes(*out, f.chunk_hash_key.span());
  AppendLE64(*out, f.creation_timestamp);
  AppendLE64(*out, f.key_expiry);
  out->insert(out->end(), 48, 0);
  for (uint64_t v :
       {f.stored_bytes_on_disk, f.materialized_bytes, f.stored_bytes, f.footer_offset}) {
    AppendLE64(*out, v);
  }
}

Result<Bytes> ShardBuilder::BuildUpload() const { return Build(Form::kUpload, {}, 0, 0); }

Result<Bytes> ShardBuilder::BuildStored(uint64_t creation_timestamp, uint64_t key_expiry) const {
  return Build(Form::kStored, {}, creation_timestamp, key_expiry);
}

Result<Bytes> ShardBuilder::BuildGlobalDedup(const HashKey& key, uint64_t creation_timestamp,
                                             uint64_t key_expiry) const {
  return Build(Form::kGlobalDedup, key, creation_timestamp, key_expiry);
}

Result<Bytes> ShardBuilder::Build(Form form, const HashKey& key, uint64_t creation_timestamp,
                                  uint64_t key_expiry) const {
  const bool with_files = form != Form::kGlobalDedup;
  const bool keyed = form == Form::kGlobalDedup;
  // Size check first, so that nothing is written for an oversized shard.
  uint64_t size = kShardHeaderSize + 2 * kShardRecordSize;
  size_t with_verification = 0, with_terms = 0;
  if (with_files) {
    for (size_t i = 0; i < files_.size(); ++i) {
      const ShardFile& f = files_[i];
      if (!f.verification.empty() && f.verification.size() != f.terms.size()) {
        return InvalidArgument("file " + f.file_hash.ToXetHex() + ": " +
                               std::to_string(f.verification.size()) + " verification hashes for " +
                               std::to_string(f.terms.size()) + " terms");
      }
      for (const ShardTerm& t : f.terms) {
        if (t.chunk_begin >= t.chunk_end) {
          return InvalidArgument("file " + f.file_hash.ToXetHex() + ": empty term [" +
                                 std::to_string(t.chunk_begin) + ", " +
                                 std::to_string(t.chunk_end) + ")");
        }
      }
      if (!f.verification.empty()) ++with_verification;
      if (!f.terms.empty()) ++with_terms;  // a file without terms has nothing to verify
      size += kShardRecordSize * (1 + f.terms.size() + f.verification.size() + (f.sha256 ? 1 : 0));
    }
    if (with_verification != 0 && with_verification != with_terms) {
      return InvalidArgument("some files carry verification hashes and others do not");
    }
  }
  size_t num_chunks = 0;
  for (const ShardXorb& x : xorbs_) num_chunks += x.chunks.size();
  size += kShardRecordSize * (xorbs_.size() + num_chunks);
  if (form != Form::kUpload) {
    size += kShardFooterSize + kShardXorbLookupEntrySize * xorbs_.size() +
            kShardChunkLookupEntrySize * num_chunks +
            (with_files ? kShardFileLookupEntrySize * files_.size() : 0);
  }
  if (size > kShardMaxBytes) {
    return InvalidArgument("shard of " + std::to_string(size) + " bytes exceeds 64 MiB");
  }

  Bytes out;
  out.reserve(size);
  out.insert(out.end(), kShardTag.begin(), kShardTag.end());
  AppendLE64(out, kShardHeaderVersion);
  AppendLE64(out, form == Form::kUpload ? 0 : kShardFooterSize);

  ShardFooter footer;
  footer.file_info_offset = out.size();
  std::vector<Lookup> file_lookup, xorb_lookup, chunk_lookup;
  uint32_t record = 0;
  if (with_files) {
    for (const ShardFile& f : files_) {
      file_lookup.push_back({TruncatedHash(f.file_hash), record, 0});
      AppendRecord(&out, f.file_hash, f.flags(), uint32_t(f.terms.size()), 0, 0);
      for (const ShardTerm& t : f.terms) {
        AppendRecord(&out, t.xorb_hash, t.cas_flags, t.unpacked_bytes, t.chunk_begin, t.chunk_end);
        footer.materialized_bytes += t.unpacked_bytes;
      }
      for (const Hash& v : f.verification) AppendRecord(&out, v, 0, 0, 0, 0);
      if (f.sha256) AppendRecord(&out, LaneReversed(*f.sha256), 0, 0, 0, 0);
      record += uint32_t(1 + f.terms.size() + f.verification.size() + (f.sha256 ? 1 : 0));
    }
  }
  AppendBookend(&out);

  footer.cas_info_offset = out.size();
  record = 0;
  for (const ShardXorb& x : xorbs_) {
    xorb_lookup.push_back({TruncatedHash(x.xorb_hash), record, 0});
    AppendRecord(&out, x.xorb_hash, x.flags, uint32_t(x.chunks.size()), x.num_bytes_in_cas,
                 x.num_bytes_on_disk);
    for (size_t i = 0; i < x.chunks.size(); ++i) {
      const ShardChunk& c = x.chunks[i];
      Hash h = keyed ? KeyedChunkHash(key, c.hash) : c.hash;
      chunk_lookup.push_back({TruncatedHash(h), record, uint32_t(i)});
      AppendRecord(&out, h, c.byte_range_start, c.unpacked_bytes, c.flags, 0);
    }
    footer.stored_bytes += x.num_bytes_in_cas;
    footer.stored_bytes_on_disk += x.num_bytes_on_disk;
    record += uint32_t(1 + x.chunks.size());
  }
  AppendBookend(&out);
  if (form == Form::kUpload) return out;

  std::sort(file_lookup.begin(), file_lookup.end());
  std::sort(xorb_lookup.begin(), xorb_lookup.end());
  std::sort(chunk_lookup.begin(), chunk_lookup.end());
  footer.file_lookup_offset = out.size();
  footer.file_lookup_num_entry = file_lookup.size();
  for (const Lookup& l : file_lookup) {
    AppendLE64(out, l.key);
    AppendLE32(out, l.a);
  }
  footer.xorb_lookup_offset = out.size();
  footer.xorb_lookup_num_entry = xorb_lookup.size();
  for (const Lookup& l : xorb_lookup) {
    AppendLE64(out, l.key);
    AppendLE32(out, l.a);
  }
  footer.chunk_lookup_offset = out.size();
  footer.chunk_lookup_num_entry = chunk_lookup.size();
  for (const Lookup& l : chunk_lookup) {
    AppendLE64(out, l.key);
    AppendLE32(out, l.a);
    AppendLE32(out, l.b);
  }
  if (keyed) footer.chunk_hash_key = key;
  footer.creation_timestamp = creation_timestamp;
  footer.key_expiry = key_expiry;
  footer.footer_offset = out.size();
  AppendShardFooter(footer, &out);
  return out;
}

}  // namespace castor
