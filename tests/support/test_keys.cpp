#include "tests/support/test_keys.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <stdexcept>

namespace nmo::test {
namespace {

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("OpenSSL: ") + what);
}

std::string bn_bytes(const BIGNUM* bn, int pad = 0) {
  std::string out(static_cast<std::size_t>(pad > 0 ? pad : BN_num_bytes(bn)), '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(out.size()));
  return out;
}

std::string quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string bio_string(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  return out;
}

}  // namespace

std::string b64url(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (const char c : bytes) {
    acc = (acc << 8) | static_cast<unsigned char>(c);
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(acc >> bits) & 0x3Fu]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 0x3Fu]);
  return out;
}

TestKey::TestKey(std::shared_ptr<evp_pkey_st> key, std::string kid, bool is_ec, std::string curve)
    : key_(std::move(key)), kid_(std::move(kid)), is_ec_(is_ec), curve_(std::move(curve)) {}

TestKey TestKey::ec(const std::string& curve, std::string kid) {
  EVP_PKEY* k = EVP_EC_gen(curve == "P-256" ? "P-256" : "P-384");
  check(k != nullptr, "EVP_EC_gen");
  return TestKey(std::shared_ptr<EVP_PKEY>(k, EVP_PKEY_free), std::move(kid), true, curve);
}

TestKey TestKey::rsa(int bits, std::string kid) {
  EVP_PKEY* k = EVP_RSA_gen(static_cast<unsigned>(bits));
  check(k != nullptr, "EVP_RSA_gen");
  return TestKey(std::shared_ptr<EVP_PKEY>(k, EVP_PKEY_free), std::move(kid), false, "");
}

std::string TestKey::jwk() const {
  if (is_ec_) {
    unsigned char point[200];
    std::size_t len = 0;
    check(EVP_PKEY_get_octet_string_param(key_.get(), OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &len) == 1,
          "get pub key");
    check(len > 1 && point[0] == 0x04, "uncompressed point");
    const std::size_t half = (len - 1) / 2;
    const std::string x(reinterpret_cast<const char*>(point + 1), half);
    const std::string y(reinterpret_cast<const char*>(point + 1 + half), half);
    return "{\"kty\":\"EC\",\"use\":\"sig\",\"crv\":" + quote(curve_) + ",\"kid\":" + quote(kid_) +
           ",\"x\":" + quote(b64url(x)) + ",\"y\":" + quote(b64url(y)) + "}";
  }
  BIGNUM* n = nullptr;
  BIGNUM* e = nullptr;
  check(EVP_PKEY_get_bn_param(key_.get(), OSSL_PKEY_PARAM_RSA_N, &n) == 1, "get n");
  check(EVP_PKEY_get_bn_param(key_.get(), OSSL_PKEY_PARAM_RSA_E, &e) == 1, "get e");
  std::string out = "{\"kty\":\"RSA\",\"use\":\"sig\",\"kid\":" + quote(kid_) + ",\"n\":" + quote(b64url(bn_bytes(n))) +
                    ",\"e\":" + quote(b64url(bn_bytes(e))) + "}";
  BN_free(n);
  BN_free(e);
  return out;
}

std::string TestKey::sign(std::string_view alg, std::string_view input) const {
  const EVP_MD* md = (alg == "ES256" || alg == "RS256") ? EVP_sha256() : EVP_sha384();
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  check(EVP_DigestSignInit(ctx, &pctx, md, nullptr, key_.get()) == 1, "DigestSignInit");
  if (alg == "PS384") {
    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
    EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md);
  }
  std::size_t len = 0;
  check(EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1,
        "DigestSign size");
  std::string sig(len, '\0');
  check(EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1,
        "DigestSign");
  EVP_MD_CTX_free(ctx);
  sig.resize(len);
  if (!is_ec_) return sig;
  // DER → raw R‖S (RFC 7518 §3.4).
  const auto* p = reinterpret_cast<const unsigned char*>(sig.data());
  ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
  check(es != nullptr, "d2i_ECDSA_SIG");
  const int half = curve_ == "P-256" ? 32 : 48;
  std::string raw = bn_bytes(ECDSA_SIG_get0_r(es), half) + bn_bytes(ECDSA_SIG_get0_s(es), half);
  ECDSA_SIG_free(es);
  return raw;
}

std::string token_header_json(const TokenSpec& s, const std::string& default_kid) {
  std::string h = "{\"alg\":" + quote(s.alg);
  if (s.typ) h += ",\"typ\":" + quote(*s.typ);
  const std::string kid = s.kid.value_or(default_kid);
  if (!kid.empty()) h += ",\"kid\":" + quote(kid);
  if (s.jku) h += ",\"jku\":" + quote(*s.jku);
  return h + "}";
}

std::string token_payload_json(const TokenSpec& s) {
  std::string p = "{\"iss\":" + quote(s.iss) + ",\"aud\":" + (s.aud_as_array ? "[" + quote(s.aud) + "]" : quote(s.aud));
  p += ",\"iat\":" + std::to_string(s.iat) + ",\"exp\":" + std::to_string(s.exp);
  if (s.nbf) p += ",\"nbf\":" + std::to_string(*s.nbf);
  p += ",\"jti\":" + quote(s.jti);
  if (s.tenant) p += ",\"tenant\":" + quote(*s.tenant);
  return p + "}";
}

std::string TestKey::token(const TokenSpec& spec) const {
  const std::string input = b64url(token_header_json(spec, kid_)) + "." + b64url(token_payload_json(spec));
  return input + "." + b64url(sign(spec.alg, input));
}

std::string TestKey::private_key_pem() const {
  BIO* bio = BIO_new(BIO_s_mem());
  check(PEM_write_bio_PrivateKey(bio, key_.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1, "PEM key");
  return bio_string(bio);
}

std::string TestKey::certificate_pem(const std::string& common_name, long from_days, long days) const {
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), from_days * 86400L);
  X509_gmtime_adj(X509_getm_notAfter(x), (from_days + days) * 86400L);
  X509_set_pubkey(x, key_.get());
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                             -1, 0);
  X509_set_issuer_name(x, name);
  check(X509_sign(x, key_.get(), EVP_sha256()) > 0, "X509_sign");
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, x);
  X509_free(x);
  return bio_string(bio);
}

std::string jwks(const std::vector<std::string>& jwk_objects) {
  std::string out = "{\"keys\":[";
  for (std::size_t i = 0; i < jwk_objects.size(); ++i) out += (i ? "," : "") + jwk_objects[i];
  return out + "]}";
}

}  // namespace nmo::test
