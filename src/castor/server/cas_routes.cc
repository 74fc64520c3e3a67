#include "castor/server/cas_routes.h"

#include <cstring>
#include <random>

#include "castor/cas/store_layout.h"
#include "castor/protocol/cas_messages.h"
#include "castor/protocol/http_range.h"
#include "castor/protocol/reconstruction.h"
#include "castor/server/auth.h"
#include "castor/server/range_response.h"

namespace castor::server {

namespace {

constexpr uint64_t kMaxXorbBody = 64ull * 1024 * 1024 + 2 * 1024 * 1024;  // records + a footer
constexpr uint64_t kMaxShardBody = 64ull * 1024 * 1024;

class CasRoutes {
 public:
  CasRoutes(cas::CasService* cas, const UrlSigner* signer, ServerMetrics* metrics,
            CasRoutesOptions o)
      : cas_(cas), signer_(signer), metrics_(metrics), o_(std::move(o)) {
    while (!o_.public_url.empty() && o_.public_url.back() == '/') o_.public_url.pop_back();
    if (!o_.now) o_.now = UnixNow;
    presign_ = o_.presigned_store_urls && cas_->store()->capabilities().presigned_urls;
  }

  // Handlers share ownership of the routes object, so it lives as long as the router.
  static Status Register(Router& r, std::shared_ptr<CasRoutes> self) {
    auto add = [&](const char* method, const char* pattern, Response (CasRoutes::*fn)(Request&),
                   Scope scope, uint64_t max_body, const char* name) {
      RouteOptions opt;
      opt.scope = scope;
      opt.max_body = max_body;
      opt.name = name;
      return r.Add(
          method, pattern, [self, fn](Request& q) { return (self.get()->*fn)(q); }, opt);
    };
    CASTOR_RETURN_IF_ERROR(add("GET", "/v2/reconstructions/{file_id}", &CasRoutes::ReconstructV2,
                               Scope::kRead, 0, "reconstruction_v2"));
    CASTOR_RETURN_IF_ERROR(add("GET", "/v1/reconstructions/{file_id}", &CasRoutes::ReconstructV1,
                               Scope::kRead, 0, "reconstruction_v1"));
    CASTOR_RETURN_IF_ERROR(add("GET", "/v1/reconstructions", &CasRoutes::BatchGet, Scope::kRead, 0,
                               "reconstruction_batch"));
    CASTOR_RETURN_IF_ERROR(add("POST", "/v1/reconstructions", &CasRoutes::BatchPost, Scope::kRead,
                               1 << 20, "reconstruction_batch"));
    CASTOR_RETURN_IF_ERROR(
        add("HEAD", "/v1/files/{file_id}", &CasRoutes::HeadFile, Scope::kRead, 0, "file_head"));
    CASTOR_RETURN_IF_ERROR(add("GET", "/v1/chunks/{prefix}/{hash}", &CasRoutes::DedupQuery,
                               Scope::kRead, 0, "chunk_dedup"));
    CASTOR_RETURN_IF_ERROR(add("POST", "/v1/xorbs/{prefix}/{hash}", &CasRoutes::PostXorb,
                               Scope::kWrite, kMaxXorbBody, "xorb_upload"));
    CASTOR_RETURN_IF_ERROR(add("HEAD", "/v1/xorbs/{prefix}/{hash}", &CasRoutes::HeadXorb,
                               Scope::kRead, 0, "xorb_head"));
    CASTOR_RETURN_IF_ERROR(add("POST", "/v1/shards", &CasRoutes::PostShardV1, Scope::kWrite,
                               kMaxShardBody, "shard_upload"));
    CASTOR_RETURN_IF_ERROR(add("POST", "/v2/shards", &CasRoutes::PostShardV2, Scope::kWrite,
                               kMaxShardBody, "shard_upload_v2"));
    // Signed byte ranges of stored xorbs: the signature is the authorisation.
    CASTOR_RETURN_IF_ERROR(add("GET", "/v1/xorb-data/{prefix}/{hash}", &CasRoutes::XorbData,
                               Scope::kNone, 0, "xorb_data"));
    return Status::OK();
  }

