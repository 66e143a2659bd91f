// Token benchmarks (issue 14): what authenticating a call costs over the signature check itself. For RS384 (RSA
// 2048) and ES384 (P-384), each with a fresh jti per call (a pool of signed tokens; the Authenticator is made
// anew, off the clock, when the pool wraps):
//   <alg>/openssl_verify  the bare OpenSSL 3 check of the same signatures: SHA-384 of header.payload, then
//                         EVP_PKEY_verify on a context set up once (the floor, as `openssl speed` measures it)
//   <alg>/parse           jwt::parse alone (base64url, header and payload JSON, the refusals' checks)
//   <alg>/authenticate    Authenticator::authenticate_at: the whole path of a call, replay cache included;
//                         .../threads:2 runs it on two threads at once (one key, an Authenticator each), as the
//                         service's workers do: what is shared inside OpenSSL shows there
// and the replay stores (auth.replay_store) per call, a fresh key each:
//   replay/memory         jwt::ReplayCache::remember
//   replay/postgres       feedback ReplayTable::insert_if_absent on a private PostgreSQL cluster
//                         (tests/support/postgres_server; skipped when the server binaries are missing)
// After the run the ratios are printed, authenticate / openssl_verify and postgres / memory, by CPU time (steadier
// on a shared machine) and by real time (the one that counts for PostgreSQL: its server's work is not our CPU).
// Run: build/<dir>/tests/bench/bench_auth [--benchmark_filter=rs384]

#include <benchmark/benchmark.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <cstdio>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "service/auth/auth.hpp"
#include "service/auth/jwt.hpp"
#include "service/feedback/replay_table.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/test_keys.hpp"

namespace {

namespace auth = nmo::service::auth;
namespace jwt = nmo::service::auth::jwt;

constexpr std::int64_t kNow = 1795478400;  // 2026-11-24T00:00:00Z
constexpr std::size_t kPool = 256;         // tokens signed per algorithm, each with its own jti
const std::string kBase = "https://cds.bench.test";
const std::string kEndpoint = "/cds-services/nmosd-patient-view";
const std::string kIss = "https://ehr.bench.test";

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("bench_auth: ") + what);
}

// One algorithm's key, its JWK, and a pool of tokens with their signing inputs and signatures as OpenSSL takes
// them (DER for ECDSA).
struct Tokens {
  std::vector<std::string> authorization;  // "Bearer <compact>"
  std::vector<std::string> signing_input;
  std::vector<std::string> signature;
  jwt::PublicKey key;
};

std::string der_of_raw(std::string_view raw) {
  const std::size_t half = raw.size() / 2;
  const auto* p = reinterpret_cast<const unsigned char*>(raw.data());
  ECDSA_SIG* sig = ECDSA_SIG_new();
  check(sig != nullptr && ECDSA_SIG_set0(sig, BN_bin2bn(p, static_cast<int>(half), nullptr),
                                         BN_bin2bn(p + half, static_cast<int>(half), nullptr)) == 1,
        "ECDSA_SIG");
  unsigned char* der = nullptr;
  const int len = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  check(len > 0, "i2d_ECDSA_SIG");
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return out;
}

Tokens make_tokens(const std::string& alg) {
  const auto key =
      alg == "ES384" ? nmo::test::TestKey::ec("P-384", "bench-es384") : nmo::test::TestKey::rsa(2048, "bench-rs384");
  Tokens t;
  auto keys = jwt::parse_jwks(nmo::test::jwks({key.jwk()}));
  check(keys.ok(), "parse_jwks");
  t.key = keys->front();
  nmo::test::TokenSpec spec;
  spec.alg = alg;
  spec.iss = kIss;
  spec.aud = kBase + kEndpoint;
  spec.iat = kNow;
  spec.exp = kNow + 300;
  for (std::size_t i = 0; i < kPool; ++i) {
    spec.jti = "bench-" + std::to_string(i) + "-4f0c2a7e-9b1d-4c55-8e3a-d2f1b6a09c47";
    const std::string compact = key.token(spec);
    const auto dot = compact.rfind('.');
    const auto raw = jwt::base64url_decode(std::string_view(compact).substr(dot + 1));
    check(raw.has_value(), "signature");
    t.authorization.push_back("Bearer " + compact);
    t.signing_input.push_back(compact.substr(0, dot));
    t.signature.push_back(alg == "ES384" ? der_of_raw(*raw) : *raw);
  }
  return t;
}

