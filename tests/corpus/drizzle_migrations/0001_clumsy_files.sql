DO $$ BEGIN
 CREATE TYPE "public"."file_kind" AS ENUM('image', 'document');
EXCEPTION
 WHEN duplicate_object THEN null;
END $$;
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS "files" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" integer NOT NULL,
	"kind" "file_kind" NOT NULL,
	"storage_path" text NOT NULL,
	"checksum" text GENERATED ALWAYS AS (encode(extensions.digest("files"."storage_path", 'sha1'), 'hex')) STORED
);
--> statement-breakpoint
DO $$ BEGIN
 ALTER TABLE "files" ADD CONSTRAINT "files_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;
EXCEPTION
 WHEN duplicate_object THEN null;
END $$;
--> statement-breakpoint
ALTER TABLE "files" ENABLE ROW LEVEL SECURITY;
