-- Ferry's state, version 2: a webhook delivery is recorded on the row of the build it started (the two were one to
-- one), so that recording one is a single statement: the unique index refuses a repeated delivery id atomically.

ALTER TABLE builds ADD COLUMN delivery_forge TEXT;
ALTER TABLE builds ADD COLUMN delivery_event TEXT;
UPDATE builds
   SET delivery_forge = (SELECT forge FROM webhook_deliveries d WHERE d.build_id = builds.id),
       delivery_event = (SELECT event FROM webhook_deliveries d WHERE d.build_id = builds.id)
 WHERE delivery_id IS NOT NULL;
CREATE UNIQUE INDEX builds_by_delivery ON builds (delivery_id) WHERE delivery_id IS NOT NULL;
DROP TABLE webhook_deliveries;
