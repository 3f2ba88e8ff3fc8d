-- Create "orders" table
CREATE TABLE "orders" (
  "id" bigserial NOT NULL,
  "user_id" bigint NOT NULL,
  "total_cents" integer NOT NULL,
  PRIMARY KEY ("id"),
  CONSTRAINT "orders_user_fk" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE
);
