-- Part 3: the extensions a new Supabase project already has, in the schemas Supabase puts them.
-- pgcrypto, uuid-ossp, pg_graphql, supabase_vault and pg_net are sandbox stand-ins (see
-- sandbox/extensions/); pg_stat_statements is real. pg_net and the supabase_functions schema (file 70)
-- are there as in the Supabase CLI's local stack, where database webhooks work out of the box.

-- Created as postgres through the sandbox's trusted control files (sandbox/trusted.py), so postgres owns
-- the extensions (may DROP/ALTER them, as supautils lets it) while their objects belong to supabase_admin.
SET ROLE postgres;
CREATE EXTENSION IF NOT EXISTS pg_stat_statements WITH SCHEMA extensions;
CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA extensions;
CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA extensions;
CREATE EXTENSION IF NOT EXISTS pg_graphql WITH SCHEMA graphql;
CREATE EXTENSION IF NOT EXISTS supabase_vault WITH SCHEMA vault;
CREATE EXTENSION IF NOT EXISTS pg_net WITH SCHEMA extensions;
RESET ROLE;
