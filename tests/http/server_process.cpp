#include "tests/http/server_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <stdexcept>

extern char** environ;

namespace nmo::test {

namespace {

using namespace std::chrono_literals;

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

/// The inherited environment without NMO_* (the server's configuration overrides) plus `extra`.
std::vector<std::string> child_environment(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "NMO_", 4) != 0) env.emplace_back(*e);
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

/// Spawns the server binary with `args`; its stdout and stderr go to `out_fd` and `err_fd`, stdin is /dev/null.
pid_t spawn(const std::vector<std::string>& args, const std::vector<std::string>& extra_env, int out_fd, int err_fd) {
  std::vector<std::string> argv_strings{server_binary()};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<std::string> env_strings = child_environment(extra_env);
  auto argv = pointers(argv_strings);
  auto envp = pointers(env_strings);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_fd, 1);
  posix_spawn_file_actions_adddup2(&actions, err_fd, 2);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + argv_strings[0] + ": " + std::strerror(rc));
  return pid;
}

std::optional<int> wait_for(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0 && errno != EINTR) return -1;
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(5ms);
  }
}

std::string tail(const std::string& s, std::size_t n = 4000) { return s.size() <= n ? s : s.substr(s.size() - n); }

}  // namespace

std::string ServerConfig::to_json() const {
  std::string j = "{\"listen\":{\"address\":\"127.0.0.1\",\"port\":0},\"admin\":{\"port\":0},";
  j += "\"public_base_url\":" + json_string(public_base_url) + ",";
  j += "\"auth\":{\"mode\":" + json_string(auth_mode) + ",\"issuers_file\":" + json_string(issuers_file);
  if (!algorithms.empty()) {
    j += ",\"algorithms\":[";
    for (std::size_t i = 0; i < algorithms.size(); ++i) j += (i ? "," : "") + json_string(algorithms[i]);
    j += "]";
  }
  j += "},";
  if (!log_level.empty()) j += "\"log_level\":" + json_string(log_level) + ",";
  if (!tls_certificate_file.empty()) {
    j += "\"tls\":{\"certificate_file\":" + json_string(tls_certificate_file) +
         ",\"private_key_file\":" + json_string(tls_private_key_file) +
         ",\"client_ca_file\":" + json_string(tls_client_ca_file) + "},";
  }
  j += "\"knowledge_dir\":" + json_string(source_dir() + "/config/knowledge") + ",";
  if (threads) j += "\"threads\":" + std::to_string(*threads) + ",";
  j += "\"limits\":{\"max_body_bytes\":" + std::to_string(max_body_bytes);
  auto limit = [&j](const char* name, const auto& value) {
    if (value) j += std::string(",\"") + name + "\":" + std::to_string(*value);
  };
  limit("max_header_bytes", max_header_bytes);
  limit("header_timeout_ms", header_timeout_ms);
  limit("body_timeout_ms", body_timeout_ms);
  limit("idle_timeout_ms", idle_timeout_ms);
  limit("max_connections", max_connections);
  limit("max_connections_per_address", max_connections_per_address);
  limit("max_buffered_body_bytes", max_buffered_body_bytes);
  limit("max_pipelined", max_pipelined);
  limit("max_requests_per_connection", max_requests_per_connection);
  limit("json_max_depth", json_max_depth);
  j += "},\"shutdown_grace_ms\":" + std::to_string(shutdown_grace_ms);
  j += ",\"cors\":{\"allowed_origins\":[";
  for (std::size_t i = 0; i < allowed_origins.size(); ++i) j += (i ? "," : "") + json_string(allowed_origins[i]);
  j += "]}}";
  return j;
}

std::string server_binary() {
  const auto& suite = boost::unit_test::framework::master_test_suite();
  for (int i = 1; i + 1 < suite.argc; ++i) {
    if (std::string_view(suite.argv[i]) == "--server") return suite.argv[i + 1];
  }
  return NMO_CDS_BINARY;
}

std::string source_dir() { return NMO_SOURCE_DIR; }

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "nmo-http-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::write(const std::string& name, const std::string& content) const {
  const std::string file = path_ + "/" + name;
  std::ofstream(file, std::ios::binary) << content;
  return file;
}

std::string describe_wait_status(int status) {
  if (status < 0) return "not reaped";
  if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("killed by signal ") + ::strsignal(WTERMSIG(status));
  return "wait status " + std::to_string(status);
}

