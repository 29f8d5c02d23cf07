import { Alert, Box, Card, CardContent, Chip, Link, Stack, Table, TableBody, TableCell, TableHead, TableRow, Typography } from '@mui/material';
import { useQuery } from '@tanstack/react-query';
import { ReactElement } from 'react';
import { Link as RouterLink } from 'react-router-dom';
import { fetchAlerts, fetchDashboards, fetchStatus } from '../api';

function FiringCounts(): ReactElement {
  const alerts = useQuery(['am-alerts'], fetchAlerts, { refetchInterval: 10_000 });
  if (alerts.error) return <Alert severity="error">{String(alerts.error)}</Alert>;
  // Firing and not silenced or inhibited: what is paging or ticketing someone now.
  const firing = (alerts.data ?? []).filter((a) => a.status.state === 'active');
  const count = (severity: string): number => firing.filter((a) => a.labels.severity === severity).length;
  return (
    <Stack direction="row" spacing={1} alignItems="center">
      <Chip data-testid="firing-pages" data-count={count('page')} color={count('page') ? 'error' : 'success'} label={`${count('page')} pages firing`} />
      <Chip data-testid="firing-tickets" data-count={count('ticket')} color={count('ticket') ? 'warning' : 'success'} label={`${count('ticket')} tickets firing`} />
      <Link component={RouterLink} to="/alerts">
        Alerts and received notifications
      </Link>
    </Stack>
  );
}

export function LandingPage(): ReactElement {
  // The landing page refreshes health every 5 s: a component going down shows without a reload.
  const status = useQuery(['status'], fetchStatus, { refetchInterval: 5000 });
  const dashboards = useQuery(['dashboards'], fetchDashboards);
  return (
    <Stack spacing={2}>
      <Typography variant="h5">kansoku console</Typography>
      {status.error ? <Alert severity="error">{String(status.error)}</Alert> : null}
      <Box sx={{ display: 'flex', gap: 2, flexWrap: 'wrap' }}>
        <Card sx={{ minWidth: 360, flex: 2 }}>
          <CardContent>
            <Typography variant="h6">Components</Typography>
            <Table size="small" data-testid="components">
              <TableHead>
                <TableRow>
                  <TableCell>component</TableCell>
                  <TableCell>health</TableCell>
                  <TableCell>url</TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {(status.data?.components ?? []).map((c) => (
                  <TableRow key={c.name} data-component={c.name} data-status={c.status}>
                    <TableCell>{c.name}</TableCell>
                    <TableCell>
                      <Chip size="small" label={c.status} color={c.status === 'ready' ? 'success' : 'error'} title={c.detail} />
                    </TableCell>
                    <TableCell>{c.url}</TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          </CardContent>
        </Card>
        <Stack spacing={2} sx={{ flex: 1, minWidth: 280 }}>
          {status.data?.uis.some((u) => u.name === 'Alertmanager') ? (
            <Card>
              <CardContent>
                <Typography variant="h6">Alerts</Typography>
                <FiringCounts />
              </CardContent>
            </Card>
          ) : null}
          <Card>
            <CardContent>
              <Typography variant="h6">Dashboards</Typography>
              {(dashboards.data ?? []).map((d) => (
                <Typography key={d.uid}>
                  <Link component={RouterLink} to={`/dashboards/${d.uid}`}>
                    {d.title}
                  </Link>
                </Typography>
              ))}
              <Typography>
                <Link component={RouterLink} to="/traces">
                  Trace search
                </Link>
              </Typography>
              <Typography>
                <Link component={RouterLink} to="/logs">
                  Logs
                </Link>
              </Typography>
            </CardContent>
          </Card>
          <Card>
            <CardContent>
              <Typography variant="h6">Upstream UIs</Typography>
              {(status.data?.uis ?? []).map((u) => (
                <Typography key={u.name} data-ui={u.name}>
                  <Link href={u.url} target="_blank" rel="noreferrer">
                    {u.name}
                  </Link>{' '}
                  <Typography component="span" variant="body2" color="text.secondary">
                    {u.description}
                  </Typography>
                </Typography>
              ))}
            </CardContent>
          </Card>
        </Stack>
      </Box>
    </Stack>
  );
}
