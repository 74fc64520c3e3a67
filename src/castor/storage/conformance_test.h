// The ObjectStore conformance suite: one set of tests every implementation must pass. A test
// program instantiates it with factories for the stores it can build:
//   INSTANTIATE_TEST_SUITE_P(Local, StoreConformance, ::testing::Values(StoreFactory{...}));
// Each test works under its own random key prefix, so stores that outlive a test (a bucket) can
// be shared by all of them.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <random>
#include <set>
#include <string>
#include <thread>

#include "castor/base/splitmix64.h"
#include "castor/http/http_client.h"
#include "castor/storage/object_store.h"

namespace castor::storetest {

struct StoreFactory {
  std::string name;
  std::function<Result<std::unique_ptr<ObjectStore>>()> make;
  // Bytes for the large-writer test (crosses the multipart threshold of S3 stores at 5 MiB parts).
  size_t large_size = 12 << 20;
};

inline std::string PrintStoreName(const ::testing::TestParamInfo<StoreFactory>& info) {
  return info.param.name;
}

inline Bytes Pattern(size_t n, uint64_t seed) {
  Bytes b(n);
  SplitMix64 rng(seed);
  for (size_t i = 0; i < n; i += 8) {
    uint64_t v = rng.Next();
    for (size_t j = 0; j < 8 && i + j < n; ++j) b[i + j] = uint8_t(v >> (8 * j));
  }
  return b;
}

class StoreConformance : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override {
    auto s = GetParam().make();
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
    std::random_device rd;
    prefix_ = "conf-" + std::to_string(rd()) + "-" + std::to_string(rd()) + "/";
  }
  void TearDown() override {
    if (!store_) return;
    // Leave a shared bucket as we found it.
    auto page = store_->List(prefix_, "", 1000);
    if (page.ok())
      for (auto& o : page->objects) (void)store_->Delete(o.key);
  }
  std::string K(std::string_view k) const { return prefix_ + std::string(k); }

  std::unique_ptr<ObjectStore> store_;
  std::string prefix_;
};

TEST_P(StoreConformance, PutGetHeadRoundTrip) {
  Bytes data = Pattern(100'003, 1);
  ASSERT_TRUE(store_->Put(K("a"), data).ok());
  auto got = store_->Get(K("a"));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, data);
  auto head = store_->Head(K("a"));
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->size, data.size());
  EXPECT_EQ(head->key, K("a"));
  EXPECT_FALSE(head->etag.empty());
  // Overwrite with other bytes: new content, new ETag.
  Bytes other = Pattern(10, 2);
  ASSERT_TRUE(store_->Put(K("a"), other).ok());
  EXPECT_EQ(*store_->Get(K("a")), other);
  EXPECT_NE(store_->Head(K("a"))->etag, head->etag);
}

TEST_P(StoreConformance, EmptyObject) {
  ASSERT_TRUE(store_->Put(K("empty"), {}).ok());
  auto got = store_->Get(K("empty"));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(got->empty());
  EXPECT_EQ(store_->Head(K("empty"))->size, 0u);
  auto r = store_->GetRange(K("empty"), 0, 10);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->empty());
}

TEST_P(StoreConformance, MissingIsNotFound) {
  EXPECT_EQ(store_->Get(K("nope")).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Head(K("nope")).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->GetRange(K("nope"), 0, 5).status().code(), StatusCode::kNotFound);
  Status st = store_->ReadRange(K("nope"), 0, 5, [](ByteSpan) { return Status::OK(); });
  EXPECT_EQ(st.code(), StatusCode::kNotFound);
  // The message names the key.
  EXPECT_THAT(store_->Head(K("nope")).status().message(), ::testing::HasSubstr(K("nope")));
}

TEST_P(StoreConformance, PutIfAbsentNeverOverwrites) {
  Bytes first = Pattern(5000, 3), second = Pattern(5000, 4);
  auto a = store_->PutIfAbsent(K("c"), first);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(*a, PutOutcome::kCreated);
  auto b = store_->PutIfAbsent(K("c"), second);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(*b, PutOutcome::kAlreadyExisted);
  EXPECT_EQ(*store_->Get(K("c")), first);
}