ServerProcess::ServerProcess(const ServerConfig& config, const std::vector<std::string>& env) : config_(config) {
  const std::string config_file =
      config_.config_file.empty() ? dir_.write("service.json", config_.to_json()) : config_.config_file;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  try {
    // The admin listener on a free port too, unless the test names one (tests run in parallel).
    std::vector<std::string> full_env = env;
    if (std::none_of(env.begin(), env.end(), [](const std::string& e) { return e.rfind("NMO_ADMIN_PORT=", 0) == 0; })) {
      full_env.push_back("NMO_ADMIN_PORT=0");
    }
    pid_ = spawn({"serve", "--config", config_file}, full_env, fds[1], fds[1]);
  } catch (...) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw;
  }
  ::close(fds[1]);
  pipe_read_ = fds[0];

  // Drain the pipe for the whole life of the process, so the server never blocks on a full pipe.
  reader_ = std::thread([this] {
    char buf[4096];
    for (;;) {
      const ssize_t n = ::read(pipe_read_, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      std::lock_guard lock(mutex_);
      if (n <= 0) {
        output_closed_ = true;
        changed_.notify_all();
        return;
      }
      output_.append(buf, static_cast<std::size_t>(n));
      changed_.notify_all();
    }
  });

  // The log line `{"event":"listening",...,"port":N,...}` announces the bound port.
  static const std::regex listening(R"re("event"\s*:\s*"listening".*)re");
  static const std::regex port_re(R"re("port"\s*:\s*([0-9]+))re");
  static const std::regex admin_port_re(R"re("admin_port"\s*:\s*([0-9]+))re");
  std::unique_lock lock(mutex_);
  const bool found = changed_.wait_for(lock, 10s, [&] {
    std::size_t start = 0;
    for (std::size_t eol; (eol = output_.find('\n', start)) != std::string::npos; start = eol + 1) {
      const std::string line = output_.substr(start, eol - start);
      std::smatch m;
      if (std::regex_search(line, listening) && std::regex_search(line, m, port_re)) {
        port_ = static_cast<std::uint16_t>(std::stoi(m[1].str()));
        if (std::regex_search(line, m, admin_port_re)) admin_port_ = static_cast<std::uint16_t>(std::stoi(m[1].str()));
        return port_ != 0;
      }
    }
    return output_closed_;
  });
  const std::string seen = output_;
  lock.unlock();
  if (!found || port_ == 0) {
    kill_and_reap();
    throw std::runtime_error("nmo-cds did not report \"event\":\"listening\" with a port within 10 s (" +
                             describe_wait_status(exit_status_.value_or(-1)) + "); its output:\n" + tail(seen));
  }
}

void ServerProcess::kill_and_reap() {
  if (!exit_status_) {
    ::kill(pid_, SIGKILL);
    exit_status_ = wait_for(pid_, 10s).value_or(-1);
  }
  if (reader_.joinable()) reader_.join();
  if (pipe_read_ >= 0) ::close(pipe_read_);
  pipe_read_ = -1;
}

ServerProcess::~ServerProcess() {
  if (!exit_status_) {
    ::kill(pid_, SIGTERM);
    exit_status_ = wait_for(pid_, 15s);
    if (!exit_status_) {
      BOOST_ERROR("nmo-cds did not exit within 15 s of SIGTERM; killed. Output:\n" << tail(output()));
    }
    kill_and_reap();  // no-op for the kill when it has exited; joins the reader
    BOOST_CHECK_MESSAGE(WIFEXITED(*exit_status_) && WEXITSTATUS(*exit_status_) == 0,
                        "nmo-cds stopped by SIGTERM: expected exit status 0, got "
                            << describe_wait_status(*exit_status_) << ". Output:\n"
                            << tail(output()));
  } else {
    kill_and_reap();
  }
}

void ServerProcess::send_signal(int signal_number) const {
  if (!exit_status_) ::kill(pid_, signal_number);
}

std::optional<int> ServerProcess::wait_exit(std::chrono::milliseconds timeout) {
  if (!exit_status_) exit_status_ = wait_for(pid_, timeout);
  if (exit_status_) {  // gone: let the reader take the rest of its output from the pipe first
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, std::chrono::seconds(5), [this] { return output_closed_; });
  }
  return exit_status_;
}

bool ServerProcess::wait_for_output(std::string_view text, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout,
                           [&] { return output_.find(text) != std::string::npos || output_closed_; }) &&
         output_.find(text) != std::string::npos;
}

std::string ServerProcess::output() const {
  std::lock_guard lock(mutex_);
  return output_;
}

bool CommandResult::exited_with(int code) const {
  return !timed_out && WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == code;
}

CommandResult run_command(const std::vector<std::string>& args, const std::vector<std::string>& env,
                          std::chrono::milliseconds timeout) {
  int out[2];
  int err[2];
  if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  if (::pipe2(err, O_CLOEXEC) != 0) {
    ::close(out[0]);
    ::close(out[1]);
    throw std::runtime_error("pipe2 failed");
  }
  pid_t pid = -1;
  try {
    pid = spawn(args, env, out[1], err[1]);
  } catch (...) {
    for (int fd : {out[0], out[1], err[0], err[1]}) ::close(fd);
    throw;
  }
  ::close(out[1]);
  ::close(err[1]);

  CommandResult result;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_fds = 2;
  while (open_fds > 0) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      break;
    }
    const int rc = ::poll(fds, 2, static_cast<int>(left.count()));
    if (rc < 0 && errno == EINTR) continue;
    if (rc <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[4096];
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& f : fds) {
    if (f.fd >= 0) ::close(f.fd);
  }
  auto status = wait_for(pid, result.timed_out ? 0ms : 5s);
  if (!status) {
    result.timed_out = true;
    ::kill(pid, SIGKILL);
    status = wait_for(pid, 10s);
  }
  result.wait_status = status.value_or(-1);
  return result;
}

}  // namespace nmo::test
