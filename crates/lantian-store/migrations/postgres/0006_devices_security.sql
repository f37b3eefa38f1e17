-- A device can be disabled (refused at login, kept with its data) without being removed.
ALTER TABLE devices ADD COLUMN disabled BIGINT NOT NULL DEFAULT 0;
