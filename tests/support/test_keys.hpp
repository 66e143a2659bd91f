#pragma once
// Keys and JWTs made by the tests (no private key is committed): EC P-256/P-384 and RSA keys generated with the
// OpenSSL 3 EVP API, their public JWKs, and compact JWS tokens signed with them (ES* signatures as raw R‖S).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct evp_pkey_st;

namespace nmo::test {

std::string b64url(std::string_view bytes);

struct TokenSpec {
  std::string alg = "ES384";
  std::optional<std::string> typ = std::string("JWT");
  std::optional<std::string> kid;  // default: the key's kid
  std::optional<std::string> jku;
  std::string iss = "https://ehr.test";
  std::string aud;
  bool aud_as_array = false;
  std::int64_t iat = 0;
  std::int64_t exp = 0;
  std::optional<std::int64_t> nbf;
  std::string jti = "jti-1";
  std::optional<std::string> tenant;
};

class TestKey {
 public:
  static TestKey ec(const std::string& curve, std::string kid);  // curve: P-256 | P-384
  static TestKey rsa(int bits, std::string kid);

  const std::string& kid() const { return kid_; }
  /// The public key as a JWK object (kty, kid, use sig, and crv/x/y or n/e).
  std::string jwk() const;
  /// A token for `spec`, signed with this key by spec.alg (ES256/ES384/RS256/RS384/PS384).
  std::string token(const TokenSpec& spec) const;
  /// Signs `signing_input` (header.payload) with `alg`; the raw JWS signature bytes.
  std::string sign(std::string_view alg, std::string_view signing_input) const;
  /// PEM private key and self-signed certificate (for TLS tests), valid from now + `from_days` for `days`.
  std::string private_key_pem() const;
  std::string certificate_pem(const std::string& common_name, long from_days, long days) const;

 private:
  TestKey(std::shared_ptr<evp_pkey_st> key, std::string kid, bool is_ec, std::string curve);
  std::shared_ptr<evp_pkey_st> key_;
  std::string kid_;
  bool is_ec_ = false;
  std::string curve_;
};

/// {"keys":[...]} of the given JWK objects.
std::string jwks(const std::vector<std::string>& jwk_objects);

/// The JSON header and payload of `spec` (exposed for tests that forge tokens by hand).
std::string token_header_json(const TokenSpec& spec, const std::string& default_kid);
std::string token_payload_json(const TokenSpec& spec);

}  // namespace nmo::test
