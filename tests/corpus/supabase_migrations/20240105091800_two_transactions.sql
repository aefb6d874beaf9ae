-- Two transactions in one file: a backfill committed before the constraint that depends on it.
BEGIN;
alter table public.teams add column slug public.slug;
update public.teams set slug = 'team-' || substr(id::text, 1, 8) where slug is null;
COMMIT;

BEGIN;
alter table public.teams alter column slug set not null;
alter table public.teams add constraint teams_slug_key unique (slug);
COMMIT;
