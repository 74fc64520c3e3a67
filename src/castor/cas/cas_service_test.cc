#include "castor/cas/cas_service.h"

#include <gtest/gtest.h>

#include "castor/base/splitmix64.h"
#include "castor/cas/store_layout.h"
#include "castor/chunking/chunker.h"
#include "castor/format/shard/shard_builder.h"
#include "castor/format/shard/shard_reader.h"
#include "castor/format/xorb/chunk_codec.h"
#include "castor/format/xorb/xorb_builder.h"
#include "castor/format/xorb/xorb_reader.h"
#include "castor/hash/sha256.h"
#include "castor/hash/xet_hash.h"

namespace castor::cas {
namespace {

// What a client uploads for some files: xorbs (several files share them) and one shard.
struct Upload {
  std::vector<SerializedXorb> xorbs;
  ShardBuilder shard;
  std::vector<Hash> file_ids;
};

Upload Pack(const std::vector<Bytes>& files, size_t max_xorb_chunks = 8192) {
  Upload up;
  XorbBuilderOptions opts;
  opts.max_chunks = max_xorb_chunks;
  XorbBuilder builder(opts);
  // Pending terms refer to the xorb being built; its hash is known only when it is cut.
  struct Pending { size_t file; size_t term; };
  std::vector<ShardFile> shard_files(files.size());
  std::vector<std::vector<HashAndSize>> file_chunks(files.size());
  std::vector<Pending> pending;
  auto flush = [&](SerializedXorb x) {
    for (auto& p : pending) shard_files[p.file].terms[p.term].xorb_hash = x.hash;
    pending.clear();
    up.xorbs.push_back(std::move(x));
  };
  for (size_t f = 0; f < files.size(); ++f) {
    size_t off = 0;
    for (uint32_t len : ChunkLengths(files[f])) {
      ByteSpan chunk = ByteSpan(files[f]).subspan(off, len);
      off += len;
      Hash h = ChunkHash(chunk);
      file_chunks[f].push_back({h, len});
      auto cut = builder.Add(chunk, h);
      EXPECT_TRUE(cut.ok());
      if (cut.ok() && *cut) flush(std::move(**cut));
      uint32_t index = uint32_t(builder.num_chunks() - 1);
      auto& terms = shard_files[f].terms;
      bool extend = !terms.empty() && !pending.empty() && pending.back().file == f &&
                    pending.back().term == terms.size() - 1 && terms.back().chunk_end == index;
      if (extend) {
        terms.back().chunk_end++;
        terms.back().unpacked_bytes += len;
      } else {
        terms.push_back({Hash{}, 0, len, index, index + 1});
        pending.push_back({f, terms.size() - 1});
      }
    }
  }
  if (auto last = builder.Finish()) flush(std::move(*last));
  for (size_t f = 0; f < files.size(); ++f) {
    ShardFile& sf = shard_files[f];
    if (files[f].empty()) {  // the empty file's id is all zeros and needs no shard entry
      up.file_ids.push_back(Hash{});
      continue;
    }
    sf.file_hash = FileHash(file_chunks[f]);
    sf.sha256 = Sha256::Of(files[f]);
    for (auto& t : sf.terms) {
      for (auto& x : up.xorbs) {
        if (x.hash != t.xorb_hash) continue;
        std::vector<Hash> hs;
        for (uint32_t c = t.chunk_begin; c < t.chunk_end; ++c) hs.push_back(x.chunks[c].hash);
        sf.verification.push_back(VerificationHash(hs));
      }
    }
    up.file_ids.push_back(sf.file_hash);
    up.shard.AddFile(sf);
  }
  for (auto& x : up.xorbs) {
    up.shard.AddXorb(ShardXorb::FromChunks(x.hash, x.HashesAndSizes(), uint32_t(x.bytes.size())));
  }
  return up;
}

// Reassembles bytes from a plan by reading the planned ranges straight from the store, as a
// client would from the URLs.
Bytes Reconstruct(CasService& cas, const ReconstructionPlan& plan, uint64_t want) {
  std::map<Hash, std::map<uint32_t, Bytes>> decoded;  // xorb -> chunk index -> bytes
  for (auto& [xorb, fetches] : plan.fetches) {
    for (auto& f : fetches) {
      auto bytes = cas.store()->GetRange(XorbKey(xorb), f.bytes.start, f.bytes.size());
      EXPECT_TRUE(bytes.ok());
      auto reader = XorbReader::Parse(*bytes);
      EXPECT_TRUE(reader.ok()) << reader.status().ToString();
      EXPECT_EQ(reader->num_chunks(), f.chunks.end - f.chunks.start);
      for (uint32_t i = 0; i < reader->num_chunks(); ++i) {
        Bytes out;
        EXPECT_TRUE(reader->ExtractRange(i, i + 1, &out).ok());
        decoded[xorb][f.chunks.start + i] = out;
      }
    }
  }
  Bytes out;
  for (auto& t : plan.terms) {
    size_t before = out.size();
    for (uint32_t c = t.range.start; c < t.range.end; ++c) {
      auto& b = decoded[t.hash][c];
      out.insert(out.end(), b.begin(), b.end());
    }
    EXPECT_EQ(out.size() - before, t.unpacked_length);
  }
  out.erase(out.begin(), out.begin() + plan.offset_into_first_range);
  if (out.size() > want) out.resize(want);
  return out;
}

class CasServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(OpenStore("mem://cas-test")).value();
    cas_ = std::make_unique<CasService>(store_.get());
  }
  void PutAll(const Upload& up) {
    for (auto& x : up.xorbs) ASSERT_TRUE(cas_->PutXorb(x.hash, x.bytes).ok());
  }
  size_t Count(std::string_view prefix) {
    auto page = store_->List(prefix, "", 10000);
    return page.ok() ? page->objects.size() : 0;
  }
  std::unique_ptr<ObjectStore> store_;
  std::unique_ptr<CasService> cas_;
};

