#include "service/ops/log.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <stdexcept>
#include <string>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace nmo::service::ops::log {
namespace {

std::atomic<int> g_level{static_cast<int>(Level::info)};
std::mutex g_write_mutex;

const char* level_name(Level level) {
  switch (level) {
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warn: return "warn";
    case Level::error: return "error";
  }
  return "info";
}

std::string timestamp() {
  const auto now = std::chrono::system_clock::now();
  const auto secs = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(millis));
  return buf;
}

}  // namespace

void set_level(Level level) { g_level.store(static_cast<int>(level), std::memory_order_relaxed); }

Level parse_level(std::string_view name) {
  if (name == "debug") return Level::debug;
  if (name == "warn") return Level::warn;
  if (name == "error") return Level::error;
  return Level::info;
}

bool enabled(Level level) { return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed); }

namespace {

template <class Fields>
void emit(Level level, std::string_view event, const Fields& fields) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  const std::string time = timestamp();
  w.Key("time");
  w.String(time.data(), static_cast<rapidjson::SizeType>(time.size()));
  w.Key("level");
  w.String(level_name(level));
  w.Key("event");
  w.String(event.data(), static_cast<rapidjson::SizeType>(event.size()));
  for (const auto& f : fields) {
    w.Key(f.key.data(), static_cast<rapidjson::SizeType>(f.key.size()));
    std::visit(
        [&w](const auto& v) {
          using V = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<V, std::string_view>) {
            w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
          } else if constexpr (std::is_same_v<V, std::int64_t>) {
            w.Int64(v);
          } else if constexpr (std::is_same_v<V, double>) {
            w.Double(v);
          } else {
            w.Bool(v);
          }
        },
        f.value);
  }
  w.EndObject();
  std::string line(buf.GetString(), buf.GetSize());
  line += '\n';
  std::lock_guard lock(g_write_mutex);
  std::size_t off = 0;
  while (off < line.size()) {
    const ssize_t n = ::write(STDOUT_FILENO, line.data() + off, line.size() - off);
    if (n <= 0) break;
    off += static_cast<std::size_t>(n);
  }
}

}  // namespace

void write(Level level, std::string_view event, const std::vector<Field>& fields) {
  if (enabled(level)) emit(level, event, fields);
}

void write(Level level, std::string_view event, std::initializer_list<Field> fields) {
  if (enabled(level)) emit(level, event, fields);
}

namespace {

std::mutex g_salt_mutex;
std::string g_salt;  // written by set_pseudonym_salt before serving; read-only afterwards

const std::string& salt() {
  static const bool ready = [] {
    std::lock_guard lock(g_salt_mutex);
    if (g_salt.empty()) {
      unsigned char random[32];
      if (RAND_bytes(random, sizeof random) != 1) throw std::runtime_error("no randomness for the log salt");
      g_salt.assign(reinterpret_cast<const char*>(random), sizeof random);
    }
    return true;
  }();
  (void)ready;
  return g_salt;
}

}  // namespace

void set_pseudonym_salt(std::string_view value) {
  std::lock_guard lock(g_salt_mutex);
  g_salt.assign(value);
}

std::string pseudonym(std::string_view id) {
  if (id.empty()) return {};
  const std::string& key = salt();
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(id.data()),
       id.size(), mac, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "p-";
  for (unsigned int i = 0; i < 8 && i < len; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 0xF];
  }
  return out;
}

void announce(std::string_view event, std::initializer_list<Field> fields) { emit(Level::info, event, fields); }

}  // namespace nmo::service::ops::log
