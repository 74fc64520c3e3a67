#include "castor/dedup/upload_builder.h"

namespace castor {

UploadBuilder::UploadBuilder(XorbBuilderOptions options) : builder_(options) {
  slots_.push_back(Slot{});
  slots_.back().pending = slots_.back().session = true;
  pending_slot_ = 0;
}

void UploadBuilder::AddKnownXorb(const ShardXorb& xorb, const HashKey& key) {
  for (const Slot& s : slots_) {
    if (!s.pending && s.hash == xorb.xorb_hash && s.key == key) return;
  }
  Slot s;
  s.hash = xorb.xorb_hash;
  s.key = key;
  for (const ShardChunk& c : xorb.chunks) {
    (key.IsZero() ? s.plain : s.keyed).push_back(c.hash);
    s.sizes.push_back(c.unpacked_bytes);
  }
  const uint32_t slot = uint32_t(slots_.size());
  slots_.push_back(std::move(s));
  std::unordered_map<Hash, Location, HashHasher>* index = &plain_index_;
  if (!key.IsZero()) {
    index = nullptr;
    for (auto& [k, m] : keyed_index_) {
      if (k == key) index = &m;
    }
    if (!index) index = &keyed_index_.emplace_back(key, decltype(plain_index_){}).second;
  }
  for (uint32_t i = 0; i < xorb.chunks.size(); ++i) index->try_emplace(xorb.chunks[i].hash, Location{slot, i});
}

void UploadBuilder::AddKnownShard(const std::vector<ShardXorb>& xorbs, const HashKey& key) {
  for (const auto& x : xorbs) AddKnownXorb(x, key);
}

std::optional<UploadBuilder::Location> UploadBuilder::Lookup(const Hash& h) const {
  if (auto it = plain_index_.find(h); it != plain_index_.end()) return it->second;
  for (const auto& [key, index] : keyed_index_) {
    if (auto it = index.find(KeyedChunkHash(key, h)); it != index.end()) return it->second;
  }
  return std::nullopt;
}

bool UploadBuilder::IsKnown(const Hash& chunk_hash) const { return Lookup(chunk_hash).has_value(); }

// Whether `h` is the chunk right after the open term in the term's xorb.
bool UploadBuilder::Continues(const Hash& h) const {
  if (!term_) return false;
  const Slot& s = slots_[term_->slot];
  const uint32_t next = term_->end;
  if (s.key.IsZero()) return next < s.plain.size() && s.plain[next] == h;
  return next < s.keyed.size() && s.keyed[next] == KeyedChunkHash(s.key, h);
}

void UploadBuilder::CloseTerm() {
  if (!term_) return;
  draft_.push_back({term_->slot, term_->begin, term_->end, term_->bytes,
                    VerificationHash(term_->hashes)});
  term_.reset();
}

void UploadBuilder::OnXorbCut(SerializedXorb& x) {
  Slot& s = slots_[pending_slot_];
  s.hash = x.hash;
  s.pending = false;
  new_xorbs_.push_back(
      ShardXorb::FromChunks(x.hash, x.HashesAndSizes(), uint32_t(x.bytes.size())));
  stats_.xorbs_new++;
  stats_.bytes_serialized += x.bytes.size();
  slots_.push_back(Slot{});
  slots_.back().pending = slots_.back().session = true;
  pending_slot_ = uint32_t(slots_.size() - 1);
}

void UploadBuilder::BeginFile() {
  in_file_ = true;
  file_chunks_.clear();
  draft_.clear();
  term_.reset();
}

Result<std::optional<SerializedXorb>> UploadBuilder::AddChunk(ByteSpan chunk,
                                                              const Hash& chunk_hash) {
  if (!in_file_ || finished_) return FailedPrecondition("AddChunk outside BeginFile/EndFile");
  const uint32_t size = uint32_t(chunk.size());
  stats_.chunks++;
  stats_.bytes_read += size;
  file_chunks_.push_back({chunk_hash, size});

  auto extend = [&](const Hash& h) {
    term_->end++;
    term_->bytes += size;
    term_->hashes.push_back(h);
  };
  auto open = [&](Location loc, const Hash& h) {
    CloseTerm();
    term_ = OpenTerm{loc.slot, loc.chunk, loc.chunk + 1, size, {h}};
  };

  auto count_dedup = [&](uint32_t slot) {
    (slots_[slot].session ? stats_.chunks_deduped_session : stats_.chunks_deduped_known)++;
  };
  if (Continues(chunk_hash) && slots_[term_->slot].sizes[term_->end] == size) {
    count_dedup(term_->slot);
    extend(chunk_hash);
    return std::optional<SerializedXorb>();
  }
  if (auto loc = Lookup(chunk_hash); loc && slots_[loc->slot].sizes[loc->chunk] == size) {
    count_dedup(loc->slot);
    open(*loc, chunk_hash);
    return std::optional<SerializedXorb>();
  }

  // A new chunk: pack it.
  CASTOR_ASSIGN_OR_RETURN(std::optional<SerializedXorb> cut, builder_.Add(chunk, chunk_hash));
  if (cut) OnXorbCut(*cut);
  Slot& s = slots_[pending_slot_];
  const uint32_t index = uint32_t(s.plain.size());
  s.plain.push_back(chunk_hash);
  s.sizes.push_back(size);
  plain_index_.try_emplace(chunk_hash, Location{pending_slot_, index});
  stats_.chunks_new++;
  stats_.bytes_new += size;
  if (term_ && term_->slot == pending_slot_ && term_->end == index) {
    extend(chunk_hash);
  } else {
    open({pending_slot_, index}, chunk_hash);
  }
  return cut;
}

Status UploadBuilder::EndFile(const Hash& file_id, const std::optional<Hash>& sha256) {
  if (!in_file_) return FailedPrecondition("EndFile without BeginFile");
  CloseTerm();
  in_file_ = false;
  Hash computed = FileHash(file_chunks_);
  if (computed != file_id) {
    return Internal("file id " + file_id.ToXetHex() + " disagrees with its chunks (" +
                    computed.ToXetHex() + ")");
  }
  stats_.files++;
  // A file already described in this session (an identical copy) needs no second entry.
  if (!file_chunks_.empty() && described_.insert(file_id).second) {
    drafts_.push_back({file_id, sha256, std::move(draft_)});
  }
  draft_.clear();
  return Status::OK();
}

std::optional<SerializedXorb> UploadBuilder::Finish() {
  finished_ = true;
  std::optional<SerializedXorb> last = builder_.Finish();
  if (last) OnXorbCut(*last);
  files_.clear();
  for (const DraftFile& d : drafts_) {
    ShardFile f;
    f.file_hash = d.file_id;
    f.sha256 = d.sha256;
    for (const DraftTerm& t : d.terms) {
      f.terms.push_back({slots_[t.slot].hash, 0, t.bytes, t.begin, t.end});
      f.verification.push_back(t.verification);
    }
    files_.push_back(std::move(f));
  }
  return last;
}

void UploadBuilder::SetSerializedSize(const Hash& xorb, uint32_t size) {
  for (ShardXorb& x : new_xorbs_) {
    if (x.xorb_hash != xorb) continue;
    stats_.bytes_serialized += size;
    stats_.bytes_serialized -= x.num_bytes_on_disk;
    x.num_bytes_on_disk = size;
  }
}

Result<Bytes> UploadBuilder::BuildShard() const {
  if (!finished_) return FailedPrecondition("BuildShard before Finish");
  ShardBuilder b;
  for (const ShardFile& f : files_) b.AddFile(f);
  for (const ShardXorb& x : new_xorbs_) b.AddXorb(x);
  return b.BuildUpload();
}

}  // namespace castor
