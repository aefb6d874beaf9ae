"""This repository's own tasks: exactly what a Supabase team puts in its tasks.py."""

from migrations_tasks import namespace

ns = namespace()
