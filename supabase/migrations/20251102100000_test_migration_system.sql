-- A table to exercise the migration pipeline end to end.
create table public.migration_system_test (
  id uuid primary key default gen_random_uuid(),
  note text not null default 'hello from migrations-tasks',
  created_at timestamptz not null default now()
);

alter table public.migration_system_test enable row level security;

create policy "Allow all for testing"
  on public.migration_system_test
  for all
  using (true)
  with check (true);

-- migrate:down
-- drop table public.migration_system_test;
