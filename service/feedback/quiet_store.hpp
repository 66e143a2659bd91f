#pragma once
// The cards this service issued, next to the feedback that names them (issue 13): feedback carries only a card
// uuid, so each card shown is recorded with who it was for (a keyed pseudonym, never the patient id), its rule,
// fact digest and hook. Overrides are then the join of the two tables, in the same database as the feedback
// (SQLite file, or the PostgreSQL database all replicas share). Written off the request path (QuietBook).

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/service_config.hpp"

namespace nmo::service::feedback {

struct IssuedCard {
  std::string card;     // uuid
  std::string patient;  // keyed pseudonym of fhirServer and patient id (QuietBook::pseudonym)
  std::string rule;     // "NMOSD-03"
  std::string digest;   // cards::Card::fact_digest
  std::string hook;     // patient-view | order-select | order-sign
  std::int64_t issued_at = 0;  // seconds since the epoch, UTC
};

/// Cards of one rule shown and quieted in one week (`week`: the Monday it starts, in days since the epoch), for
/// the feedback report; kept when the issued cards are pruned.
struct WeekTally {
  std::string rule;
  std::int64_t week = 0;
  std::int64_t issued = 0, quieted = 0;
};

/// The week of a time: its Monday, in days since the epoch (1970-01-01 was a Thursday).
std::int64_t week_of(std::int64_t seconds);

/// An overridden feedback entry with a reason code, joined with the card it names.
struct OverrideRow {
  std::string patient, rule, digest, hook;
  std::string reason_system, reason_code, reason_display;
  std::string outcome_timestamp, received_at;  // RFC 3339
};

class QuietStore {
 public:
  virtual ~QuietStore() = default;
  /// Records the cards and adds the tallies, in one transaction; a uuid recorded before is kept as it was.
  /// Throws FeedbackStoreError.
  virtual void record(const std::vector<IssuedCard>& cards, const std::vector<WeekTally>& tallies) = 0;
  /// Every week's tallies, by rule and week. Throws FeedbackStoreError.
  virtual std::vector<WeekTally> tallies() = 0;
  /// Overrides with a reason code of cards issued at or after `issued_since`. Throws FeedbackStoreError.
  virtual std::vector<OverrideRow> overrides(std::int64_t issued_since) = 0;
  /// Forgets cards issued before `unanswered_before` that got no feedback, and every card issued before
  /// `all_before`. Throws FeedbackStoreError.
  virtual void prune(std::int64_t unanswered_before, std::int64_t all_before) = 0;
  virtual std::string describe() const = 0;
};

/// Next to the feedback table of open_sqlite_feedback_store(path), which must have been opened first.
std::unique_ptr<QuietStore> open_sqlite_quiet_store(const std::string& path);
/// Next to the feedback table of open_postgres_feedback_store(url). Connects on first use (and again after a
/// lost connection), so that a database down at start-up only fails the calls, never the start.
std::unique_ptr<QuietStore> open_postgres_quiet_store(const std::string& url);
/// The store beside the configured feedback store (feedback.store).
std::unique_ptr<QuietStore> open_quiet_store(const config::Config& config, const std::string& config_dir);

}  // namespace nmo::service::feedback
