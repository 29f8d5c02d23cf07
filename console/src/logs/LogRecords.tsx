// Log records as a table: time, severity, service, message, and links to the trace (and span)
// each record belongs to. Used by the logs page and under a trace's gantt chart.
import { Alert, Chip, Link, Table, TableBody, TableCell, TableHead, TableRow, Typography } from '@mui/material';
import { ReactElement } from 'react';
import { Link as RouterLink } from 'react-router-dom';
import { LogRecord, LogsQLError } from '../plugins/victorialogs';

const SEVERITY_COLOURS: Record<string, 'error' | 'warning' | 'info' | 'default'> = {
  FATAL: 'error',
  ERROR: 'error',
  WARN: 'warning',
  WARNING: 'warning',
  INFO: 'info',
};

export function traceLink(record: LogRecord): string {
  const span = record.spanId ? `?span=${encodeURIComponent(record.spanId)}` : '';
  return `/traces/${encodeURIComponent(record.traceId)}${span}`;
}

/** A refused query as the user should read it: VictoriaLogs' own words and the query. */
export function QueryErrorAlert({ error }: { error: unknown }): ReactElement {
  if (error instanceof LogsQLError) {
    return (
      <Alert severity="error" data-testid="logs-error">
        <Typography variant="body2">VictoriaLogs refused the query <code>{error.query}</code>:</Typography>
        <Typography variant="body2" component="pre" sx={{ whiteSpace: 'pre-wrap', m: 0 }}>
          {error.reason}
        </Typography>
      </Alert>
    );
  }
  return (
    <Alert severity="error" data-testid="logs-error">
      {String(error)}
    </Alert>
  );
}

interface LogRecordsProps {
  records: LogRecord[];
  testId: string;
  // On a trace's page the trace link is the page itself: link each record to its span only.
  traceId?: string;
}

export function LogRecords({ records, testId, traceId }: LogRecordsProps): ReactElement {
  if (!records.length) return <Typography data-testid={`${testId}-none`}>No log records in this time range.</Typography>;
  return (
    <Table size="small" data-testid={testId}>
      <TableHead>
        <TableRow>
          <TableCell>time</TableCell>
          <TableCell>severity</TableCell>
          <TableCell>service</TableCell>
          <TableCell>message</TableCell>
          <TableCell>{traceId ? 'span' : 'trace'}</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {records.map((r, i) => (
          <TableRow key={`${r.time.getTime()}-${i}`} data-log-record data-trace-id={r.traceId || undefined}>
            <TableCell sx={{ whiteSpace: 'nowrap' }}>{r.time.toLocaleTimeString()}</TableCell>
            <TableCell>
              <Chip size="small" label={r.severity || '-'} color={SEVERITY_COLOURS[r.severity.toUpperCase()] ?? 'default'} />
            </TableCell>
            <TableCell>{r.service}</TableCell>
            <TableCell sx={{ fontFamily: 'monospace', fontSize: 12, whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}>{r.message}</TableCell>
            <TableCell sx={{ fontFamily: 'monospace', fontSize: 12 }}>
              {r.traceId && (!traceId || r.spanId) ? (
                <Link component={RouterLink} to={traceLink(r)} data-link={traceId ? 'span' : 'trace'}>
                  {traceId ? r.spanId : r.traceId}
                </Link>
              ) : null}
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
