-- A secret in Vault, and a cron job that calls an Edge Function with it through pg_net.
select vault.create_secret('https://project-ref.supabase.co', 'project_url', 'Base URL for Edge Functions');
select vault.create_secret('sbp_not_a_real_key_0000000000000000', 'service_key');

do $$
begin
  perform cron.unschedule('send-digest');
exception when others then
  null; -- not scheduled yet
end
$$;

select cron.schedule(
  'send-digest',
  '0 8 * * 1-5',
  $$
  select net.http_post(
    url := (select decrypted_secret from vault.decrypted_secrets where name = 'project_url') || '/functions/v1/digest',
    headers := jsonb_build_object(
      'Content-Type', 'application/json',
      'Authorization', 'Bearer ' || (select decrypted_secret from vault.decrypted_secrets where name = 'service_key')),
    body := jsonb_build_object('time', now()),
    timeout_milliseconds := 5000
  ) as request_id;
  $$
);

select cron.schedule('purge-old-messages', '30 3 * * *',
  $$ delete from public.messages where created_at < now() - interval '90 days' $$);

select cron.schedule('*/10 * * * *', 'select 1');
