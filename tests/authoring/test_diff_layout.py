"""db.pull --schemas lays a whole schema out one file per schema, in an order that applies (pure)."""

from __future__ import annotations

from migrations_tasks.authoring.diff.layout import home, lay_out, qualifiers


def test_a_statement_goes_to_the_schema_of_its_first_qualified_name_and_bodies_and_literals_are_not_read() -> None:
    assert home("CREATE TABLE public.notes (board bigint REFERENCES app.boards(id))") == "public"
    assert home('CREATE POLICY "a.b" ON "My App".t USING (true)') == "My App"
    assert home("CREATE SCHEMA app") == "app" and home("GRANT USAGE ON SCHEMA app TO anon") == "app"
    assert home("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA extensions") == "extensions"
    assert home("ALTER PUBLICATION p ADD TABLE public.t") == "database"
    assert home("ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA app GRANT SELECT ON TABLES TO anon") == "database"
    body = "CREATE OR REPLACE FUNCTION public.f() RETURNS int LANGUAGE sql AS $x$ select app.g() $x$"
    assert qualifiers(body) == ["public"]
    assert qualifiers("COMMENT ON COLUMN public.t.c IS 'see app.x'") == ["public"]
    assert qualifiers("SELECT 'x'::public.mood, 1.5") == ["public"]


def test_files_are_ordered_so_a_schema_comes_after_the_schemas_its_statements_name() -> None:
    layout = lay_out(
        [
            "CREATE EXTENSION x WITH SCHEMA extensions",
            "CREATE TABLE public.notes (id int)",
            "CREATE SCHEMA app",
            "CREATE VIEW app.v AS SELECT id FROM public.notes",
            "CREATE PUBLICATION p",
            "GRANT SELECT ON TABLE public.notes TO anon",
        ]
    )
    assert [name for name, _ in layout.files] == ["10_extensions.sql", "20_public.sql", "30_app.sql", "40_database.sql"]
    assert layout.files[1][1] == ["CREATE TABLE public.notes (id int)", "GRANT SELECT ON TABLE public.notes TO anon"]
    assert layout.merged == ""


def test_schemas_that_name_each_other_go_to_one_file_in_the_generators_order() -> None:
    statements = [
        "CREATE SCHEMA app",
        "CREATE TABLE app.a (id int primary key)",
        "CREATE TABLE public.b (a int REFERENCES app.a (id))",
        "CREATE VIEW app.v AS SELECT a FROM public.b",
    ]
    layout = lay_out(statements)
    assert layout.files == [("10_schema.sql", statements)] and layout.merged


def test_naming_supabases_schemas_orders_nothing_but_what_is_added_to_them_comes_after_what_it_names() -> None:
    layout = lay_out(
        [
            "CREATE TABLE public.profiles (id uuid)",
            "CREATE OR REPLACE FUNCTION public.handle_new_user() RETURNS trigger LANGUAGE plpgsql AS $$ begin end $$",
            "CREATE TRIGGER on_auth_user_created AFTER INSERT ON auth.users FOR EACH ROW EXECUTE "
            "FUNCTION public.handle_new_user()",
            'CREATE POLICY "own" ON public.profiles USING ((( SELECT auth.uid() AS uid) = id))',
        ]
    )
    assert [name for name, _ in layout.files] == ["10_public.sql", "20_auth.sql"]
