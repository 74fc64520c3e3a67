#include "castor/format/xorb/xorb_footer.h"

#include <cstring>
#include <string>

#include "castor/format/xorb/chunk_header.h"

namespace castor {
namespace {

constexpr char kHashesIdent[] = "XBLBHSH";
constexpr char kBoundsIdent[] = "XBLBBND";
constexpr uint8_t kFooterVersion = 1;
constexpr uint8_t kHashesVersion = 0;
constexpr uint8_t kBoundsVersion = 1;

void AppendIdent(Bytes* out, const char* ident, uint8_t version) {
  out->insert(out->end(), ident, ident + 7);
  out->push_back(version);
}

// Sequential reader over the footer with bounds checks.
class Cursor {
 public:
  explicit Cursor(ByteSpan b) : b_(b) {}
  bool Has(size_t n) const { return b_.size() - pos_ >= n; }
  size_t pos() const { return pos_; }
  Status Ident(const char* ident, uint8_t version, const char* what) {
    if (!Has(8)) return Corruption(std::string("xorb footer: truncated at ") + what);
    if (std::memcmp(b_.data() + pos_, ident, 7) != 0) {
      return Corruption(std::string("xorb footer: bad ident for ") + what);
    }
    if (b_[pos_ + 7] != version) {
      return Corruption(std::string("xorb footer: unsupported ") + what + " version " +
                        std::to_string(b_[pos_ + 7]));
    }
    pos_ += 8;
    return Status::OK();
  }
  Result<uint32_t> U32(const char* what) {
    if (!Has(4)) return Corruption(std::string("xorb footer: truncated at ") + what);
    uint32_t v = LoadLE32(b_.data() + pos_);
    pos_ += 4;
    return v;
  }
  const uint8_t* Take(size_t n) {
    const uint8_t* p = b_.data() + pos_;
    pos_ += n;
    return p;
  }

