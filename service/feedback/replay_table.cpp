#include "service/feedback/replay_table.hpp"

#include <libpq-fe.h>

#include <mutex>

#include "service/feedback/feedback_store.hpp"

namespace nmo::service::feedback {
namespace {

class PostgresReplayTable final : public ReplayTable {
 public:
  explicit PostgresReplayTable(std::string url) : url_(std::move(url)) {
    std::lock_guard lock(mutex_);
    connect();
  }
  ~PostgresReplayTable() override {
    if (conn_ != nullptr) PQfinish(conn_);
  }
  PostgresReplayTable(const PostgresReplayTable&) = delete;
  PostgresReplayTable& operator=(const PostgresReplayTable&) = delete;

  bool insert_if_absent(const std::string& key, std::int64_t expires_at, std::int64_t now) override {
    std::lock_guard lock(mutex_);
    if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) connect();
    if (++inserts_ % kPurgeEvery == 0) {
      const std::string at = std::to_string(now);
      const char* params[] = {at.c_str()};
      PQclear(PQexecParams(conn_, "DELETE FROM nmo_auth_replay WHERE expires_at < $1::bigint", 1, nullptr, params,
                           nullptr, nullptr, 0));
    }
    const std::string expires = std::to_string(expires_at);
    const std::string at = std::to_string(now);
    const char* params[] = {key.c_str(), expires.c_str(), at.c_str()};
    // A row comes back when the key was inserted, or taken over because it had expired; none when it is live.
    PGresult* res = PQexecParams(conn_,
                                 "INSERT INTO nmo_auth_replay (key, expires_at) VALUES ($1, $2::bigint) "
                                 "ON CONFLICT (key) DO UPDATE SET expires_at = EXCLUDED.expires_at "
                                 "WHERE nmo_auth_replay.expires_at < $3::bigint RETURNING 1",
                                 3, nullptr, params, nullptr, nullptr, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
      const std::string message = PQresultErrorMessage(res);
      PQclear(res);
      PQfinish(conn_);
      conn_ = nullptr;  // reconnect on the next call
      throw FeedbackStoreError("PostgreSQL replay table: " + message);
    }
    const bool fresh = PQntuples(res) == 1;
    PQclear(res);
    return fresh;
  }

 private:
  static constexpr std::uint64_t kPurgeEvery = 1024;

  void connect() {
    if (conn_ != nullptr) PQfinish(conn_);
    conn_ = PQconnectdb(url_.c_str());
    if (PQstatus(conn_) != CONNECTION_OK) {
      std::string message = PQerrorMessage(conn_);
      while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
      PQfinish(conn_);
      conn_ = nullptr;
      throw FeedbackStoreError("cannot connect to PostgreSQL " + redact_url(url_) + ": " + message);
    }
    PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
    PGresult* res = PQexec(conn_,
                           "SELECT pg_advisory_lock(7262011); "
                           "CREATE UNLOGGED TABLE IF NOT EXISTS nmo_auth_replay (key text PRIMARY KEY, "
                           "expires_at bigint NOT NULL); "
                           "SELECT pg_advisory_unlock(7262011)");
    const bool ok = PQresultStatus(res) == PGRES_TUPLES_OK || PQresultStatus(res) == PGRES_COMMAND_OK;
    const std::string message = ok ? "" : PQresultErrorMessage(res);
    PQclear(res);
    if (!ok) throw FeedbackStoreError("PostgreSQL replay table cannot be created: " + message);
  }

  std::string url_;
  std::mutex mutex_;
  PGconn* conn_ = nullptr;
  std::uint64_t inserts_ = 0;
};

}  // namespace

std::unique_ptr<ReplayTable> open_postgres_replay_table(const std::string& url) {
  return std::make_unique<PostgresReplayTable>(url);
}

}  // namespace nmo::service::feedback
