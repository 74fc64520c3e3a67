#include "castor/storage/s3/multipart_writer.h"

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "castor/storage/s3/xml.h"

namespace castor::s3 {
namespace {

class MultipartWriter final : public ObjectWriter {
 public:
  MultipartWriter(std::shared_ptr<S3Client> c, ObjectStore* store, std::string key,
                  const WriterOptions& o)
      : c_(std::move(c)),
        store_(store),
        key_(std::move(key)),
        o_(o),
        part_size_(ChoosePartSize(o.part_size, o.expected_size)),
        parallelism_(std::max(1, o.parallelism)) {}

  ~MultipartWriter() override { Abort(); }

  Status Write(ByteSpan data) override {
    if (done_)
      return FailedPrecondition("s3 write " + key_ + ": writer already committed or aborted");
    CASTOR_RETURN_IF_ERROR(FirstError());
    total_ += data.size();
    while (!data.empty()) {
      if (cur_.capacity() < part_size_) cur_.reserve(part_size_);
      size_t take = size_t(std::min<uint64_t>(data.size(), part_size_ - cur_.size()));
      cur_.insert(cur_.end(), data.begin(), data.begin() + take);
      data = data.subspan(take);
      if (cur_.size() == part_size_) {
        Status st = EmitPart();
        if (!st.ok()) {
          Abort();
          return st;
        }
      }
    }
    return Status::OK();
  }

  Result<ObjectInfo> Commit(PutOutcome* outcome) override {
    if (done_)
      return FailedPrecondition("s3 commit " + key_ + ": writer already committed or aborted");
    if (upload_id_.empty()) {
      // Small object: one PUT, with the store's conditional-put logic.
      done_ = true;
      PutOutcome o = PutOutcome::kCreated;
      if (o_.if_absent) {
        CASTOR_ASSIGN_OR_RETURN(o, store_->PutIfAbsent(key_, cur_));
      } else {
        CASTOR_RETURN_IF_ERROR(store_->Put(key_, cur_));
      }
      Bytes().swap(cur_);
      if (outcome) *outcome = o;
      return store_->Head(key_);
    }
    Status st = cur_.empty() ? Status::OK() : EmitPart();
    if (st.ok()) st = Drain();
    if (!st.ok()) {
      Abort();
      return st;
    }
    Result<ObjectInfo> info = Complete(outcome);
    if (!info.ok()) {
      Abort();
      return info.status();
    }
    done_ = true;
    return info;
  }

  void Abort() override {
    if (done_) return;
    done_ = true;
    {
      std::lock_guard lock(mu_);
      if (error_.ok()) error_ = Cancelled("s3 upload " + key_ + ": aborted");
      queue_.clear();
      stopping_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
    threads_.clear();
    Bytes().swap(cur_);
    if (!upload_id_.empty()) {
      // Best effort with retries; an abort that never arrives leaves parts a bucket lifecycle
      // rule (AbortIncompleteMultipartUpload, see docs/storage.md) will remove.
      S3Call call("abort-multipart", key_, "DELETE");
      call.query = {{"uploadId", upload_id_}};
      (void)c_->Send(call);
      upload_id_.clear();
    }
  }

 private:
  Status FirstError() {
    std::lock_guard lock(mu_);
    return error_;
  }

  Status Create() {
    S3Call call("create-multipart", key_, "POST");
    call.query = {{"uploads", ""}};
    CASTOR_ASSIGN_OR_RETURN(http::Response r, c_->Send(call));
    if (r.status != 200) return c_->Error(call, r);
    auto id = XmlText(r.body_text(), "UploadId");
    if (!id || id->empty())
      return IOError("s3 create-multipart " + key_ + ": no UploadId in response");
    upload_id_ = *id;
    return Status::OK();
  }

  // Hands the full buffer to the upload threads; blocks while `parallelism` parts are in flight.
  Status EmitPart() {
    if (upload_id_.empty()) CASTOR_RETURN_IF_ERROR(Create());
    if (next_part_ > kMaxParts)
      return ResourceExhausted("s3 upload " + key_ + ": more than 10,000 parts of " +
                               std::to_string(part_size_) +
                               " bytes; set a larger part size or the expected size");
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !error_.ok() || int(queue_.size()) + busy_ < parallelism_; });
    if (!error_.ok()) return error_;
    queue_.emplace_back(next_part_++, std::move(cur_));
    cur_ = Bytes();
    if (int(threads_.size()) < parallelism_) threads_.emplace_back([this] { Worker(); });
    lock.unlock();
    cv_.notify_all();
    return Status::OK();
  }

