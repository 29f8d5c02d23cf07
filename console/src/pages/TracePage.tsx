// One trace: Perses's TracingGanttChart over the trace from Jaeger's /api/v3/traces/{id}, and
// a link to the trace's logs in VictoriaLogs when the stack has it.
import { Link, Stack, Typography } from '@mui/material';
import { useQuery } from '@tanstack/react-query';
import { ReactElement } from 'react';
import { useParams } from 'react-router-dom';
import { fetchStatus } from '../api';
import { PanelFrame } from '../PanelFrame';

export function TracePage(): ReactElement {
  const { traceId = '' } = useParams();
  const status = useQuery(['status'], fetchStatus);
  const logs = status.data?.logs?.url.replace('{traceId}', encodeURIComponent(traceId));
  return (
    <Stack spacing={2}>
      <Stack direction="row" spacing={2} alignItems="baseline">
        <Typography variant="h5">Trace {traceId}</Typography>
        {logs ? (
          <Link href={logs} target="_blank" rel="noreferrer" data-testid="trace-logs">
            Logs of this trace
          </Link>
        ) : null}
      </Stack>
      <PanelFrame
        key={traceId}
        title="Spans"
        plugin={{ kind: 'TracingGanttChart', spec: {} }}
        queries={[{ kind: 'TraceQuery', spec: { plugin: { kind: 'JaegerTraceQuery', spec: { traceId } } } }]}
        height={720}
        testId="trace-gantt"
      />
    </Stack>
  );
}
