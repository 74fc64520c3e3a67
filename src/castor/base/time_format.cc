#include "castor/base/time_format.h"

#include <cstdio>
#include <ctime>

namespace castor {

std::string FormatUtc(std::chrono::system_clock::time_point t, bool millis) {
  using namespace std::chrono;
  const int64_t ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
  // Floor division, so times before 1970 keep a non-negative millisecond part.
  int64_t secs = ms / 1000, frac = ms % 1000;
  if (frac < 0) {
    frac += 1000;
    secs -= 1;
  }
  time_t tt = time_t(secs);
  tm utc{};
  gmtime_r(&tt, &utc);
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", utc.tm_year + 1900,
                        utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
  if (millis)
    std::snprintf(buf + n, sizeof buf - size_t(n), ".%03dZ", int(frac));
  else
    std::snprintf(buf + n, sizeof buf - size_t(n), "Z");
  return buf;
}

}  // namespace castor
