-- One profile per auth user, kept in sync by a security definer trigger on auth.users.
create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  username extensions.citext unique,
  full_name text,
  avatar_url text,
  website text,
  slug public.slug,
  updated_at timestamptz not null default now(),
  created_at timestamptz not null default timezone('utc'::text, now()),
  constraint username_length check (char_length(username) >= 3)
);

alter table public.profiles owner to postgres;
alter table public.profiles enable row level security;

create policy "Public profiles are viewable by everyone." on public.profiles
  for select using (true);
create policy "Users can insert their own profile." on public.profiles
  for insert to authenticated with check ((select auth.uid()) = id);
create policy "Users can update own profile." on public.profiles
  for update to authenticated using ((select auth.uid()) = id);
create policy "Service role and admins manage profiles" on public.profiles
  for all using (auth.role() = 'service_role' or (auth.jwt() -> 'app_metadata' ->> 'role') = 'admin');

create trigger handle_updated_at before update on public.profiles
  for each row execute procedure extensions.moddatetime (updated_at);

create or replace function public.handle_new_user()
returns trigger
language plpgsql
security definer set search_path = ''
as $$
begin
  insert into public.profiles (id, full_name, avatar_url)
  values (new.id, new.raw_user_meta_data ->> 'full_name', new.raw_user_meta_data ->> 'avatar_url');
  return new;
end;
$$;
alter function public.handle_new_user() owner to postgres;

create trigger on_auth_user_created
  after insert on auth.users
  for each row execute procedure public.handle_new_user();

grant select on public.profiles to anon;
grant select, insert, update on public.profiles to authenticated;
grant all on public.profiles to service_role;
revoke execute on function public.handle_new_user() from public, anon, authenticated;
