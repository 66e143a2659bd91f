#include "service/ops/metrics.hpp"

#include <array>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>

#include "service/ops/log.hpp"

namespace nmo::service::ops::metrics {
namespace {

// Seconds; chosen for a service that answers in milliseconds and fetches from FHIR servers in up to seconds.
constexpr std::array<double, 14> kBounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                            0.1,    0.25,  0.5,    1.0,   2.5,   5.0,   10.0};
constexpr std::size_t kMaxKey = 200;
constexpr std::size_t kMaxValue = 64;

enum : int { kFree = 0, kClaimed = 1, kReady = 2 };

struct Slot {
  std::atomic<int> state{kFree};
  char key[kMaxKey] = {};
  std::size_t key_len = 0;
  std::atomic<std::uint64_t> count{0};
  std::atomic<std::uint64_t> sum_ns{0};
  std::array<std::atomic<std::uint64_t>, kBounds.size()> buckets{};  // non-cumulative here, cumulative on render
};

std::atomic<std::uint64_t> g_dropped{0};

// A metric family: up to N series, each named by its rendered label set (`service="x",status="200"`).
template <std::size_t N>
class Family {
 public:
  // The series for `key`, claimed if new; nullptr (and counted as dropped) when the family is full. Two threads
  // claiming the same new key at once may each get a slot: render() adds duplicate series together.
  Slot* find(const std::string& key) {
    const std::size_t len = key.size() < kMaxKey ? key.size() : kMaxKey;
    for (Slot& s : slots_) {
      int state = s.state.load(std::memory_order_acquire);
      if (state == kReady) {
        if (s.key_len == len && std::memcmp(s.key, key.data(), len) == 0) return &s;
        continue;
      }
      if (state == kClaimed) continue;
      if (s.state.compare_exchange_strong(state, kClaimed, std::memory_order_acq_rel)) {
        std::memcpy(s.key, key.data(), len);
        s.key_len = len;
        s.state.store(kReady, std::memory_order_release);
        return &s;
      }
      if (state == kReady && s.key_len == len && std::memcmp(s.key, key.data(), len) == 0) return &s;
    }
    g_dropped.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }

  void add(const std::string& key, std::uint64_t n = 1) {
    if (Slot* s = find(key)) s->count.fetch_add(n, std::memory_order_relaxed);
  }

  void observe(const std::string& key, double seconds) {
    Slot* s = find(key);
    if (s == nullptr) return;
    if (!(seconds >= 0)) seconds = 0;  // also NaN
    std::size_t i = 0;
    while (i < kBounds.size() && seconds > kBounds[i]) ++i;
    if (i < kBounds.size()) s->buckets[i].fetch_add(1, std::memory_order_relaxed);
    s->sum_ns.fetch_add(static_cast<std::uint64_t>(std::llround(seconds * 1e9)), std::memory_order_relaxed);
    s->count.fetch_add(1, std::memory_order_relaxed);
  }

  struct Totals {
    std::uint64_t count = 0;
    std::uint64_t sum_ns = 0;
    std::array<std::uint64_t, kBounds.size()> buckets{};
  };

  // Series by label set, duplicates added together, in label order.
  std::map<std::string, Totals> snapshot() const {
    std::map<std::string, Totals> out;
    for (const Slot& s : slots_) {
      if (s.state.load(std::memory_order_acquire) != kReady) continue;
      Totals& t = out[std::string(s.key, s.key_len)];
      t.count += s.count.load(std::memory_order_relaxed);
      t.sum_ns += s.sum_ns.load(std::memory_order_relaxed);
      for (std::size_t i = 0; i < kBounds.size(); ++i) t.buckets[i] += s.buckets[i].load(std::memory_order_relaxed);
    }
    return out;
  }

