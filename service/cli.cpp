#include "service/cli.hpp"

#include <pthread.h>
#include <unistd.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include "cards/knowledge_base.hpp"
#include "config/issuers.hpp"
#include "config/service_config.hpp"
#include "fhir/time.hpp"
#include "service/auth/auth.hpp"
#include "service/auth/jwks.hpp"
#include "service/auth/jwks_fetch.hpp"
#include "service/feedback/feedback_store.hpp"
#include "service/feedback/quiet_book.hpp"
#include "service/feedback/report_html.hpp"
#include "service/feedback/replay_table.hpp"
#include "service/fetch/fhir_client.hpp"
#include "service/fetch/gather.hpp"
#include "service/hook_call.hpp"
#include "service/http/router.hpp"
#include "service/http/transport.hpp"
#include "service/ops/log.hpp"
#include "service/ops/metrics.hpp"
#include "service/runtime.hpp"
#include "service/services.hpp"

extern char** environ;

namespace nmo::service {
namespace {

namespace fs = std::filesystem;

constexpr const char* kDefaultConfig = "config/service.json";

const char* kUsage = R"(nmo-cds — CDS Hooks 2.0 service for neuromyelitis optica spectrum disorder (NMOSD)

Usage:
  nmo-cds serve [--config FILE]             serve CDS Hooks until SIGTERM or SIGINT; SIGHUP reloads TLS
  nmo-cds check-config [FILE]               validate a configuration and its knowledge files, then exit
  nmo-cds evaluate REQUEST.json [--config FILE] [--now DATETIME]
                                            run the engine on a CDS Hooks request file (no server) and
                                            print the response; the service is chosen by the request's hook;
                                            --now evaluates as of that date (default: the clock)
  nmo-cds knowledge-report [--config FILE] [--html FILE]
                                            print the knowledge base as Markdown for clinician review, or
                                            write it as a self-contained HTML page (no script, SVG inline)
  nmo-cds feedback-report [--config FILE] [--html FILE]
                                            print acceptance and override rates per rule, and the override
                                            reasons given, from the configured feedback store; --html: a page
                                            with per-rule plots over weeks (issued, accepted, overridden by
                                            reason, quieted)
  nmo-cds --help                            this text

FILE defaults to config/service.json (relative to the working directory). Relative paths inside it
(knowledge_dir) are relative to the file's own directory. Any key can be overridden by an environment
variable NMO_<KEY> (dots become underscores, upper case), e.g. NMO_LISTEN_PORT=9090.

Exit status: 0 success, 1 failure (the message names the file and key at fault), 2 usage error.

Configuration keys (default, environment variable):
)";

bool read_file(const fs::path& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return static_cast<bool>(in) || in.eof();
}

config::Environment nmo_environment() {
  config::Environment env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    if (entry.rfind("NMO_", 0) != 0) continue;
    const auto eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace_back(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  return env;
}

// Builds the authenticator from the auth.* keys and the issuers file they name (JWK Set files relative to it).
// The shared replay table (auth.replay_store postgres), connected on first use and again after a failure; one
// connection, serialised (the table is too).
class SharedReplay {
 public:
  explicit SharedReplay(std::string url) : url_(std::move(url)) {}
  bool insert_if_absent(const std::string& key, std::int64_t expires_at, std::int64_t now) {
    std::lock_guard lock(mutex_);
    if (!table_) table_ = feedback::open_postgres_replay_table(url_);
    try {
      return table_->insert_if_absent(key, expires_at, now);
    } catch (...) {
      table_.reset();
      throw;
    }
  }

 private:
  std::string url_;
  std::mutex mutex_;
  std::unique_ptr<feedback::ReplayTable> table_;
};

bool load_auth(const std::string& config_path, Runtime& runtime) {
  const auto& a = runtime.config.auth;
  std::vector<auth::TrustedIssuer> issuers;
  if (!a.issuers_file.empty()) {
    fs::path file = a.issuers_file;
    if (file.is_relative()) file = fs::path(config_path).parent_path() / file;
    std::string text;
    if (!read_file(file, text)) {
      std::cerr << "nmo-cds: cannot read auth.issuers_file " << file.string() << "\n";
      return false;
    }
    auto entries = config::parse_issuers(text);
    if (!entries) {
      std::cerr << "nmo-cds: " << file.string() << ": " << entries.problem().message << "\n";
      return false;
    }
    for (auto& e : *entries) {
      auth::TrustedIssuer issuer{e.iss, {}, e.jku, e.tenants};
      if (!e.jwks_file.empty()) {
        fs::path jwks = e.jwks_file;
        if (jwks.is_relative()) jwks = file.parent_path() / jwks;
        std::string jwks_text;
        if (!read_file(jwks, jwks_text)) {
          std::cerr << "nmo-cds: cannot read the JWK Set " << jwks.string() << " of issuer " << e.iss << "\n";
          return false;
        }
        auto keys = auth::jwt::parse_jwks(jwks_text);
        if (!keys) {
          std::cerr << "nmo-cds: " << jwks.string() << ": " << keys.problem().message << "\n";
          return false;
        }
        issuer.static_keys = std::move(*keys);
      }
      issuers.push_back(std::move(issuer));
    }
  }
  auth::KeyStoreOptions key_options;
  key_options.cache_ttl_seconds = static_cast<std::int64_t>(a.jwks_cache_ttl_seconds);
  key_options.refetch_interval_seconds = static_cast<std::int64_t>(a.jwks_refetch_interval_seconds);
  key_options.max_jwks_bytes = a.jwks_max_bytes;
  auth::AuthOptions options;
  options.mode = a.mode == "development" ? auth::AuthMode::development : auth::AuthMode::required;
  options.public_base_url = runtime.config.public_base_url;
  options.algorithms = a.algorithms;
  options.skew_seconds = static_cast<std::int64_t>(a.clock_skew_seconds);
  options.max_lifetime_seconds = static_cast<std::int64_t>(a.max_token_lifetime_seconds);
  options.replay_cache_entries = a.replay_cache_entries;
  if (a.replay_store == "postgres") {
    if (runtime.config.feedback_postgres_url.empty()) {
      std::cerr << "nmo-cds: auth.replay_store is postgres but feedback.postgres_url is empty\n";
      return false;
    }
    auto shared = std::make_shared<SharedReplay>(runtime.config.feedback_postgres_url);
    options.shared_replay = [shared](const std::string& key, std::int64_t expires_at, std::int64_t now) {
      return shared->insert_if_absent(key, expires_at, now);
    };
  } else if (a.replay_store != "memory") {
    std::cerr << "nmo-cds: auth.replay_store: expected memory or postgres\n";
    return false;
  }
  auto store = std::make_shared<auth::KeyStore>(std::move(issuers), key_options, auth::make_jwks_fetcher(std::chrono::milliseconds(a.jwks_fetch_timeout_ms)));
  runtime.authenticator = std::make_shared<const auth::Authenticator>(std::move(options), std::move(store));
  return true;
}

// Loads the configuration and the knowledge it names. Prints the error and returns false on failure.
bool load_runtime(const std::string& config_path, Runtime& runtime) {
  std::string text;
  if (!read_file(config_path, text)) {
    std::cerr << "nmo-cds: cannot read configuration file " << config_path << "\n";
    return false;
  }
  auto config = config::parse_config(text, nmo_environment());
  if (!config) {
    std::cerr << "nmo-cds: " << config_path << ": " << config.problem().message << "\n";
    return false;
  }
  runtime.config = *config;
  runtime.json_limits = json_limits_from(runtime.config);

  fs::path dir = runtime.config.knowledge_dir;
  if (dir.is_relative()) dir = fs::path(config_path).parent_path() / dir;
  std::error_code ec;
  std::vector<fs::path> paths;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ".json") paths.push_back(entry.path());
  }
  if (ec || paths.empty()) {
    std::cerr << "nmo-cds: no knowledge files (*.json) in " << dir.string() << "\n";
    return false;
  }
  std::sort(paths.begin(), paths.end());
  std::vector<cards::KnowledgeFile> files;
  for (const auto& p : paths) {
    cards::KnowledgeFile f{p.filename().string(), {}};
    if (!read_file(p, f.text)) {
      std::cerr << "nmo-cds: cannot read " << p.string() << "\n";
      return false;
    }
    files.push_back(std::move(f));
  }
  auto kb = cards::load_knowledge(files);
  if (!kb) {
    std::cerr << "nmo-cds: knowledge in " << dir.string() << ": " << kb.problem().path << ": "
              << kb.problem().message << "\n";
    return false;
  }
  runtime.knowledge = *kb;

