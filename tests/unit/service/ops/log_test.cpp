// The log: pseudonyms are HMAC-SHA-256 of the salt; lines queued for the writer thread come out whole, in order
// and in the same format as synchronous ones; a full ring drops (and the caller counts) instead of waiting; a
// repeated warning passes once per interval with its count.
#include "service/ops/log.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "service/ops/log_ring.hpp"

namespace ops = nmo::service::ops;

namespace {

std::string reference_pseudonym(const std::string& salt, const std::string& id) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), salt.data(), static_cast<int>(salt.size()), reinterpret_cast<const unsigned char*>(id.data()),
       id.size(), mac, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "p-";
  for (unsigned i = 0; i < 8; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 0xF];
  }
  return out;
}

// Runs `body` with stdout redirected to a file; returns what was written.
template <class Body>
std::string capture_stdout(Body body) {
  char path[] = "/tmp/nmo-log-test-XXXXXX";
  const int fd = ::mkstemp(path);
  BOOST_REQUIRE(fd >= 0);
  std::fflush(stdout);
  const int saved = ::dup(STDOUT_FILENO);
  ::dup2(fd, STDOUT_FILENO);
  body();
  ::dup2(saved, STDOUT_FILENO);
  ::close(saved);
  ::close(fd);
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  ::unlink(path);
  return s.str();
}

void write_lines(int from, int to) {
  for (int i = from; i < to; ++i) {
    ops::log::write(ops::log::Level::info, "request",
               {{"route", "service"}, {"n", static_cast<std::int64_t>(i)}, {"ms", 0.25}, {"ok", true},
                {"text", "quote \" and \\ and \n"}});
  }
}

std::string without_times(const std::string& text) {
  static const std::regex time(R"("time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")");
  return std::regex_replace(text, time, R"("time":"T")");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(log_lines)

BOOST_AUTO_TEST_CASE(pseudonym_is_hmac_sha256_of_the_salt_in_every_thread_and_after_a_new_salt) {
  ops::log::set_pseudonym_salt("first-salt");
  BOOST_TEST(ops::log::pseudonym("patient-1") == reference_pseudonym("first-salt", "patient-1"));
  BOOST_TEST(ops::log::pseudonym("patient-2") == reference_pseudonym("first-salt", "patient-2"));
  BOOST_TEST(ops::log::pseudonym("patient-1") == reference_pseudonym("first-salt", "patient-1"));  // context reused
  std::string other_thread;
  std::thread([&] { other_thread = ops::log::pseudonym("patient-1"); }).join();
  BOOST_TEST(other_thread == reference_pseudonym("first-salt", "patient-1"));
  ops::log::set_pseudonym_salt("second-salt");
  BOOST_TEST(ops::log::pseudonym("patient-1") == reference_pseudonym("second-salt", "patient-1"));
  BOOST_TEST(ops::log::pseudonym("").empty());
}

BOOST_AUTO_TEST_CASE(queued_lines_are_written_whole_in_order_and_as_synchronous_ones) {
  const std::string direct = capture_stdout([] { write_lines(0, 200); });
  const std::string queued = capture_stdout([] {
    ops::log::start_writer(64);
    write_lines(0, 200);  // more lines than the ring holds, from one thread that waits for none
    ops::log::flush();
    ops::log::stop_writer();
  });
  // Lines may be dropped when the writer falls behind; those written are whole, in order and unchanged.
  std::istringstream d(without_times(direct)), q(without_times(queued));
  std::vector<std::string> expected, got;
  for (std::string line; std::getline(d, line);) expected.push_back(line);
  for (std::string line; std::getline(q, line);) got.push_back(line);
  BOOST_REQUIRE_EQUAL(expected.size(), 200u);
  BOOST_TEST(got.size() + ops::log::dropped_lines() == 200u);
  std::size_t e = 0;
  for (const auto& line : got) {
    while (e < expected.size() && expected[e] != line) ++e;
    BOOST_TEST(e < expected.size(), "a queued line differs from every direct one, or came out of order: " << line);
  }
  BOOST_TEST(queued.back() == '\n');
}

BOOST_AUTO_TEST_CASE(announce_writes_what_was_queued_first_then_itself) {
  const std::string out = capture_stdout([] {
    ops::log::start_writer(1024);
    write_lines(0, 3);
    ops::log::announce("stopping");
    ops::log::stop_writer();
  });
  std::istringstream in(out);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  BOOST_REQUIRE_EQUAL(lines.size(), 4u);
  BOOST_TEST(lines.back().find(R"("event":"stopping")") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_writer_thread_never_takes_a_signal_meant_for_sigwait) {
  // The service blocks SIGTERM in its threads and waits for it with sigwait; a writer thread that left it
  // unblocked would take it and die with the process (seen as "killed by signal Terminated"). Checked on the
  // thread's mask in /proc (SigBlk), whatever the mask of the thread that started it.
  sigset_t stop_signals, before;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_UNBLOCK, &stop_signals, &before);  // started from a thread that takes them
  capture_stdout([] {
    ops::log::start_writer(64);
    write_lines(0, 1);
    ops::log::flush();  // the writer has run; it inherited the mask start_writer set around its creation
  });
  pthread_sigmask(SIG_SETMASK, &before, nullptr);
  int others = 0;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    if (task.path().filename() == std::to_string(::getpid())) continue;  // the main thread
    std::ifstream status(task.path() / "status");
    std::string line, blocked;
    while (std::getline(status, line)) {
      if (line.rfind("SigBlk:", 0) == 0) blocked = line.substr(7);
    }
    const unsigned long long mask = std::stoull(blocked, nullptr, 16);
    ++others;
    BOOST_TEST((mask & (1ull << (SIGTERM - 1))) != 0, "thread " << task.path().filename() << " takes SIGTERM");
    BOOST_TEST((mask & (1ull << (SIGINT - 1))) != 0);
  }
  BOOST_TEST(others >= 1);  // the writer
  ops::log::stop_writer();
}

