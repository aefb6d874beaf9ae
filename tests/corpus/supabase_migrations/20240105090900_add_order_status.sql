-- A new enum value, alone in its migration (it may not be used in the transaction that adds it).
alter type public.order_status add value if not exists 'refunded' after 'shipped';
