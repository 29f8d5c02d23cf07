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
  return (
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
  );
}
