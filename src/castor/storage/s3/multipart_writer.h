// The S3 store's streaming writer. Objects that end within one part go up as a single PUT;
// larger ones as a multipart upload with parts of `part_size` bytes, `parallelism` of them in
// flight, so memory stays at part_size * (parallelism + 1) whatever the object size. Any failure
// aborts the upload (no orphaned parts), and Commit() checks the completed object's size.
#pragma once

#include <memory>
#include <string>

#include "castor/storage/object_store.h"
#include "castor/storage/s3/s3_client.h"

namespace castor::s3 {

// S3's limits on multipart uploads.
inline constexpr uint64_t kMinPartSize = 5ull << 20;
inline constexpr uint64_t kMaxPartSize = 5ull << 30;
inline constexpr int kMaxParts = 10000;

// The part size to use: options.part_size, raised so that expected_size fits in kMaxParts, and
// clamped to [kMinPartSize, kMaxPartSize].
uint64_t ChoosePartSize(uint64_t part_size, uint64_t expected_size);

// `store` is the S3 store the writer belongs to (single-PUT path); it must outlive the writer.
Result<std::unique_ptr<ObjectWriter>> NewMultipartWriter(std::shared_ptr<S3Client> client,
                                                         ObjectStore* store, std::string key,
                                                         const WriterOptions& options);

}  // namespace castor::s3
