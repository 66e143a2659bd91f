#include "service/auth/jwt.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <stdexcept>

#include "fhir/json.hpp"

namespace nmo::service::auth::jwt {
namespace {

using fhir::ProblemKind;

constexpr std::size_t kMaxTokenBytes = 16u << 10;

// The NumericDates a token may carry: from 2000-01-01T00:00:00Z to now + 10 years. `now` itself is clamped to
// a range far inside int64 so that `now + kLatestAhead` and `date ± skew` cannot overflow.
constexpr std::int64_t kEarliestDate = 946684800;
constexpr std::int64_t kLatestAhead = 10 * 366 * 86400;
constexpr std::int64_t kLatestNow = std::int64_t{1} << 40;
constexpr std::int64_t kMaxSkew = 86400;

fhir::JsonLimits token_json_limits() {
  fhir::JsonLimits l;
  l.max_bytes = kMaxTokenBytes;
  l.max_depth = 8;
  l.max_string_bytes = 4096;
  l.max_array_items = 64;
  return l;
}

// The value of each base64url character (RFC 4648 §5); 64 for every other byte.
constexpr std::array<std::uint8_t, 256> kBase64url = [] {
  std::array<std::uint8_t, 256> t{};
  t.fill(64);
  for (std::uint8_t i = 0; i < 26; ++i) {
    t['A' + i] = i;
    t['a' + i] = 26 + i;
  }
  for (std::uint8_t i = 0; i < 10; ++i) t['0' + i] = 52 + i;
  t['-'] = 62;
  t['_'] = 63;
  return t;
}();

// base64url_decode into `out` (its buffer reused), four characters at a time; false on anything it refuses.
bool decode_base64url(std::string_view text, std::string& out) {
  const std::size_t rest = text.size() % 4;  // 0, 2 or 3 characters after the last full group
  if (rest == 1) return false;
  out.resize(text.size() / 4 * 3 + (rest == 0 ? 0 : rest - 1));
  const auto* in = reinterpret_cast<const unsigned char*>(text.data());
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  const std::size_t full = text.size() - rest;
  for (std::size_t i = 0; i < full; i += 4) {
    const std::uint32_t a = kBase64url[in[i]], b = kBase64url[in[i + 1]], c = kBase64url[in[i + 2]],
                        d = kBase64url[in[i + 3]];
    if (((a | b | c | d) & 64) != 0) return false;
    const std::uint32_t v = a << 18 | b << 12 | c << 6 | d;
    *o++ = static_cast<unsigned char>(v >> 16);
    *o++ = static_cast<unsigned char>(v >> 8);
    *o++ = static_cast<unsigned char>(v);
  }
  if (rest == 0) return true;
  std::uint32_t v = 0;
  for (std::size_t i = full; i < text.size(); ++i) {
    if ((kBase64url[in[i]] & 64) != 0) return false;
    v = v << 6 | kBase64url[in[i]];
  }
  // The bits after the last whole byte must be zero (a canonical encoding): 4 of 12, or 2 of 18.
  const int spare = rest == 2 ? 4 : 2;
  if ((v & ((1u << spare) - 1)) != 0) return false;
  v >>= spare;
  if (rest == 3) *o++ = static_cast<unsigned char>(v >> 8);
  *o = static_cast<unsigned char>(v);
  return true;
}

// Decodes one base64url part of a token into `text` and parses it there, in place (issue 14), with the token
// limits and the document's values in `arena`. The document points into `text` and `arena`: both outlive it.
std::optional<rapidjson::Document> decode_object(std::string_view part, std::string& text,
                                                 rapidjson::MemoryPoolAllocator<>& arena) {
  if (!decode_base64url(part, text)) return std::nullopt;
  auto doc = fhir::parse_json_in_place(text, token_json_limits(), &arena);
  if (!doc || !doc->IsObject()) return std::nullopt;
  return std::move(*doc);
}

struct EvpPkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct CtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct BldFree {
  void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
struct SigFree {
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};

std::string member_string(const rapidjson::Value& obj, const char* name) {
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || !it->value.IsString()) return {};
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

// Builds an EVP_PKEY from OSSL_PARAMs (OpenSSL 3 provider API; no deprecated EC_KEY/RSA calls).
std::shared_ptr<EVP_PKEY> key_from_params(const char* type, const OSSL_PARAM* params) {
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0) return nullptr;
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, const_cast<OSSL_PARAM*>(params)) <= 0) return nullptr;
  std::shared_ptr<EVP_PKEY> key(raw, EvpPkeyFree{});
  // A point not on the curve (invalid-curve attacks) or a broken RSA modulus is refused here.
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) return nullptr;
  return key;
}

