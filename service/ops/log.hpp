#pragma once
// One JSON object per line on stdout. Thread-safe. Callers never pass tokens or patient identifiers.
// Lines are written synchronously until start_writer(); from then on a request thread only formats its line and
// copies it into a bounded ring, and one writer thread writes what has queued in batches (one write(2) each). A
// line that finds the ring full is dropped and counted (dropped_lines(), nmo_log_dropped_total): a slow or
// blocked stdout never blocks a request.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
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
/// Start-up and shutdown lines: written at level info whatever the configured level, and flushed (every line
/// queued before is written first).
void announce(std::string_view event, std::initializer_list<Field> fields = {});

/// From now on lines go through a ring of `capacity` lines (rounded up to a power of two) and a writer thread.
/// Call once, before serving; a second call does nothing.
void start_writer(std::size_t capacity = 8192);
/// Writes every line queued so far and stops the writer thread; later lines are written synchronously again.
/// Called by the service on shutdown, and at exit.
void stop_writer();
/// Returns once every line queued before the call is written (at most 2 s when stdout is blocked).
void flush();
/// Lines dropped because the ring was full, since start.
std::uint64_t dropped_lines();

/// Lets a repeated line through at most once per interval (the first occurrence passes), so that a warning
/// raised by every request costs one line a minute, not one per request. Thread-safe, lock-free.
class Every {
 public:
  explicit Every(std::chrono::steady_clock::duration interval) : interval_(interval) {}
  /// Counts one occurrence at `now`. True when a line is due; `occurrences` is then the number of occurrences it
  /// stands for (this one and those held back since the last line).
  bool due(std::chrono::steady_clock::time_point now, std::int64_t& occurrences);

 private:
  std::chrono::steady_clock::duration interval_;
  std::atomic<std::int64_t> held_{0};
  std::atomic<std::chrono::steady_clock::rep> next_{std::numeric_limits<std::chrono::steady_clock::rep>::min()};
};

}  // namespace nmo::service::ops::log
