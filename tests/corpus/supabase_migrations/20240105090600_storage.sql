-- Buckets and storage.objects policies keyed on the first folder of the object name.
insert into storage.buckets (id, name, public)
values ('avatars', 'avatars', true)
on conflict (id) do nothing;

insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
values ('documents', 'documents', false, 52428800, array['application/pdf', 'image/png', 'image/jpeg'])
on conflict (id) do update set file_size_limit = excluded.file_size_limit;

create policy "Avatar images are publicly accessible." on storage.objects
  for select using (bucket_id = 'avatars');

create policy "Anyone can upload an avatar." on storage.objects
  for insert with check (bucket_id = 'avatars');

create policy "Users read their own documents" on storage.objects
  for select to authenticated
  using (bucket_id = 'documents' and (storage.foldername(name))[1] = (select auth.uid()::text));

create policy "Users upload PDFs to their folder" on storage.objects
  for insert to authenticated
  with check (
    bucket_id = 'documents'
    and (storage.foldername(name))[1] = auth.uid()::text
    and storage.extension(name) = 'pdf'
    and storage.filename(name) !~ '^\.'
  );

create policy "Users delete their own documents" on storage.objects
  for delete to authenticated
  using (bucket_id = 'documents' and owner_id = (select auth.uid()::text));
