#include "castor/format/xorb/bg4.h"

#include <algorithm>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__)
#include <immintrin.h>
#define CASTOR_BG4_AVX2 1
#endif

namespace castor {
namespace {

struct Groups {
  size_t start[4];
  size_t len[4];
};

Groups GroupLayout(size_t n) {
  Groups g;
  size_t pos = 0;
  for (size_t k = 0; k < 4; ++k) {
    g.len[k] = n / 4 + (k < n % 4 ? 1 : 0);
    g.start[k] = pos;
    pos += g.len[k];
  }
  return g;
}

#if defined(__SSE2__)
// The input of a split is usually not in cache yet (a chunk just handed over). Prefetching into
// L2 (prefetcht2) 8 KiB ahead keeps more lines in flight than L1 prefetches or the hardware
// prefetcher alone: about 1.6x faster from memory on the project's VM. The address is clamped
// to the input's last line, so nothing past the input is touched.
constexpr size_t kPrefetchAhead = 8192;
inline void PrefetchAhead(const uint8_t* src, size_t pos, size_t last_line) {
  _mm_prefetch(reinterpret_cast<const char*>(src + std::min(pos + kPrefetchAhead, last_line)),
               _MM_HINT_T2);
}
#endif

}  // namespace

#if defined(CASTOR_BG4_AVX2)
namespace {

// 32 values of each group per step. unpack works within 128-bit lanes, so the four results hold
// values 0-3|16-19, 4-7|20-23, 8-11|24-27, 12-15|28-31 and are put in order by lane permutes.
__attribute__((target("avx2"))) size_t JoinAvx2(const uint8_t* const src[4], size_t quads,
                                                uint8_t* out) {
  size_t i = 0;
  for (; i + 32 <= quads; i += 32) {
    __m256i g0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src[0] + i));
    __m256i g1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src[1] + i));
    __m256i g2 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src[2] + i));
    __m256i g3 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src[3] + i));
    __m256i p01lo = _mm256_unpacklo_epi8(g0, g1), p01hi = _mm256_unpackhi_epi8(g0, g1);
    __m256i p23lo = _mm256_unpacklo_epi8(g2, g3), p23hi = _mm256_unpackhi_epi8(g2, g3);
    __m256i q0 = _mm256_unpacklo_epi16(p01lo, p23lo), q1 = _mm256_unpackhi_epi16(p01lo, p23lo);
    __m256i q2 = _mm256_unpacklo_epi16(p01hi, p23hi), q3 = _mm256_unpackhi_epi16(p01hi, p23hi);
    __m256i* d = reinterpret_cast<__m256i*>(out + 4 * i);
    _mm256_storeu_si256(d, _mm256_permute2x128_si256(q0, q1, 0x20));
    _mm256_storeu_si256(d + 1, _mm256_permute2x128_si256(q2, q3, 0x20));
    _mm256_storeu_si256(d + 2, _mm256_permute2x128_si256(q0, q1, 0x31));
    _mm256_storeu_si256(d + 3, _mm256_permute2x128_si256(q2, q3, 0x31));
  }
  return i;
}

// 32 values of each group per step. Within each 128-bit lane a byte shuffle gathers the four
// bytes of each group into one 32-bit word ([g0 g1 g2 g3] for four values); a 4x4 transpose of
// those words across the four registers (unpack 32, then 64) leaves group k's words of both
// lanes in one register, and a word permute puts them in input order.
__attribute__((target("avx2"))) size_t SplitAvx2(const uint8_t* src, size_t quads,
                                                 uint8_t* const dst[4]) {
  const __m256i gather = _mm256_setr_epi8(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15, 0,
                                          4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  const size_t last_line = 4 * quads - 64;  // the loop runs only when quads >= 32
  size_t i = 0;
  for (; i + 32 <= quads; i += 32) {
    const __m256i* s = reinterpret_cast<const __m256i*>(src + 4 * i);
    PrefetchAhead(src, 4 * i, last_line);
    PrefetchAhead(src, 4 * i + 64, last_line);
    __m256i a = _mm256_shuffle_epi8(_mm256_loadu_si256(s), gather);
    __m256i b = _mm256_shuffle_epi8(_mm256_loadu_si256(s + 1), gather);
    __m256i c = _mm256_shuffle_epi8(_mm256_loadu_si256(s + 2), gather);
    __m256i d = _mm256_shuffle_epi8(_mm256_loadu_si256(s + 3), gather);
    __m256i ab01 = _mm256_unpacklo_epi32(a, b), ab23 = _mm256_unpackhi_epi32(a, b);
    __m256i cd01 = _mm256_unpacklo_epi32(c, d), cd23 = _mm256_unpackhi_epi32(c, d);
    __m256i g0 = _mm256_unpacklo_epi64(ab01, cd01), g1 = _mm256_unpackhi_epi64(ab01, cd01);
    __m256i g2 = _mm256_unpacklo_epi64(ab23, cd23), g3 = _mm256_unpackhi_epi64(ab23, cd23);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst[0] + i),
                        _mm256_permutevar8x32_epi32(g0, order));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst[1] + i),
                        _mm256_permutevar8x32_epi32(g1, order));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst[2] + i),
                        _mm256_permutevar8x32_epi32(g2, order));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst[3] + i),
                        _mm256_permutevar8x32_epi32(g3, order));
  }
  return i;
}

