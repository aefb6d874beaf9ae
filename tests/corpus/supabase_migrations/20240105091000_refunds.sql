-- Uses the value added by the previous migration.
create or replace function public.refund_order(p_order uuid)
returns public.order_status
language plpgsql
security invoker
set search_path = ''
as $$
declare
  result public.order_status;
begin
  update public.orders set status = 'refunded' where id = p_order returning status into result;
  return result;
end;
$$;

create index orders_refunded_idx on public.orders (created_at) where status = 'refunded';
