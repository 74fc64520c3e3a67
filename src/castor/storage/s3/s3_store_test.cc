// The S3 store over a scripted in-memory HttpClient: URL shapes (virtual-hosted, path-style,
// prefixes, encoding), retry decisions, error messages and multipart bookkeeping, without a
// server. Real servers are exercised in tests/s3.
#include "castor/storage/s3/s3_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <deque>
#include <mutex>

#include "castor/storage/s3/multipart_writer.h"

namespace castor::s3 {
namespace {

using ::testing::HasSubstr;

// Answers requests from a script (first matching method wins, consumed in order); records all.
class ScriptedHttp final : public http::HttpClient {
 public:
  struct Step {
    std::string method;  // "" = any
    int status = 200;
    std::string body;
    http::Headers headers;
    bool transport_error = false;
  };
  void Add(Step s) {
    std::lock_guard l(mu_);
    script_.push_back(std::move(s));
  }
  Result<http::Response> Send(const http::Request& r) override { return Send(r, nullptr); }
  Result<http::Response> Send(const http::Request& r, const http::BodySink& sink) override {
    return Send(r, &sink);
  }
  Result<http::Response> Send(const http::Request& r, const http::BodySink* sink) {
    Step step;
    {
      std::lock_guard l(mu_);
      seen_.push_back(r);
      seen_[seen_.size() - 1].body = {};
      bodies_.emplace_back(r.body.begin(), r.body.end());
      auto it = std::find_if(script_.begin(), script_.end(), [&](const Step& s) {
        return s.method.empty() || s.method == r.method;
      });
      if (it == script_.end()) return Internal("unscripted " + r.method + " " + r.url);
      step = *it;
      script_.erase(it);
    }
    if (step.transport_error) return Unavailable("connection reset");
    http::Response resp;
    resp.status = step.status;
    resp.headers = step.headers;
    if (sink && step.status / 100 == 2) {
      CASTOR_RETURN_IF_ERROR((*sink)(AsBytes(step.body)));
    } else {
      resp.body.assign(step.body.begin(), step.body.end());
    }
    return resp;
  }
  std::vector<http::Request> seen() {
    std::lock_guard l(mu_);
    return seen_;
  }