 private:
  static std::optional<Hash> HashParam(const Request& q, const char* name) {
    return Hash::FromXetHex(q.Param(name));
  }
  static Response BadHash(const char* what) {
    return Response::Error(400, "invalid_argument",
                           std::string("not a valid ") + what + " (64 hex digits expected)");
  }
  void Count(CounterVec* c, const char* result) {
    if (metrics_ && c) c->Inc({result});
  }
  Response StoreError(const Status& s, const char* op) {
    if (metrics_ && metrics_->store_errors && s.code() != StatusCode::kNotFound &&
        s.code() != StatusCode::kInvalidArgument && s.code() != StatusCode::kOutOfRange) {
      metrics_->store_errors->Inc({op});
    }
    return Response::FromStatus(s);
  }

  // Resolves the Range header of a reconstruction request against the file size. nullopt
  // range = the whole file. Error responses are 400 (malformed) or 416.
  Result<std::optional<protocol::ByteRange>> RangeFor(const Request& q, uint64_t size) {
    auto header = q.headers.Get("Range");
    if (!header) return std::optional<protocol::ByteRange>();
    CASTOR_ASSIGN_OR_RETURN(auto specs, protocol::ParseRangeHeader(*header));
    if (specs.size() != 1) return InvalidArgument("reconstruction takes one byte range");
    if (size == 0 && specs[0].kind != protocol::RangeSpec::Kind::kSuffix && specs[0].first == 0) {
      return std::optional<protocol::ByteRange>(protocol::ByteRange{0, 0});
    }
    CASTOR_ASSIGN_OR_RETURN(auto ranges, protocol::ResolveRanges(specs, size));
    return std::optional<protocol::ByteRange>(ranges[0]);
  }

  Result<cas::ReconstructionPlan> PlanFor(Request& q) {
    auto id = HashParam(q, "file_id");
    if (!id) return InvalidArgument("not a valid file id (64 hex digits expected)");
    q.audit_object = "file " + id->ToXetHex();
    CASTOR_ASSIGN_OR_RETURN(cas::FileRecord rec, cas_->GetFile(*id));
    CASTOR_ASSIGN_OR_RETURN(auto range, RangeFor(q, rec.size()));
    return cas_->PlanReconstruction(rec, range);
  }

  // A URL for a xorb's stored bytes: presigned from the store, or signed here for `ranges`.
  Result<std::string> UrlFor(const Hash& xorb, const std::vector<protocol::ByteRange>& ranges) {
    if (presign_) return cas_->store()->PresignGet(cas::XorbKey(xorb), o_.url_ttl);
    const std::string path = "/v1/xorb-data/default/" + xorb.ToXetHex();
    return o_.public_url + path + "?" +
           signer_->SignUrl(path, ranges, o_.now() + o_.url_ttl.count());
  }

  static protocol::InclusiveByteRange Inclusive(const protocol::ByteRange& r) {
    return {r.start, r.end - 1};
  }

  Response ReconstructV2(Request& q) {
    auto plan = PlanFor(q);
    if (!plan.ok()) return StoreError(plan.status(), "reconstruction");
    protocol::QueryReconstructionResponseV2 out;
    out.offset_into_first_range = plan->offset_into_first_range;
    out.terms = plan->terms;
    for (const auto& [xorb, fetches] : plan->fetches) {
      if (presign_) {
        // S3 serves one range per GET: one entry per range, all with the same presigned URL.
        auto url = UrlFor(xorb, {});
        if (!url.ok()) return StoreError(url.status(), "presign");
        for (const auto& f : fetches)
          out.xorbs[xorb].push_back({*url, {{f.chunks, Inclusive(f.bytes)}}});
      } else {
        std::vector<protocol::ByteRange> ranges;
        protocol::XorbFetchV2 entry;
        for (const auto& f : fetches) {
          ranges.push_back(f.bytes);
          entry.ranges.push_back({f.chunks, Inclusive(f.bytes)});
        }
        entry.url = *UrlFor(xorb, ranges);
        out.xorbs[xorb].push_back(std::move(entry));
      }
    }
    return Response::Json(200, protocol::ToJson(out));
  }

