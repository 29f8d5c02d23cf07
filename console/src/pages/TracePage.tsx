// One trace: Perses's TracingGanttChart over the trace from Jaeger's /api/v3/traces/{id}
// (?span=<id> selects a span), and under it the trace's log records from VictoriaLogs, each
// linking to its span; links to the same records on the logs page and in VictoriaLogs' UI.
import { CircularProgress, Link, Stack, Typography } from '@mui/material';
import { useQuery } from '@tanstack/react-query';
import { ReactElement } from 'react';
import { Link as RouterLink, useParams, useSearchParams } from 'react-router-dom';
import { fetchStatus } from '../api';
import { LogRecords, QueryErrorAlert } from '../logs/LogRecords';
import { PanelFrame } from '../PanelFrame';
import { queryLogs } from '../plugins/victorialogs';

// A trace opened from a dashboard or an alert may be a day old; its records are few.
const LOOKBACK_MS = 24 * 3600_000;

export function traceLogsQuery(traceId: string): string {
  return `"trace_id":=${JSON.stringify(traceId)}`;
}

function TraceLogs({ traceId }: { traceId: string }): ReactElement {
  const query = traceLogsQuery(traceId);
  const records = useQuery(['trace-logs', traceId], () => {
    const end = new Date();
    return queryLogs(query, { start: new Date(end.getTime() - LOOKBACK_MS), end }, 500);
  });
  if (records.isLoading) return <CircularProgress />;
  if (records.error) return <QueryErrorAlert error={records.error} />;
  // Oldest first: the records read in the order the spans ran.
  const ordered = [...(records.data ?? [])].reverse();
  return <LogRecords records={ordered} testId="trace-log-records" traceId={traceId} />;
}

export function TracePage(): ReactElement {
  const { traceId = '' } = useParams();
  const [params] = useSearchParams();
  const span = params.get('span') ?? undefined;
  const status = useQuery(['status'], fetchStatus);
  const upstream = status.data?.logs?.url.replace('{traceId}', encodeURIComponent(traceId));
  const onLogsPage = `/logs?${new URLSearchParams({ query: traceLogsQuery(traceId), range: '24h' })}`;
  return (
    <Stack spacing={2}>
      <Typography variant="h5">Trace {traceId}</Typography>
      <PanelFrame
        key={`${traceId}-${span ?? ''}`}
        title={span ? `Spans (span ${span} selected)` : 'Spans'}
        plugin={{ kind: 'TracingGanttChart', spec: span ? { selectedSpanId: span } : {} }}
        queries={[{ kind: 'TraceQuery', spec: { plugin: { kind: 'JaegerTraceQuery', spec: { traceId } } } }]}
        height={560}
        testId="trace-gantt"
      />
      <Stack direction="row" spacing={2} alignItems="baseline">
        <Typography variant="h6">Logs of this trace</Typography>
        <Link component={RouterLink} to={onLogsPage} data-testid="trace-logs-page">
          on the logs page
        </Link>
        {upstream ? (
          <Link href={upstream} target="_blank" rel="noreferrer" data-testid="trace-logs">
            in VictoriaLogs' UI
          </Link>
        ) : null}
      </Stack>
      <TraceLogs traceId={traceId} />
    </Stack>
  );
}
