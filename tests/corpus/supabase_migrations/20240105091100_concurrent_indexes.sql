-- Index builds that must not lock writers: each runs alone, outside a transaction.
create index concurrently if not exists messages_author_id_idx on public.messages (author_id);

drop index concurrently if exists public.orders_refunded_idx;

create unique index concurrently if not exists teams_invite_code_key on public.teams (invite_code);