TEST_P(StoreConformance, ConcurrentPutIfAbsentCreatesOnce) {
  Bytes data = Pattern(20000, 5);
  std::atomic<int> created{0}, existed{0}, failed{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < 6; ++i)
    ts.emplace_back([&] {
      auto r = store_->PutIfAbsent(K("race"), data);
      if (!r.ok())
        ++failed;
      else if (*r == PutOutcome::kCreated)
        ++created;
      else
        ++existed;
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(created + existed, 6);
  EXPECT_GE(created, 1);
  if (store_->capabilities().atomic_conditional_put) {
    EXPECT_EQ(created, 1);
  }
  EXPECT_EQ(*store_->Get(K("race")), data);
}

TEST_P(StoreConformance, Ranges) {
  Bytes data = Pattern(70000, 6);
  ASSERT_TRUE(store_->Put(K("r"), data).ok());
  auto mid = store_->GetRange(K("r"), 1000, 5000);
  ASSERT_TRUE(mid.ok()) << mid.status().ToString();
  EXPECT_EQ(*mid, Bytes(data.begin() + 1000, data.begin() + 6000));
  auto tail = store_->GetRange(K("r"), 69000, 5000);  // clipped at the end
  ASSERT_TRUE(tail.ok()) << tail.status().ToString();
  EXPECT_EQ(*tail, Bytes(data.begin() + 69000, data.end()));
  auto all = store_->GetRange(K("r"), 0, UINT64_MAX);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(*all, data);
  auto at_end = store_->GetRange(K("r"), 70000, 10);
  ASSERT_TRUE(at_end.ok()) << at_end.status().ToString();
  EXPECT_TRUE(at_end->empty());
  auto zero = store_->GetRange(K("r"), 5, 0);
  ASSERT_TRUE(zero.ok()) << zero.status().ToString();
  EXPECT_TRUE(zero->empty());
  EXPECT_EQ(store_->GetRange(K("r"), 70001, 10).status().code(), StatusCode::kOutOfRange);
  auto one = store_->GetRange(K("r"), 69999, 1);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(*one, Bytes{data.back()});
}

TEST_P(StoreConformance, ReadRangeStreamsAndStopsOnSinkError) {
  Bytes data = Pattern(3 << 20, 7);
  ASSERT_TRUE(store_->Put(K("s"), data).ok());
  Bytes got;
  Status st = store_->ReadRange(K("s"), 100, UINT64_MAX, [&](ByteSpan b) {
    got.insert(got.end(), b.begin(), b.end());
    return Status::OK();
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(got, Bytes(data.begin() + 100, data.end()));
  st = store_->ReadRange(K("s"), 0, UINT64_MAX, [](ByteSpan) { return Cancelled("enough"); });
  EXPECT_EQ(st.code(), StatusCode::kCancelled);
}

TEST_P(StoreConformance, ReadIntoFillsTheBufferUpToTheObjectsEnd) {
  Bytes data = Pattern((3 << 20) + 17, 8);
  ASSERT_TRUE(store_->Put(K("r"), data).ok());
  Bytes buf((1 << 20) + 3, 0xee);
  auto n = store_->ReadInto(K("r"), 100, buf);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  ASSERT_EQ(*n, buf.size());
  EXPECT_TRUE(std::equal(buf.begin(), buf.end(), data.begin() + 100));
  // Clipped at the end; the bytes past what was read are left alone.
  std::fill(buf.begin(), buf.end(), 0xee);
  n = store_->ReadInto(K("r"), data.size() - 10, buf);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  ASSERT_EQ(*n, 10u);
  EXPECT_TRUE(std::equal(buf.begin(), buf.begin() + 10, data.end() - 10));
  EXPECT_EQ(buf[10], 0xee);
  n = store_->ReadInto(K("r"), data.size(), buf);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 0u);
  n = store_->ReadInto(K("r"), 5, MutableByteSpan());
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 0u);
  EXPECT_EQ(store_->ReadInto(K("r"), data.size() + 1, buf).status().code(),
            StatusCode::kOutOfRange);
  EXPECT_EQ(store_->ReadInto(K("nope"), 0, buf).status().code(), StatusCode::kNotFound);
}

TEST_P(StoreConformance, ListInKeyOrderWithPagination) {
  // '-' (0x2d) sorts before '/' (0x2f): a flat key can sort between a "directory"'s siblings.
  // (No key is also a "directory" of another: a local store cannot hold both "a" and "a/c".)
  std::vector<std::string> keys = {"a-b", "a/c", "a/d/e", "a0", "b", "b0", "c/x y+z~%"};
  for (auto& k : keys) ASSERT_TRUE(store_->Put(K(k), AsBytes(k)).ok()) << k;
  std::vector<std::string> seen;
  std::string after;
  int pages = 0;
  for (;;) {
    auto page = store_->List(prefix_, after, 2);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    ASSERT_LE(page->objects.size(), 2u);
    ++pages;
    for (auto& o : page->objects) {
      seen.push_back(o.key.substr(prefix_.size()));
      EXPECT_EQ(o.size, o.key.size() - prefix_.size());
    }
    if (page->next_start_after.empty()) break;
    after = page->next_start_after;
    ASSERT_LT(pages, 20);
  }
  EXPECT_EQ(seen, keys);
  EXPECT_GE(pages, 4);
  // A prefix that is not a whole segment.
  auto b = store_->List(K("b"), "", 100);
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(b->objects.size(), 2u);
  EXPECT_EQ(b->objects[0].key, K("b"));
  EXPECT_EQ(b->objects[1].key, K("b0"));
  EXPECT_TRUE(b->next_start_after.empty());
  // A "directory" prefix.
  auto a = store_->List(K("a/"), "", 100);
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->objects.size(), 2u);
  EXPECT_EQ(a->objects[1].key, K("a/d/e"));
  // start_after in the middle.
  auto rest = store_->List(prefix_, K("a/c"), 100);
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->objects.size(), 5u);
  EXPECT_EQ(rest->objects[0].key, K("a/d/e"));
  EXPECT_TRUE(store_->List(K("zzz"), "", 10)->objects.empty());
}

