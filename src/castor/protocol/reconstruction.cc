#include "castor/protocol/reconstruction.h"

#include "castor/protocol/json_access.h"

namespace castor::protocol {
namespace {

using json_access::Json;
namespace ja = json_access;

// ---- serialising (ordered_json keeps the documented key order) ----
using OJson = nlohmann::ordered_json;

OJson ChunkRangeJson(const ChunkRange& r) { return OJson{{"start", r.start}, {"end", r.end}}; }
OJson ByteRangeJson(const InclusiveByteRange& r) {
  return OJson{{"start", r.start}, {"end", r.end}};
}

OJson TermsJson(const std::vector<Term>& terms) {
  OJson a = OJson::array();
  for (const Term& t : terms) {
    a.push_back(OJson{{"hash", t.hash.ToXetHex()},
                      {"unpacked_length", t.unpacked_length},
                      {"range", ChunkRangeJson(t.range)}});
  }
  return a;
}

OJson FetchInfoJson(const std::map<Hash, std::vector<FetchInfo>>& m) {
  OJson o = OJson::object();
  for (const auto& [hash, infos] : m) {
    OJson a = OJson::array();
    for (const FetchInfo& f : infos) {
      a.push_back(OJson{{"range", ChunkRangeJson(f.range)},
                        {"url", f.url},
                        {"url_range", ByteRangeJson(f.url_range)}});
    }
    o[hash.ToXetHex()] = std::move(a);
  }
  return o;
}

// ---- parsing ----
Result<ChunkRange> ParseChunkRange(const Json& v, const std::string& path) {
  ChunkRange r;
  CASTOR_ASSIGN_OR_RETURN(const Json* s, ja::Field(v, path, "start"));
  CASTOR_ASSIGN_OR_RETURN(r.start, ja::U32(*s, path + ".start"));
  CASTOR_ASSIGN_OR_RETURN(const Json* e, ja::Field(v, path, "end"));
  CASTOR_ASSIGN_OR_RETURN(r.end, ja::U32(*e, path + ".end"));
  if (r.start >= r.end) return ja::Bad(path, "empty chunk range");
  return r;
}

Result<InclusiveByteRange> ParseByteRange(const Json& v, const std::string& path) {
  InclusiveByteRange r;
  CASTOR_ASSIGN_OR_RETURN(const Json* s, ja::Field(v, path, "start"));
  CASTOR_ASSIGN_OR_RETURN(r.start, ja::U64(*s, path + ".start"));
  CASTOR_ASSIGN_OR_RETURN(const Json* e, ja::Field(v, path, "end"));
  CASTOR_ASSIGN_OR_RETURN(r.end, ja::U64(*e, path + ".end"));
  if (r.end < r.start) return ja::Bad(path, "end before start");
  return r;
}

Result<std::vector<Term>> ParseTerms(const Json& v, const std::string& path) {
  if (!v.is_array()) return ja::Bad(path, "expected an array");
  std::vector<Term> terms;
  terms.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    std::string p = path + "[" + std::to_string(i) + "]";
    Term t;
    CASTOR_ASSIGN_OR_RETURN(const Json* h, ja::Field(v[i], p, "hash"));
    CASTOR_ASSIGN_OR_RETURN(t.hash, ja::XetHash(*h, p + ".hash"));
    CASTOR_ASSIGN_OR_RETURN(const Json* u, ja::Field(v[i], p, "unpacked_length"));
    CASTOR_ASSIGN_OR_RETURN(t.unpacked_length, ja::U32(*u, p + ".unpacked_length"));
    CASTOR_ASSIGN_OR_RETURN(const Json* r, ja::Field(v[i], p, "range"));
    CASTOR_ASSIGN_OR_RETURN(t.range, ParseChunkRange(*r, p + ".range"));
    terms.push_back(t);
  }
  return terms;
}

Result<std::map<Hash, std::vector<FetchInfo>>> ParseFetchInfo(const Json& v,
                                                              const std::string& path) {
  if (!v.is_object()) return ja::Bad(path, "expected an object");
  std::map<Hash, std::vector<FetchInfo>> out;
  for (const auto& [key, arr] : v.items()) {
    std::string p = path + "." + key.substr(0, 80);
    CASTOR_ASSIGN_OR_RETURN(Hash h, ja::XetHashKey(key, path));
    if (!arr.is_array()) return ja::Bad(p, "expected an array");
    std::vector<FetchInfo>& infos = out[h];
    for (size_t i = 0; i < arr.size(); ++i) {
      std::string q = p + "[" + std::to_string(i) + "]";
      FetchInfo f;
      CASTOR_ASSIGN_OR_RETURN(const Json* r, ja::Field(arr[i], q, "range"));
      CASTOR_ASSIGN_OR_RETURN(f.range, ParseChunkRange(*r, q + ".range"));
      CASTOR_ASSIGN_OR_RETURN(const Json* u, ja::Field(arr[i], q, "url"));
      CASTOR_ASSIGN_OR_RETURN(f.url, ja::Str(*u, q + ".url"));
      CASTOR_ASSIGN_OR_RETURN(const Json* ur, ja::Field(arr[i], q, "url_range"));
      CASTOR_ASSIGN_OR_RETURN(f.url_range, ParseByteRange(*ur, q + ".url_range"));
      infos.push_back(std::move(f));
    }
  }
  return out;
}

Result<uint64_t> ParseOffset(const Json& root) {
  CASTOR_ASSIGN_OR_RETURN(const Json* o,
                          ja::Field(root, "reconstruction", "offset_into_first_range"));
  return ja::U64(*o, "offset_into_first_range");
}

}  // namespace

