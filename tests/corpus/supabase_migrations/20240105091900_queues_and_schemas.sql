-- JSON Schema checks on documents; pgmq queues for background work.
create table public.form_submissions (
  id bigint generated always as identity primary key,
  payload jsonb not null,
  constraint payload_is_valid check (
    extensions.jsonb_matches_schema(
      '{
        "type": "object",
        "required": ["email", "answers"],
        "properties": {
          "email": {"type": "string", "pattern": "^[^@]+@[^@]+$"},
          "answers": {"type": "array", "items": {"type": "string", "maxLength": 500}, "maxItems": 20}
        },
        "additionalProperties": false
      }',
      payload
    )
  )
);

select pgmq.create('emails');
select pgmq.create_unlogged('thumbnails');
select * from pgmq.send('emails', '{"template": "welcome", "to": "demo@example.com"}');

create or replace function public.enqueue_thumbnail()
returns trigger language plpgsql security definer set search_path = '' as $$
begin
  perform pgmq.send('thumbnails', jsonb_build_object('object', new.name, 'bucket', new.bucket_id));
  return new;
end;
$$;

create trigger objects_enqueue_thumbnail after insert on storage.objects
  for each row when (new.bucket_id = 'avatars') execute function public.enqueue_thumbnail();