std::shared_ptr<EVP_PKEY> ec_key(const std::string& crv, const std::string& x, const std::string& y) {
  const std::size_t size = crv == "P-256" ? 32 : crv == "P-384" ? 48 : 0;
  if (size == 0 || x.size() != size || y.size() != size) return nullptr;
  std::string point = "\x04" + x + y;  // SEC 1 uncompressed point
  const char* group = crv == "P-256" ? "prime256v1" : "secp384r1";
  std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1) {
    return nullptr;
  }
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld.get()));
  if (!params) return nullptr;
  return key_from_params("EC", params.get());
}

std::shared_ptr<EVP_PKEY> rsa_key(const std::string& n, const std::string& e) {
  if (n.empty() || e.empty() || e.size() > 8) return nullptr;
  std::unique_ptr<BIGNUM, BnFree> bn_n(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()), static_cast<int>(n.size()), nullptr));
  std::unique_ptr<BIGNUM, BnFree> bn_e(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()), static_cast<int>(e.size()), nullptr));
  if (!bn_n || !bn_e || BN_num_bits(bn_n.get()) < 2048 || BN_num_bits(bn_n.get()) > 16384) return nullptr;
  std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    return nullptr;
  }
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld.get()));
  if (!params) return nullptr;
  return key_from_params("RSA", params.get());
}

struct AlgInfo {
  std::string_view name;
  const EVP_MD* (*md)();
  std::string_view kty;
  std::string_view crv;  // EC only
  std::size_t half;      // EC: bytes of R (and of S)
  bool pss;
};

// The supported algorithms; PublicKey::verifiers is indexed in this order.
constexpr std::array<AlgInfo, 5> kAlgorithms{{
    {"ES256", EVP_sha256, "EC", "P-256", 32, false},
    {"ES384", EVP_sha384, "EC", "P-384", 48, false},
    {"RS256", EVP_sha256, "RSA", "", 0, false},
    {"RS384", EVP_sha384, "RSA", "", 0, false},
    {"PS384", EVP_sha384, "RSA", "", 0, true},
}};
static_assert(kAlgorithms.size() == std::tuple_size_v<decltype(PublicKey::verifiers)>);

std::optional<std::size_t> alg_index(std::string_view alg) {
  for (std::size_t i = 0; i < kAlgorithms.size(); ++i) {
    if (kAlgorithms[i].name == alg) return i;
  }
  return std::nullopt;
}

// Whether `key` may verify `info`'s signatures: its type, its curve for EC, and its JWK alg when it names one.
bool fits(const PublicKey& key, const AlgInfo& info) {
  return key.key && key.kty == info.kty && (key.alg.empty() || key.alg == info.name) &&
         (key.kty != "EC" || key.crv == info.crv);
}

// Sets `md` up to verify `info`'s signatures with `key`.
bool init_verify(EVP_MD_CTX* md, const AlgInfo& info, EVP_PKEY* key) {
  EVP_PKEY_CTX* pctx = nullptr;  // owned by md
  if (EVP_DigestVerifyInit(md, &pctx, info.md(), nullptr, key) != 1) return false;
  if (info.pss) {
    // RFC 7518 §3.5: PSS with MGF1 on the same hash, salt as long as the hash.
    return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
           EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1 &&
           EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, info.md()) == 1;
  }
  return info.kty != "RSA" || EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1;
}

// PublicKey::verifiers of `key`: a context set up for each algorithm it fits.
void prepare_verifiers(PublicKey& key) {
  for (std::size_t i = 0; i < kAlgorithms.size(); ++i) {
    if (!fits(key, kAlgorithms[i])) continue;
    std::shared_ptr<EVP_MD_CTX> md(EVP_MD_CTX_new(), MdCtxFree{});
    if (md && init_verify(md.get(), kAlgorithms[i], key.key.get())) key.verifiers[i] = std::move(md);
  }
}

