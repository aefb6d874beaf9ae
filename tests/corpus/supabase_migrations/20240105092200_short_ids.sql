-- Short public ids with pg_hashids, an http() call kept behind a function, a plpgsql_check pass.
alter table public.orders add column seq bigint generated always as identity;
alter table public.orders add column public_id text
  generated always as (extensions.id_encode(seq, 'orders-salt', 8)) stored;

create or replace function public.order_by_public_id(p_public_id text)
returns public.orders language sql stable as $$
  select * from public.orders where seq = extensions.id_decode_once(p_public_id, 'orders-salt', 8);
$$;

create or replace function public.fetch_exchange_rate(p_currency text)
returns numeric language plpgsql as $$
declare
  response extensions.http_response;
begin
  select * into response from extensions.http_get('https://api.example.com/rates/' || extensions.urlencode(p_currency));
  return (response.content::jsonb ->> 'rate')::numeric;
end;
$$;

do $$
declare
  problem text;
begin
  for problem in select * from extensions.plpgsql_check_function('public.refund_order(uuid)') loop
    raise warning '%', problem;
  end loop;
end
$$;

select * from extensions.hypopg_create_index('create index on public.orders (status)');
select extensions.hypopg_reset();