BOOST_AUTO_TEST_CASE(a_full_ring_refuses_a_line_instead_of_waiting) {
  ops::log::LogRing ring(4);
  BOOST_TEST(ring.capacity() == 4u);
  for (int i = 0; i < 4; ++i) BOOST_TEST(ring.push("line " + std::to_string(i) + "\n"));
  BOOST_TEST(!ring.push("one too many\n"));
  std::string out;
  BOOST_TEST(ring.drain(out) == 4u);
  BOOST_TEST(out == "line 0\nline 1\nline 2\nline 3\n");
  BOOST_TEST(!ring.ready());
  BOOST_TEST(ring.push("again\n"));
  BOOST_TEST(ring.ready());
}

BOOST_AUTO_TEST_CASE(ring_loses_no_accepted_line_under_concurrent_producers) {
  ops::log::LogRing ring(256);
  std::atomic<int> accepted{0};
  std::atomic<bool> done{false};
  std::size_t drained = 0;
  std::string out;
  std::thread consumer([&] {
    while (!done.load()) drained += ring.drain(out);
    drained += ring.drain(out);
  });
  std::vector<std::thread> producers;
  for (int t = 0; t < 4; ++t) {
    producers.emplace_back([&, t] {
      for (int i = 0; i < 20000; ++i) {
        if (ring.push("t" + std::to_string(t) + "\n")) accepted.fetch_add(1);
      }
    });
  }
  for (auto& p : producers) p.join();
  done.store(true);
  consumer.join();
  BOOST_TEST(drained == static_cast<std::size_t>(accepted.load()));
  BOOST_TEST(out.size() == drained * 3);
}

BOOST_AUTO_TEST_CASE(a_repeated_warning_passes_once_per_interval_with_its_count) {
  using std::chrono::seconds;
  ops::log::Every every(std::chrono::minutes(1));
  const auto t0 = std::chrono::steady_clock::time_point(std::chrono::hours(1000));
  std::int64_t n = 0;
  BOOST_TEST(every.due(t0, n));
  BOOST_TEST(n == 1);
  BOOST_TEST(!every.due(t0 + seconds(1), n));
  BOOST_TEST(!every.due(t0 + seconds(59), n));
  BOOST_TEST(every.due(t0 + seconds(60), n));
  BOOST_TEST(n == 3);
  BOOST_TEST(!every.due(t0 + seconds(61), n));
}

BOOST_AUTO_TEST_SUITE_END()
