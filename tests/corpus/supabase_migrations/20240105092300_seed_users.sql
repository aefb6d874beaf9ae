-- Seed a demo user the way Supabase seed scripts do (auth.users + auth.identities), which fires the
-- profile trigger, the webhook on orders and the realtime broadcast on messages.
insert into auth.users (
  instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
  raw_app_meta_data, raw_user_meta_data, created_at, updated_at, confirmation_token, recovery_token,
  email_change_token_new, email_change
) values (
  '00000000-0000-0000-0000-000000000000', 'a1b2c3d4-0000-4000-8000-000000000001', 'authenticated', 'authenticated',
  'demo@example.com', crypt('password123', gen_salt('bf')), now(),
  '{"provider": "email", "providers": ["email"]}', '{"full_name": "Demo User"}', now(), now(), '', '', '', ''
);

insert into auth.identities (id, user_id, provider_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
values (
  uuid_generate_v4(), 'a1b2c3d4-0000-4000-8000-000000000001', 'a1b2c3d4-0000-4000-8000-000000000001',
  '{"sub": "a1b2c3d4-0000-4000-8000-000000000001", "email": "demo@example.com"}', 'email', now(), now(), now()
);

insert into public.teams (id, name, created_by, slug)
values ('b0000000-0000-4000-8000-000000000001', 'Demo team', 'a1b2c3d4-0000-4000-8000-000000000001', 'demo-team');
insert into public.team_members (team_id, user_id, role)
values ('b0000000-0000-4000-8000-000000000001', 'a1b2c3d4-0000-4000-8000-000000000001', 'owner');
insert into public.orders (team_id, total_cents) values ('b0000000-0000-4000-8000-000000000001', 4200);
insert into public.messages (team_id, author_id, body)
values ('b0000000-0000-4000-8000-000000000001', 'a1b2c3d4-0000-4000-8000-000000000001', 'Hello, team!');
insert into public.linked_accounts (identity_id, user_id, provider)
select id, user_id, provider from auth.identities where user_id = 'a1b2c3d4-0000-4000-8000-000000000001';