TEST_F(CasServiceTest, XorbValidatedStoredOnceAndIndexed) {
  Upload up = Pack({SplitMix64::Generate(3 << 20, 1)});
  ASSERT_EQ(up.xorbs.size(), 1u);
  auto& x = up.xorbs[0];
  EXPECT_EQ(*cas_->PutXorb(x.hash, x.bytes), true);
  EXPECT_EQ(*cas_->PutXorb(x.hash, x.bytes), false);
  EXPECT_EQ(*cas_->XorbSize(x.hash), x.bytes.size());
  // The footer read back from the store (a fresh service has an empty cache) matches.
  CasService other(store_.get());
  auto stored = other.xorbs().Get(x.hash);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_EQ((*stored)->footer.num_chunks(), x.chunks.size());
  EXPECT_EQ((*stored)->records_size, x.bytes.size());
}

TEST_F(CasServiceTest, XorbRejectedWhenHashOrBytesAreWrong) {
  Upload up = Pack({SplitMix64::Generate(500000, 2)});
  auto& x = up.xorbs[0];
  Hash wrong = x.hash;
  wrong.bytes[0] ^= 1;
  auto r = cas_->PutXorb(wrong, x.bytes);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("hash to " + x.hash.ToXetHex()), std::string::npos);
  Bytes flipped = x.bytes;
  flipped[flipped.size() / 2] ^= 0x40;
  EXPECT_EQ(cas_->PutXorb(x.hash, flipped).status().code(), StatusCode::kInvalidArgument);
  Bytes truncated(x.bytes.begin(), x.bytes.end() - 7);
  EXPECT_EQ(cas_->PutXorb(x.hash, truncated).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Count("xorbs/"), 0u);
}

// Records `chunks` with `policy` into one xorb body; returns it and its hash.
std::pair<Bytes, Hash> XorbOf(const std::vector<Bytes>& chunks, CompressionPolicy policy) {
  ChunkEncoder enc(policy);
  Bytes body;
  std::vector<HashAndSize> hashes;
  for (const Bytes& c : chunks) {
    EXPECT_TRUE(enc.Append(c, &body).ok());
    hashes.push_back({ChunkHash(c), uint32_t(c.size())});
  }
  return {std::move(body), XorbHash(hashes)};
}

// Regression: castor serve refused the official JS client's xorbs of compressible data. It cuts
// xorbs on serialized bytes only (more than 64 MiB uncompressed), the reference client on
// uncompressed bytes (64 MiB + headers serialized). Both shapes must be accepted.
TEST_F(CasServiceTest, XorbsOfBothReferenceClientsAreAccepted) {
  // JS client shape: 600 compressible 128 KiB chunks, 75 MiB uncompressed in a small body.
  std::vector<Bytes> compressible;
  for (int i = 0; i < 600; ++i) {
    Bytes c(131072, uint8_t(i % 7));
    StoreLE32(c.data(), uint32_t(i));
    compressible.push_back(std::move(c));
  }
  auto [js_body, js_hash] = XorbOf(compressible, CompressionPolicy::kLz4);
  ASSERT_LT(js_body.size(), 8u << 20);
  auto js = cas_->PutXorb(js_hash, js_body);
  ASSERT_TRUE(js.ok()) << js.status().ToString();
  EXPECT_TRUE(*js);
  EXPECT_EQ(*cas_->XorbSize(js_hash), js_body.size());

  // Reference client shape: 512 incompressible chunks = exactly 64 MiB of data, 64 MiB + 4 KiB
  // serialized.
  Bytes random = SplitMix64::Generate(513 * 131072, 9);
  std::vector<Bytes> raw;
  for (int i = 0; i < 512; ++i) {
    raw.emplace_back(random.begin() + i * 131072, random.begin() + (i + 1) * 131072);
  }
  auto [rs_body, rs_hash] = XorbOf(raw, CompressionPolicy::kNone);
  ASSERT_EQ(rs_body.size(), (64u << 20) + 512 * 8);
  auto rs = cas_->PutXorb(rs_hash, rs_body);
  ASSERT_TRUE(rs.ok()) << rs.status().ToString();
  EXPECT_TRUE(*rs);

  // One more raw chunk is past both rules: refused, nothing stored.
  raw.emplace_back(random.begin() + 512 * 131072, random.end());
  auto [over_body, over_hash] = XorbOf(raw, CompressionPolicy::kNone);
  auto over = cas_->PutXorb(over_hash, over_body);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(over.status().message().find("exceeds 64 MiB"), std::string::npos);
  EXPECT_EQ(Count("xorbs/"), 2u);
}

