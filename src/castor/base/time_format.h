// UTC timestamps as text, the one form castor writes everywhere (logs, audit lines, mirror
// messages): RFC 3339 / ISO 8601, "2026-11-29T07:21:48Z" or with milliseconds
// "2026-11-29T07:21:48.123Z".
#pragma once

#include <chrono>
#include <string>

namespace castor {

std::string FormatUtc(std::chrono::system_clock::time_point t, bool millis = false);

}  // namespace castor
