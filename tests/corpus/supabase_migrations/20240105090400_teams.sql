-- Teams with uuid-ossp ids (unqualified, found through the search path) and membership checks.
create table if not exists public.teams (
  id uuid not null default uuid_generate_v4() primary key,
  name text not null,
  invite_code text not null default encode(extensions.gen_random_bytes(9), 'base64'),
  created_by uuid references auth.users on delete set null default auth.uid(),
  created_at timestamptz default now()
);

create table if not exists public.team_members (
  team_id uuid references public.teams on delete cascade,
  user_id uuid references auth.users on delete cascade,
  role public.member_role not null default 'member',
  primary key (team_id, user_id)
);
create index on public.team_members (user_id);

alter table public.teams enable row level security;
alter table public.team_members enable row level security;

create or replace function public.is_team_member(p_team uuid)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (
    select 1 from public.team_members m where m.team_id = p_team and m.user_id = (select auth.uid())
  );
$$;

create policy "Members read their teams" on public.teams
  for select to authenticated using (public.is_team_member(id));
create policy "Members read memberships" on public.team_members
  for select to authenticated using (public.is_team_member(team_id));
create or replace function public.is_team_owner(p_team uuid)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (
    select 1 from public.team_members m
     where m.team_id = p_team and m.user_id = (select auth.uid()) and m.role = 'owner'
  );
$$;

create policy "Owners manage memberships" on public.team_members
  for all to authenticated using (public.is_team_owner(team_id)) with check (public.is_team_owner(team_id));

grant execute on function public.is_team_member(uuid), public.is_team_owner(uuid) to authenticated;