TEST_F(CasServiceTest, ShardRegistersFilesThatReconstructExactly) {
  std::vector<Bytes> files = {SplitMix64::Generate(2500000, 3), SplitMix64::Generate(700000, 4),
                              Bytes(5000, 7), Bytes()};
  Upload up = Pack(files, /*max_xorb_chunks=*/16);  // several xorbs, terms spanning them
  ASSERT_GT(up.xorbs.size(), 2u);
  PutAll(up);
  Bytes shard = *up.shard.BuildUpload();
  auto res = cas_->PutShard(shard, 1700000000);
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_TRUE(res->registered_new);
  EXPECT_EQ(res->files, 3u);
  auto again = cas_->PutShard(shard, 1700000001);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_FALSE(again->registered_new);  // nothing new

  for (size_t f = 0; f < files.size(); ++f) {
    SCOPED_TRACE(f);
    auto rec = cas_->GetFile(up.file_ids[f]);
    ASSERT_TRUE(rec.ok()) << rec.status().ToString();
    EXPECT_EQ(rec->size(), files[f].size());
    EXPECT_EQ(rec->file.sha256, Sha256::Of(files[f]));
    auto plan = cas_->PlanReconstruction(up.file_ids[f], std::nullopt);
    ASSERT_TRUE(plan.ok()) << plan.status().ToString();
    EXPECT_EQ(Reconstruct(*cas_, *plan, files[f].size()), files[f]);
  }
  // Ranges: random windows of the big file, the first and last byte, and a range past the end.
  SplitMix64 rng(9);
  const Bytes& big = files[0];
  std::vector<protocol::ByteRange> ranges = {{0, 1}, {big.size() - 1, big.size()},
                                             {100, big.size() + 1000}};
  for (int i = 0; i < 40; ++i) {
    uint64_t a = rng.Next() % big.size(), b = rng.Next() % big.size();
    ranges.push_back({std::min(a, b), std::max(a, b) + 1});
  }
  for (auto r : ranges) {
    SCOPED_TRACE(std::to_string(r.start) + "-" + std::to_string(r.end));
    auto plan = cas_->PlanReconstruction(up.file_ids[0], r);
    ASSERT_TRUE(plan.ok());
    uint64_t end = std::min<uint64_t>(r.end, big.size());
    Bytes want(big.begin() + r.start, big.begin() + end);
    EXPECT_EQ(Reconstruct(*cas_, *plan, end - r.start), want);
  }
  auto past = cas_->PlanReconstruction(up.file_ids[0], protocol::ByteRange{big.size(), big.size() + 5});
  EXPECT_EQ(past.status().code(), StatusCode::kOutOfRange);
  // The empty file: zero terms from 0, 416 past it.
  auto empty = cas_->PlanReconstruction(up.file_ids[3], std::nullopt);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->terms.empty());
  EXPECT_EQ(cas_->PlanReconstruction(up.file_ids[3], protocol::ByteRange{1, 2}).status().code(),
            StatusCode::kOutOfRange);
  EXPECT_EQ(cas_->GetFile(Hash{})->size(), 0u);  // the empty file's id is all zeros
}