std::string ToJson(const QueryReconstructionResponseV1& r) {
  OJson j{{"offset_into_first_range", r.offset_into_first_range},
          {"terms", TermsJson(r.terms)},
          {"fetch_info", FetchInfoJson(r.fetch_info)}};
  return j.dump(-1, ' ', false, OJson::error_handler_t::replace);
}

std::string ToJson(const QueryReconstructionResponseV2& r) {
  OJson xorbs = OJson::object();
  for (const auto& [hash, fetches] : r.xorbs) {
    OJson a = OJson::array();
    for (const XorbFetchV2& f : fetches) {
      OJson ranges = OJson::array();
      for (const XorbRangeV2& x : f.ranges) {
        ranges.push_back(
            OJson{{"chunks", ChunkRangeJson(x.chunks)}, {"bytes", ByteRangeJson(x.bytes)}});
      }
      a.push_back(OJson{{"url", f.url}, {"ranges", std::move(ranges)}});
    }
    xorbs[hash.ToXetHex()] = std::move(a);
  }
  OJson j{{"offset_into_first_range", r.offset_into_first_range},
          {"terms", TermsJson(r.terms)},
          {"xorbs", std::move(xorbs)}};
  return j.dump(-1, ' ', false, OJson::error_handler_t::replace);
}

std::string ToJson(const BatchReconstructionResponse& r) {
  OJson files = OJson::object();
  for (const auto& [hash, terms] : r.files) files[hash.ToXetHex()] = TermsJson(terms);
  OJson j{{"files", std::move(files)}, {"fetch_info", FetchInfoJson(r.fetch_info)}};
  return j.dump(-1, ' ', false, OJson::error_handler_t::replace);
}

std::string ToJson(const std::vector<FileKey>& keys) {
  OJson a = OJson::array();
  for (const FileKey& k : keys)
    a.push_back(OJson{{"prefix", k.prefix}, {"hash", k.hash.ToXetHex()}});
  return a.dump(-1, ' ', false, OJson::error_handler_t::replace);
}

Result<QueryReconstructionResponseV1> ParseReconstructionV1(std::string_view json) {
  CASTOR_ASSIGN_OR_RETURN(Json root, ja::Parse(json, "reconstruction (v1)"));
  QueryReconstructionResponseV1 r;
  CASTOR_ASSIGN_OR_RETURN(r.offset_into_first_range, ParseOffset(root));
  CASTOR_ASSIGN_OR_RETURN(const Json* terms, ja::Field(root, "reconstruction", "terms"));
  CASTOR_ASSIGN_OR_RETURN(r.terms, ParseTerms(*terms, "terms"));
  CASTOR_ASSIGN_OR_RETURN(const Json* fi, ja::Field(root, "reconstruction", "fetch_info"));
  CASTOR_ASSIGN_OR_RETURN(r.fetch_info, ParseFetchInfo(*fi, "fetch_info"));
  return r;
}

