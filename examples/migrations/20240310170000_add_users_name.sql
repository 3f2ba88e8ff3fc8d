-- Modify "users" table
ALTER TABLE "users" ADD COLUMN "name" text NULL;