  void Worker() {
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      auto [number, data] = std::move(queue_.front());
      queue_.pop_front();
      ++busy_;
      lock.unlock();
      Result<std::string> etag = UploadPart(number, data);
      Bytes().swap(data);
      lock.lock();
      --busy_;
      if (etag.ok())
        etags_[number] = *etag;
      else if (error_.ok())
        error_ = etag.status();
      cv_.notify_all();
    }
  }

  Result<std::string> UploadPart(int number, const Bytes& data) {
    S3Call call("upload-part " + std::to_string(number) + " of", key_, "PUT");
    call.query = {{"partNumber", std::to_string(number)}, {"uploadId", upload_id_}};
    call.body = data;
    call.large = true;
    CASTOR_ASSIGN_OR_RETURN(http::Response r, c_->Send(call));
    if (r.status != 200) return c_->Error(call, r);
    std::string etag(r.header("ETag"));
    if (etag.empty()) return IOError("s3 upload-part " + key_ + ": no ETag in response");
    return etag;
  }

  // Waits for every queued part; returns the first failure.
  Status Drain() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !error_.ok() || (queue_.empty() && busy_ == 0); });
    if (!error_.ok()) return error_;
    stopping_ = true;
    lock.unlock();
    cv_.notify_all();
    for (auto& t : threads_) t.join();
    threads_.clear();
    return Status::OK();
  }

  Result<ObjectInfo> Complete(PutOutcome* outcome) {
    if (o_.if_absent) {
      // Not atomic for multipart objects (see StoreCapabilities): content-addressed keys only.
      Result<ObjectInfo> existing = store_->Head(key_);
      if (existing.ok()) {
        Abort();
        done_ = true;
        if (outcome) *outcome = PutOutcome::kAlreadyExisted;
        return existing;
      }
      if (existing.status().code() != StatusCode::kNotFound) return existing.status();
    }
    std::string xml = "<CompleteMultipartUpload>";
    for (const auto& [n, etag] : etags_)
      xml += "<Part><PartNumber>" + std::to_string(n) + "</PartNumber><ETag>" + XmlEscape(etag) +
             "</ETag></Part>";
    xml += "</CompleteMultipartUpload>";
    if (int(etags_.size()) != next_part_ - 1)
      return Internal("s3 complete-multipart " + key_ + ": part ETags missing");
    S3Call call("complete-multipart", key_, "POST");
    call.query = {{"uploadId", upload_id_}};
    call.headers = {{"Content-Type", "application/xml"}};
    call.body = AsBytes(xml);
    CASTOR_ASSIGN_OR_RETURN(http::Response r, c_->Send(call));
    // S3 may answer 200 and report the failure in the body.
    bool failed = r.status != 200 || XmlText(r.body_text(), "Code").has_value() ||
                  !XmlText(r.body_text(), "ETag").has_value();
    if (failed && !(r.status == 404 && XmlText(r.body_text(), "Code") == "NoSuchUpload"))
      return r.status != 200
                 ? c_->Error(call, r)
                 : IOError("s3 complete-multipart " + key_ + ": " +
                           XmlText(r.body_text(), "Code").value_or("no ETag") + ": " +
                           XmlText(r.body_text(), "Message").value_or("unexpected response"));
    // (NoSuchUpload after a retried request: the first attempt completed it; the size check
    // below tells.)
    upload_id_.clear();
    CASTOR_ASSIGN_OR_RETURN(ObjectInfo info, store_->Head(key_));
    if (info.size != total_) {
      return Corruption("s3 complete-multipart " + key_ + ": object has " +
                        std::to_string(info.size) + " bytes, wrote " + std::to_string(total_));
    }
    if (outcome) *outcome = PutOutcome::kCreated;
    return info;
  }

  std::shared_ptr<S3Client> c_;
  ObjectStore* store_;
  const std::string key_;
  const WriterOptions o_;
  const uint64_t part_size_;
  const int parallelism_;

  Bytes cur_;
  std::string upload_id_;
  int next_part_ = 1;
  uint64_t total_ = 0;
  bool done_ = false;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<int, Bytes>> queue_;
  int busy_ = 0;
  bool stopping_ = false;
  std::map<int, std::string> etags_;
  Status error_;
  std::vector<std::thread> threads_;
};

}  // namespace

uint64_t ChoosePartSize(uint64_t part_size, uint64_t expected_size) {
  uint64_t need = (expected_size + kMaxParts - 1) / kMaxParts;
  uint64_t p = std::max(part_size, need);
  return std::clamp(p, kMinPartSize, kMaxPartSize);
}

Result<std::unique_ptr<ObjectWriter>> NewMultipartWriter(std::shared_ptr<S3Client> client,
                                                         ObjectStore* store, std::string key,
                                                         const WriterOptions& options) {
  return std::unique_ptr<ObjectWriter>(
      std::make_unique<MultipartWriter>(std::move(client), store, std::move(key), options));
}

}  // namespace castor::s3
