// Times in RFC 3339 form (https://www.rfc-editor.org/rfc/rfc3339#section-5.6): written in UTC for
// log lines and API answers; read from the Docker Engine and from the command line.
#pragma once

#include <string>
#include <string_view>

#include "common/clock.hpp"
#include "common/result.hpp"

namespace maiev {

// "2026-12-01T19:51:20Z": whole seconds, for people.
std::string FormatUtcSeconds(TimePoint t);

// "2026-12-01T19:51:20.123Z": milliseconds, for records that are ordered by time.
std::string FormatUtcMillis(TimePoint t);

// What ParseRfc3339 accepts, for messages.
inline constexpr std::string_view kRfc3339Form = "YYYY-MM-DDTHH:MM:SS[.fff](Z|+HH:MM|-HH:MM)";

// How strictly ParseRfc3339 reads. kStrict: the form maiev writes (the API, the command line,
// the Docker Engine). kLenient also takes what RFC 3339 §5.6 allows besides: a lowercase `t`
// and `z`, and a space for the `T` (token services written in other languages send them).
enum class Rfc3339Reading { kStrict, kLenient };

// "2024-05-01T10:20:30Z", "2024-05-01T12:20:30.5+02:00", "2024-05-01T10:20:30.123456789Z": a
// date that exists, a time of day (second 60, a leap second, is the next minute's first), any
// number of fractional digits (read to the nanosecond) and `Z` or an offset. Error "invalid"
// quoting the text and saying what is accepted, also for a time the clock cannot hold (the
// engine's zero time, 0001-01-01T00:00:00Z, is one).
Result<TimePoint> ParseRfc3339(std::string_view text,
                               Rfc3339Reading reading = Rfc3339Reading::kStrict);

}  // namespace maiev