  Result<std::vector<protocol::FetchInfo>> FetchInfoFor(const Hash& xorb,
                                                        const std::vector<cas::PlannedFetch>& fs) {
    std::vector<protocol::FetchInfo> out;
    for (const auto& f : fs) {
      CASTOR_ASSIGN_OR_RETURN(std::string url, UrlFor(xorb, {f.bytes}));
      out.push_back({f.chunks, std::move(url), Inclusive(f.bytes)});
    }
    return out;
  }

  Response ReconstructV1(Request& q) {
    auto plan = PlanFor(q);
    if (!plan.ok()) return StoreError(plan.status(), "reconstruction");
    protocol::QueryReconstructionResponseV1 out;
    out.offset_into_first_range = plan->offset_into_first_range;
    out.terms = plan->terms;
    for (const auto& [xorb, fetches] : plan->fetches) {
      auto infos = FetchInfoFor(xorb, fetches);
      if (!infos.ok()) return StoreError(infos.status(), "presign");
      out.fetch_info[xorb] = std::move(*infos);
    }
    return Response::Json(200, protocol::ToJson(out));
  }

  Response Batch(const std::vector<Hash>& ids) {
    if (ids.empty() || ids.size() > 1000) {
      return Response::Error(400, "invalid_argument", "give 1 to 1000 file ids");
    }
    protocol::BatchReconstructionResponse out;
    for (const Hash& id : ids) {
      auto plan = cas_->PlanReconstruction(id, std::nullopt);
      if (!plan.ok()) return StoreError(plan.status(), "reconstruction");
      out.files[id] = plan->terms;
      for (const auto& [xorb, fetches] : plan->fetches) {
        auto infos = FetchInfoFor(xorb, fetches);
        if (!infos.ok()) return StoreError(infos.status(), "presign");
        auto& dst = out.fetch_info[xorb];
        for (auto& fi : *infos) {
          bool dup = false;
          for (auto& e : dst) dup = dup || e.range == fi.range;
          if (!dup) dst.push_back(std::move(fi));
        }
      }
    }
    return Response::Json(200, protocol::ToJson(out));
  }

  Response BatchGet(Request& q) {
    std::vector<Hash> ids;
    for (const auto& v : q.QueryParams("file_id")) {
      auto h = Hash::FromXetHex(v);
      if (!h) return BadHash("file id");
      ids.push_back(*h);
    }
    return Batch(ids);
  }

  Response BatchPost(Request& q) {
    auto keys = protocol::ParseFileKeys(q.body);
    if (!keys.ok()) return Response::FromStatus(keys.status());
    std::vector<Hash> ids;
    for (const auto& k : *keys) ids.push_back(k.hash);
    return Batch(ids);
  }

  Response HeadFile(Request& q) {
    auto id = HashParam(q, "file_id");
    if (!id) return BadHash("file id");
    auto rec = cas_->GetFile(*id);
    if (!rec.ok()) return StoreError(rec.status(), "file");
    return Response::Streamed(200, rec->size(),
                              [](MutableByteSpan) -> Result<size_t> { return 0; });
  }

  Response DedupQuery(Request& q) {
    const std::string& prefix = q.Param("prefix");
    if (prefix != "default" && prefix != "default-merkledb") {
      return Response::Error(400, "invalid_argument", "unknown prefix '" + prefix + "'");
    }
    auto h = HashParam(q, "hash");
    if (!h) return BadHash("chunk hash");
    if (metrics_ && metrics_->dedup_queries) metrics_->dedup_queries->Inc({});
    auto shard = cas_->GlobalDedupShard(*h, uint64_t(o_.now()));
    if (!shard.ok()) return StoreError(shard.status(), "dedup");
    if (metrics_ && metrics_->dedup_hits) metrics_->dedup_hits->Inc({});
    Response r = Response::Text(200, std::string(AsString(*shard)), "application/octet-stream");
    return r;
  }

  Response PostXorb(Request& q) {
    if (q.Param("prefix") != "default") {
      return Response::Error(400, "invalid_argument", "xorbs use the prefix 'default'");
    }
    auto h = HashParam(q, "hash");
    if (!h) return BadHash("xorb hash");
    q.audit_object = "xorb " + h->ToXetHex();
    auto r = cas_->PutXorb(*h, AsBytes(q.body));
    if (!r.ok()) {
      if (r.status().code() == StatusCode::kInvalidArgument)
        Count(metrics_ ? metrics_->xorbs : nullptr, "rejected");
      return StoreError(r.status(), "xorb_put");
    }
    Count(metrics_ ? metrics_->xorbs : nullptr, *r ? "accepted" : "duplicate");
    return Response::Json(200, protocol::ToJson(protocol::XorbUploadResponse{*r}));
  }

