-- A time-partitioned audit table managed by pg_partman, maintained by a cron job.
create table public.audit_events (
  id bigint generated always as identity,
  occurred_at timestamptz not null default now(),
  actor uuid,
  action text not null,
  details jsonb,
  primary key (id, occurred_at)
) partition by range (occurred_at);

select partman.create_parent(
  p_parent_table := 'public.audit_events',
  p_control := 'occurred_at',
  p_interval := '1 month',
  p_premake := 3
);

select cron.schedule('partman-maintenance', '@hourly', $$call partman.run_maintenance_proc()$$);

insert into public.audit_events (action, details) values ('migration', '{"note": "partitioned"}');
