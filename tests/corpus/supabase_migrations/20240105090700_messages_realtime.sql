-- Chat messages, broadcast through Realtime: the table joins the supabase_realtime publication,
-- channel authorization is a policy on realtime.messages, and a trigger broadcasts changes.
create table public.messages (
  id bigint generated always as identity primary key,
  team_id uuid not null references public.teams (id) on delete cascade,
  author_id uuid not null references auth.users (id) default auth.uid(),
  body text not null check (length(body) between 1 and 4000),
  created_at timestamptz not null default now()
);
create index messages_team_id_created_at_idx on public.messages (team_id, created_at desc);

alter table public.messages enable row level security;
alter table public.messages replica identity full;

create policy "Team members read messages" on public.messages
  for select to authenticated using (public.is_team_member(team_id));
create policy "Team members post messages" on public.messages
  for insert to authenticated with check (public.is_team_member(team_id) and author_id = (select auth.uid()));

alter publication supabase_realtime add table public.messages;
alter publication supabase_realtime add table public.team_members;

create policy "Team members receive broadcasts" on realtime.messages
  for select to authenticated
  using (
    realtime.topic() like 'team:%'
    and public.is_team_member(split_part(realtime.topic(), ':', 2)::uuid)
  );

create policy "Team members send broadcasts" on realtime.messages
  for insert to authenticated
  with check (realtime.messages.extension in ('broadcast', 'presence') and realtime.topic() like 'team:%');

create or replace function public.broadcast_message_changes()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform realtime.broadcast_changes(
    'team:' || coalesce(new.team_id, old.team_id)::text,
    tg_op, tg_op, tg_table_name, tg_table_schema, new, old);
  return null;
end;
$$;

create trigger messages_broadcast
  after insert or update or delete on public.messages
  for each row execute function public.broadcast_message_changes();
