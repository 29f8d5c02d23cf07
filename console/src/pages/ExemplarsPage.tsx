// A panel's exemplars: each links to its trace (metrics -> traces). Prometheus keeps exemplars
// per series; this asks /api/v1/query_exemplars for the panel's own queries over the last hour,
// with every variable at "all" (the dashboard's defaults).
import { Alert, CircularProgress, Link, Stack, Table, TableBody, TableCell, TableHead, TableRow, Typography } from '@mui/material';
import { useQuery } from '@tanstack/react-query';
import { ReactElement } from 'react';
import { Link as RouterLink, useParams } from 'react-router-dom';
import { fetchDashboard } from '../api';

interface Exemplar {
  traceId: string;
  value: string;
  timestamp: number;
  series: string;
}

/** The panel's PromQL with Grafana/Perses variables filled as the dashboard's defaults. */
export function fillDefaults(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$__range', '1h')
    .replace(/(\w+)=~?"\$\w+"/g, '$1=~".*"');
}

async function fetchExemplars(expr: string): Promise<Exemplar[]> {
  const end = Date.now() / 1000;
  const params = new URLSearchParams({ query: fillDefaults(expr), start: String(end - 3600), end: String(end) });
  const response = await fetch(`/api/prometheus/api/v1/query_exemplars?${params}`);
  if (!response.ok) throw new Error(`Prometheus query_exemplars: HTTP ${response.status}: ${await response.text()}`);
  const body = (await response.json()) as { data: Array<{ seriesLabels: Record<string, string>; exemplars: Array<{ labels: Record<string, string>; value: string; timestamp: number }> }> };
  const found: Exemplar[] = [];
  for (const series of body.data ?? []) {
    const name = Object.entries(series.seriesLabels).filter(([k]) => k !== '__name__').map(([k, v]) => `${k}=${v}`).join(', ');
    for (const e of series.exemplars) {
      const traceId = e.labels.trace_id ?? e.labels.traceID;
      if (traceId) found.push({ traceId, value: e.value, timestamp: e.timestamp, series: name });
    }
  }
  return found.sort((a, b) => b.timestamp - a.timestamp).slice(0, 50);
}

export function ExemplarsPage(): ReactElement {
  const { uid = '', panel = '' } = useParams();
  const dashboard = useQuery(['dashboard', uid], () => fetchDashboard(uid));
  const definition = dashboard.data?.spec.panels[panel];
  const exprs = (definition?.spec.queries ?? []).map((q) => String((q.spec.plugin.spec as { query?: string }).query ?? ''));
  // One query failing (a threshold like vector(0.2) has no series to keep exemplars of) must
  // not hide the others' exemplars.
  const exemplars = useQuery(
    ['exemplars', uid, panel],
    () => Promise.allSettled(exprs.map(fetchExemplars)).then((all) => all.flatMap((r) => (r.status === 'fulfilled' ? r.value : []))),
    { enabled: exprs.length > 0 },
  );
  if (dashboard.isLoading || exemplars.isLoading) return <CircularProgress />;
  if (!definition) return <Alert severity="error">no panel {panel} on dashboard {uid}</Alert>;
  if (exemplars.error) return <Alert severity="error">{String(exemplars.error)}</Alert>;
  return (
    <Stack spacing={2}>
      <Typography variant="h5">Exemplars: {definition.spec.display?.name}</Typography>
      <Typography color="text.secondary">
        <Link component={RouterLink} to={`/dashboards/${uid}`}>
          back to {dashboard.data?.spec.display?.name}
        </Link>
      </Typography>
      {exemplars.data?.length ? (
        <Table size="small" data-testid="exemplars">
          <TableHead>
            <TableRow>
              <TableCell>time</TableCell>
              <TableCell>value</TableCell>
              <TableCell>series</TableCell>
              <TableCell>trace</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {exemplars.data.map((e) => (
              <TableRow key={`${e.traceId}-${e.timestamp}`}>
                <TableCell>{new Date(e.timestamp * 1000).toLocaleTimeString()}</TableCell>
                <TableCell>{e.value}</TableCell>
                <TableCell>{e.series}</TableCell>
                <TableCell>
                  <Link component={RouterLink} to={`/traces/${e.traceId}`} data-trace-id={e.traceId}>
                    {e.traceId}
                  </Link>
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      ) : (
        <Typography>No exemplars in the last hour.</Typography>
      )}
    </Stack>
  );
}
