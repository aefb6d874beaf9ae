ALTER TYPE "public"."plan" ADD VALUE 'enterprise';
