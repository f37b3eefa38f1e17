-- Back-filled marks distribute with the observations on Citus (src/citus.rs), which needs
-- the same collation on the distribution column: bytewise, like observations.station_id.
ALTER TABLE backfilled ALTER COLUMN station_id TYPE TEXT COLLATE "C";
