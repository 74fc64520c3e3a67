#include "castor/storage/object_store.h"

#include <cstring>

#include "castor/storage/local_store.h"
#include "castor/storage/memory_store.h"
#include "castor/storage/s3/s3_store.h"

namespace castor {
namespace {

// Keys can be hostile (they arrive in URLs); show them escaped and bounded in messages.
std::string Printable(std::string_view key) {
  std::string out;
  for (unsigned char c : key.substr(0, 200)) {
    if (c < 0x20 || c == 0x7f || c == '\\') {
      static const char* kHex = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (key.size() > 200) out += "...";
  return out;
}

Status BadKey(std::string_view key, std::string_view why) {
  return InvalidArgument("invalid key '" + Printable(key) + "': " + std::string(why));
}

}  // namespace

Status ValidateKey(std::string_view key) {
  if (key.empty()) return BadKey(key, "empty");
  if (key.size() > 1024) return BadKey(key, "longer than 1024 bytes");
  for (unsigned char c : key) {
    if (c == 0) return BadKey(key, "contains NUL");
    if (c < 0x20 || c == 0x7f) return BadKey(key, "contains a control character");
    if (c == '\\') return BadKey(key, "contains a backslash");
  }
  if (key.front() == '/') return BadKey(key, "absolute path");
  if (key.back() == '/') return BadKey(key, "ends with '/'");
  size_t start = 0;
  while (start <= key.size()) {
    size_t end = key.find('/', start);
    if (end == std::string_view::npos) end = key.size();
    std::string_view seg = key.substr(start, end - start);
    if (seg.empty()) return BadKey(key, "empty path segment");
    if (seg == "." || seg == "..") return BadKey(key, "'.' or '..' segment");
    if (seg.starts_with(".castor-")) return BadKey(key, "segment starts with reserved '.castor-'");
    start = end + 1;
  }
  return Status::OK();
}

Result<std::vector<IncompleteWrite>> ListAllIncompleteWrites(ObjectStore& store,
                                                             std::string_view prefix,
                                                             size_t page_size) {
  std::vector<IncompleteWrite> all;
  std::string key, id;
  for (;;) {
    CASTOR_ASSIGN_OR_RETURN(IncompleteWritePage page,
                            store.ListIncompleteWrites(prefix, key, id, page_size));
    for (auto& w : page.writes) all.push_back(std::move(w));
    if (page.next_key.empty() && page.next_id.empty()) return all;
    // A server that hands back the same cursor would loop forever.
    if (page.next_key == key && page.next_id == id)
      return IOError("list incomplete writes " + std::string(prefix) + " in " + store.uri() +
                     ": the listing does not advance past key '" + Printable(key) + "'");
    key = std::move(page.next_key);
    id = std::move(page.next_id);
  }
}

Result<std::unique_ptr<ObjectStore>> OpenStore(std::string_view uri) {
  if (uri.empty()) return InvalidArgument("open store: empty URI");
  if (uri.starts_with("mem://")) return NewMemoryStore(std::string(uri.substr(6)));
  if (uri.starts_with("s3://")) return OpenS3Store(uri);
  if (uri.starts_with("file://")) {
    std::string_view path = uri.substr(7);
    if (!path.starts_with('/'))
      return InvalidArgument("open store " + std::string(uri) +
                             ": file:// URIs need an absolute path (file:///var/lib/castor)");
    return OpenLocalStore(std::string(path));
  }
  if (uri.find("://") != std::string_view::npos)
    return InvalidArgument("open store " + std::string(uri) +
                           ": unknown scheme (use file://, s3:// or mem://)");
  return OpenLocalStore(std::string(uri));
}

Result<size_t> ObjectStore::ReadInto(std::string_view key, uint64_t offset, MutableByteSpan out) {
  size_t n = 0;
  CASTOR_RETURN_IF_ERROR(ReadRange(key, offset, out.size(), [&](ByteSpan piece) -> Status {
    if (piece.size() > out.size() - n) return Internal("store returned more than asked");
    std::memcpy(out.data() + n, piece.data(), piece.size());
    n += piece.size();
    return Status::OK();
  }));
  return n;
}

}  // namespace castor
