create index todos_title_idx on public.todos (title);

-- migrate:down
-- drop index public.todos_title_idx;
