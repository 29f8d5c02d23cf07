// Alerts: what Alertmanager holds now (API v2 through the proxy), and beside it the
// notifications the local receiver got (what `kansoku alerts` lists).
import { Alert, Box, Card, CardContent, Chip, Link, Stack, Table, TableBody, TableCell, TableHead, TableRow, Typography } from '@mui/material';
import { useQuery } from '@tanstack/react-query';
import { ReactElement } from 'react';
import { AmAlert, Notification, fetchAlerts, fetchNotifications, fetchStatus, localLink } from '../api';

const REFRESH_MS = 10_000;

function since(iso: string): string {
  const minutes = Math.round((Date.now() - new Date(iso).getTime()) / 60_000);
  const at = new Date(iso).toLocaleTimeString();
  return minutes < 1 ? `${at} (just now)` : `${at} (${minutes} min ago)`;
}

function Links({ annotations }: { annotations: Record<string, string> }): ReactElement {
  const status = useQuery(['status'], fetchStatus);
  const here = (url: string): string => localLink(url, status.data?.link_bases);
  return (
    <Stack direction="row" spacing={1}>
      {annotations.runbook_url ? (
        <Link href={here(annotations.runbook_url)} target="_blank" rel="noreferrer" data-link="runbook">
          runbook
        </Link>
      ) : null}
      {annotations.dashboard ? (
        <Link href={here(annotations.dashboard)} target="_blank" rel="noreferrer" data-link="dashboard">
          dashboard
        </Link>
      ) : null}
    </Stack>
  );
}

function severityChip(severity: string | undefined): ReactElement {
  const colour = severity === 'page' ? 'error' : severity === 'ticket' ? 'warning' : 'default';
  return <Chip size="small" label={severity ?? '-'} color={colour} />;
}

// Pages first, then tickets, then the rest; the newest first within each.
const SEVERITY_ORDER: Record<string, number> = { page: 0, ticket: 1 };

function FiringAlerts({ alerts: unsorted }: { alerts: AmAlert[] }): ReactElement {
  const alerts = [...unsorted].sort(
    (a, b) => (SEVERITY_ORDER[a.labels.severity ?? ''] ?? 2) - (SEVERITY_ORDER[b.labels.severity ?? ''] ?? 2) || b.startsAt.localeCompare(a.startsAt),
  );
  if (!alerts.length) return <Typography data-testid="alerts-none">Nothing is firing.</Typography>;
  return (
    <Table size="small" data-testid="alerts">
      <TableHead>
        <TableRow>
          <TableCell>alert</TableCell>
          <TableCell>severity</TableCell>
          <TableCell>SLO</TableCell>
          <TableCell>service</TableCell>
          <TableCell>since</TableCell>
          <TableCell>state</TableCell>
          <TableCell>links</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {alerts.map((a) => {
          const muted = a.status.silencedBy.length ? 'silenced' : a.status.inhibitedBy.length ? 'inhibited' : '';
          return (
            <TableRow key={a.fingerprint} data-alert={a.labels.alertname} data-severity={a.labels.severity} data-slo={a.labels.slo} data-state={muted || 'firing'}>
              <TableCell title={a.annotations.summary}>
                {a.labels.alertname}
                {a.labels.long_window ? ` (${a.labels.long_window}/${a.labels.short_window ?? ''})` : ''}
              </TableCell>
              <TableCell>{severityChip(a.labels.severity)}</TableCell>
              <TableCell>{a.labels.slo ?? ''}</TableCell>
              <TableCell>{a.labels.slo_service ?? a.labels.job ?? a.labels.service ?? ''}</TableCell>
              <TableCell>{since(a.startsAt)}</TableCell>
              <TableCell>{muted ? <Chip size="small" label={muted} /> : 'firing'}</TableCell>
              <TableCell>
                <Links annotations={a.annotations} />
              </TableCell>
            </TableRow>
          );
        })}
      </TableBody>
    </Table>
  );
}

function Received({ notifications }: { notifications: Notification[] }): ReactElement {
  if (!notifications.length) return <Typography data-testid="notifications-none">No notification received yet.</Typography>;
  return (
    <Table size="small" data-testid="notifications">
      <TableHead>
        <TableRow>
          <TableCell>received</TableCell>
          <TableCell>status</TableCell>
          <TableCell>receiver</TableCell>
          <TableCell>alert</TableCell>
          <TableCell>links</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {notifications.map((n, i) => (
          <TableRow
            key={`${n.received_at}-${i}`}
            data-notification={n.alertname}
            data-receiver={n.receiver}
            data-status={n.status}
            data-received={n.received_at}
            data-slo={n.labels.slo}
            data-severity={n.labels.severity}
          >
            <TableCell sx={{ whiteSpace: 'nowrap' }}>{new Date(n.received_at).toLocaleTimeString()}</TableCell>
            <TableCell>{n.status}</TableCell>
            <TableCell>{n.receiver}</TableCell>
            <TableCell>
              {n.alertname} {n.labels.slo ? `(${n.labels.slo}, ${n.labels.severity ?? ''})` : ''}
            </TableCell>
            <TableCell>
              <Links annotations={n.annotations} />
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

export function AlertsPage(): ReactElement {
  const alerts = useQuery(['am-alerts'], fetchAlerts, { refetchInterval: REFRESH_MS });
  const received = useQuery(['notifications'], fetchNotifications, { refetchInterval: REFRESH_MS });
  return (
    <Stack spacing={2}>
      <Typography variant="h5">Alerts</Typography>
      <Box sx={{ display: 'flex', gap: 2, flexWrap: 'wrap', alignItems: 'flex-start' }}>
        <Card sx={{ flex: 3, minWidth: 520 }}>
          <CardContent>
            <Typography variant="h6">Firing now (Alertmanager)</Typography>
            {alerts.error ? <Alert severity="error">{String(alerts.error)}</Alert> : null}
            {alerts.data ? <FiringAlerts alerts={alerts.data} /> : null}
          </CardContent>
        </Card>
        <Card sx={{ flex: 2, minWidth: 420 }}>
          <CardContent>
            <Typography variant="h6">Received notifications</Typography>
            {received.error ? <Alert severity="error">{String(received.error)}</Alert> : null}
            {received.data ? <Received notifications={received.data} /> : null}
          </CardContent>
        </Card>
      </Box>
    </Stack>
  );
}