  Response HeadXorb(Request& q) {
    auto h = HashParam(q, "hash");
    if (!h) return BadHash("xorb hash");
    auto size = cas_->XorbSize(*h);
    if (!size.ok()) return StoreError(size.status(), "xorb_head");
    return Response::Streamed(200, *size, [](MutableByteSpan) -> Result<size_t> { return 0; });
  }

  Result<cas::ShardUploadResult> PutShard(Request& q) {
    q.audit_object = "shard (" + std::to_string(q.body.size()) + " bytes)";
    auto r = cas_->PutShard(AsBytes(q.body), uint64_t(o_.now()));
    CounterVec* c = metrics_ ? metrics_->shards : nullptr;
    if (!r.ok()) {
      if (r.status().code() == StatusCode::kInvalidArgument) Count(c, "rejected");
    } else {
      Count(c, r->registered_new ? "accepted" : "duplicate");
    }
    return r;
  }

  Response PostShardV1(Request& q) {
    auto r = PutShard(q);
    if (!r.ok()) return StoreError(r.status(), "shard_put");
    return Response::Json(
        200, protocol::ToJson(protocol::ShardUploadResponse{r->registered_new ? 1 : 0}));
  }

  // The streaming form: validation progress, then exactly one terminal event. Validation runs
  // before the answer starts, so its outcome is always the terminal event.
  Response PostShardV2(Request& q) {
    auto r = PutShard(q);
    std::string body;
    if (r.ok()) {
      size_t total = r->files + r->xorbs;
      body += protocol::ToNdjsonLine(protocol::ShardValidating{total, total});
      body += protocol::ToNdjsonLine(protocol::ShardCommitting{"uploading"});
      body += protocol::ToNdjsonLine(protocol::ShardResult{r->registered_new ? 1 : 0});
    } else {
      body += protocol::ToNdjsonLine(protocol::ShardError{r.status().message()});
    }
    Response resp = Response::Text(200, std::move(body), "application/x-ndjson");
    resp.headers.Set("Cache-Control", "no-cache");
    return resp;
  }

  Response XorbData(Request& q) {
    auto h = HashParam(q, "hash");
    if (!h || q.Param("prefix") != "default") return BadHash("xorb hash");
    auto size = cas_->XorbSize(*h);  // ranges cover chunk records only, never the footer
    if (!size.ok()) return StoreError(size.status(), "xorb_data");
    auto header = q.headers.Get("Range");
    if (!header) return Response::Error(403, "permission_denied", "a signed URL needs a Range");
    auto specs = protocol::ParseRangeHeader(*header);
    if (!specs.ok()) return Response::FromStatus(specs.status());
    auto ranges = protocol::ResolveRanges(*specs, *size);
    if (!ranges.ok()) return Response::FromStatus(ranges.status());
    Status ok = signer_->VerifyUrl(q.path, q.query, *ranges, o_.now());
    if (!ok.ok()) return Response::FromStatus(ok);
    q.audit_object = "xorb " + h->ToXetHex();
    thread_local std::mt19937_64 rng{std::random_device{}()};
    ObjectStore* store = cas_->store();
    std::string key = cas::XorbKey(*h);
    return RangesResponse(
        *ranges, *size,
        [store, key](uint64_t offset, MutableByteSpan out) -> Result<size_t> {
          // Straight into the response buffer (a local store preads into it).
          return store->ReadInto(key, offset, out);
        },
        rng());
  }

  cas::CasService* cas_;
  const UrlSigner* signer_;
  ServerMetrics* metrics_;
  CasRoutesOptions o_;
  bool presign_ = false;
};

}  // namespace

Status AddCasRoutes(Router& router, cas::CasService* cas, const UrlSigner* signer,
                    ServerMetrics* metrics, CasRoutesOptions options) {
  return CasRoutes::Register(router,
                             std::make_shared<CasRoutes>(cas, signer, metrics, std::move(options)));
}

}  // namespace castor::server