 private:
  std::mutex mu_;
  std::deque<Step> script_;
  std::vector<http::Request> seen_;
  std::vector<Bytes> bodies_;
};

ScriptedHttp::Step S(std::string method, int status, std::string body = "",
                     http::Headers headers = {}, bool transport_error = false) {
  return {std::move(method), status, std::move(body), std::move(headers), transport_error};
}

struct Fixture {
  std::shared_ptr<ScriptedHttp> http = std::make_shared<ScriptedHttp>();
  std::unique_ptr<ObjectStore> store;
  explicit Fixture(S3Options o = {}) {
    if (o.bucket.empty()) o.bucket = "bkt";
    o.http = http;
    o.credentials = NewStaticCredentials({"AK", "SECRETKEY", "", {}});
    o.retry_base_delay = std::chrono::milliseconds(1);
    o.max_retries = 3;
    store = std::move(NewS3Store(o)).value();
  }
};

TEST(S3Store, VirtualHostedUrlOnAws) {
  S3Options o;
  o.region = "eu-west-1";
  o.prefix = "models";
  Fixture f(o);
  f.http->Add(S("PUT", 200));
  ASSERT_TRUE(f.store->Put("a b/c+d", AsBytes("x")).ok());
  auto r = f.http->seen().at(0);
  EXPECT_EQ(r.url, "https://bkt.s3.eu-west-1.amazonaws.com/models/a%20b/c%2Bd");
  EXPECT_THAT(std::string(http::FindHeader(r.headers, "Authorization")),
              HasSubstr("Credential=AK/"));
  EXPECT_THAT(std::string(http::FindHeader(r.headers, "Authorization")),
              HasSubstr("/eu-west-1/s3/aws4_request"));
  EXPECT_EQ(http::FindHeader(r.headers, "x-amz-content-sha256"), "UNSIGNED-PAYLOAD");
}

TEST(S3Store, PathStyleAndSignedPayload) {
  S3Options o;
  o.endpoint = "http://127.0.0.1:9000";
  o.path_style = true;
  o.unsigned_payload = false;
  Fixture f(o);
  f.http->Add(S("PUT", 200));
  ASSERT_TRUE(f.store->Put("k", AsBytes("abc")).ok());
  auto r = f.http->seen().at(0);
  EXPECT_EQ(r.url, "http://127.0.0.1:9000/bkt/k");
  EXPECT_EQ(http::FindHeader(r.headers, "x-amz-content-sha256"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");  // sha256("abc")
}

TEST(S3Store, ListStripsThePrefixAndPages) {
  S3Options o;
  o.prefix = "p";
  Fixture f(o);
  f.http->Add(S("GET", 200,
                "<ListBucketResult><IsTruncated>true</IsTruncated><KeyCount>2</KeyCount>"
                "<Contents><Key>p/a&amp;b</Key><Size>3</Size><ETag>&quot;e1&quot;</ETag></Contents>"
                "<Contents><Key>p/c</Key><Size>4</Size><ETag>\"e2\"</ETag></Contents>"
                "</ListBucketResult>"));
  auto page = f.store->List("", "x", 2);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[0].key, "a&b");
  EXPECT_EQ(page->objects[0].etag, "e1");
  EXPECT_EQ(page->objects[1].size, 4u);
  EXPECT_EQ(page->next_start_after, "c");
  std::string url = f.http->seen().at(0).url;
  EXPECT_THAT(url, HasSubstr("list-type=2"));
  EXPECT_THAT(url, HasSubstr("prefix=p%2F"));
  EXPECT_THAT(url, HasSubstr("start-after=p%2Fx"));
  EXPECT_THAT(url, HasSubstr("max-keys=2"));
}

TEST(S3Store, RetriesTransientFailuresOnly) {
  Fixture f;
  f.http->Add(S("PUT", 0, "", {}, true));
  f.http->Add(S("PUT", 503, "<Error><Code>SlowDown</Code></Error>"));
  f.http->Add(S("PUT", 400, "<Error><Code>RequestTimeout</Code></Error>"));
  f.http->Add(S("PUT", 200));
  ASSERT_TRUE(f.store->Put("k", AsBytes("x")).ok());
  EXPECT_EQ(f.http->seen().size(), 4u);

  Fixture g;
  g.http->Add(
      S("PUT", 400, "<Error><Code>InvalidArgument</Code><Message>bad thing</Message></Error>"));
  Status st = g.store->Put("k2", AsBytes("x"));
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(), "s3 put k2: HTTP 400 InvalidArgument: bad thing");
  EXPECT_EQ(g.http->seen().size(), 1u);
}

TEST(S3Store, ExpiredTokenRefreshesCredentialsOnce) {
  Fixture f;
  f.http->Add(S("HEAD", 400, "<Error><Code>ExpiredToken</Code></Error>"));
  f.http->Add(S("HEAD", 200, "", {{"Content-Length", "5"}, {"ETag", "\"e\""}}));
  auto h = f.store->Head("k");
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->size, 5u);
  EXPECT_EQ(h->etag, "e");
}

TEST(S3Store, HeadWithoutBodyStillNamesTheError) {
  Fixture f;
  f.http->Add(S("HEAD", 404));
  auto h = f.store->Head("dir/k");
  EXPECT_EQ(h.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(h.status().message(), "s3 head dir/k: HTTP 404 NoSuchKey");
}

TEST(S3Store, ConditionalPutOutcomes) {
  Fixture f;
  f.http->Add(S("PUT", 200));
  f.http->Add(S("PUT", 412, "<Error><Code>PreconditionFailed</Code></Error>"));
  EXPECT_EQ(*f.store->PutIfAbsent("k", AsBytes("x")), PutOutcome::kCreated);
  EXPECT_EQ(*f.store->PutIfAbsent("k", AsBytes("x")), PutOutcome::kAlreadyExisted);
  for (auto& r : f.http->seen()) EXPECT_EQ(http::FindHeader(r.headers, "If-None-Match"), "*");
}

TEST(S3Store, MultipartUploadsPartsAndCompletes) {
  Fixture f;
  f.http->Add(
      S("POST", 200,
        "<InitiateMultipartUploadResult><UploadId>U1</UploadId></InitiateMultipartUploadResult>"));
  for (int i = 0; i < 3; ++i)
    f.http->Add(S("PUT", 200, "", {{"ETag", "\"p" + std::to_string(i) + "\""}}));
  f.http->Add(
      S("POST", 200,
        "<CompleteMultipartUploadResult><ETag>\"x-3\"</ETag></CompleteMultipartUploadResult>"));
  f.http->Add(
      S("HEAD", 200, "", {{"Content-Length", std::to_string(11 << 20)}, {"ETag", "\"x-3\""}}));
  WriterOptions wo;
  wo.part_size = 5 << 20;
  wo.parallelism = 1;  // parts go out in order, so the scripted ETags match part numbers
  auto w = f.store->NewWriter("big", wo);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Write(Bytes(11 << 20, 1)).ok());
  auto info = (*w)->Commit();
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  auto seen = f.http->seen();
  ASSERT_EQ(seen.size(), 6u);
  EXPECT_THAT(seen[0].url, HasSubstr("?uploads="));
  EXPECT_THAT(seen[1].url, HasSubstr("partNumber=1&uploadId=U1"));
  EXPECT_THAT(seen[3].url, HasSubstr("partNumber=3&uploadId=U1"));
  EXPECT_THAT(seen[4].url, HasSubstr("uploadId=U1"));
  EXPECT_EQ(seen[4].method, "POST");
}

TEST(S3Store, MultipartSizeMismatchIsCorruptionAndNotVisible) {
  Fixture f;
  f.http->Add(S("POST", 200, "<UploadId>U</UploadId>"));
  f.http->Add(S("PUT", 200, "", {{"ETag", "\"a\""}}));
  f.http->Add(S("PUT", 200, "", {{"ETag", "\"b\""}}));
  f.http->Add(
      S("POST", 200,
        "<CompleteMultipartUploadResult><ETag>\"x\"</ETag></CompleteMultipartUploadResult>"));
  f.http->Add(S("HEAD", 200, "", {{"Content-Length", "7"}}));
  WriterOptions wo;
  wo.part_size = 5 << 20;
  auto w = f.store->NewWriter("big", wo);
  ASSERT_TRUE((*w)->Write(Bytes(6 << 20, 1)).ok());
  auto info = (*w)->Commit();
  EXPECT_EQ(info.status().code(), StatusCode::kCorruption);
}

TEST(S3Store, PartSizeFitsTheTenThousandPartLimit) {
  EXPECT_EQ(ChoosePartSize(16 << 20, 0), 16u << 20);
  EXPECT_EQ(ChoosePartSize(1, 0), kMinPartSize);
  EXPECT_EQ(ChoosePartSize(16 << 20, 1ull << 40), (1ull << 40) / 10000 + 1);
  EXPECT_EQ(ChoosePartSize(16 << 20, 100ull << 40), kMaxPartSize);
}

TEST(S3Store, PresignedUrlShape) {
  S3Options o;
  o.endpoint = "http://127.0.0.1:9000";
  o.path_style = true;
  Fixture f(o);
  auto url = f.store->PresignGet("a b", std::chrono::seconds(600));
  ASSERT_TRUE(url.ok());
  EXPECT_THAT(*url, ::testing::StartsWith(
                        "http://127.0.0.1:9000/bkt/a%20b?X-Amz-Algorithm=AWS4-HMAC-SHA256"));
  EXPECT_THAT(*url, HasSubstr("X-Amz-Expires=600"));
  EXPECT_THAT(*url, HasSubstr("X-Amz-Signature="));
  EXPECT_THAT(*url, ::testing::Not(HasSubstr("SECRETKEY")));
  EXPECT_FALSE(f.store->PresignGet("k", std::chrono::seconds(8 * 24 * 3600)).ok());
}

// ListMultipartUploads: keys lose the store prefix, the cursor is the Next*Marker pair (or, when
// a server leaves those out, the last upload), and the next request carries both markers.
TEST(S3Store, IncompleteUploadsPageByKeyAndUploadIdMarkers) {
  S3Options o;
  o.prefix = "p";
  Fixture f(o);
  f.http->Add(
      S("GET", 200,
        "<ListMultipartUploadsResult><IsTruncated>true</IsTruncated>"
        "<NextKeyMarker>p/a&amp;b</NextKeyMarker><NextUploadIdMarker>u2</NextUploadIdMarker>"
        "<Upload><Key>p/a&amp;b</Key><UploadId>u1</UploadId>"
        "<Initiated>2026-11-29T07:04:46.000Z</Initiated></Upload>"
        "<Upload><Key>p/a&amp;b</Key><UploadId>u2</UploadId>"
        "<Initiated>2026-11-29T07:04:48.250Z</Initiated></Upload>"
        "</ListMultipartUploadsResult>"));
  f.http->Add(S("GET", 200,
                "<ListMultipartUploadsResult><IsTruncated>true</IsTruncated>"
                "<Upload><Key>p/c</Key><UploadId>u3</UploadId></Upload>"
                "</ListMultipartUploadsResult>"));
  f.http->Add(S("GET", 200,
                "<ListMultipartUploadsResult><IsTruncated>false</IsTruncated>"
                "<Upload><Key>p/d</Key><UploadId>u4</UploadId>"
                "<Initiated>2026-11-29T07:05:00Z</Initiated></Upload>"
                "</ListMultipartUploadsResult>"));
  auto all = ListAllIncompleteWrites(*f.store, "", 2);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 4u);
  EXPECT_EQ((*all)[0].key, "a&b");
  EXPECT_EQ((*all)[1].id, "u2");
  EXPECT_EQ((*all)[2].key, "c");
  EXPECT_EQ((*all)[3].key, "d");
  EXPECT_EQ((*all)[1].initiated - (*all)[0].initiated, std::chrono::seconds(2));
  // No Initiated: unknown, so never "older than" anything.
  EXPECT_EQ((*all)[2].initiated, std::chrono::system_clock::time_point::max());
  auto seen = f.http->seen();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_THAT(seen[0].url, HasSubstr("?max-uploads=2&prefix=p%2F&uploads="));
  EXPECT_THAT(seen[0].url, ::testing::Not(HasSubstr("marker")));
  EXPECT_THAT(seen[1].url, HasSubstr("key-marker=p%2Fa%26b"));
  EXPECT_THAT(seen[1].url, HasSubstr("upload-id-marker=u2"));
  EXPECT_THAT(seen[2].url, HasSubstr("key-marker=p%2Fc"));
  EXPECT_THAT(seen[2].url, HasSubstr("upload-id-marker=u3"));
}

