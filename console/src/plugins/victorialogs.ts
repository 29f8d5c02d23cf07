// VictoriaLogs' LogsQL as Perses log data: the console's log-query plugin. No Perses plugin
// speaks VictoriaLogs (and it serves no Loki API), so this adapter asks /select/logsql/query
// (JSON lines) through the console's same-origin proxy and feeds Perses's LogsTable.
import { AbsoluteTimeRange, LogData, LogEntry } from '@perses-dev/core';
import { Plugin, VariableStateMap, parseVariables } from '@perses-dev/plugin-system';

export const VICTORIALOGS_API = '/api/victorialogs/select/logsql';

export interface VictoriaLogsLogQuerySpec extends Record<string, unknown> {
  query: string; // LogsQL; $variables are filled as LogsQL values
  limit?: number; // the newest records kept
}

// plugin-system 0.52 runs LogQuery plugins but does not export their interface (model/
// log-queries.d.ts is left out of its index), so the part used here is written out.
interface LogQueryContext {
  timeRange: AbsoluteTimeRange;
  variableState: VariableStateMap;
}
interface LogQueryPlugin<Spec> extends Plugin<Spec> {
  getLogData: (spec: Spec, ctx: LogQueryContext) => Promise<{ logs: LogData; timeRange: AbsoluteTimeRange; metadata?: { executedQueryString: string } }>;
  dependsOn?: (spec: Spec) => { variables?: string[] };
}

/** One stored record, with the fields the console shows picked out. */
export interface LogRecord {
  time: Date;
  message: string;
  severity: string;
  service: string;
  traceId: string;
  spanId: string;
  fields: Record<string, string>;
}

export interface Hits {
  timestamps: Date[];
  values: number[];
  total: number;
}

/** A query VictoriaLogs refused: its own message, with the query that was sent. */
export class LogsQLError extends Error {
  constructor(
    readonly query: string,
    readonly reason: string,
  ) {
    super(`VictoriaLogs refused the LogsQL query ${query}: ${reason}`);
    this.name = 'LogsQLError';
  }
}

function quote(value: string): string {
  return JSON.stringify(value); // JSON's string escaping is LogsQL's
}

/** $name and ${name} as LogsQL values: one value quoted, several as ("a" OR "b"). */
export function fillVariables(query: string, variables: VariableStateMap): string {
  let filled = query;
  const names = parseVariables(query).sort((a, b) => b.length - a.length);
  for (const name of names) {
    const value = variables[name]?.value;
    // Perses runs log queries before a variable has its values: any value meanwhile.
    const values = value === undefined || value === null ? [] : Array.isArray(value) ? value : [value];
    const text = values.length === 0 ? '*' : values.length === 1 ? quote(values[0]!) : `(${values.map(quote).join(' OR ')})`;
    filled = filled.replaceAll(`\${${name}}`, text).replaceAll(`$${name}`, text);
  }
  return filled;
}

const PICKED = new Set(['_time', '_msg', 'severity_text', 'service.name', 'trace_id', 'span_id']);

export function toRecord(fields: Record<string, string>): LogRecord {
  return {
    time: new Date(fields._time ?? 0),
    message: fields._msg ?? '',
    severity: fields.severity_text ?? '',
    service: fields['service.name'] ?? '',
    traceId: fields.trace_id ?? '',
    spanId: fields.span_id ?? '',
    fields: Object.fromEntries(Object.entries(fields).filter(([k]) => !PICKED.has(k))),
  };
}

async function post(path: string, query: string, params: Record<string, string>): Promise<string> {
  const body = new URLSearchParams({ query, ...params });
  const response = await fetch(`${VICTORIALOGS_API}/${path}`, { method: 'POST', body });
  const text = await response.text();
  if (!response.ok) throw new LogsQLError(query, text.trim() || `HTTP ${response.status}`);
  return text;
}

function rangeParams(range: AbsoluteTimeRange): Record<string, string> {
  return { start: range.start.toISOString(), end: range.end.toISOString() };
}

/** The newest ``limit`` records matching ``query`` in ``range``, newest first. */
export async function queryLogs(query: string, range: AbsoluteTimeRange, limit = 100): Promise<LogRecord[]> {
  const text = await post('query', query, { ...rangeParams(range), limit: String(limit) });
  const records = text
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => toRecord(JSON.parse(line) as Record<string, string>));
  return records.sort((a, b) => b.time.getTime() - a.time.getTime());
}

/** How many records match ``query`` per ``step`` over ``range`` (/select/logsql/hits). */
export async function queryHits(query: string, range: AbsoluteTimeRange, step: string): Promise<Hits> {
  const text = await post('hits', query, { ...rangeParams(range), step });
  const body = JSON.parse(text) as { hits?: Array<{ timestamps: string[]; values: number[]; total: number }> };
  const byTime = new Map<number, number>();
  let total = 0;
  for (const series of body.hits ?? []) {
    series.timestamps.forEach((t, i) => {
      const at = new Date(t).getTime();
      byTime.set(at, (byTime.get(at) ?? 0) + (series.values[i] ?? 0));
    });
    total += series.total;
  }
  const times = [...byTime.keys()].sort((a, b) => a - b);
  return { timestamps: times.map((t) => new Date(t)), values: times.map((t) => byTime.get(t)!), total };
}

/** One record as a LogsTable row: severity, service, trace id and message on the line. */
export function toLogEntry(record: LogRecord): LogEntry {
  const trace = record.traceId ? ` trace=${record.traceId}` : '';
  const labels: Record<string, string> = { ...record.fields };
  // LogsTable colours a row by its "level" label.
  if (record.severity) labels.level = record.severity;
  if (record.service) labels['service.name'] = record.service;
  if (record.traceId) labels.trace_id = record.traceId;
  if (record.spanId) labels.span_id = record.spanId;
  return {
    timestamp: record.time.getTime() / 1000,
    line: `${record.severity || '-'} ${record.service || '-'}${trace} ${record.message}`,
    labels,
  };
}

export const VictoriaLogsLogQuery: LogQueryPlugin<VictoriaLogsLogQuerySpec> = {
  createInitialOptions: () => ({ query: '*', limit: 100 }),
  dependsOn: (spec) => ({ variables: parseVariables(spec.query) }),
  getLogData: async (spec, ctx) => {
    const query = fillVariables(spec.query, ctx.variableState);
    const limit = spec.limit ?? 100;
    const records = await queryLogs(query, ctx.timeRange, limit);
    return {
      logs: {
        entries: records.map(toLogEntry),
        totalCount: records.length,
        hasMore: records.length >= limit,
        direction: 'backward',
        timeRange: ctx.timeRange,
      },
      timeRange: ctx.timeRange,
      metadata: { executedQueryString: query },
    };
  },
};