 private:
  std::array<Slot, N> slots_{};
};

// Label value escaping per the text format: backslash, double quote and line feed.
void append_value(std::string& out, std::string_view value) {
  if (value.size() > kMaxValue) value = value.substr(0, kMaxValue);
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
}

std::string labels(std::initializer_list<std::pair<const char*, std::string_view>> pairs) {
  std::string out;
  for (const auto& [name, value] : pairs) {
    if (!out.empty()) out += ',';
    out += name;
    out += "=\"";
    append_value(out, value.empty() ? std::string_view("unknown") : value);
    out += '"';
  }
  return out;
}

Family<512> g_requests;            // service, status
Family<64> g_request_duration;     // service
Family<8> g_stage_duration;        // stage
Family<32> g_fetches;              // outcome
Family<512> g_cards;               // rule, indicator
Family<256> g_feedback;            // rule, outcome
Family<32> g_auth_failures;        // reason
Family<64> g_quieted;              // rule
Family<8> g_quiet_store_errors;    // op
std::atomic<std::uint64_t> g_quiet_fail_open{0};
std::atomic<std::uint64_t> g_quiet_pseudonym_errors{0};
std::atomic<std::uint64_t> g_feedback_store_errors{0};
std::atomic<int> g_quiet_store_up{0};
Family<32> g_foreign;              // key
std::atomic<std::int64_t> g_replay_entries{0};

const char* stage_name(Stage stage) {
  switch (stage) {
    case Stage::parse: return "parse";
    case Stage::gather: return "gather";
    case Stage::evaluate: return "evaluate";
    case Stage::write: return "write";
  }
  return "parse";
}

std::string format_double(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

template <std::size_t N>
void render_counter(std::string& out, const char* name, const char* help, const Family<N>& family) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" counter\n");
  for (const auto& [key, t] : family.snapshot()) {
    out.append(name).append("{").append(key).append("} ").append(std::to_string(t.count)).append("\n");
  }
}

template <std::size_t N>
void render_histogram(std::string& out, const char* name, const char* help, const Family<N>& family) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" histogram\n");
  for (const auto& [key, t] : family.snapshot()) {
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < kBounds.size(); ++i) {
      cumulative += t.buckets[i];
      out.append(name).append("_bucket{").append(key).append(",le=\"").append(format_double(kBounds[i]));
      out.append("\"} ").append(std::to_string(cumulative)).append("\n");
    }
    // Slots are updated without a lock: a scrape between the bucket and count increments must still be
    // monotonic, so +Inf is never below the last bucket.
    const std::uint64_t total = t.count < cumulative ? cumulative : t.count;
    out.append(name).append("_bucket{").append(key).append(",le=\"+Inf\"} ").append(std::to_string(total));
    out.append("\n");
    out.append(name).append("_sum{").append(key).append("} ");
    out.append(format_double(static_cast<double>(t.sum_ns) / 1e9)).append("\n");
    out.append(name).append("_count{").append(key).append("} ").append(std::to_string(total)).append("\n");
  }
}

}  // namespace

void record_request(std::string_view service, int status, double seconds) {
  g_requests.add(labels({{"service", service}, {"status", std::to_string(status)}}));
  g_request_duration.observe(labels({{"service", service}}), seconds);
}

void record_stage(Stage stage, double seconds) { g_stage_duration.observe(labels({{"stage", stage_name(stage)}}), seconds); }

void record_fetch(std::string_view outcome, double seconds) { g_fetches.observe(labels({{"outcome", outcome}}), seconds); }

void record_card(std::string_view rule, std::string_view indicator) {
  g_cards.add(labels({{"rule", rule}, {"indicator", indicator}}));
}

void record_feedback(std::string_view rule, std::string_view outcome) {
  g_feedback.add(labels({{"rule", rule}, {"outcome", outcome}}));
}

void record_auth_failure(std::string_view reason) { g_auth_failures.add(labels({{"reason", reason}})); }

void record_feedback_store_error() { g_feedback_store_errors.fetch_add(1, std::memory_order_relaxed); }

void record_quieted(std::string_view rule) { g_quieted.add(labels({{"rule", rule}})); }

void record_quiet_fail_open() { g_quiet_fail_open.fetch_add(1, std::memory_order_relaxed); }

void record_quiet_pseudonym_error() { g_quiet_pseudonym_errors.fetch_add(1, std::memory_order_relaxed); }

void record_quiet_store_error(std::string_view op) { g_quiet_store_errors.add(labels({{"op", op}})); }

