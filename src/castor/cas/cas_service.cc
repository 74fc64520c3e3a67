#include "castor/cas/cas_service.h"

#include <algorithm>
#include <random>

#include "castor/cas/store_layout.h"
#include "castor/format/shard/shard_builder.h"
#include "castor/format/shard/shard_reader.h"
#include "castor/format/xorb/xorb_reader.h"
#include "castor/hash/blake3.h"
#include "castor/hash/sha256.h"
#include "castor/hash/xet_hash.h"

namespace castor::cas {

namespace {

HashKey RandomKey() {
  std::random_device rd;
  HashKey k;
  for (size_t i = 0; i < k.bytes.size(); i += 4) {
    uint32_t v = rd();
    std::memcpy(k.bytes.data() + i, &v, 4);
  }
  return k;
}

// Uncompressed size of chunk i of a stored xorb.
uint32_t ChunkSize(const XorbFooter& f, size_t i) {
  return f.uncompressed_ends[i] - (i == 0 ? 0 : f.uncompressed_ends[i - 1]);
}

Status Reject(std::string msg) { return InvalidArgument(std::move(msg)); }

}  // namespace

CasService::CasService(ObjectStore* store, CasOptions options)
    : store_(store), options_(std::move(options)), xorbs_(store, options_.xorb_cache_entries) {
  if (options_.dedup_key.IsZero()) options_.dedup_key = RandomKey();
}

Result<bool> CasService::PutXorb(const Hash& xorb_hash, ByteSpan body) {
  const std::string name = "xorb " + xorb_hash.ToXetHex();
  // Content addressing: an existing xorb under this hash is the same xorb.
  auto existing = store_->Head(XorbKey(xorb_hash));
  if (existing.ok()) return false;
  if (existing.status().code() != StatusCode::kNotFound) return existing.status();

  auto reader = XorbReader::Parse(body);
  if (!reader.ok()) return Reject(name + ": " + reader.status().message());
  // Size limits are the reader's: 64 MiB of records plus 8 bytes of header per chunk (the
  // reference client cuts on uncompressed bytes), any uncompressed size within 8192 chunks (the
  // JS client cuts on serialized bytes). Both clients' xorbs must be accepted.
  auto chunks = reader->ComputeChunkHashes();
  if (!chunks.ok()) return Reject(name + ": " + chunks.status().message());
  Hash actual = XorbHash(*chunks);
  if (actual != xorb_hash) {
    return Reject(name + ": the body's chunks hash to " + actual.ToXetHex());
  }
  std::vector<uint32_t> physical_ends;
  physical_ends.reserve(reader->num_chunks());
  for (const auto& c : reader->chunks()) {
    physical_ends.push_back(uint32_t(c.offset + 8 + c.header.compressed_size));
  }
  auto stored = std::make_shared<StoredXorb>();
  stored->footer = MakeXorbFooter(xorb_hash, *chunks, physical_ends);
  stored->records_size = reader->records_size();
  // The records go to the store as received and the footer after them: no copy of the body.
  Bytes footer;
  stored->footer.AppendTo(&footer);
  stored->object_size = stored->records_size + footer.size();
  WriterOptions wo;
  wo.if_absent = true;
  wo.expected_size = stored->object_size;
  CASTOR_ASSIGN_OR_RETURN(auto writer, store_->NewWriter(XorbKey(xorb_hash), wo));
  CASTOR_RETURN_IF_ERROR(writer->Write(body.first(stored->records_size)));
  CASTOR_RETURN_IF_ERROR(writer->Write(footer));
  PutOutcome outcome = PutOutcome::kCreated;
  CASTOR_RETURN_IF_ERROR(writer->Commit(&outcome).status());
  xorbs_.Insert(xorb_hash, stored);
  return outcome == PutOutcome::kCreated;
}

Result<uint64_t> CasService::XorbSize(const Hash& xorb_hash) {
  CASTOR_ASSIGN_OR_RETURN(auto stored, xorbs_.Get(xorb_hash));
  return stored->records_size;
}

Result<ShardUploadResult> CasService::PutShard(ByteSpan body, uint64_t now_unix) {
  if (body.size() > kShardMaxBytes) {
    return Reject("shard of " + std::to_string(body.size()) + " bytes exceeds the 64 MiB limit");
  }
  auto parsed = ShardReader::Parse(body);
  if (!parsed.ok()) return Reject("shard: " + parsed.status().message());
  const ShardReader& shard = *parsed;
  if (shard.keyed()) return Reject("shard: an upload must not carry keyed chunk hashes");

  // Every xorb the shard names must be stored already, and agree with what is stored.
  auto load = [&](const Hash& xorb, const std::string& where)
      -> Result<std::shared_ptr<const StoredXorb>> {
    auto stored = xorbs_.Get(xorb);
    if (stored.status().code() == StatusCode::kNotFound) {
      return Reject(where + ": xorb " + xorb.ToXetHex() + " has not been uploaded");
    }
    return stored;
  };
  for (size_t x = 0; x < shard.xorbs().size(); ++x) {
    const ShardXorb& sx = shard.xorbs()[x];
    const std::string where = "shard xorb block " + std::to_string(x);
    CASTOR_ASSIGN_OR_RETURN(auto stored, load(sx.xorb_hash, where));
    const XorbFooter& f = stored->footer;
    if (sx.chunks.size() != f.num_chunks()) {
      return Reject(where + ": lists " + std::to_string(sx.chunks.size()) + " chunks, xorb " +
                    sx.xorb_hash.ToXetHex() + " has " + std::to_string(f.num_chunks()));
    }
    for (size_t i = 0; i < sx.chunks.size(); ++i) {
      if (sx.chunks[i].hash != f.chunk_hashes[i] || sx.chunks[i].unpacked_bytes != ChunkSize(f, i)) {
        return Reject(where + ": chunk " + std::to_string(i) + " disagrees with xorb " +
                      sx.xorb_hash.ToXetHex());
      }
    }
  }

  // Every file must reconstruct to its id from the stored chunks, term by term.
  for (size_t fi = 0; fi < shard.files().size(); ++fi) {
    const ShardFile& file = shard.files()[fi];
    const std::string where = "shard file " + file.file_hash.ToXetHex();
    if (!file.terms.empty() && file.verification.size() != file.terms.size()) {
      return Reject(where + ": verification hashes are missing");
    }
    std::vector<HashAndSize> chunks;
    for (size_t t = 0; t < file.terms.size(); ++t) {
      const ShardTerm& term = file.terms[t];
      const std::string tw = where + ": term " + std::to_string(t);
      CASTOR_ASSIGN_OR_RETURN(auto stored, load(term.xorb_hash, tw));
      const XorbFooter& f = stored->footer;
      if (term.chunk_begin >= term.chunk_end || term.chunk_end > f.num_chunks()) {
        return Reject(tw + ": chunks [" + std::to_string(term.chunk_begin) + ", " +
                      std::to_string(term.chunk_end) + ") are not within the xorb's " +
                      std::to_string(f.num_chunks()));
      }
      uint64_t bytes = 0;
      for (uint32_t c = term.chunk_begin; c < term.chunk_end; ++c) {
        chunks.push_back({f.chunk_hashes[c], ChunkSize(f, c)});
        bytes += ChunkSize(f, c);
      }
      if (bytes != term.unpacked_bytes) {
        return Reject(tw + ": says " + std::to_string(term.unpacked_bytes) + " bytes, its chunks hold " +
                      std::to_string(bytes));
      }
      Hash expect = VerificationHash(std::span(f.chunk_hashes).subspan(
          term.chunk_begin, term.chunk_end - term.chunk_begin));
      if (file.verification[t] != expect) return Reject(tw + ": wrong verification hash");
    }
    Hash id = FileHash(chunks);
    if (id != file.file_hash) {
      return Reject(where + ": its terms reconstruct to file id " + id.ToXetHex());
    }
  }

  // Valid: keep the shard, then make its files visible, then index dedup candidates.
  ShardBuilder stored;
  for (const auto& f : shard.files()) stored.AddFile(f);
  for (const auto& x : shard.xorbs()) stored.AddXorb(x);
  CASTOR_ASSIGN_OR_RETURN(Bytes stored_bytes, stored.BuildStored(now_unix));
  const Hash digest = Blake3(body);
  CASTOR_RETURN_IF_ERROR(store_->PutIfAbsent(ShardKey(digest), stored_bytes).status());

  ShardUploadResult result;
  result.files = shard.files().size();
  result.xorbs = shard.xorbs().size();
  std::vector<std::pair<Hash, Hash>> dedup;  // chunk -> xorb holding it
  for (const auto& f : shard.files()) {
    ShardBuilder one;
    one.AddFile(f);
    CASTOR_ASSIGN_OR_RETURN(Bytes record, one.BuildStored(now_unix));
    CASTOR_ASSIGN_OR_RETURN(PutOutcome o, store_->PutIfAbsent(FileKey(f.file_hash), record));
    if (o == PutOutcome::kCreated) result.registered_new = true;
    if (!f.terms.empty()) {
      CASTOR_ASSIGN_OR_RETURN(auto x, xorbs_.Get(f.terms[0].xorb_hash));
      dedup.emplace_back(x->footer.chunk_hashes[f.terms[0].chunk_begin], f.terms[0].xorb_hash);
    }
  }
  for (const auto& x : shard.xorbs()) {
    for (const auto& c : x.chunks) {
      if (IsGlobalDedupEligible(c.hash) || (c.flags & kChunkFlagGlobalDedup)) {
        dedup.emplace_back(c.hash, x.xorb_hash);
      }
    }
  }
  // A pointer names the xorb and the shard that brought it: an answer then covers the xorbs
  // uploaded together, which a client re-sending the same files will meet next.
  for (const auto& [chunk, xorb] : dedup) {
    Bytes pointer(xorb.bytes.begin(), xorb.bytes.end());
    pointer.insert(pointer.end(), digest.bytes.begin(), digest.bytes.end());
    CASTOR_RETURN_IF_ERROR(store_->PutIfAbsent(DedupKey(chunk), pointer).status());
  }
  return result;
}

Result<FileRecord> CasService::GetFile(const Hash& file_id) {
  // The empty file's id is all zeros (no chunks, no Merkle root): it always exists and is never
  // recorded, since a shard cannot describe a file without terms consistently across clients.
  if (file_id.IsZero()) {
    FileRecord empty;
    empty.file.sha256 = Sha256::Of({});
    return empty;
  }
  auto bytes = store_->Get(FileKey(file_id));
  if (!bytes.ok()) {
    if (bytes.status().code() == StatusCode::kNotFound) {
      return NotFound("file " + file_id.ToXetHex() + " is not known");
    }
    return bytes.status();
  }
  auto shard = ShardReader::Parse(*bytes);
  if (!shard.ok()) return shard.status().WithContext("file record " + file_id.ToXetHex());
  if (shard->files().size() != 1 || shard->files()[0].file_hash != file_id) {
    return Corruption("file record " + file_id.ToXetHex() + " holds another file");
  }
  return FileRecord{shard->files()[0]};
}

Result<ReconstructionPlan> CasService::PlanReconstruction(
    const Hash& file_id, std::optional<protocol::ByteRange> range) {
  CASTOR_ASSIGN_OR_RETURN(FileRecord record, GetFile(file_id));
  return PlanReconstruction(record, range);
}

Result<ReconstructionPlan> CasService::PlanReconstruction(const FileRecord& record,
                                                          std::optional<protocol::ByteRange> range) {
  ReconstructionPlan plan;
  plan.file_size = record.size();
  uint64_t start = range ? range->start : 0;
  uint64_t end = range ? std::min(range->end, plan.file_size) : plan.file_size;
  if (plan.file_size == 0 && start == 0) return plan;
  if (start >= plan.file_size) {
    return OutOfRange("range starts at " + std::to_string(start) + ", the file has " +
                      std::to_string(plan.file_size) + " bytes");
  }
  std::map<Hash, std::vector<protocol::ChunkRange>> wanted;
  uint64_t pos = 0;  // file offset of the current term
  bool first = true;
  for (const ShardTerm& term : record.file.terms) {
    uint64_t term_end = pos + term.unpacked_bytes;
    if (term_end <= start) {
      pos = term_end;
      continue;
    }
    if (pos >= end) break;
    CASTOR_ASSIGN_OR_RETURN(auto stored, xorbs_.Get(term.xorb_hash));
    const XorbFooter& f = stored->footer;
    if (term.chunk_end > f.num_chunks()) {
      return Corruption("file record names chunks past the end of xorb " + term.xorb_hash.ToXetHex());
    }
    uint32_t cb = term.chunk_begin, ce = term.chunk_end;
    uint64_t chunk_pos = pos;
    while (cb < ce && chunk_pos + ChunkSize(f, cb) <= start) chunk_pos += ChunkSize(f, cb++);
    uint64_t kept_start = chunk_pos, p = chunk_pos;
    uint32_t last = cb;
    while (last < ce && p < end) p += ChunkSize(f, last++);
    protocol::Term t;
    t.hash = term.xorb_hash;
    t.range = {cb, last};
    t.unpacked_length = uint32_t(p - kept_start);
    if (first) {
      plan.offset_into_first_range = start - kept_start;
      first = false;
    }
    plan.terms.push_back(t);
    wanted[term.xorb_hash].push_back(t.range);
    pos = term_end;
  }
  for (auto& [xorb, ranges] : wanted) {
    std::sort(ranges.begin(), ranges.end(),
              [](const auto& a, const auto& b) { return a.start < b.start; });
    std::vector<protocol::ChunkRange> merged;
    for (const auto& r : ranges) {
      if (!merged.empty() && r.start <= merged.back().end) {
        merged.back().end = std::max(merged.back().end, r.end);
      } else {
        merged.push_back(r);
      }
    }
    CASTOR_ASSIGN_OR_RETURN(auto stored, xorbs_.Get(xorb));
    auto& out = plan.fetches[xorb];
    for (const auto& r : merged) {
      CASTOR_ASSIGN_OR_RETURN(XorbByteRange b, stored->footer.PhysicalRange(r.start, r.end));
      out.push_back({r, {b.begin, b.end}});
    }
  }
  return plan;
}

Result<Bytes> CasService::GlobalDedupShard(const Hash& chunk_hash, uint64_t now_unix) {
  auto pointer = store_->Get(DedupKey(chunk_hash));
  if (!pointer.ok()) {
    if (pointer.status().code() == StatusCode::kNotFound) {
      return NotFound("chunk " + chunk_hash.ToXetHex() + " is not tracked");
    }
    return pointer.status();
  }
  if (pointer->size() != 64) return Corruption("dedup pointer " + chunk_hash.ToXetHex());
  const Hash xorb = Hash::FromBytes(pointer->data());
  const Hash shard_digest = Hash::FromBytes(pointer->data() + 32);
  CASTOR_ASSIGN_OR_RETURN(auto stored, xorbs_.Get(xorb));
  const XorbFooter& f = stored->footer;
  std::vector<HashAndSize> chunks;
  chunks.reserve(f.num_chunks());
  for (size_t i = 0; i < f.num_chunks(); ++i) chunks.push_back({f.chunk_hashes[i], ChunkSize(f, i)});
  ShardBuilder b;
  b.AddXorb(ShardXorb::FromChunks(xorb, chunks, uint32_t(stored->records_size)));
  // The other xorbs of the shard that brought this one, up to a bound on the answer's size.
  constexpr size_t kMaxAnswerXorbs = 256;
  auto shard_bytes = store_->Get(ShardKey(shard_digest));
  if (shard_bytes.ok()) {
    auto shard = ShardReader::Parse(*shard_bytes);
    if (shard.ok()) {
      for (const ShardXorb& x : shard->xorbs()) {
        if (b.xorbs().size() >= kMaxAnswerXorbs) break;
        if (x.xorb_hash != xorb) b.AddXorb(x);
      }
    }
  }
  return b.BuildGlobalDedup(options_.dedup_key, now_unix,
                            now_unix + uint64_t(options_.dedup_key_ttl.count()));
}

}  // namespace castor::cas