  if (!runtime.config.fhir.allowed_servers.empty()) {
    fetch::FhirClientOptions options = fetch::fhir_client_options(runtime.config);
    if (!options.ca_file.empty() && fs::path(options.ca_file).is_relative()) {
      options.ca_file = (fs::path(config_path).parent_path() / options.ca_file).string();
    }
    try {
      runtime.fhir_client = std::make_shared<fetch::FhirClient>(std::move(options));
    } catch (const std::exception& e) {
      std::cerr << "nmo-cds: " << e.what() << "\n";
      return false;
    }
  }
  return load_auth(config_path, runtime);
}

struct Args {
  std::string command;
  std::string config = kDefaultConfig;
  std::string now;  // evaluate --now: a FHIR dateTime to evaluate at instead of the clock
  std::string html;  // knowledge-report, feedback-report --html FILE: write the page there
  std::vector<std::string> positional;
  bool ok = true;
};

Args parse_args(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--config" && i + 1 < argc) {
      a.config = argv[++i];
    } else if (arg == "--now" && i + 1 < argc) {
      a.now = argv[++i];
    } else if (arg == "--html" && i + 1 < argc) {
      a.html = argv[++i];
    } else if (arg.rfind("--config=", 0) == 0) {
      a.config = arg.substr(9);
    } else if (arg == "--help" || arg == "-h" || arg == "help") {
      a.command = "help";
    } else if (!arg.empty() && arg[0] == '-') {
      std::cerr << "nmo-cds: unknown option " << arg << "\n";
      a.ok = false;
    } else if (a.command.empty()) {
      a.command = arg;
    } else {
      a.positional.push_back(arg);
    }
  }
  return a;
}

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string pretty(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse(json.c_str(), json.size());
  if (doc.HasParseError()) return json;
  rapidjson::StringBuffer buf;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
  w.SetIndent(' ', 2);
  doc.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

std::string config_dir(const std::string& config_path) {
  const fs::path dir = fs::path(config_path).parent_path();
  return dir.empty() ? std::string(".") : dir.string();
}

// Opens the configured feedback store; prints the error and returns null on failure.
std::shared_ptr<feedback::FeedbackStore> open_store(const Runtime& runtime, const std::string& config_path) {
  try {
    return feedback::open_feedback_store(runtime.config, config_dir(config_path));
  } catch (const feedback::FeedbackStoreError& e) {
    std::cerr << "nmo-cds: feedback store: " << e.what() << "\n";
    return nullptr;
  }
}

// Overrides in memory (quiet.mode on): read once before serving, then kept fresh by the book's thread. Null when
// off; a store that cannot be opened or read leaves every card shown (fail open) and says so.
std::shared_ptr<feedback::QuietBook> open_quiet(const Runtime& runtime, const std::string& config_path) {
  const auto& c = runtime.config;
  if (c.quiet_mode != "on") return nullptr;
  feedback::QuietSettings settings;
  settings.key = c.quiet_key.empty() ? c.log_pseudonym_salt : c.quiet_key;
  settings.refresh = std::chrono::milliseconds(c.quiet_refresh_ms);
  if (settings.key.empty()) {
    ops::log::write(ops::log::Level::warn, "quiet_key_random",
                    {{"message", "quiet.key and log.pseudonym_salt are empty: overrides quiet cards only until this "
                                 "process stops, and only on this replica; set NMO_QUIET_KEY from a Secret"}});
  }
  try {
    auto book = std::make_shared<feedback::QuietBook>(feedback::open_quiet_store(c, config_dir(config_path)),
                                                      runtime.knowledge, std::move(settings));
    book->sync(now_seconds());
    book->start();
    return book;
  } catch (const std::exception& e) {  // FeedbackStoreError, or any other: the service starts and shows every card
    ops::metrics::record_quiet_store_error("open");
    ops::metrics::set_quiet_store_up(false);
    ops::log::write(ops::log::Level::error, "quiet_store_failed",
                    {{"op", "open"}, {"detail", e.what()}, {"message", "every card is shown"}});
    return nullptr;
  }
}

int serve(const Args& args) {
  Runtime runtime;
  if (!load_runtime(args.config, runtime)) return 1;
  ops::log::set_level(ops::log::parse_level(runtime.config.log_level));
  for (const auto& name : runtime.config.ignored_environment) {
    ops::log::write(ops::log::Level::warn, "ignored_environment_variable",
               {{"name", name}, {"why", "a Kubernetes service link, not a configuration key"}});
  }
  ops::log::set_pseudonym_salt(runtime.config.log_pseudonym_salt);
  // Request threads queue their lines; one thread writes them. Stopped (every line written) on any return.
  ops::log::start_writer();
  struct StopWriter {
    ~StopWriter() { ops::log::stop_writer(); }
  } stop_writer;
  runtime.feedback_store = open_store(runtime, args.config);
  if (!runtime.feedback_store) {
    ops::log::write(ops::log::Level::error, "start_failed", {{"reason", "feedback store unavailable"}});
    return 1;
  }

  // Block the stop signals in every thread; this thread waits for them with sigwait.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);  // reloads the TLS certificate
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  runtime.quiet = open_quiet(runtime, args.config);  // after the mask: its thread must not take SIGTERM
  // The feedback governance page on the admin listener, read from the stores when asked (issue 13).
  runtime.feedback_page = [&runtime, dir = config_dir(args.config)] {
    std::vector<feedback::WeekTally> tallies;  // cards issued and quieted, when recorded beside the feedback
    if (runtime.config.quiet_mode != "off") {
      tallies = feedback::open_quiet_store(runtime.config, dir)->tallies();
    }
    return feedback::feedback_report_html(runtime.feedback_store->all(), tallies, *runtime.knowledge, now_seconds());
  };

  const auto& c = runtime.config;
  http::TransportOptions options;
  options.address = c.listen_address;
  options.port = static_cast<std::uint16_t>(c.listen_port);
  options.threads = static_cast<unsigned>(c.threads);
  options.max_body_bytes = c.limits.max_body_bytes;
  options.max_header_bytes = c.limits.max_header_bytes;
  options.header_timeout = std::chrono::milliseconds(c.limits.header_timeout_ms);
  options.body_timeout = std::chrono::milliseconds(c.limits.body_timeout_ms);
  options.idle_timeout = std::chrono::milliseconds(c.limits.idle_timeout_ms);
  options.max_connections = c.limits.max_connections;
  options.max_connections_per_address = c.limits.max_connections_per_address;
  options.max_buffered_body_bytes = c.limits.max_buffered_body_bytes;
  options.max_requests_per_connection = c.limits.max_requests_per_connection;
  options.max_pipelined = c.limits.max_pipelined;
  const auto beside_config = [&args](const std::string& file) {
    if (file.empty() || fs::path(file).is_absolute()) return file;
    return (fs::path(args.config).parent_path() / file).string();
  };
  options.tls_certificate_file = beside_config(c.tls.certificate_file);
  options.tls_private_key_file = beside_config(c.tls.private_key_file);
  options.tls_client_ca_file = beside_config(c.tls.client_ca_file);

  // The admin listener (issue 11 items 6, 7): its own transport, threads and small caps, plain HTTP.
  http::TransportOptions admin_options;
  admin_options.address = c.admin_address;
  admin_options.port = static_cast<std::uint16_t>(c.admin_port);
  admin_options.threads = 2;  // a governance page being read from the store never holds up a probe
  admin_options.max_body_bytes = 1024;
  admin_options.max_header_bytes = 8192;
  admin_options.header_timeout = std::chrono::milliseconds(5000);
  admin_options.body_timeout = std::chrono::milliseconds(5000);
  admin_options.idle_timeout = std::chrono::milliseconds(30000);
  admin_options.max_connections = 64;

  http::Router router(runtime);
  http::Router admin_router(runtime, http::Listener::admin);
  auto transport = http::make_transport(options, router);
  auto admin = http::make_transport(admin_options, admin_router);
  // cpprestsdk cannot enforce the edge rules (header and idle timeouts, connection caps, framing checks before
  // the handler, authentication before the body; README "cpprestsdk transport limitations"), so it serves
  // development mode only.
  if (std::string_view(transport->name()) == "cpprest" && c.auth.mode != "development") {
    ops::log::write(ops::log::Level::error, "start_failed",
                    {{"reason", "auth.mode required needs the Beast transport"}});
    std::cerr << "nmo-cds: the cpprest transport does not enforce the service edge rules and refuses auth.mode "
                 "required; build with -DNMO_TRANSPORT=beast for production\n";
    return 1;
  }
  std::uint16_t port = 0;
  std::uint16_t admin_port = 0;
  const auto listen = [](http::Transport& t, const std::string& address, std::uint64_t wanted, std::uint16_t& bound) {
    try {
      bound = t.start();
      return true;
    } catch (const std::exception& e) {
      ops::log::write(ops::log::Level::error, "start_failed", {{"address", address}, {"reason", e.what()}});
      std::cerr << "nmo-cds: cannot listen on " << address << ":" << wanted << ": " << e.what() << "\n";
      return false;
    }
  };
  if (!listen(*transport, c.listen_address, c.listen_port, port)) return 1;
  router.set_port(port);
  if (!listen(*admin, c.admin_address, c.admin_port, admin_port)) {
    transport->stop(std::chrono::milliseconds(0));
    return 1;
  }
  if (c.auth.mode == "development") {
    ops::log::write(ops::log::Level::warn, "auth_development_mode",
               {{"message", "auth.mode is development: calls without a JWT from loopback are accepted; "
                            "use auth.mode required in production"}});
  }
  const std::string knowledge = cards::knowledge_version(*runtime.knowledge);
  ops::log::announce("listening",
             {{"address", c.listen_address},
              {"port", static_cast<std::int64_t>(port)},
              {"admin_address", c.admin_address},
              {"admin_port", static_cast<std::int64_t>(admin_port)},
              {"transport", transport->name()},
              {"public_base_url", c.public_base_url},
              {"auth", c.auth.mode},
              {"tls", transport->tls()},
              {"knowledge", knowledge},
              {"feedback_store", runtime.feedback_store->describe()},
              {"log_level", c.log_level},
              {"pid", static_cast<std::int64_t>(::getpid())}});

  int sig = 0;
  for (;;) {
    sigwait(&signals, &sig);
    if (sig != SIGHUP) break;
    try {
      transport->reload_tls();
      ops::log::announce("tls_reloaded", {{"tls", transport->tls()}});
    } catch (const std::exception& e) {
      ops::log::write(ops::log::Level::error, "tls_reload_failed", {{"reason", e.what()}});
    }
  }
  ops::log::announce("stopping",
             {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"},
              {"grace_ms", static_cast<std::int64_t>(c.shutdown_grace_ms)}});
  router.set_ready(false);
  admin_router.set_ready(false);
  transport->stop(std::chrono::milliseconds(c.shutdown_grace_ms));
  admin->stop(std::chrono::milliseconds(1000));
  runtime.fhir_client.reset();  // no fetch may answer into the transport once it is gone
  ops::log::announce("stopped", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
  return 0;
}

int check_config(const Args& args) {
  const std::string path = args.positional.empty() ? args.config : args.positional.front();
  Runtime runtime;
  if (!load_runtime(path, runtime)) return 1;
  std::cout << path << ": configuration OK; knowledge " << cards::knowledge_version(*runtime.knowledge) << "\n";
  return 0;
}

int evaluate(const Args& args) {
  if (args.positional.size() != 1) {
    std::cerr << "nmo-cds: usage: nmo-cds evaluate REQUEST.json [--config FILE]\n";
    return 2;
  }
  Runtime runtime;
  if (!load_runtime(args.config, runtime)) return 1;
  std::string body;
  if (!read_file(args.positional.front(), body)) {
    std::cerr << "nmo-cds: cannot read " << args.positional.front() << "\n";
    return 1;
  }
  rapidjson::Document probe;
  probe.Parse(body.c_str(), body.size());
  const ServiceDef* service = nullptr;
  if (!probe.HasParseError() && probe.IsObject() && probe.HasMember("hook") && probe["hook"].IsString()) {
    service = find_service_by_hook(probe["hook"].GetString());
  }
  if (service == nullptr) {
    std::cerr << "nmo-cds: " << args.positional.front()
              << ": hook: expected patient-view, order-select or order-sign\n";
    return 1;
  }
  std::int64_t now = now_seconds();
  if (!args.now.empty()) {
    const auto parsed = fhir::parse_fhir_time(args.now);
    if (!parsed) {
      std::cerr << "nmo-cds: --now: expected a date or dateTime such as 2026-11-24 or 2026-11-24T09:00:00Z\n";
      return 2;
    }
    now = *parsed;
  }
  auto outcome = call_hook(*service, body, runtime, now);
  if (!outcome) {
    const auto& p = outcome.problem();
    std::cerr << "nmo-cds: " << args.positional.front() << ": " << (p.path.empty() ? "" : p.path + ": ")
              << p.message << "\n";
    return 1;
  }
  std::cout << pretty(outcome->body) << "\n";
  return 0;
}

// Writes a governance page; 0, or 1 with a message.
int write_page(const std::string& path, const std::string& html) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << html;
  out.close();
  if (!out) {
    std::cerr << "nmo-cds: cannot write " << path << "\n";
    return 1;
  }
  return 0;
}

int knowledge_report(const Args& args) {
  Runtime runtime;
  if (!load_runtime(args.config, runtime)) return 1;
  if (!args.html.empty()) return write_page(args.html, feedback::knowledge_report_html(*runtime.knowledge));
  std::cout << cards::knowledge_report(*runtime.knowledge);
  return 0;
}

int feedback_report_command(const Args& args) {
  Runtime runtime;
  if (!load_runtime(args.config, runtime)) return 1;
  const auto store = open_store(runtime, args.config);
  if (!store) return 1;
  try {
    const auto records = store->all();
    if (!args.html.empty()) {
      std::vector<feedback::WeekTally> tallies;  // cards issued and quieted: beside the feedback, when recorded
      try {
        tallies = feedback::open_quiet_store(runtime.config, config_dir(args.config))->tallies();
      } catch (const feedback::FeedbackStoreError& e) {
        std::cerr << "nmo-cds: no cards issued or quieted in the report: " << e.what() << "\n";
      }
      return write_page(args.html, feedback::feedback_report_html(records, tallies, *runtime.knowledge, now_seconds()));
    }
    std::cout << "Store: " << store->describe() << "\n" << feedback::feedback_report(records);
  } catch (const feedback::FeedbackStoreError& e) {
    std::cerr << "nmo-cds: feedback store: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace

int run_cli(int argc, char** argv) {
  const Args args = parse_args(argc, argv);
  if (!args.ok) {
    std::cerr << "Try 'nmo-cds --help'.\n";
    return 2;
  }
  if (args.command == "help") {
    std::cout << kUsage << config::describe_config_keys();
    return 0;
  }
  if (args.command == "serve") return serve(args);
  if (args.command == "check-config") return check_config(args);
  if (args.command == "evaluate") return evaluate(args);
  if (args.command == "knowledge-report") return knowledge_report(args);
  if (args.command == "feedback-report") return feedback_report_command(args);
  std::cerr << (args.command.empty() ? std::string("nmo-cds: no command given")
                                     : "nmo-cds: unknown command " + args.command)
            << "\nTry 'nmo-cds --help'.\n";
  return 2;
}

}  // namespace nmo::service
