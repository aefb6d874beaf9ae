"""The zoo: out-of-band changes a dashboard user (or a SQL editor) makes, each with a word drift must name.

Each case runs on a project that has the example migrations applied (``supabase/migrations``): public.profiles
(uuid key to auth.users, username unique, RLS, three policies, an updated_at trigger), public.todos (identity
key, title check, index on user_id, RLS, two policies) and the auth.users trigger.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Case:
    """One change: its id, the SQL, and a fragment the differences must hold (``|`` separates options)."""

    id: str
    sql: str
    names: str
    #: pg_dump does not show it (role and database settings): checked by the catalog alone.
    in_dump: bool = True
    #: Run before the first snapshot.
    setup: str = ""
    #: The change is a statement that fails (and leaves something behind).
    fails: bool = False
    #: It changes the cluster, which the sandbox's projects share (role settings): run on a sandbox of its
    #: own, then put back with this SQL.
    undo: str = ""
    #: db.pull refuses it: a fragment of the reason it must give (else it must write a proven file).
    refused: str = ""


CASES = (
    # tables
    Case("table-created", "create table public.notes (id int primary key, body text)", "public.notes"),
    Case("table-dropped", "drop table public.todos cascade", "public.todos"),
    Case("table-unlogged", "alter table public.todos set unlogged", "persistence"),
    Case("table-storage-option", "alter table public.todos set (autovacuum_enabled = false)", "autovacuum_enabled"),
    Case("table-fillfactor", "alter table public.todos set (fillfactor = 70)", "fillfactor"),
    Case("table-replica-full", "alter table public.todos replica identity full", "replica identity"),
    Case(
        "table-replica-index",
        "create unique index todos_id_done on public.todos (id, done); "
        "alter table public.todos replica identity using index todos_id_done",
        "replica identity",
    ),
    Case("table-rls-disabled", "alter table public.todos disable row level security", "row level security"),
    Case("table-rls-forced", "alter table public.todos force row level security", "forced row level security"),
    Case("table-renamed", "alter table public.todos rename to tasks", "public.tasks"),
    Case("table-clustered", "cluster public.todos using todos_user_id_idx", "clustered on"),
    Case(
        "table-partitioned",
        "create table public.events (at date not null, kind text) partition by range (at); "
        "create table public.events_2026 partition of public.events for values from ('2026-01-01') to ('2027-01-01')",
        "public.events",
    ),
    Case(
        "partition-detached",
        "create table public.events (at date not null) partition by range (at); "
        "create table public.events_2026 partition of public.events for values from ('2026-01-01') to ('2027-01-01'); "
        "alter table public.events detach partition public.events_2026",
        "public.events_2026",
    ),
    Case(
        "table-inherits",
        "create table public.base_log (at timestamptz); "
        "create table public.todo_log (todo bigint) inherits (public.base_log)",
        "public.todo_log",
    ),
    Case(
        "table-typed",
        "create type public.pair as (a int, b int); create table public.pairs of public.pair",
        "public.pairs",
    ),
    # columns
    Case("column-added", "alter table public.todos add column priority int not null default 0", "priority"),
    Case("column-dropped", "alter table public.todos drop column done", "done"),
    Case("column-type", "alter table public.todos alter column title type varchar(200)", "title"),
    Case("column-collation", 'alter table public.todos alter column title type text collate "C"', "collation"),
    Case("column-default", "alter table public.todos alter column done set default true", "default"),
    Case("column-default-dropped", "alter table public.todos alter column created_at drop default", "default"),
    Case("column-not-null", "alter table public.profiles alter column display_name set not null", "NOT NULL"),
    Case("column-nullable", "alter table public.todos alter column title drop not null", "nullable"),
    Case("column-statistics", "alter table public.todos alter column title set statistics 500", "statistics target"),
    Case("column-storage", "alter table public.todos alter column title set storage external", "storage"),
    Case("column-compression", "alter table public.todos alter column title set compression pglz", "compression"),
    Case("column-options", "alter table public.todos alter column title set (n_distinct = 100)", "n_distinct"),
    Case(
        "column-generated",
        "alter table public.todos add column title_len int generated always as (length(title)) stored",
        "title_len",
    ),
    Case(
        "column-identity-options",
        "alter table public.todos alter column id set increment by 5 restart with 1000",
        "identity",
    ),
    Case("column-renamed", "alter table public.todos rename column title to heading", "heading"),
    # constraints
    Case(
        "check-not-valid",
        "alter table public.todos add constraint title_short check (length(title) < 500) not valid",
        "title_short",
    ),
    Case("check-dropped", "alter table public.todos drop constraint todos_title_check", "todos_title_check"),
    Case("unique-added", "alter table public.todos add constraint todos_title_key unique (title)", "todos_title_key"),
    Case(
        "fk-deferrable",
        "alter table public.todos drop constraint todos_user_id_fkey; alter table public.todos add constraint "
        "todos_user_id_fkey foreign key (user_id) references auth.users (id) deferrable initially deferred",
        "todos_user_id_fkey",
    ),
    # indexes
    Case("index-created", "create index todos_done_idx on public.todos (done) where done", "todos_done_idx"),
    Case("index-dropped", "drop index public.todos_user_id_idx", "todos_user_id_idx"),
    Case(
        "index-invalid",
        "create unique index concurrently dups_v on public.dups (v)",
        "dups_v",
        in_dump=False,  # pg_dump leaves invalid indexes out: the catalog must not
        setup="create table public.dups (v int); insert into public.dups values (1), (1)",
        fails=True,
        refused="REINDEX INDEX CONCURRENTLY public.dups_v",
    ),
    Case("index-storage", "alter index public.todos_user_id_idx set (fillfactor = 50)", "todos_user_id_idx"),
    # views, rules, triggers
    Case(
        "view-created",
        "create view public.open_todos as select id, title from public.todos where not done",
        "open_todos",
    ),
    Case(
        "view-security-invoker",
        "create view public.open_todos as select id from public.todos; "
        "alter view public.open_todos set (security_invoker = true)",
        "open_todos",
    ),
    Case(
        "view-check-option",
        "create view public.open_todos with (check_option = local) as select * from public.todos where not done",
        "open_todos",
    ),
    Case(
        "matview-created",
        "create materialized view public.todo_counts as select user_id, count(*) from public.todos group by 1",
        "todo_counts",
    ),
    Case(
        "rule-created",
        "create rule todos_no_delete as on delete to public.todos do instead nothing",
        "todos_no_delete",
    ),
    Case(
        "trigger-disabled",
        "alter table public.profiles disable trigger profiles_set_updated_at",
        "profiles_set_updated_at",
    ),
    Case("trigger-dropped", "drop trigger profiles_set_updated_at on public.profiles", "profiles_set_updated_at"),
    Case("auth-trigger-dropped", "drop trigger on_auth_user_created on auth.users", "on_auth_user_created"),
    # functions and types
    Case(
        "function-body",
        "create or replace function public.set_updated_at() returns trigger language plpgsql set search_path = '' "
        "as $$ begin new.updated_at := clock_timestamp(); return new; end $$",
        "set_updated_at",
    ),
    Case("function-security", "alter function public.set_updated_at() security definer", "set_updated_at"),
    Case("function-config", "alter function public.handle_new_user() set search_path = public", "handle_new_user"),
    Case("function-volatility", "alter function public.set_updated_at() stable", "set_updated_at"),
    Case("function-revoked", "revoke execute on function public.handle_new_user() from anon", "handle_new_user"),
    Case(
        "procedure-created",
        "create procedure public.tidy() language sql as $$ delete from public.todos where done $$",
        "tidy",
    ),
    Case("enum-created", "create type public.mood as enum ('ok', 'meh')", "public.mood"),
    Case(
        "enum-value-added",
        "create type public.mood as enum ('ok'); alter table public.todos add column mood public.mood; "
        "alter type public.mood add value 'meh'",
        "mood",
    ),
    Case("domain-created", "create domain public.short_text as text check (length(value) < 10)", "public.short_text"),
    Case("range-created", "create type public.float_range as range (subtype = float8)", "public.float_range"),
    Case("composite-created", "create type public.point2 as (x float8, y float8)", "public.point2"),
    Case(
        "function-owner",
        "alter function app.f() owner to service_role",
        "owner of function app.f()",
        setup="create schema app; grant create on schema app to service_role; "
        "create function app.f() returns int language sql as $$ select 1 $$",
    ),
    Case(
        "type-privilege-revoked",
        "revoke usage on type public.mood from public",
        "privileges on type public.mood",
        setup="create type public.mood as enum ('ok')",
    ),
    Case("schema-owner", "create schema app; alter schema app owner to service_role", "app"),
    Case(
        "table-owner",
        "alter table app.t owner to service_role",
        "owner of app.t",
        setup="create schema app; grant create on schema app to service_role; create table app.t (id int)",
    ),
    # sequences
    Case("sequence-created", "create sequence public.ticket_seq start 100", "ticket_seq"),
    Case(
        "sequence-options",
        "create sequence public.ticket_seq; alter sequence public.ticket_seq increment 7 cache 5",
        "ticket_seq",
    ),
    # grants and default privileges
    Case("table-grant-revoked", "revoke delete on public.todos from anon", "anon DELETE"),
    Case("column-grant", "grant select (title) on public.todos to anon", "column grants"),
    Case("schema-grant", "grant usage on schema public to pg_read_all_data", "schema"),
    Case(
        "default-privileges-revoked",
        "alter default privileges in schema public revoke all on tables from anon",
        "default privilege",
    ),
    Case(
        "default-privileges-granted",
        "alter default privileges for role postgres in schema public grant select on sequences to pg_read_all_data",
        "default privilege",
    ),
    Case(
        "default-privileges-functions",
        "alter default privileges in schema public revoke execute on functions from anon",
        "default privilege",
    ),
    # publications
    Case("publication-member", "alter publication supabase_realtime add table public.todos", "supabase_realtime"),
    Case(
        "publication-column-list",
        "alter publication supabase_realtime add table public.todos (id, title) where (done is not true)",
        "columns|row filter",
    ),
    Case("publication-created", "create publication app_changes for table public.profiles", "app_changes"),
    Case(
        "publication-options",
        "create publication app_changes for table public.profiles with (publish = 'insert')",
        "app_changes",
    ),
    # policies, comments, schemas, extensions, statistics
    Case(
        "policy-realtime",
        'create policy "listen" on realtime.messages for select to authenticated using (true)',
        "listen",
    ),
    Case(
        "policy-storage",
        "create policy \"read avatars\" on storage.objects for select using (bucket_id = 'avatars')",
        "read avatars",
    ),
    Case("policy-altered", 'alter policy "Users read their own todos" on public.todos to anon', "roles"),
    Case("comment-table", "comment on table public.todos is 'what to do'", "comment"),
    Case("comment-column", "comment on column public.todos.title is 'short'", "comment"),
    Case(
        "comment-policy",
        "comment on policy \"Users read their own todos\" on public.todos is 'owner only'",
        "comment",
    ),
    Case("comment-trigger", "comment on trigger profiles_set_updated_at on public.profiles is 'touch'", "comment"),
    Case("comment-constraint", "comment on constraint todos_title_check on public.todos is 'non-empty'", "comment"),
    Case("schema-created", "create schema app", "app"),
    Case("extension-created", "create extension if not exists pg_trgm with schema extensions", "pg_trgm"),
    Case(
        "statistics-created",
        "create statistics public.todos_stats (dependencies) on user_id, done from public.todos",
        "todos_stats",
    ),
    Case("collation-created", 'create collation public.bytes from "C"', "public.bytes"),
    # what db.pull writes from the parts, in combinations
    Case(
        "comment-rule",
        "create rule todos_no_delete as on delete to public.todos do instead nothing; "
        "comment on rule todos_no_delete on public.todos is 'kept'",
        "todos_no_delete",
    ),
    Case(
        "domain-not-valid",
        "create domain public.positive as int default 1 not null; "
        "alter domain public.positive add constraint small check (value < 10) not valid",
        "public.positive",
    ),
    Case(
        "domain-column",
        "create domain public.email as text check (value like '%@%'); "
        "alter table public.profiles add column email public.email",
        "email",
    ),
    Case(
        "composite-column",
        'create type public.pair as (a int, b text collate "C"); alter table public.todos add column pair public.pair',
        "pair",
    ),
    Case(
        "typed-table-options",
        "create type public.pair as (a int, b int); "
        "create table public.pairs of public.pair (a with options not null default 0, primary key (a))",
        "public.pairs",
    ),
    Case(
        "table-inherits-check",
        "create table public.base_log (at timestamptz not null default now(), check (at > '2000-01-01')); "
        "create table public.todo_log (todo bigint) inherits (public.base_log)",
        "public.todo_log",
    ),
    Case(
        "default-privileges-global",
        "alter default privileges for role postgres revoke execute on functions from public",
        "default privilege",
    ),
    Case(
        "statistics-target",
        "create statistics public.todos_stats (ndistinct) on user_id, done from public.todos; "
        "alter statistics public.todos_stats set statistics 500",
        "todos_stats",
    ),
    Case(
        "publication-via-root",
        "create publication app_changes with (publish_via_partition_root = true, publish = 'insert, update')",
        "app_changes",
    ),
    Case(
        "table-storage-and-logged",
        "alter table public.todos set unlogged; alter table public.todos set (fillfactor = 80)",
        "persistence",
    ),
    Case(
        "collation-column",
        "create collation public.posix (provider = libc, lc_collate = 'C', lc_ctype = 'POSIX'); "
        "create table public.tags (name text collate public.posix primary key)",
        "public.posix",
    ),
    Case(
        "default-privileges-grant-option",
        "alter default privileges in schema public grant select on tables to pg_read_all_data with grant option",
        "default privilege",
    ),
    Case(
        "comment-domain-constraint",
        "create domain public.positive as int constraint above check (value > 0); "
        "comment on domain public.positive is 'above zero'; "
        "comment on constraint above on domain public.positive is 'strict'",
        "public.positive",
    ),
    Case(
        "comment-statistics",
        "create statistics public.todos_stats on user_id, done from public.todos; "
        "comment on statistics public.todos_stats is 'planner'",
        "todos_stats",
    ),
    Case(
        "table-clustered-new",
        "create table public.notes (id int primary key, body text); cluster public.notes using notes_pkey",
        "public.notes",
    ),
    Case(
        "database-setting-custom",
        "do $$ begin execute format('alter database %I set default_text_search_config = %L', current_database(), "
        "'pg_catalog.simple'); end $$",
        "database",
        in_dump=False,
    ),
    Case(
        "event-trigger-created",
        "create function public.on_ddl() returns event_trigger language plpgsql as $$ begin null; end $$; "
        "create event trigger log_ddl on ddl_command_end when tag in ('CREATE TABLE', 'ALTER TABLE') "
        "execute function public.on_ddl(); alter event trigger log_ddl enable always",
        "log_ddl",
    ),
    Case(
        "aggregate-changed",
        "drop aggregate public.total(int); "
        "create aggregate public.total(int) (sfunc = int4pl, stype = int, initcond = '1')",
        "aggregate public.total",
        setup="create aggregate public.total(int) (sfunc = int4pl, stype = int, initcond = '0')",
    ),
    Case(
        "text-search-mapping",
        "alter text search configuration public.simple_en alter mapping for word with simple",
        "public.simple_en",
        setup="create text search configuration public.simple_en (copy = english)",
    ),
    # settings (not in pg_dump)
    Case(
        "role-setting",
        "alter role authenticated set statement_timeout = '20s'",
        "authenticated",
        in_dump=False,
        undo="alter role authenticated set statement_timeout = '8s'",
    ),
    Case(
        "role-setting-anon",
        "alter role anon set statement_timeout = '1s'",
        "anon",
        in_dump=False,
        undo="alter role anon set statement_timeout = '3s'",
    ),
    Case(
        "database-setting",
        "do $$ begin execute format('alter database %I set lock_timeout = %L', current_database(), '5s'); end $$",
        "database",
        in_dump=False,
    ),
)

#: More dashboard changes (the hidden set's kind): each must be named by drift and written or refused by db.pull.
MORE = (
    Case(
        "policy-restrictive-roles",
        'create policy "not banned" on public.todos as restrictive for all to authenticated, anon '
        "using (not done) with check (title <> 'x')",
        "not banned",
    ),
    Case(
        "column-default-function",
        "alter table public.todos alter column created_at set default timezone('utc', clock_timestamp())",
        "default",
    ),
    Case(
        "identity-column-added",
        "alter table public.profiles add column seq bigint generated by default as identity "
        "(start with 10 increment by 2 cache 5)",
        "seq",
    ),
    Case(
        "sequence-owned-by",
        "alter table public.todos add column ticket int; "
        "create sequence public.ticket_seq owned by public.todos.ticket; "
        "alter table public.todos alter column ticket set default nextval('public.ticket_seq')",
        "ticket",
    ),
    Case(
        "check-no-inherit",
        "alter table public.todos add constraint title_nonblank check (title <> ' ') no inherit",
        "title_nonblank",
    ),
    Case(
        "fk-set-null-columns",
        "create table public.lists (id bigint primary key, owner uuid); "
        "alter table public.todos add column list_id bigint; "
        "alter table public.todos add constraint todos_list_fkey foreign key (list_id) references public.lists (id) "
        "on delete set null (list_id) deferrable initially deferred",
        "todos_list_fkey",
    ),
    Case(
        "trigger-when-transition",
        "create function public.log_new() returns trigger language plpgsql as $$ begin return null; end $$; "
        "create trigger todos_log after insert on public.todos referencing new table as inserted "
        "for each statement execute function public.log_new(); "
        "create trigger todos_touch before update on public.profiles for each row "
        "when (old.username is distinct from new.username) execute function public.set_updated_at()",
        "todos_log",
    ),
    Case(
        "function-cost-rows-parallel",
        "create function public.titles() returns setof text language sql stable parallel safe cost 50 rows 20 "
        "as $$ select title from public.todos $$",
        "titles",
    ),
    Case(
        "function-security-definer-created",
        "create function public.is_admin() returns boolean language sql security definer set search_path = '' "
        "stable as $$ select true $$; revoke execute on function public.is_admin() from public, anon",
        "is_admin",
    ),
    Case(
        "procedure-definer-config",
        "create procedure public.tidy(keep int default 10) language plpgsql security definer "
        "set statement_timeout = '5s' as $$ begin delete from public.todos where id < keep; end $$",
        "tidy",
    ),
    Case(
        "range-subtype-diff",
        "create type public.f_range as range (subtype = float8, subtype_diff = float8mi)",
        "public.f_range",
    ),
    Case(
        "composite-attribute-altered",
        "alter type public.point2 alter attribute y type bigint, add attribute z int",
        "public.point2",
        setup="create type public.point2 as (x int, y int)",
    ),
    Case(
        "enum-value-before",
        "alter type public.level add value 'mid' before 'high'",
        "public.level",
        setup="create type public.level as enum ('low', 'high')",
    ),
    Case(
        "enum-value-renamed",
        "alter type public.level rename value 'low' to 'lowest'",
        "public.level",
        setup="create type public.level as enum ('low', 'high')",
    ),
    Case(
        "matview-index",
        "create materialized view public.todo_counts as select user_id, count(*) as n from public.todos group by 1; "
        "create unique index todo_counts_user on public.todo_counts (user_id)",
        "todo_counts",
    ),
    Case(
        "view-column-comment",
        "create view public.open_todos with (security_barrier) as select id, title from public.todos where not done; "
        "comment on column public.open_todos.title is 'what'; comment on view public.open_todos is 'open ones'",
        "open_todos",
    ),
    Case("grant-with-grant-option", "grant select on public.todos to authenticated with grant option", "GRANT OPTION"),
    Case("column-grant-update", "grant update (title, done) on public.todos to anon", "column grants"),
    Case(
        "default-privileges-types",
        "alter default privileges for role postgres revoke usage on types from public",
        "default privilege",
    ),
    Case(
        "policy-storage-insert",
        'create policy "upload own avatar" on storage.objects as permissive for insert to authenticated '
        "with check (bucket_id = 'avatars' and (select auth.uid())::text = (storage.foldername(name))[1])",
        "upload own avatar",
    ),
    Case(
        "auth-trigger-created",
        "create function public.on_user_updated() returns trigger language plpgsql security definer "
        "set search_path = '' as $$ begin return new; end $$; "
        "create trigger on_auth_user_updated after update on auth.users for each row "
        "execute function public.on_user_updated()",
        "on_auth_user_updated",
    ),
    Case(
        "column-virtual-generated",
        "alter table public.todos add column shout text generated always as (upper(title)) virtual",
        "shout",
    ),
    Case(
        "partition-attached",
        "create table public.events (at date not null) partition by range (at); "
        "create table public.events_old (at date not null); "
        "alter table public.events attach partition public.events_old for values from ('2000-01-01') to ('2001-01-01')",
        "public.events_old",
    ),
    Case(
        "index-include-nulls-not-distinct",
        "create unique index todos_user_title on public.todos (user_id, title) include (done) nulls not distinct",
        "todos_user_title",
    ),
    Case(
        "exclusion-constraint",
        "create table public.bookings (id int primary key, during tstzrange, exclude using gist (during with &&))",
        "public.bookings",
    ),
    Case(
        "schema-with-grants",
        "create schema app; create table app.items (id int primary key); grant usage on schema app to anon; "
        "grant select on all tables in schema app to anon",
        "app",
    ),
    Case(
        "text-search-dictionary",
        "create text search dictionary public.en_stem (template = snowball, language = english); "
        "create text search configuration public.en (copy = english); "
        "alter text search configuration public.en alter mapping for asciiword, word with public.en_stem",
        "public.en_stem",
    ),
    Case(
        "aggregate-created",
        "create aggregate public.concat_all(text) (sfunc = textcat, stype = text, initcond = '', parallel = safe)",
        "public.concat_all",
    ),
    Case(
        "constraint-renamed",
        "alter table public.todos rename constraint todos_title_check to title_not_blank",
        "title_not_blank",
    ),
    Case("index-renamed", "alter index public.todos_user_id_idx rename to todos_owner_idx", "todos_owner_idx"),
    Case(
        "publication-set-tables",
        "alter publication supabase_realtime set table public.todos, public.profiles (id, username)",
        "supabase_realtime",
    ),
    Case("column-array-default", "alter table public.todos add column tags text[] not null default '{}'", "tags"),
    Case(
        "function-renamed",
        "alter function public.set_updated_at() rename to touch_updated_at",
        "touch_updated_at",
    ),
    Case(
        "column-type-using",
        "alter table public.todos alter column done drop default, alter column done type int using done::int, "
        "alter column done set default 0",
        "done",
    ),
    Case(
        "view-grants-revoked",
        "create view public.open_todos with (security_invoker = on) as select id, title from public.todos; "
        "revoke all on public.open_todos from anon, authenticated",
        "open_todos",
    ),
    Case(
        "function-returns-table",
        "create function public.my_todos() returns table (id bigint, title text) language sql stable "
        "as $$ select id, title from public.todos $$",
        "my_todos",
    ),
    Case("column-default-auth-uid", "alter table public.todos alter column user_id set default auth.uid()", "default"),
    Case(
        "extension-column-type",
        "create extension if not exists citext with schema extensions; "
        "alter table public.profiles add column email extensions.citext",
        "email",
    ),
    Case(
        "table-created-whole",
        "create table public.comments (id uuid primary key default gen_random_uuid(), "
        "todo_id bigint not null references public.todos (id) on delete cascade, body text not null, "
        "created_at timestamptz default now()); alter table public.comments enable row level security; "
        'create policy "read comments" on public.comments for select to authenticated using (true); '
        "create index comments_todo_id_idx on public.comments (todo_id); "
        "revoke all on public.comments from anon",
        "public.comments",
    ),
    Case(
        "serial-table", "create table public.legacy (id serial primary key, name varchar(50) unique)", "public.legacy"
    ),
    Case(
        "storage-trigger-created",
        "create function public.on_upload() returns trigger language plpgsql as $$ begin return new; end $$; "
        "create trigger on_upload after insert on storage.objects for each row execute function public.on_upload()",
        "on_upload",
    ),
    Case(
        "view-column-appended",
        "create or replace view public.open_todos as select id, title, done from public.todos where not done",
        "open_todos",
        setup="create view public.open_todos as select id, title from public.todos where not done",
    ),
    Case(
        "extension-updated",
        "alter extension pg_trgm update to '1.6'",
        "pg_trgm",
        in_dump=False,  # pg_dump writes CREATE EXTENSION without its version
        setup="create extension pg_trgm with schema extensions version '1.5'",
    ),
    Case(
        "vector-column-index",
        "create extension if not exists vector with schema extensions; "
        "alter table public.todos add column embedding extensions.vector(3); "
        "create index todos_embedding_idx on public.todos using hnsw (embedding extensions.vector_cosine_ops)",
        "embedding",
    ),
    Case("table-moved-schema", "create schema app; alter table public.todos set schema app", "app.todos"),
    Case(
        "constraint-trigger",
        "create function public.check_todo() returns trigger language plpgsql as $$ begin return null; end $$; "
        "create constraint trigger todos_check after insert or update of title on public.todos "
        "deferrable initially deferred for each row execute function public.check_todo()",
        "todos_check",
    ),
    Case(
        "function-overload-defaults",
        "create function public.bump(a int, b int default 1) returns int language sql immutable "
        "as $$ select a + b $$; create function public.bump(a bigint) returns bigint language sql immutable "
        "as $$ select a + 1 $$",
        "bump",
    ),
    Case(
        "table-like-including-all",
        "create table public.todos_archive (like public.todos including all)",
        "public.todos_archive",
    ),
    Case(
        "trigger-enable-replica",
        "alter table public.profiles enable replica trigger profiles_set_updated_at",
        "profiles_set_updated_at",
    ),
    Case(
        "fk-altered-deferrable",
        "alter table public.todos alter constraint todos_user_id_fkey deferrable initially deferred",
        "todos_user_id_fkey",
    ),
    Case(
        "view-check-option-set",
        "alter view public.open_todos set (check_option = cascaded)",
        "open_todos",
        setup="create view public.open_todos as select * from public.todos where not done",
    ),
    Case(
        "expression-index-gin",
        "create index todos_title_fts on public.todos using gin (to_tsvector('english', title))",
        "todos_title_fts",
    ),
    Case(
        "column-renamed-in-view",
        "alter table public.todos rename column done to is_done",
        "is_done",
        setup="create view public.open_todos as select id, title from public.todos where not done",
    ),
    Case(
        "identity-sequence-grant-revoked",
        "revoke all on sequence public.todos_id_seq from anon",
        "public.todos_id_seq",
    ),
    Case(
        "generated-expression-changed",
        "alter table public.todos alter column title_len set expression as (length(title) * 2)",
        "title_len",
        setup="alter table public.todos add column title_len int generated always as (length(title)) stored",
    ),
    Case("identity-kind-changed", "alter table public.todos alter column id set generated by default", "identity"),
    Case("identity-dropped", "alter table public.todos alter column id drop identity", "identity"),
    Case(
        "policy-renamed",
        'alter policy "Users read their own todos" on public.todos rename to "read own todos"',
        "read own todos",
    ),
    Case("function-cost-altered", "alter function public.handle_new_user() cost 10", "handle_new_user"),
    Case(
        "generated-tsvector-gin",
        "alter table public.todos add column search tsvector generated always as (to_tsvector('english', title)) "
        "stored; create index todos_search_idx on public.todos using gin (search)",
        "search",
    ),
    Case(
        "list-partitions-default",
        "create table public.logs (kind text, at timestamptz default now()) partition by list (kind); "
        "create table public.logs_auth partition of public.logs for values in ('auth'); "
        "create table public.logs_default partition of public.logs default",
        "public.logs",
    ),
    Case(
        "hash-partitions",
        "create table public.shards (id bigint not null, v text) partition by hash (id); "
        "create table public.shards_0 partition of public.shards for values with (modulus 2, remainder 0); "
        "create table public.shards_1 partition of public.shards for values with (modulus 2, remainder 1)",
        "public.shards",
    ),
)
CASES = CASES + MORE
