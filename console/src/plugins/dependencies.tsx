// The service dependency graph as a table (caller -> callee, calls): Perses has no node-graph
// panel. Reads Jaeger's /api/dependencies over the dashboard's time range.
import { Table, TableBody, TableCell, TableHead, TableRow, Typography } from '@mui/material';
import { PanelPlugin, PanelProps, useTimeRange } from '@perses-dev/plugin-system';
import { useQuery } from '@tanstack/react-query';
import { ReactElement } from 'react';

interface Dependency {
  parent: string;
  child: string;
  callCount: number;
}

async function fetchDependencies(endMs: number, lookbackMs: number): Promise<Dependency[]> {
  const response = await fetch(`/api/jaeger/api/dependencies?endTs=${endMs}&lookback=${lookbackMs}`);
  if (!response.ok) throw new Error(`Jaeger dependencies: HTTP ${response.status}`);
  const body = (await response.json()) as { data?: Dependency[] };
  return (body.data ?? []).sort((a, b) => b.callCount - a.callCount);
}

function DependencyTable(_props: PanelProps<Record<string, never>>): ReactElement {
  const { absoluteTimeRange } = useTimeRange();
  const end = absoluteTimeRange.end.getTime();
  const lookback = end - absoluteTimeRange.start.getTime();
  const { data, error, isLoading } = useQuery(['jaeger-dependencies', end, lookback], () => fetchDependencies(end, lookback));
  if (isLoading) return <Typography>Loading…</Typography>;
  if (error) return <Typography color="error">{String(error)}</Typography>;
  if (!data?.length) return <Typography>No data</Typography>;
  return (
    <Table size="small" data-testid="dependency-table">
      <TableHead>
        <TableRow>
          <TableCell>caller</TableCell>
          <TableCell>callee</TableCell>
          <TableCell align="right">calls</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {data.map((d) => (
          <TableRow key={`${d.parent}->${d.child}`}>
            <TableCell>{d.parent}</TableCell>
            <TableCell>{d.child}</TableCell>
            <TableCell align="right">{d.callCount}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

export const JaegerDependencyTable: PanelPlugin<Record<string, never>> = {
  PanelComponent: DependencyTable,
  createInitialOptions: () => ({}),
  supportedQueryTypes: [],
  hideQueryEditor: true,
};