bool HasAvx2() {
  static const bool has = __builtin_cpu_supports("avx2");
  return has;
}

}  // namespace
#endif

void Bg4Split(ByteSpan in, uint8_t* out) { bg4_internal::Split(in, out, true); }
void Bg4Join(ByteSpan grouped, uint8_t* out) { bg4_internal::Join(grouped, out, true); }

namespace bg4_internal {

void Split(ByteSpan in, uint8_t* out, bool allow_avx2) {
  const size_t n = in.size();
  const uint8_t* src = in.data();
  Groups g = GroupLayout(n);
  uint8_t* dst[4] = {out + g.start[0], out + g.start[1], out + g.start[2], out + g.start[3]};
  size_t quads = n / 4;  // complete 4-byte groups: index i < quads exists in every group
  size_t i = 0;
#if defined(CASTOR_BG4_AVX2)
  if (allow_avx2 && HasAvx2()) i = SplitAvx2(src, quads, dst);
#endif
#if defined(__SSE2__)
  // 64 input bytes -> 16 bytes of each group, by two rounds of even/odd byte separation.
  const __m128i lo = _mm_set1_epi16(0x00ff);
  for (; i + 16 <= quads; i += 16) {
    const __m128i* s = reinterpret_cast<const __m128i*>(src + 4 * i);
    PrefetchAhead(src, 4 * i, 4 * quads - 64);  // the loop runs only when quads >= 16
    __m128i a = _mm_loadu_si128(s), b = _mm_loadu_si128(s + 1);
    __m128i c = _mm_loadu_si128(s + 2), d = _mm_loadu_si128(s + 3);
    __m128i even_ab = _mm_packus_epi16(_mm_and_si128(a, lo), _mm_and_si128(b, lo));
    __m128i even_cd = _mm_packus_epi16(_mm_and_si128(c, lo), _mm_and_si128(d, lo));
    __m128i odd_ab = _mm_packus_epi16(_mm_srli_epi16(a, 8), _mm_srli_epi16(b, 8));
    __m128i odd_cd = _mm_packus_epi16(_mm_srli_epi16(c, 8), _mm_srli_epi16(d, 8));
    __m128i g0 = _mm_packus_epi16(_mm_and_si128(even_ab, lo), _mm_and_si128(even_cd, lo));
    __m128i g2 = _mm_packus_epi16(_mm_srli_epi16(even_ab, 8), _mm_srli_epi16(even_cd, 8));
    __m128i g1 = _mm_packus_epi16(_mm_and_si128(odd_ab, lo), _mm_and_si128(odd_cd, lo));
    __m128i g3 = _mm_packus_epi16(_mm_srli_epi16(odd_ab, 8), _mm_srli_epi16(odd_cd, 8));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst[0] + i), g0);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst[1] + i), g1);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst[2] + i), g2);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst[3] + i), g3);
  }
#endif
  for (; i < quads; ++i) {
    for (size_t k = 0; k < 4; ++k) dst[k][i] = src[4 * i + k];
  }
  for (size_t k = 0; k < n % 4; ++k) dst[k][quads] = src[4 * quads + k];
}

void Join(ByteSpan grouped, uint8_t* out, bool allow_avx2) {
  const size_t n = grouped.size();
  Groups g = GroupLayout(n);
  const uint8_t* src[4] = {grouped.data() + g.start[0], grouped.data() + g.start[1],
                           grouped.data() + g.start[2], grouped.data() + g.start[3]};
  size_t quads = n / 4;
  size_t i = 0;
#if defined(CASTOR_BG4_AVX2)
  if (allow_avx2 && HasAvx2()) i = JoinAvx2(src, quads, out);
#endif
#if defined(__SSE2__)
  for (; i + 16 <= quads; i += 16) {
    __m128i g0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src[0] + i));
    __m128i g1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src[1] + i));
    __m128i g2 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src[2] + i));
    __m128i g3 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src[3] + i));
    __m128i p01lo = _mm_unpacklo_epi8(g0, g1), p01hi = _mm_unpackhi_epi8(g0, g1);
    __m128i p23lo = _mm_unpacklo_epi8(g2, g3), p23hi = _mm_unpackhi_epi8(g2, g3);
    __m128i* d = reinterpret_cast<__m128i*>(out + 4 * i);
    _mm_storeu_si128(d, _mm_unpacklo_epi16(p01lo, p23lo));
    _mm_storeu_si128(d + 1, _mm_unpackhi_epi16(p01lo, p23lo));
    _mm_storeu_si128(d + 2, _mm_unpacklo_epi16(p01hi, p23hi));
    _mm_storeu_si128(d + 3, _mm_unpackhi_epi16(p01hi, p23hi));
  }
#endif
  for (; i < quads; ++i) {
    for (size_t k = 0; k < 4; ++k) out[4 * i + k] = src[k][i];
  }
  for (size_t k = 0; k < n % 4; ++k) out[4 * quads + k] = src[k][quads];
}

}  // namespace bg4_internal
}  // namespace castor
