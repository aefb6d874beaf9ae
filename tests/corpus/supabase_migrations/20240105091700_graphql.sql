-- pg_graphql comment directives and the GraphQL schema grants Supabase projects use.
comment on schema public is e'@graphql({"inflect_names": true})';
comment on table public.articles is e'@graphql({"totalCount": {"enabled": true}})';
grant usage on schema graphql_public to anon, authenticated, service_role;
grant execute on function graphql_public.graphql(text, text, jsonb, jsonb) to anon, authenticated;
select graphql.comment_directive(obj_description('public.articles'::regclass, 'pg_class'));
