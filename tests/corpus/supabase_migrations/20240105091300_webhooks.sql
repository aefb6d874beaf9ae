-- A dashboard-style database webhook, and a hand-written trigger that calls pg_net.
create trigger "notify-new-order"
  after insert on public.orders
  for each row
  execute function supabase_functions.http_request(
    'https://project-ref.supabase.co/functions/v1/new-order',
    'POST',
    '{"Content-Type":"application/json"}',
    '{}',
    '5000'
  );

create or replace function public.notify_slack_on_message()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  request_id bigint;
begin
  select net.http_post(
    url := 'https://hooks.slack.example/services/T000/B000/XXXX',
    body := jsonb_build_object('text', 'New message: ' || left(new.body, 100)),
    headers := '{"Content-Type": "application/json"}'::jsonb
  ) into request_id;
  return new;
end;
$$;

create trigger messages_notify_slack
  after insert on public.messages
  for each row execute function public.notify_slack_on_message();
