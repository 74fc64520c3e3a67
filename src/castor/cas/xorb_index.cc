#include "castor/cas/xorb_index.h"

#include "castor/cas/store_layout.h"

namespace castor::cas {

XorbIndex::XorbIndex(ObjectStore* store, size_t max_entries)
    : store_(store), max_entries_(max_entries) {}

void XorbIndex::Insert(const Hash& xorb, std::shared_ptr<const StoredXorb> stored) {
  std::lock_guard lock(mu_);
  auto it = map_.find(xorb);
  if (it != map_.end()) {
    lru_.erase(it->second.pos);
    map_.erase(it);
  }
  lru_.push_front(xorb);
  map_[xorb] = {std::move(stored), lru_.begin()};
  while (map_.size() > max_entries_) {
    map_.erase(lru_.back());
    lru_.pop_back();
  }
}

Result<std::shared_ptr<const StoredXorb>> XorbIndex::Get(const Hash& xorb) {
  {
    std::lock_guard lock(mu_);
    auto it = map_.find(xorb);
    if (it != map_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second.pos);
      return it->second.value;
    }
  }
  const std::string key = XorbKey(xorb);
  CASTOR_ASSIGN_OR_RETURN(ObjectInfo info, store_->Head(key));
  // One read usually covers the footer (96 + 40 bytes per chunk: 64 KiB holds ~1600 chunks).
  constexpr uint64_t kTail = 64 * 1024;
  uint64_t want = std::min<uint64_t>(info.size, kTail);
  CASTOR_ASSIGN_OR_RETURN(Bytes tail, store_->GetRange(key, info.size - want, want));
  if (tail.size() < 4) return Corruption("xorb " + xorb.ToXetHex() + ": stored object too short");
  uint64_t info_len = LoadLE32(tail.data() + tail.size() - 4);
  uint64_t footer_len = info_len + 4;
  if (footer_len > info.size) {
    return Corruption("xorb " + xorb.ToXetHex() + ": stored footer length past the object");
  }
  if (footer_len > tail.size()) {
    CASTOR_ASSIGN_OR_RETURN(tail, store_->GetRange(key, info.size - footer_len, footer_len));
  }
  ByteSpan footer_bytes = ByteSpan(tail).last(footer_len);
  auto footer = ParseXorbFooter(footer_bytes);
  if (!footer.ok()) return footer.status().WithContext("xorb " + xorb.ToXetHex());
  if (footer->xorb_hash != xorb) {
    return Corruption("xorb " + xorb.ToXetHex() + ": stored footer names another xorb");
  }
  auto stored = std::make_shared<StoredXorb>();
  stored->object_size = info.size;
  stored->records_size = info.size - footer_len;
  stored->footer = std::move(footer).value();
  if (stored->footer.num_chunks() == 0 ||
      stored->footer.physical_ends.back() != stored->records_size) {
    return Corruption("xorb " + xorb.ToXetHex() + ": stored footer disagrees with the object size");
  }
  Insert(xorb, stored);
  return std::shared_ptr<const StoredXorb>(stored);
}

}  // namespace castor::cas