std::optional<PublicKey> parse_jwk(const rapidjson::Value& jwk) {
  if (!jwk.IsObject()) return std::nullopt;
  PublicKey k;
  k.kid = member_string(jwk, "kid");
  k.kty = member_string(jwk, "kty");
  k.alg = member_string(jwk, "alg");
  const std::string use = member_string(jwk, "use");
  if (!use.empty() && use != "sig") return std::nullopt;
  if (!k.alg.empty() && !is_supported_algorithm(k.alg)) return std::nullopt;
  if (k.kty == "EC") {
    k.crv = member_string(jwk, "crv");
    auto x = base64url_decode(member_string(jwk, "x"));
    auto y = base64url_decode(member_string(jwk, "y"));
    if (!x || !y) return std::nullopt;
    k.key = ec_key(k.crv, *x, *y);
  } else if (k.kty == "RSA") {
    auto n = base64url_decode(member_string(jwk, "n"));
    auto e = base64url_decode(member_string(jwk, "e"));
    if (!n || !e) return std::nullopt;
    k.key = rsa_key(*n, *e);
  }
  if (!k.key) return std::nullopt;
  prepare_verifiers(k);
  return k;
}

// A NumericDate (RFC 7519 §2): a JSON number of seconds; fractions are truncated; absurd values are malformed.
std::optional<std::int64_t> numeric_date(const rapidjson::Value& v, bool& bad) {
  if (v.IsInt64()) return v.GetInt64();
  if (v.IsDouble()) {
    const double d = v.GetDouble();
    if (std::isfinite(d) && std::fabs(d) < 1e15) return static_cast<std::int64_t>(d);
  }
  bad = true;
  return std::nullopt;
}

// RFC 7518 §3.4: an ECDSA JWS signature is R‖S, each left-padded to the curve size; OpenSSL verifies DER.
std::optional<std::string> ecdsa_raw_to_der(std::string_view raw, std::size_t half) {
  if (raw.size() != 2 * half) return std::nullopt;
  const auto* p = reinterpret_cast<const unsigned char*>(raw.data());
  std::unique_ptr<ECDSA_SIG, SigFree> sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(p, static_cast<int>(half), nullptr);
  BIGNUM* s = BN_bin2bn(p + half, static_cast<int>(half), nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return std::nullopt;
  }
  unsigned char* der = nullptr;
  const int len = i2d_ECDSA_SIG(sig.get(), &der);
  if (len <= 0) return std::nullopt;
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return out;
}

}  // namespace

const char* reason_code(Reason reason) {
  switch (reason) {
    case Reason::ok:
      return "ok";
    case Reason::no_token:
      return "no_token";
    case Reason::malformed:
      return "malformed";
    case Reason::alg_not_allowed:
      return "alg_not_allowed";
    case Reason::bad_typ:
      return "bad_typ";
    case Reason::missing_kid:
      return "missing_kid";
    case Reason::missing_claim:
      return "missing_claim";
    case Reason::unknown_issuer:
      return "unknown_issuer";
    case Reason::wrong_audience:
      return "wrong_audience";
    case Reason::expired:
      return "expired";
    case Reason::not_yet_valid:
      return "not_yet_valid";
    case Reason::issued_in_future:
      return "issued_in_future";
    case Reason::lifetime_too_long:
      return "lifetime_too_long";
    case Reason::tenant_not_allowed:
      return "tenant_not_allowed";
    case Reason::jku_not_allowed:
      return "jku_not_allowed";
    case Reason::unknown_kid:
      return "unknown_kid";
    case Reason::key_mismatch:
      return "key_mismatch";
    case Reason::bad_signature:
      return "bad_signature";
    case Reason::replayed:
      return "replayed";
    case Reason::replay_cache_full:
      return "replay_cache_full";
    case Reason::replay_store_unavailable:
      return "replay_store_unavailable";
    case Reason::not_loopback:
      return "unsigned_not_loopback";
    case Reason::not_configured:
      return "auth_not_configured";
  }
  return "unknown";
}

