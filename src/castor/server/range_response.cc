#include "castor/server/range_response.h"

#include <cstring>
#include <memory>

#include "castor/protocol/multipart.h"

namespace castor::server {
namespace {

using protocol::ByteRange;

// Streams a sequence of pieces, each either literal text (part headers) or an object range.
struct Piece {
  std::string text;  // used when range.size() == 0
  ByteRange range;
};

class PieceStream {
 public:
  PieceStream(std::vector<Piece> pieces, RangeReader reader)
      : pieces_(std::move(pieces)), reader_(std::move(reader)) {}

  Result<size_t> Next(MutableByteSpan out) {
    size_t filled = 0;
    // Fill the buffer across piece boundaries, so that small part headers ride along with data
    // in one large write rather than costing a write each.
    while (filled < out.size() && index_ < pieces_.size()) {
      const Piece& p = pieces_[index_];
      MutableByteSpan dst = out.subspan(filled);
      if (p.range.size() == 0) {
        size_t n = std::min(dst.size(), p.text.size() - offset_);
        std::memcpy(dst.data(), p.text.data() + offset_, n);
        Advance(n, p.text.size());
        filled += n;
      } else {
        uint64_t left = p.range.size() - offset_;
        size_t want = size_t(std::min<uint64_t>(dst.size(), left));
        CASTOR_ASSIGN_OR_RETURN(size_t n, reader_(p.range.start + offset_, dst.first(want)));
        if (n == 0 || n > want) {
          return IOError("object ended at offset " + std::to_string(p.range.start + offset_) +
                         ", inside a requested range");
        }
        Advance(n, p.range.size());
        filled += n;
      }
    }
    return filled;
  }

 private:
  void Advance(uint64_t n, uint64_t piece_size) {
    offset_ += n;
    if (offset_ == piece_size) {
      ++index_;
      offset_ = 0;
    }
  }
  std::vector<Piece> pieces_;
  RangeReader reader_;
  size_t index_ = 0;
  uint64_t offset_ = 0;
};

Response FromPieces(int status, uint64_t length, std::vector<Piece> pieces, RangeReader reader,
                    std::string content_type) {
  auto stream = std::make_shared<PieceStream>(std::move(pieces), std::move(reader));
  return Response::Streamed(
      status, length, [stream](MutableByteSpan out) { return stream->Next(out); },
      std::move(content_type));
}

}  // namespace

Response RangesResponse(const std::vector<ByteRange>& ranges, uint64_t total, RangeReader reader,
                        uint64_t boundary_seed, std::string content_type) {
  if (ranges.empty()) {
    std::vector<Piece> pieces;
    if (total) pieces.push_back({"", {0, total}});
    Response r =
        FromPieces(200, total, std::move(pieces), std::move(reader), std::move(content_type));
    r.headers.Set("Accept-Ranges", "bytes");
    return r;
  }
  if (ranges.size() == 1) {
    Response r = FromPieces(206, ranges[0].size(), {{"", ranges[0]}}, std::move(reader),
                            std::move(content_type));
    r.headers.Set("Content-Range", protocol::FormatContentRange(ranges[0], total));
    return r;
  }
  protocol::MultipartByteranges mp(protocol::MakeBoundary(boundary_seed), content_type, ranges,
                                   total);
  std::vector<Piece> pieces;
  pieces.reserve(ranges.size() * 2 + 1);
  for (size_t i = 0; i < ranges.size(); ++i) {
    pieces.push_back({mp.PartHeader(i), {}});
    if (ranges[i].size()) pieces.push_back({"", ranges[i]});
  }
  pieces.push_back({mp.Trailer(), {}});
  return FromPieces(206, mp.BodySize(), std::move(pieces), std::move(reader), mp.ContentType());
}

Response ServeByteRanges(std::optional<std::string_view> range_header, uint64_t total,
                         RangeReader reader, uint64_t boundary_seed, std::string content_type) {
  if (!range_header)
    return RangesResponse({}, total, std::move(reader), boundary_seed, std::move(content_type));
  auto specs = protocol::ParseRangeHeader(*range_header);
  if (!specs.ok()) return Response::FromStatus(specs.status());
  auto ranges = protocol::ResolveRanges(*specs, total);
  if (!ranges.ok()) {
    Response r = Response::FromStatus(ranges.status());
    r.headers.Set("Content-Range", protocol::FormatContentRange({0, 0}, total));
    return r;
  }
  return RangesResponse(*ranges, total, std::move(reader), boundary_seed, std::move(content_type));
}

}  // namespace castor::server
