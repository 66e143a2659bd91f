// Engine benchmarks (issue #7): parse → PatientRecord → evaluate → write, each alone and all together, on a
// typical chart (30 resources), a heavy chart (500) and a series from 10 to 2,000 resources whose fitted
// complexity (Google Benchmark's Complexity(oN)) shows the cost grows linearly. Fixtures: chart.hpp
// (deterministic). `call_hook` is the service's whole request path minus HTTP (validation included). `parse` is
// fhir::parse_json (copying); `parse_in_place` and `pipeline` parse as begin_hook does (issue 14).
// Run: build/<dir>/tests/bench/bench_engine [--benchmark_filter=typical]

#include <benchmark/benchmark.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "cards/card.hpp"
#include "cards/engine.hpp"
#include "cards/knowledge_base.hpp"
#include "cards/knowledge_model.hpp"
#include "chart.hpp"
#include "fhir/json.hpp"
#include "fhir/record_reader.hpp"
#include "service/feedback/quiet_book.hpp"
#include "service/hook_call.hpp"
#include "service/quieting.hpp"
#include "service/runtime.hpp"
#include "service/services.hpp"

namespace {

using nmo::bench::ChartHook;
namespace cards = nmo::cards;
namespace fhir = nmo::fhir;
namespace service = nmo::service;

constexpr std::int64_t kNow = 1795478400;  // 2026-11-24T00:00:00Z, the stories' "now"
constexpr std::int64_t kTypical = 30;
constexpr std::int64_t kHeavy = 500;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

const service::Runtime& runtime() {
  static const service::Runtime rt = [] {
    std::vector<cards::KnowledgeFile> files;
    for (const char* name : {"meta.json", "systems.json", "valuesets.json", "agents.json", "formulary.json",
                             "thresholds.json", "citations.json", "cards.json", "open-items.json"}) {
      files.push_back({name, read_file(std::string(NMO_SOURCE_DIR) + "/config/knowledge/" + name)});
    }
    auto kb = cards::load_knowledge(files);
    if (!kb) throw std::runtime_error("knowledge does not load: " + kb.problem().message);
    service::Runtime r;
    r.knowledge = *kb;
    return r;
  }();
  return rt;
}

const service::ServiceDef& service_for(ChartHook hook) {
  return *service::find_service(hook == ChartHook::patient_view ? "nmosd-patient-view" : "nmosd-order-select");
}

// What the stages need, built once per (size, hook) outside the timed loops.
struct Fixture {
  std::string text;
  fhir::PatientRecord record;
  cards::HookInput input;
  std::vector<cards::Card> cards;
  std::string response;
};

void read_record(const rapidjson::Document& doc, ChartHook hook, fhir::PatientRecord& record) {
  const rapidjson::Value& prefetch = doc["prefetch"];
  for (const auto& [key, tmpl] : service_for(hook).prefetch) {
    auto it = prefetch.FindMember(key.c_str());
    if (it == prefetch.MemberEnd()) throw std::runtime_error("fixture lacks prefetch." + key);
    if (auto p = fhir::read_resources(it->value, "prefetch." + key, record)) throw std::runtime_error(p->message);
  }
  if (hook == ChartHook::order_select) {
    if (auto p = fhir::read_draft_orders(doc["context"]["draftOrders"], "context.draftOrders", record)) {
      throw std::runtime_error(p->message);
    }
  }
}

cards::HookInput hook_input(ChartHook hook, const fhir::PatientRecord& record) {
  cards::HookInput in;
  in.hook = hook == ChartHook::patient_view ? cards::Hook::patient_view : cards::Hook::order_select;
  in.service_id = service_for(hook).id;
  in.hook_instance = "3f2c1e6a-8b1d-4c2e-9a7f-5d6e7f8a9b0c";
  in.fhir_version = record.version == fhir::FhirVersion::unknown ? fhir::FhirVersion::r4 : record.version;
  in.patient_id = "pat";
  in.user_id = "Practitioner/example";
  if (hook == ChartHook::order_select) in.selections = {"MedicationRequest/draft-1"};
  in.now = kNow;
  return in;
}

const Fixture& fixture(std::int64_t resources, ChartHook hook) {
  static std::map<std::pair<std::int64_t, ChartHook>, std::unique_ptr<Fixture>> cache;
  auto& slot = cache[{resources, hook}];
  if (!slot) {
    auto f = std::make_unique<Fixture>();
    f->text = nmo::bench::make_chart_request(static_cast<std::size_t>(resources), hook);
    auto doc = fhir::parse_json(f->text);
    if (!doc) throw std::runtime_error("fixture does not parse: " + doc.problem().message);
    read_record(*doc, hook, f->record);
    f->input = hook_input(hook, f->record);
    f->cards = cards::evaluate(f->input, f->record, *runtime().knowledge);
    if (f->cards.empty()) throw std::runtime_error("fixture chart raises no card");
    f->response = cards::write_response(f->cards);
    slot = std::move(f);
  }
  return *slot;
}

void finish(benchmark::State& state, const Fixture& f) {
  state.SetComplexityN(state.range(0));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * f.text.size()));
  state.counters["request_bytes"] = static_cast<double>(f.text.size());
}

