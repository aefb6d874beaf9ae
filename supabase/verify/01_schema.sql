-- The columns the app reads exist (Sqitch style: this fails when one is missing).
select id, username, display_name, avatar_url, created_at, updated_at from public.profiles where false;
select id, user_id, title, done, created_at from public.todos where false;
