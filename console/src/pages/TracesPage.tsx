// Trace search: service, operation, tags, duration; results in Perses's TraceTable, fed by the
// console's JaegerTraceQuery. The form lives in the URL, so a search can be linked to.
import { Button, MenuItem, Stack, TextField, Typography } from '@mui/material';
import { useQuery } from '@tanstack/react-query';
import { FormEvent, ReactElement, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { PanelFrame } from '../PanelFrame';
import { JaegerTraceQuerySpec, listOperations, listServices } from '../plugins/jaeger';

const FIELDS = ['service', 'operation', 'tags', 'minDuration', 'maxDuration', 'limit'] as const;
type Form = Record<(typeof FIELDS)[number], string>;

export function TracesPage(): ReactElement {
  const [params, setParams] = useSearchParams();
  const initial = Object.fromEntries(FIELDS.map((f) => [f, params.get(f) ?? (f === 'limit' ? '20' : '')])) as Form;
  const [form, setForm] = useState<Form>(initial);
  const services = useQuery(['jaeger-services'], listServices);
  const operations = useQuery(['jaeger-operations', form.service], () => listOperations(form.service), { enabled: !!form.service });
  const submitted = initial.service;
  const spec: JaegerTraceQuerySpec = {
    service: initial.service,
    operation: initial.operation || undefined,
    tags: initial.tags || undefined,
    minDuration: initial.minDuration || undefined,
    maxDuration: initial.maxDuration || undefined,
    limit: Number(initial.limit) || 20,
  };
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
      <Typography variant="h5">Traces</Typography>
      <Stack component="form" direction="row" spacing={1} onSubmit={onSubmit} sx={{ flexWrap: 'wrap', rowGap: 1 }}>
        <TextField select label="service" sx={{ minWidth: 180 }} {...field('service')}>
          {(services.data ?? []).map((s) => (
            <MenuItem key={s} value={s}>
              {s}
            </MenuItem>
          ))}
        </TextField>
        <TextField select label="operation" sx={{ minWidth: 220 }} {...field('operation')}>
          <MenuItem value="">all</MenuItem>
          {(operations.data ?? []).map((o) => (
            <MenuItem key={o} value={o}>
              {o}
            </MenuItem>
          ))}
        </TextField>
        <TextField label="tags (key=value …)" sx={{ minWidth: 260 }} {...field('tags')} />
        <TextField label="min duration" placeholder="100ms" sx={{ width: 120 }} {...field('minDuration')} />
        <TextField label="max duration" placeholder="2s" sx={{ width: 120 }} {...field('maxDuration')} />
        <TextField label="limit" sx={{ width: 80 }} {...field('limit')} />
        <Button type="submit" variant="contained" disabled={!form.service}>
          Find traces
        </Button>
      </Stack>
      {submitted ? (
        <PanelFrame
          key={params.toString()}
          title={`Traces of ${submitted}`}
          plugin={{ kind: 'TraceTable', spec: { links: { trace: '/traces/${traceId}' } } }}
          queries={[{ kind: 'TraceQuery', spec: { plugin: { kind: 'JaegerTraceQuery', spec } } }]}
          height={560}
          testId="trace-results"
        />
      ) : (
        <Typography color="text.secondary">Choose a service to search its traces.</Typography>
      )}
    </Stack>
  );
}
