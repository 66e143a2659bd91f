#include "tests/support/postgres_server.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace nmo::test {
namespace {

namespace fs = std::filesystem;

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs a shell command; its combined output, and its exit status in `status`.
std::string run(const std::string& command, int& status) {
  std::string out;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("popen failed");
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  status = ::pclose(pipe);
  return out;
}

std::string run_checked(const std::string& command) {
  int status = 0;
  std::string out = run(command, status);
  if (status != 0) throw std::runtime_error("command failed: " + command + "\n" + out);
  return out;
}

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error("no free port");
  }
  const int port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::optional<std::string> postgres_bin_dir() {
  std::error_code ec;
  std::string best;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const fs::path bin = entry.path() / "bin";
    if (fs::exists(bin / "initdb") && fs::exists(bin / "pg_ctl") && bin.string() > best) best = bin.string();
  }
  if (best.empty()) return std::nullopt;
  return best;
}

bool postgres_required() {
  const char* ci = std::getenv("CI");
  const char* required = std::getenv("NMO_TEST_REQUIRE_POSTGRES");
  return (ci != nullptr && std::string(ci) == "true") || (required != nullptr && std::string(required) == "1");
}

PostgresServer::PostgresServer(const std::string& bin_dir) : bin_(bin_dir) {
  std::string tmpl = (fs::temp_directory_path() / "nmo-pg-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  // PostgreSQL refuses to run as root: as root, the cluster belongs to the system user postgres.
  const bool root = ::geteuid() == 0;
  const std::string as = root ? "runuser -u postgres -- " : "";
  if (root) run_checked("chown postgres " + quote(dir_));
  port_ = free_port();
  run_checked(as + quote(bin_ + "/initdb") + " -D " + quote(dir_ + "/data") +
              " -U nmo --auth=trust -E UTF8 --no-locale --no-sync");
  int status = 0;
  const std::string out =
      run(as + quote(bin_ + "/pg_ctl") + " -D " + quote(dir_ + "/data") + " -l " + quote(dir_ + "/server.log") +
              " -w -t 60 -o " + quote("-h 127.0.0.1 -p " + std::to_string(port_) + " -k " + dir_) + " start",
          status);
  if (status != 0) {
    const std::string log = read_text(dir_ + "/server.log");
    std::error_code ec;
    fs::remove_all(dir_, ec);
    throw std::runtime_error("PostgreSQL did not start:\n" + out + log);
  }
  started_ = true;
}

PostgresServer::~PostgresServer() {
  if (started_) {
    const std::string as = ::geteuid() == 0 ? "runuser -u postgres -- " : "";
    int status = 0;
    run(as + quote(bin_ + "/pg_ctl") + " -D " + quote(dir_ + "/data") + " -m fast -w -t 60 stop", status);
  }
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string PostgresServer::psql(const std::string& database, const std::string& sql) const {
  return run_checked(quote(bin_ + "/psql") + " -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p " +
                     std::to_string(port_) + " -U nmo -d " + quote(database) + " -c " + quote(sql));
}

std::string PostgresServer::create_database(const std::string& name) const {
  psql("postgres", "CREATE DATABASE " + name);
  return "postgresql://nmo@127.0.0.1:" + std::to_string(port_) + "/" + name;
}

PostgresServer* shared_postgres() {
  static std::unique_ptr<PostgresServer> server = []() -> std::unique_ptr<PostgresServer> {
    const auto bin = postgres_bin_dir();
    if (!bin) {
      if (postgres_required()) {
        throw std::runtime_error("CI=true but the PostgreSQL server binaries are missing (/usr/lib/postgresql/*/bin)");
      }
      return nullptr;
    }
    return std::make_unique<PostgresServer>(*bin);
  }();
  return server.get();
}

}  // namespace nmo::test