 private:
  ByteSpan b_;
  size_t pos_ = 0;
};

}  // namespace

Result<XorbByteRange> XorbFooter::PhysicalRange(size_t begin, size_t end) const {
  if (begin >= end || end > num_chunks()) {
    return OutOfRange("chunk range [" + std::to_string(begin) + ", " + std::to_string(end) +
                      ") outside a xorb of " + std::to_string(num_chunks()) + " chunks");
  }
  return XorbByteRange{begin == 0 ? 0 : physical_ends[begin - 1], physical_ends[end - 1]};
}

void XorbFooter::AppendTo(Bytes* out) const {
  const uint32_t n = uint32_t(num_chunks());
  out->reserve(out->size() + SerializedSize(n));
  AppendIdent(out, kXorbFooterIdent, kFooterVersion);
  AppendBytes(*out, xorb_hash.span());
  AppendIdent(out, kHashesIdent, kHashesVersion);
  AppendLE32(*out, n);
  for (const Hash& h : chunk_hashes) AppendBytes(*out, h.span());
  AppendIdent(out, kBoundsIdent, kBoundsVersion);
  AppendLE32(*out, n);
  for (uint32_t v : physical_ends) AppendLE32(*out, v);
  for (uint32_t v : uncompressed_ends) AppendLE32(*out, v);
  AppendLE32(*out, n);
  AppendLE32(*out, 52 + 40 * n);  // from the end of the info to the hashes section
  AppendLE32(*out, 40 + 8 * n);   // from the end of the info to the boundaries section
  AppendLE32(*out, nonce);
  out->insert(out->end(), 12, 0);
  AppendLE32(*out, 92 + 40 * n);  // info length, outside the info
}

Result<XorbFooter> ParseXorbFooter(ByteSpan bytes) {
  Cursor c(bytes);
  XorbFooter f;
  CASTOR_RETURN_IF_ERROR(c.Ident(kXorbFooterIdent, kFooterVersion, "footer"));
  if (!c.Has(32)) return Corruption("xorb footer: truncated at the xorb hash");
  f.xorb_hash = Hash::FromBytes(c.Take(32));
  CASTOR_RETURN_IF_ERROR(c.Ident(kHashesIdent, kHashesVersion, "hashes section"));
  CASTOR_ASSIGN_OR_RETURN(uint32_t n, c.U32("hash count"));
  // Check the whole size before allocating anything sized by n.
  if (uint64_t{n} > kXorbMaxChunks || bytes.size() != XorbFooter::SerializedSize(n)) {
    return Corruption("xorb footer: " + std::to_string(n) + " chunks do not match a footer of " +
                      std::to_string(bytes.size()) + " bytes");
  }
  f.chunk_hashes.resize(n);
  for (uint32_t i = 0; i < n; ++i) f.chunk_hashes[i] = Hash::FromBytes(c.Take(32));
  CASTOR_RETURN_IF_ERROR(c.Ident(kBoundsIdent, kBoundsVersion, "boundaries section"));
  CASTOR_ASSIGN_OR_RETURN(uint32_t n2, c.U32("boundary count"));
  if (n2 != n) {
    return Corruption("xorb footer: boundary count " + std::to_string(n2) + " != hash count " +
                      std::to_string(n));
  }
  f.physical_ends.resize(n);
  f.uncompressed_ends.resize(n);
  for (uint32_t i = 0; i < n; ++i) f.physical_ends[i] = LoadLE32(c.Take(4));
  for (uint32_t i = 0; i < n; ++i) f.uncompressed_ends[i] = LoadLE32(c.Take(4));
  uint32_t n3 = LoadLE32(c.Take(4));
  uint32_t hashes_from_end = LoadLE32(c.Take(4));
  uint32_t bounds_from_end = LoadLE32(c.Take(4));
  f.nonce = LoadLE32(c.Take(4));
  c.Take(12);
  uint32_t info_length = LoadLE32(c.Take(4));
  if (n3 != n) return Corruption("xorb footer: trailing chunk count " + std::to_string(n3));
  if (hashes_from_end != 52 + 40 * n || bounds_from_end != 40 + 8 * n) {
    return Corruption("xorb footer: section offsets do not match " + std::to_string(n) + " chunks");
  }
  if (info_length != 92 + 40 * n) {
    return Corruption("xorb footer: info length " + std::to_string(info_length) +
                      " does not match " + std::to_string(n) + " chunks");
  }
  uint64_t prev_phys = 0, prev_unc = 0;
  for (uint32_t i = 0; i < n; ++i) {
    if (f.physical_ends[i] < prev_phys + kChunkHeaderSize + 1 ||
        f.physical_ends[i] - prev_phys > kChunkHeaderSize + kXorbMaxCompressedChunkBytes) {
      return Corruption("xorb footer: chunk " + std::to_string(i) + " physical end " +
                        std::to_string(f.physical_ends[i]) + " inconsistent");
    }
    if (f.uncompressed_ends[i] <= prev_unc ||
        f.uncompressed_ends[i] - prev_unc > kXorbMaxChunkBytes) {
      return Corruption("xorb footer: chunk " + std::to_string(i) + " uncompressed end " +
                        std::to_string(f.uncompressed_ends[i]) + " inconsistent");
    }
    prev_phys = f.physical_ends[i];
    prev_unc = f.uncompressed_ends[i];
  }
  return f;
}

Result<XorbFooter> ParseXorbFooterAtEnd(ByteSpan object) {
  if (object.size() < 4)
    return Corruption("xorb footer: object of " + std::to_string(object.size()) + " bytes");
  uint64_t info_length = LoadLE32(object.data() + object.size() - 4);
  if (info_length + 4 > object.size()) {
    return Corruption("xorb footer: info length " + std::to_string(info_length) +
                      " exceeds the object");
  }
  size_t start = object.size() - 4 - size_t(info_length);
  CASTOR_ASSIGN_OR_RETURN(XorbFooter f, ParseXorbFooter(object.subspan(start)));
  uint64_t records_end = f.num_chunks() == 0 ? 0 : f.physical_ends.back();
  if (records_end != start) {
    return Corruption("xorb footer: chunk records end at " + std::to_string(records_end) +
                      " but the footer starts at " + std::to_string(start));
  }
  return f;
}

}  // namespace castor
