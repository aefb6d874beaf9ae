-- Search: trigram and full-text indexes, an immutable unaccent wrapper, pgvector similarity, ltree.
create or replace function public.immutable_unaccent(text)
returns text language sql immutable parallel safe strict
set search_path = ''
as $$ select extensions.unaccent('extensions.unaccent'::regdictionary, $1) $$;

create table public.articles (
  id bigint generated always as identity primary key,
  team_id uuid references public.teams (id),
  title text not null,
  body text not null default '',
  tags text[] not null default '{}',
  category extensions.ltree,
  embedding extensions.vector(3),
  fts tsvector generated always as (
    to_tsvector('simple', public.immutable_unaccent(title || ' ' || body))
  ) stored
);

create index articles_title_trgm_idx on public.articles using gin (title extensions.gin_trgm_ops);
create index articles_fts_idx on public.articles using gin (fts);
create index articles_fts_rum_idx on public.articles using rum (fts rum_tsvector_ops);
create index articles_search_pgroonga_idx on public.articles using pgroonga (title, body);
create index articles_tags_pgroonga_idx on public.articles using pgroonga (tags);
create index articles_category_idx on public.articles using gist (category);
create index articles_embedding_idx on public.articles using hnsw (embedding extensions.vector_cosine_ops);

create or replace function public.match_articles(query_embedding extensions.vector(3), match_count int default 5)
returns table (id bigint, title text, similarity float)
language sql stable
as $$
  select a.id, a.title, 1 - (a.embedding <=> query_embedding) as similarity
    from public.articles a
   order by a.embedding <=> query_embedding
   limit match_count;
$$;

create or replace function public.search_articles(q text)
returns setof public.articles
language sql stable
as $$
  select * from public.articles
   where fts @@ websearch_to_tsquery('simple', public.immutable_unaccent(q))
      or title &@~ q
      or title % q
   order by fts <=> websearch_to_tsquery('simple', q);
$$;

insert into public.articles (title, body, tags, category, embedding) values
  ('Crème brûlée at home', 'Custard, sugar, a torch.', '{dessert,french}', 'food.dessert', '[0.1, 0.9, 0.2]'),
  ('Sourdough basics', 'Flour, water, salt and time.', '{bread}', 'food.bread', '[0.8, 0.1, 0.3]');
