import { Alert, CircularProgress, Typography } from '@mui/material';
import { ViewDashboard } from '@perses-dev/dashboards';
import { useQuery } from '@tanstack/react-query';
import { ReactElement } from 'react';
import { useParams } from 'react-router-dom';
import { datasourceApi, fetchDashboard } from '../api';

export function DashboardPage(): ReactElement {
  const { uid = '' } = useParams();
  const { data, error, isLoading } = useQuery(['dashboard', uid], () => fetchDashboard(uid));
  if (isLoading) return <CircularProgress />;
  if (error || !data) return <Alert severity="error">{String(error ?? 'no such dashboard')}</Alert>;
  // The only rows the generator collapses are those only a cluster fills (the console is
  // local mode): say why they are closed rather than show them empty.
  const collapsed = data.spec.layouts
    .map((l) => (l.spec as { display?: { title?: string; collapse?: { open: boolean } } }).display)
    .filter((d) => d?.collapse && !d.collapse.open)
    .map((d) => d?.title ?? '');
  return (
    <>
      {collapsed.length ? (
        <Alert severity="info" sx={{ mb: 1 }} data-testid="cluster-only-note">
          {collapsed.join(', ')}: collapsed, because only a Kubernetes cluster fills these panels (in local mode there is
          none). Grafana shows them in a cluster.
        </Alert>
      ) : null}
      <ViewDashboard
      key={uid}
      dashboardResource={data}
      datasourceApi={datasourceApi}
      isReadonly
      isVariableEnabled
      isDatasourceEnabled={false}
      isInitialVariableSticky={false}
      isLeavingConfirmDialogEnabled={false}
      dashboardTitleComponent={<Typography variant="h5" sx={{ fontSize: 24 }}>{data.spec.display?.name ?? uid}</Typography>}
      />
    </>
  );
}
