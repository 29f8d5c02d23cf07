// Jaeger's API v3 (OTLP JSON) as Perses trace data: the console's trace-query plugin.
// No Perses plugin speaks Jaeger's API, and Jaeger has no Tempo-compatible routes, so this
// adapter turns /api/v3 answers into what TraceTable and TracingGanttChart draw.
import { AbsoluteTimeRange, TraceData, TraceSearchResult } from '@perses-dev/core';
import { TraceQueryPlugin, parseVariables, replaceVariables } from '@perses-dev/plugin-system';

export const JAEGER_API = '/api/jaeger/api/v3';

export interface JaegerTraceQuerySpec extends Record<string, unknown> {
  traceId?: string;
  service?: string;
  operation?: string;
  tags?: string; // logfmt: key=value key2="a b"
  minDuration?: string; // Go durations: 100ms, 1.5s
  maxDuration?: string;
  limit?: number;
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

// OTLP's enums arrive as numbers from Jaeger; Perses reads OTLP JSON's string names.
const SPAN_KINDS = [
  'SPAN_KIND_UNSPECIFIED',
  'SPAN_KIND_INTERNAL',
  'SPAN_KIND_SERVER',
  'SPAN_KIND_CLIENT',
  'SPAN_KIND_PRODUCER',
  'SPAN_KIND_CONSUMER',
];
const STATUS_CODES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];

async function getJson(url: string): Promise<Json> {
  const response = await fetch(url);
  const body = await response.text();
  if (!response.ok) {
    // Jaeger answers 404 with an error body when a search finds nothing.
    if (response.status === 404) return { result: { resourceSpans: [] } };
    throw new Error(`Jaeger ${url}: HTTP ${response.status}: ${body.slice(0, 300)}`);
  }
  return JSON.parse(body) as Json;
}

function normaliseSpan(span: Json): Json {
  const kind = typeof span.kind === 'number' ? SPAN_KINDS[span.kind] : span.kind;
  const code = span.status?.code;
  const status = span.status
    ? { ...span.status, code: typeof code === 'number' ? STATUS_CODES[code] : code }
    : undefined;
  return { ...span, kind, status, startTimeUnixNano: String(span.startTimeUnixNano), endTimeUnixNano: String(span.endTimeUnixNano) };
}

/** OTLP JSON from Jaeger with enum names Perses understands. */
export function normaliseTraces(data: Json): Json {
  const resourceSpans = (data.resourceSpans ?? []).map((rs: Json) => ({
    ...rs,
    scopeSpans: (rs.scopeSpans ?? []).map((ss: Json) => ({ ...ss, spans: (ss.spans ?? []).map(normaliseSpan) })),
  }));
  return { resourceSpans };
}

interface FlatSpan {
  service: string;
  span: Json;
}

export function flatten(data: Json): FlatSpan[] {
  const spans: FlatSpan[] = [];
  for (const rs of data.resourceSpans ?? []) {
    const attr = (rs.resource?.attributes ?? []).find((a: Json) => a.key === 'service.name');
    const service = attr?.value?.stringValue ?? 'unknown';
    for (const ss of rs.scopeSpans ?? []) for (const span of ss.spans ?? []) spans.push({ service, span });
  }
  return spans;
}

function attributeText(value: Json | undefined): string {
  if (!value) return '';
  const v = value.stringValue ?? value.intValue ?? value.boolValue ?? value.doubleValue;
  return v === undefined ? JSON.stringify(value) : String(v);
}

