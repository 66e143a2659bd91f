#include "service/ops/keyed_mac.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

namespace nmo::service::ops {

KeyedMac::~KeyedMac() { EVP_MAC_CTX_free(ctx_); }

bool KeyedMac::set_key(std::string_view key) {
  // Fetched on each (rare) keying, so that a failed fetch is tried again next time; the context holds its own
  // reference to the algorithm.
  EVP_MAC* hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MAC_CTX_free(ctx_);
  ctx_ = hmac ? EVP_MAC_CTX_new(hmac) : nullptr;
  EVP_MAC_free(hmac);
  if (ctx_ == nullptr) return false;
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_construct_end()};
  if (EVP_MAC_init(ctx_, reinterpret_cast<const unsigned char*>(key.data()), key.size(), params) != 1) {
    EVP_MAC_CTX_free(ctx_);
    ctx_ = nullptr;
    return false;
  }
  return true;
}

bool KeyedMac::compute(std::string_view message, unsigned char (&mac)[32]) {
  if (ctx_ == nullptr || EVP_MAC_init(ctx_, nullptr, 0, nullptr) != 1) return false;
  unsigned char out[EVP_MAX_MD_SIZE];
  std::size_t len = 0;
  if (EVP_MAC_update(ctx_, reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1 ||
      EVP_MAC_final(ctx_, out, &len, sizeof out) != 1 || len != 32)
    return false;
  for (std::size_t i = 0; i < 32; ++i) mac[i] = out[i];
  return true;
}

}  // namespace nmo::service::ops
