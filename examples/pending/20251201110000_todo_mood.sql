create type public.mood as enum ('sad', 'ok', 'happy');
alter table public.todos add column mood public.mood;
alter table public.todos alter column title type varchar(200);

-- migrate:down
-- alter table public.todos alter column title type text;
-- alter table public.todos drop column mood;
