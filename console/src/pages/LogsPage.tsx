// Logs: a LogsQL query narrowed by service and severity, its hits over time and its newest
// records, each linking to its trace. The form lives in the URL, so a search can be linked to.
import { Button, CircularProgress, MenuItem, Stack, TextField, Typography } from '@mui/material';
import { useQuery } from '@tanstack/react-query';
import { FormEvent, ReactElement, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { HitsChart } from '../logs/HitsChart';
import { LogRecords, QueryErrorAlert } from '../logs/LogRecords';
import { VICTORIALOGS_API, queryHits, queryLogs } from '../plugins/victorialogs';

// "At least" this severity, by the OTel severity numbers (1-4 TRACE ... 17-20 ERROR, 21+ FATAL).
const SEVERITIES: Record<string, number> = { ERROR: 17, WARN: 13, INFO: 9, DEBUG: 5 };
const RANGES: Record<string, number> = { '15m': 15, '1h': 60, '6h': 360, '24h': 1440 };
const LIMIT = 200;

interface Form {
  query: string;
  service: string;
  severity: string;
  range: string;
}

/** The LogsQL the page runs: the query, then the service and severity filters. */
export function logsQuery({ query, service, severity }: Form): string {
  const parts = [query.trim() || '*'];
  if (service) parts.push(`"service.name":=${JSON.stringify(service)}`);
  if (severity in SEVERITIES) parts.push(`severity_number:>=${SEVERITIES[severity]}`);
  return parts.join(' ');
}

async function services(): Promise<string[]> {
  const start = new Date(Date.now() - 24 * 3600_000).toISOString();
  const params = new URLSearchParams({ query: '*', field: 'service.name', start });
  const response = await fetch(`${VICTORIALOGS_API}/field_values?${params}`);
  if (!response.ok) return [];
  const body = (await response.json()) as { values?: Array<{ value: string }> };
  return (body.values ?? []).map((v) => v.value).sort();
}

export function LogsPage(): ReactElement {
  const [params, setParams] = useSearchParams();
  const submitted: Form = {
    query: params.get('query') ?? '*',
    service: params.get('service') ?? '',
    severity: params.get('severity') ?? '',
    range: params.get('range') ?? '1h',
  };
  const [form, setForm] = useState<Form>(submitted);
  const query = logsQuery(submitted);
  const minutes = RANGES[submitted.range] ?? 60;
  const end = new Date();
  const range = { start: new Date(end.getTime() - minutes * 60_000), end };
  const step = `${Math.max(1, Math.round((minutes * 60) / 60))}s`; // about 60 bars
  const serviceList = useQuery(['log-services'], services);
  const records = useQuery(['logs', query, minutes], () => queryLogs(query, range, LIMIT));
  const hits = useQuery(['log-hits', query, minutes], () => queryHits(query, range, step));
  const onSubmit = (event: FormEvent): void => {
    event.preventDefault();
    setParams(Object.fromEntries(Object.entries(form).filter(([, v]) => v)));
  };
  const field = (name: keyof Form) => ({
    value: form[name],
    onChange: (e: { target: { value: string } }) => setForm({ ...form, [name]: e.target.value }),
    size: 'small' as const,
    inputProps: { 'data-field': name },
  });
  return (
    <Stack spacing={2}>
      <Typography variant="h5">Logs</Typography>
      <Stack component="form" direction="row" spacing={1} onSubmit={onSubmit} sx={{ flexWrap: 'wrap', rowGap: 1 }}>
        <TextField label="LogsQL" sx={{ minWidth: 420, flex: 1 }} {...field('query')} />
        <TextField select label="service" sx={{ minWidth: 180 }} {...field('service')}>
          <MenuItem value="">all</MenuItem>
          {(serviceList.data ?? []).map((s) => (
            <MenuItem key={s} value={s}>
              {s}
            </MenuItem>
          ))}
        </TextField>
        <TextField select label="severity (at least)" sx={{ minWidth: 160 }} {...field('severity')}>
          <MenuItem value="">any</MenuItem>
          {Object.keys(SEVERITIES).map((s) => (
            <MenuItem key={s} value={s}>
              {s}
            </MenuItem>
          ))}
        </TextField>
        <TextField select label="last" sx={{ width: 100 }} {...field('range')}>
          {Object.keys(RANGES).map((r) => (
            <MenuItem key={r} value={r}>
              {r}
            </MenuItem>
          ))}
        </TextField>
        <Button type="submit" variant="contained">
          Search
        </Button>
      </Stack>
      <Typography variant="body2" color="text.secondary" data-testid="logs-query">
        {query}
      </Typography>
      {records.error ? <QueryErrorAlert error={records.error} /> : null}
      {hits.data ? <HitsChart hits={hits.data} /> : null}
      {records.isLoading ? <CircularProgress /> : records.data ? <LogRecords records={records.data} testId="log-records" /> : null}
    </Stack>
  );
}
