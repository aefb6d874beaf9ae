-- Changes made in the live database outside the migrations, as someone would in Supabase's dashboard
-- (the table editor, the SQL editor): the README's db.pull example turns them into a migration.
alter table public.todos add column priority smallint not null default 0;
create index todos_priority_idx on public.todos (user_id, priority desc);
create policy "Users delete their own profile" on public.profiles for delete to authenticated
  using ((select auth.uid()) = id);
create function public.handle_user_login() returns trigger language plpgsql security definer set search_path = ''
  as $$ begin return new; end $$;
create trigger on_auth_user_login after update of last_sign_in_at on auth.users
  for each row execute function public.handle_user_login();
