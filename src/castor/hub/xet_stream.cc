#include "castor/hub/xet_stream.h"

#include <deque>
#include <future>

#include "castor/transfer/chunk_stream_decoder.h"

namespace castor::hub {

namespace {

struct TermBytes {
  Bytes data;
  bool local = false;
};

// The decoded bytes of one term: from `source` if it has them, else fetched from the first
// entry whose chunk range covers it (and then reported to `source`). `offset` is the term's file
// offset, or UINT64_MAX when unknown.
Result<TermBytes> FetchTerm(client::CasClient& cas,
                            const protocol::QueryReconstructionResponseV2& rec, size_t index,
                            XetTermSource* source, uint64_t offset) {
  const protocol::Term& term = rec.terms[index];
  if (source) {
    if (auto held = source->Find(term.hash, term.range, term.unpacked_length);
        held && held->size() == term.unpacked_length) {
      return TermBytes{std::move(*held), true};
    }
  }
  std::vector<uint32_t> sizes;
  auto it = rec.xorbs.find(term.hash);
  if (it == rec.xorbs.end()) {
    return Corruption("reconstruction term " + std::to_string(index) + " names xorb " +
                      term.hash.ToXetHex() + " with no fetch entry");
  }
  for (const auto& fetch : it->second) {
    for (const auto& range : fetch.ranges) {
      if (range.chunks.start > term.range.start || range.chunks.end < term.range.end) continue;
      if (range.bytes.end < range.bytes.start)
        return Corruption("inverted byte range in reconstruction");
      Bytes out;
      out.reserve(term.unpacked_length);
      uint32_t chunk = range.chunks.start;
      ChunkStreamDecoder decoder([&](ByteSpan data) -> Status {
        if (chunk >= term.range.start && chunk < term.range.end) {
          if (out.size() + data.size() > term.unpacked_length) {
            return Corruption("term " + std::to_string(index) + " decodes to more than its length");
          }
          out.insert(out.end(), data.begin(), data.end());
          if (source) sizes.push_back(uint32_t(data.size()));
        }
        ++chunk;
        return Status::OK();
      });
      // Re-fetches after a dropped connection resume inside FetchRange; a decoder error is final.
      protocol::ByteRange br{range.bytes.start, range.bytes.end + 1};
      CASTOR_RETURN_IF_ERROR(cas.FetchRange(fetch.url, br, [&](ByteSpan d) {
        return chunk >= term.range.end ? Status::OK() : decoder.Feed(d);
      }));
      if (chunk < term.range.end) {
        CASTOR_RETURN_IF_ERROR(decoder.Finish());
        return Corruption("xorb " + term.hash.ToXetHex() + " range ended before chunk " +
                          std::to_string(term.range.end));
      }
      if (out.size() != term.unpacked_length) {
        return Corruption("term " + std::to_string(index) + " decoded to " +
                          std::to_string(out.size()) + " bytes, the reconstruction says " +
                          std::to_string(term.unpacked_length));
      }
      if (source && offset != UINT64_MAX) {
        source->Fetched(term.hash, term.range.start, std::move(sizes), offset);
      }
      return TermBytes{std::move(out), false};
    }
  }
  return Corruption("no fetch range of xorb " + term.hash.ToXetHex() + " covers chunks [" +
                    std::to_string(term.range.start) + ", " + std::to_string(term.range.end) + ")");
}

}  // namespace

Status StreamXetFile(client::CasClient& cas, const Hash& file_id, uint64_t size,
                     const http::BodySink& sink, int prefetch, XetTermSource* source,
                     XetStreamStats* stats) {
  if (size == 0) return Status::OK();
  CASTOR_ASSIGN_OR_RETURN(auto rec, cas.Reconstruct(file_id, std::nullopt));
  uint64_t skip = rec.offset_into_first_range;
  uint64_t delivered = 0;
  // File offset of each term's first byte (known when the answer starts at the file's start).
  std::vector<uint64_t> offsets(rec.terms.size(), UINT64_MAX);
  if (skip == 0) {
    uint64_t pos = 0;
    for (size_t i = 0; i < rec.terms.size(); ++i) {
      offsets[i] = pos;
      pos += rec.terms[i].unpacked_length;
    }
  }
  std::deque<std::future<Result<TermBytes>>> ahead;
  size_t next = 0;
  auto launch = [&] {
    while (next < rec.terms.size() &&
           ahead.size() < static_cast<size_t>(std::max(1, prefetch) + 1)) {
      ahead.push_back(std::async(std::launch::async, FetchTerm, std::ref(cas), std::cref(rec), next,
                                 source, offsets[next]));
      ++next;
    }
  };
  Status result;
  launch();
  while (!ahead.empty()) {
    Result<TermBytes> term = ahead.front().get();
    ahead.pop_front();
    if (!term.ok()) {
      result = term.status();
      break;
    }
    launch();
    ByteSpan data(term->data);
    if (stats) {
      stats->terms++;
      if (term->local) {
        stats->terms_local++;
        stats->bytes_local += data.size();
      }
    }
    if (skip) {
      uint64_t n = std::min<uint64_t>(skip, data.size());
      data = data.subspan(n);
      skip -= n;
    }
    if (delivered + data.size() > size) data = data.subspan(0, size - delivered);
    if (!data.empty()) {
      result = sink(data);
      if (!result.ok()) break;
      delivered += data.size();
    }
  }
  // Futures still in flight reference `rec`: wait for them before it goes away.
  for (auto& f : ahead) f.wait();
  CASTOR_RETURN_IF_ERROR(result);
  if (delivered != size) {
    return Corruption("reconstruction of " + file_id.ToXetHex() + " gives " +
                      std::to_string(delivered) + " bytes, expected " + std::to_string(size));
  }
  return Status::OK();
}

}  // namespace castor::hub
