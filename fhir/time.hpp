#pragma once
// FHIR date, dateTime and instant values (FHIR R4 §2.1.28 Primitive Types; unchanged in substance DSTU2..R5) as
// seconds since the Unix epoch, UTC.

#include <cstdint>
#include <optional>
#include <string_view>

namespace nmo::fhir {

/// Parses "YYYY", "YYYY-MM", "YYYY-MM-DD" or "YYYY-MM-DDThh:mm:ss[.fff...](Z|+hh:mm|-hh:mm)". A partial date is
/// its first instant (midnight UTC of the first day); fractional seconds are dropped; a leap second (:60) counts
/// as :59. FHIR requires a zone when a time is given; a dateTime without one is read as UTC rather than rejected
/// (seen in sandbox data). Returns nullopt when `text` is none of these or names no real day (2023-02-30).
std::optional<std::int64_t> parse_fhir_time(std::string_view text);

}  // namespace nmo::fhir
