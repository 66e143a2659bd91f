#pragma once
// HMAC-SHA-256 under one key whose set-up is done once: re-initialising a keyed context reuses its key schedule,
// where the one-shot HMAC() fetches the digest and hashes the key on every call (issue 14: 21,000 instructions
// a call against 6,600). One object per thread (thread_local): a KeyedMac is not safe to share.

#include <cstdint>
#include <string_view>

struct evp_mac_ctx_st;

namespace nmo::service::ops {

class KeyedMac {
 public:
  KeyedMac() = default;
  ~KeyedMac();
  KeyedMac(const KeyedMac&) = delete;
  KeyedMac& operator=(const KeyedMac&) = delete;

  /// Keys the context (again); false on an OpenSSL failure, which leaves it unkeyed.
  bool set_key(std::string_view key);
  bool keyed() const { return ctx_ != nullptr; }
  /// The 32-byte MAC of `message` into `mac`; false when unkeyed or on an OpenSSL failure.
  bool compute(std::string_view message, unsigned char (&mac)[32]);

 private:
  evp_mac_ctx_st* ctx_ = nullptr;
};

}  // namespace nmo::service::ops