TEST_P(StoreConformance, DeleteRemovesAndIsIdempotent) {
  ASSERT_TRUE(store_->Put(K("d/x"), AsBytes("x")).ok());
  ASSERT_TRUE(store_->Delete(K("d/x")).ok());
  EXPECT_EQ(store_->Head(K("d/x")).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->Delete(K("d/x")).ok());
  EXPECT_TRUE(store_->List(K("d/"), "", 10)->objects.empty());
  // The key can be written again afterwards.
  ASSERT_TRUE(store_->Put(K("d/x"), AsBytes("y")).ok());
  EXPECT_EQ(*store_->Get(K("d/x")), Bytes{'y'});
}

TEST_P(StoreConformance, WriterStreamsLargeObjects) {
  const size_t n = GetParam().large_size;
  Bytes data = Pattern(n, 8);
  WriterOptions wo;
  wo.part_size = 5 << 20;
  wo.parallelism = 3;
  auto w = store_->NewWriter(K("big"), wo);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  // Odd-sized writes cross part boundaries.
  for (size_t off = 0; off < n; off += 777'777) {
    size_t len = std::min<size_t>(777'777, n - off);
    ASSERT_TRUE((*w)->Write(ByteSpan(data).subspan(off, len)).ok());
  }
  // Nothing is visible before Commit.
  EXPECT_EQ(store_->Head(K("big")).status().code(), StatusCode::kNotFound);
  PutOutcome outcome = PutOutcome::kAlreadyExisted;
  auto info = (*w)->Commit(&outcome);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(outcome, PutOutcome::kCreated);
  EXPECT_EQ(info->size, n);
  auto got = store_->Get(K("big"));
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(*got == data);
  auto range = store_->GetRange(K("big"), (5 << 20) - 10, 20);  // across a part boundary
  ASSERT_TRUE(range.ok());
  EXPECT_EQ(*range, Bytes(data.begin() + (5 << 20) - 10, data.begin() + (5 << 20) + 10));
  // A second Commit is refused.
  EXPECT_FALSE((*w)->Commit().ok());
}

TEST_P(StoreConformance, WriterAbortLeavesNothing) {
  Bytes data = Pattern(6 << 20, 9);
  WriterOptions wo;
  wo.part_size = 5 << 20;
  {
    auto w = store_->NewWriter(K("aborted"), wo);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Write(data).ok());
    (*w)->Abort();
    (*w)->Abort();  // idempotent
    EXPECT_FALSE((*w)->Write(data).ok());
  }
  {
    auto w = store_->NewWriter(K("dropped"), wo);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Write(data).ok());
  }  // destroyed without Commit
  EXPECT_EQ(store_->Head(K("aborted")).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Head(K("dropped")).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->List(prefix_, "", 10)->objects.empty());
  // No multipart upload or temp file stays behind either.
  auto left = ListAllIncompleteWrites(*store_, prefix_);
  ASSERT_TRUE(left.ok()) << left.status().ToString();
  EXPECT_TRUE(left->empty());
}