TEST(S3Store, IncompleteUploadsListingErrors) {
  Fixture f;
  f.http->Add(S("GET", 200, "<ListBucketResult></ListBucketResult>"));
  auto r = f.store->ListIncompleteWrites("x/", "", "", 10);
  EXPECT_EQ(r.status().code(), StatusCode::kIOError);
  f.http->Add(S("GET", 200,
                "<ListMultipartUploadsResult><Upload><UploadId>u</UploadId></Upload>"
                "</ListMultipartUploadsResult>"));
  r = f.store->ListIncompleteWrites("x/", "", "", 10);
  EXPECT_THAT(r.status().ToString(), HasSubstr("malformed <Upload>"));
  // A server that keeps answering the same cursor is caught instead of looping forever.
  for (int i = 0; i < 2; ++i)
    f.http->Add(S("GET", 200,
                  "<ListMultipartUploadsResult><IsTruncated>true</IsTruncated>"
                  "<NextKeyMarker>k</NextKeyMarker><NextUploadIdMarker>u</NextUploadIdMarker>"
                  "</ListMultipartUploadsResult>"));
  auto all = ListAllIncompleteWrites(*f.store, "", 5);
  EXPECT_THAT(all.status().ToString(), HasSubstr("does not advance"));
  f.http->Add(S("GET", 403, "<Error><Code>AccessDenied</Code><Message>no</Message></Error>"));
  r = f.store->ListIncompleteWrites("x/", "", "", 10);
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(f.store->ListIncompleteWrites("x/", "", "", 0).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(S3Store, AbortIncompleteUpload) {
  Fixture f;
  f.http->Add(S("DELETE", 204));
  ASSERT_TRUE(f.store->AbortIncompleteWrite("a/b", "up+1").ok());
  EXPECT_THAT(f.http->seen().at(0).url, HasSubstr("/a/b?uploadId=up%2B1"));
  f.http->Add(S("DELETE", 404, "<Error><Code>NoSuchUpload</Code><Message>gone</Message></Error>"));
  Status st = f.store->AbortIncompleteWrite("a/b", "up+1");
  EXPECT_EQ(st.code(), StatusCode::kNotFound);
  EXPECT_THAT(st.ToString(), HasSubstr("NoSuchUpload"));
  EXPECT_THAT(st.ToString(), HasSubstr("a/b"));
  EXPECT_EQ(f.store->AbortIncompleteWrite("a/b", "").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(f.store->AbortIncompleteWrite("../x", "u").code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace castor::s3
