-- sandbox stand-in for pg_partman 5: configuration tables and the main functions, without the
-- partition maintenance engine. Rows land in the parent's default partition.
\echo Use "CREATE EXTENSION pg_partman" to load this file. \quit

CREATE TABLE @extschema@.part_config (
  parent_table text NOT NULL PRIMARY KEY,
  control text NOT NULL,
  time_encoder text,
  time_decoder text,
  partition_interval text NOT NULL,
  partition_type text NOT NULL,
  premake integer NOT NULL DEFAULT 4,
  automatic_maintenance text NOT NULL DEFAULT 'on',
  template_table text,
  retention text,
  retention_schema text,
  retention_keep_index boolean NOT NULL DEFAULT true,
  retention_keep_table boolean NOT NULL DEFAULT true,
  epoch text NOT NULL DEFAULT 'none',
  constraint_cols text[],
  optimize_constraint integer NOT NULL DEFAULT 30,
  infinite_time_partitions boolean NOT NULL DEFAULT false,
  datetime_string text,
  jobmon boolean NOT NULL DEFAULT true,
  sub_partition_set_full boolean NOT NULL DEFAULT false,
  undo_in_progress boolean NOT NULL DEFAULT false,
  inherit_privileges boolean DEFAULT false,
  constraint_valid boolean NOT NULL DEFAULT true,
  ignore_default_data boolean NOT NULL DEFAULT true,
  date_trunc_interval text,
  maintenance_order integer,
  retention_keep_publication boolean NOT NULL DEFAULT false,
  maintenance_last_run timestamptz
);

CREATE TABLE @extschema@.part_config_sub (
  sub_parent text NOT NULL PRIMARY KEY REFERENCES @extschema@.part_config (parent_table) ON DELETE CASCADE,
  sub_control text NOT NULL,
  sub_partition_interval text NOT NULL,
  sub_partition_type text NOT NULL,
  sub_premake integer NOT NULL DEFAULT 4,
  sub_automatic_maintenance text NOT NULL DEFAULT 'on',
  sub_template_table text,
  sub_retention text,
  sub_retention_schema text,
  sub_retention_keep_index boolean NOT NULL DEFAULT true,
  sub_retention_keep_table boolean NOT NULL DEFAULT true,
  sub_epoch text NOT NULL DEFAULT 'none',
  sub_constraint_cols text[],
  sub_optimize_constraint integer NOT NULL DEFAULT 30,
  sub_infinite_time_partitions boolean NOT NULL DEFAULT false,
  sub_jobmon boolean NOT NULL DEFAULT true,
  sub_inherit_privileges boolean DEFAULT false,
  sub_constraint_valid boolean NOT NULL DEFAULT true,
  sub_ignore_default_data boolean NOT NULL DEFAULT true,
  sub_default_table boolean DEFAULT true,
  sub_date_trunc_interval text,
  sub_maintenance_order integer,
  sub_retention_keep_publication boolean NOT NULL DEFAULT false,
  sub_control_not_null boolean DEFAULT true,
  sub_time_encoder text,
  sub_time_decoder text
);

CREATE FUNCTION @extschema@.create_parent(
  p_parent_table text, p_control text, p_interval text, p_type text DEFAULT 'range', p_epoch text DEFAULT 'none',
  p_premake integer DEFAULT 4, p_start_partition text DEFAULT NULL, p_default_table boolean DEFAULT true,
  p_automatic_maintenance text DEFAULT 'on', p_constraint_cols text[] DEFAULT NULL,
  p_template_table text DEFAULT NULL, p_jobmon boolean DEFAULT true, p_date_trunc_interval text DEFAULT NULL,
  p_control_not_null boolean DEFAULT true, p_time_encoder text DEFAULT NULL, p_time_decoder text DEFAULT NULL)
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  parent regclass := to_regclass(p_parent_table);
  kind "char";
BEGIN
  IF position('.' IN p_parent_table) = 0 THEN
    RAISE EXCEPTION 'Parent table must be schema qualified';
  END IF;
  IF parent IS NULL THEN
    RAISE EXCEPTION 'Unable to find given parent table in system catalogs. Please create parent table first: %',
      p_parent_table;
  END IF;
  SELECT relkind INTO kind FROM pg_catalog.pg_class WHERE oid = parent;
  IF kind <> 'p' THEN
    RAISE EXCEPTION 'pg_partman only supports partitioning of data in PostgreSQL 14+ native partitioned tables (% is not one)',
      p_parent_table;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = parent AND attname = p_control
                   AND attnum > 0 AND NOT attisdropped) THEN
    RAISE EXCEPTION 'Control column given (%) for parent table (%) does not exist', p_control, p_parent_table;
  END IF;
  INSERT INTO @extschema@.part_config (parent_table, control, partition_interval, partition_type, premake,
                                       automatic_maintenance, template_table, epoch, constraint_cols, jobmon,
                                       date_trunc_interval, time_encoder, time_decoder)
  VALUES (p_parent_table, p_control, p_interval, p_type, p_premake, p_automatic_maintenance, p_template_table,
          p_epoch, p_constraint_cols, p_jobmon, p_date_trunc_interval, p_time_encoder, p_time_decoder);
  IF p_default_table THEN
    EXECUTE format('CREATE TABLE IF NOT EXISTS %s_default PARTITION OF %s DEFAULT', p_parent_table, parent);
  END IF;
  RETURN true;
END
$$;

CREATE FUNCTION @extschema@.run_maintenance(
  p_parent_table text DEFAULT NULL, p_analyze boolean DEFAULT false, p_jobmon boolean DEFAULT true)
RETURNS void LANGUAGE sql AS $$
  UPDATE @extschema@.part_config SET maintenance_last_run = now()
   WHERE p_parent_table IS NULL OR parent_table = p_parent_table
$$;

CREATE PROCEDURE @extschema@.run_maintenance_proc(
  p_wait integer DEFAULT 0, p_analyze boolean DEFAULT NULL, p_jobmon boolean DEFAULT true)
LANGUAGE sql AS $$
  UPDATE @extschema@.part_config SET maintenance_last_run = now()
$$;

CREATE FUNCTION @extschema@.show_partitions(
  p_parent_table text, p_order text DEFAULT 'ASC', p_include_default boolean DEFAULT false)
RETURNS TABLE (partition_schemaname text, partition_tablename text) LANGUAGE sql STABLE AS $$
  SELECT n.nspname::text, c.relname::text
    FROM pg_catalog.pg_inherits i
    JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
   WHERE i.inhparent = to_regclass(p_parent_table)
     AND (p_include_default OR NOT pg_catalog.pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT')
   ORDER BY 1, 2
$$;

CREATE FUNCTION @extschema@.undo_partition(
  p_parent_table text, p_target_table text DEFAULT NULL, p_loop_count integer DEFAULT 1,
  p_batch_interval text DEFAULT NULL, p_keep_table boolean DEFAULT true, p_lock_wait numeric DEFAULT 0,
  p_ignored_columns text[] DEFAULT NULL, p_drop_cascade boolean DEFAULT false,
  OUT partitions_undone integer, OUT rows_undone bigint)
RETURNS record LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM @extschema@.part_config WHERE parent_table = p_parent_table;
  partitions_undone := 0;
  rows_undone := 0;
END
$$;
