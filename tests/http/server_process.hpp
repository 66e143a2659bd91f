#pragma once
// The real nmo-cds binary as a child process for the HTTP tests: writes its own config to a temporary
// directory, starts `nmo-cds serve --config F` on 127.0.0.1 with an ephemeral port, learns the port from the
// "listening" log line, and stops it by pid. Never leaves a process behind (SIGKILL when it will not stop).

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace nmo::test {

/// The service configuration the test writes (service.json). Unset optionals are left to the server's defaults.
struct ServerConfig {
  std::size_t max_body_bytes = 65536;
  std::optional<std::size_t> max_header_bytes;
  std::optional<int> header_timeout_ms;
  std::optional<int> body_timeout_ms;
  std::optional<int> idle_timeout_ms;
  std::optional<int> max_connections;
  std::optional<int> max_connections_per_address;
  std::optional<int> max_buffered_body_bytes;
  std::optional<int> max_pipelined;
  std::optional<int> max_requests_per_connection;
  std::optional<int> json_max_depth;
  std::optional<int> threads;
  int shutdown_grace_ms = 5000;
  std::vector<std::string> allowed_origins{"*"};
  // Development mode accepts the unsigned loopback calls most tests make; the auth tests set "required".
  std::string auth_mode = "development";
  std::string issuers_file;  // auth.issuers_file; "" trusts no issuer
  std::string public_base_url = "http://127.0.0.1:0";
  std::vector<std::string> algorithms;  // auth.algorithms; empty: the server's default
  std::string log_level;                // "" : the server's default
  std::string tls_certificate_file;     // set: HTTPS
  std::string tls_private_key_file;
  std::string tls_client_ca_file;
  /// When set, the server is started with this configuration file instead of one written from the fields.
  std::string config_file;

  std::string to_json() const;
};

/// The nmo-cds binary under test: `--server PATH` after `--` on the test's command line, else the path CMake
/// compiled in (NMO_CDS_BINARY).
std::string server_binary();
/// The repository root (NMO_SOURCE_DIR).
std::string source_dir();

/// A private temporary directory, removed with its files on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  /// Writes `content` to path()/name and returns the full path.
  std::string write(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

/// Whether a wait status is a normal exit with status 0, for messages.
std::string describe_wait_status(int status);

class ServerProcess {
 public:
  /// Starts the server and waits (10 s) for its "listening" line. Throws std::runtime_error with the server's
  /// output when it does not start; nothing is left running then. `env` ("NMO_X=v") is added to the inherited
  /// environment, from which every NMO_* variable is removed first.
  explicit ServerProcess(const ServerConfig& config = {}, const std::vector<std::string>& env = {});
  /// Stops the server if still running (SIGTERM, then SIGKILL after 15 s) and checks that it exited with 0.
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  std::uint16_t port() const { return port_; }
  /// The admin listener's port (/healthz, /readyz, /metrics).
  std::uint16_t admin_port() const { return admin_port_; }
  pid_t pid() const { return pid_; }
  const ServerConfig& config() const { return config_; }

  void send_signal(int signal_number) const;
  /// Waits for the process to exit and reaps it, and for its output to be read to the end: its wait status, or
  /// nullopt when `timeout` passes first.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  /// Everything the server has written to stdout and stderr so far.
  std::string output() const;
  /// Waits until the output contains `text` (its log lines reach the test through a pipe, a little after the
  /// response they describe); true when it does within `timeout`.
  bool wait_for_output(std::string_view text, std::chrono::milliseconds timeout = std::chrono::seconds(5)) const;

 private:
  void kill_and_reap();

  ServerConfig config_;
  TempDir dir_;
  pid_t pid_ = -1;
  std::optional<int> exit_status_;
  std::uint16_t port_ = 0;
  std::uint16_t admin_port_ = 0;
  int pipe_read_ = -1;
  std::thread reader_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::string output_;
  bool output_closed_ = false;
};

/// The result of running nmo-cds to completion (not as a server).
struct CommandResult {
  int wait_status = -1;
  bool timed_out = false;
  std::string out;
  std::string err;
  bool exited_with(int code) const;
};

/// Runs `server_binary()` with `args`, extra environment `env` ("NAME=value"), stdin from /dev/null; kills it
/// after `timeout`. The inherited environment is passed on without NMO_* variables.
CommandResult run_command(const std::vector<std::string>& args, const std::vector<std::string>& env = {},
                          std::chrono::milliseconds timeout = std::chrono::seconds(20));

}  // namespace nmo::test
