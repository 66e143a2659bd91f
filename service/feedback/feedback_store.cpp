#include "service/feedback/feedback_store.hpp"

#include <libpq-fe.h>
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <map>
#include <mutex>
#include <sstream>

namespace nmo::service::feedback {
namespace {

// Suggestion ids in one column: separated by ',', with ',' and '\\' inside an id escaped by '\\' (issue 11 item
// 9: ids with commas round-trip). Rows written before the escape had no '\\' and read back the same.
std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (&item != &items.front()) out += ',';
    for (const char c : item) {
      if (c == ',' || c == '\\') out += '\\';
      out += c;
    }
  }
  return out;
}

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out;
  std::string item;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      item += text[++i];
    } else if (text[i] == ',') {
      out.push_back(std::move(item));
      item.clear();
    } else {
      item += text[i];
    }
  }
  if (!text.empty()) out.push_back(std::move(item));
  return out;
}

std::string utc_now() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t secs = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// The columns, in the order both stores bind and read them.
constexpr const char* kColumns =
    "card, service_id, rule, outcome, accepted_suggestions, override_system, override_code, override_display, "
    "user_comment, outcome_timestamp, received_at";
constexpr int kColumnCount = 11;

std::vector<std::string> values_of(const FeedbackRecord& r) {
  const FeedbackEntry& e = r.entry;
  return {e.card,          r.service_id,        r.rule,         e.outcome,
          join(e.accepted_suggestions), e.override_system, e.override_code, e.override_display,
          e.user_comment,  e.outcome_timestamp, r.received_at.empty() ? utc_now() : r.received_at};
}

FeedbackRecord record_of(const std::vector<std::string>& v) {
  FeedbackRecord r;
  r.entry.card = v[0];
  r.service_id = v[1];
  r.rule = v[2];
  r.entry.outcome = v[3];
  r.entry.accepted_suggestions = split(v[4]);
  r.entry.override_system = v[5];
  r.entry.override_code = v[6];
  r.entry.override_display = v[7];
  r.entry.user_comment = v[8];
  r.entry.outcome_timestamp = v[9];
  r.received_at = v[10];
  return r;
}

// ---------------------------------------------------------------------------------------------------- SQLite

class SqliteStore final : public FeedbackStore {
 public:
  explicit SqliteStore(std::string path) : path_(std::move(path)) {
    if (sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        nullptr) != SQLITE_OK) {
      const std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      db_ = nullptr;
      throw FeedbackStoreError("cannot open SQLite database " + path_ + ": " + message);
    }
    sqlite3_busy_timeout(db_, 10000);
    // WAL: readers (the report) never block the writer; synchronous=FULL: the WAL is fsynced at every commit,
    // so a committed transaction survives a crash of the process and of the machine (sqlite.org/pragma.html).
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=FULL");
    exec(std::string("CREATE TABLE IF NOT EXISTS feedback (card TEXT PRIMARY KEY, service_id TEXT NOT NULL, "
                     "rule TEXT NOT NULL, outcome TEXT NOT NULL, accepted_suggestions TEXT NOT NULL, "
                     "override_system TEXT NOT NULL, override_code TEXT NOT NULL, override_display TEXT NOT NULL, "
                     "user_comment TEXT NOT NULL, outcome_timestamp TEXT NOT NULL, received_at TEXT NOT NULL)"));
    std::string mode = query_one("PRAGMA journal_mode");
    if (mode != "wal") throw FeedbackStoreError("SQLite database " + path_ + ": cannot use WAL (mode " + mode + ")");
  }
  ~SqliteStore() override { sqlite3_close(db_); }
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  std::vector<bool> put(const std::vector<FeedbackRecord>& records) override {
    std::lock_guard lock(mutex_);
    std::vector<bool> fresh;
    exec("BEGIN IMMEDIATE");
    try {
      sqlite3_stmt* stmt = prepare(std::string("INSERT INTO feedback (") + kColumns +
                                   ") VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(card) DO NOTHING");
      for (const auto& r : records) {
        const auto values = values_of(r);
        sqlite3_reset(stmt);
        for (int i = 0; i < kColumnCount; ++i) {
          const std::string& value = values[static_cast<std::size_t>(i)];
          sqlite3_bind_text(stmt, i + 1, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
        }
        if (sqlite3_step(stmt) != SQLITE_DONE) {
          const std::string message = sqlite3_errmsg(db_);
          sqlite3_finalize(stmt);
          throw FeedbackStoreError("SQLite insert failed: " + message);
        }
        fresh.push_back(sqlite3_changes(db_) > 0);
      }
      sqlite3_finalize(stmt);
      exec("COMMIT");
    } catch (...) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
    return fresh;
  }

  std::vector<FeedbackRecord> all() override {
    std::lock_guard lock(mutex_);
    sqlite3_stmt* stmt = prepare(std::string("SELECT ") + kColumns + " FROM feedback ORDER BY rowid");
    std::vector<FeedbackRecord> out;
    int rc = 0;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      std::vector<std::string> v;
      for (int i = 0; i < kColumnCount; ++i) {
        const unsigned char* text = sqlite3_column_text(stmt, i);
        const auto size = static_cast<std::size_t>(sqlite3_column_bytes(stmt, i));
        v.emplace_back(text != nullptr ? std::string(reinterpret_cast<const char*>(text), size) : std::string());
      }
      out.push_back(record_of(v));
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) throw FeedbackStoreError(std::string("SQLite read failed: ") + sqlite3_errmsg(db_));
    return out;
  }

  std::string describe() const override { return "sqlite " + path_; }

 private:
  void exec(const std::string& sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      const std::string message = error != nullptr ? error : sqlite3_errmsg(db_);
      sqlite3_free(error);
      throw FeedbackStoreError("SQLite database " + path_ + ": " + message);
    }
  }
  sqlite3_stmt* prepare(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      throw FeedbackStoreError("SQLite database " + path_ + ": " + sqlite3_errmsg(db_));
    }
    return stmt;
  }
  std::string query_one(const std::string& sql) {
    sqlite3_stmt* stmt = prepare(sql);
    std::string out;
    if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0) != nullptr) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
    return out;
  }

  std::string path_;
  sqlite3* db_ = nullptr;
  std::mutex mutex_;
};