bool is_supported_algorithm(std::string_view alg) { return alg_index(alg).has_value(); }

std::optional<std::string> base64url_decode(std::string_view text) {
  std::string out;
  if (!decode_base64url(text, out)) return std::nullopt;
  return out;
}

std::string base64url_encode(std::string_view bytes) {
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

fhir::Result<std::vector<PublicKey>> parse_jwks(std::string_view json) {
  fhir::JsonLimits limits;
  limits.max_bytes = 1u << 20;
  limits.max_depth = 8;
  limits.max_string_bytes = 16384;
  limits.max_array_items = 256;
  auto doc = fhir::parse_json(json, limits);
  if (!doc) return doc.problem();
  if (!doc->IsObject() || !doc->HasMember("keys") || !(*doc)["keys"].IsArray()) {
    return fhir::make_problem(ProblemKind::invalid, "keys", "not a JWK Set: expected {\"keys\":[...]}");
  }
  std::vector<PublicKey> keys;
  for (const auto& jwk : (*doc)["keys"].GetArray()) {
    if (auto k = parse_jwk(jwk)) keys.push_back(std::move(*k));
  }
  if (keys.empty()) {
    return fhir::make_problem(ProblemKind::invalid, "keys",
                              "no usable signature key (EC P-256/P-384, or RSA of at least 2048 bits)");
  }
  return keys;
}

ParseResult parse(std::string_view compact, const std::vector<std::string>& allowed_algorithms) {
  ParseResult result;
  if (compact.empty() || compact.size() > kMaxTokenBytes) return result;
  const auto dot1 = compact.find('.');
  if (dot1 == std::string_view::npos) return result;
  const auto dot2 = compact.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || compact.find('.', dot2 + 1) != std::string_view::npos) return result;

  // The decoded header and payload, each parsed where it was decoded; the documents' values in an arena on the
  // stack. Nothing read from the documents outlives them: the Token keeps copies.
  std::string header_text, payload_text;
  alignas(std::max_align_t) std::array<char, 2048> arena_buffer;
  rapidjson::MemoryPoolAllocator<> arena(arena_buffer.data(), arena_buffer.size());
  auto header = decode_object(compact.substr(0, dot1), header_text, arena);
  if (!header) return result;
  const rapidjson::Value& head = *header;  // const: its member iterators compare unambiguously in C++20
  Token& t = result.token;
  const auto alg_it = head.FindMember("alg");
  if (alg_it == head.MemberEnd() || !alg_it->value.IsString()) return result;
  t.alg = member_string(*header, "alg");
  // CDS Hooks 2.0 §Trusting CDS Clients: "CDS Services SHALL NOT accept ... none ... or any symmetric
  // algorithm" — refused here, before the payload is decoded or any key is looked at.
  if (!is_supported_algorithm(t.alg) ||
      std::find(allowed_algorithms.begin(), allowed_algorithms.end(), t.alg) == allowed_algorithms.end()) {
    result.reason = Reason::alg_not_allowed;
    return result;
  }
  // A "crit" header names extensions we do not understand (RFC 7515 §4.1.11): refuse.
  if (header->HasMember("crit")) return result;
  for (const char* name : {"typ", "kid", "jku"}) {
    auto it = head.FindMember(name);
    if (it != head.MemberEnd() && !it->value.IsString()) return result;
  }
  t.typ = member_string(*header, "typ");
  t.kid = member_string(*header, "kid");
  t.jku = member_string(*header, "jku");
  // CDS Hooks 2.0: typ "JWT" (compared case-insensitively, RFC 7519 §5.1).
  std::string typ = t.typ;
  std::transform(typ.begin(), typ.end(), typ.begin(), [](unsigned char c) { return std::toupper(c); });
  if (header->HasMember("typ") && typ != "JWT") {
    result.reason = Reason::bad_typ;
    return result;
  }

  auto payload = decode_object(compact.substr(dot1 + 1, dot2 - dot1 - 1), payload_text, arena);
  if (!payload) return result;
  const rapidjson::Value& claims = *payload;
  if (!decode_base64url(compact.substr(dot2 + 1), t.signature) || t.signature.empty()) return result;
  t.signing_input = std::string(compact.substr(0, dot2));

  for (const char* name : {"iss", "jti", "tenant"}) {
    auto it = claims.FindMember(name);
    if (it != claims.MemberEnd() && !it->value.IsString()) return result;
  }
  t.iss = member_string(*payload, "iss");
  t.jti = member_string(*payload, "jti");
  if (payload->HasMember("tenant")) t.tenant = member_string(*payload, "tenant");
  if (auto it = claims.FindMember("aud"); it != claims.MemberEnd()) {
    if (it->value.IsString()) {
      t.aud.emplace_back(it->value.GetString(), it->value.GetStringLength());
    } else if (it->value.IsArray()) {
      for (const auto& a : it->value.GetArray()) {
        if (!a.IsString()) return result;
        t.aud.emplace_back(a.GetString(), a.GetStringLength());
      }
    } else {
      return result;
    }
  }
  bool bad = false;
  if (auto it = claims.FindMember("exp"); it != claims.MemberEnd()) t.exp = numeric_date(it->value, bad);
  if (auto it = claims.FindMember("iat"); it != claims.MemberEnd()) t.iat = numeric_date(it->value, bad);
  if (auto it = claims.FindMember("nbf"); it != claims.MemberEnd()) t.nbf = numeric_date(it->value, bad);
  if (bad) return result;

  // CDS Hooks 2.0: kid is required in the header; iss, aud, exp, iat, jti in the payload.
  if (t.kid.empty()) {
    result.reason = Reason::missing_kid;
    return result;
  }
  if (t.iss.empty() || t.aud.empty() || !t.exp || !t.iat || t.jti.empty()) {
    result.reason = Reason::missing_claim;
    return result;
  }
  result.reason = Reason::ok;
  return result;
}