void set_quiet_store_up(bool up) { g_quiet_store_up.store(up ? 1 : 0, std::memory_order_relaxed); }
void record_foreign_resources(std::string_view key, std::uint64_t count) {
  g_foreign.add(labels({{"key", key}}), count);
}
void set_replay_cache_entries(std::int64_t entries) { g_replay_entries.store(entries, std::memory_order_relaxed); }

std::string render() {
  std::string out;
  out.reserve(16384);
  render_counter(out, "nmo_http_requests_total", "HTTP requests answered, by CDS service (or route) and status.",
                 g_requests);
  render_histogram(out, "nmo_http_request_duration_seconds",
                   "Time from a complete request to its response, by CDS service (or route).", g_request_duration);
  render_histogram(out, "nmo_stage_duration_seconds",
                   "Time spent in each stage of a CDS service call: parse, gather, evaluate, write.",
                   g_stage_duration);
  // The counter of a histogram is its _count: fetches by outcome are nmo_fhir_fetch_duration_seconds_count.
  render_histogram(out, "nmo_fhir_fetch_duration_seconds", "FHIR fetches from the EHR's server, by outcome.",
                   g_fetches);
  render_counter(out, "nmo_cards_total", "Cards returned, by rule and indicator.", g_cards);
  render_counter(out, "nmo_feedback_total", "Feedback entries stored, by rule and outcome.", g_feedback);
  render_counter(out, "nmo_auth_failures_total", "Requests refused by authentication, by reason.",
                 g_auth_failures);
  out += "# HELP nmo_feedback_store_errors_total Feedback requests answered 503 because the store failed.\n";
  out += "# TYPE nmo_feedback_store_errors_total counter\n";
  out += "nmo_feedback_store_errors_total " +
         std::to_string(g_feedback_store_errors.load(std::memory_order_relaxed)) + "\n";
  render_counter(out, "nmo_cards_quieted_total",
                 "Cards not shown because a clinician's override of the same rule and facts is in its quiet period.",
                 g_quieted);
  render_counter(out, "nmo_quiet_store_errors_total", "Failed operations of the quiet store, by operation.",
                 g_quiet_store_errors);
  out += "# HELP nmo_quiet_fail_open_total Hook calls whose cards were all shown because the quiet store was "
         "unavailable.\n";
  out += "# TYPE nmo_quiet_fail_open_total counter\n";
  out += "nmo_quiet_fail_open_total " + std::to_string(g_quiet_fail_open.load(std::memory_order_relaxed)) + "\n";
  out += "# HELP nmo_quiet_pseudonym_errors_total Hook calls neither quieted nor recorded because the patient "
         "pseudonym could not be computed (HMAC failed).\n";
  out += "# TYPE nmo_quiet_pseudonym_errors_total counter\n";
  out += "nmo_quiet_pseudonym_errors_total " +
         std::to_string(g_quiet_pseudonym_errors.load(std::memory_order_relaxed)) + "\n";
  out += "# HELP nmo_quiet_store_up Whether the last reload of overrides from the quiet store worked (1) or not.\n";
  out += "# TYPE nmo_quiet_store_up gauge\n";
  out += "nmo_quiet_store_up " + std::to_string(g_quiet_store_up.load(std::memory_order_relaxed)) + "\n";
  render_counter(out, "nmo_foreign_resources_total",
                 "Resources dropped because they belong to another patient than context.patientId, by prefetch key.",
                 g_foreign);
  out += "# HELP nmo_auth_replay_cache_entries jti values remembered against replay, all issuers.\n";
  out += "# TYPE nmo_auth_replay_cache_entries gauge\n";
  out += "nmo_auth_replay_cache_entries " + std::to_string(g_replay_entries.load(std::memory_order_relaxed)) + "\n";
  out += "# HELP nmo_metrics_dropped_total Observations not recorded because a metric family was full.\n";
  out += "# TYPE nmo_metrics_dropped_total counter\n";
  out += "nmo_metrics_dropped_total " + std::to_string(g_dropped.load(std::memory_order_relaxed)) + "\n";
  out += "# HELP nmo_log_dropped_total Log lines not written because the log queue was full.\n";
  out += "# TYPE nmo_log_dropped_total counter\n";
  out += "nmo_log_dropped_total " + std::to_string(log::dropped_lines()) + "\n";
  return out;
}

}  // namespace nmo::service::ops::metrics