const Tokens& tokens(const std::string& alg) {  // made once, also when two benchmark threads ask at once
  static const Tokens rs384 = make_tokens("RS384");
  if (alg == "RS384") return rs384;
  static const Tokens es384 = make_tokens("ES384");
  return es384;
}

void openssl_verify(benchmark::State& state, const std::string& alg) {
  const Tokens& t = tokens(alg);
  EVP_MD* sha384 = EVP_MD_fetch(nullptr, "SHA384", nullptr);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, t.key.key.get(), nullptr);
  check(sha384 != nullptr && ctx != nullptr && EVP_PKEY_verify_init(ctx) == 1 &&
            EVP_PKEY_CTX_set_signature_md(ctx, sha384) == 1 &&
            (alg != "RS384" || EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1),
        "verify context");
  std::size_t i = 0;
  for (auto _ : state) {
    const std::string& input = t.signing_input[i];
    const std::string& sig = t.signature[i];
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    const bool ok =
        EVP_Digest(input.data(), input.size(), digest, &len, sha384, nullptr) == 1 &&
        EVP_PKEY_verify(ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(), digest, len) == 1;
    if (!ok) state.SkipWithError("the bare verify failed");
    i = (i + 1) % kPool;
  }
  EVP_PKEY_CTX_free(ctx);
  EVP_MD_free(sha384);
}

void parse(benchmark::State& state, const std::string& alg) {
  const Tokens& t = tokens(alg);
  const std::vector<std::string> algorithms{"ES384", "RS384"};
  std::size_t i = 0;
  for (auto _ : state) {
    auto parsed = jwt::parse(std::string_view(t.authorization[i]).substr(7), algorithms);
    if (parsed.reason != jwt::Reason::ok) state.SkipWithError("the token does not parse");
    benchmark::DoNotOptimize(parsed);
    i = (i + 1) % kPool;
  }
}

std::unique_ptr<auth::Authenticator> make_authenticator(const Tokens& t) {
  auth::TrustedIssuer issuer;
  issuer.iss = kIss;
  issuer.static_keys = {t.key};
  auth::AuthOptions options;
  options.public_base_url = kBase;
  return std::make_unique<auth::Authenticator>(
      options, std::make_shared<auth::KeyStore>(std::vector<auth::TrustedIssuer>{issuer}, auth::KeyStoreOptions{},
                                                auth::Fetcher{}));
}

void authenticate(benchmark::State& state, const std::string& alg) {
  const Tokens& t = tokens(alg);
  auto authenticator = make_authenticator(t);
  std::size_t i = 0;
  for (auto _ : state) {
    jwt::Reason reason = jwt::Reason::not_configured;
    authenticator->authenticate_at({t.authorization[i], false, kEndpoint}, kNow, 1000,
                                   [&reason](auth::AuthOutcome o) { reason = o.reason; });
    if (reason != jwt::Reason::ok) state.SkipWithError(jwt::reason_code(reason));
    if (++i == kPool) {  // every jti has been seen: a new replay cache for the next round
      state.PauseTiming();
      authenticator = make_authenticator(t);
      i = 0;
      state.ResumeTiming();
    }
  }
}

