#include "castor/mirror/upstream_chunks.h"

#include <nlohmann/json.hpp>

#include "castor/cas/store_layout.h"
#include "castor/format/xorb/chunk_codec.h"
#include "castor/format/xorb/chunk_header.h"

namespace castor::mirror {

std::string UpstreamXorbKey(const Hash& upstream_xorb) {
  return "mirrors/.xorbs/" + upstream_xorb.ToXetHex();
}

namespace {

// Parses a stored record; entries that do not parse are dropped (they only cost a download).
std::map<uint32_t, UpstreamChunks::Where> ParseRecord(ByteSpan raw) {
  std::map<uint32_t, UpstreamChunks::Where> out;
  try {
    auto j = nlohmann::json::parse(AsString(raw));
    if (j.value("version", 0) != 1) return out;
    for (const auto& e : j.at("chunks")) {
      if (!e.is_array() || e.size() != 5) continue;
      auto hash = Hash::FromXetHex(e[2].get<std::string>());
      auto file = Hash::FromXetHex(e[3].get<std::string>());
      uint32_t size = e[1].get<uint32_t>();
      if (!hash || !file || size == 0) continue;
      out[e[0].get<uint32_t>()] = {*hash, size, *file, e[4].get<uint64_t>()};
    }
  } catch (const std::exception&) {
    out.clear();  // an unreadable record: as if there were none
  }
  return out;
}

std::string SerializeRecord(const Hash& xorb, const std::map<uint32_t, UpstreamChunks::Where>& m) {
  nlohmann::json chunks = nlohmann::json::array();
  for (const auto& [index, w] : m) {
    chunks.push_back({index, w.size, w.hash.ToXetHex(), w.file.ToXetHex(), w.offset});
  }
  return nlohmann::json{{"version", 1}, {"xorb", xorb.ToXetHex()}, {"chunks", std::move(chunks)}}
      .dump();
}

}  // namespace

UpstreamChunks::Chunks& UpstreamChunks::LoadLocked(const Hash& xorb) {
  auto it = xorbs_.find(xorb);
  if (it != xorbs_.end()) return it->second;
  Chunks chunks;
  if (auto raw = cas_.store()->Get(UpstreamXorbKey(xorb)); raw.ok()) chunks = ParseRecord(*raw);
  return xorbs_.emplace(xorb, std::move(chunks)).first->second;
}

std::optional<std::vector<UpstreamChunks::Where>> UpstreamChunks::Lookup(
    const Hash& xorb, protocol::ChunkRange range) {
  if (range.start >= range.end) return std::nullopt;
  std::lock_guard lock(mu_);
  const Chunks& chunks = LoadLocked(xorb);
  std::vector<Where> out;
  out.reserve(range.end - range.start);
  for (uint32_t c = range.start; c < range.end; ++c) {
    auto it = chunks.find(c);
    if (it == chunks.end()) return std::nullopt;
    out.push_back(it->second);
  }
  return out;
}

std::optional<Bytes> UpstreamChunks::Read(const Hash& xorb, protocol::ChunkRange range,
                                          uint32_t length) {
  auto where = Lookup(xorb, range);
  if (!where) return std::nullopt;
  uint64_t total = 0;
  for (const Where& w : *where) total += w.size;
  if (total != length) return std::nullopt;  // the record disagrees with the reconstruction
  Bytes out;
  out.reserve(length);
  // Runs of chunks that sit back to back in one stored file are read with one range.
  for (size_t i = 0; i < where->size();) {
    size_t j = i + 1;
    uint64_t run = (*where)[i].size;
    while (j < where->size() && (*where)[j].file == (*where)[i].file &&
           (*where)[j].offset == (*where)[i].offset + run) {
      run += (*where)[j++].size;
    }
    auto bytes = ReadFileRange(cas_, (*where)[i].file, (*where)[i].offset, run);
    if (!bytes.ok() || bytes->size() != run) return std::nullopt;
    size_t pos = 0;
    for (size_t k = i; k < j; ++k) {
      ByteSpan chunk(bytes->data() + pos, (*where)[k].size);
      if (ChunkHash(chunk) != (*where)[k].hash) return std::nullopt;
      pos += chunk.size();
    }
    out.insert(out.end(), bytes->begin(), bytes->end());
    i = j;
  }
  return out;
}

Status UpstreamChunks::Record(const Hash& file, const std::vector<Term>& terms) {
  std::map<Hash, std::string> bodies;  // one record per touched xorb
  {
    std::lock_guard lock(mu_);
    for (const Term& t : terms) {
      if (t.chunks.empty()) continue;
      Chunks& known = LoadLocked(t.xorb);
      uint64_t offset = t.file_offset;
      for (size_t i = 0; i < t.chunks.size(); ++i) {
        known[t.first_chunk + uint32_t(i)] = {t.chunks[i].hash, uint32_t(t.chunks[i].size), file,
                                              offset};
        offset += t.chunks[i].size;
      }
      bodies[t.xorb].clear();
    }
    for (auto& [xorb, body] : bodies) body = SerializeRecord(xorb, xorbs_.at(xorb));
  }
  for (const auto& [xorb, body] : bodies) {
    CASTOR_RETURN_IF_ERROR(cas_.store()->Put(UpstreamXorbKey(xorb), AsBytes(body)));
  }
  return Status::OK();
}

Result<Bytes> UpstreamChunks::ReadFileRange(cas::CasService& cas, const Hash& file, uint64_t offset,
                                            uint64_t length) {
  Bytes out;
  if (length == 0) return out;
  CASTOR_ASSIGN_OR_RETURN(
      auto plan, cas.PlanReconstruction(file, protocol::ByteRange{offset, offset + length}));
  out.reserve(length + plan.offset_into_first_range);
  ChunkDecoder decoder;
  for (const protocol::Term& term : plan.terms) {
    CASTOR_ASSIGN_OR_RETURN(auto stored, cas.xorbs().Get(term.hash));
    CASTOR_ASSIGN_OR_RETURN(XorbByteRange r,
                            stored->footer.PhysicalRange(term.range.start, term.range.end));
    CASTOR_ASSIGN_OR_RETURN(
        Bytes records, cas.store()->GetRange(cas::XorbKey(term.hash), r.begin, r.end - r.begin));
    ByteSpan rest(records);
    for (uint32_t c = term.range.start; c < term.range.end; ++c) {
      if (rest.size() < kChunkHeaderSize) {
        return Corruption("stored xorb " + term.hash.ToXetHex() + " ends inside chunk " +
                          std::to_string(c));
      }
      CASTOR_ASSIGN_OR_RETURN(ChunkHeader h, DecodeChunkHeader(rest));
      rest = rest.subspan(kChunkHeaderSize);
      if (rest.size() < h.compressed_size) {
        return Corruption("stored xorb " + term.hash.ToXetHex() + " ends inside chunk " +
                          std::to_string(c));
      }
      CASTOR_ASSIGN_OR_RETURN(ByteSpan data, decoder.View(h, rest.first(h.compressed_size)));
      out.insert(out.end(), data.begin(), data.end());
      rest = rest.subspan(h.compressed_size);
    }
  }
  if (out.size() < plan.offset_into_first_range + length) {
    return Corruption("file " + file.ToXetHex() + " has fewer bytes than the range asked");
  }
  out.erase(out.begin(), out.begin() + ptrdiff_t(plan.offset_into_first_range));
  out.resize(length);
  return out;
}

}  // namespace castor::mirror
