#include "castor/format/xorb/xorb_footer.h"

#include <gtest/gtest.h>

#include "castor/format/testing/synthetic_data.h"
#include "castor/format/xorb/xorb_builder.h"
#include "castor/format/xorb/xorb_reader.h"

namespace castor {
namespace {

SerializedXorb Sample() {
  XorbBuilder b;
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(b.Add(SyntheticText(1000 + 500 * i, i)).ok());
  return *b.Finish();
}

XorbFooter FooterOf(const SerializedXorb& x) {
  std::vector<uint32_t> ends;
  for (size_t i = 1; i < x.chunks.size(); ++i) ends.push_back(x.chunks[i].physical_offset);
  ends.push_back(uint32_t(x.bytes.size()));
  return MakeXorbFooter(x.hash, x.HashesAndSizes(), ends);
}

TEST(XorbFooter, LayoutAndRoundTrip) {
  SerializedXorb x = Sample();
  XorbFooter f = FooterOf(x);
  f.nonce = 0x01020304;
  Bytes b;
  f.AppendTo(&b);
  ASSERT_EQ(b.size(), XorbFooter::SerializedSize(4));
  EXPECT_EQ(AsString(ByteSpan(b).first(7)), "XETBLOB");
  EXPECT_EQ(b[7], 1);
  EXPECT_EQ(AsString(ByteSpan(b).subspan(40, 7)), "XBLBHSH");
  EXPECT_EQ(AsString(ByteSpan(b).subspan(52 + 128, 7)), "XBLBBND");
  EXPECT_EQ(LoadLE32(b.data() + b.size() - 4), 92u + 40 * 4);  // info length
  auto p = ParseXorbFooter(b);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->xorb_hash, f.xorb_hash);
  EXPECT_EQ(p->chunk_hashes, f.chunk_hashes);
  EXPECT_EQ(p->physical_ends, f.physical_ends);
  EXPECT_EQ(p->uncompressed_ends, f.uncompressed_ends);
  EXPECT_EQ(p->nonce, 0x01020304u);
}

TEST(XorbFooter, ServesRangesFromTheEndOfAStoredObject) {
  SerializedXorb x = Sample();
  Bytes stored = x.bytes;
  FooterOf(x).AppendTo(&stored);
  auto f = ParseXorbFooterAtEnd(stored);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  auto reader = XorbReader::Parse(x.bytes);
  ASSERT_TRUE(reader.ok());
  for (size_t a = 0; a < 4; ++a) {
    for (size_t b = a + 1; b <= 4; ++b) {
      EXPECT_EQ(*f->PhysicalRange(a, b), *reader->PhysicalRange(a, b));
    }
  }
  EXPECT_EQ(f->PhysicalRange(3, 3).status().code(), StatusCode::kOutOfRange);
  // Without its records in front, the footer does not match the object.
  Bytes alone;
  FooterOf(x).AppendTo(&alone);
  EXPECT_EQ(ParseXorbFooterAtEnd(alone).status().code(), StatusCode::kCorruption);
  EXPECT_EQ(ParseXorbFooterAtEnd(x.bytes).status().code(), StatusCode::kCorruption);
}

TEST(XorbFooter, RejectsEveryTruncationAndInconsistency) {
  SerializedXorb x = Sample();
  Bytes b;
  FooterOf(x).AppendTo(&b);
  for (size_t cut = 0; cut < b.size(); ++cut) {
    EXPECT_EQ(ParseXorbFooter(ByteSpan(b).first(cut)).status().code(), StatusCode::kCorruption)
        << cut;
  }
  auto corrupt = [&](size_t offset, uint8_t value, std::string_view what) {
    Bytes c = b;
    c[offset] = value;
    Status s = ParseXorbFooter(c).status();
    EXPECT_EQ(s.code(), StatusCode::kCorruption) << what;
    EXPECT_NE(s.message().find(what), std::string::npos) << s.ToString();
  };
  corrupt(0, 'Y', "bad ident for footer");
  corrupt(7, 0, "unsupported footer version 0");
  corrupt(47, 1, "unsupported hashes section version");
  corrupt(48, 5, "chunks do not match");
  const size_t bounds = 52 + 128;
  corrupt(bounds + 8, 3, "boundary count 3");
  corrupt(bounds + 12 + 3, 0x7f, "physical end");           // chunk 0 record far too long
  corrupt(bounds + 12 + 16 + 3, 0x7f, "uncompressed end");  // not increasing into chunk 1
  corrupt(b.size() - 4, 0, "info length");
}

}  // namespace
}  // namespace castor
