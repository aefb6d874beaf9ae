-- A signed-in user sees only their own to-dos. Everything here is rolled back by db.verify.
insert into auth.users (id, email) values
  ('00000000-0000-4000-8000-0000000000a1', 'ada@example.com'),
  ('00000000-0000-4000-8000-0000000000b2', 'bob@example.com');
insert into public.todos (user_id, title) values
  ('00000000-0000-4000-8000-0000000000a1', 'write the verify script'),
  ('00000000-0000-4000-8000-0000000000b2', 'someone else''s to-do');

select set_config('request.jwt.claims',
  '{"sub": "00000000-0000-4000-8000-0000000000a1", "role": "authenticated"}', true);
set local role authenticated;

do $$
declare
  seen int := (select count(*) from public.todos);
begin
  if seen <> 1 then
    raise exception 'RLS: a user sees % to-dos, expected only their own 1', seen;
  end if;
end $$;
