import { CssBaseline, ThemeProvider } from '@mui/material';
import { ChartsProvider, SnackbarProvider, generateChartsTheme, getTheme } from '@perses-dev/components';
import { PluginRegistry, ReactRouterProvider } from '@perses-dev/plugin-system';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { ReactElement, StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter, Navigate, Route, Routes, useParams } from 'react-router-dom';
import { QueryParamProvider } from 'use-query-params';
import { ReactRouter6Adapter } from 'use-query-params/adapters/react-router-6';
import { Layout } from './Layout';
import { AlertsPage } from './pages/AlertsPage';
import { DashboardPage } from './pages/DashboardPage';
import { ExemplarsPage } from './pages/ExemplarsPage';
import { LandingPage } from './pages/LandingPage';
import { LogsPage } from './pages/LogsPage';
import { TracePage } from './pages/TracePage';
import { TracesPage } from './pages/TracesPage';
import { pluginLoader } from './plugins';

// Grafana's dashboard path, which alerts' dashboard links use: the same dashboard here.
function GrafanaPath(): ReactElement {
  const { uid = '' } = useParams();
  return <Navigate replace to={`/dashboards/${uid}`} />;
}

const muiTheme = getTheme('light');
const chartsTheme = generateChartsTheme(muiTheme, {});
const queryClient = new QueryClient({
  defaultOptions: { queries: { refetchOnWindowFocus: false, retry: 0 } },
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ThemeProvider theme={muiTheme}>
      <CssBaseline />
      <ChartsProvider chartsTheme={chartsTheme}>
        <SnackbarProvider anchorOrigin={{ vertical: 'bottom', horizontal: 'right' }} variant="default" content="">
          <PluginRegistry
            pluginLoader={pluginLoader}
            defaultPluginKinds={{ Panel: 'TimeSeriesChart', TimeSeriesQuery: 'PrometheusTimeSeriesQuery', TraceQuery: 'JaegerTraceQuery', LogQuery: 'VictoriaLogsLogQuery' }}
          >
            <QueryClientProvider client={queryClient}>
              <BrowserRouter>
                <QueryParamProvider adapter={ReactRouter6Adapter}>
                  {/* Trace links in Perses's trace panels navigate inside the app. */}
                  <ReactRouterProvider>
                  <Routes>
                    <Route element={<Layout />}>
                      <Route path="/" element={<LandingPage />} />
                      <Route path="/dashboards/:uid" element={<DashboardPage />} />
                      <Route path="/traces" element={<TracesPage />} />
                      <Route path="/traces/:traceId" element={<TracePage />} />
                      <Route path="/exemplars/:uid/:panel" element={<ExemplarsPage />} />
                      <Route path="/d/:uid" element={<GrafanaPath />} />
                      <Route path="/logs" element={<LogsPage />} />
                      <Route path="/alerts" element={<AlertsPage />} />
                    </Route>
                  </Routes>
                  </ReactRouterProvider>
                </QueryParamProvider>
              </BrowserRouter>
            </QueryClientProvider>
          </PluginRegistry>
        </SnackbarProvider>
      </ChartsProvider>
    </ThemeProvider>
  </StrictMode>,
);