Reason check_claims(const Token& t, const ClaimPolicy& p) {
  // CDS Hooks 2.0: aud is "the CDS Service endpoint that is being called by the CDS Client"; a string or a
  // one-element array of it.
  if (t.aud.size() != 1 || t.aud.front() != p.audience) return Reason::wrong_audience;
  if (!t.exp || !t.iat) return Reason::missing_claim;
  // Every NumericDate in a sane range before any arithmetic on it: none can overflow below (issue 11 item 4).
  const std::int64_t now = std::clamp(p.now, kEarliestDate, kLatestNow);
  const auto sane = [now](std::int64_t date) { return date >= kEarliestDate && date <= now + kLatestAhead; };
  if (!sane(*t.exp) || !sane(*t.iat) || (t.nbf && !sane(*t.nbf))) return Reason::malformed;
  const std::int64_t skew = std::clamp<std::int64_t>(p.skew_seconds, 0, kMaxSkew);
  if (*t.exp + skew <= p.now) return Reason::expired;
  if (t.nbf && *t.nbf - skew > p.now) return Reason::not_yet_valid;
  if (*t.iat - skew > p.now) return Reason::issued_in_future;
  if (*t.exp < *t.iat || *t.exp - *t.iat > p.max_lifetime_seconds) return Reason::lifetime_too_long;
  if (!p.tenants.empty()) {
    if (!t.tenant || std::find(p.tenants.begin(), p.tenants.end(), *t.tenant) == p.tenants.end()) {
      return Reason::tenant_not_allowed;
    }
  }
  return Reason::ok;
}

Reason verify_signature(const Token& token, const PublicKey& key) {
  const auto index = alg_index(token.alg);
  if (!index || !fits(key, kAlgorithms[*index])) return Reason::key_mismatch;
  const AlgInfo& info = kAlgorithms[*index];

  std::string der;
  std::string_view signature = token.signature;
  if (info.kty == "EC") {
    auto converted = ecdsa_raw_to_der(token.signature, info.half);
    if (!converted) return Reason::bad_signature;
    der = std::move(*converted);
    signature = der;
  }
  // A copy of the key's context set up once (parse_jwks), or one set up now for a key that has none.
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> md(EVP_MD_CTX_new());
  const EVP_MD_CTX* prepared = key.verifiers[*index].get();
  if (!md || (prepared != nullptr ? EVP_MD_CTX_copy_ex(md.get(), prepared) != 1
                                  : !init_verify(md.get(), info, key.key.get()))) {
    return Reason::key_mismatch;
  }
  const int rc =
      EVP_DigestVerify(md.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                       reinterpret_cast<const unsigned char*>(token.signing_input.data()), token.signing_input.size());
  return rc == 1 ? Reason::ok : Reason::bad_signature;
}

