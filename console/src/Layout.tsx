import { AppBar, Box, Button, Toolbar, Typography } from '@mui/material';
import { useQuery } from '@tanstack/react-query';
import { ReactElement } from 'react';
import { Link as RouterLink, Outlet } from 'react-router-dom';
import { fetchDashboards } from './api';

export function Layout(): ReactElement {
  const { data: dashboards } = useQuery(['dashboards'], fetchDashboards);
  return (
    <Box sx={{ minHeight: '100vh', display: 'flex', flexDirection: 'column' }}>
      <AppBar position="static" color="default" elevation={1}>
        <Toolbar variant="dense" sx={{ gap: 1, flexWrap: 'wrap' }}>
          <Typography variant="h6" component={RouterLink} to="/" sx={{ mr: 2, color: 'inherit', textDecoration: 'none' }}>
            kansoku
          </Typography>
          {(dashboards ?? []).map((d) => (
            <Button key={d.uid} size="small" component={RouterLink} to={`/dashboards/${d.uid}`}>
              {d.title.replace(' (kansoku)', '')}
            </Button>
          ))}
          <Button size="small" component={RouterLink} to="/traces">
            Traces
          </Button>
          <Button size="small" component={RouterLink} to="/logs">
            Logs
          </Button>
          <Button size="small" component={RouterLink} to="/alerts">
            Alerts
          </Button>
        </Toolbar>
      </AppBar>
      <Box component="main" sx={{ flex: 1, p: 2 }}>
        <Outlet />
      </Box>
    </Box>
  );
}