// ------------------------------------------------------------------------------------------------ PostgreSQL

class PostgresStore final : public FeedbackStore {
 public:
  explicit PostgresStore(std::string url) : url_(std::move(url)) {
    std::lock_guard lock(mutex_);
    connect();
  }
  ~PostgresStore() override {
    if (conn_ != nullptr) PQfinish(conn_);
  }
  PostgresStore(const PostgresStore&) = delete;
  PostgresStore& operator=(const PostgresStore&) = delete;

  std::vector<bool> put(const std::vector<FeedbackRecord>& records) override {
    std::lock_guard lock(mutex_);
    ensure_connected();
    std::vector<bool> fresh;
    command("BEGIN");
    try {
      const std::string sql = std::string("INSERT INTO nmo_feedback (") + kColumns +
                              ") VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) ON CONFLICT (card) DO NOTHING";
      for (const auto& r : records) {
        const auto values = values_of(r);
        const char* params[kColumnCount];
        for (int i = 0; i < kColumnCount; ++i) params[i] = values[static_cast<std::size_t>(i)].c_str();
        PGresult* res = PQexecParams(conn_, sql.c_str(), kColumnCount, nullptr, params, nullptr, nullptr, 0);
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
          const std::string message = PQresultErrorMessage(res);
          PQclear(res);
          throw FeedbackStoreError("PostgreSQL insert failed: " + message);
        }
        fresh.push_back(std::string(PQcmdTuples(res)) == "1");
        PQclear(res);
      }
      command("COMMIT");
    } catch (...) {
      PQclear(PQexec(conn_, "ROLLBACK"));
      throw;
    }
    return fresh;
  }

  std::vector<FeedbackRecord> all() override {
    std::lock_guard lock(mutex_);
    ensure_connected();
    const std::string sql = std::string("SELECT ") + kColumns + " FROM nmo_feedback ORDER BY seq";
    PGresult* res = PQexec(conn_, sql.c_str());
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
      const std::string message = PQresultErrorMessage(res);
      PQclear(res);
      throw FeedbackStoreError("PostgreSQL read failed: " + message);
    }
    std::vector<FeedbackRecord> out;
    for (int row = 0; row < PQntuples(res); ++row) {
      std::vector<std::string> v;
      for (int i = 0; i < kColumnCount; ++i) v.emplace_back(PQgetvalue(res, row, i));
      out.push_back(record_of(v));
    }
    PQclear(res);
    return out;
  }

  std::string describe() const override { return "postgres " + where_; }

 private:
  void connect() {
    if (conn_ != nullptr) PQfinish(conn_);
    conn_ = PQconnectdb(url_.c_str());
    if (PQstatus(conn_) != CONNECTION_OK) {
      // libpq's message names host and port, never the password.
      std::string message = PQerrorMessage(conn_);
      while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
      PQfinish(conn_);
      conn_ = nullptr;
      throw FeedbackStoreError("cannot connect to PostgreSQL " + redact_url(url_) + ": " + message);
    }
    PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);  // no NOTICE lines on stderr
    where_ = std::string(PQuser(conn_)) + "@" + PQhost(conn_) + ":" + PQport(conn_) + "/" + PQdb(conn_);
    // Replicas may start together: the advisory lock serialises the CREATE TABLE IF NOT EXISTS.
    command("BEGIN");
    command("SELECT pg_advisory_xact_lock(7262006)");
    command(std::string("CREATE TABLE IF NOT EXISTS nmo_feedback (seq BIGSERIAL, card TEXT PRIMARY KEY, "
                        "service_id TEXT NOT NULL, rule TEXT NOT NULL, outcome TEXT NOT NULL, "
                        "accepted_suggestions TEXT NOT NULL, override_system TEXT NOT NULL, "
                        "override_code TEXT NOT NULL, override_display TEXT NOT NULL, user_comment TEXT NOT NULL, "
                        "outcome_timestamp TEXT NOT NULL, received_at TEXT NOT NULL)"));
    command("COMMIT");
  }
  void ensure_connected() {
    if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) connect();
  }
  void command(const std::string& sql) {
    PGresult* res = PQexec(conn_, sql.c_str());
    const ExecStatusType status = PQresultStatus(res);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      const std::string message = PQresultErrorMessage(res);
      PQclear(res);
      if (PQstatus(conn_) != CONNECTION_OK) {  // a lost connection is re-opened on the next call
        PQfinish(conn_);
        conn_ = nullptr;
      }
      throw FeedbackStoreError("PostgreSQL: " + message);
    }
    PQclear(res);
  }

  std::string url_;
  std::string where_;
  PGconn* conn_ = nullptr;
  std::mutex mutex_;
};

