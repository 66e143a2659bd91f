#pragma once
// One JSON object per line on stdout. Thread-safe. Callers never pass tokens or patient identifiers.

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace nmo::service::ops::log {

enum class Level { debug, info, warn, error };

struct Field {
  std::string_view key;
  std::variant<std::string_view, std::int64_t, double, bool> value;
};

void set_level(Level level);
Level parse_level(std::string_view name);  // unknown → info
bool enabled(Level level);
/// {"time":"...","level":"...","event":"...", fields...}
void write(Level level, std::string_view event, std::initializer_list<Field> fields = {});
/// The same, for a line whose fields are chosen at run time.
void write(Level level, std::string_view event, const std::vector<Field>& fields);
/// Sets the salt of pseudonym(); empty: 32 random bytes, drawn once per process. Call before serving.
void set_pseudonym_salt(std::string_view salt);
/// A patient identifier as it may appear in a log line: "p-" + 16 hex digits of HMAC-SHA-256(salt, id), so
/// lines about one patient correlate without naming them. Empty for an empty id.
std::string pseudonym(std::string_view id);
/// Start-up and shutdown lines: written at level info whatever the configured level.
void announce(std::string_view event, std::initializer_list<Field> fields = {});

}  // namespace nmo::service::ops::log