namespace {

// SHA-256 fetched once: OpenSSL 3 fetches EVP_sha256() again on every EVP_DigestInit_ex (a third of a hash of
// a jti). Never freed: it lives as long as the process.
const EVP_MD* sha256_md() {
  static const EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
  return md;
}

std::array<unsigned char, 32> sha256(std::string_view a, std::string_view b) {
  std::array<unsigned char, 32> digest{};
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> md(EVP_MD_CTX_new());
  unsigned int len = 0;
  const unsigned char separator = 0;
  if (!md || sha256_md() == nullptr || EVP_DigestInit_ex(md.get(), sha256_md(), nullptr) != 1 ||
      EVP_DigestUpdate(md.get(), a.data(), a.size()) != 1 || EVP_DigestUpdate(md.get(), &separator, 1) != 1 ||
      EVP_DigestUpdate(md.get(), b.data(), b.size()) != 1 || EVP_DigestFinal_ex(md.get(), digest.data(), &len) != 1) {
    throw std::runtime_error("SHA-256 unavailable");
  }
  return digest;
}

std::uint64_t load64(const unsigned char* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

std::string replay_key(std::string_view iss, std::string_view jti) {
  static constexpr char kHex[] = "0123456789abcdef";
  const auto digest = sha256(iss, jti);
  std::string out;
  for (std::size_t i = 0; i < 16; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xF];
  }
  return out;
}

ReplayCache::ReplayCache(std::size_t capacity_per_issuer)
    : share_per_shard_(std::max<std::size_t>(1, (capacity_per_issuer + kShards - 1) / kShards)) {}

Reason ReplayCache::remember(std::string_view iss, std::string_view jti, std::int64_t expires_at,
                             std::int64_t now) {
  // The issuer is part of the key (a jti is unique per issuer only) and names the share it counts against.
  const auto digest = sha256(iss, jti);
  const Key key{load64(digest.data()), load64(digest.data() + 8)};
  // The issuer's share by std::hash, not a second SHA-256 (issue 14: a third of remember()): an issuer here has
  // been allowlisted and has signed the token, so issuers are few and chosen by the operator, not by a caller.
  const std::uint64_t issuer = std::hash<std::string_view>{}(iss);
  Shard& other = shards_[next_purge_.fetch_add(1, std::memory_order_relaxed) % kShards];
  if (&other != &shards_[key.hi % kShards]) {
    std::lock_guard lock(other.mutex);
    purge(other, now);
  }
  Shard& shard = shards_[key.hi % kShards];
  std::lock_guard lock(shard.mutex);
  purge(shard, now);
  if (shard.entries.count(key) != 0) return Reason::replayed;
  std::size_t& used = shard.per_issuer[issuer];
  if (used >= share_per_shard_) return Reason::replay_cache_full;
  ++used;
  shard.entries.emplace(key, Entry{expires_at, issuer});
  shard.by_expiry.push(Expiry{expires_at, key});
  size_.fetch_add(1, std::memory_order_relaxed);
  return Reason::ok;
}

void ReplayCache::purge(std::int64_t now) {
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    purge(shard, now);
  }
}

void ReplayCache::purge(Shard& shard, std::int64_t now) {
  while (!shard.by_expiry.empty() && shard.by_expiry.top().at < now) {
    const Expiry oldest = shard.by_expiry.top();
    shard.by_expiry.pop();
    const auto it = shard.entries.find(oldest.key);
    if (it == shard.entries.end() || it->second.expires_at != oldest.at) continue;
    if (auto n = shard.per_issuer.find(it->second.issuer); n != shard.per_issuer.end() && --n->second == 0) {
      shard.per_issuer.erase(n);
    }
    shard.entries.erase(it);
    size_.fetch_sub(1, std::memory_order_relaxed);
  }
}

}  // namespace nmo::service::auth::jwt