std::string percent(std::size_t part, std::size_t whole) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.1f%%", whole == 0 ? 0.0 : 100.0 * static_cast<double>(part) / static_cast<double>(whole));
  return buf;
}

}  // namespace

std::unique_ptr<FeedbackStore> open_sqlite_feedback_store(const std::string& path) {
  return std::make_unique<SqliteStore>(path);
}

std::unique_ptr<FeedbackStore> open_postgres_feedback_store(const std::string& url) {
  return std::make_unique<PostgresStore>(url);
}

std::unique_ptr<FeedbackStore> open_feedback_store(const config::Config& config, const std::string& config_dir) {
  if (config.feedback_store == "postgres") {
    if (config.feedback_postgres_url.empty()) {
      throw FeedbackStoreError("feedback.store is postgres but feedback.postgres_url is empty");
    }
    return open_postgres_feedback_store(config.feedback_postgres_url);
  }
  std::filesystem::path path = config.feedback_sqlite_path;
  if (path.is_relative()) path = std::filesystem::path(config_dir) / path;
  return open_sqlite_feedback_store(path.string());
}

std::string redact_url(const std::string& url) {
  std::string out = url;
  // postgresql://user:password@host/db
  const auto scheme = out.find("://");
  if (scheme != std::string::npos) {
    const auto at = out.find('@', scheme + 3);
    const auto colon = out.find(':', scheme + 3);
    if (at != std::string::npos && colon != std::string::npos && colon < at) {
      out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  // key=value form and URI query parameter: password=secret
  for (std::size_t pos = 0; (pos = out.find("password=", pos)) != std::string::npos;) {
    const std::size_t start = pos + 9;
    std::size_t end = start;
    if (end < out.size() && out[end] == '\'') {
      end = out.find('\'', end + 1);
      end = end == std::string::npos ? out.size() : end + 1;
    } else {
      while (end < out.size() && out[end] != ' ' && out[end] != '&') ++end;
    }
    out.replace(start, end - start, "***");
    pos = start + 3;
  }
  return out;
}

std::string feedback_report(const std::vector<FeedbackRecord>& records) {
  struct PerRule {
    std::size_t accepted = 0, overridden = 0, comments = 0;
    std::map<std::string, std::size_t> reasons;  // "code (display)" → count
  };
  std::map<std::string, PerRule> rules;
  for (const auto& r : records) {
    PerRule& p = rules[r.rule.empty() ? "unknown" : r.rule];
    if (r.entry.outcome == "accepted") {
      ++p.accepted;
    } else {
      ++p.overridden;
      std::string reason = r.entry.override_code.empty() ? "(no reason given)" : r.entry.override_code;
      if (!r.entry.override_display.empty()) reason += " (" + r.entry.override_display + ")";
      ++p.reasons[reason];
    }
    if (!r.entry.user_comment.empty()) ++p.comments;
  }
  std::ostringstream out;
  out << "Feedback report: " << records.size() << " entries\n\n";
  out << "rule        entries  accepted  overridden  acceptance  override\n";
  for (const auto& [rule, p] : rules) {
    const std::size_t n = p.accepted + p.overridden;
    char line[160];
    std::snprintf(line, sizeof line, "%-10s  %7zu  %8zu  %10zu  %10s  %8s\n", rule.c_str(), n, p.accepted,
                  p.overridden, percent(p.accepted, n).c_str(), percent(p.overridden, n).c_str());
    out << line;
  }
  for (const auto& [rule, p] : rules) {
    if (p.overridden == 0) continue;
    out << "\n" << rule << ": override reasons\n";
    for (const auto& [reason, count] : p.reasons) out << "  " << count << "  " << reason << "\n";
    if (p.comments > 0) out << "  (" << p.comments << " entries carry a free-text comment; see the store)\n";
  }
  return out.str();
}

}  // namespace nmo::service::feedback
