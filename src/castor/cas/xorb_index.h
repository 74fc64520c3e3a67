// XorbIndex: the server footers of stored xorbs (chunk hashes and boundaries), read from the
// store on first use and cached. The cache holds immutable data only, so it never needs
// invalidation and several servers on one store agree. Safe for concurrent use.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "castor/base/status.h"
#include "castor/format/xorb/xorb_footer.h"
#include "castor/hash/hash.h"
#include "castor/storage/object_store.h"

namespace castor::cas {

struct StoredXorb {
  XorbFooter footer;
  uint64_t object_size = 0;   // the stored object, footer included
  uint64_t records_size = 0;  // the chunk records alone (what clients uploaded)
};

class XorbIndex {
 public:
  // Caches up to `max_entries` footers (least recently used evicted).
  XorbIndex(ObjectStore* store, size_t max_entries = 4096);

  // NotFound if the store has no such xorb; Corruption if its footer does not parse or belongs to
  // another xorb.
  Result<std::shared_ptr<const StoredXorb>> Get(const Hash& xorb);

  // Adds a footer just written (saves the read-back).
  void Insert(const Hash& xorb, std::shared_ptr<const StoredXorb> stored);

 private:
  ObjectStore* store_;
  size_t max_entries_;
  std::mutex mu_;
  std::list<Hash> lru_;  // front = most recent
  struct Entry {
    std::shared_ptr<const StoredXorb> value;
    std::list<Hash>::iterator pos;
  };
  std::unordered_map<Hash, Entry, HashHasher> map_;
};

}  // namespace castor::cas