TEST_F(CasServiceTest, ShardRejectionsWriteNothing) {
  Upload up = Pack({SplitMix64::Generate(900000, 5)}, 4);
  ASSERT_GE(up.xorbs.size(), 2u);
  // A missing xorb.
  ASSERT_TRUE(cas_->PutXorb(up.xorbs[0].hash, up.xorbs[0].bytes).ok());
  auto r = cas_->PutShard(*up.shard.BuildUpload(), 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("has not been uploaded"), std::string::npos);
  PutAll(up);

  auto mutate = [&](auto fn) {
    ShardBuilder b;
    for (auto f : up.shard.files()) { fn(f); b.AddFile(f); }
    for (auto& x : up.shard.xorbs()) b.AddXorb(x);
    return *b.BuildUpload();
  };
  struct Case { const char* name; Bytes shard; const char* expect; };
  std::vector<Case> cases = {
      {"verification", mutate([](ShardFile& f) { f.verification[1].bytes[3] ^= 1; }),
       "wrong verification hash"},
      {"file id", mutate([](ShardFile& f) { f.file_hash.bytes[0] ^= 1; }), "reconstruct to file id"},
      {"term size", mutate([](ShardFile& f) { f.terms[0].unpacked_bytes += 1; }), "its chunks hold"},
      {"chunk range", mutate([](ShardFile& f) { f.terms[0].chunk_end = 999; }), "not within"},
      {"no verification", mutate([](ShardFile& f) { f.verification.clear(); }), "verification"},
      {"garbage", Bytes(100, 0xAB), "shard"},
  };
  for (auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto res = cas_->PutShard(c.shard, 1);
    ASSERT_FALSE(res.ok());
    EXPECT_EQ(res.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(res.status().message().find(c.expect), std::string::npos) << res.status().message();
  }
  EXPECT_EQ(Count("files/"), 0u);
  EXPECT_EQ(Count("shards/"), 0u);
  EXPECT_EQ(Count("dedup/"), 0u);
  EXPECT_TRUE(cas_->PutShard(*up.shard.BuildUpload(), 1).ok());
  EXPECT_EQ(Count("files/"), 1u);
}

TEST_F(CasServiceTest, GlobalDedupAnswersWithAKeyedShard) {
  Bytes data = SplitMix64::Generate(1 << 20, 6);
  Upload up = Pack({data});
  PutAll(up);
  ASSERT_TRUE(cas_->PutShard(*up.shard.BuildUpload(), 1000).ok());
  Hash first = up.xorbs[0].chunks[0].hash;
  auto answer = cas_->GlobalDedupShard(first, 1000);
  ASSERT_TRUE(answer.ok()) << answer.status().ToString();
  auto shard = ShardReader::Parse(*answer);
  ASSERT_TRUE(shard.ok()) << shard.status().ToString();
  EXPECT_TRUE(shard->keyed());
  EXPECT_TRUE(shard->files().empty());
  EXPECT_GT(shard->footer()->key_expiry, 1000u);
  auto loc = shard->FindChunk(first);
  ASSERT_TRUE(loc.has_value());
  EXPECT_EQ(shard->xorbs()[loc->xorb].xorb_hash, up.xorbs[0].hash);
  EXPECT_EQ(loc->chunk, 0u);
  // Every chunk of the xorb can be matched through the keyed hashes.
  for (auto& c : up.xorbs[0].chunks) EXPECT_TRUE(shard->FindChunk(c.hash).has_value());
  EXPECT_EQ(cas_->GlobalDedupShard(up.xorbs[0].chunks[1].hash, 1000).status().code(),
            StatusCode::kNotFound);
}

TEST_F(CasServiceTest, GlobalDedupAnswerCoversTheXorbsUploadedTogether) {
  Upload up = Pack({SplitMix64::Generate(2'000'000, 11)}, /*max_xorb_chunks=*/8);
  ASSERT_GE(up.xorbs.size(), 3u);
  PutAll(up);
  ASSERT_TRUE(cas_->PutShard(*up.shard.BuildUpload(), 1000).ok());
  auto answer = cas_->GlobalDedupShard(up.xorbs[0].chunks[0].hash, 1000);
  ASSERT_TRUE(answer.ok()) << answer.status().ToString();
  auto shard = ShardReader::Parse(*answer);
  ASSERT_TRUE(shard.ok());
  EXPECT_EQ(shard->xorbs().size(), up.xorbs.size());
  EXPECT_EQ(shard->xorbs()[0].xorb_hash, up.xorbs[0].hash);  // the queried chunk's xorb first
  for (auto& x : up.xorbs) {
    for (auto& c : x.chunks) EXPECT_TRUE(shard->FindChunk(c.hash).has_value());
  }
}

TEST_F(CasServiceTest, TwoServicesOnOneStoreActAsOne) {
  Upload up = Pack({SplitMix64::Generate(1500000, 8)}, 8);
  CasService a(store_.get()), b(store_.get());
  for (size_t i = 0; i < up.xorbs.size(); ++i) {
    CasService& s = i % 2 ? a : b;
    ASSERT_TRUE(*s.PutXorb(up.xorbs[i].hash, up.xorbs[i].bytes));
  }
  ASSERT_TRUE(a.PutShard(*up.shard.BuildUpload(), 5).ok());
  auto plan = b.PlanReconstruction(up.file_ids[0], std::nullopt);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->file_size, 1500000u);
  EXPECT_FALSE(*a.PutXorb(up.xorbs[0].hash, up.xorbs[0].bytes));
}

}  // namespace
}  // namespace castor::cas
