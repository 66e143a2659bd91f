#include "service/feedback/quiet_store.hpp"

#include <libpq-fe.h>
#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <mutex>

#include "service/feedback/feedback_store.hpp"  // FeedbackStoreError, redact_url

namespace nmo::service::feedback {
namespace {

constexpr const char* kConnectTimeoutSeconds = "5";  // of the PostgreSQL quiet store's connection
constexpr const char* kStatementTimeoutMs = "5000";
constexpr int kIssuedColumns = 6;  // card, patient, rule, digest, hook, issued_at
constexpr int kOverrideColumns = 9;

OverrideRow override_of(const std::vector<std::string>& v) {
  return OverrideRow{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8]};
}

// ---------------------------------------------------------------------------------------------------- SQLite

class SqliteQuietStore final : public QuietStore {
 public:
  explicit SqliteQuietStore(std::string path) : path_(std::move(path)) {
    if (sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, nullptr) != SQLITE_OK) {
      const std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      db_ = nullptr;
      throw FeedbackStoreError("cannot open SQLite database " + path_ + ": " + message);
    }
    sqlite3_busy_timeout(db_, 10000);
    exec("CREATE TABLE IF NOT EXISTS issued_cards (card TEXT PRIMARY KEY, patient TEXT NOT NULL, "
         "rule TEXT NOT NULL, digest TEXT NOT NULL, hook TEXT NOT NULL, issued_at INTEGER NOT NULL)");
    exec("CREATE INDEX IF NOT EXISTS issued_cards_issued_at ON issued_cards (issued_at)");
    exec("CREATE TABLE IF NOT EXISTS card_weeks (rule TEXT NOT NULL, week INTEGER NOT NULL, issued INTEGER NOT NULL, "
         "quieted INTEGER NOT NULL, PRIMARY KEY (rule, week))");
  }
  ~SqliteQuietStore() override { sqlite3_close(db_); }
  SqliteQuietStore(const SqliteQuietStore&) = delete;
  SqliteQuietStore& operator=(const SqliteQuietStore&) = delete;

  void record(const std::vector<IssuedCard>& cards, const std::vector<WeekTally>& tallies) override {
    std::lock_guard lock(mutex_);
    exec("BEGIN IMMEDIATE");
    sqlite3_stmt* stmt = nullptr;
    try {
      stmt = prepare("INSERT INTO issued_cards (card, patient, rule, digest, hook, issued_at) VALUES (?,?,?,?,?,?) "
                     "ON CONFLICT(card) DO NOTHING");
      for (const auto& c : cards) {
        sqlite3_reset(stmt);
        int i = 0;
        for (const std::string* s : {&c.card, &c.patient, &c.rule, &c.digest, &c.hook}) {
          sqlite3_bind_text(stmt, ++i, s->data(), static_cast<int>(s->size()), SQLITE_TRANSIENT);
        }
        sqlite3_bind_int64(stmt, ++i, c.issued_at);
        if (sqlite3_step(stmt) != SQLITE_DONE) throw FeedbackStoreError(std::string("SQLite insert failed: ") + sqlite3_errmsg(db_));
      }
      sqlite3_finalize(stmt);
      stmt = prepare("INSERT INTO card_weeks (rule, week, issued, quieted) VALUES (?,?,?,?) ON CONFLICT(rule, week) "
                     "DO UPDATE SET issued = issued + excluded.issued, quieted = quieted + excluded.quieted");
      for (const auto& t : tallies) {
        sqlite3_reset(stmt);
        sqlite3_bind_text(stmt, 1, t.rule.data(), static_cast<int>(t.rule.size()), SQLITE_TRANSIENT);
        sqlite3_bind_int64(stmt, 2, t.week);
        sqlite3_bind_int64(stmt, 3, t.issued);
        sqlite3_bind_int64(stmt, 4, t.quieted);
        if (sqlite3_step(stmt) != SQLITE_DONE) throw FeedbackStoreError(std::string("SQLite insert failed: ") + sqlite3_errmsg(db_));
      }
      sqlite3_finalize(stmt);
      stmt = nullptr;
      exec("COMMIT");
    } catch (...) {
      sqlite3_finalize(stmt);
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  }

  std::vector<OverrideRow> overrides(std::int64_t issued_since) override {
    std::lock_guard lock(mutex_);
    sqlite3_stmt* stmt = prepare(
        "SELECT i.patient, i.rule, i.digest, i.hook, f.override_system, f.override_code, f.override_display, "
        "f.outcome_timestamp, f.received_at FROM issued_cards i JOIN feedback f ON f.card = i.card "
        "WHERE f.outcome = 'overridden' AND f.override_code <> '' AND i.issued_at >= ? ORDER BY f.rowid");
    sqlite3_bind_int64(stmt, 1, issued_since);
    std::vector<OverrideRow> out;
    int rc = 0;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      std::vector<std::string> v;
      for (int i = 0; i < kOverrideColumns; ++i) {
        const unsigned char* text = sqlite3_column_text(stmt, i);
        v.emplace_back(text != nullptr ? reinterpret_cast<const char*>(text) : "",
                       static_cast<std::size_t>(sqlite3_column_bytes(stmt, i)));
      }
      out.push_back(override_of(v));
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) throw FeedbackStoreError(std::string("SQLite read failed: ") + sqlite3_errmsg(db_));
    return out;
  }

