// make_tokens: the JWTs of tests/bench/load.sh's `--jwt` runs (issue #7), made before the run so the load generator
// only sends them. Generates a key pair (RSA 2048 for RS384, EC P-384 for ES384) with the OpenSSL 3 EVP API
// (tests/support/test_keys), writes into DIR:
//   jwks.json     the public key as a JWK Set
//   issuers.json  one issuer trusting jwks.json (the service's auth.issuers_file)
//   tokens.txt    COUNT compact JWS tokens, one a line: same iss, kid and aud, a fresh jti each,
//                 iat = now, exp = now + LIFETIME
// The private key never leaves the process. Signing runs on all cores.
//
//   make_tokens --alg RS384|ES384 --dir DIR --aud URL --count N [--lifetime SECONDS] [--iss URL]
#include "tests/support/test_keys.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace {

int usage() {
  std::cerr << "usage: make_tokens --alg RS384|ES384 --dir DIR --aud URL --count N [--lifetime SECONDS] [--iss URL]\n";
  return 2;
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> args{{"--lifetime", "900"}, {"--iss", "https://ehr.bench.test"}};
  for (int i = 1; i + 1 < argc; i += 2) args[argv[i]] = argv[i + 1];
  if (argc % 2 == 0 || !args.count("--alg") || !args.count("--dir") || !args.count("--aud") || !args.count("--count")) {
    return usage();
  }
  const std::string alg = args["--alg"];
  if (alg != "RS384" && alg != "ES384") return usage();
  try {
    const std::string dir = args["--dir"];
    const long count = std::stol(args["--count"]);
    const long lifetime = std::stol(args["--lifetime"]);
    const auto key = alg == "ES384" ? nmo::test::TestKey::ec("P-384", "bench-es384")
                                    : nmo::test::TestKey::rsa(2048, "bench-rs384");
    write_file(dir + "/jwks.json", nmo::test::jwks({key.jwk()}));
    write_file(dir + "/issuers.json",
               "{\"issuers\": [{\"iss\": \"" + args["--iss"] + "\", \"jwks_file\": \"jwks.json\"}]}\n");

    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
    const unsigned workers = std::max(1U, std::thread::hardware_concurrency());
    std::vector<std::string> tokens(static_cast<std::size_t>(count));
    std::vector<std::thread> threads;
    std::exception_ptr failure;
    for (unsigned w = 0; w < workers; ++w) {
      threads.emplace_back([&, w] {
        try {
          nmo::test::TokenSpec spec;
          spec.alg = alg;
          spec.iss = args["--iss"];
          spec.aud = args["--aud"];
          spec.iat = now;
          spec.exp = now + lifetime;
          for (std::size_t i = w; i < tokens.size(); i += workers) {
            spec.jti = "bench-" + std::to_string(now) + "-" + std::to_string(i);
            tokens[i] = key.token(spec);
          }
        } catch (...) {
          failure = std::current_exception();  // reported after join; one failure is enough
        }
      });
    }
    for (auto& t : threads) t.join();
    if (failure) std::rethrow_exception(failure);
    std::string text;
    text.reserve(tokens.size() * (tokens.empty() ? 0 : tokens[0].size() + 1));
    for (const auto& t : tokens) text += t + "\n";
    write_file(dir + "/tokens.txt", text);
  } catch (const std::exception& e) {
    std::cerr << "make_tokens: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
