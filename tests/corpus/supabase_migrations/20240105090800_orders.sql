-- Orders using the enum type; a DO block adds a constraint only when missing (re-runnable).
create table public.orders (
  id uuid primary key default gen_random_uuid(),
  team_id uuid not null references public.teams (id),
  status public.order_status not null default 'pending',
  total_cents integer not null check (total_cents >= 0),
  shipping public.address,
  metadata extensions.hstore,
  created_at timestamptz not null default now()
);

do $$
begin
  if not exists (select 1 from pg_constraint where conname = 'orders_total_reasonable') then
    alter table public.orders add constraint orders_total_reasonable check (total_cents < 100000000);
  end if;
end
$$;

alter table public.orders enable row level security;
create policy "Team members read orders" on public.orders
  for select to authenticated using (public.is_team_member(team_id));