  std::vector<WeekTally> tallies() override {
    std::lock_guard lock(mutex_);
    sqlite3_stmt* stmt = prepare("SELECT rule, week, issued, quieted FROM card_weeks ORDER BY rule, week");
    std::vector<WeekTally> out;
    int rc = 0;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      const unsigned char* rule = sqlite3_column_text(stmt, 0);
      out.push_back(WeekTally{rule != nullptr ? reinterpret_cast<const char*>(rule) : "",
                              sqlite3_column_int64(stmt, 1), sqlite3_column_int64(stmt, 2),
                              sqlite3_column_int64(stmt, 3)});
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) throw FeedbackStoreError(std::string("SQLite read failed: ") + sqlite3_errmsg(db_));
    return out;
  }

  void prune(std::int64_t unanswered_before, std::int64_t all_before) override {
    std::lock_guard lock(mutex_);
    sqlite3_stmt* stmt = prepare(
        "DELETE FROM issued_cards WHERE (issued_at < ? AND card NOT IN (SELECT card FROM feedback)) "
        "OR issued_at < ?");
    sqlite3_bind_int64(stmt, 1, unanswered_before);
    sqlite3_bind_int64(stmt, 2, all_before);
    const int rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) throw FeedbackStoreError(std::string("SQLite delete failed: ") + sqlite3_errmsg(db_));
  }

  std::string describe() const override { return "sqlite " + path_; }

 private:
  void exec(const char* sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
      const std::string message = error != nullptr ? error : sqlite3_errmsg(db_);
      sqlite3_free(error);
      throw FeedbackStoreError("SQLite database " + path_ + ": " + message);
    }
  }
  sqlite3_stmt* prepare(const char* sql) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr) != SQLITE_OK) {
      throw FeedbackStoreError("SQLite database " + path_ + ": " + sqlite3_errmsg(db_));
    }
    return stmt;
  }

  std::string path_;
  sqlite3* db_ = nullptr;
  std::mutex mutex_;
};

// ------------------------------------------------------------------------------------------------ PostgreSQL

class PostgresQuietStore final : public QuietStore {
 public:
  explicit PostgresQuietStore(std::string url) : url_(std::move(url)) {}
  ~PostgresQuietStore() override {
    if (conn_ != nullptr) PQfinish(conn_);
  }
  PostgresQuietStore(const PostgresQuietStore&) = delete;
  PostgresQuietStore& operator=(const PostgresQuietStore&) = delete;