// As begin_hook parses a request (service/hook_call.cpp): in situ, in a reused copy of the body, the values in an
// arena over a reused buffer.
struct InPlace {
  std::string text;
  alignas(std::max_align_t) std::array<char, 64 * 1024> buffer;  // RapidJSON puts its ChunkHeader here
};

InPlace& scratch() {
  static InPlace s;
  return s;
}

void parse_in_place(benchmark::State& state, ChartHook hook) {
  const Fixture& f = fixture(state.range(0), hook);
  InPlace& in = scratch();
  for (auto _ : state) {
    in.text.assign(f.text);
    rapidjson::MemoryPoolAllocator<> arena(in.buffer.data(), in.buffer.size());
    auto doc = fhir::parse_json_in_place(in.text, {}, &arena);
    benchmark::DoNotOptimize(doc);
  }
  finish(state, f);
}

void parse(benchmark::State& state, ChartHook hook) {
  const Fixture& f = fixture(state.range(0), hook);
  for (auto _ : state) {
    auto doc = fhir::parse_json(f.text);
    benchmark::DoNotOptimize(doc);
  }
  finish(state, f);
}

void record(benchmark::State& state, ChartHook hook) {
  const Fixture& f = fixture(state.range(0), hook);
  auto doc = fhir::parse_json(f.text);
  for (auto _ : state) {
    fhir::PatientRecord r;
    read_record(*doc, hook, r);
    benchmark::DoNotOptimize(r);
  }
  finish(state, f);
}

void evaluate(benchmark::State& state, ChartHook hook) {
  const Fixture& f = fixture(state.range(0), hook);
  const cards::KnowledgeBase& kb = *runtime().knowledge;
  for (auto _ : state) {
    auto c = cards::evaluate(f.input, f.record, kb);
    benchmark::DoNotOptimize(c);
  }
  finish(state, f);
}

void write(benchmark::State& state, ChartHook hook) {
  const Fixture& f = fixture(state.range(0), hook);
  for (auto _ : state) {
    auto s = cards::write_response(f.cards);
    benchmark::DoNotOptimize(s);
  }
  finish(state, f);
  state.counters["response_bytes"] = static_cast<double>(f.response.size());
}

// parse + record + evaluate + write, as the service chains them (parsing in place, as begin_hook does).
void pipeline(benchmark::State& state, ChartHook hook) {
  const Fixture& f = fixture(state.range(0), hook);
  const cards::KnowledgeBase& kb = *runtime().knowledge;
  InPlace& in = scratch();
  for (auto _ : state) {
    in.text.assign(f.text);
    rapidjson::MemoryPoolAllocator<> arena(in.buffer.data(), in.buffer.size());
    auto doc = fhir::parse_json_in_place(in.text, {}, &arena);
    fhir::PatientRecord r;
    read_record(*doc, hook, r);
    auto s = cards::write_response(cards::evaluate(f.input, r, kb));
    benchmark::DoNotOptimize(s);
  }
  finish(state, f);
}

// The service's request path without HTTP: validation, prefetch, engine, JSON (service/hook_call.cpp).
void call_hook(benchmark::State& state, ChartHook hook) {
  const Fixture& f = fixture(state.range(0), hook);
  const service::ServiceDef& svc = service_for(hook);
  for (auto _ : state) {
    auto out = service::call_hook(svc, f.text, runtime(), kNow);
    if (!out) {
      state.SkipWithError(out.problem().message.c_str());
      break;
    }
    benchmark::DoNotOptimize(out);
  }
  finish(state, f);
}