/** key=value pairs of a logfmt string (values may be quoted). */
export function parseTags(tags: string | undefined): Array<[string, string]> {
  const found: Array<[string, string]> = [];
  for (const m of (tags ?? '').matchAll(/([^\s=]+)=("([^"]*)"|\S*)/g)) found.push([m[1]!, m[3] ?? m[2]!]);
  return found;
}

function spanMatches(span: Json, tags: Array<[string, string]>, resource: Json[]): boolean {
  const attrs = [...(span.attributes ?? []), ...resource];
  return tags.every(([key, want]) => attrs.some((a: Json) => a.key === key && attributeText(a.value) === want));
}

/** Group spans by trace; Jaeger's v3 HTTP search ignores attributes, so tags filter here. */
export function searchResults(data: Json, tags: Array<[string, string]>): TraceSearchResult[] {
  const byTrace = new Map<string, { spans: FlatSpan[]; matched: boolean }>();
  for (const rs of data.resourceSpans ?? []) {
    const resource = rs.resource?.attributes ?? [];
    for (const flat of flatten({ resourceSpans: [rs] })) {
      const entry = byTrace.get(flat.span.traceId) ?? { spans: [], matched: tags.length === 0 };
      entry.spans.push(flat);
      entry.matched ||= spanMatches(flat.span, tags, resource);
      byTrace.set(flat.span.traceId, entry);
    }
  }
  const results: TraceSearchResult[] = [];
  for (const [traceId, { spans, matched }] of byTrace) {
    if (!matched) continue;
    const start = Math.min(...spans.map((s) => Number(s.span.startTimeUnixNano)));
    const end = Math.max(...spans.map((s) => Number(s.span.endTimeUnixNano)));
    const root = spans.find((s) => !s.span.parentSpanId) ?? spans[0]!;
    const serviceStats: TraceSearchResult['serviceStats'] = {};
    for (const { service, span } of spans) {
      const stats = (serviceStats[service] ??= { spanCount: 0 });
      stats.spanCount += 1;
      if (span.status?.code === 2 || span.status?.code === 'STATUS_CODE_ERROR') stats.errorCount = (stats.errorCount ?? 0) + 1;
    }
    results.push({
      traceId,
      rootServiceName: root.service,
      rootTraceName: root.span.name,
      startTimeUnixMs: start / 1e6,
      durationMs: (end - start) / 1e6,
      serviceStats,
    });
  }
  return results.sort((a, b) => b.startTimeUnixMs - a.startTimeUnixMs);
}

export async function getTrace(traceId: string): Promise<Json> {
  const body = await getJson(`${JAEGER_API}/traces/${encodeURIComponent(traceId)}`);
  return normaliseTraces(body.result ?? { resourceSpans: [] });
}

export async function findTraces(spec: JaegerTraceQuerySpec, range: AbsoluteTimeRange): Promise<TraceSearchResult[]> {
  const tags = parseTags(spec.tags);
  const limit = spec.limit ?? 20;
  const params = new URLSearchParams({
    'query.service_name': spec.service ?? '',
    'query.start_time_min': range.start.toISOString(),
    'query.start_time_max': range.end.toISOString(),
    // Tags filter after the search, so look deeper when there are some.
    'query.num_traces': String(tags.length ? Math.max(limit * 10, 200) : limit),
  });
  if (spec.operation) params.set('query.operation_name', spec.operation);
  if (spec.minDuration) params.set('query.duration_min', spec.minDuration);
  if (spec.maxDuration) params.set('query.duration_max', spec.maxDuration);
  const body = await getJson(`${JAEGER_API}/traces?${params}`);
  return searchResults(body.result ?? {}, tags).slice(0, limit);
}

export async function listServices(): Promise<string[]> {
  const body = await getJson(`${JAEGER_API}/services`);
  return ((body.services ?? []) as string[]).sort();
}

export async function listOperations(service: string): Promise<string[]> {
  const body = await getJson(`${JAEGER_API}/operations?service=${encodeURIComponent(service)}`);
  const names = new Set<string>((body.operations ?? []).map((o: Json) => o.name as string));
  return [...names].sort();
}

function lastHour(): AbsoluteTimeRange {
  const end = new Date();
  return { start: new Date(end.getTime() - 3600_000), end };
}

export const JaegerTraceQuery: TraceQueryPlugin<JaegerTraceQuerySpec> = {
  createInitialOptions: () => ({ service: '', limit: 20 }),
  dependsOn: (spec) => ({
    variables: [spec.service, spec.operation, spec.tags, spec.traceId].flatMap((text) => parseVariables(text ?? '')),
  }),
  getTraceData: async (spec, ctx): Promise<TraceData> => {
    const fill = (text?: string): string | undefined => (text ? replaceVariables(text, ctx.variableState) : text);
    const traceId = fill(spec.traceId);
    if (traceId) return { trace: (await getTrace(traceId)) as TraceData['trace'] };
    const filled = { ...spec, service: fill(spec.service), operation: fill(spec.operation), tags: fill(spec.tags) };
    const searchResult = await findTraces(filled, ctx.absoluteTimeRange ?? lastHour());
    return { searchResult, metadata: { executedQueryString: JSON.stringify(filled) } };
  },
};
