BEGIN;

-- Domain types, wrapped in the file's own transaction (it merges into the migration's).
create type public.order_status as enum ('pending', 'paid', 'shipped');
create type public.member_role as enum ('owner', 'admin', 'member');
create domain public.slug as text check (value ~ '^[a-z0-9]+(-[a-z0-9]+)*$');

do $$
begin
  if not exists (select 1 from pg_type where typname = 'address' and typnamespace = 'public'::regnamespace) then
    create type public.address as (street text, city text, postcode text, country text);
  end if;
end
$$;

COMMIT;
