#include "castor/storage/memory_store.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <shared_mutex>

#include "castor/hash/sha256.h"

namespace castor {
namespace {

struct Entry {
  std::shared_ptr<const Bytes> data;  // shared so readers copy outside the lock
  std::string etag;
};

std::string EtagOf(ByteSpan data) { return Sha256::Of(data).ToRawHex().substr(0, 32); }

class MemoryStore final : public ObjectStore {
 public:
  explicit MemoryStore(std::string name) : name_(std::move(name)) {}

  std::string uri() const override { return "mem://" + name_; }
  StoreCapabilities capabilities() const override {
    return {.atomic_conditional_put = true,
            .presigned_urls = false,
            .multipart = false,
            .durable = false};
  }

  Status Put(std::string_view key, ByteSpan data) override {
    CASTOR_RETURN_IF_ERROR(ValidateKey(key).WithContext("put"));
    Entry e{std::make_shared<const Bytes>(data.begin(), data.end()), EtagOf(data)};
    std::unique_lock lock(mu_);
    objects_[std::string(key)] = std::move(e);
    return Status::OK();
  }

  Result<PutOutcome> PutIfAbsent(std::string_view key, ByteSpan data) override {
    CASTOR_RETURN_IF_ERROR(ValidateKey(key).WithContext("put-if-absent"));
    Entry e{std::make_shared<const Bytes>(data.begin(), data.end()), EtagOf(data)};
    std::unique_lock lock(mu_);
    auto [it, inserted] = objects_.try_emplace(std::string(key), std::move(e));
    return inserted ? PutOutcome::kCreated : PutOutcome::kAlreadyExisted;
  }

  Result<Bytes> Get(std::string_view key) override {
    CASTOR_ASSIGN_OR_RETURN(Entry e, Find("get", key));
    return *e.data;
  }

  Result<Bytes> GetRange(std::string_view key, uint64_t offset, uint64_t length) override {
    CASTOR_ASSIGN_OR_RETURN(Entry e, Find("get-range", key));
    const Bytes& d = *e.data;
    if (offset > d.size())
      return OutOfRange("get-range " + std::string(key) + ": offset " + std::to_string(offset) +
                        " is past the end (" + std::to_string(d.size()) + " bytes)");
    uint64_t end = d.size() - offset < length ? d.size() : offset + length;
    return Bytes(d.begin() + offset, d.begin() + end);
  }

  Status ReadRange(std::string_view key, uint64_t offset, uint64_t length,
                   const ByteSink& sink) override {
    CASTOR_ASSIGN_OR_RETURN(Bytes b, GetRange(key, offset, length));
    if (b.empty()) return Status::OK();
    return sink(b);
  }

  Result<ObjectInfo> Head(std::string_view key) override {
    CASTOR_ASSIGN_OR_RETURN(Entry e, Find("head", key));
    return ObjectInfo{std::string(key), e.data->size(), e.etag};
  }

  Result<ListPage> List(std::string_view prefix, std::string_view start_after,
                        size_t max) override {
    if (max == 0) return InvalidArgument("list: max must be at least 1");
    ListPage page;
    std::shared_lock lock(mu_);
    auto it = start_after.empty() || start_after < prefix
                  ? objects_.lower_bound(std::string(prefix))
                  : objects_.upper_bound(std::string(start_after));
    for (; it != objects_.end() && it->first.starts_with(prefix); ++it) {
      if (page.objects.size() == max) {
        page.next_start_after = page.objects.back().key;
        break;
      }
      page.objects.push_back({it->first, it->second.data->size(), it->second.etag});
    }
    return page;
  }

  Status Delete(std::string_view key) override {
    CASTOR_RETURN_IF_ERROR(ValidateKey(key).WithContext("delete"));
    std::unique_lock lock(mu_);
    objects_.erase(std::string(key));
    return Status::OK();
  }

  Result<std::unique_ptr<ObjectWriter>> NewWriter(std::string_view key,
                                                  const WriterOptions& options) override;

  // Writers buffer in memory and die with the process: there is never anything left to clean.
  Result<IncompleteWritePage> ListIncompleteWrites(std::string_view, std::string_view,
                                                   std::string_view, size_t max) override {
    if (max == 0) return InvalidArgument("list incomplete writes: max must be at least 1");
    return IncompleteWritePage{};
  }
  Status AbortIncompleteWrite(std::string_view key, std::string_view id) override {
    return NotFound("abort incomplete write " + std::string(key) + " (" + std::string(id) +
                    "): " + uri() + " keeps no incomplete writes");
  }

  Result<std::string> PresignGet(std::string_view key, std::chrono::seconds) override {
    return Unimplemented("presign " + std::string(key) + ": " + uri() + " has no URLs");
  }

 private:
  Result<Entry> Find(std::string_view op, std::string_view key) {
    CASTOR_RETURN_IF_ERROR(ValidateKey(key).WithContext(op));
    std::shared_lock lock(mu_);
    auto it = objects_.find(std::string(key));
    if (it == objects_.end())
      return NotFound(std::string(op) + " " + std::string(key) + ": no such object");
    return it->second;
  }

  const std::string name_;
  std::shared_mutex mu_;
  std::map<std::string, Entry, std::less<>> objects_;
};

// Buffers the object and stores it on Commit (memory is the medium here anyway).
class MemoryWriter final : public ObjectWriter {
 public:
  MemoryWriter(ObjectStore* store, std::string key, bool if_absent)
      : store_(store), key_(std::move(key)), if_absent_(if_absent) {}
  Status Write(ByteSpan data) override {
    if (done_) return FailedPrecondition("write " + key_ + ": writer already committed or aborted");
    buf_.insert(buf_.end(), data.begin(), data.end());
    return Status::OK();
  }
  Result<ObjectInfo> Commit(PutOutcome* outcome) override {
    if (done_)
      return FailedPrecondition("commit " + key_ + ": writer already committed or aborted");
    done_ = true;
    PutOutcome o = PutOutcome::kCreated;
    if (if_absent_) {
      CASTOR_ASSIGN_OR_RETURN(o, store_->PutIfAbsent(key_, buf_));
    } else {
      CASTOR_RETURN_IF_ERROR(store_->Put(key_, buf_));
    }
    if (outcome) *outcome = o;
    Bytes().swap(buf_);
    return store_->Head(key_);
  }
  void Abort() override {
    done_ = true;
    Bytes().swap(buf_);
  }

 private:
  ObjectStore* store_;
  std::string key_;
  bool if_absent_;
  bool done_ = false;
  Bytes buf_;
};

Result<std::unique_ptr<ObjectWriter>> MemoryStore::NewWriter(std::string_view key,
                                                             const WriterOptions& options) {
  CASTOR_RETURN_IF_ERROR(ValidateKey(key).WithContext("new-writer"));
  return std::unique_ptr<ObjectWriter>(
      std::make_unique<MemoryWriter>(this, std::string(key), options.if_absent));
}

}  // namespace

std::unique_ptr<ObjectStore> NewMemoryStore(std::string name) {
  return std::make_unique<MemoryStore>(std::move(name));
}

}  // namespace castor
