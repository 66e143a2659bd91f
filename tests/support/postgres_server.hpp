#pragma once
// A private PostgreSQL cluster for tests: initdb in a temporary directory, postgres on 127.0.0.1 on a free port
// (pg_ctl), trust authentication for the user "nmo", stopped (pg_ctl stop, by its postmaster.pid) and removed by
// the destructor. As root (CI) the server runs as the system user "postgres" (runuser), since PostgreSQL refuses
// to run as root. Server binaries: /usr/lib/postgresql/<version>/bin, from Debian's postgresql package.

#include <optional>
#include <string>

namespace nmo::test {

class PostgresServer {
 public:
  /// Starts the cluster; throws std::runtime_error (with the server log) when it does not start.
  explicit PostgresServer(const std::string& bin_dir);
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  int port() const { return port_; }
  /// A new, empty database; its libpq URI.
  std::string create_database(const std::string& name) const;
  /// Runs SQL with psql against `database`; its output (throws on failure).
  std::string psql(const std::string& database, const std::string& sql) const;

 private:
  std::string bin_;
  std::string dir_;
  int port_ = 0;
  bool started_ = false;
};

/// The server binaries' directory, or nullopt when PostgreSQL is not installed.
std::optional<std::string> postgres_bin_dir();
/// Whether PostgreSQL tests must run (CI=true, or NMO_TEST_REQUIRE_POSTGRES=1 as scripts/test.sh sets): then
/// missing server binaries are a failure, not a skip.
bool postgres_required();
/// One cluster shared by the tests of a process, started on first use; nullptr when the binaries are absent
/// and not required (the caller skips with a message). Stopped at process exit.
PostgresServer* shared_postgres();

}  // namespace nmo::test