// While a large writer is open, its incomplete write is listed (S3: once the first part has
// gone up; the memory store never has any); after Commit it is not.
TEST_P(StoreConformance, IncompleteWritesOfAnOpenWriter) {
  WriterOptions wo;
  wo.part_size = 5 << 20;
  auto w = store_->NewWriter(K("open/big"), wo);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Write(Pattern(6 << 20, 10)).ok());
  auto open = ListAllIncompleteWrites(*store_, prefix_);
  ASSERT_TRUE(open.ok()) << open.status().ToString();
  if (store_->capabilities().durable) {
    ASSERT_EQ(open->size(), 1u);
    EXPECT_TRUE((*open)[0].key.starts_with(prefix_)) << (*open)[0].key;
    EXPECT_FALSE((*open)[0].id.empty());
  } else {
    EXPECT_TRUE(open->empty());
  }
  ASSERT_TRUE((*w)->Commit().ok());
  auto after = ListAllIncompleteWrites(*store_, prefix_);
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->empty());
  EXPECT_EQ(store_->ListIncompleteWrites(prefix_, "", "", 0).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_P(StoreConformance, WriterIfAbsentKeepsExisting) {
  ASSERT_TRUE(store_->Put(K("keep"), AsBytes("original")).ok());
  WriterOptions wo;
  wo.if_absent = true;
  auto w = store_->NewWriter(K("keep"), wo);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Write(AsBytes("replacement")).ok());
  PutOutcome outcome = PutOutcome::kCreated;
  auto info = (*w)->Commit(&outcome);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(outcome, PutOutcome::kAlreadyExisted);
  EXPECT_EQ(AsString(*store_->Get(K("keep"))), "original");
}

TEST_P(StoreConformance, HostileKeysAreRejected) {
  const std::string nul("a\0b", 3);
  for (std::string bad :
       {std::string(""), std::string("../x"), std::string("/etc/passwd"), std::string("a/../../b"),
        nul, std::string("a//b"), std::string("a/"), std::string("./a"),
        std::string(".castor-tmp-1"), std::string("a\\..\\b"), std::string(2000, 'k')}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(store_->Put(bad, AsBytes("x")).code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(store_->PutIfAbsent(bad, AsBytes("x")).status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(store_->Get(bad).status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(store_->GetRange(bad, 0, 1).status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(store_->Head(bad).status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(store_->Delete(bad).code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(store_->NewWriter(bad, {}).status().code(), StatusCode::kInvalidArgument);
  }
}

TEST_P(StoreConformance, UnusualButValidKeys) {
  for (std::string k : {"sp ace", "plus+and=eq", "pct%41", "utf8-\xc3\xa9\xe2\x82\xac", "q?x&y#z",
                        "tilde~star*", "dots..inside", "...", ".hidden"}) {
    SCOPED_TRACE(k);
    ASSERT_TRUE(store_->Put(K(k), AsBytes(k)).ok());
    auto got = store_->Get(K(k));
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(AsString(*got), k);
  }
  auto page = store_->List(prefix_, "", 100);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->objects.size(), 9u);
  for (size_t i = 1; i < page->objects.size(); ++i)
    EXPECT_LT(page->objects[i - 1].key, page->objects[i].key);
}

TEST_P(StoreConformance, PresignGetWhereSupported) {
  Bytes data = Pattern(4321, 10);
  ASSERT_TRUE(store_->Put(K("p r"), data).ok());
  auto url = store_->PresignGet(K("p r"), std::chrono::seconds(300));
  if (!store_->capabilities().presigned_urls) {
    EXPECT_EQ(url.status().code(), StatusCode::kUnimplemented);
    return;
  }
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  auto client = http::NewCurlHttpClient();
  http::Request req;
  req.url = *url;
  auto resp = client->Send(req);
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  ASSERT_EQ(resp->status, 200) << resp->body_text();
  EXPECT_EQ(resp->body, data);
  // A tampered signature must not work... on servers that check signatures at all; every
  // server must at least still answer. (Swift checks; moto does not.)
  std::string bad = *url;
  bad[bad.size() - 1] = bad.back() == '0' ? '1' : '0';
  req.url = bad;
  auto tampered = client->Send(req);
  ASSERT_TRUE(tampered.ok());
}

}  // namespace castor::storetest