  void record(const std::vector<IssuedCard>& cards, const std::vector<WeekTally>& tallies) override {
    std::lock_guard lock(mutex_);
    ensure_connected();
    constexpr std::size_t kRowsPerStatement = 100;
    run("BEGIN", {});
    try {
      for (std::size_t start = 0; start < cards.size(); start += kRowsPerStatement) {
        const std::size_t end = std::min(cards.size(), start + kRowsPerStatement);
        std::string sql = "INSERT INTO nmo_issued_cards (card, patient, rule, digest, hook, issued_at) VALUES ";
        std::vector<std::string> values;
        for (std::size_t r = start; r < end; ++r) {
          const IssuedCard& c = cards[r];
          const std::size_t base = values.size();
          sql += (r == start ? "(" : ",(");
          for (int i = 1; i <= kIssuedColumns; ++i) {
            sql += "$" + std::to_string(base + static_cast<std::size_t>(i)) + (i < kIssuedColumns ? "," : ")");
          }
          values.insert(values.end(), {c.card, c.patient, c.rule, c.digest, c.hook, std::to_string(c.issued_at)});
        }
        run(sql + " ON CONFLICT (card) DO NOTHING", values);
      }
      for (const auto& t : tallies) {
        run("INSERT INTO nmo_card_weeks (rule, week, issued, quieted) VALUES ($1,$2,$3,$4) ON CONFLICT (rule, week) "
            "DO UPDATE SET issued = nmo_card_weeks.issued + excluded.issued, "
            "quieted = nmo_card_weeks.quieted + excluded.quieted",
            {t.rule, std::to_string(t.week), std::to_string(t.issued), std::to_string(t.quieted)});
      }
      run("COMMIT", {});
    } catch (...) {
      if (conn_ != nullptr) PQclear(PQexec(conn_, "ROLLBACK"));
      throw;
    }
  }

  std::vector<OverrideRow> overrides(std::int64_t issued_since) override {
    std::lock_guard lock(mutex_);
    ensure_connected();
    PGresult* res = run(
        "SELECT i.patient, i.rule, i.digest, i.hook, f.override_system, f.override_code, f.override_display, "
        "f.outcome_timestamp, f.received_at FROM nmo_issued_cards i JOIN nmo_feedback f ON f.card = i.card "
        "WHERE f.outcome = 'overridden' AND f.override_code <> '' AND i.issued_at >= $1 ORDER BY f.seq",
        {std::to_string(issued_since)}, true);
    std::vector<OverrideRow> out;
    for (int row = 0; row < PQntuples(res); ++row) {
      std::vector<std::string> v;
      for (int i = 0; i < kOverrideColumns; ++i) {
        v.emplace_back(PQgetvalue(res, row, i), static_cast<std::size_t>(PQgetlength(res, row, i)));
      }
      out.push_back(override_of(v));
    }
    PQclear(res);
    return out;
  }

  std::vector<WeekTally> tallies() override {
    std::lock_guard lock(mutex_);
    ensure_connected();
    PGresult* res = run("SELECT rule, week, issued, quieted FROM nmo_card_weeks ORDER BY rule, week", {}, true);
    std::vector<WeekTally> out;
    for (int row = 0; row < PQntuples(res); ++row) {
      out.push_back(WeekTally{PQgetvalue(res, row, 0), std::stoll(PQgetvalue(res, row, 1)),
                              std::stoll(PQgetvalue(res, row, 2)), std::stoll(PQgetvalue(res, row, 3))});
    }
    PQclear(res);
    return out;
  }

  void prune(std::int64_t unanswered_before, std::int64_t all_before) override {
    std::lock_guard lock(mutex_);
    ensure_connected();
    run("DELETE FROM nmo_issued_cards i WHERE (i.issued_at < $1 AND NOT EXISTS "
        "(SELECT 1 FROM nmo_feedback f WHERE f.card = i.card)) OR i.issued_at < $2",
        {std::to_string(unanswered_before), std::to_string(all_before)});
  }

  std::string describe() const override { return "postgres " + redact_url(url_); }

