begin;

-- API keys stored as SHA-256 digests; secrets hashed with crypt(); an HMAC-signed webhook payload.
create table public.api_keys (
  id uuid primary key default extensions.uuid_generate_v4(),
  team_id uuid not null references public.teams (id) on delete cascade,
  prefix text not null default substr(encode(extensions.gen_random_bytes(6), 'hex'), 1, 8),
  key_hash text not null,
  created_at timestamptz not null default now()
);

create or replace function public.create_api_key(p_team uuid)
returns text
language plpgsql
security definer
set search_path = ''
as $$
declare
  raw text := encode(extensions.gen_random_bytes(24), 'hex');
begin
  insert into public.api_keys (team_id, key_hash)
  values (p_team, encode(extensions.digest(raw, 'sha256'), 'hex'));
  return raw;
end;
$$;

create or replace function public.verify_api_key(p_key text)
returns uuid
language sql
stable
security definer
set search_path = ''
as $$
  select team_id from public.api_keys where key_hash = encode(extensions.digest(p_key, 'sha256'), 'hex');
$$;

create table public.local_credentials (
  user_id uuid primary key references auth.users on delete cascade,
  password_hash text not null
);

create or replace function public.set_local_password(p_user uuid, p_password text)
returns void language sql security definer set search_path = '' as $$
  insert into public.local_credentials (user_id, password_hash)
  values (p_user, extensions.crypt(p_password, extensions.gen_salt('bf', 8)))
  on conflict (user_id) do update set password_hash = excluded.password_hash;
$$;

create or replace function public.check_local_password(p_user uuid, p_password text)
returns boolean language sql stable security definer set search_path = '' as $$
  select password_hash = extensions.crypt(p_password, password_hash)
    from public.local_credentials where user_id = p_user;
$$;

create or replace function public.sign_payload(p_payload jsonb, p_secret text)
returns text language sql immutable as $$
  select encode(hmac(p_payload::text, p_secret, 'sha256'), 'hex');
$$;

create or replace function public.make_token(p_user uuid, p_secret text)
returns text language sql stable as $$
  select extensions.sign(json_build_object('sub', p_user, 'role', 'authenticated',
                                           'exp', extract(epoch from now() + interval '1 hour')::int),
                         p_secret);
$$;

alter table public.api_keys enable row level security;
alter table public.local_credentials enable row level security;
revoke all on function public.create_api_key(uuid), public.set_local_password(uuid, text) from anon;

commit;