// The n-th fresh jti of a run; `now` moves a second every 1,024 calls and keys live a minute, so the store holds
// at most ~60k live keys and purges as it would in service.
struct Clock {
  std::int64_t n = 0;
  std::int64_t now() const { return kNow + n / 1024; }
  std::string jti() const { return "bench-replay-" + std::to_string(n); }
};

void replay_memory(benchmark::State& state) {
  jwt::ReplayCache cache(1u << 20);
  Clock c;
  for (auto _ : state) {
    if (cache.remember(kIss, c.jti(), c.now() + 60, c.now()) != jwt::Reason::ok) {
      state.SkipWithError("a fresh jti was refused");
    }
    ++c.n;
  }
}

void replay_postgres(benchmark::State& state) {
  nmo::test::PostgresServer* server = nullptr;
  try {
    server = nmo::test::shared_postgres();
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  if (server == nullptr) {
    state.SkipWithError("skipped: PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin)");
    return;
  }
  static const std::string url = server->create_database("bench_replay");
  auto table = nmo::service::feedback::open_postgres_replay_table(url);
  static Clock c;  // across the benchmark's runs: every key is fresh in the one database
  for (auto _ : state) {
    if (!table->insert_if_absent(jwt::replay_key(kIss, c.jti()), c.now() + 60, c.now())) {
      state.SkipWithError("a fresh key was refused");
    }
    ++c.n;
  }
}

// The console output, and after the run the ratios of the pairs below, by CPU time and by real time.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  RatioReporter() : ConsoleReporter(OO_Tabular) {}  // no colours: the output is read in logs
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs) {
      if (!r.error_occurred && r.run_type == Run::RT_Iteration) {
        const double to_us = 1e6 / benchmark::GetTimeUnitMultiplier(r.time_unit);
        times_[r.benchmark_name()] = {r.GetAdjustedCPUTime() * to_us, r.GetAdjustedRealTime() * to_us};
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }
  void print_ratios() const {
    const char* pairs[][3] = {{"rs384/authenticate", "rs384/openssl_verify", "RS384 authenticate / bare verify"},
                              {"es384/authenticate", "es384/openssl_verify", "ES384 authenticate / bare verify"},
                              {"replay/postgres", "replay/memory", "replay store postgres / memory"}};
    for (const auto& p : pairs) {
      const auto a = times_.find(p[0]), b = times_.find(p[1]);
      if (a == times_.end() || b == times_.end()) continue;
      std::printf("%-34s cpu %7.3f (%+9.2f us)   real %7.3f (%+9.2f us) per call\n", p[2],
                  a->second.cpu / b->second.cpu, a->second.cpu - b->second.cpu, a->second.real / b->second.real,
                  a->second.real - b->second.real);
    }
  }

 private:
  struct Times {
    double cpu = 0, real = 0;  // microseconds per iteration
  };
  std::map<std::string, Times> times_;
};

}  // namespace

BENCHMARK_CAPTURE(openssl_verify, rs384, "RS384")->Name("rs384/openssl_verify");
BENCHMARK_CAPTURE(parse, rs384, "RS384")->Name("rs384/parse");
BENCHMARK_CAPTURE(authenticate, rs384, "RS384")->Name("rs384/authenticate");
BENCHMARK_CAPTURE(authenticate, rs384_threads, "RS384")->Name("rs384/authenticate")->Threads(2)->UseRealTime();
BENCHMARK_CAPTURE(openssl_verify, es384, "ES384")->Name("es384/openssl_verify");
BENCHMARK_CAPTURE(parse, es384, "ES384")->Name("es384/parse");
BENCHMARK_CAPTURE(authenticate, es384, "ES384")->Name("es384/authenticate");
BENCHMARK_CAPTURE(authenticate, es384_threads, "ES384")->Name("es384/authenticate")->Threads(2)->UseRealTime();
BENCHMARK(replay_memory)->Name("replay/memory");
BENCHMARK(replay_postgres)->Name("replay/postgres");

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.print_ratios();
  benchmark::Shutdown();
  return 0;
}