 private:
  void ensure_connected() {
    if (conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK) return;
    if (conn_ != nullptr) PQfinish(conn_);
    // A database that accepts the connection and never answers must not hold the book's thread (and with it
    // every issued card and override) for ever: connect_timeout unless the URL sets one (dbname, expanded last,
    // overrides the keywords before it), and statement_timeout on every statement.
    const char* keywords[] = {"connect_timeout", "dbname", nullptr};
    const char* values[] = {kConnectTimeoutSeconds, url_.c_str(), nullptr};
    conn_ = PQconnectdbParams(keywords, values, 1);
    if (PQstatus(conn_) != CONNECTION_OK) {
      std::string message = PQerrorMessage(conn_);  // names host and port, never the password
      while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
      PQfinish(conn_);
      conn_ = nullptr;
      throw FeedbackStoreError("cannot connect to PostgreSQL " + redact_url(url_) + ": " + message);
    }
    PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
    run(std::string("SET statement_timeout = ") + kStatementTimeoutMs, {});
    // Replicas may start together: the feedback store's advisory lock serialises the CREATE ... IF NOT EXISTS.
    run("BEGIN", {});
    run("SELECT pg_advisory_xact_lock(7262006)", {});
    run("CREATE TABLE IF NOT EXISTS nmo_issued_cards (card TEXT PRIMARY KEY, patient TEXT NOT NULL, "
        "rule TEXT NOT NULL, digest TEXT NOT NULL, hook TEXT NOT NULL, issued_at BIGINT NOT NULL)",
        {});
    run("CREATE INDEX IF NOT EXISTS nmo_issued_cards_issued_at ON nmo_issued_cards (issued_at)", {});
    run("CREATE TABLE IF NOT EXISTS nmo_card_weeks (rule TEXT NOT NULL, week BIGINT NOT NULL, issued BIGINT NOT NULL, "
        "quieted BIGINT NOT NULL, PRIMARY KEY (rule, week))",
        {});
    run("COMMIT", {});
  }

  // Runs `sql` with text parameters; returns the result when `keep` (the caller clears it), else nullptr.
  PGresult* run(const std::string& sql, const std::vector<std::string>& values, bool keep = false) {
    std::vector<const char*> params;
    std::vector<int> lengths;
    for (const auto& v : values) {
      params.push_back(v.c_str());
      lengths.push_back(static_cast<int>(v.size()));
    }
    PGresult* res = PQexecParams(conn_, sql.c_str(), static_cast<int>(params.size()), nullptr, params.data(),
                                 lengths.data(), nullptr, 0);
    const ExecStatusType status = PQresultStatus(res);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      const std::string message = PQresultErrorMessage(res);
      PQclear(res);
      if (PQstatus(conn_) != CONNECTION_OK) {  // a lost connection is opened again on the next call
        PQfinish(conn_);
        conn_ = nullptr;
      }
      throw FeedbackStoreError("PostgreSQL: " + message);
    }
    if (keep) return res;
    PQclear(res);
    return nullptr;
  }

  std::string url_;
  PGconn* conn_ = nullptr;
  std::mutex mutex_;
};

}  // namespace

std::int64_t week_of(std::int64_t seconds) {
  const std::int64_t day = seconds >= 0 ? seconds / 86400 : -((-seconds + 86399) / 86400);
  const std::int64_t since_monday = ((day + 3) % 7 + 7) % 7;  // day 0 (Thursday) is 3 days after a Monday
  return day - since_monday;
}

std::unique_ptr<QuietStore> open_sqlite_quiet_store(const std::string& path) {
  return std::make_unique<SqliteQuietStore>(path);
}

std::unique_ptr<QuietStore> open_postgres_quiet_store(const std::string& url) {
  return std::make_unique<PostgresQuietStore>(url);
}

std::unique_ptr<QuietStore> open_quiet_store(const config::Config& config, const std::string& config_dir) {
  if (config.feedback_store == "postgres") return open_postgres_quiet_store(config.feedback_postgres_url);
  std::filesystem::path path = config.feedback_sqlite_path;
  if (path.is_relative()) path = std::filesystem::path(config_dir) / path;
  return open_sqlite_quiet_store(path.string());
}

}  // namespace nmo::service::feedback