Result<QueryReconstructionResponseV2> ParseReconstructionV2(std::string_view json) {
  CASTOR_ASSIGN_OR_RETURN(Json root, ja::Parse(json, "reconstruction (v2)"));
  QueryReconstructionResponseV2 r;
  CASTOR_ASSIGN_OR_RETURN(r.offset_into_first_range, ParseOffset(root));
  CASTOR_ASSIGN_OR_RETURN(const Json* terms, ja::Field(root, "reconstruction", "terms"));
  CASTOR_ASSIGN_OR_RETURN(r.terms, ParseTerms(*terms, "terms"));
  CASTOR_ASSIGN_OR_RETURN(const Json* xorbs, ja::Field(root, "reconstruction", "xorbs"));
  if (!xorbs->is_object()) return ja::Bad("xorbs", "expected an object");
  for (const auto& [key, arr] : xorbs->items()) {
    std::string p = "xorbs." + key.substr(0, 80);
    CASTOR_ASSIGN_OR_RETURN(Hash h, ja::XetHashKey(key, "xorbs"));
    if (!arr.is_array()) return ja::Bad(p, "expected an array");
    std::vector<XorbFetchV2>& fetches = r.xorbs[h];
    for (size_t i = 0; i < arr.size(); ++i) {
      std::string q = p + "[" + std::to_string(i) + "]";
      XorbFetchV2 f;
      CASTOR_ASSIGN_OR_RETURN(const Json* u, ja::Field(arr[i], q, "url"));
      CASTOR_ASSIGN_OR_RETURN(f.url, ja::Str(*u, q + ".url"));
      CASTOR_ASSIGN_OR_RETURN(const Json* ranges, ja::Field(arr[i], q, "ranges"));
      if (!ranges->is_array()) return ja::Bad(q + ".ranges", "expected an array");
      for (size_t k = 0; k < ranges->size(); ++k) {
        std::string rp = q + ".ranges[" + std::to_string(k) + "]";
        XorbRangeV2 x;
        CASTOR_ASSIGN_OR_RETURN(const Json* c, ja::Field((*ranges)[k], rp, "chunks"));
        CASTOR_ASSIGN_OR_RETURN(x.chunks, ParseChunkRange(*c, rp + ".chunks"));
        CASTOR_ASSIGN_OR_RETURN(const Json* b, ja::Field((*ranges)[k], rp, "bytes"));
        CASTOR_ASSIGN_OR_RETURN(x.bytes, ParseByteRange(*b, rp + ".bytes"));
        f.ranges.push_back(x);
      }
      fetches.push_back(std::move(f));
    }
  }
  return r;
}

Result<BatchReconstructionResponse> ParseBatchReconstruction(std::string_view json) {
  CASTOR_ASSIGN_OR_RETURN(Json root, ja::Parse(json, "batch reconstruction"));
  BatchReconstructionResponse r;
  CASTOR_ASSIGN_OR_RETURN(const Json* files, ja::Field(root, "batch reconstruction", "files"));
  if (!files->is_object()) return ja::Bad("files", "expected an object");
  for (const auto& [key, terms] : files->items()) {
    CASTOR_ASSIGN_OR_RETURN(Hash h, ja::XetHashKey(key, "files"));
    CASTOR_ASSIGN_OR_RETURN(r.files[h], ParseTerms(terms, "files." + key.substr(0, 80)));
  }
  CASTOR_ASSIGN_OR_RETURN(const Json* fi, ja::Field(root, "batch reconstruction", "fetch_info"));
  CASTOR_ASSIGN_OR_RETURN(r.fetch_info, ParseFetchInfo(*fi, "fetch_info"));
  return r;
}

Result<std::vector<FileKey>> ParseFileKeys(std::string_view json) {
  CASTOR_ASSIGN_OR_RETURN(Json root, ja::Parse(json, "batch request"));
  if (!root.is_array()) return ja::Bad("batch request", "expected an array");
  std::vector<FileKey> keys;
  for (size_t i = 0; i < root.size(); ++i) {
    std::string p = "[" + std::to_string(i) + "]";
    FileKey k;
    CASTOR_ASSIGN_OR_RETURN(const Json* pre, ja::Field(root[i], p, "prefix"));
    CASTOR_ASSIGN_OR_RETURN(k.prefix, ja::Str(*pre, p + ".prefix"));
    CASTOR_ASSIGN_OR_RETURN(const Json* h, ja::Field(root[i], p, "hash"));
    CASTOR_ASSIGN_OR_RETURN(k.hash, ja::XetHash(*h, p + ".hash"));
    keys.push_back(std::move(k));
  }
  return keys;
}

}  // namespace castor::protocol
