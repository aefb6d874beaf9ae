CREATE EXTENSION IF NOT EXISTS "moddatetime" WITH SCHEMA "extensions";--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "seats" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "updated_at" timestamp with time zone DEFAULT now();--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "accounts_plan_idx" ON "accounts" USING btree ("plan") WHERE "accounts"."plan" = 'enterprise';--> statement-breakpoint
CREATE TRIGGER "accounts_updated_at" BEFORE UPDATE ON "accounts" FOR EACH ROW EXECUTE PROCEDURE extensions.moddatetime("updated_at");