// Quieting (issue 13): a book of 10,000 patients with overrides, this patient among them with one override of
// another rule, held in memory as in service (the store is a stand-in: sync() is off the request path).
class BenchQuietStore final : public service::feedback::QuietStore {
 public:
  void record(const std::vector<service::feedback::IssuedCard>&,
              const std::vector<service::feedback::WeekTally>&) override {}
  std::vector<service::feedback::WeekTally> tallies() override { return {}; }
  std::vector<service::feedback::OverrideRow> overrides(std::int64_t) override { return rows; }
  void prune(std::int64_t, std::int64_t) override {}
  std::string describe() const override { return "bench"; }
  std::vector<service::feedback::OverrideRow> rows;
};

const service::Runtime& quiet_runtime() {
  static const service::Runtime rt = [] {
    service::Runtime r = runtime();
    auto store = std::make_shared<BenchQuietStore>();
    service::feedback::QuietSettings settings;
    settings.key = "bench key";
    auto book = std::make_shared<service::feedback::QuietBook>(store, r.knowledge, settings);
    for (int i = 0; i < 10000; ++i) {
      const std::string patient =
          i == 0 ? book->pseudonym("unsigned", "https://fhir.example.org/r4", "pat").value_or("") : "q-" + std::to_string(i);
      store->rows.push_back({patient, "NMOSD-12", "d", "patient-view", r.knowledge->override_system(), "access", "", "2026-11-01T00:00:00Z",
                             "2026-11-01T00:00:00Z"});
    }
    book->sync(kNow);
    r.quiet = book;
    return r;
  }();
  return rt;
}

// The step quieting adds to a hook call: pseudonym (HMAC-SHA-256), lookup, apply_quiet, issued cards queued. The
// queue is drained outside the timing now and then, as the book's thread would.
void quiet(benchmark::State& state, ChartHook hook) {
  const Fixture& f = fixture(state.range(0), hook);
  const service::Runtime& rt = quiet_runtime();
  std::int64_t n = 0;
  for (auto _ : state) {
    std::vector<std::string> quieted;
    cards::HookInput input = f.input;
    input.patient_key = rt.quiet->pseudonym("unsigned", "https://fhir.example.org/r4", input.patient_id).value_or("");
    auto shown = service::quiet_cards(input, f.cards, rt, quieted);
    benchmark::DoNotOptimize(shown);
    if (++n % 50000 == 0) {
      state.PauseTiming();
      rt.quiet->sync(kNow);
      state.ResumeTiming();
    }
  }
  finish(state, f);
}

// call_hook with quieting on: compare with call_hook for the latency quieting adds.
void call_hook_quiet(benchmark::State& state, ChartHook hook) {
  const Fixture& f = fixture(state.range(0), hook);
  const service::ServiceDef& svc = service_for(hook);
  const service::Runtime& rt = quiet_runtime();
  std::int64_t n = 0;
  for (auto _ : state) {
    auto out = service::call_hook(svc, f.text, rt, kNow);
    if (!out) {
      state.SkipWithError(out.problem().message.c_str());
      break;
    }
    benchmark::DoNotOptimize(out);
    if (++n % 50000 == 0) {
      state.PauseTiming();
      rt.quiet->sync(kNow);
      state.ResumeTiming();
    }
  }
  finish(state, f);
}

void register_all() {
  using Fn = void (*)(benchmark::State&, ChartHook);
  const std::pair<const char*, Fn> stages[] = {{"parse", parse},       {"parse_in_place", parse_in_place},
                                               {"record", record},
                                               {"evaluate", evaluate}, {"write", write},
                                               {"pipeline", pipeline}, {"call_hook", call_hook},
                                               {"quiet", quiet},       {"call_hook_quiet", call_hook_quiet}};
  for (const auto& [name, fn] : stages) {
    for (const auto& [label, n] : {std::pair{"typical", kTypical}, std::pair{"heavy", kHeavy}}) {
      benchmark::RegisterBenchmark((std::string(name) + "/patient-view/" + label).c_str(), fn,
                                   ChartHook::patient_view)
          ->Arg(n)
          ->Unit(benchmark::kMicrosecond);
    }
    benchmark::RegisterBenchmark((std::string(name) + "/order-select/typical").c_str(), fn, ChartHook::order_select)
        ->Arg(kTypical)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark((std::string(name) + "/series").c_str(), fn, ChartHook::patient_view)
        ->RangeMultiplier(2)
        ->Range(10, 2000)
        ->Complexity(benchmark::oN)
        ->Unit(benchmark::kMicrosecond);
  }
}

}  // namespace

int main(int argc, char** argv) {
  try {
    fixture(kTypical, ChartHook::patient_view);  // fails fast if the knowledge or a fixture is broken
    fixture(kTypical, ChartHook::order_select);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_engine: %s\n", e.what());
    return 1;
  }
  register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
