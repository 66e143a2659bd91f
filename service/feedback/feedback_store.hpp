#pragma once
// Durable feedback (CDS Hooks 2.0 §Feedback), behind one interface: SQLite (WAL, synchronous=FULL) embedded by
// default, PostgreSQL when several replicas share one store. A put() returns only once the entries are on disk
// (SQLite: the WAL fsynced at commit; PostgreSQL: the commit acknowledged, synchronous_commit as the server has
// it, on by default), so the 200 that follows survives a kill -9. The card uuid is the key: repeated feedback for
// a card is acknowledged and not stored again (the first entry wins).

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/service_config.hpp"
#include "service/feedback/feedback.hpp"

namespace nmo::service::feedback {

/// One stored entry: the validated feedback, the CDS service it was posted to, and the rule that issued the card
/// (from the card uuid, cards::rule_number_of_card_uuid; empty when the uuid carries none).
struct FeedbackRecord {
  std::string service_id;
  std::string rule;
  FeedbackEntry entry;
  std::string received_at;  // RFC 3339, UTC, when this replica stored it
};

/// The store cannot be reached or refused a write; the message never contains a password.
class FeedbackStoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class FeedbackStore {
 public:
  virtual ~FeedbackStore() = default;
  /// Stores the records in one transaction, durably. Returns, per record, true when it was new and false when
  /// feedback for that card was already stored. Thread-safe. Throws FeedbackStoreError.
  virtual std::vector<bool> put(const std::vector<FeedbackRecord>& records) = 0;
  /// Every stored record, oldest first. Throws FeedbackStoreError.
  virtual std::vector<FeedbackRecord> all() = 0;
  /// "sqlite /path/feedback.db" or "postgres user@host:port/db": for logs, never with a password.
  virtual std::string describe() const = 0;
};

/// SQLite database at `path` (created with its schema when missing).
std::unique_ptr<FeedbackStore> open_sqlite_feedback_store(const std::string& path);
/// PostgreSQL at a libpq connection URI or key=value string; creates its table when missing.
std::unique_ptr<FeedbackStore> open_postgres_feedback_store(const std::string& url);
/// The store the configuration names (feedback.store); a relative sqlite path is relative to `config_dir`.
std::unique_ptr<FeedbackStore> open_feedback_store(const config::Config& config, const std::string& config_dir);

/// `url` with any password replaced by "***" (URI user:password@ and password= forms).
std::string redact_url(const std::string& url);

/// The feedback report as text: per rule, entries, acceptance and override rates, override reasons with counts,
/// and the comments given.
std::string feedback_report(const std::vector<FeedbackRecord>& records);

}  // namespace nmo::service::feedback
