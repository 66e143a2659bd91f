#pragma once
// The shared jti replay table (issue 11 item 5, several replicas): an UNLOGGED PostgreSQL table on the database
// the feedback store uses, so a jti replayed on another replica is refused too. Insert-if-absent, one statement;
// an expired row is taken over; expired rows are deleted now and then. UNLOGGED: a crash of the database empties
// it (accepted: tokens live an hour at most and each replica keeps its own cache too). Thread-safe (one
// connection, serialised). Knows nothing of JWTs: the caller passes an opaque key.

#include <cstdint>
#include <memory>
#include <string>

namespace nmo::service::feedback {

class ReplayTable {
 public:
  virtual ~ReplayTable() = default;
  /// True when `key` was not remembered (or had expired by `now`) and is now remembered until `expires_at`;
  /// false when it is remembered still. Throws FeedbackStoreError when the database cannot answer.
  virtual bool insert_if_absent(const std::string& key, std::int64_t expires_at, std::int64_t now) = 0;
};

/// Connects to `url` (libpq URI or key=value string) and creates the table when missing. Throws
/// FeedbackStoreError (without the password).
std::unique_ptr<ReplayTable> open_postgres_replay_table(const std::string& url);

}  // namespace nmo::service::feedback
