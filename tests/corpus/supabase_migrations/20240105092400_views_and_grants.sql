-- A security-invoker view over public tables, a function only service_role may call, and tidy grants.
create or replace view public.team_overview
with (security_invoker = true)
as
select t.id, t.name, t.slug, count(m.user_id) as members
  from public.teams t
  left join public.team_members m on m.team_id = t.id
 group by t.id;

create or replace function public.admin_delete_user(p_user uuid)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  if (select auth.role()) <> 'service_role' then
    raise exception 'not allowed' using errcode = '42501';
  end if;
  delete from auth.users where id = p_user;
end;
$$;

revoke all on function public.admin_delete_user(uuid) from public, anon, authenticated;
grant execute on function public.admin_delete_user(uuid) to service_role;
grant select on public.team_overview to authenticated;
alter view public.team_overview owner to postgres;
